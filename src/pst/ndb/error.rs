//! Errors of the node database layer.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("writing the PST file failed: {0}")]
    Io(#[from] io::Error),
}
