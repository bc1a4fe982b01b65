//! Large base64 parts of a message held in memory, decoded before the MIME parser reads the
//! message. mail-parser decodes base64 a character at a time, and attachments are most of the
//! bytes of mail: here the body of each leaf part of [`LEAN_PART`] bytes or more is found
//! by the boundary that ends it (a vector search), stripped of its line ends and decoded by a
//! vector decoder (`base64-simd`), and replaced by a marker line, as `large` does for a message
//! too large for memory. The parser then reads a message of headers and small parts, and the
//! part whose body is a marker is given the decoded bytes.
//!
//! Text parts are cut too (a large HTML body, a log or CSV file): the parser would decode them
//! a character at a time and then copy them into a string, replacing what is not UTF-8,
//! although the conversion reads every text part from its own decoding, in its own charset.
//! Which parts are bodies and which attachments the parser tells from the part headers alone,
//! so a marker in place of a body changes none of that.
//!
//! Only what is certain is cut: a leaf part of a multipart that is not a message, whose header
//! ends with a blank line, and whose body is canonical base64 (base64 characters in lines, `=`
//! only at its end) up to a boundary of its multipart, as `large` and the parser tell
//! boundaries. Anything else (a multipart that never closes, a part header without its blank
//! line, a body with other characters, an attached message) is left to the parser, which
//! reads it as before: the decoded bytes are the same either way.

use std::sync::Mutex;

use base64_simd::{Out, STANDARD};
use memchr::memmem;

use super::framing::{self, Framing, Shape};
use super::large::{Entity, KeptData, KeptPart, KeptParts, Skeleton, delimiter_line};
use super::parts::TransferEncoding;

/// Parts whose base64 body is this large or larger are decoded here.
pub(super) const LEAN_PART: usize = 64 * 1024;

/// Base64 characters decoded at a time: what is held besides the message and its parts.
const DECODE_CHUNK: usize = 64 * 1024;

/// The message `input` with the bodies of its large base64 file parts replaced by markers, and
/// those parts decoded; `None` when it has none (or its structure is not certain enough).
pub(super) fn cut(input: &[u8]) -> Option<Skeleton> {
    cut_parts_from(input, LEAN_PART)
}

/// [`cut`], for parts whose base64 body is at least `smallest` bytes.
pub(super) fn cut_parts_from(input: &[u8], smallest: usize) -> Option<Skeleton> {
    if input.len() < smallest {
        return None;
    }
    let framing = Framing::of(input);
    if framing.shape != Shape::Normal {
        return None;
    }
    let after_header = &framing.message[framing.header.len()..];
    let blank_line = framing::line_end(after_header, 0);
    if blank_line == 0 {
        return None;
    }
    let body_start = input.len() - framing.message.len() + framing.header.len() + blank_line;
    let entity = Entity::of(&framing.parsed_header(), false);
    let boundary = entity.boundary?;
    let mut cutter = Cutter {
        input,
        smallest,
        skeleton: Vec::new(),
        copied: 0,
        kept: KeptParts::new(),
    };
    cutter.multipart(body_start, &boundary, entity.digest)?;
    if cutter.copied == 0 {
        return None;
    }
    cutter.skeleton.extend_from_slice(&input[cutter.copied..]);
    Some(Skeleton {
        bytes: cutter.skeleton,
        kept: cutter.kept,
    })
}

struct Cutter<'a> {
    input: &'a [u8],
    smallest: usize,
    /// The message up to `copied`, with the bodies cut so far replaced by markers.
    skeleton: Vec<u8>,
    copied: usize,
    kept: KeptParts,
}

/// A delimiter line of a multipart.
#[derive(Clone, Copy, Debug)]
struct Delimiter {
    start: usize,
    /// Just past its line end.
    end: usize,
    closing: bool,
}

