//! [NDB layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d2083cf-fd37-4a0d-b61a-d2ef10a89a04)
//! (MS-PST 2.2): the file as nodes and blocks. The header, pages, blocks, B-trees and allocation
//! maps, written in one pass: blocks stream to disk as they come, the B-trees, maps and header
//! are written last. [`NdbReader`] reads such a file back and [`verify()`] checks every rule of
//! this layer on it.

mod amap;
mod block;
mod btree;
mod crc;
mod error;
mod header;
mod ids;
mod le;
mod page;
mod permute;
mod reader;
mod verify;
mod writer;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use block::{MAX_BLOCK_DATA, MAX_SUBNODES, SubnodeEntry};
pub use error::Error;
pub use ids::{Bid, Nid, NidType, special};
pub use page::NodeEntry;
pub use reader::NdbReader;
pub use verify::{Problem, ProblemKind, VerifyReport, VerifyStats, verify};
pub use writer::{
    DataTree, NdbOptions, NdbWriter, OUTLOOK_MAX_FILE_SIZE, SealedBlocks, TreeInProgress,
};
pub(crate) use writer::{RGNID_SEED, UNIQUE_SEED};
