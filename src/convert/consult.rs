//! The conversion checked against the independent reading of the same message (see the policy
//! in this module's parent): attachments the two readings do not see alike.

use super::Converted;
use crate::model::{IndependentReading, PartReading};
use crate::pst::{Attachment, AttachmentContent};

/// Compares the attachments of `converted` with those of `reading` and applies the policy:
/// where the reading holds more and its content can be trusted, the converted message takes
/// it; every disagreement and every part cut short is a warning.
pub fn consult(converted: &mut Converted, reading: &IndependentReading) {
    let mut warnings = Vec::new();
    if let Some(place) = &reading.cut_short {
        warnings.push(format!(
            "the message appears truncated: MIME part {place} ends without its closing \
             boundary, as when a mailbox or file ends in the middle of a message; what there is \
             was written"
        ));
    }
    // Files only: an attached message is converted into a message of its own, with no bytes to
    // compare.
    let ours: Vec<(usize, &[u8])> = converted
        .message
        .attachments
        .iter()
        .enumerate()
        .filter_map(|(index, a)| match &a.content {
            AttachmentContent::Data(bytes) => Some((index, bytes.as_slice())),
            AttachmentContent::Message(_) => None,
        })
        .collect();

    // Pair equal contents first. An attached message the converter could not read is kept as
    // a file of the message's bytes, which the reading's attached message then equals.
    let mut their_left: Vec<&PartReading> = reading.attachments.iter().collect();
    let mut our_left: Vec<(usize, &[u8])> = Vec::new();
    for (index, bytes) in ours {
        match their_left
            .iter()
            .position(|p| p.size == bytes.len() as u64 && p.data == bytes)
        {
            Some(at) => {
                their_left.remove(at);
            }
            None => our_left.push((index, bytes)),
        }
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