impl Cutter<'_> {
    /// The parts of a multipart whose body starts at `body`; returns where its closing
    /// delimiter line ends. `None` when it does not close.
    fn multipart(&mut self, body: usize, boundary: &[u8], digest: bool) -> Option<usize> {
        let mut at = delimiter(self.input, body, boundary)?;
        loop {
            if at.closing {
                return Some(at.end);
            }
            let part = at.end;
            let header_end = header_end(self.input, part, boundary)?;
            let entity = Entity::of(&self.input[part..header_end], digest);
            at = match &entity.boundary {
                Some(inner) => {
                    // The inner multipart's delimiters are the only ones until it closes (as
                    // the parser reads it); this one's next comes after.
                    let inner_end = self.multipart(header_end, inner, entity.digest)?;
                    delimiter(self.input, inner_end, boundary)?
                }
                None => {
                    let next = delimiter(self.input, header_end, boundary)?;
                    if !entity.message && entity.encoding == TransferEncoding::Base64 {
                        // The line end before a boundary belongs to the boundary.
                        let end = next.start
                            - if self.input[..next.start].ends_with(b"\r\n") {
                                2
                            } else {
                                1
                            };
                        self.leaf(header_end, end.max(header_end));
                    }
                    next
                }
            };
        }
    }

    /// A base64 body from `start` to `end`: cut when large and canonical.
    fn leaf(&mut self, start: usize, end: usize) {
        let body = &self.input[start..end];
        if body.len() < self.smallest {
            return;
        }
        let Some(decoded) = decode_base64_lines(body) else {
            return;
        };
        let marker = self.kept.keep(KeptPart {
            data: KeptData::Memory {
                len: decoded.len() as u64,
                bytes: Mutex::new(decoded),
            },
            broken: false,
        });
        self.skeleton
            .extend_from_slice(&self.input[self.copied..start]);
        self.skeleton.extend_from_slice(&marker);
        self.copied = end;
    }
}

/// The first delimiter line of `boundary` (a line that starts with `--` and the boundary) at
/// or after the line start `from`.
fn delimiter(input: &[u8], from: usize, boundary: &[u8]) -> Option<Delimiter> {
    let rest = input.get(from..)?;
    let start = if delimiter_line(rest, boundary).is_some() {
        from
    } else {
        let mut needle = b"\n--".to_vec();
        needle.extend_from_slice(boundary);
        from + memmem::find(rest, &needle)? + 1
    };
    Some(Delimiter {
        start,
        end: framing::line_end(input, start),
        closing: delimiter_line(&input[start..], boundary)?,
    })
}

/// Just past the blank line that ends the part header starting at `at`; `None` when a
/// delimiter line of `boundary` or the end of the message comes first.
fn header_end(input: &[u8], at: usize, boundary: &[u8]) -> Option<usize> {
    let mut line = at;
    while line < input.len() {
        let end = framing::line_end(input, line);
        let text = &input[line..end];
        if delimiter_line(text, boundary).is_some() {
            return None;
        }
        if matches!(text, b"\n" | b"\r\n") {
            return Some(end);
        }
        line = end;
    }
    None
}

/// Base64 in lines (line ends `\n` or `\r\n`, `=` padding only at the end) decoded; `None`
/// for anything else, which the parser's decoding then reads.
fn decode_base64_lines(body: &[u8]) -> Option<Vec<u8>> {
    let mut decoder = Base64Lines {
        // As much as the body could hold; what is left over is handed back at the end (a
        // large allocation shrinks where it is).
        decoded: Vec::with_capacity(body.len() / 4 * 3),
        pending: Vec::with_capacity(DECODE_CHUNK),
        chunk: vec![0; DECODE_CHUNK / 4 * 3],
    };
    put_lines(body, |line| decoder.put(line))?;
    decoder.finish()
}

/// Gives `take` the runs of `body` between its line ends (`\r`, `\n`), stopping at the first
/// `None`. Base64 lines are nearly all of one length: a run as long as the last one, ended by a
/// line end and holding no byte up to a space, is taken without a search.
fn put_lines(body: &[u8], mut take: impl FnMut(&[u8]) -> Option<()>) -> Option<()> {
    let mut rest = body;
    let mut line = 0;
    loop {
        let end = if line > 0
            && matches!(rest.get(line), Some(b'\r' | b'\n'))
            && rest[..line]
                .iter()
                .fold(true, |plain, &b| plain & (b > b' '))
        {
            line
        } else {
            memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len())
        };
        take(&rest[..end])?;
        if end == rest.len() {
            return Some(());
        }
        if end > 0 {
            line = end;
        }
        let line_end = if rest[end..].starts_with(b"\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + line_end..];
    }
}

