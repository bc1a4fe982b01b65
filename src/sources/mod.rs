//! Mail stores on disk, read-only. Each module turns one kind of store into a folder tree with
//! counts and, per folder, a stream of [`Found`] items in the store's order. Sources never write
//! and never hold a whole mailbox in memory.

use std::io;
use std::path::{Path, PathBuf};

use crate::model::{FolderPath, Found, StoreKind};

pub mod mozilla;

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
}

impl Error {
    /// Wraps an I/O error with the path it concerns, keeping "not found" and "permission denied"
    /// apart so the user is told what to do.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        match source.kind() {
            io::ErrorKind::NotFound => Error::NotFound { path },
            io::ErrorKind::PermissionDenied => Error::PermissionDenied { path, hint: None },
            _ => Error::Io { path, source },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One folder of a store, as the folder tree shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderInfo {
    pub path: FolderPath,
    /// Messages the folder holds (items `messages()` will yield, skipped ones included).
    pub count: u64,
    /// Things the user should know about this folder (a stale index, an offline copy).
    pub notes: Vec<String>,
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
}
