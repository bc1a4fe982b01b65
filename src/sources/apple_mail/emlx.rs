//! The `.emlx` file Apple Mail keeps each message in: a line with the message's byte count, that
//! many bytes of RFC 5322 message, then an XML property list with the flags and dates.
//! (docs/formats.md §1.3; the `emlx` crate is not used because it mis-decodes the flag fields and
//! panics on a broken trailer.)

use std::io::Cursor;
use std::path::Path;

use crate::model::MessageFlags;
use crate::sources::{Error, Result};

/// The longest byte-count line we accept: ten digits padded with spaces in every real sample;
/// anything much longer is not an emlx file.
const MAX_COUNT_LINE: usize = 40;

/// The raw `flags` value of an emlx trailer. It is 64 bits wide: real files set bit 33, whose
/// meaning is not documented, so the value is kept whole and read bit by bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EmlxFlags(pub u64);

impl EmlxFlags {
    const READ: u64 = 1 << 0;
    const DELETED: u64 = 1 << 1;
    const ANSWERED: u64 = 1 << 2;
    const FLAGGED: u64 = 1 << 4;
    const DRAFT: u64 = 1 << 6;
    const FORWARDED: u64 = 1 << 8;

    pub fn read(self) -> bool {
        self.0 & Self::READ != 0
    }
    /// Marked deleted (IMAP `\Deleted`) but not yet expunged.
    pub fn deleted(self) -> bool {
        self.0 & Self::DELETED != 0
    }
    pub fn answered(self) -> bool {
        self.0 & Self::ANSWERED != 0
    }
    pub fn flagged(self) -> bool {
        self.0 & Self::FLAGGED != 0
    }
    pub fn draft(self) -> bool {
        self.0 & Self::DRAFT != 0
    }
    pub fn forwarded(self) -> bool {
        self.0 & Self::FORWARDED != 0
    }

    /// The flags the rest of the app knows. Bits 10–15 (an attachment count that reads 63 when
    /// Mail never computed it) are deliberately not used.
    pub fn message_flags(self) -> MessageFlags {
        MessageFlags {
            read: self.read(),
            replied: self.answered(),
            forwarded: self.forwarded(),
            flagged: self.flagged(),
            draft: self.draft(),
        }
    }
}

/// What the property list after the message says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trailer {
    pub flags: Option<EmlxFlags>,
    /// `date-received`, Unix seconds.
    pub date_received: Option<i64>,
}

/// One emlx file taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emlx {
    /// The message bytes as stored (LF line endings, as Apple Mail writes them).
    pub message: Vec<u8>,
    /// `None` when the file has no readable property list.
    pub trailer: Option<Trailer>,
    /// Problems recovered from: a byte count larger than the file, a missing or broken trailer.
    pub warnings: Vec<String>,
}

/// Reads and splits one emlx file.
pub fn read(path: &Path) -> Result<Emlx> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(path, data)
}

/// Splits the bytes of an emlx file. `path` only names the file in errors. A file that does not
/// start with a byte count is an error; everything after that is recovered with a warning.
pub fn parse(path: &Path, mut data: Vec<u8>) -> Result<Emlx> {
    let not_emlx = |what: String| Error::Format {
        path: path.to_path_buf(),
        what: format!("not an emlx file: {what}"),
    };
    let line_end = data
        .iter()
        .take(MAX_COUNT_LINE)
        .position(|&b| b == b'\n')
        .ok_or_else(|| not_emlx("no byte-count line at the start".to_string()))?;
    let count_line = &data[..line_end];
    let digits = count_line.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(not_emlx(format!(
            "the first line `{}` is not a byte count",
            String::from_utf8_lossy(count_line)
        )));
    }
    let declared: usize = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            not_emlx(format!(
                "byte count `{}` is too large",
                String::from_utf8_lossy(digits)
            ))
        })?;
    let start = line_end + 1;
    let available = data.len() - start;
    let mut warnings = Vec::new();

    let (message_end, trailer_start) = if declared <= available {
        let after_count = &data[start + declared..];
        let trailer_there = {
            let trimmed = after_count.trim_ascii_start();
            trimmed.is_empty() || trimmed.starts_with(b"<?xml") || trimmed.starts_with(b"<plist")
        };
        match find_trailer_start(&data[start..]) {
            // Seen in the wild: a count smaller than the message. What follows the count is
            // still message, and the property list begins further on: read by content.
            Some(at) if !trailer_there && at > declared => {
                warnings.push(format!(
                    "the emlx byte count says {declared} bytes, but the message runs on to its \
                     property list ({at} bytes); it was read by its content"
                ));
                (start + at, start + at)
            }
            None if !trailer_there => {
                warnings.push(format!(
                    "the emlx byte count says {declared} bytes, but more message follows and no \
                     property list was found; the whole file was read as the message"
                ));
                (data.len(), data.len())
            }
            _ => (start + declared, start + declared),
        }
    } else {
        // Seen on real partial messages: the count is larger than what the file holds. The
        // property list still ends the file, so the message ends where it begins.
        match find_trailer_start(&data[start..]) {
            Some(at) => {
                warnings.push(format!(
                    "the emlx byte count says {declared} bytes but only {available} follow; \
                     the message was taken up to the property list ({at} bytes)"
                ));
                (start + at, start + at)
            }
            None => {
                warnings.push(format!(
                    "the emlx byte count says {declared} bytes but only {available} follow and \
                     no property list was found; the message may be cut short"
                ));
                (data.len(), data.len())
            }
        }
    };

    let trailer_bytes = &data[trailer_start..];
    let trailer = match parse_trailer(trailer_bytes) {
        Ok(trailer) => Some(trailer),
        Err(why) => {
            warnings.push(why);
            None
        }
    };
    let repair_boundary = closing_boundary_needs_hyphen(&data[start..message_end], trailer_bytes);

    data.truncate(message_end);
    data.drain(..start);
    if repair_boundary {
        // Apple Mail sometimes writes the final boundary with one trailing hyphen and counts
        // the bytes accordingly; `--boundary-` is no closing delimiter, so complete it.
        data.push(b'-');
    }
    Ok(Emlx {
        message: data,
        trailer,
        warnings,
    })
}

