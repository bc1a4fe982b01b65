//! Errors of the [LTP layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/4c24c7d2-5c5a-4b99-88b2-f4b84cc293ae)
//! (MS-PST 2.3): input the builders refuse, and structure the readers find broken.

use crate::pst::ndb::{self, Nid};

use super::{PropTag, PropType};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Ndb(#[from] ndb::Error),

    // What the builders refuse.
    #[error("heap allocation of {size} bytes: each must be 1..=3580 bytes")]
    AllocationSize { size: usize },
    #[error("heap-on-node would need more than 65,536 pages")]
    HeapFull,
    #[error("HID {hid:#X} names no allocation of this heap")]
    NoSuchAllocation { hid: u32 },
    #[error(
        "BTH with cbKey {key_size} and cbEnt {data_size}: cbKey must be 2, 4, 8 or 16, cbEnt 1..=32"
    )]
    BthRecordSize { key_size: usize, data_size: usize },
    #[error("BTH records: {len} bytes is not a whole number of {record_size}-byte records")]
    BthRecordBytes { len: usize, record_size: usize },
    #[error("BTH record {index}: its key is not greater than the key before it")]
    BthKeyOrder { index: usize },
    #[error(
        "property context with {count} properties: at most 447 fit the single-level BTH readpst reads"
    )]
    TooManyProperties { count: usize },
    #[error("property 0x{id:04X} is given twice")]
    DuplicateProperty { id: u16 },
    #[error("property {tag}: the value is of type {found:?}")]
    PropertyType { tag: PropTag, found: PropType },
    #[error(
        "property {tag}: its value of {size} bytes does not fit the 32-bit offsets of its format"
    )]
    ValueTooLarge { tag: PropTag, size: usize },
    #[error("property {tag}: its value is in a subnode written before; it has no bytes here")]
    ValueInSubnode { tag: PropTag },
    #[error("table with {count} columns: at most 253 besides PidTagLtpRowId and PidTagLtpRowVer")]
    TooManyColumns { count: usize },
    #[error("column {tag} is given twice")]
    DuplicateColumn { tag: PropTag },
    #[error("column {tag} is the table's own row ID or row version; the table writes it")]
    ReservedColumn { tag: PropTag },
    #[error("column {tag}: type {ty:?} cannot be a table column")]
    UnwritableColumn { tag: PropTag, ty: PropType },
    #[error("row {row_id:#X} has {cells} cells for {columns} columns")]
    CellCount {
        row_id: u32,
        cells: usize,
        columns: usize,
    },
    #[error("row {row_id:#X}, column {tag}: the value is of type {found:?}")]
    CellType {
        row_id: u32,
        tag: PropTag,
        found: PropType,
    },
    #[error("row {row_id:#X} comes at position {position}, where the table expects another row")]
    RowOrder { row_id: u32, position: usize },
    #[error("table started with {expected} rows was given {given}")]
    MissingRows { expected: usize, given: usize },
    #[error("row ID {row_id:#X} is given twice")]
    DuplicateRowId { row_id: u32 },
    #[error("table of {rows} rows: its row matrix exceeds the 4 GiB a subnode can hold")]
    TooManyRows { rows: usize },

    // What the readers find.
    #[error("{structure}: {needed} bytes needed at offset {offset}, only {len} there")]
    Truncated {
        structure: &'static str,
        offset: usize,
        needed: usize,
        len: usize,
    },
    #[error("{structure} {field} is {value:#X}: {problem}")]
    Invalid {
        structure: &'static str,
        field: &'static str,
        value: u64,
        problem: &'static str,
    },
    #[error("subnode {nid:?} is not in the node's subnode tree")]
    SubnodeNotFound { nid: Nid },
}

impl Error {
    /// A field of a structure that breaks a rule.
    pub(crate) fn invalid(
        structure: &'static str,
        field: &'static str,
        value: impl Into<u64>,
        problem: &'static str,
    ) -> Error {
        Error::Invalid {
            structure,
            field,
            value: value.into(),
            problem,
        }
    }
}
