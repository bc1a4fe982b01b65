//! [Table context](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/5e48be0d-a75a-4918-a277-50408ff96740)
//! (MS-PST 2.3.4): a heap (`bClientSig` 0x7C) whose user root is the TCINFO; a BTH row index
//! maps each row ID to its position in the row matrix, which lives on the heap while it fits one
//! allocation and in a subnode otherwise.
//!
//! Row layout ([MS-PST 2.3.4.4.1](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/c48fa6b4-bfd4-49d7-80f8-8718bc4bcddc)):
//! `PidTagLtpRowId` at 0 and `PidTagLtpRowVer` at 4 (existence bits 0 and 1), then the 8- and
//! 4-byte cells (every HNID-valued type has a 4-byte cell), the 2-byte cells, the 1-byte cells,
//! and the cell existence bitmap. Within each group cells follow the order the columns are
//! given in, and so do their existence bits; the TCOLDESCs are sorted by tag. This reproduces
//! the tables Outlook writes when given its column order.
//!
//! Allocation order, as Outlook's: row-index BTHHEADER (HID 0x20), TCINFO (0x40), row-index
//! records, the row matrix when on the heap, then the cell values row by row. A table too large
//! for its matrix to sit on the heap, whose row IDs come with its rows ([`RowIds::Ascending`]),
//! allocates each leaf of the row index among the values once it fills, and the levels above
//! last: the index is then never held whole (the heap is addressed by HID, in any order).

use std::borrow::Cow;

use super::bth::{
    read_bth, records_per_allocation, reserve_bth_header, write_bth, write_bth_levels,
};
use super::value::{
    Storage, cell_size, decode_bytes, decode_inline, inline_value, load_hnid, storage, store_hnid,
    value_bytes,
};
use super::{
    ClientSig, Error, Heap, HeapBuilder, Hid, MAX_ALLOCATION, MAX_BLOCK, NodeBlocks, PropTag,
    PropType, PropValue, SubnodeReader, SubnodeWriter, u16_at, u32_at,
};
use crate::pst::ndb::{Nid, NidType};

/// The row ID column every table has: the RowID of the row (for a folder's contents, the
/// message's NID).
pub const PID_TAG_LTP_ROW_ID: PropTag = PropTag::new(0x67F2, PropType::Integer32);
/// The row version column every table has.
pub const PID_TAG_LTP_ROW_VER: PropTag = PropTag::new(0x67F3, PropType::Integer32);

const TCINFO_TYPE: u8 = 0x7C;
const TCINFO_FIXED_SIZE: usize = 22;
const TCOLDESC_SIZE: usize = 8;
/// `cCols` is a byte, and two columns are the row ID and version.
const MAX_COLUMNS: usize = 255;

/// A TCOLDESC (MS-PST 2.3.4.2): where a column's cell sits in a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnDesc {
    pub tag: PropTag,
    /// `ibData`: the cell's offset in the row.
    pub offset: u16,
    /// `cbData`: 1, 2, 4 or 8.
    pub size: u8,
    /// `iBit`: the cell's bit in the cell existence bitmap.
    pub bit: u8,
}

/// A TCINFO (MS-PST 2.3.4.1): the row layout and where the row index and matrix are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcInfo {
    /// `rgib[TCI_4b]`: end of the 8- and 4-byte cells.
    pub end_4b: u16,
    /// `rgib[TCI_2b]`: end of the 2-byte cells.
    pub end_2b: u16,
    /// `rgib[TCI_1b]`: end of the 1-byte cells.
    pub end_1b: u16,
    /// `rgib[TCI_bm]`: end of the cell existence bitmap, the row size.
    pub row_size: u16,
    /// `hidRowIndex`: the row index BTHHEADER.
    pub row_index: Hid,
    /// `hnidRows`: the row matrix, a HID or a subnode NID; 0 without rows.
    pub rows: u32,
    /// `rgTCOLDESC`, sorted by tag, with the row ID and version columns.
    pub columns: Vec<ColumnDesc>,
}

impl TcInfo {
    /// The layout of a table with `columns` (besides row ID and version), in their order.
    pub fn layout(columns: &[PropTag]) -> Result<TcInfo, Error> {
        if columns.len() > MAX_COLUMNS - 2 {
            return Err(Error::TooManyColumns {
                count: columns.len(),
            });
        }
        let mut ids: Vec<u16> = columns.iter().map(|tag| tag.id).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            let tag = columns.iter().find(|tag| tag.id == pair[0]).copied();
            return Err(Error::DuplicateColumn {
                tag: tag.unwrap_or(PID_TAG_LTP_ROW_ID),
            });
        }
        let mut sizes = Vec::with_capacity(columns.len());
        for tag in columns {
            if tag.id == PID_TAG_LTP_ROW_ID.id || tag.id == PID_TAG_LTP_ROW_VER.id {
                return Err(Error::ReservedColumn { tag: *tag });
            }
            let size = cell_size(tag.ty).ok_or(Error::UnwritableColumn {
                tag: *tag,
                ty: tag.ty,
            })?;
            sizes.push(size);
        }

