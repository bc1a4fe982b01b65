//! Errors of the PST writer's public API: the layers' errors composed upward, and what the
//! caller must act on (a full file, an attachment too large for the format).

use std::io;
use std::path::PathBuf;

use crate::pst::{ltp, ndb};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Ndb(#[from] ndb::Error),
    #[error(transparent)]
    Ltp(#[from] ltp::Error),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The message, with what `finish()` still has to write, would take the file past its
    /// limit: finish this file and write the message into the next one. Nothing was written.
    #[error(
        "the PST would grow to about {needed} bytes with this message, past its limit of {limit} bytes"
    )]
    SizeLimit { needed: u64, limit: u64 },
    /// PidTagAttachSize is a signed 32-bit integer: an attachment of 2 GiB or more cannot be
    /// stored. Nothing was written.
    #[error("attachment {name:?} has {size} bytes; a PST attachment must be smaller than 2 GiB")]
    AttachmentTooLarge { name: String, size: u64 },
    /// PidTagMessageSize is a signed 32-bit integer: a message whose attachments together come
    /// near 2 GiB cannot be described. Nothing was written.
    #[error(
        "the message would take about {size} bytes in the PST; a PST message must be smaller than 2 GiB"
    )]
    MessageTooLarge { size: u64 },
    #[error("folder {folder} does not exist in this PST")]
    UnknownFolder { folder: u32 },
    #[error("a folder needs a name (parent folder {parent})")]
    EmptyFolderName { parent: u32 },
    #[error("the temporary file of contents-table rows failed: {0}")]
    Spill(io::Error),
    #[error("the writer failed earlier and cannot go on")]
    WriterFailed,
}