/// Base64 characters decoded [`DECODE_CHUNK`] at a time, however long the lines.
struct Base64Lines {
    decoded: Vec<u8>,
    /// Fewer than [`DECODE_CHUNK`] characters not decoded yet.
    pending: Vec<u8>,
    chunk: Vec<u8>,
}

impl Base64Lines {
    fn put(&mut self, mut characters: &[u8]) -> Option<()> {
        while !characters.is_empty() {
            let room = DECODE_CHUNK - self.pending.len();
            let (now, later) = characters.split_at(characters.len().min(room));
            self.pending.extend_from_slice(now);
            characters = later;
            if self.pending.len() == DECODE_CHUNK {
                self.decode()?;
            }
        }
        Some(())
    }

    /// Decodes what is pending (a whole number of groups: `DECODE_CHUNK` is one).
    fn decode(&mut self) -> Option<()> {
        let len = self.pending.len();
        if !len.is_multiple_of(4) {
            // Base64 without its padding: left to the parser.
            return None;
        }
        let out = STANDARD
            .decode(
                &self.pending,
                Out::from_slice(&mut self.chunk[..len / 4 * 3]),
            )
            .ok()?;
        self.decoded.extend_from_slice(out);
        self.pending.clear();
        Some(())
    }

    fn finish(mut self) -> Option<Vec<u8>> {
        self.decode()?;
        self.decoded.shrink_to_fit();
        Some(self.decoded)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use base64::Engine as _;

    /// `data` in base64 lines of 76 characters, each ended by `eol`.
    pub(in crate::convert) fn lines(data: &[u8], eol: &str) -> String {
        let encoded = base64::engine::general_purpose::STANDARD.encode(data);
        let mut out = String::new();
        for line in encoded.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(line).unwrap());
            out.push_str(eol);
        }
        out
    }

    /// `len` bytes that do not repeat, the same for the same `seed`.
    pub(in crate::convert) fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    }

    #[test]
    fn base64_in_lines_decodes_to_its_bytes() {
        for len in [0, 1, 2, 3, 57, 58, 100_000, 200_001] {
            let data = noise(len, 1);
            for eol in ["\n", "\r\n"] {
                let body = lines(&data, eol);
                assert_eq!(
                    decode_base64_lines(body.trim_end().as_bytes()).as_deref(),
                    Some(&data[..]),
                    "{len} {eol:?}"
                );
            }
        }
    }

    #[test]
    fn base64_in_one_long_line_or_in_lines_of_any_length_decodes() {
        use base64::engine::general_purpose::STANDARD as REFERENCE;
        let data = noise(DECODE_CHUNK * 3 + 5, 2);
        let encoded = REFERENCE.encode(&data);
        assert_eq!(
            decode_base64_lines(encoded.as_bytes()).as_deref(),
            Some(&data[..])
        );
        let mut uneven = String::new();
        for (n, piece) in encoded.as_bytes().chunks(DECODE_CHUNK / 3 + 1).enumerate() {
            uneven.push_str(std::str::from_utf8(piece).unwrap());
            uneven.push_str(if n % 2 == 0 { "\r\n" } else { "\n" });
        }
        assert_eq!(
            decode_base64_lines(uneven.as_bytes()).as_deref(),
            Some(&data[..])
        );
    }

    proptest::proptest! {
        /// Lines of one length or of many, ended by LF, CRLF, a bare CR or several: the runs
        /// taken are those between line ends, in order, as a search for each would find them.
        #[test]
        fn lines_are_the_runs_between_line_ends(
            lines in proptest::collection::vec(
                (0usize..90, proptest::sample::select(vec!["\n", "\r\n", "\r", "\r\r\n", "\n\n", ""])),
                0..30,
            ),
            stray in proptest::option::of((0usize..3_000, proptest::sample::select(b" \t\r\n\x01".to_vec()))),
        ) {
            let mut body = Vec::new();
            for (index, (len, end)) in lines.iter().enumerate() {
                body.extend((0..*len).map(|i| b"ABCDEFGHIJKLMNOPQRSTUVWXYZ+/="[(i + index) % 29]));
                body.extend_from_slice(end.as_bytes());
            }
            if let Some((at, byte)) = stray {
                let at = at.min(body.len());
                body.insert(at, byte);
            }
            let mut taken = Vec::new();
            put_lines(&body, |run| {
                if !run.is_empty() {
                    taken.push(run.to_vec());
                }
                Some(())
            });
            let expected: Vec<Vec<u8>> = body
                .split(|&b| b == b'\r' || b == b'\n')
                .filter(|run| !run.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            proptest::prop_assert_eq!(taken, expected);
        }
    }

    #[test]
    fn anything_but_canonical_base64_is_left_to_the_parser() {
        let data = noise(1000, 1);
        let body = lines(&data, "\n");
        for broken in [
            body.replacen('A', " ", 1),
            body.replacen('A', "-", 1),
            format!("{}=\n{body}", &body[..4]),
            body.trim_end().trim_end_matches('=').to_owned(),
        ] {
            assert_eq!(decode_base64_lines(broken.as_bytes()), None, "{broken:.40}");
        }
    }

    fn message(eol: &str, attachment: &[u8]) -> Vec<u8> {
        let text = [
            "From: a@example.com",
            "Subject: lean",
            "Content-Type: multipart/mixed; boundary=\"outer\"",
            "",
            "preamble",
            "--outer",
            "Content-Type: multipart/alternative; boundary=\"outer-alt\"",
            "",
            "--outer-alt",
            "Content-Type: text/plain",
            "",
            "hello",
            "--outer-alt--",
            "",
            "--outer",
            "Content-Type: application/pdf; name=\"a.pdf\"",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        .join(eol);
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(eol.as_bytes());
        bytes.extend_from_slice(lines(attachment, eol).as_bytes());
        bytes.extend_from_slice(format!("--outer--{eol}epilogue{eol}").as_bytes());
        bytes
    }

    #[test]
    fn a_large_file_part_is_cut_and_the_rest_is_kept_as_it_is() {
        let attachment = noise(LEAN_PART * 2, 1);
        for eol in ["\n", "\r\n"] {
            let input = message(eol, &attachment);
            let skeleton = cut(&input).expect("cut");
            let marker = skeleton.kept.marker(0);
            let at = memmem::find(&skeleton.bytes, &marker).expect("marker");
            let body_start = memmem::find(&input, b"base64").unwrap() + 6 + 2 * eol.len();
            assert_eq!(&skeleton.bytes[..at], &input[..body_start]);
            assert_eq!(
                &skeleton.bytes[at + marker.len()..],
                format!("{eol}--outer--{eol}epilogue{eol}").as_bytes()
            );
            let part = skeleton.kept.find(&marker).expect("kept part");
            assert_eq!(part.data.to_vec().unwrap(), attachment);
        }
    }

    #[test]
    fn small_parts_attached_messages_and_unclosed_multiparts_are_not_cut() {
        assert!(cut(&message("\n", &noise(1000, 1))).is_none(), "small");
        let unclosed = message("\n", &noise(LEAN_PART * 2, 1));
        let unclosed = &unclosed[..unclosed.len() - "--outer--\nepilogue\n".len()];
        assert!(cut(unclosed).is_none(), "unclosed");
        let with_type = |mime: &str| {
            String::from_utf8(message("\n", &noise(LEAN_PART * 2, 1)))
                .unwrap()
                .replace("application/pdf", mime)
        };
        assert!(
            cut(with_type("message/rfc822").as_bytes()).is_none(),
            "message"
        );
        assert!(cut(with_type("text/plain").as_bytes()).is_some(), "text");
    }
}