        let mut descs = vec![
            ColumnDesc {
                tag: PID_TAG_LTP_ROW_ID,
                offset: 0,
                size: 4,
                bit: 0,
            },
            ColumnDesc {
                tag: PID_TAG_LTP_ROW_VER,
                offset: 4,
                size: 4,
                bit: 1,
            },
        ];
        let mut offset = 8u16;
        let mut ends = [0u16; 3];
        for (group, group_sizes) in [[4u8, 8], [2, 2], [1, 1]].iter().enumerate() {
            for (i, (tag, size)) in columns.iter().zip(&sizes).enumerate() {
                if group_sizes.contains(size) {
                    descs.push(ColumnDesc {
                        tag: *tag,
                        offset,
                        size: *size,
                        bit: (i + 2) as u8,
                    });
                    offset += u16::from(*size);
                }
            }
            ends[group] = offset;
        }
        descs.sort_by_key(|desc| desc.tag.value());
        let ceb_size = (columns.len() + 2).div_ceil(8) as u16;
        Ok(TcInfo {
            end_4b: ends[0],
            end_2b: ends[1],
            end_1b: ends[2],
            row_size: ends[2] + ceb_size,
            row_index: Hid::NONE,
            rows: 0,
            columns: descs,
        })
    }

    /// The TCINFO allocation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(TCINFO_FIXED_SIZE + TCOLDESC_SIZE * self.columns.len());
        bytes.push(TCINFO_TYPE);
        bytes.push(self.columns.len() as u8);
        for end in [self.end_4b, self.end_2b, self.end_1b, self.row_size] {
            bytes.extend_from_slice(&end.to_le_bytes());
        }
        bytes.extend_from_slice(&self.row_index.0.to_le_bytes());
        bytes.extend_from_slice(&self.rows.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes()); // hidIndex, deprecated
        for column in &self.columns {
            bytes.extend_from_slice(&column.tag.value().to_le_bytes());
            bytes.extend_from_slice(&column.offset.to_le_bytes());
            bytes.push(column.size);
            bytes.push(column.bit);
        }
        bytes
    }

    /// Reads and checks a TCINFO: the `rgib` group bounds, the row ID and version columns in
    /// their places, TCOLDESCs sorted by tag with known types, cells of their type's size in
    /// the right group at aligned, non-overlapping offsets, unique existence bits.
    pub fn parse(bytes: &[u8]) -> Result<TcInfo, Error> {
        const S: &str = "TCINFO";
        if bytes.len() < TCINFO_FIXED_SIZE {
            return Err(Error::Truncated {
                structure: S,
                offset: 0,
                needed: TCINFO_FIXED_SIZE,
                len: bytes.len(),
            });
        }
        if bytes[0] != TCINFO_TYPE {
            return Err(Error::invalid(S, "bType", bytes[0], "expected 0x7C"));
        }
        let count = usize::from(bytes[1]);
        if bytes.len() != TCINFO_FIXED_SIZE + TCOLDESC_SIZE * count {
            return Err(Error::invalid(
                S,
                "cCols",
                bytes[1],
                "the allocation is not 22 bytes plus 8 per column",
            ));
        }
        let end_4b = u16_at(bytes, 2, S)?;
        let end_2b = u16_at(bytes, 4, S)?;
        let end_1b = u16_at(bytes, 6, S)?;
        let row_size = u16_at(bytes, 8, S)?;
        if end_4b % 4 != 0 || end_4b < 8 {
            return Err(Error::invalid(
                S,
                "rgib[TCI_4b]",
                end_4b,
                "a multiple of 4, at least 8",
            ));
        }
        if end_2b % 2 != 0 || end_2b < end_4b {
            return Err(Error::invalid(
                S,
                "rgib[TCI_2b]",
                end_2b,
                "even, not before TCI_4b",
            ));
        }
        if end_1b < end_2b {
            return Err(Error::invalid(
                S,
                "rgib[TCI_1b]",
                end_1b,
                "not before TCI_2b",
            ));
        }
        if usize::from(row_size) != usize::from(end_1b) + count.div_ceil(8) {
            return Err(Error::invalid(
                S,
                "rgib[TCI_bm]",
                row_size,
                "the existence bitmap has one bit per column",
            ));
        }
        let hid_index = u32_at(bytes, 18, S)?;
        if hid_index != 0 {
            return Err(Error::invalid(S, "hidIndex", hid_index, "deprecated, 0"));
        }
        let mut columns = Vec::with_capacity(count);
        for i in 0..count {
            let at = TCINFO_FIXED_SIZE + TCOLDESC_SIZE * i;
            let value = u32_at(bytes, at, "TCOLDESC")?;
            let tag = PropTag::from_value(value).filter(|tag| cell_size(tag.ty).is_some());
            let Some(tag) = tag else {
                return Err(Error::invalid(
                    "TCOLDESC",
                    "tag",
                    value,
                    "not a type we write",
                ));
            };
            columns.push(ColumnDesc {
                tag,
                offset: u16_at(bytes, at + 4, "TCOLDESC")?,
                size: bytes[at + 6],
                bit: bytes[at + 7],
            });
        }
        let info = TcInfo {
            end_4b,
            end_2b,
            end_1b,
            row_size,
            row_index: Hid(u32_at(bytes, 10, S)?),
            rows: u32_at(bytes, 14, S)?,
            columns,
        };
        info.check_columns()?;
        Ok(info)
    }

    fn check_columns(&self) -> Result<(), Error> {
        const S: &str = "TCOLDESC";
        if self
            .columns
            .windows(2)
            .any(|pair| pair[0].tag.value() >= pair[1].tag.value())
        {
            return Err(Error::invalid(
                S,
                "tag",
                0u64,
                "TCOLDESCs must be sorted by tag, once each",
            ));
        }
        for (tag, offset, bit) in [(PID_TAG_LTP_ROW_ID, 0, 0), (PID_TAG_LTP_ROW_VER, 4, 1)] {
            let found = self.columns.iter().find(|c| c.tag == tag);
            if found.map(|c| (c.offset, c.bit)) != Some((offset, bit)) {
                return Err(Error::invalid(
                    S,
                    "PidTagLtpRowId/PidTagLtpRowVer",
                    tag.value(),
                    "missing or not at its fixed offset and bit",
                ));
            }
        }
        let mut bits = vec![false; self.columns.len()];
        for column in &self.columns {
            let size = cell_size(column.tag.ty).unwrap_or_default();
            if column.size != size {
                return Err(Error::invalid(
                    S,
                    "cbData",
                    column.size,
                    "wrong for the column's type",
                ));
            }
            let (start, end) = (column.offset, column.offset.saturating_add(size.into()));
            let placed = match size {
                1 => start >= self.end_2b && end <= self.end_1b,
                2 => start % 2 == 0 && start >= self.end_4b && end <= self.end_2b,
                _ => start % 4 == 0 && end <= self.end_4b,
            };
            if !placed {
                return Err(Error::invalid(
                    S,
                    "ibData",
                    column.offset,
                    "outside its size group or misaligned",
                ));
            }
            match bits.get_mut(usize::from(column.bit)) {
                Some(seen) if !*seen => *seen = true,
                _ => {
                    return Err(Error::invalid(
                        S,
                        "iBit",
                        column.bit,
                        "beyond the column count or used twice",
                    ));
                }
            }
        }
        let mut cells: Vec<(u16, u16)> = self
            .columns
            .iter()
            .map(|c| (c.offset, c.offset + u16::from(c.size)))
            .collect();
        cells.sort_unstable();
        if let Some(pair) = cells.windows(2).find(|pair| pair[0].1 > pair[1].0) {
            return Err(Error::invalid(S, "ibData", pair[1].0, "cells overlap"));
        }
        Ok(())
    }

    /// The columns other than row ID and version, in existence-bit order: the order they were
    /// given in when the table was built.
    fn data_columns(&self) -> Vec<ColumnDesc> {
        let mut columns: Vec<ColumnDesc> = self
            .columns
            .iter()
            .filter(|c| c.bit >= 2)
            .copied()
            .collect();
        columns.sort_by_key(|c| c.bit);
        columns
    }
}

