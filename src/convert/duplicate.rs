//! Telling a copy of a message from a different message, for the job's "skip duplicates"
//! option: two stored messages are the same when they have the same Message-ID and the same
//! content, where content leaves out what differs between copies in different stores.

use std::io::Read as _;

use sha2::{Digest as _, Sha256};

use super::framing::{self, Framing};
use crate::model::{FileSpan, RawMessage};

/// Header fields a store or client adds to its own copy, which say nothing about the message:
/// status bits, tags, IMAP ids, and mbox length fields.
const STORE_FIELDS: [&str; 11] = [
    "X-Mozilla-Status",
    "X-Mozilla-Status2",
    "X-Mozilla-Keys",
    "Status",
    "X-Status",
    "X-Keywords",
    "X-UID",
    "X-IMAP",
    "X-IMAPbase",
    "Content-Length",
    "Lines",
];

/// What makes two stored messages the same message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DuplicateKey {
    /// The Message-ID with its angle brackets, if the message has one.
    pub message_id: Option<String>,
    /// [`content_hash`] of the message.
    pub content_hash: [u8; 32],
}

/// The key under which the engine recognises a message it has already written. Cheap: no MIME
/// parsing.
pub fn duplicate_key(raw: &RawMessage) -> DuplicateKey {
    if let Some(span) = &raw.large {
        return large_key(span);
    }
    DuplicateKey {
        message_id: message_id(&raw.bytes),
        content_hash: content_hash(&raw.bytes),
    }
}

/// How much of a large message is read for its header.
const LARGE_HEAD: u64 = 1024 * 1024;

/// [`duplicate_key`] of a large message, read a buffer at a time: the same key as if it were
/// held in memory. A message that cannot be read again gets a key nothing else has.
fn large_key(span: &FileSpan) -> DuplicateKey {
    let key = || -> std::io::Result<DuplicateKey> {
        let head = span.head(LARGE_HEAD)?;
        let framing = Framing::of(&head);
        let mut hash = Sha256::new();
        hash_header(&mut hash, framing.header);
        let header_end = head.len() - framing.message.len() + framing.header.len();
        let mut reader = span.reader();
        std::io::copy(
            &mut (&mut reader).take(header_end as u64),
            &mut std::io::sink(),
        )?;
        let mut body = BodyHash {
            hash: &mut hash,
            white: Vec::new(),
        };
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = reader.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            body.put(&buffer[..read]);
        }
        Ok(DuplicateKey {
            message_id: message_id(&head),
            content_hash: hash.finalize().into(),
        })
    };
    key().unwrap_or_else(|_| {
        let mut unique = [0u8; 32];
        let _ = getrandom::fill(&mut unique);
        DuplicateKey {
            message_id: None,
            content_hash: unique,
        }
    })
}

/// Hashes a body as [`content_hash`] does, as it comes: CRLF as LF, and white space at the
/// end left out (held back until something else follows it).
struct BodyHash<'h> {
    hash: &'h mut Sha256,
    white: Vec<u8>,
}

impl BodyHash<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let mut at = 0;
        while at < bytes.len() {
            let white_end = bytes[at..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .map_or(bytes.len(), |len| at + len);
            self.white.extend_from_slice(&bytes[at..white_end]);
            at = white_end;
            if at == bytes.len() {
                break;
            }
            // Something follows the white space: it is not at the end, it counts.
            hash_lines(self.hash, &self.white);
            self.white.clear();
            let text_end = bytes[at..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(bytes.len(), |len| at + len);
            self.hash.update(&bytes[at..text_end]);
            at = text_end;
        }
    }
}

/// SHA-256 of a message without what differs between copies of it: a leading mbox separator
/// line or byte-order mark, the store fields above, CRLF versus LF line ends, and blank lines at
/// the end.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
    let framing = Framing::of(bytes);
    let mut hash = Sha256::new();
    hash_header(&mut hash, framing.header);
    let body = &framing.message[framing.header.len()..];
    let end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |at| at + 1);
    hash_lines(&mut hash, &body[..end]);
    hash.finalize().into()
}

/// The header's part of [`content_hash`]: its fields but the store's own, then a line end.
fn hash_header(hash: &mut Sha256, header: &[u8]) {
    for field in framing::header_fields(header) {
        let is_store_field = framing::field_name(field).is_some_and(|name| {
            STORE_FIELDS
                .iter()
                .any(|f| f.as_bytes().eq_ignore_ascii_case(name))
        });
        if !is_store_field {
            hash_lines(hash, field);
        }
    }
    hash.update(b"\n");
}

/// Feeds bytes to the hash with every CRLF as LF.
fn hash_lines(hash: &mut Sha256, bytes: &[u8]) {
    let mut start = 0;
    while start < bytes.len() {
        let end = framing::line_end(bytes, start);
        let line = &bytes[start..end];
        match line.strip_suffix(b"\r\n") {
            Some(content) => {
                hash.update(content);
                hash.update(b"\n");
            }
            None => hash.update(line),
        }
        start = end;
    }
}

/// The first Message-ID field's id, in angle brackets; found by scanning the header, not parsing.
fn message_id(bytes: &[u8]) -> Option<String> {
    let framing = Framing::of(bytes);
    let field = framing::header_fields(framing.header)
        .into_iter()
        .find(|field| {
            framing::field_name(field).is_some_and(|n| n.eq_ignore_ascii_case(b"Message-ID"))
        })?;
    let colon = field.iter().position(|&b| b == b':')?;
    let value = String::from_utf8_lossy(&field[colon + 1..]);
    let value = value.trim();
    let id = match (value.find('<'), value.find('>')) {
        (Some(open), Some(close)) if open < close => value[open + 1..close].trim(),
        _ => value,
    };
    let id: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    (!id.is_empty()).then(|| format!("<{id}>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FolderPath, Origin};

    fn raw(bytes: &[u8]) -> RawMessage {
        RawMessage::new(
            FolderPath::root(),
            bytes.to_vec(),
            Origin::File {
                path: "x.eml".into(),
            },
        )
    }

    #[test]
    fn copies_in_different_stores_have_the_same_key() {
        let plain = b"Message-ID: <a@b>\nSubject: s\n\nbody\n";
        let thunderbird = b"From - Tue Oct 02 00:26:47 2007\r\nX-Mozilla-Status: 0001\r\nX-Mozilla-Status2: 00000000\r\nMessage-ID: <a@b>\r\nSubject: s\r\n\r\nbody\r\n\r\n";
        assert_eq!(duplicate_key(&raw(plain)), duplicate_key(&raw(thunderbird)));
        assert_eq!(
            duplicate_key(&raw(plain)).message_id.as_deref(),
            Some("<a@b>")
        );
    }

    #[test]
    fn different_content_under_one_message_id_is_not_a_duplicate() {
        let one = duplicate_key(&raw(b"Message-ID: <a@b>\nSubject: s\n\nbody\n"));
        let other = duplicate_key(&raw(b"Message-ID: <a@b>\nSubject: s\n\nother body\n"));
        assert_eq!(one.message_id, other.message_id);
        assert_ne!(one, other);
    }

    #[test]
    fn message_ids_are_found_in_odd_forms() {
        assert_eq!(
            message_id(b"message-id:\n  <x@y> (comment)\n\n"),
            Some("<x@y>".to_owned())
        );
        assert_eq!(
            message_id(b"Message-Id: bare@id\n\n"),
            Some("<bare@id>".to_owned())
        );
        assert_eq!(message_id(b"Subject: none\n\n"), None);
    }
}
