//! Mail stores on disk, read-only. Each module turns one kind of store into a folder tree with
//! counts and, per folder, a stream of [`Found`] items in the store's order. Sources never write
//! and never hold a whole mailbox in memory.

pub mod apple_mail;
pub mod apple_pim;
pub mod discover;
pub mod eml;
pub mod imap;
pub mod maildir;
pub mod mbox;
pub mod mozilla;
pub mod pim;
pub mod sqlite;
pub mod state;
pub mod tree;

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization as _;

use crate::model::{FolderKind, FolderPath, Found, StoreKind};

/// Errors reading a store. Each names the path it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: no such file or folder", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: permission denied{}", path.display(), hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    PermissionDenied { path: PathBuf, hint: Option<String> },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {what}", path.display())]
    Format { path: PathBuf, what: String },
    #[error("{}: not a mail store this app can read ({what})", path.display())]
    Unrecognized { path: PathBuf, what: String },
    #[error("{}: no folder {folder}", path.display())]
    NoSuchFolder { path: PathBuf, folder: String },
    /// A mail server (an IMAP account) could not be read; `what` says why, in words.
    #[error("{server}: {what}")]
    Server { server: String, what: String },
    /// A mail server refused the user name or the password; `what` says so, and what to do.
    #[error("{server}: {what}")]
    LoginRefused { server: String, what: String },
}

impl Error {
    /// Wraps an I/O error with the path it concerns, keeping "not found" and "permission denied"
    /// apart so the user is told what to do. A "permission denied" inside a folder macOS
    /// protects (Apple Mail's, Contacts', Calendar's) says how to grant Full Disk Access,
    /// whichever way the person reached it.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        match source.kind() {
            io::ErrorKind::NotFound => Error::NotFound { path },
            io::ErrorKind::PermissionDenied => Error::PermissionDenied {
                hint: privacy_hint(&path).map(str::to_owned),
                path,
            },
            _ => Error::Io { path, source },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A file or folder name as the user should see it: UTF-8 (invalid bytes replaced) in NFC,
/// so names from macOS (NFD) compare equal to the same names typed elsewhere.
pub fn display_name(name: &OsStr) -> String {
    name.to_string_lossy().nfc().collect()
}

/// One folder of a store, as the folder tree shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderInfo {
    pub path: FolderPath,
    /// Messages the folder holds (items `messages()` will yield, skipped ones included).
    pub count: u64,
    /// Things the user should know about this folder (a stale index, an offline copy).
    pub notes: Vec<String>,
    /// Mail, contacts, events or tasks.
    pub kind: FolderKind,
}

/// An account of a local store whose mail is partly only on its server: messages the store
/// lists but never downloaded (Thunderbird's IMAP folders without offline copies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerGap {
    /// The account's key in the store, for [`MailStore::fill_gaps`].
    pub account: String,
    /// The account's name, as the mail client shows it.
    pub name: String,
    /// Messages listed without their body.
    pub messages: u64,
    /// The account's server and user name (its password empty, for the user to give), or why
    /// the store does not say which server it is.
    pub server: std::result::Result<imap::ImapAccount, String>,
}

/// The messages of one folder, in the store's order. An `Err` item means the rest of the folder
/// could not be read; the engine records it and goes on with the next folder.
pub type MessageIter<'a> = Box<dyn Iterator<Item = Result<Found>> + Send + 'a>;

/// A mail store opened read-only.
pub trait MailStore: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> StoreKind;
    /// The name shown to the user, e.g. "Thunderbird — default-release".
    fn display_name(&self) -> String;
    /// Where the store lives on disk.
    fn root(&self) -> &Path;
    /// The folder tree, parents before children, with message counts. Folders that only hold
    /// other folders are listed too (count 0).
    fn folders(&self) -> Result<Vec<FolderInfo>>;
    /// The messages of one folder.
    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>>;
    /// Things the user should know about the store as a whole (e.g. the mail client is open).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// Everything the store reads on disk: folders (with all below them) and files. Nothing
    /// may be written there while it is read.
    fn reads(&self) -> Vec<PathBuf> {
        vec![self.root().to_path_buf()]
    }
    /// Reading a message costs a download (a server's store): the demo stops reading a folder
    /// once its ten messages are written, instead of fetching mail it will not write.
    fn downloads(&self) -> bool {
        false
    }
    /// Accounts with messages only on their server. Call after [`MailStore::folders`], which
    /// counts them.
    fn gaps(&self) -> Vec<ServerGap> {
        Vec::new()
    }
    /// Fetches the messages of `account` (a [`ServerGap::account`]) the store never downloaded
    /// from its server, logged in as `server` says, while its folders are read; they are
    /// written in their place. Logs in now: a refused password or an untrusted certificate is
    /// the error, and the messages then stay skipped with that reason.
    fn fill_gaps(&self, account: &str, server: imap::ImapAccount) -> Result<()> {
        let _ = server;
        Err(Error::Server {
            server: account.to_owned(),
            what: "this store has no messages left on a server".to_owned(),
        })
    }
}

/// What [`open`] learned about a path, once, for every detector to look at.
#[derive(Debug)]
pub struct Probe {
    metadata: fs::Metadata,
    head: Vec<u8>,
}

impl Probe {
    /// How many bytes of a file's start detectors get to see.
    pub const HEAD_LEN: usize = 8 * 1024;

