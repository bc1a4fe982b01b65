//! The conversion checked against the independent reading of the same message (see the policy
//! in this module's parent): attachments the two readings do not see alike.

use super::Converted;
use crate::model::{IndependentReading, PartReading};
use crate::pst::{Attachment, AttachmentContent};

/// [`consult`] needs the bytes of the reading's attachments, which the reading did not keep
/// (the engine's reading keeps only their sizes and hashes): read the message again keeping
/// them, and consult that reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NeedsPartBytes;

/// Compares the attachments of `converted` with those of `reading` and applies the policy:
/// where the reading holds more and its content can be trusted, the converted message takes
/// it; every disagreement and every part cut short is a warning. An attachment pairs with a
/// part of the reading that has the same content: the same bytes, or, where the reading kept
/// only a part's size and hashes, the same size and CRC-32 (the read-back compares the PST's
/// bytes with the reading's content hash, which a CRC-32 that matches by chance does not pass).
/// When something does not pair and
/// the reading lacks the bytes to tell why, nothing is changed and [`NeedsPartBytes`] is
/// returned.
pub fn consult(
    converted: &mut Converted,
    reading: &IndependentReading,
) -> Result<(), NeedsPartBytes> {
    let mut warnings = Vec::new();
    if let Some(place) = &reading.cut_short {
        warnings.push(format!(
            "the message appears truncated: MIME part {place} ends without its closing \
             boundary, as when a mailbox or file ends in the middle of a message; what there is \
             was written"
        ));
    }
    // Files held in memory only: an attached message is converted into a message of its own,
    // with no bytes to compare, and a streamed file belongs to a large message, which is not
    // consulted (its parts wait on disk).
    let ours: Vec<(usize, &[u8])> = converted
        .message
        .attachments
        .iter()
        .enumerate()
        .filter_map(|(index, a)| match &a.content {
            AttachmentContent::Data(bytes) => Some((index, bytes.as_slice())),
            AttachmentContent::Message(_) | AttachmentContent::Streamed(_) => None,
        })
        .collect();

    // Pair equal contents first. An attached message the converter could not read is kept as
    // a file of the message's bytes, which the reading's attached message then equals.
    let mut their_left: Vec<&PartReading> = reading.attachments.iter().collect();
    let mut our_left: Vec<(usize, &[u8])> = Vec::new();
    for (index, bytes) in ours {
        let mut crc = None;
        let same = |part: &&PartReading| {
            part.size == bytes.len() as u64
                && if part.data.is_empty() && part.size > 0 {
                    *crc.get_or_insert_with(|| crc32fast::hash(bytes)) == part.crc32
                } else {
                    part.data == bytes
                }
        };
        match their_left.iter().position(same) {
            Some(at) => {
                their_left.remove(at);
            }
            None => our_left.push((index, bytes)),
        }
    }
    if their_left
        .iter()
        .any(|part| !part.embedded && part.size > 0 && part.data.is_empty())
    {
        return Err(NeedsPartBytes);
    }

    // What is left: the same part read shorter by one side, or a part only one side found.
    // Attached messages are converted into messages of their own, not compared as bytes.
    let mut replace: Vec<(usize, &PartReading)> = Vec::new();
    let mut add: Vec<&PartReading> = Vec::new();
    for part in their_left.into_iter().filter(|p| !p.embedded) {
        let trusted = part.whole && part.clean;
        let shorter = our_left.iter().position(|(_, bytes)| {
            (bytes.len() as u64) < part.size && part.data.starts_with(bytes)
        });
        if let Some(at) = shorter {
            let (index, bytes) = our_left.remove(at);
            let ours = bytes.len();
            if trusted {
                replace.push((index, part));
                warnings.push(format!(
                    "{}: the converter read {ours} bytes of it, the second reading {}; the {} \
                     bytes were kept",
                    describe(part),
                    part.size,
                    part.size
                ));
            } else {
                warnings.push(format!(
                    "{}: the converter read {ours} bytes of it, the second reading {}, which \
                     cannot be trusted ({}); the {ours} bytes were kept",
                    describe(part),
                    part.size,
                    why_untrusted(part)
                ));
            }
        } else if part.mime_type.starts_with("text/") {
            // A text part the converter may have read as body text: not added twice, only said.
            warnings.push(format!(
                "{}: the second reading sees it as an attachment of {} bytes, the converter \
                 does not",
                describe(part),
                part.size
            ));
        } else if trusted && part.size > 0 {
            add.push(part);
            warnings.push(format!(
                "{}: only the second reading found this attachment ({} bytes); it was added",
                describe(part),
                part.size
            ));
        } else if part.size > 0 {
            warnings.push(format!(
                "{}: only the second reading found this attachment ({} bytes), which cannot be \
                 trusted ({}); it was not added",
                describe(part),
                part.size,
                why_untrusted(part)
            ));
        }
        if !part.whole && reading.cut_short.is_none() {
            warnings.push(format!("{}: cut short", describe(part)));
        }
    }
    for (index, bytes) in our_left {
        let name = converted
            .message
            .attachments
            .get(index)
            .and_then(|a| a.filename.as_deref())
            .unwrap_or("(no name)");
        warnings.push(format!(
            "attachment {name:?} ({} bytes): the second reading does not see it; kept as \
             converted",
            bytes.len()
        ));
    }

    for (index, part) in replace {
        if let Some(attachment) = converted.message.attachments.get_mut(index) {
            attachment.content = AttachmentContent::Data(part.data.clone());
        }
    }
    for part in add {
        converted.message.attachments.push(Attachment {
            filename: Some(
                part.name
                    .clone()
                    .unwrap_or_else(|| format!("part-{}", part.place)),
            ),
            mime_type: Some(part.mime_type.clone()),
            content_id: None,
            content_location: None,
            hidden: false,
            content: AttachmentContent::Data(part.data.clone()),
        });
    }
    for warning in warnings {
        if !converted.warnings.contains(&warning) {
            converted.warnings.push(warning);
        }
    }
    Ok(())
}