/// One row of a table: its ID, its version, and a cell per column (`None` = no value).
#[derive(Clone, Debug, PartialEq)]
pub struct TableRow<'a> {
    /// `dwRowID`: unique in the table, the key of the row index.
    pub id: u32,
    /// `PidTagLtpRowVer`.
    pub version: u32,
    pub cells: Vec<Option<PropValue<'a>>>,
}

/// A table read back: its columns (without row ID and version) in the order they were built
/// with, and its rows in row-matrix order.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<PropTag>,
    pub rows: Vec<TableRow<'static>>,
}

/// Builds the table context of `rows` over `columns` (row ID and version come from each row,
/// not from the columns). Rows stay in the order given; the row index sorts them by ID.
pub fn build_tc(
    columns: &[PropTag],
    rows: &[TableRow<'_>],
    subnodes: &mut (impl SubnodeWriter + ?Sized),
) -> Result<NodeBlocks, Error> {
    let ids: Vec<u32> = rows.iter().map(|row| row.id).collect();
    let mut builder = TcBuilder::new(columns, RowIds::Listed(&ids))?;
    for row in rows {
        builder.push_row(row, subnodes)?;
    }
    builder.finish(subnodes)
}

/// The two data trees of a table whose row matrix is in a subnode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcTree {
    /// The heap: the node's own data.
    Heap,
    /// The row matrix: the data of the subnode TCINFO's `hnidRows` names.
    RowMatrix,
}

