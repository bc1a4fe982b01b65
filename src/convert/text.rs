//! Turning bytes of unknown or undeclared charset into text, and the small text clean-ups every
//! field needs.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;

/// Windows-1252 code points for bytes 0x80–0x9F. The five bytes the code page leaves undefined
/// keep their Latin-1 (C1 control) code points, as browsers do, so every byte maps to a distinct
/// character and nothing is lost.
const WINDOWS_1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// Bytes as Windows-1252, the charset that undeclared 8-bit mail most often is. Every byte maps
/// to its own character, so this never loses data.
pub(super) fn windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => WINDOWS_1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Bytes as text: UTF-8 when they are valid UTF-8, else Windows-1252 (see [`windows_1252`]).
pub(super) fn utf8_or_windows_1252(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(windows_1252(bytes)),
    }
}

/// Charset names mail clients write that mail-parser's table lacks, with the name it knows.
const CHARSET_ALIASES: [(&str, &str); 5] = [
    ("cp932", "windows-31j"),
    ("x-ms-cp932", "windows-31j"),
    ("cp949", "windows-949"),
    ("x-windows-949", "windows-949"),
    ("cp950", "big5"),
];

/// The name mail-parser knows a charset by.
pub(super) fn charset_name(label: &str) -> &str {
    let label = label.trim().trim_matches('"').trim();
    CHARSET_ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(label))
        .map_or(label, |(_, name)| name)
}

/// A header value with the charset names of its encoded words (`=?cp932?B?…?=`) replaced by
/// names mail-parser knows; `None` when there is nothing to replace.
pub(super) fn with_known_charsets(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut changed = false;
    let mut rest = raw;
    while let Some(at) = rest.windows(2).position(|w| w == b"=?") {
        out.extend_from_slice(&rest[..at + 2]);
        rest = &rest[at + 2..];
        let end = rest.iter().position(|&b| b == b'?').unwrap_or(0);
        let label = String::from_utf8_lossy(&rest[..end]);
        let name = charset_name(&label);
        if name != label.trim() {
            out.extend_from_slice(name.as_bytes());
            rest = &rest[end..];
            changed = true;
        }
    }
    out.extend_from_slice(rest);
    changed.then_some(out)
}

/// Bytes in a named charset. `None` when the charset is unknown; then the caller falls back.
pub(super) fn decode_charset(bytes: &[u8], charset: &str) -> Option<String> {
    let decoder = charset_decoder(charset_name(charset).as_bytes())?;
    Some(decoder(bytes))
}

/// Undeclared 8-bit bytes as text: valid UTF-8 stays UTF-8 (RFC 6532 allows it), otherwise
/// the charset the message declares for its text, otherwise Windows-1252. Returns the text and
/// the name of the charset that was assumed, if any.
pub(super) fn decode_undeclared<'a>(
    bytes: &'a [u8],
    declared: Option<&str>,
) -> (Cow<'a, str>, Option<String>) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(text), None);
    }
    if let Some(charset) = declared
        && let Some(text) = decode_charset(bytes, charset)
    {
        return (Cow::Owned(text), Some(charset.to_ascii_lowercase()));
    }
    (
        Cow::Owned(windows_1252(bytes)),
        Some("windows-1252".to_owned()),
    )
}

/// Text of a body or header in its declared charset, and a warning when the declared charset
/// could not be taken at its word. Bytes the label does not fit are read as UTF-8 when they are
/// valid UTF-8 (US-ASCII labels on UTF-8 text are common), else as Windows-1252, so no byte is
/// lost. Text never keeps a NUL character: PST readers end a string at the first one, so text
/// with NULs is read as the UTF-16 it usually is, or else loses them.
pub(super) fn decode_text(bytes: &[u8], declared: Option<&str>) -> (String, Option<String>) {
    let (text, warning) = decode_declared(bytes, declared);
    if !text.contains('\0') {
        return (text, warning);
    }
    if let Some((text, name)) = unlabelled_utf16(bytes) {
        return (
            text,
            Some(format!(
                "the text is {name} without saying so; read as {name}"
            )),
        );
    }
    let note = "NUL characters left out";
    let warning = match warning {
        Some(warning) => format!("{warning}; {note}"),
        None => note.to_owned(),
    };
    (text.replace('\0', ""), Some(warning))
}

