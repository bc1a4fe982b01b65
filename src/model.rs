//! The neutral types every layer shares: what a mail store is, where a folder sits in it, and one
//! message as the store keeps it. Nothing here parses mail.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The kind of mail store a source reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StoreKind {
    /// A loose mbox file (any variant: mboxo, mboxrd, mboxcl, mboxcl2).
    Mbox,
    /// A folder tree of `.eml` files.
    EmlFolder,
    /// A maildir tree (`cur/`, `new/`).
    Maildir,
    /// A Thunderbird profile.
    Thunderbird,
    /// A Postbox profile (a Thunderbird fork with the same store).
    Postbox,
    /// An Apple Mail library (`~/Library/Mail/V*` and older layouts).
    AppleMail,
    /// An Apple Mail "Export Mailbox…" bundle (`Name.mbox/mbox`).
    AppleMailExport,
    /// Gmail as Google Takeout exports it: an mbox file whose messages carry their labels.
    GmailTakeout,
    /// An account on an IMAP server, read over the network.
    Imap,
    /// `.vcf` (vCard) and `.ics` (iCalendar) files: contacts, events and tasks.
    ContactsAndCalendars,
    /// macOS Contacts (`~/Library/Application Support/AddressBook`).
    AppleContacts,
    /// macOS Calendar (`~/Library/Calendars`).
    AppleCalendar,
}

impl StoreKind {
    /// The name a user knows the store by.
    pub fn label(self) -> &'static str {
        match self {
            StoreKind::Mbox => "MBOX file",
            StoreKind::EmlFolder => "EML files",
            StoreKind::Maildir => "Maildir",
            StoreKind::Thunderbird => "Thunderbird",
            StoreKind::Postbox => "Postbox",
            StoreKind::AppleMail => "Apple Mail",
            StoreKind::AppleMailExport => "Apple Mail export",
            StoreKind::GmailTakeout => "Gmail (Google Takeout)",
            StoreKind::Imap => "IMAP account",
            StoreKind::ContactsAndCalendars => "Contacts and calendars",
            StoreKind::AppleContacts => "Apple Contacts",
            StoreKind::AppleCalendar => "Apple Calendar",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What a folder holds: mail, or the contacts, events or tasks of an address book or calendar.
/// Each becomes its own kind of Outlook folder.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FolderKind {
    #[default]
    Mail,
    /// vCards (one per item).
    Contacts,
    /// iCalendar events (one VCALENDAR per item: an event, its changed occurrences and the
    /// time zones they use).
    Calendar,
    /// iCalendar to-dos (one VCALENDAR per item).
    Tasks,
}

impl FolderKind {
    /// One of the folder's items, for counts shown to a person.
    pub fn item(self) -> &'static str {
        match self {
            FolderKind::Mail => "message",
            FolderKind::Contacts => "contact",
            FolderKind::Calendar => "event",
            FolderKind::Tasks => "task",
        }
    }

    /// What the folder's items are called, for counts shown to a person.
    pub fn items(self) -> &'static str {
        match self {
            FolderKind::Mail => "messages",
            FolderKind::Contacts => "contacts",
            FolderKind::Calendar => "events",
            FolderKind::Tasks => "tasks",
        }
    }
}

/// Where a folder sits in its store: the folder names from the store's root, as the user sees
/// them (decoded, NFC). The empty path is the store itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FolderPath(Vec<String>);

impl FolderPath {
    /// The store's root.
    pub fn root() -> Self {
        FolderPath(Vec::new())
    }

    /// A path from its names, outermost first.
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        FolderPath(names.into_iter().map(Into::into).collect())
    }

    /// The path of a child folder named `name`.
    pub fn child(&self, name: impl Into<String>) -> Self {
        let mut names = self.0.clone();
        names.push(name.into());
        FolderPath(names)
    }

    /// The parent folder, or `None` for the root.
    pub fn parent(&self) -> Option<Self> {
        let (_, parent) = self.0.split_last()?;
        Some(FolderPath(parent.to_vec()))
    }

    /// The folder names, outermost first.
    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// The folder's own name (empty for the root).
    pub fn name(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or("")
    }

    /// How deep the folder is (0 for the root).
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// True for the store's root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &FolderPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for FolderPath {
    /// Names joined with " › ", the way the app shows a folder's place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" › "))
    }
}

