//! Where the header block of a stored message begins and ends, decided before the MIME parser
//! sees the bytes. The parser skips header lines it does not understand and reads on to the first
//! blank line; that loses the body of a file that has no header (a digest's preamble saved on its
//! own) and of a header that is never ended by a blank line. Both are found here and repaired.

use std::borrow::Cow;

/// The shape of a message's header block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// A header block ended by a blank line (or a message that is only a header). The block may
    /// be empty when the message starts with a blank line.
    Normal,
    /// The first line is not a header field and no field comes before the first blank line:
    /// the whole message is body.
    NoHeader,
    /// The header is not ended by a blank line: it ends at the first line that is neither a field
    /// nor a folded continuation, and the rest is body. `body_start` is that line's offset.
    Unterminated { body_start: usize },
}

/// A stored message split into what the MIME parser needs and what the report should know.
#[derive(Debug)]
pub(super) struct Framing<'a> {
    /// The message without a byte-order mark or a leading mbox `From ` line.
    pub message: &'a [u8],
    /// The mbox `From ` line that preceded the message (without its line end), if any.
    pub from_line: Option<&'a [u8]>,
    /// The header block: from the start of `message` up to the blank line that ends it (not
    /// included), or up to the body for an unterminated header. Empty when there is none.
    pub header: &'a [u8],
    pub shape: Shape,
    /// Lines inside the header block that are neither fields nor continuations, as
    /// (1-based line number, text), for the report.
    pub stray_lines: Vec<(usize, &'a [u8])>,
    pub had_bom: bool,
    /// The header's Content-Type fields after the first, as ranges of `message`, left out of
    /// the parser's input: RFC 2045 allows one, and where a message has several, mail clients
    /// and Python's `email` follow the first, while the MIME parser would follow the last (and
    /// show a multipart message as its raw text).
    pub later_content_types: Vec<std::ops::Range<usize>>,
}

impl<'a> Framing<'a> {
    /// Finds the header block of `bytes`.
    pub fn of(bytes: &'a [u8]) -> Framing<'a> {
        let (had_bom, mut message) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (true, rest),
            None => (false, bytes),
        };
        let mut from_line = None;
        if message.starts_with(b"From ") && !is_field_line(first_line(message)) {
            from_line = Some(first_line(message));
            message = message.get(line_end(message, 0)..).unwrap_or_default();
        }

        let mut stray_lines = Vec::new();
        let mut seen_field = false;
        let mut at = 0;
        let mut line_number = 0;
        // The first line that is not a field or continuation, in case no blank line follows.
        let mut first_stray: Option<usize> = None;
        // The start of the lines that are not fields after the last field.
        let mut trailing_stray: Option<usize> = None;
        let (header_end, shape) = loop {
            if at >= message.len() {
                // The message ended inside the header block: no blank line anywhere.
                break match first_stray {
                    Some(start) if seen_field && start > 0 => {
                        (start, Shape::Unterminated { body_start: start })
                    }
                    Some(_) => (0, Shape::NoHeader),
                    None => (message.len(), Shape::Normal),
                };
            }
            line_number += 1;
            let next = line_end(message, at);
            let line = trim_line_end(&message[at..next]);
            if line.is_empty() {
                if !seen_field && first_stray.is_some() {
                    // Text before the first blank line, but no field at all: it is body.
                    break (0, Shape::NoHeader);
                }
                // Text after the last field with only white space after the blank line: the
                // blank line is not where the header ends, the text is the body.
                if let Some(start) = trailing_stray
                    && message[next..].iter().all(u8::is_ascii_whitespace)
                {
                    break (start, Shape::Unterminated { body_start: start });
                }
                break (at, Shape::Normal);
            }
            if is_field_line(line) {
                seen_field = true;
                trailing_stray = None;
            } else if !(seen_field && matches!(line.first(), Some(b' ' | b'\t'))) {
                first_stray.get_or_insert(at);
                trailing_stray.get_or_insert(at);
                stray_lines.push((line_number, line));
            }
            at = next;
        };

        let header = match shape {
            Shape::NoHeader => &message[..0],
            Shape::Normal | Shape::Unterminated { .. } => &message[..header_end],
        };
        if shape != Shape::Normal {
            stray_lines.clear();
        }
        let later_content_types = later_content_types(header);
        Framing {
            message,
            from_line,
            header,
            shape,
            stray_lines,
            had_bom,
            later_content_types,
        }
    }