fn describe(part: &PartReading) -> String {
    match &part.name {
        Some(name) => format!("MIME part {} ({} {name:?})", part.place, part.mime_type),
        None => format!("MIME part {} ({})", part.place, part.mime_type),
    }
}

fn why_untrusted(part: &PartReading) -> &'static str {
    if !part.whole {
        "the part is cut short"
    } else {
        "its transfer encoding is broken"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst;

    fn converted(attachments: Vec<&[u8]>) -> Converted {
        Converted {
            message: pst::Message {
                attachments: attachments
                    .into_iter()
                    .map(|bytes| Attachment {
                        filename: Some("a.bin".to_owned()),
                        mime_type: Some("application/octet-stream".to_owned()),
                        content_id: None,
                        content_location: None,
                        hidden: false,
                        content: AttachmentContent::Data(bytes.to_vec()),
                    })
                    .collect(),
                ..pst::Message::default()
            },
            warnings: Vec::new(),
            degraded: false,
        }
    }

    fn part(data: &[u8], whole: bool, clean: bool) -> PartReading {
        PartReading {
            place: "2".to_owned(),
            name: Some("a.bin".to_owned()),
            mime_type: "application/octet-stream".to_owned(),
            embedded: false,
            size: data.len() as u64,
            hash: [0; 16],
            crc32: 0,
            whole,
            clean,
            data: data.to_vec(),
        }
    }

    fn reading(parts: Vec<PartReading>) -> IndependentReading {
        IndependentReading {
            attachments: parts,
            ..IndependentReading::default()
        }
    }

    fn data(converted: &Converted) -> Vec<Vec<u8>> {
        converted
            .message
            .attachments
            .iter()
            .map(|a| match &a.content {
                AttachmentContent::Data(bytes) => bytes.clone(),
                AttachmentContent::Message(_) | AttachmentContent::Streamed(_) => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn agreeing_readings_change_nothing() {
        let mut ours = converted(vec![b"abc"]);
        consult(&mut ours, &reading(vec![part(b"abc", true, true)])).unwrap();
        assert_eq!(ours, converted(vec![b"abc"]));
    }

    #[test]
    fn a_fuller_trusted_reading_is_kept() {
        let mut ours = converted(vec![b""]);
        consult(&mut ours, &reading(vec![part(b"abcdef", true, true)])).unwrap();
        assert_eq!(data(&ours), [b"abcdef".to_vec()]);
        assert!(
            ours.warnings[0].contains("the 6 bytes were kept"),
            "{:?}",
            ours.warnings
        );
    }

    #[test]
    fn a_fuller_reading_that_cannot_be_trusted_is_only_reported() {
        for (whole, clean, why) in [
            (false, true, "cut short"),
            (true, false, "transfer encoding is broken"),
        ] {
            let mut ours = converted(vec![b"ab"]);
            consult(&mut ours, &reading(vec![part(b"abcdef", whole, clean)])).unwrap();
            assert_eq!(data(&ours), [b"ab".to_vec()]);
            assert!(
                ours.warnings
                    .iter()
                    .any(|w| w.contains(why) && w.contains("2 bytes were kept")),
                "{:?}",
                ours.warnings
            );
        }
    }

    #[test]
    fn a_file_only_the_reading_sees_is_added_when_trusted() {
        let mut ours = converted(vec![]);
        consult(&mut ours, &reading(vec![part(b"pdf", true, true)])).unwrap();
        assert_eq!(data(&ours), [b"pdf".to_vec()]);
        assert!(ours.warnings[0].contains("it was added"));

        let mut ours = converted(vec![]);
        consult(&mut ours, &reading(vec![part(b"pdf", true, false)])).unwrap();
        assert!(ours.message.attachments.is_empty());
        assert!(ours.warnings[0].contains("it was not added"));
    }

    #[test]
    fn a_text_part_only_the_reading_sees_is_reported_not_added() {
        let mut ours = converted(vec![]);
        let mut text = part(b"hello", true, true);
        text.mime_type = "text/plain".to_owned();
        consult(&mut ours, &reading(vec![text])).unwrap();
        assert!(ours.message.attachments.is_empty());
        assert!(ours.warnings[0].contains("the converter does not"));
    }

    #[test]
    fn an_attachment_only_the_converter_sees_is_kept_and_reported() {
        let mut ours = converted(vec![b"xyz"]);
        consult(&mut ours, &reading(vec![])).unwrap();
        assert_eq!(data(&ours), [b"xyz".to_vec()]);
        assert!(ours.warnings[0].contains("the second reading does not see it"));
    }

    #[test]
    fn a_message_cut_short_is_said_to_be_truncated() {
        let mut ours = converted(vec![b"abc"]);
        let mut second = reading(vec![part(b"abc", false, true)]);
        second.cut_short = Some("2".to_owned());
        consult(&mut ours, &second).unwrap();
        assert_eq!(data(&ours), [b"abc".to_vec()]);
        assert_eq!(ours.warnings.len(), 1, "{:?}", ours.warnings);
        assert!(ours.warnings[0].contains("appears truncated: MIME part 2"));
    }

    /// A part as the engine's reading keeps it: size and hash, no bytes.
    fn digest_only(data: &[u8]) -> PartReading {
        PartReading {
            hash: crate::model::content_hash(data),
            crc32: crc32fast::hash(data),
            data: Vec::new(),
            ..part(data, true, true)
        }
    }

    #[test]
    fn a_reading_without_bytes_pairs_by_size_and_crc() {
        let mut ours = converted(vec![b"abc", b"xyz"]);
        let second = reading(vec![digest_only(b"xyz"), digest_only(b"abc")]);
        consult(&mut ours, &second).unwrap();
        assert_eq!(ours, converted(vec![b"abc", b"xyz"]));
    }

    #[test]
    fn a_reading_without_bytes_that_disagrees_asks_for_them_and_changes_nothing() {
        for (ours, theirs) in [(&b"ab"[..], &b"abcdef"[..]), (b"abd", b"abc")] {
            let mut converted_ours = converted(vec![ours]);
            let second = reading(vec![digest_only(theirs)]);
            assert_eq!(consult(&mut converted_ours, &second), Err(NeedsPartBytes));
            assert_eq!(converted_ours, converted(vec![ours]));
        }
        // With the bytes, the same disagreement is decided.
        let mut ours = converted(vec![b"ab"]);
        consult(&mut ours, &reading(vec![part(b"abcdef", true, true)])).unwrap();
        assert_eq!(data(&ours), [b"abcdef".to_vec()]);
    }
}
