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
//! records, the row matrix when on the heap, then the cell values row by row.

use std::borrow::Cow;

use super::bth::{read_bth, reserve_bth_header, write_bth};
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
    let mut builder = TcBuilder::new(columns, &ids)?;
    for row in rows {
        builder.push_row(row, subnodes)?;
    }
    builder.finish(subnodes)
}

/// Builds a table context row by row, so that the rows of a large table (a folder of 100,000
/// messages) can come from disk a few at a time: only the row index, the row matrix and the
/// heap's values are held, never every row's cells at once.
#[derive(Debug)]
pub struct TcBuilder {
    info: TcInfo,
    columns: Vec<PropTag>,
    /// The data columns in existence-bit order.
    cells: Vec<ColumnDesc>,
    /// Row IDs in the order the rows must come.
    ids: Vec<u32>,
    heap: HeapBuilder,
    tcinfo: Hid,
    matrix_on_heap: Option<Hid>,
    /// The row matrix as it is stored: rows never straddle a block, and every block but the
    /// last is a full 8176 bytes (its whole rows, then zeros). Readers that address rows in
    /// the concatenated stream (java-libpst and its ports) expect the blocks padded that way.
    matrix: Vec<u8>,
    rows_per_block: usize,
    pushed: usize,
}

impl TcBuilder {
    /// Starts a table over `columns` whose rows will have the IDs `ids`, in that order.
    pub fn new(columns: &[PropTag], ids: &[u32]) -> Result<TcBuilder, Error> {
        let info = TcInfo::layout(columns)?;
        let cells = info.data_columns();
        let row_size = usize::from(info.row_size);
        let matrix_size = ids
            .len()
            .checked_mul(row_size)
            .filter(|size| u32::try_from(*size).is_ok())
            .ok_or(Error::TooManyRows { rows: ids.len() })?;
        // (row ID, position in the matrix), sorted by row ID: the row index records.
        let mut index: Vec<(u32, u32)> = ids
            .iter()
            .enumerate()
            .map(|(position, id)| (*id, position as u32))
            .collect();
        index.sort_unstable();
        if let Some(pair) = index.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(Error::DuplicateRowId { row_id: pair[0].0 });
        }