/// The state a mail client kept for a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageFlags {
    pub read: bool,
    pub replied: bool,
    pub forwarded: bool,
    /// Starred or flagged for follow-up.
    pub flagged: bool,
    /// An unsent draft.
    pub draft: bool,
}

/// Where a message came from, so a report can point at it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A file that holds one message (.eml, .emlx, a maildir file).
    File {
        #[serde(with = "path_json")]
        path: PathBuf,
    },
    /// A message inside a file that holds many (mbox): the byte offset of its separator line.
    FileOffset {
        #[serde(with = "path_json")]
        path: PathBuf,
        offset: u64,
    },
    /// A row of a database (Apple Mail's Envelope Index).
    DatabaseRow {
        #[serde(with = "path_json")]
        database: PathBuf,
        row: i64,
    },
    /// A message on an IMAP server: the mailbox's address and the message's UID in it.
    Imap { mailbox: String, uid: u32 },
}

/// Paths in JSON (`#[serde(with = "path_json")]`): a string when the path is valid Unicode;
/// otherwise `{"lossy": "…", "bytes": […]}`, the path with U+FFFD where it is not valid, and
/// its bytes (on Windows `"utf16"`, its UTF-16 units). A report thus names every file, and a
/// path is never a reason for a report to be missing.
pub mod path_json {
    use std::borrow::Cow;
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// A path that is not valid Unicode, as JSON holds it.
    #[derive(Serialize, Deserialize)]
    struct Raw<'a> {
        lossy: Cow<'a, str>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes: Option<Vec<u8>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        utf16: Option<Vec<u16>>,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<'a> {
        Text(String),
        #[serde(borrow)]
        Raw(Raw<'a>),
    }

    pub fn serialize<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(text) = path.to_str() {
            return serializer.serialize_str(text);
        }
        let mut raw = Raw {
            lossy: path.to_string_lossy(),
            bytes: None,
            utf16: None,
        };
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            raw.bytes = Some(path.as_os_str().as_bytes().to_vec());
        }
        #[cfg(windows)]
        {
            use std::os::windows::ffi::OsStrExt as _;
            raw.utf16 = Some(path.as_os_str().encode_wide().collect());
        }
        raw.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
        Ok(match Either::deserialize(deserializer)? {
            Either::Text(text) => PathBuf::from(text),
            Either::Raw(raw) => from_raw(raw),
        })
    }

    fn from_raw(raw: Raw<'_>) -> PathBuf {
        #[cfg(unix)]
        if let Some(bytes) = raw.bytes {
            use std::os::unix::ffi::OsStringExt as _;
            return PathBuf::from(std::ffi::OsString::from_vec(bytes));
        }
        #[cfg(windows)]
        if let Some(units) = raw.utf16 {
            use std::os::windows::ffi::OsStringExt as _;
            return PathBuf::from(std::ffi::OsString::from_wide(&units));
        }
        PathBuf::from(raw.lossy.into_owned())
    }

    /// A list of paths, each as above.
    pub mod list {
        use std::path::PathBuf;

        use serde::ser::SerializeSeq as _;
        use serde::{Deserialize, Deserializer, Serializer};

        #[derive(Deserialize)]
        struct One(#[serde(with = "super")] PathBuf);

        pub fn serialize<S: Serializer>(
            paths: &[PathBuf],
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(Some(paths.len()))?;
            for path in paths {
                seq.serialize_element(&super::Shown(path))?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Vec<PathBuf>, D::Error> {
            Ok(Vec::<One>::deserialize(deserializer)?
                .into_iter()
                .map(|one| one.0)
                .collect())
        }
    }

    /// A path that serialises as above, for lists.
    struct Shown<'a>(&'a Path);

    impl Serialize for Shown<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serialize(self.0, serializer)
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path } => write!(f, "{}", path.display()),
            Origin::FileOffset { path, offset } => write!(f, "{} at byte {offset}", path.display()),
            Origin::DatabaseRow { database, row } => {
                write!(f, "{} row {row}", database.display())
            }
            Origin::Imap { mailbox, uid } => write!(f, "{mailbox} UID {uid}"),
        }
    }
}

