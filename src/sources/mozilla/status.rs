//! The state Thunderbird writes into each stored message: `X-Mozilla-Status` (low 16 flag
//! bits, exactly four hex digits), `X-Mozilla-Status2` (high bits) and `X-Mozilla-Keys` (tag
//! keys). Thunderbird puts them at the top of the headers; only the first occurrence counts,
//! because a message can carry a foreign copy from the sender's client further down.
//! Bit values: `mailnews/base/public/nsMsgMessageFlags.idl`.

use crate::model::MessageFlags;

pub const READ: u32 = 0x0001;
pub const REPLIED: u32 = 0x0002;
pub const MARKED: u32 = 0x0004;
/// Deleted, but the folder was not compacted yet: the bytes are still in the mbox.
pub const EXPUNGED: u32 = 0x0008;
/// Only the first part was downloaded from a POP server.
pub const PARTIAL: u32 = 0x0400;
pub const FORWARDED: u32 = 0x1000;
/// Marked deleted on the IMAP server.
pub const IMAP_DELETED: u32 = 0x0020_0000;
/// The legacy label number (1-7) in bits 25-27.
const LABELS: u32 = 0x0E00_0000;

/// What the X-Mozilla headers of one message say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MozillaStatus {
    /// The flag bits (Status in the low half, Status2 in the high half); None when the
    /// message has no usable `X-Mozilla-Status`.
    pub flags: Option<u32>,
    /// Tag keys from `X-Mozilla-Keys`.
    pub keys: Vec<String>,
}

impl MozillaStatus {
    /// Reads the headers of a message (the bytes after any mbox `From ` line). Stops at the
    /// first empty line.
    pub fn from_headers(message: &[u8]) -> MozillaStatus {
        let mut status: Option<u32> = None;
        let mut status2: Option<u32> = None;
        let mut keys: Option<Vec<String>> = None;
        for line in header_lines(message) {
            let Some((name, value)) = split_header(line) else {
                continue;
            };
            if name.eq_ignore_ascii_case(b"X-Mozilla-Status") {
                if status.is_none() {
                    status = Some(parse_status(value).unwrap_or(u32::MAX));
                }
            } else if name.eq_ignore_ascii_case(b"X-Mozilla-Status2") {
                if status2.is_none() {
                    status2 = Some(parse_status2(value).unwrap_or(u32::MAX));
                }
            } else if name.eq_ignore_ascii_case(b"X-Mozilla-Keys") && keys.is_none() {
                keys = Some(
                    String::from_utf8_lossy(value)
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect(),
                );
            }
        }
        // u32::MAX marks a first occurrence that was not valid: it is not replaced by a later
        // one (that would be somebody else's), it just counts as absent.
        let status = status.filter(|&bits| bits != u32::MAX);
        let status2 = status2.filter(|&bits| bits != u32::MAX);
        MozillaStatus {
            flags: status.map(|low| low | status2.unwrap_or(0)),
            keys: keys.unwrap_or_default(),
        }
    }

    /// True when Thunderbird had deleted the message (expunged, or deleted on the IMAP server).
    pub fn is_deleted(&self) -> bool {
        self.flags.is_some_and(is_deleted)
    }
}

/// True when the flags say the message is deleted (expunged or IMAP-deleted).
pub fn is_deleted(flags: u32) -> bool {
    flags & (EXPUNGED | IMAP_DELETED) != 0
}

/// The app's message flags from Thunderbird's. Drafts are a folder, not a flag; the caller
/// sets `draft`.
pub fn message_flags(flags: u32) -> MessageFlags {
    MessageFlags {
        read: flags & READ != 0,
        replied: flags & REPLIED != 0,
        forwarded: flags & FORWARDED != 0,
        flagged: flags & MARKED != 0,
        draft: false,
    }
}

/// The legacy label of old versions (`$label1` … `$label7`), if the flags carry one.
pub fn legacy_label(flags: u32) -> Option<String> {
    let label = (flags & LABELS) >> 25;
    (label != 0).then(|| format!("$label{label}"))
}

/// Exactly four hex digits (Thunderbird writes `%4.4x`); padding spaces are allowed after.
fn parse_status(value: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text.len() != 4 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// Up to eight hex digits; only the high 16 bits belong to Status2.
fn parse_status2(value: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(value).ok()?.trim();
    if text.is_empty() || text.len() > 8 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16)
        .ok()
        .map(|bits| bits & 0xFFFF_0000)
}

/// The header lines of a message (continuation lines are not joined; the X-Mozilla headers
/// are single lines), up to the first empty line.
fn header_lines(message: &[u8]) -> impl Iterator<Item = &[u8]> {
    message
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
}

fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&byte| byte == b':')?;
    let (name, rest) = line.split_at(colon);
    let value = rest.get(1..)?;
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_status_and_keys_only() {
        let message = b"X-Account-Key: account1\r\nX-Mozilla-Status: 0005\r\nX-Mozilla-Status2: 10000000\r\nX-Mozilla-Keys: $label1 r=c3=a9union=20client     \r\nFrom: a@b\r\nX-Mozilla-Status: 0008\r\n\r\nX-Mozilla-Status: 0008\r\n";
        let status = MozillaStatus::from_headers(message);
        assert_eq!(status.flags, Some(0x1000_0005));
        assert_eq!(status.keys, vec!["$label1", "r=c3=a9union=20client"]);
        assert!(!status.is_deleted());
        let flags = message_flags(status.flags.unwrap());
        assert!(flags.read && flags.flagged && !flags.replied && !flags.forwarded);
    }

    #[test]
    fn a_status_that_is_not_four_hex_digits_is_ignored_not_replaced() {
        let status =
            MozillaStatus::from_headers(b"X-Mozilla-Status: 1\nX-Mozilla-Status: 0008\n\n");
        assert_eq!(status.flags, None);
        let status = MozillaStatus::from_headers(b"x-mozilla-status: 0009\n\n");
        assert_eq!(status.flags, Some(9));
        assert!(status.is_deleted());
    }

    #[test]
    fn headers_stop_at_the_first_empty_line() {
        let status = MozillaStatus::from_headers(b"Subject: x\n\nX-Mozilla-Status: 0001\n");
        assert_eq!(status, MozillaStatus::default());
    }

    #[test]
    fn imap_deleted_and_labels() {
        assert!(is_deleted(IMAP_DELETED));
        assert_eq!(legacy_label(0x0800_0000), Some("$label4".to_owned()));
        assert_eq!(legacy_label(0x0001), None);
        let flags = message_flags(REPLIED | FORWARDED);
        assert!(flags.replied && flags.forwarded && !flags.read);
    }
}
