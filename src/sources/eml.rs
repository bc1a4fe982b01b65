//! Files that hold one message (`.eml` and its extension-less cousins): telling them apart from
//! mbox files and from things that are not mail, and reading one as a [`RawMessage`].
//!
//! How a file found in a mail folder is taken ([`classify`]):
//!
//! 1. Hidden files (`.DS_Store`, `._x`), `Thumbs.db`, `desktop.ini` and Thunderbird's `.msf`
//!    summaries are bookkeeping: [`FileKind::NotMail`], listed once in the store's notes,
//!    never counted as messages. Apple Mail's `.emlxpart` files are read with the partial
//!    message they belong to ([`FileKind::Ignored`]).
//! 2. `.mbox`/`.mbx`: an mbox, a folder of its own (empty file: an empty folder).
//! 3. `.emlx`/`.partial.emlx`: an Apple Mail message file, read as Apple Mail reads it.
//! 4. A known non-mail extension (images, documents, archives, calendars, contacts, data and
//!    settings files…) is [`FileKind::NotMail`]: plainly not mail, so not a message found.
//! 5. An empty file is reported as not a message (an export that failed half-way leaves
//!    those where messages should be).
//! 6. `.eml`: one message, whatever it holds (a `.eml` may contain NUL bytes or start with an
//!    mbox `From ` line, which is removed).
//! 7. Otherwise the content decides: a file starting with a `From ` line is split by the mbox
//!    reader — one message stays a message of the folder (many tools save single messages that
//!    way), two or more make it an mbox folder of its own; a file starting with a header line
//!    is a message; a binary file is not mail ([`FileKind::NotMail`]) unless it is named like
//!    an Outlook message (`.msg`, reported as not read by this app); a text file with no
//!    extension or `.txt` is [`FileKind::HeaderlessText`], a message without a header when
//!    other messages lie in the same directory (CPython's `msg_19.txt`, Thunderbird's
//!    `basic4`: the converter still gets their text) and not a message when it lies alone (a
//!    `short.txt` attachment saved in a folder of its own); anything else is not a message.
//!
//! A file with a Thunderbird summary beside it (`Inbox` and `Inbox.msf`) is a mail folder
//! whatever it holds ([`classify_with_summary`]).
//!
//! A loose message keeps the state its mail client wrote into its headers
//! ([`read_loose_message_file`], [`state`]).

use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::Path;
use std::sync::Arc;

use crate::model::{FileSpan, FolderPath, Found, LARGE_MESSAGE, Origin, RawMessage, SkipReason};
use crate::sources::mbox::{self, MboxReader};
use crate::sources::{Probe, lowercase_extension, state};

/// What a file found in a mail folder holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// One message: the whole file (less a leading From_ line).
    Message,
    /// One message framed as an mbox of one (read with [`MboxReader`]).
    FramedMessage,
    /// An mbox: a folder of its own.
    Mbox,
    /// Text with no mail header and a name that does not say otherwise (no extension, `.txt`):
    /// a message if it lies among other messages, else not mail — the caller knows which.
    HeaderlessText,
    /// An Apple Mail message file (`.emlx`, `.partial.emlx`).
    Emlx,
    /// Something that may have been a message but cannot be converted; reported with this
    /// reason as a message found and skipped.
    Skip(SkipReason),
    /// Plainly not mail (a picture, a settings file, a mail client's index): not a message
    /// found; the store lists it once in its notes under this kind ("images", …).
    NotMail(&'static str),
    /// Part of a message read with another file (an `.emlxpart`).
    Ignored,
}

/// Extensions of files that are never a mail message, with what to call them in a note.
const NOT_MAIL: &[(&[&str], &str)] = &[
    (
        &[
            "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "heic", "webp", "svg", "ico",
        ],
        "images",
    ),
    (
        &[
            "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf",
            "pages", "numbers", "key",
        ],
        "documents",
    ),
    (
        &[
            "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "tar", "zst", "xpi", "baklz4",
        ],
        "archives",
    ),
    (
        &["mp3", "m4a", "wav", "mp4", "mov", "avi", "mkv"],
        "audio or video files",
    ),
    (&["ics", "vcs"], "calendar files"),
    (&["vcf"], "contact cards"),
    (
        &[
            "json", "jsonlz4", "mozlz4", "xml", "html", "htm", "css", "js", "csv", "tsv", "yaml",
            "yml", "toml", "ini", "md", "log", "plist", "dat", "rdf",
        ],
        "data, settings or text files",
    ),
    (
        &[
            "db",
            "sqlite",
            "sqlite3",
            "sqlite-wal",
            "sqlite-shm",
            "sqlite-journal",
            "idx",
            "toc",
            "mab",
            "lock",
        ],
        "databases or indexes",
    ),
    (&["pst", "ost"], "Outlook data files"),
    (&["exe", "dll", "so", "dylib", "bin"], "programs"),
];

/// What bookkeeping files are called in a note.
const BOOKKEEPING: &str = "mail-client or system bookkeeping files";

/// What binary files with a name that does not say more are called in a note.
const BINARY: &str = "binary files";