/// The offset of the property list that ends an emlx whose byte count overshoots: the last
/// `<?xml` at the start of a line.
fn find_trailer_start(rest: &[u8]) -> Option<usize> {
    match rfind(rest, b"\n<?xml") {
        Some(at) => Some(at + 1),
        None => rest.starts_with(b"<?xml").then_some(0),
    }
}

fn parse_trailer(bytes: &[u8]) -> std::result::Result<Trailer, String> {
    if bytes.trim_ascii().is_empty() {
        return Err("the emlx file has no property list after the message \
                    (read state, flags and date received are unknown)"
            .to_string());
    }
    let value = plist::Value::from_reader(Cursor::new(bytes))
        .map_err(|e| format!("the emlx property list cannot be read ({e}); flags are unknown"))?;
    let Some(dict) = value.as_dictionary() else {
        return Err("the emlx property list is not a dictionary; flags are unknown".to_string());
    };
    let integer = |key: &str| -> Option<i128> {
        match dict.get(key)? {
            plist::Value::Integer(i) => i
                .as_unsigned()
                .map(i128::from)
                .or_else(|| i.as_signed().map(i128::from)),
            plist::Value::Real(r) if r.is_finite() => Some(*r as i128),
            _ => None,
        }
    };
    Ok(Trailer {
        flags: integer("flags").map(|v| EmlxFlags(v as u64)),
        date_received: integer("date-received").and_then(|v| i64::try_from(v).ok()),
    })
}