    /// The header block as the MIME parser is given it: without Content-Type fields after
    /// the first.
    pub fn parsed_header(&self) -> Cow<'a, [u8]> {
        if self.later_content_types.is_empty() {
            return Cow::Borrowed(self.header);
        }
        let mut kept = Vec::with_capacity(self.header.len());
        let mut kept_from = 0;
        for range in &self.later_content_types {
            kept.extend_from_slice(&self.header[kept_from..range.start]);
            kept_from = range.end;
        }
        kept.extend_from_slice(&self.header[kept_from..]);
        Cow::Owned(kept)
    }

    /// The bytes to give the MIME parser: the message, with a blank line put where the header
    /// ends when the message itself has none there.
    /// Content-Type fields after the first are left out.
    pub fn parser_input(&self) -> Cow<'a, [u8]> {
        let line_break: &[u8] = if first_line_is_crlf(self.message) {
            b"\r\n"
        } else {
            b"\n"
        };
        if !self.later_content_types.is_empty() {
            // The header, less the later fields, then what follows it as the shape says.
            let header = self.parsed_header();
            let rest = &self.message[self.header.len()..];
            let mut input = Vec::with_capacity(self.message.len() + line_break.len());
            input.extend_from_slice(&header);
            if matches!(self.shape, Shape::Unterminated { .. }) {
                input.extend_from_slice(line_break);
            }
            input.extend_from_slice(rest);
            return Cow::Owned(input);
        }
        match self.shape {
            Shape::Normal => Cow::Borrowed(self.message),
            Shape::NoHeader => Cow::Owned([line_break, self.message].concat()),
            Shape::Unterminated { body_start } => {
                let (header, body) = self.message.split_at(body_start.min(self.message.len()));
                Cow::Owned([header, line_break, body].concat())
            }
        }
    }
}

/// True for a line that starts a header field: a name of printable ASCII other than `:`, then
/// optional white space (obsolete syntax, still written by old software) and a colon.
pub(super) fn is_field_line(line: &[u8]) -> bool {
    let name_len = line
        .iter()
        .take_while(|&&b| (0x21..=0x7E).contains(&b) && b != b':')
        .count();
    if name_len == 0 {
        return false;
    }
    let rest = &line[name_len..];
    let after_space = rest
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .map_or(&rest[rest.len()..], |at| &rest[at..]);
    after_space.first() == Some(&b':')
}

/// The offset just past the line that starts at `at` (past its `\n`), or the end of `bytes`.
pub(super) fn line_end(bytes: &[u8], at: usize) -> usize {
    match bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
    {
        Some(pos) => at + pos + 1,
        None => bytes.len(),
    }
}

/// A line without its `\n` or `\r\n`.
pub(super) fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn first_line(bytes: &[u8]) -> &[u8] {
    trim_line_end(&bytes[..line_end(bytes, 0)])
}

fn first_line_is_crlf(bytes: &[u8]) -> bool {
    bytes[..line_end(bytes, 0)].ends_with(b"\r\n")
}

/// The fields of a header block, each with its folded continuation lines and line ends.
pub(super) fn header_fields(header: &[u8]) -> Vec<&[u8]> {
    let mut fields: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < header.len() {
        let next = line_end(header, at);
        let is_continuation = at > 0 && matches!(header.get(at), Some(b' ' | b'\t'));
        if !is_continuation && at > start {
            fields.push(&header[start..at]);
            start = at;
        }
        at = next;
    }
    if start < header.len() {
        fields.push(&header[start..]);
    }
    fields
}

/// The Content-Type fields of `header` after its first one, as ranges of `header`.
fn later_content_types(header: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut seen = false;
    let mut at = 0;
    for field in header_fields(header) {
        let range = at..at + field.len();
        at = range.end;
        if field_name(field).is_some_and(|name| name.eq_ignore_ascii_case(b"content-type")) {
            if seen {
                ranges.push(range);
            }
            seen = true;
        }
    }
    ranges
}

/// The name of a header field (the text before its colon), if the field has one.
pub(super) fn field_name(field: &[u8]) -> Option<&[u8]> {
    if !is_field_line(trim_line_end(&field[..line_end(field, 0)])) {
        return None;
    }
    let colon = field.iter().position(|&b| b == b':')?;
    Some(trim_ascii_end(&field[..colon]))
}