/// File names (lower case) that mail folders collect and nobody reads.
const BOOKKEEPING_NAMES: &[&str] = &["thumbs.db", "desktop.ini", "icon\r"];

/// Decides what a file found in a mail folder holds (see the module docs for the rules).
/// Reads at most the file's first bytes — or, for a file that starts with a From_ line, up to
/// its second message.
pub fn classify(path: &Path) -> FileKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let extension = lowercase_extension(path);
    if name.starts_with('.') || BOOKKEEPING_NAMES.contains(&name.as_str()) || extension == "msf" {
        return FileKind::NotMail(BOOKKEEPING);
    }
    if extension == "emlxpart" {
        return FileKind::Ignored;
    }
    let len = match fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(e) => return unreadable(&e),
    };
    if matches!(extension.as_str(), "mbox" | "mbx") {
        return classify_named_mbox(path);
    }
    if extension == "emlx" {
        return FileKind::Emlx;
    }
    if let Some((_, what)) = NOT_MAIL
        .iter()
        .find(|(exts, _)| exts.contains(&extension.as_str()))
    {
        return FileKind::NotMail(what);
    }
    if len == 0 {
        return FileKind::Skip(SkipReason::NotAMessage("an empty file".to_owned()));
    }
    if extension == "eml" {
        return FileKind::Message;
    }
    let head = match read_head(path) {
        Ok(head) => head,
        Err(e) => return unreadable(&e),
    };
    if mbox::looks_like_mbox_start(&head) {
        return classify_framed(path);
    }
    if starts_with_header_line(&head) {
        return FileKind::Message;
    }
    if is_binary(&head) {
        if extension == "msg" {
            return FileKind::Skip(SkipReason::NotAMessage(
                "an Outlook .msg file (not read by this app)".to_owned(),
            ));
        }
        return FileKind::NotMail(BINARY);
    }
    if extension.is_empty() || extension == "txt" {
        return FileKind::HeaderlessText;
    }
    FileKind::Skip(SkipReason::NotAMessage(
        "a file that does not start with a mail header".to_owned(),
    ))
}

/// Like [`classify`], for a file that has a Thunderbird summary beside it (`X` and `X.msf`):
/// such a file is a mail folder, so an empty one is an empty mbox folder and one that holds a
/// single message is still a folder, not a message of its parent.
pub fn classify_with_summary(path: &Path) -> FileKind {
    match read_head(path) {
        Ok(head) if head.is_empty() || mbox::looks_like_mbox_start(&head) => FileKind::Mbox,
        Ok(_) => classify(path),
        Err(e) => unreadable(&e),
    }
}

/// A `.mbox` file: an mbox folder, unless nothing in it is a From_ line.
fn classify_named_mbox(path: &Path) -> FileKind {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return unreadable(&e),
    };
    match MboxReader::new(file).skip_message().transpose() {
        Ok(_) => FileKind::Mbox,
        Err(e) => match mbox::NotAnMbox::from_io(&e) {
            Some(not_an_mbox) => FileKind::Skip(SkipReason::NotAMessage(not_an_mbox.to_string())),
            None => unreadable(&e),
        },
    }
}

/// A file that starts with a From_ line: one message, or an mbox when it holds more.
fn classify_framed(path: &Path) -> FileKind {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return unreadable(&e),
    };
    let mut reader = MboxReader::new(file);
    let mut messages = 0;
    while messages < 2 {
        match reader.skip_message() {
            None => break,
            Some(Ok(_)) => messages += 1,
            Some(Err(e)) => return unreadable(&e),
        }
    }
    if messages == 1 {
        FileKind::FramedMessage
    } else {
        FileKind::Mbox
    }
}

fn unreadable(error: &io::Error) -> FileKind {
    FileKind::Skip(SkipReason::Unreadable(error.to_string()))
}

