//! A loose mbox file as a mail store: one folder named after the file, whose messages are read
//! with [`MboxReader`] and carry the state their client wrote into them.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::model::{FolderKind, FolderPath, Found, Origin, RawMessage, SkipReason, StoreKind};
use crate::sources::{
    Error, FolderInfo, MailStore, MessageIter, Probe, Result, display_name, state,
};

use super::count::count_messages;
use super::reader::{MboxEntry, MboxReader, NotAnMbox, looks_like_mbox_start};
use super::takeout;

/// The folder name of an mbox file: its file name without a `.mbox`/`.mbx` extension.
pub fn folder_name(path: &Path) -> String {
    let has_mbox_extension = matches!(
        crate::sources::lowercase_extension(path).as_str(),
        "mbox" | "mbx"
    );
    let name = if has_mbox_extension {
        path.file_stem()
    } else {
        path.file_name()
    };
    name.map(display_name).unwrap_or_default()
}

/// Counts what an mbox file yields as a folder: its messages, plus one item for leading
/// garbage. Fast: nothing is copied, and a large file is counted on several cores.
pub fn folder_info(path: &Path, folder: FolderPath) -> Result<FolderInfo> {
    let count = count_messages(path).map_err(|e| read_error(path, e))?;
    let garbage = count.leading_garbage;
    Ok(FolderInfo {
        path: folder,
        count: count.messages + u64::from(garbage.is_some()),
        notes: garbage
            .map(|garbage| format!("not a message: {garbage}"))
            .into_iter()
            .collect(),
        kind: FolderKind::Mail,
    })
}

/// An mbox reading error as a store error: "not an mbox" is a format error, the rest I/O.
pub(super) fn read_error(path: &Path, error: io::Error) -> Error {
    match NotAnMbox::from_io(&error) {
        Some(not_an_mbox) => Error::Format {
            path: path.to_path_buf(),
            what: not_an_mbox.to_string(),
        },
        None => Error::io(path, error),
    }
}

/// The messages of one mbox file as a folder's items: leading garbage (if any) as a skipped
/// item, then one item per message with the state its headers give ([`state`]).
#[derive(Debug)]
pub struct MboxMessages {
    reader: MboxReader<File>,
    path: PathBuf,
    folder: FolderPath,
    garbage_checked: bool,
    held: Option<Option<io::Result<MboxEntry>>>,
}

impl MboxMessages {
    /// Opens `path` (read-only) for reading its messages into `folder`.
    pub fn open(path: &Path, folder: FolderPath) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(MboxMessages {
            reader: MboxReader::new(file),
            path: path.to_path_buf(),
            folder,
            garbage_checked: false,
            held: None,
        })
    }
}

/// One message of the mbox file `path` as an item of `folder`, with the state its headers
/// give ([`state`]). A large message stays in the file, as a span of it.
pub(super) fn entry_found(path: &Path, folder: &FolderPath, entry: MboxEntry) -> Found {
    let origin = Origin::FileOffset {
        path: path.to_path_buf(),
        offset: entry.offset,
    };
    let mut message = match entry.span_in(path) {
        Ok(Some(span)) => RawMessage::large(folder.clone(), span, origin),
        Ok(None) if entry.bytes.iter().all(u8::is_ascii_whitespace) => {
            return Found::Skipped {
                origin,
                reason: SkipReason::Unreadable(
                    "empty message: a `From ` line with nothing after it".to_owned(),
                ),
            };
        }
        Ok(None) => RawMessage::new(folder.clone(), entry.bytes, origin),
        Err(error) => {
            return Found::Skipped {
                origin,
                reason: SkipReason::Unreadable(format!("cannot read the message again: {error}")),
            };
        }
    };
    message.received = entry.received;
    state::apply(message)
}

impl Iterator for MboxMessages {
    type Item = Result<Found>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match self.held.take() {
            Some(item) => item,
            None => self.reader.next(),
        };
        if !self.garbage_checked {
            self.garbage_checked = true;
            // Garbage before a real first message is reported; with no message at all the
            // reader's "not an mbox" error says it instead.
            let message_follows = matches!(item, Some(Ok(_)));
            if let Some(garbage) = self.reader.leading_garbage()
                && message_follows
            {
                tracing::warn!(file = %self.path.display(), "{garbage}: reported as not a message");
                let skipped = Found::Skipped {
                    origin: Origin::FileOffset {
                        path: self.path.clone(),
                        offset: garbage.offset,
                    },
                    reason: SkipReason::NotAMessage(garbage.to_string()),
                };
                self.held = Some(item);
                return Some(Ok(skipped));
            }
        }
        Some(match item? {
            Ok(entry) => Ok(entry_found(&self.path, &self.folder, entry)),
            Err(error) => Err(read_error(&self.path, error)),
        })
    }
}

/// A loose mbox file as a store: one folder, named after the file — or, for a Gmail Takeout
/// export, that folder with a folder per label below it ([`takeout`]).
#[derive(Debug)]
pub struct MboxStore {
    path: PathBuf,
    folder: FolderPath,
    takeout: Option<takeout::TakeoutMbox>,
}

impl MboxStore {
    /// Opens an mbox file read-only. The file is read when folders or messages are asked for.
    pub fn open(path: &Path) -> Result<Self> {
        let mut head = Vec::new();
        File::open(path)
            .and_then(|file| file.take(Probe::HEAD_LEN as u64).read_to_end(&mut head))
            .map_err(|e| Error::io(path, e))?;
        let folder = FolderPath::new([folder_name(path)]);
        let takeout =
            takeout::is_takeout(&head).then(|| takeout::TakeoutMbox::new(path, folder.clone()));
        Ok(MboxStore {
            path: path.to_path_buf(),
            folder,
            takeout,
        })
    }
}

impl MailStore for MboxStore {
    fn kind(&self) -> StoreKind {
        if self.takeout.is_some() {
            StoreKind::GmailTakeout
        } else {
            StoreKind::Mbox
        }
    }

    fn display_name(&self) -> String {
        let name = self.path.file_name().map(display_name).unwrap_or_default();
        format!("{} — {name}", self.kind().label())
    }

    fn root(&self) -> &Path {
        &self.path
    }

    fn folders(&self) -> Result<Vec<FolderInfo>> {
        match &self.takeout {
            Some(takeout) => takeout.folders(),
            None => Ok(vec![folder_info(&self.path, self.folder.clone())?]),
        }
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        if let Some(takeout) = &self.takeout {
            return takeout.messages(folder);
        }
        if *folder != self.folder {
            return Err(Error::NoSuchFolder {
                path: self.path.clone(),
                folder: folder.to_string(),
            });
        }
        Ok(Box::new(MboxMessages::open(&self.path, folder.clone())?))
    }
}

/// Recognises a file that starts like an mbox, or is named `.mbox`/`.mbx` and has a From_ line
/// further on (after leading garbage). A file so named with no From_ line at all is an error
/// that says so, not a store of zero messages.
pub fn detect(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !probe.is_file() {
        return Ok(None);
    }
    let named_mbox = matches!(
        crate::sources::lowercase_extension(path).as_str(),
        "mbox" | "mbx"
    );
    if !looks_like_mbox_start(probe.head()) {
        if !named_mbox {
            return Ok(None);
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        MboxReader::new(file)
            .count_messages()
            .map_err(|e| read_error(path, e))?;
    }
    Ok(Some(Box::new(MboxStore::open(path)?)))
}
