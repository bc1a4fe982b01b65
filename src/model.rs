//! The neutral types every layer shares: what a mail store is, where a folder sits in it, and one
//! message as the store keeps it. Nothing here parses mail.

use std::fmt;
use std::path::PathBuf;

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
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
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
    File { path: PathBuf },
    /// A message inside a file that holds many (mbox): the byte offset of its separator line.
    FileOffset { path: PathBuf, offset: u64 },
    /// A row of a database (Apple Mail's Envelope Index).
    DatabaseRow { database: PathBuf, row: i64 },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path } => write!(f, "{}", path.display()),
            Origin::FileOffset { path, offset } => write!(f, "{} at byte {offset}", path.display()),
            Origin::DatabaseRow { database, row } => {
                write!(f, "{} row {row}", database.display())
            }
        }
    }
}

/// One message as the store keeps it. The bytes are RFC 5322 exactly as stored (after the
/// store's own framing is removed: mbox escaping, emlx byte count and trailer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    pub folder: FolderPath,
    pub bytes: Vec<u8>,
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
            flags: MessageFlags::default(),
            received: None,
            keywords: Vec::new(),
            warnings: Vec::new(),
            origin,
        }
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TextDigest {
    pub sha256: [u8; 32],
    pub chars: usize,
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
    pub sha256: [u8; 32],
    /// False when the part is cut short: its multipart never closes, or its base64 stops in
    /// the middle of a group.
    pub whole: bool,
    /// False when its transfer encoding could not be decoded cleanly (the bytes are then what
    /// could be recovered).
    pub clean: bool,
    /// The decoded bytes. The job keeps them only while the conversion consults the reading.
    pub data: Vec<u8>,
}