/// A block of a table being built that nothing changes anymore: block `index` of `tree`.
#[derive(Debug)]
pub struct ClosedBlock {
    pub tree: TcTree,
    pub index: usize,
    pub data: Vec<u8>,
}

/// The IDs of a table's rows, as its builder learns them.
#[derive(Clone, Copy, Debug)]
pub enum RowIds<'a> {
    /// Known before the rows come, in the order they will come (any order of IDs).
    Listed(&'a [u32]),
    /// This many rows, whose IDs come with them, each greater than the one before (a folder's
    /// messages, whose NIDs grow as they are written): the row index is built as they come,
    /// and no list of them is held, whatever the table's size.
    Ascending(usize),
}

impl RowIds<'_> {
    fn count(self) -> usize {
        match self {
            RowIds::Listed(ids) => ids.len(),
            RowIds::Ascending(count) => count,
        }
    }
}

/// How pushed rows are checked against their IDs and enter the row index.
#[derive(Debug)]
enum RowIndex {
    /// The index was written when the table was started; rows must come in this order.
    Written { ids: Vec<u32> },
    /// The rows come in ascending ID order, and the index is built as they come.
    Growing(GrowingIndex),
}

/// A row index built as rows come in ascending ID order. The records of the leaf being filled
/// wait in `leaf`; a small table has its one leaf reserved where Outlook puts it (`reserved`),
/// a large one allocates each leaf once full, and the levels above go in at the end.
#[derive(Debug)]
struct GrowingIndex {
    header: Hid,
    last: Option<u32>,
    leaf: Vec<u8>,
    reserved: Option<Hid>,
    leaves: Vec<(Vec<u8>, Hid)>,
}

impl GrowingIndex {
    /// Adds the row `id` at `position`; a leaf that fills is allocated.
    fn add(&mut self, heap: &mut HeapBuilder, id: u32, position: usize) -> Result<(), Error> {
        self.last = Some(id);
        self.leaf.extend_from_slice(&id.to_le_bytes());
        self.leaf
            .extend_from_slice(&(position as u32).to_le_bytes());
        let full = records_per_allocation(INDEX_RECORD) * INDEX_RECORD;
        if self.reserved.is_none() && self.leaf.len() == full {
            let hid = heap.allocate(&self.leaf)?;
            self.leaves.push((self.leaf[..4].to_vec(), hid));
            self.leaf.clear();
        }
        Ok(())
    }

    /// Allocates (or fills in) the last leaf, then the levels above.
    fn finish(&mut self, heap: &mut HeapBuilder) -> Result<(), Error> {
        if !self.leaf.is_empty() {
            let hid = match self.reserved {
                Some(hid) => {
                    let slot = heap
                        .allocation_mut(hid)
                        .filter(|slot| slot.len() == self.leaf.len())
                        .ok_or(Error::NoSuchAllocation { hid: hid.0 })?;
                    slot.copy_from_slice(&self.leaf);
                    hid
                }
                None => heap.allocate(&self.leaf)?,
            };
            self.leaves.push((self.leaf[..4].to_vec(), hid));
        }
        write_bth_levels(heap, self.header, 4, 4, std::mem::take(&mut self.leaves))?;
        Ok(())
    }
}

/// A row-index record: the row ID, then the row's position in the matrix.
const INDEX_RECORD: usize = 8;

/// Builds a table context row by row, so that the rows of a large table (a folder of 100,000
/// messages) can come from disk a few at a time: only the row index, the row matrix and the
/// heap's values are held, never every row's cells at once. Built with
/// [`TcBuilder::streamed`], it holds not even those: its blocks are handed out as they fill.
#[derive(Debug)]
pub struct TcBuilder {
    info: TcInfo,
    columns: Vec<PropTag>,
    /// The data columns in existence-bit order.
    cells: Vec<ColumnDesc>,
    /// How many rows the table has.
    rows: usize,
    index: RowIndex,
    heap: HeapBuilder,
    tcinfo: Hid,
    matrix_on_heap: Option<Hid>,
    /// The row matrix as it is stored: rows never straddle a block, and every block but the
    /// last is a full 8176 bytes (its whole rows, then zeros). Readers that address rows in
    /// the concatenated stream (java-libpst and its ports) expect the blocks padded that way.
    /// Streamed: only the block being filled.
    matrix: Vec<u8>,
    rows_per_block: usize,
    pushed: usize,
    /// Streamed: the blocks closed since the caller last took them.
    closed: Option<Vec<ClosedBlock>>,
}