/// Text that is UTF-16 without a label or byte-order mark: a zero byte beside nearly every
/// character, first in each pair for UTF-16BE, second for UTF-16LE.
fn unlabelled_utf16(bytes: &[u8]) -> Option<(String, &'static str)> {
    if bytes.len() < 2 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let pairs = bytes.len() / 2;
    let mostly = |zero_at: usize| {
        let matching = bytes
            .chunks_exact(2)
            .filter(|pair| pair[zero_at] == 0 && pair[1 - zero_at] != 0)
            .count();
        matching * 10 >= pairs * 9
    };
    let (name, unit): (&'static str, fn([u8; 2]) -> u16) = if mostly(0) {
        ("UTF-16BE", u16::from_be_bytes)
    } else if mostly(1) {
        ("UTF-16LE", u16::from_le_bytes)
    } else {
        return None;
    };
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| unit([pair[0], pair[1]]))
        .collect();
    Some((String::from_utf16_lossy(&units), name))
}

/// [`decode_text`] before NUL characters are looked at.
fn decode_declared(bytes: &[u8], declared: Option<&str>) -> (String, Option<String>) {
    let label = declared
        .map(|c| c.trim().trim_matches('"').trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    let utf8 = std::str::from_utf8(bytes).ok();
    let fallback = |why: String| match utf8 {
        Some(text) => (text.to_owned(), Some(format!("{why}; read as UTF-8"))),
        None => (
            windows_1252(bytes),
            Some(format!("{why}; read as windows-1252")),
        ),
    };
    let Some(label) = label else {
        return match utf8 {
            Some(text) => (text.to_owned(), None),
            None => fallback("8-bit text without a charset".to_owned()),
        };
    };
    let is_utf8_label = matches!(
        label.as_str(),
        "utf-8"
            | "utf8"
            | "unicode-1-1-utf-8"
            | "unicode11utf8"
            | "unicode20utf8"
            | "x-unicode20utf8"
    );
    let is_ascii_label = matches!(label.as_str(), "us-ascii" | "ascii" | "ansi_x3.4-1968");
    if is_utf8_label || (is_ascii_label && !bytes.is_ascii()) {
        return match utf8 {
            Some(text) if is_utf8_label => (text.to_owned(), None),
            _ => fallback(format!("the text is not the {label} it says it is")),
        };
    }
    // Latin-1 and Windows-1252 labels are read as Windows-1252 with every byte kept, as the
    // WHATWG Encoding Standard (and so mail clients) reads them; mail-parser's table turns the
    // five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) into U+FFFD.
    if is_windows_1252_label(&label) {
        return (windows_1252(bytes), None);
    }
    match charset_decoder(charset_name(&label).as_bytes()) {
        Some(decoder) => {
            let text = decoder(bytes);
            // A multi-byte decoder that fails on valid UTF-8 was given a wrong label.
            if text.contains('\u{FFFD}') && utf8.is_some_and(|u| !u.contains('\u{FFFD}')) {
                return fallback(format!("the text is not the {label} it says it is"));
            }
            (text, None)
        }
        None => fallback(format!("unknown charset {}", quote(label.as_bytes()))),
    }
}

/// The labels the WHATWG Encoding Standard reads as Windows-1252, US-ASCII's aside.
fn is_windows_1252_label(label: &str) -> bool {
    matches!(
        label,
        "windows-1252"
            | "cp1252"
            | "x-cp1252"
            | "iso-8859-1"
            | "iso8859-1"
            | "iso88591"
            | "iso_8859-1"
            | "iso_8859-1:1987"
            | "iso-ir-100"
            | "latin1"
            | "l1"
            | "csisolatin1"
            | "cp819"
            | "ibm819"
    )
}

/// Text with every line break as CRLF, the form Outlook keeps bodies and headers in. A lone CR
/// is left alone.
pub(super) fn to_crlf(text: &str) -> String {
    // Bodies are most of the text of mail: copied a line at a time, not a character at a time.
    // LF and CR are ASCII, so a byte before an LF is a CR only when the character is.
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut from = 0;
    for at in memchr::memchr_iter(b'\n', bytes) {
        out.push_str(&text[from..at]);
        if at == 0 || bytes[at - 1] != b'\r' {
            out.push('\r');
        }
        // The LF starts the next stretch.
        from = at;
    }
    out.push_str(&text[from..]);
    out
}

/// A short, printable quotation of some bytes for a warning.
pub(super) fn quote(bytes: &[u8]) -> String {
    const LIMIT: usize = 60;
    let text = utf8_or_windows_1252(bytes);
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    match clean.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("\"{}…\"", &clean[..cut]),
        None => format!("\"{clean}\""),
    }
}