/// One message as the store keeps it. The bytes are RFC 5322 exactly as stored (after the
/// store's own framing is removed: mbox escaping, emlx byte count and trailer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    pub folder: FolderPath,
    /// The message; empty when it is [`RawMessage::large`].
    pub bytes: Vec<u8>,
    /// A message of [`LARGE_MESSAGE`] bytes or more, left in its file: its bytes are read from
    /// there, a piece at a time, instead of being held in `bytes`.
    pub large: Option<FileSpan>,
    pub flags: MessageFlags,
    /// When the store received the message (mbox `From ` line, emlx `date-received`), as Unix
    /// seconds. `None` when the store does not say.
    pub received: Option<i64>,
    /// Tags the user gave the message, by their display names (they become Outlook categories).
    pub keywords: Vec<String>,
    /// Problems the source recovered from while reading this message (a missing attachment
    /// file, a broken trailer). The message is still converted; the report lists these.
    pub warnings: Vec<String>,
    pub origin: Origin,
}

impl RawMessage {
    /// A message with no flags, dates, tags or warnings.
    pub fn new(folder: FolderPath, bytes: Vec<u8>, origin: Origin) -> Self {
        RawMessage {
            folder,
            bytes,
            large: None,
            flags: MessageFlags::default(),
            received: None,
            keywords: Vec::new(),
            warnings: Vec::new(),
            origin,
        }
    }

    /// A message too large to hold in memory, read from `span` when it is converted.
    pub fn large(folder: FolderPath, span: FileSpan, origin: Origin) -> Self {
        let mut message = RawMessage::new(folder, Vec::new(), origin);
        message.large = Some(span);
        message
    }

    /// The message's size in bytes, as stored.
    pub fn size(&self) -> u64 {
        match &self.large {
            Some(span) => span.len(),
            None => self.bytes.len() as u64,
        }
    }

    /// The whole message in memory: `bytes`, or a large message read from its file. For
    /// checks that compare whole messages, not for converting them.
    pub fn read_all(&self) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
        match &self.large {
            Some(span) => span.read_all().map(std::borrow::Cow::Owned),
            None => Ok(std::borrow::Cow::Borrowed(&self.bytes)),
        }
    }
}

/// Messages of this many bytes or more are not read into memory by the sources: they come as a
/// [`FileSpan`] of the file that holds them, so that memory does not follow the largest message.
pub const LARGE_MESSAGE: u64 = 32 * 1024 * 1024;

/// Where a large message lies in the file that holds it: `len` bytes from `start`. The file is
/// kept open (read-only), so the message can be read again while the job runs.
#[derive(Clone, Debug)]
pub struct FileSpan {
    file: Arc<File>,
    start: u64,
    len: u64,
    /// Stored as an mbox stores it: a line `>From `, `>>From `… stands for one `>` fewer.
    from_quoted: bool,
}

impl PartialEq for FileSpan {
    fn eq(&self, other: &FileSpan) -> bool {
        Arc::ptr_eq(&self.file, &other.file)
            && self.start == other.start
            && self.len == other.len
            && self.from_quoted == other.from_quoted
    }
}

impl Eq for FileSpan {}

impl FileSpan {
    /// `len` bytes of `file` from `start`, read as they are.
    pub fn new(file: Arc<File>, start: u64, len: u64) -> FileSpan {
        FileSpan {
            file,
            start,
            len,
            from_quoted: false,
        }
    }

