//! MIME parts whose body follows their header with no blank line between them. mail-parser
//! skips every line of such a body as a header line it does not understand, and reads on past
//! the part's boundary to the next blank line: the attachment comes out empty. Real mail from a
//! widely used client does this; Python's `email` package and MimeKit read the body.
//!
//! The rule (the same `framing` applies to a message's own header, narrowed to a part): within a
//! part, up to its next boundary line, the header ends at the run of lines that are not header
//! fields and that no field follows, when no blank line ends the header or only white space
//! follows the blank line. Stray lines between fields stay stray lines.

use mail_parser::{Message as MimeMessage, MimeHeaders as _, PartType};

use super::framing::{is_field_line, line_end, trim_line_end};

/// The offsets (into the parsed bytes) where a part's header must be ended by a blank line,
/// in order; empty when every part is well formed. The message's own header is `framing`'s.
pub(super) fn missing_blank_lines(parsed: &MimeMessage<'_>) -> Vec<usize> {
    let raw: &[u8] = &parsed.raw_message;
    let mut boundary_of_parent: Vec<Option<&str>> = vec![None; parsed.parts.len()];
    for part in &parsed.parts {
        if let PartType::Multipart(children) = &part.body {
            let boundary = part.content_type().and_then(|ct| ct.attribute("boundary"));
            for &child in children {
                if let Some(slot) = boundary_of_parent.get_mut(child as usize) {
                    *slot = boundary;
                }
            }
        }
    }
    let mut positions = Vec::new();
    // Parts the parser left out altogether: it reads a header that runs to the end of the
    // message as no part at all. They lie in the gaps between the parts it kept.
    for part in &parsed.parts {
        let PartType::Multipart(children) = &part.body else {
            continue;
        };
        let Some(boundary) = part.content_type().and_then(|ct| ct.attribute("boundary")) else {
            continue;
        };
        let kept: Vec<&mail_parser::MessagePart<'_>> = children
            .iter()
            .filter_map(|&id| parsed.parts.get(id as usize))
            .collect();
        let mut gap_start = part.offset_body as usize;
        for next in kept
            .iter()
            .map(|c| c.offset_header as usize)
            .chain([part.offset_end as usize])
        {
            for start in part_starts(raw, gap_start, next, boundary) {
                if kept.iter().all(|c| c.offset_header as usize != start) {
                    let end = next_delimiter(raw, start, boundary);
                    if let Some(at) = raw.get(start..end).and_then(early_body_start) {
                        positions.push(start + at);
                    }
                }
            }
            gap_start = gap_start.max(next);
            if let Some(child) = kept.iter().find(|c| c.offset_header as usize == next) {
                gap_start = gap_start.max(child.offset_end as usize);
            }
        }
    }
    for (part, boundary) in parsed.parts.iter().zip(&boundary_of_parent).skip(1) {
        let Some(boundary) = boundary else {
            continue;
        };
        let start = part.offset_header as usize;
        let header = raw
            .get(start..part.offset_body as usize)
            .unwrap_or_default();
        // Nearly every part: a header of fields and their continuations.
        if header_is_fields_only(header) {
            continue;
        }
        let end = next_delimiter(raw, start, boundary);
        let Some(region) = raw.get(start..end) else {
            continue;
        };
        if let Some(at) = early_body_start(region) {
            positions.push(start + at);
        }
    }
    positions.sort_unstable();
    positions.dedup();
    positions
}

/// `bytes` with a line break put at each of `positions` (sorted), in the line-end style of the
/// line before it.
pub(super) fn with_blank_lines(bytes: &[u8], positions: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2 * positions.len());
    let mut copied = 0;
    for &at in positions {
        let Some(piece) = bytes.get(copied..at) else {
            continue;
        };
        out.extend_from_slice(piece);
        let crlf = bytes
            .get(..at)
            .is_some_and(|before| before.ends_with(b"\r\n"));
        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        copied = at;
    }
    out.extend_from_slice(bytes.get(copied..).unwrap_or_default());
    out
}

/// The 1-based line of `bytes` that starts at `at`.
pub(super) fn line_number(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(..at)
        .map_or(0, |before| memchr::memchr_iter(b'\n', before).count())
        + 1
}

fn header_is_fields_only(header: &[u8]) -> bool {
    let mut at = 0;
    while at < header.len() {
        let next = line_end(header, at);
        let line = trim_line_end(&header[at..next]);
        let continuation = at > 0 && matches!(line.first(), Some(b' ' | b'\t'));
        if !(line.is_empty() || continuation || is_field_line(line)) {
            return false;
        }
        at = next;
    }
    true
}

/// Where the parts start whose delimiter lines (`--boundary`, not the closing one) lie between
/// `from` and `to`: the start of the line after each.
fn part_starts(raw: &[u8], from: usize, to: usize, boundary: &str) -> Vec<usize> {
    let delimiter = format!("--{boundary}");
    let Some(gap) = raw.get(from..to) else {
        return Vec::new();
    };
    memchr::memmem::find_iter(gap, delimiter.as_bytes())
        .map(|at| from + at)
        .filter(|&at| at == 0 || raw.get(at - 1) == Some(&b'\n'))
        .filter(|&at| raw.get(at + delimiter.len()..at + delimiter.len() + 2) != Some(b"--"))
        .map(|at| line_end(raw, at))
        .collect()
}

/// The start of the next line at or after `from` that starts with `--boundary`, or the end.
fn next_delimiter(raw: &[u8], from: usize, boundary: &str) -> usize {
    let delimiter = format!("--{boundary}");
    let mut search = from;
    while let Some(found) = raw
        .get(search..)
        .and_then(|rest| memchr::memmem::find(rest, delimiter.as_bytes()))
    {
        let at = search + found;
        if at == 0 || raw.get(at - 1) == Some(&b'\n') {
            return at;
        }
        search = at + 1;
    }
    raw.len()
}

/// Where the body of a part starts when its header runs into it (see the module's rule).
fn early_body_start(part: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut run: Option<usize> = None;
    while at < part.len() {
        let next = line_end(part, at);
        let line = trim_line_end(&part[at..next]);
        if line.is_empty() {
            return run.filter(|_| part[next..].iter().all(u8::is_ascii_whitespace));
        }
        if is_field_line(line) {
            run = None;
        } else if run.is_none() && !matches!(line.first(), Some(b' ' | b'\t')) {
            run = Some(at);
        }
        at = next;
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_ends_where_the_lines_that_are_not_fields_begin() {
        assert_eq!(early_body_start(b"A: 1\nstray\nB: 2\n\nbody"), None);
        assert_eq!(early_body_start(b"A: 1\n  folded\n\nbody"), None);
        assert_eq!(early_body_start(b"A: 1\naGk=\naGk=\n"), Some(5));
        assert_eq!(early_body_start(b"A: 1\r\naGk=\r\n\r\n"), Some(6));
        assert_eq!(early_body_start(b"A: 1\naGk=\n\nmore text"), None);
        assert_eq!(early_body_start(b"just text\n"), Some(0));
    }

    #[test]
    fn blank_lines_follow_the_line_ends_of_the_message() {
        assert_eq!(with_blank_lines(b"a\nb\r\nc", &[2, 5]), b"a\n\nb\r\n\r\nc");
        assert_eq!(line_number(b"a\nb\nc", 4), 3);
    }
}