fn read_head(path: &Path) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    File::open(path)?
        .take(Probe::HEAD_LEN as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// True when the first non-blank line of `head` is a header field: printable field-name
/// characters, then `:`.
pub fn starts_with_header_line(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let line = &head[start..];
    let name_len = line
        .iter()
        .take_while(|&&b| (33..=126).contains(&b) && b != b':')
        .count();
    name_len > 0 && line.get(name_len) == Some(&b':')
}

/// A NUL byte, or the signature of a common binary format.
fn is_binary(head: &[u8]) -> bool {
    const SIGNATURES: &[&[u8]] = &[
        b"%PDF",
        b"\x89PNG",
        b"\xFF\xD8\xFF",
        b"GIF8",
        b"PK\x03\x04",
        b"\xD0\xCF\x11\xE0",
        b"\x1F\x8B",
    ];
    head.contains(&0) || SIGNATURES.iter().any(|s| head.starts_with(s))
}

/// Reads a file that holds one message. A byte-order mark and an mbox From_ line at its start
/// are framing, not message: they are removed, and the From_ line's date becomes the received
/// time. Problems reading the file become a skipped item, so one bad file never stops a folder.
pub fn read_message_file(path: &Path, folder: &FolderPath) -> Found {
    let origin = Origin::File {
        path: path.to_path_buf(),
    };
    let read = fs::metadata(path).and_then(|meta| {
        if meta.len() >= LARGE_MESSAGE {
            large_message_file(path, meta.len()).map(Err)
        } else {
            fs::read(path).map(Ok)
        }
    });
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err((span, received))) => {
            let mut raw = RawMessage::large(folder.clone(), span, origin);
            raw.received = received;
            return Found::Message(raw);
        }
        Err(e) => {
            return Found::Skipped {
                origin,
                reason: SkipReason::Unreadable(e.to_string()),
            };
        }
    };
    let mut message = &bytes[..];
    message = message.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(message);
    let mut received = None;
    if message.starts_with(b"From ") {
        let line_end = message.iter().position(|&b| b == b'\n');
        let from_line = &message[..line_end.unwrap_or(message.len())];
        received = mbox::parse_from_line_date(from_line.strip_suffix(b"\r").unwrap_or(from_line));
        message = &message[line_end.map_or(message.len(), |i| i + 1)..];
    }
    if message.iter().all(u8::is_ascii_whitespace) {
        return Found::Skipped {
            origin,
            reason: SkipReason::NotAMessage("an empty file".to_owned()),
        };
    }
    let framing = bytes.len() - message.len();
    let mut bytes = bytes;
    bytes.drain(..framing);
    let mut raw = RawMessage::new(folder.clone(), bytes, origin);
    raw.received = received;
    Found::Message(raw)
}

/// A message file too large to read into memory: the span after its framing (byte-order mark,
/// mbox From_ line), and the From_ line's date.
fn large_message_file(path: &Path, len: u64) -> std::io::Result<(FileSpan, Option<i64>)> {
    let file = Arc::new(File::open(path)?);
    let whole = FileSpan::new(Arc::clone(&file), 0, len);
    let head = whole.head(64 * 1024)?;
    let mut message = &head[..];
    message = message.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(message);
    let mut received = None;
    if message.starts_with(b"From ")
        && let Some(line_end) = message.iter().position(|&b| b == b'\n')
    {
        let from_line = &message[..line_end];
        received = mbox::parse_from_line_date(from_line.strip_suffix(b"\r").unwrap_or(from_line));
        message = &message[line_end + 1..];
    }
    let framing = (head.len() - message.len()) as u64;
    Ok((FileSpan::new(file, framing, len - framing), received))
}

/// Reads a message file found loose (in a folder tree, or opened on its own) with the state its
/// mail client wrote into its headers ([`state`]). A maildir file takes its state from its
/// name instead and is read with [`read_message_file`].
pub fn read_loose_message_file(path: &Path, folder: &FolderPath) -> Found {
    match read_message_file(path, folder) {
        Found::Message(raw) => state::apply(raw),
        skipped => skipped,
    }
}

/// A file that holds a single message: a `.eml` or Apple Mail `.emlx`, or a file (other than
/// `.mbox`) whose first bytes `head` are a header line.
pub fn is_message_file(path: &Path, head: &[u8]) -> bool {
    let extension = lowercase_extension(path);
    matches!(extension.as_str(), "eml" | "emlx")
        || (!matches!(extension.as_str(), "mbox" | "mbx")
            && !mbox::looks_like_mbox_start(head)
            && starts_with_header_line(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_line_detection() {
        assert!(starts_with_header_line(b"Subject: x\n"));
        assert!(starts_with_header_line(b"\xEF\xBB\xBF\r\nX-Foo:bar"));
        assert!(!starts_with_header_line(
            b"\r\nThis message has no content type."
        ));
        assert!(!starts_with_header_line(
            b"Send Ppp mailing list submissions to"
        ));
        assert!(!starts_with_header_line(b": no name"));
        assert!(!starts_with_header_line(b"From x Tue"));
        assert!(!starts_with_header_line(b""));
    }

    /// A message file of 32 MiB or more is not read into memory: the message is the file
    /// after its framing, read from there when it is converted.
    #[test]
    fn a_large_message_file_stays_in_its_file() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.eml");
        let mut file = std::fs::File::create(&path).unwrap();
        let framing = "\u{FEFF}From ann@example.com Mon Jan  7 09:00:00 2019\n";
        file.write_all(framing.as_bytes()).unwrap();
        file.write_all(b"Subject: large\n\n").unwrap();
        let line = [b'x'; 1023];
        for _ in 0..LARGE_MESSAGE / 1024 {
            file.write_all(&line).unwrap();
            file.write_all(b"\n").unwrap();
        }
        drop(file);
        let Found::Message(raw) = read_message_file(&path, &FolderPath::root()) else {
            panic!("not a message");
        };
        assert!(raw.bytes.is_empty());
        let span = raw.large.as_ref().unwrap();
        assert_eq!(span.len(), LARGE_MESSAGE + 16);
        assert_eq!(span.head(16).unwrap(), b"Subject: large\n\n");
        assert_eq!(raw.received, Some(1_546_851_600));
    }

    #[test]
    fn binary_detection() {
        assert!(is_binary(b"%PDF-1.4"));
        assert!(is_binary(b"abc\0def"));
        assert!(!is_binary(b"Subject: x\n\nbody"));
    }
}