    /// The same bytes as an mbox stores a message: one `>` of each `>From ` line is quoting.
    pub fn mbox_quoted(mut self) -> FileSpan {
        self.from_quoted = true;
        self
    }

    /// Bytes in the file (quoting included).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads the message from its start, unquoted.
    pub fn reader(&self) -> SpanReader {
        SpanReader {
            file: Arc::clone(&self.file),
            next: self.start,
            end: self.start.saturating_add(self.len),
            from_quoted: self.from_quoted,
            buffer: Vec::new(),
            at: 0,
            line_start: true,
        }
    }

    /// The whole message, unquoted.
    pub fn read_all(&self) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
        self.reader().read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The message's first `max` bytes (or fewer), unquoted: enough for its header.
    pub fn head(&self, max: u64) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.reader().take(max).read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// Reads a [`FileSpan`], a buffer at a time, undoing mbox quoting where the span has it.
#[derive(Debug)]
pub struct SpanReader {
    file: Arc<File>,
    /// The file offset of the next byte to fetch, and the end of the span.
    next: u64,
    end: u64,
    from_quoted: bool,
    buffer: Vec<u8>,
    /// The next byte of `buffer` to hand out.
    at: usize,
    /// The next byte handed out starts a line.
    line_start: bool,
}

/// Bytes fetched from the file at a time.
const SPAN_BUFFER: usize = 64 * 1024;
/// How far a line's start is looked at for `>…>From `; a longer run of `>` is text.
const QUOTE_LOOKAHEAD: usize = 4096;

impl SpanReader {
    /// Keeps the unread bytes and fetches more after them, until at least `want` are
    /// buffered or the span ends. False at the end of the span with nothing left.
    fn fill(&mut self, want: usize) -> std::io::Result<bool> {
        if self.at > 0 {
            self.buffer.drain(..self.at);
            self.at = 0;
        }
        while self.buffer.len() < want && self.next < self.end {
            let room = SPAN_BUFFER.max(want) - self.buffer.len();
            let left = usize::try_from(self.end - self.next).unwrap_or(usize::MAX);
            let take = room.min(left);
            let old = self.buffer.len();
            self.buffer.resize(old + take, 0);
            let read = read_at(&self.file, &mut self.buffer[old..], self.next)?;
            self.buffer.truncate(old + read);
            if read == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file is shorter than when it was read: it changed",
                ));
            }
            self.next += read as u64;
        }
        Ok(!self.buffer.is_empty())
    }
}

impl Read for SpanReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            if self.at == self.buffer.len() && !self.fill(1)? {
                break;
            }
            if self.from_quoted && self.line_start {
                if self.buffer.len() - self.at < QUOTE_LOOKAHEAD {
                    self.fill(QUOTE_LOOKAHEAD)?;
                }
                let ahead = &self.buffer[self.at..];
                let quotes = ahead.iter().take_while(|&&b| b == b'>').count();
                if quotes > 0 && ahead[quotes..].starts_with(b"From ") {
                    self.at += 1;
                }
                self.line_start = false;
            }
            let ahead = &self.buffer[self.at..];
            let mut take = ahead.len().min(out.len() - written);
            if self.from_quoted {
                // Only a line that starts with `>` needs a look: copy up to the next one.
                if let Some(newline) = memchr::memmem::find(&ahead[..take], b"\n>") {
                    take = newline + 1;
                }
                self.line_start = ahead[take - 1] == b'\n';
            }
            out[written..written + take].copy_from_slice(&ahead[..take]);
            self.at += take;
            written += take;
        }
        Ok(written)
    }
}

/// Reads at `offset` without moving a shared cursor, so clones of a span read independently.
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buffer, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
    }
}

