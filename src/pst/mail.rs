//! What the writer stores: a mail message in MAPI terms, free of MIME. `convert/` fills these from
//! parsed mail; the messaging layer turns them into property contexts and tables.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

/// A point in time as a PST keeps it: 100-nanosecond ticks since 1601-01-01 UTC (FILETIME).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileTime(pub u64);

impl FileTime {
    /// Seconds between 1601-01-01 and 1970-01-01.
    const UNIX_EPOCH_SECONDS: i64 = 11_644_473_600;

    /// The FILETIME of a Unix time in seconds; `None` before 1601 or past the year 30828.
    pub fn from_unix(seconds: i64) -> Option<FileTime> {
        let since_1601 = seconds.checked_add(Self::UNIX_EPOCH_SECONDS)?;
        let since_1601 = u64::try_from(since_1601).ok()?;
        since_1601.checked_mul(10_000_000).map(FileTime)
    }

    /// The Unix time in whole seconds.
    pub fn to_unix(self) -> i64 {
        (self.0 / 10_000_000) as i64 - Self::UNIX_EPOCH_SECONDS
    }
}

/// A mailbox: a display name and an address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    pub name: Option<String>,
    /// The address, e.g. `ann@example.com`. May be empty when the mail named only a person.
    pub email: String,
}

impl Address {
    pub fn new(name: Option<&str>, email: &str) -> Self {
        Address {
            name: name.map(str::to_owned),
            email: email.to_owned(),
        }
    }

    /// What Outlook shows for this address: the name, else the address.
    pub fn display(&self) -> &str {
        match &self.name {
            Some(name) if !name.is_empty() => name,
            _ => &self.email,
        }
    }
}

/// Which header a recipient came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecipientKind {
    To,
    Cc,
    Bcc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub kind: RecipientKind,
    pub address: Address,
}

/// How important the sender marked the message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Importance {
    Low,
    #[default]
    Normal,
    High,
}

/// The state the mail client kept, as Outlook shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MessageState {
    pub read: bool,
    pub replied: bool,
    pub forwarded: bool,
    /// Flagged for follow-up (Outlook's red flag).
    pub flagged: bool,
    /// An unsent draft (MSGFLAG_UNSENT). Never set this on received mail: Outlook would show it
    /// as "not sent".
    pub draft: bool,
}

/// One attachment of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The file name as the sender gave it (decoded).
    pub filename: Option<String>,
    /// The MIME type, e.g. `image/png`.
    pub mime_type: Option<String>,
    /// The Content-ID without angle brackets, for parts the HTML body refers to.
    pub content_id: Option<String>,
    /// The Content-Location, for parts the HTML body refers to by URL.
    pub content_location: Option<String>,
    /// An inline image that the HTML body shows: hidden from the attachment list.
    pub hidden: bool,
    pub content: AttachmentContent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachmentContent {
    /// The attachment's bytes (attached by value).
    Data(Vec<u8>),
    /// Bytes too many to hold in memory, attached by value as `Data` is: the writer reads them
    /// from a file a block at a time as it writes the message.
    Streamed(StreamedData),
    /// A message attached to this one (message/rfc822), stored as an embedded message object.
    Message(Box<Message>),
}

/// `len` bytes of an open file from `offset`: an attachment's content, read when the message
/// is written. The file stays open as long as a clone of this does.
#[derive(Clone, Debug)]
pub struct StreamedData {
    file: Arc<File>,
    offset: u64,
    len: u64,
}

impl PartialEq for StreamedData {
    fn eq(&self, other: &StreamedData) -> bool {
        Arc::ptr_eq(&self.file, &other.file) && self.offset == other.offset && self.len == other.len
    }
}

impl Eq for StreamedData {}

impl StreamedData {
    pub fn new(file: Arc<File>, offset: u64, len: u64) -> StreamedData {
        StreamedData { file, offset, len }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads the bytes from the start, without moving a cursor other readers share.
    pub fn reader(&self) -> StreamedReader<'_> {
        StreamedReader {
            data: self,
            done: 0,
        }
    }

    /// All the bytes in memory (for tests and checks, not for writing).
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
        self.reader().read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// Reads a [`StreamedData`]; a file shorter than the data is an error.
#[derive(Debug)]
pub struct StreamedReader<'a> {
    data: &'a StreamedData,
    done: u64,
}

impl Read for StreamedReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let left = self.data.len - self.done;
        let want = out.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let offset = self.data.offset + self.done;
        #[cfg(unix)]
        let read = std::os::unix::fs::FileExt::read_at(&*self.data.file, &mut out[..want], offset)?;
        #[cfg(windows)]
        let read =
            std::os::windows::fs::FileExt::seek_read(&*self.data.file, &mut out[..want], offset)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "an attachment's file is shorter than its data",
            ));
        }
        self.done += read as u64;
        Ok(read)
    }
}

/// A mail message as the PST stores it. Absent values stay absent in the PST; nothing is
/// invented to fill a gap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// The subject as the sender wrote it, prefix ("RE: ") included.
    pub subject: Option<String>,
    /// The author (From:). Outlook's "From" column.
    pub from: Option<Address>,
    /// Who sent it on the author's behalf (Sender:), when it differs from `from`.
    pub sender: Option<Address>,
    pub recipients: Vec<Recipient>,
    /// When the message was sent (Date:).
    pub submit_time: Option<FileTime>,
    /// When the message was received (Outlook's "Received" column).
    pub delivery_time: Option<FileTime>,
    pub state: MessageState,
    pub importance: Importance,
    /// Message-ID with its angle brackets.
    pub internet_message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    /// The original header block, as received.
    pub transport_headers: Option<String>,
    /// The plain-text body.
    pub body_text: Option<String>,
    /// The HTML body, as UTF-8.
    pub body_html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Outlook categories (Thunderbird tags, Apple Mail colours).
    pub categories: Vec<String>,
    /// Outlook's conversation index (PidTagConversationIndex), e.g. from a `Thread-Index`
    /// header. When absent the writer derives one from the thread.
    pub conversation_index: Option<Vec<u8>>,
    /// A contact, appointment or task; `None` for mail.
    pub item: Option<Box<crate::pst::item::Item>>,
}
