//! The subject of a message as Outlook stores it: prefix, normalized subject and the
//! conversation properties derived from them ([MS-OXCMSG 2.2.1.46](https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxcmsg/053adcb5-4aa1-4028-a3ef-ef18ce19d0e0),
//! MS-OXCMAIL 2.2.3.2.6.1, MS-OXOMSG 2.2.1.3).

use sha2::{Digest as _, Sha256};

/// The longest subject we store, in UTF-16 code units; the full line stays in the transport
/// headers.
pub const MAX_SUBJECT_UNITS: usize = 255;

/// A subject split the way Outlook splits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// "RE: ", "Fwd: " ... with its separator; empty when there is none.
    pub prefix: String,
    /// What remains: the conversation topic.
    pub normalized: String,
}

impl Subject {
    /// Splits `subject` (shortened to [`MAX_SUBJECT_UNITS`]) into prefix and normalized subject.
    /// A prefix is 1 to 3 letters followed by a colon and one optional space, as in "RE: ",
    /// "AW: " or "Fwd: "; anything else (`"Re[2]: "`, `"10:30 call"`) has no prefix.
    pub fn parse(subject: &str) -> Subject {
        let subject = truncate_utf16(subject, MAX_SUBJECT_UNITS);
        let prefix_len = subject.find(':').and_then(|colon| {
            let head = &subject[..colon];
            let letters = head.chars().count();
            let is_prefix = (1..=3).contains(&letters) && head.chars().all(char::is_alphabetic);
            if !is_prefix {
                return None;
            }
            let after = colon + 1;
            Some(if subject[after..].starts_with(' ') {
                after + 1
            } else {
                after
            })
        });
        let (prefix, normalized) = subject.split_at(prefix_len.unwrap_or(0));
        Subject {
            prefix: prefix.to_owned(),
            normalized: normalized.to_owned(),
        }
    }

    /// PidTagSubject as Outlook writes it: U+0001, then a character whose value is the prefix
    /// length plus one, then prefix and normalized subject. Readers strip the two marker
    /// characters; Outlook reads the prefix length from them.
    pub fn encoded(&self) -> String {
        let prefix_units = self.prefix.encode_utf16().count();
        // The prefix is at most 3 letters, a colon and a space: the length always fits.
        let marker = char::from_u32(prefix_units as u32 + 1).unwrap_or('\u{1}');
        let mut out = String::with_capacity(2 + self.prefix.len() + self.normalized.len());
        out.push('\u{1}');
        out.push(marker);
        out.push_str(&self.prefix);
        out.push_str(&self.normalized);
        out
    }
}

/// `text` cut to at most `max_units` UTF-16 code units, never inside a character.
pub fn truncate_utf16(text: &str, max_units: usize) -> &str {
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > max_units {
            return &text[..at];
        }
    }
    text
}

/// A PidTagConversationIndex header block (MS-OXOMSG 2.2.1.3) for a message that carries none:
/// 0x01, the top 40 bits of `time` big-endian, and a GUID derived from the conversation topic,
/// so that messages of one thread share it and the same input always gives the same bytes.
pub fn conversation_index(topic: &str, time: u64) -> Vec<u8> {
    let mut index = Vec::with_capacity(22);
    index.push(0x01);
    index.extend_from_slice(&(time >> 24).to_be_bytes()[3..]);
    let digest = Sha256::new()
        .chain_update(b"conversation-topic\0")
        .chain_update(topic.trim().to_lowercase().as_bytes())
        .finalize();
    index.extend_from_slice(&digest[..16]);
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_prefix_is_split_off() {
        let s = Subject::parse("RE: Budget");
        assert_eq!(s.prefix, "RE: ");
        assert_eq!(s.normalized, "Budget");
        assert_eq!(s.encoded(), "\u{1}\u{5}RE: Budget");
    }

    #[test]
    fn three_letter_prefix_and_no_space() {
        assert_eq!(Subject::parse("Fwd: x").prefix, "Fwd: ");
        assert_eq!(Subject::parse("AW:x").prefix, "AW:");
        assert_eq!(Subject::parse("AW:x").encoded(), "\u{1}\u{4}AW:x");
    }

    #[test]
    fn no_prefix_gets_the_empty_marker() {
        for subject in [
            "Budget",
            "10:30 call",
            "Re[2]: x",
            "Meeting: today",
            ": x",
            "",
        ] {
            let s = Subject::parse(subject);
            assert_eq!(s.prefix, "", "{subject}");
            assert_eq!(s.normalized, subject);
            assert_eq!(s.encoded(), format!("\u{1}\u{1}{subject}"));
        }
    }

    #[test]
    fn only_the_first_prefix_is_split() {
        let s = Subject::parse("RE: RE: x");
        assert_eq!(s.prefix, "RE: ");
        assert_eq!(s.normalized, "RE: x");
    }

    #[test]
    fn long_subjects_are_cut_at_a_character() {
        let long = "😀".repeat(200);
        let s = Subject::parse(&long);
        assert_eq!(s.normalized.encode_utf16().count(), 254);
        assert_eq!(truncate_utf16("abc", 2), "ab");
        assert_eq!(truncate_utf16("abc", 5), "abc");
    }

    #[test]
    fn conversation_index_is_a_22_byte_header() {
        let time = 0x01D7_1234_5678_9ABC;
        let a = conversation_index("Budget", time);
        assert_eq!(a.len(), 22);
        assert_eq!(&a[..6], &[0x01, 0x01, 0xD7, 0x12, 0x34, 0x56]);
        // Same topic, same GUID; another topic, another.
        assert_eq!(&conversation_index(" budget", 0)[6..], &a[6..]);
        assert_ne!(&conversation_index("Other", time)[6..], &a[6..]);
    }
}