/// Why a message that was found is not in the PST. Every skip lands in the job's report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum SkipReason {
    /// The mail client had deleted it but not yet compacted the file (Thunderbird's expunged
    /// bit, Apple Mail's deleted flag). The text names the client.
    DeletedInSource(String),
    /// The mail client never downloaded the message body from the server.
    NotDownloaded,
    /// The mail client never downloaded it, and fetching it from the server was asked for but
    /// did not give it; the text says why.
    NotFetched(String),
    /// The message could not be read or converted; the text says why.
    Unreadable(String),
    /// A file in a mail folder that is not a mail message.
    NotAMessage(String),
    /// The same message was already written in this job.
    Duplicate,
    /// The free demo converts ten messages per folder.
    DemoLimit,
    /// The message's date lies outside the job's date range.
    OutsideDateRange,
    /// The folder was left out by the job's options (Trash, Junk).
    FolderExcluded,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::DeletedInSource(client) => {
                write!(f, "deleted in {client}, not yet compacted")
            }
            SkipReason::NotDownloaded => f.write_str("not downloaded from the server"),
            SkipReason::NotFetched(why) => {
                write!(f, "not downloaded, and not fetched from the server: {why}")
            }
            SkipReason::Unreadable(why) => write!(f, "unreadable: {why}"),
            SkipReason::NotAMessage(what) => write!(f, "not a mail message: {what}"),
            SkipReason::Duplicate => f.write_str("duplicate of a message already written"),
            SkipReason::DemoLimit => f.write_str("beyond the demo's ten messages per folder"),
            SkipReason::OutsideDateRange => f.write_str("outside the date range"),
            SkipReason::FolderExcluded => f.write_str("folder left out by the options"),
        }
    }
}

/// What a source found at one place of a folder: a message to convert, or one it already knows
/// will not be converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    Message(RawMessage),
    Skipped { origin: Origin, reason: SkipReason },
}

/// What the independent reading of a message saw in it: the module `reading`, a second MIME
/// parser that shares no code with the converter, fills it in. `verify`, the job's read-back and
/// the conversion's own cross-check compare against it. Plain data; nothing here reads mail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndependentReading {
    pub subject: Option<String>,
    /// The author (From:): display name, and address as written.
    pub from: Option<(Option<String>, String)>,
    /// Date:, as Unix seconds.
    pub date: Option<i64>,
    /// Message-ID with its angle brackets.
    pub message_id: Option<String>,
    /// The plain body, when the message has one of its own (not made from HTML).
    pub text_body: Option<TextDigest>,
    /// The HTML body, as it reads once stored as UTF-8.
    pub html_body: Option<TextDigest>,
    /// Every part that is not a body: files, and attached messages.
    pub attachments: Vec<PartReading>,
    /// The message is cut short: a multipart that never closes (a mailbox truncated in the
    /// middle of the message). Names the part that is cut.
    pub cut_short: Option<String>,
    /// What the reading had to recover from, one sentence each ("MIME part 2 …").
    pub notes: Vec<String>,
}

/// A body text as compared: line ends made LF, NUL characters removed, white space trimmed at
/// both ends, then SHA-256 of its UTF-8 and its length in characters. Empty text is no body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TextDigest {
    pub sha256: [u8; 32],
    pub chars: usize,
}

/// An attachment's content as the checks compare it: the 128-bit XXH3 of its bytes. The
/// checks look for accidents (an attachment emptied, cut short, decoded wrong), not for
/// forgeries, so a hash made for that is enough, and it costs a small part of a SHA-256: the
/// job hashes every attachment twice, once as the source holds it and once as the PST does.
pub type ContentHash = [u8; 16];

/// The [`ContentHash`] of bytes.
pub fn content_hash(bytes: &[u8]) -> ContentHash {
    xxhash_rust::xxh3::xxh3_128(bytes).to_le_bytes()
}

/// A [`ContentHash`] of bytes that come a piece at a time.
#[derive(Clone, Default)]
pub struct ContentHasher(xxhash_rust::xxh3::Xxh3Default);

impl std::fmt::Debug for ContentHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentHasher").finish_non_exhaustive()
    }
}