        let mut heap = HeapBuilder::new(ClientSig::TableContext);
        let row_index = reserve_bth_header(&mut heap)?;
        let tcinfo = heap.reserve(TCINFO_FIXED_SIZE + TCOLDESC_SIZE * info.columns.len())?;
        heap.set_user_root(tcinfo);
        let records: Vec<u8> = index
            .iter()
            .flat_map(|(id, position)| id.to_le_bytes().into_iter().chain(position.to_le_bytes()))
            .collect();
        drop(index);
        write_bth(&mut heap, row_index, 4, 4, &records)?;
        let matrix_on_heap = if (1..=MAX_ALLOCATION).contains(&matrix_size) {
            Some(heap.reserve(matrix_size)?)
        } else {
            None
        };
        let rows_per_block = MAX_BLOCK / row_size;
        let full_blocks = ids.len().saturating_sub(1) / rows_per_block;
        let stored_size =
            full_blocks * MAX_BLOCK + (ids.len() - full_blocks * rows_per_block) * row_size;
        let mut info = info;
        info.row_index = row_index;
        Ok(TcBuilder {
            info,
            columns: columns.to_vec(),
            cells,
            ids: ids.to_vec(),
            heap,
            tcinfo,
            matrix_on_heap,
            matrix: vec![0u8; stored_size],
            rows_per_block,
            pushed: 0,
        })
    }

    /// Adds the next row; its ID must be the next of the IDs the table was started with.
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
        if self.ids.get(self.pushed) != Some(&row.id) {
            return Err(Error::RowOrder {
                row_id: row.id,
                position: self.pushed,
            });
        }
        let row_size = usize::from(self.info.row_size);
        let position = self.pushed;
        let at =
            position / self.rows_per_block * MAX_BLOCK + position % self.rows_per_block * row_size;
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
        self.pushed += 1;
        Ok(())
    }

    /// Stores the row matrix and the TCINFO and lays out the heap.
    pub fn finish(
        mut self,
        subnodes: &mut (impl SubnodeWriter + ?Sized),
    ) -> Result<NodeBlocks, Error> {
        if self.pushed != self.ids.len() {
            return Err(Error::MissingRows {
                expected: self.ids.len(),
                given: self.pushed,
            });
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
mod tests {
    use std::time::Instant;

    use proptest::prelude::*;

    use super::*;
    use crate::pst::ltp::testing::{
        MemorySubnodes, hex, outlook_pst_accepts_bth_header, outlook_pst_accepts_heap,
        outlook_pst_accepts_tcinfo,
    };

    fn tag(id: u16, ty: PropType) -> PropTag {
        PropTag::new(id, ty)
    }

    fn string(s: &str) -> Option<PropValue<'_>> {
        Some(PropValue::String(Cow::Borrowed(s)))
    }

    fn int(v: i32) -> Option<PropValue<'static>> {
        Some(PropValue::Integer32(v))
    }

    /// Builds, reads back with every check, compares with the input and runs `outlook-pst`'s
    /// checks; returns the blocks and the TCINFO.
    fn build(
        columns: &[PropTag],
        rows: &[TableRow<'_>],
        subnodes: &mut MemorySubnodes,
    ) -> (NodeBlocks, TcInfo) {
        let blocks = build_tc(columns, rows, subnodes).unwrap();
        outlook_pst_accepts_heap(&blocks.0);
        let heap = Heap::read(&blocks.0).unwrap();
        let tcinfo = heap.get(heap.user_root()).unwrap();
        outlook_pst_accepts_tcinfo(tcinfo);
        let info = TcInfo::parse(tcinfo).unwrap();
        outlook_pst_accepts_bth_header(heap.get(info.row_index).unwrap());
        let table = read_tc(&blocks.0, subnodes).unwrap();
        assert_eq!(table.columns, columns);
        assert_eq!(table.rows.len(), rows.len());
        for (read, row) in table.rows.iter().zip(rows) {
            let owned: Vec<_> = row
                .cells
                .iter()
                .map(|c| c.clone().map(PropValue::into_owned))
                .collect();
            assert_eq!((read.id, read.version), (row.id, row.version));
            assert_eq!(read.cells, owned, "row {:#x}", row.id);
        }
        (blocks, info)
    }

    /// The hierarchy table columns of Outlook's template (node 0x60D), in Outlook's order.
    fn hierarchy_columns() -> Vec<PropTag> {
        vec![
            tag(0x3001, PropType::String),
            tag(0x3602, PropType::Integer32),
            tag(0x3603, PropType::Integer32),
            tag(0x360A, PropType::Boolean),
            tag(0x0E30, PropType::Binary),
            tag(0x0E33, PropType::Integer64),
            tag(0x0E34, PropType::Binary),
            tag(0x0E38, PropType::Integer32),
            tag(0x3613, PropType::String),
            tag(0x6635, PropType::Integer32),
            tag(0x6636, PropType::Integer32),
        ]
    }

    // The next three are nodes of the fresh store Outlook wrote as `examples/Empty.pst` of the
    // `outlook-pst` crate, rebuilt from their columns (in Outlook's order) and rows.

    #[test]
    fn rebuilds_outlooks_hierarchy_template() {
        let (blocks, _) = build(&hierarchy_columns(), &[], &mut MemorySubnodes::default());
        assert_eq!(
            blocks.0,
            vec![hex("
                0000: 92 00 EC 7C 40 00 00 00 00 00 00 00 B5 04 04 00
                0010: 00 00 00 00 7C 0D 34 00 34 00 35 00 37 00 20 00
                0020: 00 00 00 00 00 00 00 00 00 00 02 01 30 0E 14 00
                0030: 04 06 14 00 33 0E 18 00 08 07 02 01 34 0E 20 00
                0040: 04 08 03 00 38 0E 24 00 04 09 1F 00 01 30 08 00
                0050: 04 02 03 00 02 36 0C 00 04 03 03 00 03 36 10 00
                0060: 04 04 0B 00 0A 36 34 00 01 05 1F 00 13 36 28 00
                0070: 04 0A 03 00 35 66 2C 00 04 0B 03 00 36 66 30 00
                0080: 04 0C 03 00 F2 67 00 00 04 00 03 00 F3 67 04 00
                0090: 04 01 02 00 00 00 0C 00 14 00 92 00
            ")]
        );
    }

    #[test]
    fn rebuilds_outlooks_receive_folder_table() {
        // One row: the empty message class (HNID 0, existence bit set) goes to the root folder.
        let columns = [
            tag(0x6605, PropType::Integer32),
            tag(0x001A, PropType::String),
        ];
        let rows = [TableRow {
            id: 1,
            version: 2,
            cells: vec![int(0x122), string("")],
        }];
        let (blocks, _) = build(&columns, &rows, &mut MemorySubnodes::default());
        assert_eq!(
            blocks.0,
            vec![hex("
                0000: 64 00 EC 7C 40 00 00 00 00 00 00 00 B5 04 04 00
                0010: 60 00 00 00 7C 04 10 00 10 00 10 00 11 00 20 00
                0020: 00 00 80 00 00 00 00 00 00 00 1F 00 1A 00 0C 00
                0030: 04 03 03 00 05 66 08 00 04 02 03 00 F2 67 00 00
                0040: 04 00 03 00 F3 67 04 00 04 01 01 00 00 00 00 00
                0050: 00 00 01 00 00 00 02 00 00 00 22 01 00 00 00 00
                0060: 00 00 F0 00 04 00 00 00 0C 00 14 00 4A 00 52 00
                0070: 63 00
            ")]
        );
    }

    #[test]
    fn rebuilds_outlooks_root_hierarchy_table() {
        let folder = |id: u32, version: u32, name: &'static str, subfolders: bool| {
            let mut cells = vec![None; 11];
            cells[0] = string(name);
            cells[1] = int(0);
            cells[2] = int(0);
            cells[3] = Some(PropValue::Boolean(subfolders));
            TableRow { id, version, cells }
        };
        let rows = [
            folder(0x8022, 0x0F, "Top of Outlook data file", true),
            folder(0x8042, 0x06, "Search Root", false),
            folder(0x2223, 0x0C, "SPAM Search Folder 2", false),
            folder(0x8082, 0x11, "IPM_COMMON_VIEWS", false),
        ];
        let (blocks, _) = build(&hierarchy_columns(), &rows, &mut MemorySubnodes::default());
        assert_eq!(
            blocks.0,
            vec![hex("
                0000: 1C 02 EC 7C 40 00 00 00 00 00 00 00 B5 04 04 00
                0010: 60 00 00 00 7C 0D 34 00 34 00 35 00 37 00 20 00
                0020: 00 00 80 00 00 00 00 00 00 00 02 01 30 0E 14 00
                0030: 04 06 14 00 33 0E 18 00 08 07 02 01 34 0E 20 00
                0040: 04 08 03 00 38 0E 24 00 04 09 1F 00 01 30 08 00
                0050: 04 02 03 00 02 36 0C 00 04 03 03 00 03 36 10 00
                0060: 04 04 0B 00 0A 36 34 00 01 05 1F 00 13 36 28 00
                0070: 04 0A 03 00 35 66 2C 00 04 0B 03 00 36 66 30 00
                0080: 04 0C 03 00 F2 67 00 00 04 00 03 00 F3 67 04 00
                0090: 04 01 23 22 00 00 02 00 00 00 22 80 00 00 00 00
                00A0: 00 00 42 80 00 00 01 00 00 00 82 80 00 00 03 00
                00B0: 00 00 22 80 00 00 0F 00 00 00 A0 00 00 00 00 00
                00C0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00D0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00E0: 00 00 00 00 00 00 01 FC 00 42 80 00 00 06 00 00
                00F0: 00 C0 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                0100: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                0110: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 FC 00
                0120: 23 22 00 00 0C 00 00 00 E0 00 00 00 00 00 00 00
                0130: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                0140: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                0150: 00 00 00 00 00 FC 00 82 80 00 00 11 00 00 00 00
                0160: 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                0170: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                0180: 00 00 00 00 00 00 00 00 00 00 00 00 FC 00 54 00
                0190: 6F 00 70 00 20 00 6F 00 66 00 20 00 4F 00 75 00
                01A0: 74 00 6C 00 6F 00 6F 00 6B 00 20 00 64 00 61 00
                01B0: 74 00 61 00 20 00 66 00 69 00 6C 00 65 00 53 00
                01C0: 65 00 61 00 72 00 63 00 68 00 20 00 52 00 6F 00
                01D0: 6F 00 74 00 53 00 50 00 41 00 4D 00 20 00 53 00
                01E0: 65 00 61 00 72 00 63 00 68 00 20 00 46 00 6F 00
                01F0: 6C 00 64 00 65 00 72 00 20 00 32 00 49 00 50 00
                0200: 4D 00 5F 00 43 00 4F 00 4D 00 4D 00 4F 00 4E 00
                0210: 5F 00 56 00 49 00 45 00 57 00 53 00 08 00 00 00
                0220: 0C 00 14 00 92 00 B2 00 8E 01 BE 01 D4 01 FC 01
                0230: 1C 02
            ")]
        );
    }

    /// A contents-table-like set of columns, every cell size and HNID types among them.
    fn contents_columns() -> Vec<PropTag> {
        vec![
            tag(0x0037, PropType::String),    // subject
            tag(0x0E07, PropType::Integer32), // flags
            tag(0x0E06, PropType::Time),      // delivery time
            tag(0x0017, PropType::Integer32), // importance
            tag(0x0E1B, PropType::Boolean),   // has attachments
            tag(0x0E04, PropType::String),    // display to
            tag(0x0071, PropType::Binary),    // conversation index
            tag(0x1000, PropType::Integer16),
            tag(0x0E08, PropType::Integer64),
        ]
    }

    fn contents_row(i: u32, subject: &str) -> TableRow<'_> {
        TableRow {
            id: (0x10000 + i) << 5 | 4,
            version: i + 1,
            cells: vec![
                string(subject),
                int(i as i32),
                Some(PropValue::Time(0x01D9_0000_0000_0000 + u64::from(i))),
                (!i.is_multiple_of(3)).then_some(PropValue::Integer32(1)),
                Some(PropValue::Boolean(i.is_multiple_of(2))),
                i.is_multiple_of(5)
                    .then(|| PropValue::String(Cow::Owned(format!("to {i}")))),
                Some(PropValue::Binary(Cow::Owned(i.to_le_bytes().to_vec()))),
                Some(PropValue::Integer16(i as i16)),
                None,
            ],
        }
    }

    #[test]
    fn the_layout_groups_cells_by_size_in_the_order_given() {
        let info = TcInfo::layout(&contents_columns()).unwrap();
        let desc = |id: u16| *info.columns.iter().find(|c| c.tag.id == id).unwrap();
        // 4/8-byte group: subject 8, flags 12, time 16..24, importance 24, to 28, index 32,
        // i64 36..44; then the i16 at 44, the bool at 46, and 2 bytes of CEB for 11 columns.
        let expected = [
            (0x0037, 8, 4, 2),
            (0x0E07, 12, 4, 3),
            (0x0E06, 16, 8, 4),
            (0x0017, 24, 4, 5),
            (0x0E1B, 46, 1, 6),
            (0x0E04, 28, 4, 7),
            (0x0071, 32, 4, 8),
            (0x1000, 44, 2, 9),
            (0x0E08, 36, 8, 10),
        ];
        for (id, offset, size, bit) in expected {
            let d = desc(id);
            assert_eq!(
                (d.offset, d.size, d.bit),
                (offset, size, bit),
                "column {id:#06x}"
            );
        }
        assert_eq!(
            (info.end_4b, info.end_2b, info.end_1b, info.row_size),
            (44, 46, 47, 49)
        );
        assert!(
            info.columns
                .windows(2)
                .all(|p| p[0].tag.value() < p[1].tag.value())
        );
        outlook_pst_accepts_tcinfo(&info.to_bytes());
    }

    #[test]
    fn tables_of_0_1_and_2_rows_keep_the_matrix_on_the_heap() {
        let columns = contents_columns();
        let mut subnodes = MemorySubnodes::default();
        let (_, info) = build(&columns, &[], &mut subnodes);
        assert_eq!(info.rows, 0);
        let (_, info) = build(&columns, &[contents_row(0, "one")], &mut subnodes);
        assert!(Hid::is_hid(info.rows));
        // Rows in reverse ID order: the matrix keeps them as given, the index sorts.
        let rows = [contents_row(7, "b"), contents_row(3, "a")];
        let (blocks, info) = build(&columns, &rows, &mut subnodes);
        let heap = Heap::read(&blocks.0).unwrap();
        let (_, index) = read_bth(&heap, info.row_index).unwrap();
        let positions: Vec<u32> = index.iter().map(|r| u32_at(r, 4, "").unwrap()).collect();
        assert_eq!(positions, [1, 0]);
        assert!(subnodes.subnodes.is_empty());
    }

    /// 73 rows of 49 bytes fit one 3580-byte allocation; 74 go to a subnode of
    /// floor(8176 / 49) = 166 rows per block.
    #[test]
    fn the_row_matrix_moves_to_a_subnode_past_3580_bytes() {
        let columns = contents_columns();
        let subjects: Vec<String> = (0..400).map(|i| format!("message {i}")).collect();
        let rows: Vec<TableRow<'_>> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| contents_row(i as u32, s))
            .collect();
        let mut subnodes = MemorySubnodes::default();
        let (_, info) = build(&columns, &rows[..73], &mut subnodes);
        assert!(Hid::is_hid(info.rows));
        let (_, info) = build(&columns, &rows[..74], &mut subnodes);
        assert_eq!(Nid(info.rows).nid_type(), Some(NidType::Ltp));
        assert_eq!(subnodes.block_sizes[&Nid(info.rows)], MAX_BLOCK);
        let (_, info) = build(&columns, &rows, &mut subnodes);
        let lens: Vec<usize> = subnodes.subnodes[&Nid(info.rows)]
            .iter()
            .map(Vec::len)
            .collect();
        // 166 rows of 49 bytes and 42 bytes of padding, twice, then the rest unpadded.
        assert_eq!(lens, [MAX_BLOCK, MAX_BLOCK, 68 * 49]);
    }

    #[test]
    fn tables_of_447_rows_have_one_leaf_and_448_an_index_level() {
        let columns = contents_columns();
        let subjects: Vec<String> = (0..448).map(|i| format!("message {i}")).collect();
        let rows: Vec<TableRow<'_>> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| contents_row(i as u32, s))
            .collect();
        let mut subnodes = MemorySubnodes::default();
        let (blocks, info) = build(&columns, &rows[..447], &mut subnodes);
        let heap = Heap::read(&blocks.0).unwrap();
        assert_eq!(read_bth(&heap, info.row_index).unwrap().0.levels, 0);
        let (blocks, info) = build(&columns, &rows, &mut subnodes);
        let heap = Heap::read(&blocks.0).unwrap();
        assert_eq!(read_bth(&heap, info.row_index).unwrap().0.levels, 1);
    }

    fn large_table(count: u32) {
        let columns = contents_columns();
        let subjects: Vec<String> = (0..count)
            .map(|i| format!("Re: message number {i}"))
            .collect();
        let rows: Vec<TableRow<'_>> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| contents_row(i as u32, s))
            .collect();
        let mut subnodes = MemorySubnodes::default();
        let started = Instant::now();
        let (blocks, info) = build(&columns, &rows, &mut subnodes);
        let heap = Heap::read(&blocks.0).unwrap();
        assert!(heap.page_count() > 8, "{} pages", heap.page_count());
        assert!(blocks.0.iter().all(|b| b.len() <= MAX_BLOCK));
        let (bth, index) = read_bth(&heap, info.row_index).unwrap();
        assert!(bth.levels >= 1);
        assert_eq!(index.len(), count as usize);
        let matrix = &subnodes.subnodes[&Nid(info.rows)];
        let rows_in: usize = matrix.iter().map(|b| b.len().min(166 * 49) / 49).sum();
        assert_eq!(rows_in, count as usize);
        assert!(
            started.elapsed().as_secs() < 60,
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_table_of_10_000_rows_round_trips() {
        large_table(10_000);
    }

    /// A big folder's contents table: a heap of many pages (HNBITMAPHDR at page 8 and every
    /// 128 after), a row index with index levels, a row matrix subnode of 604 blocks (the NDB
    /// layer puts an XBLOCK above them).
    #[test]
    fn a_table_of_100_000_rows_round_trips() {
        large_table(100_000);
    }

    #[test]
    fn absent_cells_are_zero_with_their_bit_clear() {
        let columns = contents_columns();
        let row = TableRow {
            id: 0x24,
            version: 1,
            cells: vec![None; columns.len()],
        };
        let (blocks, info) = build(&columns, &[row], &mut MemorySubnodes::default());
        let heap = Heap::read(&blocks.0).unwrap();
        let matrix = heap.get(Hid(info.rows)).unwrap();
        assert_eq!(&matrix[8..47], &[0; 39]);
        assert_eq!(&matrix[47..49], &[0xC0, 0]);
    }

    #[test]
    fn a_wide_row_puts_long_values_in_subnodes() {
        let columns = [
            tag(0x0E04, PropType::String),
            tag(0x0E03, PropType::String),
            tag(0x1000, PropType::String),
        ];
        let to = "Someone <someone@example.com>; ".repeat(200);
        let cc = "x".repeat(1790);
        let row = TableRow {
            id: 1,
            version: 1,
            cells: vec![string(&to), string(&cc), string("")],
        };
        let mut subnodes = MemorySubnodes::default();
        let (_, info) = build(&columns, &[row], &mut subnodes);
        // The 12,400-byte string is a subnode; the 3580-byte one stays on the heap; the empty
        // one is HNID 0 with its bit set.
        assert_eq!(subnodes.subnodes.len(), 1);
        assert_eq!(subnodes.block_sizes.values().next(), Some(&MAX_BLOCK));
        assert!(Hid::is_hid(info.rows));
    }

    #[test]
    fn refuses_bad_columns_and_rows() {
        let mut subnodes = MemorySubnodes::default();
        let string_col = tag(0x0037, PropType::String);
        assert!(matches!(
            build_tc(&[PID_TAG_LTP_ROW_ID], &[], &mut subnodes),
            Err(Error::ReservedColumn { .. })
        ));
        assert!(matches!(
            build_tc(
                &[string_col, tag(0x0037, PropType::Binary)],
                &[],
                &mut subnodes
            ),
            Err(Error::DuplicateColumn { .. })
        ));
        for ty in [PropType::String8, PropType::Floating32, PropType::Currency] {
            assert!(matches!(
                build_tc(&[tag(0x0037, ty)], &[], &mut subnodes),
                Err(Error::UnwritableColumn { .. })
            ));
        }
        let many: Vec<PropTag> = (0..254)
            .map(|i| tag(0x8000 + i, PropType::Integer32))
            .collect();
        assert!(matches!(
            build_tc(&many, &[], &mut subnodes),
            Err(Error::TooManyColumns { count: 254 })
        ));
        build(&many[..253], &[], &mut subnodes);
        let row = |id: u32, cells| TableRow {
            id,
            version: 1,
            cells,
        };
        assert!(matches!(
            build_tc(&[string_col], &[row(1, vec![])], &mut subnodes),
            Err(Error::CellCount {
                row_id: 1,
                cells: 0,
                columns: 1
            })
        ));
        assert!(matches!(
            build_tc(&[string_col], &[row(1, vec![int(1)])], &mut subnodes),
            Err(Error::CellType { row_id: 1, .. })
        ));
        assert!(matches!(
            build_tc(
                &[string_col],
                &[row(5, vec![None]), row(5, vec![None])],
                &mut subnodes
            ),
            Err(Error::DuplicateRowId { row_id: 5 })
        ));
    }

    /// Rows pushed one by one must come in the order of the IDs the table was started with,
    /// and all of them, or the row index would point at the wrong rows.
    #[test]
    fn the_row_by_row_builder_holds_rows_to_their_ids() {
        let mut subnodes = MemorySubnodes::default();
        let columns = [tag(0x0E07, PropType::Integer32)];
        let row = |id: u32| TableRow {
            id,
            version: 1,
            cells: vec![int(id as i32)],
        };
        let mut table = TcBuilder::new(&columns, &[0x24, 0x44]).unwrap();
        assert!(matches!(
            table.push_row(&row(0x44), &mut subnodes),
            Err(Error::RowOrder {
                row_id: 0x44,
                position: 0
            })
        ));
        table.push_row(&row(0x24), &mut subnodes).unwrap();
        assert!(matches!(
            table.finish(&mut subnodes),
            Err(Error::MissingRows {
                expected: 2,
                given: 1
            })
        ));
    }

    #[test]
    fn the_reader_checks_rows_per_block() {
        let columns = contents_columns();
        let subjects: Vec<String> = (0..400).map(|i| format!("message {i}")).collect();
        let rows: Vec<TableRow<'_>> = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| contents_row(i as u32, s))
            .collect();
        let mut subnodes = MemorySubnodes::default();
        let (blocks, info) = build(&columns, &rows, &mut subnodes);
        // Split the first block short: later rows would be read from wrong offsets.
        let nid = Nid(info.rows);
        let matrix: Vec<u8> = subnodes.subnodes[&nid]
            .iter()
            .flat_map(|b| b[..b.len().min(166 * 49)].to_vec())
            .collect();
        let short: Vec<Vec<u8>> = [&matrix[..100 * 49], &matrix[100 * 49..]]
            .map(<[u8]>::to_vec)
            .to_vec();
        subnodes.subnodes.insert(nid, short);
        assert!(matches!(
            read_tc(&blocks.0, &mut subnodes),
            Err(Error::Invalid {
                structure: "TC row matrix",
                ..
            })
        ));
        // A row split across blocks.
        let split: Vec<Vec<u8>> = matrix.chunks(8176).map(<[u8]>::to_vec).collect();
        subnodes.subnodes.insert(nid, split);
        assert!(read_tc(&blocks.0, &mut subnodes).is_err());
    }

    /// Flips bits of the one-row receive folder table and expects the reader to notice.
    #[test]
    fn the_reader_checks_existence_bits_and_the_row_index() {
        let columns = [
            tag(0x6605, PropType::Integer32),
            tag(0x001A, PropType::String),
        ];
        let rows = [TableRow {
            id: 1,
            version: 2,
            cells: vec![int(0x122), None],
        }];
        let (blocks, _) = build(&columns, &rows, &mut MemorySubnodes::default());
        let block = &blocks.0[0];
        // The row is at 0x52: id, version, 0x6605, 0x001A, then the CEB at 0x62.
        assert_eq!(block[0x62], 0xE0);
        let cases = [
            (0x62, 0xE8, "rgbCEB"),     // a bit past the 4 columns
            (0x62, 0x60, "rgbCEB"),     // row ID bit clear
            (0x5E, 0x01, "cell"),       // an absent cell that is not zero
            (0x4A, 0x02, "dwRowID"),    // the index names row ID 2
            (0x4E, 0x01, "dwRowIndex"), // the index points past the last row
        ];
        for (at, byte, field) in cases {
            let mut broken = block.clone();
            broken[at] = byte;
            match read_tc(&[broken], &mut MemorySubnodes::default()) {
                Err(Error::Invalid { field: found, .. }) => {
                    assert_eq!(found, field, "byte {at:#x}")
                }
                other => panic!("byte {at:#x}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_tcinfo_parser_applies_the_layout_rules() {
        let info = TcInfo::layout(&[
            tag(0x6605, PropType::Integer32),
            tag(0x001A, PropType::String),
        ])
        .unwrap();
        let good = info.to_bytes();
        TcInfo::parse(&good).unwrap();
        let mut cases: Vec<(Vec<u8>, &str)> = Vec::new();
        let mut bad = good.clone();
        bad[2] = 0x0E; // TCI_4b not a multiple of 4
        cases.push((bad, "rgib[TCI_4b]"));
        let mut bad = good.clone();
        bad[8] = 0x12; // TCI_bm with a 2-byte bitmap for 4 columns
        cases.push((bad, "rgib[TCI_bm]"));
        let mut bad = good.clone();
        bad[22 + 8 * 2 + 4] = 0x04; // PidTagLtpRowId moved to offset 4
        cases.push((bad, "PidTagLtpRowId/PidTagLtpRowVer"));
        let mut bad = good.clone();
        bad[22 + 4] = 0x0A; // 0x001A at a misaligned offset
        cases.push((bad, "ibData"));
        let mut bad = good.clone();
        bad[22 + 7] = 2; // two columns with bit 2
        cases.push((bad, "iBit"));
        for (bytes, field) in cases {
            match TcInfo::parse(&bytes) {
                Err(Error::Invalid { field: found, .. }) => assert_eq!(found, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    fn cell_strategy(ty: PropType) -> BoxedStrategy<Option<PropValue<'static>>> {
        let value: BoxedStrategy<PropValue<'static>> = match ty {
            PropType::Integer16 => any::<i16>().prop_map(PropValue::Integer16).boxed(),
            PropType::Integer32 => any::<i32>().prop_map(PropValue::Integer32).boxed(),
            PropType::Boolean => any::<bool>().prop_map(PropValue::Boolean).boxed(),
            PropType::Time => any::<u64>().prop_map(PropValue::Time).boxed(),
            PropType::Integer64 => any::<i64>().prop_map(PropValue::Integer64).boxed(),
            PropType::String => prop_oneof![
                "\\PC{0,40}".prop_map(|s| PropValue::String(Cow::Owned(s))),
                (1800usize..2500).prop_map(|n| PropValue::String(Cow::Owned("é".repeat(n)))),
            ]
            .boxed(),
            _ => prop::collection::vec(any::<u8>(), 0..64)
                .prop_map(|b| PropValue::Binary(Cow::Owned(b)))
                .boxed(),
        };
        prop::option::of(value).boxed()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn random_rows_round_trip(
            rows in prop::collection::vec(
                (any::<u32>(), any::<u32>(), contents_columns().into_iter().map(|c| cell_strategy(c.ty)).collect::<Vec<_>>()),
                0..200,
            )
        ) {
            let mut seen = std::collections::BTreeSet::new();
            let rows: Vec<TableRow<'static>> = rows
                .into_iter()
                .filter(|(id, _, _)| seen.insert(*id))
                .map(|(id, version, cells)| TableRow { id, version, cells })
                .collect();
            build(&contents_columns(), &rows, &mut MemorySubnodes::default());
        }
    }
}
