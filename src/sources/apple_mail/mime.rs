//! A small MIME walker over the bytes of one message: it finds every leaf part with its IMAP
//! part number ("2.4") and the byte ranges of its header and body, so a part can be filled in
//! place without touching a byte around it. Header values (content type, boundary, file name)
//! are read with mail-parser, which only ever sees one part's header block.

use std::ops::Range;

use mail_parser::{MessageParser, MimeHeaders as _};

/// Deeper nesting than this is not real mail; the walker stops there instead of recursing on.
const MAX_DEPTH: usize = 48;

/// The header Apple Mail adds to a part whose body it stored outside the message.
pub const APPLE_CONTENT_LENGTH: &str = "X-Apple-Content-Length";

/// One leaf part of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    /// The IMAP part number, e.g. `[2, 4]` for "2.4".
    pub number: Vec<u32>,
    /// The header block, without the empty line that ends it.
    pub header: Range<usize>,
    /// The body, without the line break that belongs to the next boundary.
    pub body: Range<usize>,
    /// The `X-Apple-Content-Length` field with its continuation lines, when present.
    pub apple_content_length: Option<Range<usize>>,
    pub info: PartInfo,
}

impl Leaf {
    /// "2.4"
    pub fn number_text(&self) -> String {
        let numbers: Vec<String> = self.number.iter().map(u32::to_string).collect();
        numbers.join(".")
    }
}

/// What a part's header says about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartInfo {
    /// Lower case, e.g. "text"; empty when there is no Content-Type (plain text by default).
    pub main_type: String,
    /// Lower case, e.g. "plain".
    pub sub_type: String,
    pub boundary: Option<String>,
    /// Lower case, e.g. "base64"; empty when not given (7bit by default).
    pub transfer_encoding: String,
    /// The part's file name (`filename`, else `name`), decoded.
    pub file_name: Option<String>,
}

impl PartInfo {
    pub fn is_multipart(&self) -> bool {
        self.main_type == "multipart"
    }

    /// Text, for line-break purposes: the default type is text/plain.
    pub fn is_text(&self) -> bool {
        self.main_type.is_empty() || self.main_type == "text"
    }

    fn is_message(&self) -> bool {
        self.main_type == "message" && matches!(self.sub_type.as_str(), "rfc822" | "global")
    }

    /// An encoding that leaves the bytes as they are, so an enclosed message can be walked.
    fn is_identity_encoding(&self) -> bool {
        matches!(
            self.transfer_encoding.as_str(),
            "" | "7bit" | "8bit" | "binary"
        )
    }
}

/// Reads the header values the walker needs from one header block.
pub fn part_info(header: &[u8]) -> PartInfo {
    // mail-parser wants the empty line that ends a header block.
    let mut block = header.to_vec();
    block.extend_from_slice(b"\n\n");
    let parser = MessageParser::new();
    let Some(parsed) = parser.parse_headers(&block) else {
        return PartInfo::default();
    };
    let content_type = parsed.content_type();
    PartInfo {
        main_type: content_type
            .map(|ct| ct.ctype().to_ascii_lowercase())
            .unwrap_or_default(),
        sub_type: content_type
            .and_then(|ct| ct.subtype())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default(),
        boundary: content_type
            .and_then(|ct| ct.attribute("boundary"))
            .map(str::to_string),
        transfer_encoding: parsed
            .content_transfer_encoding()
            .map(|cte| cte.trim().to_ascii_lowercase())
            .unwrap_or_default(),
        file_name: parsed
            .attachment_name()
            .map(str::to_string)
            .filter(|name| !name.is_empty()),
    }
}

/// Every leaf part of `message`, in order.
pub fn leaves(message: &[u8]) -> Vec<Leaf> {
    let mut out = Vec::new();
    walk_message(message, 0..message.len(), &[], 0, &mut out);
    out
}

/// A message (the whole one, or one enclosed in a message/rfc822 part numbered `prefix`):
/// its body parts are `prefix.1`, `prefix.2`…, and a single-part body is `prefix.1`.
fn walk_message(
    bytes: &[u8],
    range: Range<usize>,
    prefix: &[u32],
    depth: usize,
    out: &mut Vec<Leaf>,
) {
    let (header, body) = split_entity(bytes, range);
    let info = part_info(&bytes[header.clone()]);
    if depth < MAX_DEPTH
        && info.is_multipart()
        && let Some(boundary) = info.boundary.as_deref()
    {
        walk_children(bytes, body, boundary.as_bytes(), prefix, depth, out);
        return;
    }
    let mut number = prefix.to_vec();
    number.push(1);
    out.push(leaf(bytes, number, header, body, info));
}