impl ContentHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(&self) -> ContentHash {
        self.0.digest128().to_le_bytes()
    }

    /// The size and [`ContentHash`] of everything `reader` gives, read 64 KiB at a time.
    pub fn of_reader(reader: impl std::io::Read) -> std::io::Result<(u64, ContentHash)> {
        let mut hash = ContentHasher::default();
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, reader);
        let size = std::io::copy(&mut reader, &mut hash)?;
        Ok((size, hash.finish()))
    }
}

/// So that a reader can be hashed with `io::copy`.
impl std::io::Write for ContentHasher {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One attachment as the independent reading decoded it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartReading {
    /// Where the part is in the message, as IMAP numbers parts ("2", "1.3").
    pub place: String,
    /// The file name the sender gave, decoded.
    pub name: Option<String>,
    /// MIME type, lower case.
    pub mime_type: String,
    /// An attached message (message/rfc822). Its size and hash are those of the message's
    /// bytes, which a PST does not keep as such: only its presence is compared.
    pub embedded: bool,
    pub size: u64,
    /// The decoded bytes' [`ContentHash`]: what the read-back compares the PST's bytes with.
    pub hash: ContentHash,
    /// CRC-32 of the decoded bytes: what the conversion pairs its attachments by, computed on
    /// its side as it decodes them.
    pub crc32: u32,
    /// False when the part is cut short: its multipart never closes, or its base64 stops in
    /// the middle of a group.
    pub whole: bool,
    /// False when its transfer encoding could not be decoded cleanly (the bytes are then what
    /// could be recovered).
    pub clean: bool,
    /// The decoded bytes. The job keeps them only while the conversion consults the reading.
    pub data: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `stored` in a file of its own, read back through a span.
    fn read_span(stored: &[u8], quoted: bool, chunk: usize) -> Vec<u8> {
        use std::io::Write as _;
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"before").unwrap();
        file.write_all(stored).unwrap();
        file.write_all(b"after").unwrap();
        let mut span = FileSpan::new(Arc::new(file), 6, stored.len() as u64);
        if quoted {
            span = span.mbox_quoted();
        }
        let mut reader = span.reader();
        let mut out = Vec::new();
        let mut buffer = vec![0; chunk];
        loop {
            let read = reader.read(&mut buffer).unwrap();
            if read == 0 {
                return out;
            }
            out.extend_from_slice(&buffer[..read]);
        }
    }

    #[test]
    fn a_span_reads_its_bytes_and_undoes_mbox_quoting_at_line_starts() {
        let stored =
            b">From the start\n>>From quoted twice\nnot >From here\r\n>From\n>Fro\n>From x";
        let unquoted = b"From the start\n>From quoted twice\nnot >From here\r\n>From\n>Fro\nFrom x";
        for chunk in [1, 2, 3, 7, 4096] {
            assert_eq!(read_span(stored, true, chunk), unquoted, "chunk {chunk}");
            assert_eq!(read_span(stored, false, chunk), stored, "chunk {chunk}");
        }
        let long = vec![b'x'; 200_000];
        assert_eq!(read_span(&long, true, 65_536), long);
    }

    #[test]
    fn origins_read_back_from_json_as_they_were() {
        let origin = Origin::FileOffset {
            path: PathBuf::from("Mail/Inbox"),
            offset: 7,
        };
        let json = serde_json::to_string(&origin).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"file_offset","path":"Mail/Inbox","offset":7}"#
        );
        assert_eq!(serde_json::from_str::<Origin>(&json).unwrap(), origin);
    }

    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_unicode_are_kept_as_text_and_as_bytes() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt as _;
        let origin = Origin::File {
            path: PathBuf::from(OsStr::from_bytes(b"Mail/caf\xe9.eml")),
        };
        let json = serde_json::to_string(&origin).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"file","path":{"lossy":"Mail/caf\ufffd.eml","bytes":[77,97,105,108,47,99,97,102,233,46,101,109,108]}}"#
                .replace("\\ufffd", "\u{fffd}")
        );
        assert_eq!(serde_json::from_str::<Origin>(&json).unwrap(), origin);
    }
}
