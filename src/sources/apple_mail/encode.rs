//! Transfer encodings for attachment bodies put back into a message, with the line layout
//! Apple Mail itself writes, so a rebuilt part looks like the part the server sent.

use base64::Engine as _;

/// Base64 lines are 76 characters (RFC 2045 §6.8), as in Apple Mail's messages.
const BASE64_LINE: usize = 76;
/// Quoted-printable lines never exceed 76 characters with the soft break (RFC 2045 §6.7)...
const QP_HARD_LIMIT: usize = 76;
/// ...and Apple Mail breaks them after a space so that they stay within 74 (measured on the
/// `text.txt` attachment of the real message 114892 and its original).
const QP_SOFT_LIMIT: usize = 74;

/// Base64 in lines of 76 characters separated by `eol`, with no line break after the last.
pub fn base64_lines(data: &[u8], eol: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / BASE64_LINE * eol.len());
    for (index, line) in encoded.as_bytes().chunks(BASE64_LINE).enumerate() {
        if index > 0 {
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(line);
    }
    out
}

/// Quoted-printable. For text, line breaks (LF or CRLF) stay line breaks; for anything else
/// every byte is kept exactly, CR and LF included, so decoding gives the file back unchanged.
pub fn quoted_printable(data: &[u8], text: bool, eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    if !text {
        encode_line(data, eol, &mut out);
        return out;
    }
    let mut rest = data;
    while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
        let line = &rest[..newline];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        encode_line(line, eol, &mut out);
        out.extend_from_slice(eol);
        rest = &rest[newline + 1..];
    }
    encode_line(rest, eol, &mut out);
    out
}

/// One line of input (no line breaks inside for text), broken with soft line breaks.
fn encode_line(line: &[u8], eol: &[u8], out: &mut Vec<u8>) {
    let mut column = 0;
    let mut word: Vec<u8> = Vec::new();
    let mut word_tokens: Vec<usize> = Vec::new();
    let last = line.len().saturating_sub(1);
    for (index, &byte) in line.iter().enumerate() {
        let literal = match byte {
            // Whitespace at the end of a line would be lost in transport.
            b' ' | b'\t' => index != last,
            b'=' => false,
            33..=126 => true,
            _ => false,
        };
        if literal {
            word.push(byte);
            word_tokens.push(1);
        } else {
            word.extend_from_slice(format!("={byte:02X}").as_bytes());
            word_tokens.push(3);
        }
        if byte == b' ' && literal {
            flush_word(&mut word, &mut word_tokens, &mut column, eol, out);
        }
    }
    flush_word(&mut word, &mut word_tokens, &mut column, eol, out);
}

/// Writes one word (ending in its space, if any): on a new line when it does not fit, and
/// broken between escapes when it is longer than a line.
fn flush_word(
    word: &mut Vec<u8>,
    tokens: &mut Vec<usize>,
    column: &mut usize,
    eol: &[u8],
    out: &mut Vec<u8>,
) {
    if word.is_empty() {
        return;
    }
    if *column > 0 && *column + word.len() + 1 > QP_SOFT_LIMIT {
        soft_break(column, eol, out);
    }
    let mut at = 0;
    for &len in tokens.iter() {
        if *column > 0 && *column + len + 1 > QP_HARD_LIMIT {
            soft_break(column, eol, out);
        }
        out.extend_from_slice(&word[at..at + len]);
        *column += len;
        at += len;
    }
    word.clear();
    tokens.clear();
}

fn soft_break(column: &mut usize, eol: &[u8], out: &mut Vec<u8>) {
    out.push(b'=');
    out.extend_from_slice(eol);
    *column = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoder written from RFC 2045 §6.7 for the round trips below.
    fn decode_qp(encoded: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < encoded.len() {
            match encoded[i] {
                b'=' if encoded.get(i + 1) == Some(&b'\n') => i += 2,
                b'=' => {
                    let hex = std::str::from_utf8(&encoded[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        out
    }

    #[test]
    fn base64_has_76_character_lines_and_no_final_break() {
        let encoded = base64_lines(&[0u8; 119], b"\n");
        let lines: Vec<&[u8]> = encoded.split(|b| *b == b'\n').collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 76);
        assert_eq!(lines[2], b"AAAAAAA=".as_slice());
        assert_eq!(base64_lines(b"", b"\n"), b"");
        assert_eq!(base64_lines(&[0u8; 114], b"\r\n").len(), 152 + 2);
    }

    #[test]
    fn quoted_printable_escapes_and_breaks() {
        assert_eq!(quoted_printable(b"a=b \n", true, b"\n"), b"a=3Db=20\n");
        assert_eq!(
            quoted_printable("glücklich".as_bytes(), true, b"\n"),
            b"gl=C3=BCcklich"
        );
        assert_eq!(quoted_printable(b"a\r\nb", true, b"\n"), b"a\nb");
        assert_eq!(quoted_printable(b"a\r\nb", false, b"\n"), b"a=0D=0Ab");
        let long = "x".repeat(200);
        let encoded = quoted_printable(long.as_bytes(), true, b"\n");
        assert!(encoded.split(|b| *b == b'\n').all(|l| l.len() <= 76));
        assert_eq!(decode_qp(&encoded), long.as_bytes());
    }

    #[test]
    fn escapes_are_never_split() {
        let data = "ü".repeat(100);
        let encoded = quoted_printable(data.as_bytes(), false, b"\n");
        for line in encoded.split(|b| *b == b'\n') {
            assert!(line.len() <= 76);
            let body = line.strip_suffix(b"=").unwrap_or(line);
            assert_eq!(body.len() % 3, 0, "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(decode_qp(&encoded), data.as_bytes());
    }

    proptest::proptest! {
        #[test]
        fn quoted_printable_round_trips_binary(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let encoded = quoted_printable(&data, false, b"\n");
            proptest::prop_assert!(encoded.split(|b| *b == b'\n').all(|l| l.len() <= 76));
            proptest::prop_assert_eq!(decode_qp(&encoded), data);
        }

        #[test]
        fn quoted_printable_round_trips_text(text in "[a-zäöü =\t\n]{0,400}") {
            let encoded = quoted_printable(text.as_bytes(), true, b"\n");
            proptest::prop_assert!(encoded.split(|b| *b == b'\n').all(|l| l.len() <= 76));
            proptest::prop_assert_eq!(decode_qp(&encoded), text.as_bytes());
        }
    }
}