fn walk_part(
    bytes: &[u8],
    range: Range<usize>,
    number: Vec<u32>,
    depth: usize,
    out: &mut Vec<Leaf>,
) {
    let (header, body) = split_entity(bytes, range);
    let info = part_info(&bytes[header.clone()]);
    let stripped = find_field(bytes, header.clone(), APPLE_CONTENT_LENGTH).is_some();
    if !stripped && depth < MAX_DEPTH {
        if info.is_multipart()
            && let Some(boundary) = info.boundary.as_deref()
        {
            walk_children(bytes, body, boundary.as_bytes(), &number, depth, out);
            return;
        }
        if info.is_message() && info.is_identity_encoding() {
            walk_message(bytes, body, &number, depth + 1, out);
            return;
        }
    }
    out.push(leaf(bytes, number, header, body, info));
}

fn walk_children(
    bytes: &[u8],
    body: Range<usize>,
    boundary: &[u8],
    prefix: &[u32],
    depth: usize,
    out: &mut Vec<Leaf>,
) {
    for (index, child) in multipart_children(bytes, body, boundary)
        .into_iter()
        .enumerate()
    {
        let mut number = prefix.to_vec();
        number.push(u32::try_from(index + 1).unwrap_or(u32::MAX));
        walk_part(bytes, child, number, depth + 1, out);
    }
}

fn leaf(
    bytes: &[u8],
    number: Vec<u32>,
    header: Range<usize>,
    body: Range<usize>,
    info: PartInfo,
) -> Leaf {
    Leaf {
        apple_content_length: find_field(bytes, header.clone(), APPLE_CONTENT_LENGTH),
        number,
        header,
        body,
        info,
    }
}

/// The lines of `range`: (line start, end of its content without the line break, start of the
/// next line).
fn lines(bytes: &[u8], range: Range<usize>) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let end = range.end;
    let mut at = range.start;
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let start = at;
        let newline = bytes[start..end].iter().position(|&b| b == b'\n');
        let (content_end, next) = match newline {
            Some(offset) => (start + offset, start + offset + 1),
            None => (end, end),
        };
        at = next;
        let content_end = if content_end > start && bytes[content_end - 1] == b'\r' {
            content_end - 1
        } else {
            content_end
        };
        Some((start, content_end, next))
    })
}

/// Splits an entity into its header block (without the empty line) and its body.
pub fn split_entity(bytes: &[u8], range: Range<usize>) -> (Range<usize>, Range<usize>) {
    for (start, content_end, next) in lines(bytes, range.clone()) {
        if content_end == start {
            return (range.start..start, next..range.end);
        }
    }
    (range.clone(), range.end..range.end)
}