impl TcBuilder {
    /// Starts a table over `columns` whose rows will have the IDs `ids`.
    pub fn new(columns: &[PropTag], ids: RowIds<'_>) -> Result<TcBuilder, Error> {
        TcBuilder::start(columns, ids, false)
    }

    /// Starts a table as [`TcBuilder::new`] does, which hands out the blocks of its heap and
    /// row matrix as they fill ([`TcBuilder::take_closed`]) when its row matrix is in a
    /// subnode; a table whose matrix is on its heap is small and held whole.
    pub fn streamed(columns: &[PropTag], ids: RowIds<'_>) -> Result<TcBuilder, Error> {
        TcBuilder::start(columns, ids, true)
    }

    fn start(columns: &[PropTag], ids: RowIds<'_>, stream: bool) -> Result<TcBuilder, Error> {
        let info = TcInfo::layout(columns)?;
        let cells = info.data_columns();
        let row_size = usize::from(info.row_size);
        let rows = ids.count();
        let matrix_size = rows
            .checked_mul(row_size)
            .filter(|size| u32::try_from(*size).is_ok())
            .ok_or(Error::TooManyRows { rows })?;
        let matrix_fits_heap = (1..=MAX_ALLOCATION).contains(&matrix_size);

        let mut heap = HeapBuilder::new(ClientSig::TableContext);
        let row_index = reserve_bth_header(&mut heap)?;
        let tcinfo = heap.reserve(TCINFO_FIXED_SIZE + TCOLDESC_SIZE * info.columns.len())?;
        heap.set_user_root(tcinfo);
        let index = match ids {
            RowIds::Listed(ids) => {
                write_listed_index(&mut heap, row_index, ids)?;
                RowIndex::Written { ids: ids.to_vec() }
            }
            RowIds::Ascending(rows) => {
                // The records of a table small enough for its matrix to fit on the heap fit
                // one leaf (a row is at least 8 bytes, as a record is).
                let reserved = if matrix_fits_heap {
                    Some(heap.reserve(rows * INDEX_RECORD)?)
                } else {
                    None
                };
                RowIndex::Growing(GrowingIndex {
                    header: row_index,
                    last: None,
                    leaf: Vec::new(),
                    reserved,
                    leaves: Vec::new(),
                })
            }
        };
        let matrix_on_heap = if matrix_fits_heap {
            Some(heap.reserve(matrix_size)?)
        } else {
            None
        };
        let rows_per_block = MAX_BLOCK / row_size;
        let streamed = stream && matrix_on_heap.is_none() && rows > 0;
        // The matrix as stored, every block but the last padded to 8176 bytes; streamed, only
        // its first block.
        let matrix_len = if streamed {
            stored_block_len(rows, 0, rows_per_block, row_size)
        } else {
            let full_blocks = rows.saturating_sub(1) / rows_per_block;
            full_blocks * MAX_BLOCK + (rows - full_blocks * rows_per_block) * row_size
        };
        let mut info = info;
        info.row_index = row_index;
        Ok(TcBuilder {
            info,
            columns: columns.to_vec(),
            cells,
            rows,
            index,
            heap,
            tcinfo,
            matrix_on_heap,
            matrix: vec![0u8; matrix_len],
            rows_per_block,
            pushed: 0,
            closed: streamed.then(Vec::new),
        })
    }

    /// Whether the table hands out its blocks ([`TcBuilder::streamed`]).
    pub fn is_streamed(&self) -> bool {
        self.closed.is_some()
    }

