use std::collections::BTreeMap;
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

/// A contents row per subject, numbered in order.
fn contents_rows(subjects: &[String]) -> Vec<TableRow<'_>> {
    subjects
        .iter()
        .enumerate()
        .map(|(i, s)| contents_row(i as u32, s))
        .collect()
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
    let rows = contents_rows(&subjects);
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
    let rows = contents_rows(&subjects);
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
    let rows = contents_rows(&subjects);
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

/// Subjects of 3,000 rows of many lengths: a table of a heap of some 270 pages (bitmap pages 8
/// and 136) and a row matrix of 19 blocks.
fn subjects_of_many_lengths() -> Vec<String> {
    (0..3_000u32)
        .map(|i| format!("{} {i}", "subject ".repeat(1 + i as usize % 90)))
        .collect()
}

/// The blocks a streamed table handed out, by index: its heap's and its row matrix's, and how
/// many of each came before its end.
struct Streamed {
    heap: BTreeMap<usize, Vec<u8>>,
    matrix: BTreeMap<usize, Vec<u8>>,
    before_end: (usize, usize),
}

/// Pushes `rows` into the streamed `table`, keeping every block it hands out (none twice), and
/// ends it with its row matrix as subnode `matrix`.
fn stream(
    mut table: TcBuilder,
    rows: &[TableRow<'_>],
    subnodes: &mut MemorySubnodes,
    matrix: Nid,
) -> Streamed {
    assert!(table.is_streamed());
    let mut trees = [BTreeMap::new(), BTreeMap::new()];
    let keep = |trees: &mut [BTreeMap<usize, Vec<u8>>; 2], blocks: Vec<ClosedBlock>| {
        for block in blocks {
            let tree = &mut trees[usize::from(block.tree == TcTree::RowMatrix)];
            assert!(
                tree.insert(block.index, block.data).is_none(),
                "given twice"
            );
        }
    };
    for row in rows {
        table.push_row(row, subnodes).unwrap();
        keep(&mut trees, table.take_closed());
    }
    let before_end = (trees[0].len(), trees[1].len());
    keep(&mut trees, table.finish_streamed(matrix).unwrap());
    let [heap, matrix] = trees;
    Streamed {
        heap,
        matrix,
        before_end,
    }
}

/// A streamed table hands out exactly the blocks the same table built whole is made of, and
/// most of them before its end: a heap of 277 pages, of which it keeps to the end only page 0,
/// the bitmap page 136 (not all the 128 pages it covers are closed before the end) and the
/// last 16 (bitmap page 8 goes once pages 8 to 135 are closed), and a row matrix of 19 blocks.
#[test]
fn a_streamed_table_hands_out_the_blocks_of_the_whole_one() {
    let columns = contents_columns();
    let subjects = subjects_of_many_lengths();
    let rows = contents_rows(&subjects);
    let ids: Vec<u32> = rows.iter().map(|row| row.id).collect();
    let mut whole_subnodes = MemorySubnodes::default();
    let (whole, info) = build(&columns, &rows, &mut whole_subnodes);
    let whole_matrix = &whole_subnodes.subnodes[&Nid(info.rows)];
    assert!(whole.0.len() > 137, "{} pages", whole.0.len());

    let table = TcBuilder::streamed(&columns, RowIds::Listed(&ids)).unwrap();
    let mut subnodes = MemorySubnodes::default();
    let Streamed {
        heap,
        matrix,
        before_end,
    } = stream(table, &rows, &mut subnodes, Nid(info.rows));

    assert_eq!(
        heap.keys().copied().collect::<Vec<_>>(),
        (0..whole.0.len()).collect::<Vec<_>>()
    );
    assert!(heap.values().eq(whole.0.iter()), "heap pages differ");
    assert_eq!(matrix.len(), whole_matrix.len());
    assert!(
        matrix.values().eq(whole_matrix.iter()),
        "row matrix blocks differ"
    );
    assert_eq!(whole.0.len(), 277);
    assert_eq!(before_end.0, 277 - 1 - 1 - 16, "{before_end:?}");
    assert_eq!(before_end.1, whole_matrix.len());
}

/// A streamed table whose row IDs come with its rows (a folder's contents, read back from the
/// spill file) builds its row index as they come: outlook-pst's checks accept its heap, our
/// reader reads it back with every check and finds the rows of the same table built from a
/// list of IDs; 3,000 rows make 7 leaves and a level above them.
#[test]
fn a_table_whose_ids_come_with_its_rows_indexes_them_as_they_come() {
    let columns = contents_columns();
    let subjects = subjects_of_many_lengths();
    let rows = contents_rows(&subjects);
    let mut whole_subnodes = MemorySubnodes::default();
    let (_, info) = build(&columns, &rows, &mut whole_subnodes);
    let whole_matrix = &whole_subnodes.subnodes[&Nid(info.rows)];

    let table = TcBuilder::streamed(&columns, RowIds::Ascending(rows.len())).unwrap();
    let mut subnodes = MemorySubnodes::default();
    let matrix_nid = Nid::new(NidType::Ltp, 0x7000);
    let streamed = stream(table, &rows, &mut subnodes, matrix_nid);
    let heap_pages: Vec<Vec<u8>> = streamed.heap.into_values().collect();
    let matrix: Vec<Vec<u8>> = streamed.matrix.into_values().collect();
    // The same blocks, but for the HIDs of the values the leaves moved.
    assert_eq!(matrix.len(), whole_matrix.len());

    outlook_pst_accepts_heap(&heap_pages);
    let heap = Heap::read(&heap_pages).unwrap();
    let tcinfo = heap.get(heap.user_root()).unwrap();
    outlook_pst_accepts_tcinfo(tcinfo);
    let read_info = TcInfo::parse(tcinfo).unwrap();
    outlook_pst_accepts_bth_header(heap.get(read_info.row_index).unwrap());
    let (bth, index) = read_bth(&heap, read_info.row_index).unwrap();
    assert_eq!((bth.levels, index.len()), (1, rows.len()));
    subnodes.subnodes.insert(matrix_nid, matrix);
    let read = read_tc(&heap_pages, &mut subnodes).unwrap();
    let expected = read_tc(
        &build_tc(&columns, &rows, &mut whole_subnodes).unwrap().0,
        &mut whole_subnodes,
    )
    .unwrap();
    assert_eq!(read, expected);
}

/// A small table whose IDs come with its rows is laid out as one built from a list of its
/// IDs, as Outlook lays it out: its one leaf of the row index before the row matrix.
#[test]
fn a_small_table_whose_ids_come_with_its_rows_is_laid_out_as_outlook_does() {
    let columns = contents_columns();
    for count in [0, 1, 3, 20] {
        let rows: Vec<TableRow<'_>> = (0..count).map(|i| contents_row(i, "short")).collect();
        let mut table = TcBuilder::streamed(&columns, RowIds::Ascending(rows.len())).unwrap();
        assert!(!table.is_streamed());
        let mut subnodes = MemorySubnodes::default();
        for row in &rows {
            table.push_row(row, &mut subnodes).unwrap();
        }
        assert_eq!(
            table.finish(&mut subnodes).unwrap(),
            build_tc(&columns, &rows, &mut MemorySubnodes::default()).unwrap(),
            "{count} rows"
        );
    }
}

/// A table small enough for its row matrix to sit on its heap is held whole.
#[test]
fn a_small_table_is_not_streamed() {
    let columns = contents_columns();
    let rows: Vec<TableRow<'_>> = (0..3).map(|i| contents_row(i, "short")).collect();
    let ids: Vec<u32> = rows.iter().map(|row| row.id).collect();
    let mut table = TcBuilder::streamed(&columns, RowIds::Listed(&ids)).unwrap();
    assert!(!table.is_streamed());
    let mut subnodes = MemorySubnodes::default();
    for row in &rows {
        table.push_row(row, &mut subnodes).unwrap();
        assert!(table.take_closed().is_empty());
    }
    let blocks = table.finish(&mut subnodes).unwrap();
    assert_eq!(
        blocks,
        build_tc(&columns, &rows, &mut MemorySubnodes::default()).unwrap()
    );
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

/// A row of a table of one Integer32 column, holding its ID.
fn numbered_row(id: u32) -> TableRow<'static> {
    TableRow {
        id,
        version: 1,
        cells: vec![int(id as i32)],
    }
}

/// Rows pushed one by one must come in the order of the IDs the table was started with,
/// and all of them, or the row index would point at the wrong rows.
#[test]
fn the_row_by_row_builder_holds_rows_to_their_ids() {
    let mut subnodes = MemorySubnodes::default();
    let columns = [tag(0x0E07, PropType::Integer32)];
    let mut table = TcBuilder::new(&columns, RowIds::Listed(&[0x24, 0x44])).unwrap();
    assert!(matches!(
        table.push_row(&numbered_row(0x44), &mut subnodes),
        Err(Error::RowOrder {
            row_id: 0x44,
            position: 0
        })
    ));
    table.push_row(&numbered_row(0x24), &mut subnodes).unwrap();
    assert!(matches!(
        table.finish(&mut subnodes),
        Err(Error::MissingRows {
            expected: 2,
            given: 1
        })
    ));
}

/// Rows whose IDs come with them must come in ascending ID order, as many as announced.
#[test]
fn a_table_whose_ids_come_with_its_rows_holds_them_to_ascending_order() {
    let mut subnodes = MemorySubnodes::default();
    let columns = [tag(0x0E07, PropType::Integer32)];
    let mut table = TcBuilder::new(&columns, RowIds::Ascending(2)).unwrap();
    table.push_row(&numbered_row(0x44), &mut subnodes).unwrap();
    for id in [0x24, 0x44] {
        assert!(matches!(
            table.push_row(&numbered_row(id), &mut subnodes),
            Err(Error::RowOrder { position: 1, .. })
        ));
    }
    assert!(matches!(
        table.finish(&mut subnodes),
        Err(Error::MissingRows {
            expected: 2,
            given: 1
        })
    ));
    let mut table = TcBuilder::new(&columns, RowIds::Ascending(1)).unwrap();
    table.push_row(&numbered_row(0x24), &mut subnodes).unwrap();
    assert!(matches!(
        table.push_row(&numbered_row(0x44), &mut subnodes),
        Err(Error::RowOrder { position: 1, .. })
    ));
}

#[test]
fn the_reader_checks_rows_per_block() {
    let columns = contents_columns();
    let subjects: Vec<String> = (0..400).map(|i| format!("message {i}")).collect();
    let rows = contents_rows(&subjects);
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
