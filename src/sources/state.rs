//! The state a mail client wrote into a message's own headers, for messages read outside the
//! client's store: loose mbox files and `.eml` files (the profile and library readers have
//! better sources and do not use this).
//!
//! Two families of headers say whether a message was read, answered, flagged or deleted:
//!
//! * Thunderbird's `X-Mozilla-Status`, `X-Mozilla-Status2` and `X-Mozilla-Keys`, in every
//!   message it stores and kept by its exports (ImportExportTools NG, "Save As… .eml"). They are
//!   decoded and applied by the Thunderbird reader's own code ([`mozilla::loose_message`]):
//!   read, replied, forwarded, starred; an expunged or IMAP-deleted copy is left out as
//!   deleted; tags become categories where their names are known without the profile
//!   (`$label1`–`$label5`: Important, Work, Personal, To Do, Later).
//! * `Status:` and `X-Status:`, written by mutt, Pine/Alpine (UW c-client), Mail::Box, GNU
//!   Mailutils, Evolution and Apple Mail's mbox exports: `R` read, `O` old (listed before, not
//!   read: unread), `A` answered, `F` flagged, `T` draft, `D` (Mailutils: `d`) deleted. Most
//!   clients put `R`/`O` in `Status` and the rest in `X-Status`; GNU Mailutils puts them all
//!   in `Status`, so the letters of both count. A header holding anything but these letters
//!   (`Status: 4.2.2` of a delivery report) is not a state header. c-client and Mailutils keep a
//!   message marked deleted in the file until the mailbox is expunged, showing it struck out;
//!   such a copy is left out as deleted by "the mail client".
//!
//! When both families are there and disagree, `X-Mozilla-Status` decides alone: Thunderbird
//! rewrites it in place whenever the state changes, while `Status`/`X-Status` are what an
//! earlier client (often the delivery agent) wrote and Thunderbird never updates them;
//! Thunderbird itself reads `Status` only for a message without `X-Mozilla-Status`. Only the
//! first occurrence of each header counts (a forwarded message can carry a foreign one
//! further down). A message with none of these headers is unread and unflagged.

use std::borrow::Cow;

use crate::model::{Found, MessageFlags, RawMessage, SkipReason};
use crate::sources::mozilla::{self, status::MozillaStatus};

/// Who deleted a message marked `D` in `X-Status`: the header does not say which client.
pub const STATUS_CLIENT: &str = "the mail client";

/// How much of a large message is read for its state headers.
const LARGE_HEAD_LEN: u64 = 64 * 1024;

/// Applies the state in `raw`'s headers (see the module docs): the message with its flags and
/// categories, or a skipped item when the client had deleted it.
pub fn apply(raw: RawMessage) -> Found {
    // A large message is left in its file: its header is read from there.
    let head = match &raw.large {
        Some(span) => match span.head(LARGE_HEAD_LEN) {
            Ok(head) => Cow::Owned(head),
            Err(error) => {
                return Found::Skipped {
                    origin: raw.origin.clone(),
                    reason: SkipReason::Unreadable(format!(
                        "cannot read the message again: {error}"
                    )),
                };
            }
        },
        None => Cow::Borrowed(&raw.bytes[..]),
    };
    let mozilla = MozillaStatus::from_headers(&head);
    let (flags, deleted) = status_flags(&head);
    drop(head);
    if let Some(bits) = mozilla.flags {
        return mozilla::loose_message(raw, bits, &mozilla.keys);
    }
    if deleted {
        return Found::Skipped {
            origin: raw.origin,
            reason: SkipReason::DeletedInSource(STATUS_CLIENT.to_owned()),
        };
    }
    let mut raw = raw;
    raw.flags = flags;
    Found::Message(raw)
}

/// Letters a state header holds; one with anything else is not a state header.
const STATE_LETTERS: &[u8] = b"ROAFTDd";

/// The read, replied, flagged and draft state that the letters of `Status:` and `X-Status:`
/// give (`R` read, `O` old, `A` answered, `F` flagged, `T` draft), and whether they mark the
/// message deleted (`D`, `d`).
pub fn status_flags(message: &[u8]) -> (MessageFlags, bool) {
    let mut letters = Vec::new();
    for name in [&b"status"[..], b"x-status"] {
        if let Some(value) = header_value(message, name)
            && value
                .iter()
                .all(|b| STATE_LETTERS.contains(b) || b.is_ascii_whitespace())
        {
            letters.extend_from_slice(value);
        }
    }
    let has = |letter: u8| letters.contains(&letter);
    let flags = MessageFlags {
        read: has(b'R'),
        replied: has(b'A'),
        forwarded: false,
        flagged: has(b'F'),
        draft: has(b'T'),
    };
    (flags, has(b'D') || has(b'd'))
}