    /// Looks at `path`: what it is and, for a file, its first bytes. A missing path and a
    /// permission problem are errors here, before any detector runs.
    pub fn of(path: &Path) -> Result<Probe> {
        let error = |e| Error::io(path, e);
        let metadata = fs::metadata(path).map_err(error)?;
        let mut head = Vec::new();
        if metadata.is_file() {
            let file = File::open(path).map_err(error)?;
            file.take(Self::HEAD_LEN as u64)
                .read_to_end(&mut head)
                .map_err(error)?;
        } else if metadata.is_dir() {
            fs::read_dir(path).map_err(error)?;
        }
        Ok(Probe { metadata, head })
    }

    pub fn is_file(&self) -> bool {
        self.metadata.is_file()
    }

    pub fn is_dir(&self) -> bool {
        self.metadata.is_dir()
    }

    /// The first [`HEAD_LEN`](Self::HEAD_LEN) bytes of a file (fewer for a short file); empty
    /// for a folder.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// Why no detector took the path, for [`Error::Unrecognized`].
    fn unrecognized(&self) -> String {
        if self.is_dir() {
            "a folder with no mail files in it or below it".to_owned()
        } else if self.is_file() && self.metadata.len() == 0 {
            "an empty file".to_owned()
        } else if self.is_file() {
            "neither an mbox file (it does not start with a `From ` line) nor a mail message \
             (it does not start with a header line)"
                .to_owned()
        } else {
            "neither a file nor a folder".to_owned()
        }
    }
}

/// What macOS asks for before an app may read `path`, when it lies in a folder macOS protects.
fn privacy_hint(path: &Path) -> Option<&'static str> {
    if apple_mail::library::is_in_mail_library(path) {
        Some(apple_mail::FULL_DISK_ACCESS_HINT)
    } else if apple_pim::is_protected(path) {
        Some(apple_pim::PRIVACY_HINT)
    } else {
        None
    }
}

/// The extension of `path` in lower case, empty when it has none.
pub fn lowercase_extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// Looks at a path and, when it is the kind of store the detector knows, opens it. `Ok(None)`
/// passes the path on to the next detector; an error stops the search (the path is that kind
/// of store but cannot be read).
pub type Detector = fn(&Path, &Probe) -> Result<Option<Box<dyn MailStore>>>;

/// The detectors [`open`] tries, in order; the first that takes the path wins. More specific
/// kinds come first, because the general ones would take their paths too: a folder tree reader
/// reads any folder, so it is last. Store profiles and libraries (Thunderbird, Postbox, Apple
/// Mail, Apple Mail export bundles) go before `maildir`. Files: a `.eml` file or one that
/// starts with header lines is one message; a file that starts with a `From ` line (or is
/// named `.mbox`) is an mbox.
pub const DETECTORS: &[(&str, Detector)] = &[
    ("Thunderbird or Postbox", mozilla::detect),
    ("Apple Mail", apple_mail::detect),
    ("Apple Contacts or Calendar", apple_pim::detect),
    ("contacts or calendar files", pim::detect),
    ("maildir", tree::detect_maildir),
    ("mail message file", tree::detect_message_file),
    ("mbox file", mbox::detect),
    ("folder of mail files", tree::detect),
];

/// Opens every mail store at `path`, read-only: each profile with mail of a Thunderbird or
/// Postbox data folder (`profiles.ini`) or its `Profiles/` folder, each library of an Apple Mail
/// folder that holds several, else the one store [`open`] finds. This is what a path a person
/// typed, picked or dropped becomes.
pub fn open_all(path: &Path) -> Result<Vec<Box<dyn MailStore>>> {
    Probe::of(path)?;
    if let Some(stores) = mozilla::open_every_profile(path)? {
        return Ok(stores);
    }
    if let Some(stores) = apple_mail::open_every_library(path)? {
        return Ok(stores);
    }
    Ok(vec![open(path)?])
}

/// Opens the mail store at `path`, whatever kind it is, read-only. A folder holding several
/// stores gives the one its mail client uses (its warnings name the others; [`open_all`]
/// opens them all).
pub fn open(path: &Path) -> Result<Box<dyn MailStore>> {
    let probe = Probe::of(path)?;
    for (_, detect) in DETECTORS {
        if let Some(store) = detect(path, &probe)? {
            return Ok(store);
        }
    }
    Err(Error::Unrecognized {
        path: path.to_path_buf(),
        what: probe.unrecognized(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_where_macos_protects_mail_says_how_to_grant_access() {
        let denied = || io::Error::from(io::ErrorKind::PermissionDenied);
        let hint_for = |path: &str| match Error::io(path, denied()) {
            Error::PermissionDenied { hint, .. } => hint,
            other => panic!("{other:?}"),
        };
        let cases = [
            ("/Users/ann/Library/Mail/V10", Some("Apple Mail")),
            (
                "/Users/ann/Library/Application Support/AddressBook/Sources",
                Some("Contacts"),
            ),
            ("/Users/ann/Library/Calendars", Some("Calendar")),
            ("/home/ann/mail/Inbox", None),
        ];
        for (path, expected) in cases {
            let hint = hint_for(path);
            match expected {
                Some(word) => assert!(
                    hint.as_deref()
                        .is_some_and(|h| h.contains(word) && h.contains("Full Disk Access")),
                    "{path}: {hint:?}"
                ),
                None => assert_eq!(hint, None, "{path}"),
            }
        }
    }
}