/// The parts between the delimiter lines of `boundary` in a multipart body. The line break
/// before a delimiter belongs to the delimiter (RFC 2046 §5.1.1); a missing closing delimiter
/// ends the last part at the end of the body.
fn multipart_children(bytes: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let mut children = Vec::new();
    let mut current: Option<usize> = None;
    for (start, content_end, next) in lines(bytes, body.clone()) {
        let Some(rest) = bytes[start..content_end]
            .strip_prefix(b"--")
            .and_then(|l| l.strip_prefix(boundary))
        else {
            continue;
        };
        let closing = rest.starts_with(b"--");
        let padding = if closing { &rest[2..] } else { rest };
        if !padding.iter().all(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        if let Some(part_start) = current.take() {
            children.push(part_start..line_break_before(bytes, start).max(part_start));
        }
        if closing {
            return children;
        }
        current = Some(next);
    }
    if let Some(part_start) = current {
        children.push(part_start..body.end.max(part_start));
    }
    children
}

/// Where the line break that ends the line before `line_start` begins.
fn line_break_before(bytes: &[u8], line_start: usize) -> usize {
    let mut end = line_start;
    if end > 0 && bytes[end - 1] == b'\n' {
        end -= 1;
        if end > 0 && bytes[end - 1] == b'\r' {
            end -= 1;
        }
    }
    end
}

/// The byte range of header field `name` (with its continuation lines and line break).
pub fn find_field(bytes: &[u8], header: Range<usize>, name: &str) -> Option<Range<usize>> {
    let mut found: Option<Range<usize>> = None;
    for (start, _, next) in lines(bytes, header) {
        let line = &bytes[start..next];
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        match found.as_mut() {
            Some(field) if continuation => field.end = next,
            Some(_) => break,
            None => {
                let is_field = line.len() > name.len()
                    && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                    && line[name.len()..].trim_ascii_start().starts_with(b":");
                if is_field {
                    found = Some(start..next);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(message: &[u8]) -> Vec<String> {
        leaves(message).iter().map(Leaf::number_text).collect()
    }

    #[test]
    fn single_part_message_is_part_one() {
        let message = b"Subject: x\n\nbody\n";
        let leaves = leaves(message);
        assert_eq!(leaves.len(), 1);
        assert_eq!(leaves[0].number, vec![1]);
        assert_eq!(&message[leaves[0].body.clone()], b"body\n");
        assert_eq!(&message[leaves[0].header.clone()], b"Subject: x\n");
    }

    #[test]
    fn nested_multipart_numbers_and_ranges() {
        let message = b"Content-Type: multipart/mixed; boundary=\"a\"\n\npreamble\n--a\n\
Content-Type: text/plain\n\none\n--a\nContent-Type: multipart/alternative;\n boundary=a-b\n\n\
--a-b\n\ntwo\n--a-b\r\n\r\nthree\r\n--a-b--\n\n--a  \nX-Apple-Content-Length: 12\n\n\n--a--\nepilogue\n";
        let leaves = leaves(message);
        let numbers: Vec<String> = leaves.iter().map(Leaf::number_text).collect();
        assert_eq!(numbers, ["1", "2.1", "2.2", "3"]);
        assert_eq!(&message[leaves[0].body.clone()], b"one");
        assert_eq!(&message[leaves[1].body.clone()], b"two");
        assert_eq!(&message[leaves[2].body.clone()], b"three");
        assert_eq!(&message[leaves[3].body.clone()], b"");
        let field = leaves[3].apple_content_length.clone().unwrap();
        assert_eq!(&message[field], b"X-Apple-Content-Length: 12\n");
    }

    #[test]
    fn enclosed_message_parts_follow_imap_numbering() {
        let message = b"Content-Type: multipart/mixed; boundary=o\n\n--o\n\ntext\n--o\n\
Content-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/mixed; boundary=i\n\n\
--i\n\nx\n--i\n\ny\n--i--\n--o\nContent-Type: message/rfc822\n\nSubject: plain\n\nz\n--o--\n";
        assert_eq!(numbers(message), ["1", "2.1", "2.2", "3.1"]);
    }

    #[test]
    fn missing_closing_delimiter_ends_at_the_body_end() {
        let message = b"Content-Type: multipart/mixed; boundary=o\n\n--o\n\nx\n--o\n\ny";
        let leaves = leaves(message);
        assert_eq!(leaves.len(), 2);
        assert_eq!(&message[leaves[1].body.clone()], b"y");
    }

    #[test]
    fn header_values_with_continuations_and_odd_case() {
        // From the real 136153.partial.emlx: RFC 2231 continuations, upper case, a missing `;`.
        let header = b"Content-Transfer-Encoding: BASE64\nContent-Disposition: ATTACHMENT;\n\
\tfilename*0=\"ReallyReallyReallyReallyReallyReallyReallyReallyReallyReallylong_\";\n\
\tfilename*1=filename.xls\nContent-Type: APPLICATION/VNDMS-EXCEL;\n\
\tfilename*0=\"ReallyReallyReallyReallyReallyReallyReallyReallyReallyReallylong_\";\n\
\tfilename*1=filename.xls\n\tx-unix-mode=0666\nX-Apple-Content-Length: 702736";
        let info = part_info(header);
        assert_eq!(info.transfer_encoding, "base64");
        assert_eq!(info.main_type, "application");
        assert_eq!(
            info.file_name.as_deref(),
            Some("ReallyReallyReallyReallyReallyReallyReallyReallyReallyReallylong_filename.xls")
        );
        let info = part_info(b"Content-Type: MULTIPART/MIXED; BOUNDARY=\"xY\"");
        assert!(info.is_multipart());
        assert_eq!(info.boundary.as_deref(), Some("xY"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut message = b"Content-Type: multipart/mixed; boundary=b\n\n".to_vec();
            message.extend(bytes);
            for leaf in leaves(&message) {
                assert!(leaf.header.end <= message.len() && leaf.body.end <= message.len());
                assert!(leaf.body.start <= leaf.body.end);
            }
        }
    }
}