/// The raw value of the first header field named `name` (lower case), from the first line of
/// that field only. Looks at the header block only.
fn header_value<'a>(message: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    for line in message.split(|&b| b == b'\n') {
        if line.is_empty() || line == b"\r" {
            return None;
        }
        if let Some(head) = line.get(..name.len())
            && head.eq_ignore_ascii_case(name)
            && line.get(name.len()) == Some(&b':')
        {
            return Some(line[name.len() + 1..].trim_ascii());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FolderPath, Origin};

    fn raw(bytes: &[u8]) -> RawMessage {
        let mut raw = RawMessage::new(
            FolderPath::new(["x"]),
            bytes.to_vec(),
            Origin::File {
                path: "x.eml".into(),
            },
        );
        raw.received = Some(42);
        raw
    }

    fn live(found: Found) -> RawMessage {
        match found {
            Found::Message(message) => message,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn status_headers_become_flags() {
        let (flags, deleted) =
            status_flags(b"Subject: x\nStatus: RO\nX-Status: AF\n\nStatus: body\n");
        assert!(flags.read && flags.replied && flags.flagged && !flags.draft && !deleted);
        let (flags, _) = status_flags(b"Subject: x\r\nStatus: O\r\n\r\n");
        assert!(!flags.read);
        assert_eq!(
            status_flags(b"Subject: x\n\nStatus: R\nX-Status: D\n"),
            (MessageFlags::default(), false)
        );
        let (flags, deleted) = status_flags(b"x-status: TD\nstatus: R\n\n");
        assert!(flags.draft && flags.read && deleted);
        // GNU Mailutils keeps every letter in Status.
        let (flags, deleted) = status_flags(b"Status: ORAF\n\n");
        assert!(flags.read && flags.replied && flags.flagged && !deleted);
        assert!(status_flags(b"Status: Od\n\n").1);
        // A delivery status is no state.
        assert_eq!(
            status_flags(b"Status: 4.2.2 Delivered\nX-Status: A\n\n"),
            (
                MessageFlags {
                    replied: true,
                    ..MessageFlags::default()
                },
                false
            )
        );
    }

    #[test]
    fn x_mozilla_status_decides_when_the_families_disagree() {
        // Delivered as read by mutt, then marked unread and starred in Thunderbird.
        let found = apply(raw(
            b"X-Mozilla-Status: 0004\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys: $label4 junk\n\
              Status: RO\nX-Status: A\nSubject: x\n\nbody\n",
        ));
        let message = live(found);
        assert!(!message.flags.read && message.flags.flagged && !message.flags.replied);
        assert_eq!(message.keywords, ["To Do"]);
        assert_eq!(message.received, Some(42));

        // The other way round: Status says nothing about deletion, Thunderbird expunged it.
        let found = apply(raw(b"X-Mozilla-Status: 0009\nStatus: RO\n\nbody\n"));
        assert!(matches!(
            found,
            Found::Skipped { reason: SkipReason::DeletedInSource(client), .. } if client == "Thunderbird"
        ));
        // And X-Status D does not delete what Thunderbird shows.
        let found = apply(raw(b"X-Mozilla-Status: 0001\nX-Status: D\n\nbody\n"));
        assert!(live(found).flags.read);
    }

    #[test]
    fn status_alone_and_no_headers_at_all() {
        let message = live(apply(raw(b"Status: RO\nX-Status: AFT\n\nbody\n")));
        assert!(message.flags.read && message.flags.replied && message.flags.flagged);
        assert!(message.flags.draft);
        assert!(message.keywords.is_empty());
        assert!(matches!(
            apply(raw(b"Status: RO\nX-Status: D\n\nbody\n")),
            Found::Skipped { reason: SkipReason::DeletedInSource(client), .. } if client == STATUS_CLIENT
        ));
        let plain = raw(b"Subject: x\n\nStatus: RO\n");
        assert_eq!(live(apply(plain.clone())), plain);
    }

    /// `bytes` as a large message: in a file of its own, read from there.
    fn large(bytes: &[u8]) -> RawMessage {
        use std::io::Write as _;
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        let span = crate::model::FileSpan::new(std::sync::Arc::new(file), 0, bytes.len() as u64);
        let origin = Origin::File {
            path: "large.eml".into(),
        };
        RawMessage::large(FolderPath::new(["x"]), span, origin)
    }

    #[test]
    fn a_large_messages_state_is_read_from_its_file_and_it_stays_there() {
        let message = live(apply(large(
            b"Subject: x\nStatus: RO\nX-Status: F\n\nbody\n",
        )));
        assert!(message.flags.read && message.flags.flagged);
        assert!(message.large.is_some() && message.bytes.is_empty());

        let message = live(apply(large(
            b"X-Mozilla-Status: 0001\nX-Mozilla-Keys: $label1\n\nbody\n",
        )));
        assert!(message.flags.read);
        assert_eq!(message.keywords, ["Important"]);
        assert!(message.large.is_some() && message.bytes.is_empty());

        let found = apply(large(b"X-Mozilla-Status: 0009\n\nbody\n"));
        assert!(
            matches!(
                found,
                Found::Skipped {
                    reason: SkipReason::DeletedInSource(_),
                    ..
                }
            ),
            "{found:?}"
        );
    }
}
