//! Errors of the [NDB layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d2083cf-fd37-4a0d-b61a-d2ef10a89a04):
//! each names the spec's field or the argument at fault and the value found.

use std::io;
use std::path::PathBuf;

use super::ids::{Bid, Nid, NidType};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O on the PST file failed: {0}")]
    Io(#[from] io::Error),
    #[error("{action} at offset {offset:#x} of the PST file failed: {source}")]
    IoAt {
        action: &'static str,
        offset: u64,
        source: io::Error,
    },
    #[error("{path}: {source}")]
    Path { path: PathBuf, source: io::Error },
    #[error("the temporary file of block index entries failed: {0}")]
    Spill(io::Error),
    #[error("a new PST needs an empty file, this one holds {len} bytes")]
    FileNotEmpty { len: u64 },
    #[error("the PST would grow to {needed} bytes, past its limit of {limit} bytes")]
    FileFull { limit: u64, needed: u64 },
    #[error("block size {size} is outside 1..=8176 bytes")]
    BlockSize { size: usize },
    #[error("block {index} of a data tree is empty (blocks hold 1..=8176 bytes)")]
    EmptyBlock { index: usize },
    #[error("block {index} of a data tree has {size} bytes, more than 8176")]
    BlockTooLarge { index: usize, size: usize },
    /// Every block of a data tree but the last holds the full 8176 bytes; ScanPST calls an
    /// XBLOCK with a shorter one invalid and drops the node.
    #[error(
        "block {index} of a data tree has {size} bytes, but every block before the last holds 8176"
    )]
    ShortBlock { index: usize, size: usize },
    #[error("a data tree of {size} bytes does not fit the 32-bit lcbTotal of an XBLOCK")]
    DataTooLarge { size: u64 },
    #[error("block {index} of a data tree written block by block was written twice")]
    BlockWrittenTwice { index: usize },
    #[error("block {index} of a data tree written block by block was never written")]
    BlockMissing { index: usize },
    #[error("a data tree of {count} blocks exceeds an XXBLOCK's {max}")]
    TooManyBlocks { count: usize, max: usize },
    #[error("{count} subnodes exceed the {max} one node can hold")]
    TooManySubnodes { count: usize, max: usize },
    #[error("subnode {nid:?} appears twice in one subnode tree")]
    DuplicateSubnode { nid: Nid },
    #[error("subnode {nid:?} has no data (bidData 0)")]
    SubnodeWithoutData { nid: Nid },
    #[error("node {nid:?} is already in the NBT")]
    DuplicateNode { nid: Nid },
    #[error("NID {nid:?} is not a valid node ID")]
    InvalidNid { nid: Nid },
    #[error("{field} {bid:?} names no block written to this file")]
    UnknownBlock { field: &'static str, bid: Bid },
    #[error("{field} {bid:?} is a {found}, not a {expected}")]
    WrongBlockKind {
        field: &'static str,
        bid: Bid,
        expected: &'static str,
        found: &'static str,
    },
    #[error("block {bid:?} is referenced {count} times, more than cRef can count")]
    TooManyReferences { bid: Bid, count: u64 },
    #[error("the NID indexes of type {ty:?} are used up (27 bits)")]
    NidsExhausted { ty: NidType },
    #[error("the row version counter dwUnique is used up")]
    RowVersionsExhausted,
    #[error("the {tree} got its entries out of order at key {key:#x}")]
    IndexOrder { tree: &'static str, key: u64 },
    #[error("the {tree} did not get the {expected} entries it was built for")]
    IndexCount { tree: &'static str, expected: u64 },
    #[error("the writer failed earlier and cannot go on")]
    WriterFailed,
    #[error("invalid HEADER {field}: {value:#x}")]
    InvalidHeader { field: &'static str, value: u64 },
    #[error("invalid page at offset {offset:#x}: {field} {value:#x}")]
    InvalidPage {
        offset: u64,
        field: &'static str,
        value: u64,
    },
    #[error("invalid block {bid:?}: {field} {value:#x}")]
    InvalidBlock {
        bid: Bid,
        field: &'static str,
        value: u64,
    },
    #[error("block {bid:?} is not in the BBT")]
    BlockNotFound { bid: Bid },
}