fn trim_ascii_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |at| at + 1);
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_header_ends_at_the_blank_line() {
        let framing = Framing::of(b"Subject: hi\r\nTo: a@b\r\n\r\nbody\r\n");
        assert_eq!(framing.shape, Shape::Normal);
        assert_eq!(framing.header, b"Subject: hi\r\nTo: a@b\r\n");
        assert!(framing.stray_lines.is_empty());
        assert_eq!(framing.parser_input().as_ref(), framing.message);
    }

    #[test]
    fn a_message_starting_with_a_blank_line_has_an_empty_header() {
        let framing = Framing::of(b"\r\nThis message has no content type.\r\n");
        assert_eq!(framing.shape, Shape::Normal);
        assert!(framing.header.is_empty());
    }

    #[test]
    fn text_without_any_field_is_all_body() {
        let input = b"Send Ppp mailing list submissions to\n\tppp@zzz.org\n\nvisit\n\thttp://x\n";
        let framing = Framing::of(input);
        assert_eq!(framing.shape, Shape::NoHeader);
        assert!(framing.header.is_empty());
        assert_eq!(
            framing.parser_input().as_ref(),
            [b"\n", &input[..]].concat()
        );
    }

    #[test]
    fn a_header_without_a_blank_line_ends_at_the_first_line_that_is_not_a_field() {
        let input = b"From: a@b\r\nSubject: x\r\ncounter to RFC 2822, no blank line\r\nmore\r\n";
        let framing = Framing::of(input);
        assert_eq!(framing.shape, Shape::Unterminated { body_start: 23 });
        assert_eq!(framing.header, b"From: a@b\r\nSubject: x\r\n");
        assert_eq!(
            framing.parser_input().as_ref(),
            b"From: a@b\r\nSubject: x\r\n\r\ncounter to RFC 2822, no blank line\r\nmore\r\n"
        );
    }

    #[test]
    fn a_header_only_message_is_normal() {
        let framing = Framing::of(b"From: a@b\nSubject: x\n");
        assert_eq!(framing.shape, Shape::Normal);
        assert_eq!(framing.header, b"From: a@b\nSubject: x\n");
    }

    #[test]
    fn stray_lines_inside_a_terminated_header_are_reported_not_cut() {
        let input = b"To: a@b\n__\n  <c@d>\nquite Delivered-To: x\nSubject: s\n\nbody";
        let framing = Framing::of(input);
        assert_eq!(framing.shape, Shape::Normal);
        assert_eq!(
            framing.stray_lines,
            vec![(2, &b"__"[..]), (4, &b"quite Delivered-To: x"[..])]
        );
    }

    #[test]
    fn a_leading_mbox_from_line_and_a_bom_are_set_aside() {
        let framing =
            Framing::of(b"\xEF\xBB\xBFFrom - Tue Oct 02 00:26:47 2007\r\nTo: a@b\r\n\r\nx");
        assert!(framing.had_bom);
        assert_eq!(
            framing.from_line,
            Some(&b"From - Tue Oct 02 00:26:47 2007"[..])
        );
        assert_eq!(framing.header, b"To: a@b\r\n");
        // "From  :" with space before the colon is a field (obsolete syntax), not a separator.
        let framing = Framing::of(b"From  : John <j@x>\n\nbody");
        assert_eq!(framing.from_line, None);
        assert_eq!(framing.header, b"From  : John <j@x>\n");
    }

    #[test]
    fn fields_keep_their_continuation_lines() {
        let fields = header_fields(b"A: 1\r\n 2\r\nB: 3\r\n\tC: 4\r\nD: 5");
        assert_eq!(
            fields,
            vec![
                &b"A: 1\r\n 2\r\n"[..],
                &b"B: 3\r\n\tC: 4\r\n"[..],
                &b"D: 5"[..]
            ]
        );
        assert_eq!(field_name(fields[1]), Some(&b"B"[..]));
        assert_eq!(
            field_name(b"X-Mozilla-Status : 0001"),
            Some(&b"X-Mozilla-Status"[..])
        );
        assert_eq!(field_name(b"__"), None);
    }

    #[test]
    fn field_lines() {
        assert!(is_field_line(b"Subject: x"));
        assert!(is_field_line(b"Date  : x"));
        assert!(!is_field_line(b": leading colon"));
        assert!(!is_field_line(b"two words: x"));
        assert!(!is_field_line(b" folded: x"));
        assert!(!is_field_line(b"\xC3\xA4: x"));
    }
}
