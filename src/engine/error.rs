//! The engine's errors: what stops a job as a whole. A message or folder that cannot be read is
//! not an error here but a skip in the report. Each message is one line a person can act on.

use std::io;
use std::path::{Path, PathBuf};

use crate::sources;

/// Bytes per "MB" in messages (as the size options count).
const MB: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A store could not be opened or listed; the message names the path (and, for permission
    /// problems, what to do about them).
    #[error(transparent)]
    Source(#[from] sources::Error),
    #[error("{}: the folder for the output does not exist", path.display())]
    OutputFolderMissing { path: PathBuf },
    #[error("{}: already exists; choose another name or allow replacing it", path.display())]
    OutputExists { path: PathBuf },
    #[error("{}: the output would replace a mail store this job reads", path.display())]
    OutputIsSource { path: PathBuf },
    /// The output (or a file written beside it) would land in a folder a store reads: the job,
    /// or the next one, would read it as mail, or replace mail.
    #[error(
        "{}: the output would be written inside {}, which this job reads; choose a folder \
         outside the mail being converted",
        path.display(),
        store.display()
    )]
    OutputInsideSource { path: PathBuf, store: PathBuf },
    /// Another job holds the output's lock.
    #[error(
        "another conversion is writing {}; wait for it to end or choose another name",
        path.display()
    )]
    OutputBusy { path: PathBuf },
    #[error(
        "the disk is full: free {} MB or choose another folder (writing {})",
        needed.div_ceil(MB).max(1),
        path.display()
    )]
    DiskFull { path: PathBuf, needed: u64 },
    #[error("{}: permission denied; choose a folder you can write to", path.display())]
    OutputPermissionDenied { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: writing the PST failed: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
    #[error("{}: the PST cannot be read back: {reason}", path.display())]
    ReadBack { path: PathBuf, reason: String },
    #[error("{0}")]
    InvalidOption(String),
    #[error("nothing to convert: no mail store was given")]
    NoSources,
    #[error("internal error: the {0} stopped unexpectedly; nothing was kept")]
    Internal(&'static str),
}

impl Error {
    /// A mail server refused the user name or the password.
    pub fn is_login_refused(&self) -> bool {
        matches!(self, Error::Source(sources::Error::LoginRefused { .. }))
    }

    /// An I/O error met while writing `path`, told apart the way a person acts on it. `needed`
    /// is how many more bytes the job expects to write, for "the disk is full".
    pub(crate) fn output_io(path: &Path, source: io::Error, needed: u64) -> Error {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                Error::DiskFull { path, needed }
            }
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                Error::OutputPermissionDenied { path }
            }
            io::ErrorKind::NotFound => Error::OutputFolderMissing {
                path: path.parent().map(Path::to_path_buf).unwrap_or(path),
            },
            _ => Error::Io { path, source },
        }
    }

    /// The job's error for a failure of the PST writer on `path`: full disks and permission
    /// problems are found in the chain of causes; anything else keeps the writer's words.
    pub(crate) fn from_writer(
        path: &Path,
        error: &(dyn std::error::Error + 'static),
        needed: u64,
    ) -> Error {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = cause {
            if let Some(io_error) = current.downcast_ref::<io::Error>() {
                let kind = io_error.kind();
                let copy = io::Error::new(kind, io_error.to_string());
                match Error::output_io(path, copy, needed) {
                    Error::Io { .. } => {}
                    classified => return classified,
                }
            }
            cause = current.source();
        }
        Error::Write {
            path: path.to_path_buf(),
            reason: error.to_string(),
        }
    }

    /// True when the error says the disk is full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Error::DiskFull { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct Wrapped {
        path: String,
        source: io::Error,
    }

    #[test]
    fn a_full_disk_says_how_much_to_free() {
        let error = Error::output_io(
            Path::new("out/mail.pst"),
            io::Error::from(io::ErrorKind::StorageFull),
            300 * MB + 1,
        );
        assert_eq!(
            error.to_string(),
            "the disk is full: free 301 MB or choose another folder (writing out/mail.pst)"
        );
        assert!(error.is_disk_full());
    }

    #[test]
    fn a_full_disk_is_found_below_the_writers_own_error() {
        let inner = Wrapped {
            path: "x".into(),
            source: io::Error::from(io::ErrorKind::StorageFull),
        };
        let error = Error::from_writer(Path::new("mail.pst"), &inner, 1);
        assert!(error.is_disk_full(), "{error}");
    }

    #[test]
    fn other_writer_failures_keep_their_words() {
        let inner = Wrapped {
            path: "x".into(),
            source: io::Error::other("bad block"),
        };
        let error = Error::from_writer(Path::new("mail.pst"), &inner, 1);
        assert_eq!(
            error.to_string(),
            "mail.pst: writing the PST failed: x: bad block"
        );
    }

    #[test]
    fn permission_problems_say_what_to_do() {
        let error = Error::output_io(
            Path::new("/locked/mail.pst"),
            io::Error::from(io::ErrorKind::PermissionDenied),
            0,
        );
        assert_eq!(
            error.to_string(),
            "/locked/mail.pst: permission denied; choose a folder you can write to"
        );
    }
}