/// True when the message ends in `--boundary-` (one hyphen short of a closing delimiter) right
/// before the property list, and `--boundary` is a delimiter line earlier in the message.
fn closing_boundary_needs_hyphen(message: &[u8], trailer: &[u8]) -> bool {
    if !trailer.starts_with(b"<?xml") || !message.ends_with(b"-") || message.ends_with(b"--") {
        return false;
    }
    let last_line_start = rfind(message, b"\n").map_or(0, |at| at + 1);
    let last_line = &message[last_line_start..];
    let Some(boundary) = last_line
        .strip_prefix(b"--")
        .and_then(|l| l.strip_suffix(b"-"))
    else {
        return false;
    };
    if boundary.is_empty() {
        return false;
    }
    let mut delimiter = b"\n--".to_vec();
    delimiter.extend_from_slice(boundary);
    delimiter.push(b'\n');
    contains(&message[..last_line_start], &delimiter)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn corpus(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/applemail/partial-emlx-converter")
            .join(name)
    }

    const PLIST: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \
        \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
        <plist version=\"1.0\">\n<dict>\n\t<key>date-received</key>\n\t<integer>1517000478</integer>\n\
        \t<key>flags</key>\n\t<integer>8623689857</integer>\n</dict>\n</plist>\n";

    fn emlx(count: &str, message: &str, trailer: &str) -> Vec<u8> {
        format!("{count}\n{message}{trailer}").into_bytes()
    }

    #[test]
    fn padded_count_line_and_trailer() {
        let parsed = parse(Path::new("x"), emlx("5     ", "Hi: x", PLIST)).unwrap();
        assert_eq!(parsed.message, b"Hi: x");
        let trailer = parsed.trailer.unwrap();
        assert_eq!(trailer.date_received, Some(1_517_000_478));
        assert_eq!(trailer.flags, Some(EmlxFlags(8_623_689_857)));
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn crlf_after_count_is_tolerated() {
        let parsed = parse(Path::new("x"), emlx("5\r", "Hi: x", PLIST)).unwrap();
        assert_eq!(parsed.message, b"Hi: x");
    }

    #[test]
    fn flag_bits_follow_the_documented_table() {
        // Raw values of the real corpus files (SOURCES.md).
        let unread = EmlxFlags(8_623_750_272).message_flags();
        assert_eq!(unread, MessageFlags::default());
        let read = EmlxFlags(8_623_689_857);
        assert!(read.read() && !read.deleted() && !read.answered());
        let answered = EmlxFlags(25_803_555_845).message_flags();
        assert!(answered.read && answered.replied && !answered.forwarded);
        let all = EmlxFlags(0b1_0101_0111);
        assert!(all.read() && all.deleted() && all.answered() && all.flagged());
        assert!(all.draft() && all.forwarded());
        // The attachment-count field (bits 10–15) sets no flag.
        assert_eq!(
            EmlxFlags(0x3F << 10).message_flags(),
            MessageFlags::default()
        );
    }

    #[test]
    fn missing_trailer_is_a_warning() {
        let parsed = parse(Path::new("x"), emlx("5", "Hi: x", "")).unwrap();
        assert_eq!(parsed.message, b"Hi: x");
        assert_eq!(parsed.trailer, None);
        assert_eq!(parsed.warnings.len(), 1);
    }

    #[test]
    fn broken_trailer_is_a_warning() {
        let parsed = parse(Path::new("x"), emlx("5", "Hi: x", "<?xml <dict>")).unwrap();
        assert_eq!(parsed.message, b"Hi: x");
        assert_eq!(parsed.trailer, None);
        assert!(
            parsed.warnings[0].contains("property list"),
            "{:?}",
            parsed.warnings
        );
    }

    #[test]
    fn overlong_count_stops_at_the_trailer() {
        let parsed = parse(Path::new("x"), emlx("900", "Hi: x\n", PLIST)).unwrap();
        assert_eq!(parsed.message, b"Hi: x\n");
        assert!(parsed.trailer.is_some());
        assert!(parsed.warnings[0].contains("900"), "{:?}", parsed.warnings);
    }

    #[test]
    fn overlong_count_without_trailer_keeps_everything() {
        let parsed = parse(Path::new("x"), emlx("900", "Hi: x\n", "")).unwrap();
        assert_eq!(parsed.message, b"Hi: x\n");
        assert_eq!(parsed.warnings.len(), 2, "{:?}", parsed.warnings);
    }

    #[test]
    fn not_an_emlx_is_an_error() {
        for bytes in [
            &b""[..],
            b"\n",
            b"abc\n",
            b"12 34\n",
            b"99999999999999999999999\n",
        ] {
            assert!(parse(Path::new("x"), bytes.to_vec()).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn single_hyphen_closing_boundary_is_completed() {
        let message = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b-";
        let parsed = parse(
            Path::new("x"),
            emlx(&message.len().to_string(), message, PLIST),
        )
        .unwrap();
        assert!(parsed.message.ends_with(b"\n--b--"));
        // A line that only looks like it is left alone.
        let message = "Subject: x\n\nsee you -\n--nothing-";
        let parsed = parse(
            Path::new("x"),
            emlx(&message.len().to_string(), message, PLIST),
        )
        .unwrap();
        assert_eq!(parsed.message, message.as_bytes());
    }

    #[test]
    fn real_files() {
        let complete = read(&corpus("Messages/114862.emlx")).unwrap();
        let expected = std::fs::read(corpus("expected_results/114862.eml")).unwrap();
        assert_eq!(complete.message, expected);
        assert!(complete.warnings.is_empty());
        let trailer = complete.trailer.unwrap();
        assert_eq!(trailer.flags, Some(EmlxFlags(8_623_750_272)));
        assert_eq!(trailer.date_received, Some(1_516_985_072));

        let unpadded = read(&corpus("Messages/11507.emlx")).unwrap();
        assert_eq!(unpadded.message.len(), 3685);
        assert!(unpadded.message.starts_with(b"X-Antivirus: avg"));

        let short = read(&corpus("Messages/114895.partial.emlx")).unwrap();
        assert!(
            short
                .message
                .ends_with(b"\n--Apple-Mail=_F073CB14-2AA7-40E0-88F6-8C1A8748438B--")
        );

        for (name, flags) in [
            ("136153.partial.emlx", 25_803_555_845),
            ("229417.partial.emlx", 25_770_001_409),
        ] {
            let overlong = read(&corpus(&format!("Messages/{name}"))).unwrap();
            assert!(overlong.message.ends_with(b"--\n"), "{name}");
            assert!(!contains(&overlong.message, b"<?xml"), "{name}");
            assert_eq!(overlong.trailer.unwrap().flags, Some(EmlxFlags(flags)));
            assert_eq!(overlong.warnings.len(), 1, "{name}");
        }

        let invalid = read(&corpus("skip-emlx/invalid.emlx")).unwrap_err();
        assert!(
            invalid.to_string().contains("not an emlx file"),
            "{invalid}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse(Path::new("x"), bytes);
        }

        #[test]
        fn arbitrary_bytes_after_a_count_never_panic(
            count in 0usize..400,
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            let mut data = format!("{count}\n").into_bytes();
            data.extend(bytes);
            let _ = parse(Path::new("x"), data);
        }
    }
}