/// A display string with control characters removed and white space trimmed; `None` when
/// nothing is left.
pub(super) fn clean_display(text: &str) -> Option<String> {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with NUL characters never reaches the PST: UTF-16 without a label is read as such
    /// (comm-central's bug 1586890 message), other NULs are left out.
    #[test]
    fn text_with_nul_characters_is_read_as_utf16_or_loses_them() {
        let be: Vec<u8> = "abc\r\nxyz"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let (text, warning) = decode_text(&be, Some("BadCharset"));
        assert_eq!(text, "abc\r\nxyz");
        assert!(warning.unwrap().contains("UTF-16BE"));
        let le: Vec<u8> = "Grüße".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_text(&le, None).0, "Grüße");
        let (text, warning) = decode_text(b"one\0two", Some("us-ascii"));
        assert_eq!(text, "onetwo");
        assert!(warning.unwrap().contains("NUL"));
        assert_eq!(decode_text(b"plain", None), ("plain".to_owned(), None));
    }

    #[test]
    fn windows_1252_maps_every_byte_to_a_distinct_character() {
        let all: Vec<u8> = (0..=255).collect();
        let text = windows_1252(&all);
        let distinct: std::collections::BTreeSet<char> = text.chars().collect();
        assert_eq!(distinct.len(), 256);
        assert_eq!(
            windows_1252(b"\x93Forma\xe7\xe3o\x94 \x80"),
            "\u{201C}Formação\u{201D} €"
        );
    }

    #[test]
    fn latin_1_keeps_the_bytes_windows_1252_leaves_undefined() {
        assert_eq!(
            decode_text(b"SmartFriend\x81 \x80", Some("iso-8859-1")),
            ("SmartFriend\u{0081} \u{20AC}".to_owned(), None)
        );
    }

    #[test]
    fn undeclared_bytes_use_utf8_then_the_declared_charset_then_windows_1252() {
        assert_eq!(
            decode_undeclared("Säying".as_bytes(), Some("koi8-r")),
            (Cow::Borrowed("Säying"), None)
        );
        let (text, assumed) = decode_undeclared(b"\xf0\xd2\xc9\xd7\xc5\xd4", Some("koi8-r"));
        assert_eq!(
            (text.as_ref(), assumed.as_deref()),
            ("Привет", Some("koi8-r"))
        );
        let (text, assumed) = decode_undeclared(b"Ver\xe3o", Some("no-such-charset"));
        assert_eq!(
            (text.as_ref(), assumed.as_deref()),
            ("Verão", Some("windows-1252"))
        );
    }

    #[test]
    fn declared_charsets_are_checked_against_the_bytes() {
        assert_eq!(
            decode_text(b"\xf0\xd2\xc9", Some("KOI8-R")),
            ("При".to_owned(), None)
        );
        assert_eq!(
            decode_text("é".as_bytes(), Some("utf-8")),
            ("é".to_owned(), None)
        );
        let (text, warning) = decode_text(b"caf\xe9", Some("utf-8"));
        assert_eq!(text, "café");
        assert_eq!(
            warning.as_deref(),
            Some("the text is not the utf-8 it says it is; read as windows-1252")
        );
        let (text, warning) = decode_text("café".as_bytes(), Some("us-ascii"));
        assert_eq!(text, "café");
        assert!(warning.is_some());
        let (text, warning) = decode_text(b"caf\xe9", Some("x-bogus"));
        assert_eq!(text, "café");
        assert_eq!(
            warning.as_deref(),
            Some("unknown charset \"x-bogus\"; read as windows-1252")
        );
        assert_eq!(decode_text(b"plain", None), ("plain".to_owned(), None));
    }

    #[test]
    fn charset_names_mail_parser_lacks_are_mapped() {
        assert_eq!(
            decode_charset(b"\x83e\x83X\x83g", "CP932").as_deref(),
            Some("テスト")
        );
        assert_eq!(
            with_known_charsets(b" =?cp932?B?g2WDWINn?= x =?utf-8?Q?a?=\n").as_deref(),
            Some(&b" =?windows-31j?B?g2WDWINn?= x =?utf-8?Q?a?=\n"[..])
        );
        assert_eq!(with_known_charsets(b" =?utf-8?Q?a?=\n"), None);
    }

    #[test]
    fn line_breaks_become_crlf() {
        assert_eq!(to_crlf("a\nb\r\nc\rd\n"), "a\r\nb\r\nc\rd\r\n");
        assert_eq!(to_crlf("\n\nü\n"), "\r\n\r\nü\r\n");
        assert_eq!(to_crlf(""), "");
    }

    proptest::proptest! {
        /// Line by line, the result is what going character by character gives.
        #[test]
        fn crlf_lines_are_those_of_a_character_walk(text in "(\\PC|[\r\n]{1,3}|a){0,80}") {
            let mut expected = String::new();
            let mut previous = '\0';
            for c in text.chars() {
                if c == '\n' && previous != '\r' {
                    expected.push('\r');
                }
                expected.push(c);
                previous = c;
            }
            proptest::prop_assert_eq!(to_crlf(&text), expected);
        }
    }

    #[test]
    fn quotes_are_short_and_printable() {
        assert_eq!(quote(b"a\tb\r\n"), "\"a b\"");
        assert_eq!(quote(&[b'x'; 100]).chars().count(), 63);
    }
}