    /// The blocks closed since last asked: every heap page but page 0 and the bitmap pages
    /// once no allocation goes to it, every row-matrix block once its last row is in. The
    /// table never changes them again.
    pub fn take_closed(&mut self) -> Vec<ClosedBlock> {
        self.closed.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Adds the next row: with [`RowIds::Listed`], the next of the IDs listed; with
    /// [`RowIds::Ascending`], one with an ID greater than the row before.
    pub fn push_row(
        &mut self,
        row: &TableRow<'_>,
        subnodes: &mut (impl SubnodeWriter + ?Sized),
    ) -> Result<(), Error> {
        if row.cells.len() != self.columns.len() {
            return Err(Error::CellCount {
                row_id: row.id,
                cells: row.cells.len(),
                columns: self.columns.len(),
            });
        }
        for (tag, cell) in self.columns.iter().zip(&row.cells) {
            if let Some(value) = cell
                && value.prop_type() != tag.ty
            {
                return Err(Error::CellType {
                    row_id: row.id,
                    tag: *tag,
                    found: value.prop_type(),
                });
            }
        }
        let in_order = match &self.index {
            RowIndex::Written { ids } => ids.get(self.pushed) == Some(&row.id),
            RowIndex::Growing(index) => {
                self.pushed < self.rows && index.last.is_none_or(|last| row.id > last)
            }
        };
        if !in_order {
            return Err(Error::RowOrder {
                row_id: row.id,
                position: self.pushed,
            });
        }
        let row_size = usize::from(self.info.row_size);
        let position = self.pushed;
        let in_block = position % self.rows_per_block * row_size;
        let at = match self.closed {
            Some(_) => in_block,
            None => position / self.rows_per_block * MAX_BLOCK + in_block,
        };
        let bytes = &mut self.matrix[at..at + row_size];
        bytes[0..4].copy_from_slice(&row.id.to_le_bytes());
        bytes[4..8].copy_from_slice(&row.version.to_le_bytes());
        let ceb = usize::from(self.info.end_1b);
        bytes[ceb] |= 0xC0;
        for (desc, cell) in self.cells.iter().zip(&row.cells) {
            let Some(value) = cell else { continue };
            let at = usize::from(desc.offset);
            let size = usize::from(desc.size);
            let cell_bytes: Cow<'_, [u8]> = match storage(desc.tag.ty) {
                Some(Storage::Inline(_)) => {
                    let bits = inline_value(value).unwrap_or_default();
                    Cow::Owned(bits.to_le_bytes()[..size].to_vec())
                }
                Some(Storage::Fixed8) => value_bytes(desc.tag, value)?,
                Some(Storage::Hnid) | None => {
                    let hnid = store_hnid(&mut self.heap, subnodes, desc.tag, value)?;
                    Cow::Owned(hnid.to_le_bytes().to_vec())
                }
            };
            bytes[at..at + size].copy_from_slice(&cell_bytes);
            bytes[ceb + usize::from(desc.bit / 8)] |= 0x80 >> (desc.bit % 8);
        }
        if let RowIndex::Growing(index) = &mut self.index {
            index.add(&mut self.heap, row.id, position)?;
        }
        self.pushed += 1;
        if self.closed.is_some() {
            self.close_blocks(position);
        }
        Ok(())
    }

    /// Streamed: after the row at `position`, moves what filled to the closed blocks.
    fn close_blocks(&mut self, position: usize) {
        let block = position / self.rows_per_block;
        let block_full =
            (position + 1).is_multiple_of(self.rows_per_block) || self.pushed == self.rows;
        let next = if block_full && self.pushed < self.rows {
            let row_size = usize::from(self.info.row_size);
            vec![0u8; stored_block_len(self.rows, block + 1, self.rows_per_block, row_size)]
        } else {
            Vec::new()
        };
        let pages = self.heap.take_closed_pages();
        let Some(closed) = self.closed.as_mut() else {
            return;
        };
        if block_full {
            closed.push(ClosedBlock {
                tree: TcTree::RowMatrix,
                index: block,
                data: std::mem::replace(&mut self.matrix, next),
            });
        }
        closed.extend(pages.into_iter().map(|(index, data)| ClosedBlock {
            tree: TcTree::Heap,
            index,
            data,
        }));
    }

    /// Ends a streamed table whose row matrix is (to be) written as subnode `rows`: writes the
    /// TCINFO and gives the blocks not handed out yet (see [`TcBuilder::take_closed`]).
    pub fn finish_streamed(mut self, rows: Nid) -> Result<Vec<ClosedBlock>, Error> {
        self.check_complete()?;
        if let RowIndex::Growing(index) = &mut self.index {
            index.finish(&mut self.heap)?;
        }
        let mut blocks = self.take_closed();
        self.info.rows = rows.0;
        if let Some(slot) = self.heap.allocation_mut(self.tcinfo) {
            slot.copy_from_slice(&self.info.to_bytes());
        }
        blocks.extend(
            self.heap
                .finish_rest()
                .into_iter()
                .map(|(index, data)| ClosedBlock {
                    tree: TcTree::Heap,
                    index,
                    data,
                }),
        );
        Ok(blocks)
    }

    fn check_complete(&self) -> Result<(), Error> {
        if self.pushed != self.rows {
            return Err(Error::MissingRows {
                expected: self.rows,
                given: self.pushed,
            });
        }
        Ok(())
    }

    /// Stores the row matrix and the TCINFO and lays out the heap.
    pub fn finish(
        mut self,
        subnodes: &mut (impl SubnodeWriter + ?Sized),
    ) -> Result<NodeBlocks, Error> {
        debug_assert!(
            !self.is_streamed(),
            "a streamed table ends with finish_streamed"
        );
        self.check_complete()?;
        if let RowIndex::Growing(index) = &mut self.index {
            index.finish(&mut self.heap)?;
        }
        self.info.rows = match self.matrix_on_heap {
            Some(hid) => {
                if let Some(slot) = self.heap.allocation_mut(hid) {
                    slot.copy_from_slice(&self.matrix);
                }
                hid.0
            }
            None if self.matrix.is_empty() => 0,
            None => subnodes.write_subnode(&self.matrix, MAX_BLOCK)?.0,
        };
        if let Some(slot) = self.heap.allocation_mut(self.tcinfo) {
            slot.copy_from_slice(&self.info.to_bytes());
        }
        Ok(self.heap.finish())
    }
}

/// The stored length of block `block` of the row matrix of `rows` rows: full (8176 bytes, its
/// whole rows then zeros) but for the last.
fn stored_block_len(rows: usize, block: usize, rows_per_block: usize, row_size: usize) -> usize {
    let left = rows - block * rows_per_block;
    if left > rows_per_block {
        MAX_BLOCK
    } else {
        left * row_size
    }
}

/// Writes the row index of rows with the IDs `ids`, in that order: (row ID, position) records
/// sorted by ID.
fn write_listed_index(heap: &mut HeapBuilder, header: Hid, ids: &[u32]) -> Result<(), Error> {
    let mut index: Vec<(u32, u32)> = ids
        .iter()
        .enumerate()
        .map(|(position, id)| (*id, position as u32))
        .collect();
    index.sort_unstable();
    if let Some(pair) = index.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Error::DuplicateRowId { row_id: pair[0].0 });
    }
    let records: Vec<u8> = index
        .iter()
        .flat_map(|(id, position)| id.to_le_bytes().into_iter().chain(position.to_le_bytes()))
        .collect();
    drop(index);
    write_bth(heap, header, 4, 4, &records)?;
    Ok(())
}

/// Reads a table context back and checks it: the heap, the TCINFO, a row index with one entry
/// per row that leads to the row with that ID, the row matrix (whole rows, every block but the
/// last holding `floor(8176 / rowSize)` rows, on the heap exactly when it fits one allocation),
/// existence bits (row ID and version set, unused bits clear, absent cells zero) and every
/// value.
pub fn read_tc<B: AsRef<[u8]>>(
    blocks: &[B],
    subnodes: &mut (impl SubnodeReader + ?Sized),
) -> Result<Table, Error> {
    let heap = Heap::read(blocks)?;
    if heap.client_sig() != ClientSig::TableContext {
        return Err(Error::invalid(
            "HNHDR",
            "bClientSig",
            heap.client_sig() as u8,
            "a table context has 0x7C",
        ));
    }
    let info = TcInfo::parse(heap.get(heap.user_root())?)?;
    let (bth, index) = read_bth(&heap, info.row_index)?;
    if (bth.key_size, bth.data_size) != (4, 4) {
        return Err(Error::invalid(
            "TC row index BTHHEADER",
            "cbKey/cbEnt",
            u64::from(bth.key_size) << 8 | u64::from(bth.data_size),
            "a row index has cbKey 4 and cbEnt 4",
        ));
    }
    let matrix = row_matrix(&heap, subnodes, &info)?;
    let row_size = usize::from(info.row_size);
    let row_count = matrix.len() / row_size;
    if index.len() != row_count {
        return Err(Error::invalid(
            "TC row index",
            "record count",
            index.len() as u64,
            "differs from the number of rows in the row matrix",
        ));
    }
    for record in &index {
        let id = u32_at(record, 0, "TCROWID")?;
        let position = u32_at(record, 4, "TCROWID")? as usize;
        let row_id = match matrix.get(position * row_size..) {
            Some(row) if position < row_count => u32_at(row, 0, "TC row")?,
            _ => {
                return Err(Error::invalid(
                    "TCROWID",
                    "dwRowIndex",
                    position as u64,
                    "past the last row",
                ));
            }
        };
        if row_id != id {
            return Err(Error::invalid(
                "TCROWID",
                "dwRowID",
                id,
                "the row it points at has another row ID",
            ));
        }
    }

    let columns = info.data_columns();
    let mut rows = Vec::with_capacity(row_count);
    for row in matrix.chunks(row_size) {
        rows.push(read_row(&heap, subnodes, &info, &columns, row)?);
    }
    Ok(Table {
        columns: columns.iter().map(|c| c.tag).collect(),
        rows,
    })
}

/// The row matrix bytes, with the checks on where and how they are stored.
fn row_matrix<'h>(
    heap: &Heap<'h>,
    subnodes: &mut (impl SubnodeReader + ?Sized),
    info: &TcInfo,
) -> Result<Cow<'h, [u8]>, Error> {
    const S: &str = "TC row matrix";
    let row_size = usize::from(info.row_size);
    if info.rows == 0 {
        return Ok(Cow::Borrowed(&[]));
    }
    if Hid::is_hid(info.rows) {
        let matrix = heap.get(Hid(info.rows))?;
        if matrix.len() % row_size != 0 {
            return Err(Error::invalid(
                S,
                "size",
                matrix.len() as u64,
                "not whole rows",
            ));
        }
        return Ok(Cow::Borrowed(matrix));
    }
    let nid = Nid(info.rows);
    if nid.nid_type() != Some(NidType::Ltp) {
        return Err(Error::invalid(
            "TCINFO",
            "hnidRows",
            info.rows,
            "neither a HID nor a subnode of type 0x1F",
        ));
    }
    let blocks = subnodes.read_subnode(nid)?;
    let rows_per_block = MAX_BLOCK / row_size;
    let last = blocks.len().saturating_sub(1);
    let mut matrix = Vec::with_capacity(blocks.len() * MAX_BLOCK);
    for (i, block) in blocks.iter().enumerate() {
        // A block before the last is 8176 bytes: floor(8176 / rowSize) rows and zero padding.
        let rows_len = if i == last {
            block.len()
        } else {
            rows_per_block * row_size
        };
        let rows = rows_len / row_size;
        let whole = rows_len % row_size == 0;
        let count_ok = if i == last {
            (1..=rows_per_block).contains(&rows)
        } else {
            block.len() == MAX_BLOCK && block[rows_len..].iter().all(|b| *b == 0)
        };
        if !whole || !count_ok {
            return Err(Error::invalid(
                S,
                "block size",
                block.len() as u64,
                "every block but the last holds floor(8176 / rowSize) whole rows padded to 8176 \
                 bytes with zeros, the last one 1 or more rows",
            ));
        }
        matrix.extend_from_slice(&block[..rows_len]);
    }
    if matrix.len() <= MAX_ALLOCATION {
        return Err(Error::invalid(
            S,
            "size",
            matrix.len() as u64,
            "a row matrix of at most 3580 bytes belongs on the heap",
        ));
    }
    Ok(Cow::Owned(matrix))
}

fn read_row(
    heap: &Heap<'_>,
    subnodes: &mut (impl SubnodeReader + ?Sized),
    info: &TcInfo,
    columns: &[ColumnDesc],
    row: &[u8],
) -> Result<TableRow<'static>, Error> {
    const S: &str = "TC row";
    let ceb = &row[usize::from(info.end_1b)..];
    let is_set = |bit: u8| {
        ceb.get(usize::from(bit / 8))
            .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
    };
    let id = u32_at(row, 0, S)?;
    if !is_set(0) || !is_set(1) {
        return Err(Error::invalid(
            S,
            "rgbCEB",
            id,
            "the row ID and version bits must be set",
        ));
    }
    let column_count = info.columns.len();
    let unused = (column_count..ceb.len() * 8).any(|bit| is_set(bit as u8));
    if unused {
        return Err(Error::invalid(
            S,
            "rgbCEB",
            id,
            "bits past the last column must be 0",
        ));
    }
    let mut cells = Vec::with_capacity(columns.len());
    for column in columns {
        let at = usize::from(column.offset);
        let cell = &row[at..at + usize::from(column.size)];
        if !is_set(column.bit) {
            if cell.iter().any(|b| *b != 0) {
                return Err(Error::invalid(
                    S,
                    "cell",
                    column.tag.value(),
                    "a cell without its existence bit must be zero",
                ));
            }
            cells.push(None);
            continue;
        }
        let mut bits = [0u8; 4];
        bits[..cell.len().min(4)].copy_from_slice(&cell[..cell.len().min(4)]);
        let bits = u32::from_le_bytes(bits);
        let value = match storage(column.tag.ty) {
            Some(Storage::Inline(_)) => decode_inline(column.tag.ty, bits, "TC cell")?,
            Some(Storage::Fixed8) => decode_bytes(column.tag.ty, cell, "TC cell")?,
            Some(Storage::Hnid) | None => {
                load_hnid(heap, subnodes, column.tag.ty, bits, "TC cell value")?
            }
        };
        cells.push(Some(value));
    }
    Ok(TableRow {
        id,
        version: u32_at(row, 4, S)?,
        cells,
    })
}

#[cfg(test)]
mod tests;
