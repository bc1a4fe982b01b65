//! Whole files through the [NDB layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d2083cf-fd37-4a0d-b61a-d2ef10a89a04):
//! written by [`NdbWriter`], checked by [`verify`], read back by [`NdbReader`] and by the
//! independent `outlook-pst` crate, and damaged on purpose to see the self-check notice.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use outlook_pst::ndb::block::UnicodeSubNodeTree;
use outlook_pst::ndb::block_id::UnicodeBlockId;
use outlook_pst::ndb::block_ref::BlockRef as _;
use outlook_pst::ndb::byte_index::ByteIndex as _;
use outlook_pst::ndb::header::{Header as _, NdbCryptMethod, NdbVersion};
use outlook_pst::ndb::node_id::NodeId;
use outlook_pst::ndb::page::{
    BTreePage as _, BTreePageEntry as _, BlockBTreeEntry as _, NodeBTreeEntry as _,
    PageTrailer as _, RootBTreePage, UnicodeBlockBTree,
};
use outlook_pst::ndb::root::{AmapStatus, Root as _};
use outlook_pst::{PstFile as _, UnicodePstFile};

use super::amap::{self, interval_base};
use super::block;
use super::header::{HEADER_SIZE, Header};
use super::page::{self, PAGE_SIZE, PageType};
use super::*;

/// A temporary directory with the path of a PST inside it.
fn temp_pst() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.pst");
    (dir, path)
}

fn create(path: &Path) -> File {
    File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .unwrap()
}

fn writer(path: &Path) -> NdbWriter {
    NdbWriter::new(create(path), NdbOptions::default()).unwrap()
}

/// Deterministic bytes that differ per seed (xorshift64*).
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn outlook(path: &Path) -> UnicodePstFile {
    UnicodePstFile::read_from(Box::new(File::open(path).unwrap())).unwrap()
}

fn assert_clean(path: &Path) -> VerifyReport {
    let report = verify(path).unwrap();
    assert!(report.is_clean(), "{report}");
    report
}

fn read_header(path: &Path) -> Header {
    let mut bytes = [0u8; HEADER_SIZE];
    File::open(path).unwrap().read_exact(&mut bytes).unwrap();
    Header::decode(&bytes)
}

/// All BBT leaf entries as `outlook-pst` reads them: (bid, ib, cb, cRef).
fn outlook_bbt(pst: &UnicodePstFile) -> Vec<(u64, u64, u16, u16)> {
    let mut file = pst.reader().lock().unwrap();
    let file = &mut *file;
    let mut entries = Vec::new();
    let mut stack = vec![*pst.header().root().block_btree()];
    while let Some(page_ref) = stack.pop() {
        match UnicodeBlockBTree::read(&mut *file, page_ref).unwrap() {
            RootBTreePage::Intermediate(page, ..) => {
                stack.extend(page.entries().iter().rev().map(|entry| entry.block()));
            }
            RootBTreePage::Leaf(page) => {
                for entry in page.entries() {
                    entries.push((
                        u64::from(entry.block().block()),
                        entry.block().index().index(),
                        entry.size(),
                        entry.ref_count(),
                    ));
                }
            }
        }
    }
    entries
}

/// A subnode tree's entries as `outlook-pst` reads them: (nid, data bid, sub bid).
fn outlook_subnodes(pst: &UnicodePstFile, bid: Bid) -> Vec<(u32, u64, u64)> {
    let mut file = pst.reader().lock().unwrap();
    let file = &mut *file;
    let block_btree =
        UnicodeBlockBTree::read(&mut *file, *pst.header().root().block_btree()).unwrap();
    let mut cache = Default::default();
    let block = block_btree
        .find_entry(&mut *file, bid.0, &mut cache)
        .unwrap();
    let tree = UnicodeSubNodeTree::read(&mut *file, &block).unwrap();
    tree.entries(&mut *file, &block_btree, &mut cache)
        .unwrap()
        .map(|entry| {
            (
                u32::from(entry.node()),
                u64::from(entry.block()),
                entry.sub_node().map_or(0, u64::from),
            )
        })
        .collect()
}

#[test]
fn empty_file_passes_verify_and_opens_in_outlook_pst() {
    let (_dir, path) = temp_pst();
    let writer = writer(&path);
    assert_eq!(writer.bytes_written(), 0x42400);
    writer.finish().unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), 0x42400);
    let report = assert_clean(&path);
    assert_eq!(report.stats.intervals, 1);
    assert_eq!((report.stats.blocks, report.stats.nodes), (0, 0));

    let pst = outlook(&path);
    let header = pst.header();
    assert_eq!(header.version(), NdbVersion::Unicode);
    assert_eq!(header.crypt_method(), NdbCryptMethod::Permute);
    assert_eq!(u64::from(header.next_block()), 4);
    let root = header.root();
    assert_eq!(root.file_eof_index().index(), 0x42400);
    assert_eq!(root.amap_last_index().index(), 0x4400);
    assert_eq!(root.amap_is_valid(), AmapStatus::Valid2);
    assert_eq!(root.amap_free_size().index(), report.stats.free_bytes);
    let dlist = pst.density_list().unwrap();
    assert_eq!(dlist.trailer().block_id(), header.next_page());
    assert_eq!(dlist.entries().len(), 1);
    assert!(outlook_bbt(&pst).is_empty());

    let reader = NdbReader::open(&path).unwrap();
    assert_eq!(reader.nodes().count(), 0);

    // Both B-trees are single empty leaves right after the first AMap and PMap.
    let ours = read_header(&path);
    assert_eq!(ours.root.bbt.ib, 0x4800);
    assert_eq!(ours.root.nbt.ib, 0x4A00);
    assert_eq!(ours.bid_unused, 0x0000_0001_0000_0004);
    assert_eq!(ours.unique, 2);
}

/// Everything a node can hold, and what each node should read back as.
struct Expected {
    /// (nid, data, sub entries, parent)
    nodes: Vec<(Nid, Vec<u8>, Vec<SubnodeEntry>, Nid)>,
}

#[test]
fn data_trees_of_every_shape_read_back_through_both_readers() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    let mut expected = Expected { nodes: Vec::new() };
    let folder = special::IPM_SUBTREE;
    writer.reserve_nid(folder);

    // Data trees at every boundary: one block, one XBLOCK, one XXBLOCK.
    let sizes = [
        1usize,
        100,
        8176,
        8177,
        8176 * 1021,
        8176 * 1021 + 1,
        60_000_000,
    ];
    for (seed, size) in sizes.into_iter().enumerate() {
        let data = pattern(seed as u64, size);
        let tree = writer.write_data(&data, MAX_BLOCK_DATA).unwrap();
        assert_eq!(tree.size, size as u64);
        assert_eq!(tree.bid.is_internal(), size > 8176);
        let nid = writer.allocate_nid(NidType::NormalMessage);
        writer.add_node(nid, tree.bid, Bid::NONE, folder).unwrap();
        expected.nodes.push((nid, data, Vec::new(), folder));
    }

    // Heap pages given one by one, over an XXBLOCK (1,500 pages) and an XBLOCK: all full but
    // the last.
    for (seed, count) in [(100u64, 3usize), (101, 1500)] {
        let pages: Vec<Vec<u8>> = (0..count)
            .map(|i| {
                let len = if i + 1 == count { 1 + i % 8176 } else { 8176 };
                pattern(seed * 10_000 + i as u64, len)
            })
            .collect();
        let tree = writer.write_blocks(&pages).unwrap();
        let nid = writer.allocate_nid(NidType::Internal);
        writer.add_node(nid, tree.bid, Bid::NONE, Nid(0)).unwrap();
        expected
            .nodes
            .push((nid, pages.concat(), Vec::new(), Nid(0)));
    }

    // Trees written a block at a time, in any order (the last block first, the first last):
    // one block, an XBLOCK, an XXBLOCK.
    for (seed, count) in [(110u64, 1usize), (111, 4), (112, 1500)] {
        let pages: Vec<Vec<u8>> = (0..count)
            .map(|i| {
                let len = if i + 1 == count { 1 + i % 8176 } else { 8176 };
                pattern(seed * 10_000 + i as u64, len)
            })
            .collect();
        let mut tree = TreeInProgress::default();
        for i in (1..count).rev().chain([0]) {
            writer.write_tree_block(&mut tree, i, &pages[i]).unwrap();
        }
        let tree = writer.finish_tree(tree).unwrap();
        assert_eq!(tree.size, pages.concat().len() as u64);
        assert_eq!(tree.bid.is_internal(), count > 1);
        let nid = writer.allocate_nid(NidType::Internal);
        writer.add_node(nid, tree.bid, Bid::NONE, Nid(0)).unwrap();
        expected
            .nodes
            .push((nid, pages.concat(), Vec::new(), Nid(0)));
    }

    // Subnode trees: one SLBLOCK (1 and 340 entries), an SIBLOCK (341 and 5,000), nested.
    for (seed, count) in [(200u64, 1usize), (201, 340), (202, 341), (203, 5000)] {
        let mut entries = Vec::new();
        for i in 0..count {
            let tree = writer
                .write_data(&pattern(seed * 100_000 + i as u64, 1 + i % 300), 8176)
                .unwrap();
            entries.push(SubnodeEntry {
                nid: writer.allocate_nid(NidType::Ltp),
                data: tree.bid,
                sub: Bid::NONE,
            });
        }
        // Given in reverse: the writer sorts.
        entries.reverse();
        let sub = writer.write_subnode_tree(entries.clone()).unwrap();
        let body = pattern(seed, 500);
        let tree = writer.write_data(&body, 8176).unwrap();
        let nid = writer.allocate_nid(NidType::NormalMessage);
        writer.add_node(nid, tree.bid, sub, folder).unwrap();
        entries.sort_by_key(|entry| entry.nid);
        expected.nodes.push((nid, body, entries, folder));
    }
    let inner_data = writer.write_data(b"attachment bytes", 8176).unwrap();
    let inner_nid = writer.allocate_nid(NidType::Ltp);
    let inner = writer
        .write_subnode_tree(vec![SubnodeEntry {
            nid: inner_nid,
            data: inner_data.bid,
            sub: Bid::NONE,
        }])
        .unwrap();
    let attachment = writer.write_data(b"attachment pc", 8176).unwrap();
    let outer = vec![SubnodeEntry {
        nid: writer.allocate_nid(NidType::Attachment),
        data: attachment.bid,
        sub: inner,
    }];
    let sub = writer.write_subnode_tree(outer.clone()).unwrap();
    let nid = writer.allocate_nid(NidType::NormalMessage);
    writer.add_node(nid, Bid::NONE, sub, folder).unwrap();
    expected.nodes.push((nid, Vec::new(), outer, folder));

    // Thousands of small nodes; every tenth shares the data tree of the one before.
    let mut shared = Bid::NONE;
    for i in 0..3000u64 {
        let data = pattern(1_000_000 + i, 1 + (i as usize * 131) % 4000);
        let (bid, data) = if i % 10 == 9 {
            let (_, previous, _, _) = expected.nodes.last().unwrap();
            (shared, previous.clone())
        } else {
            (writer.write_data(&data, 8176).unwrap().bid, data)
        };
        shared = bid;
        let nid = writer.allocate_nid(NidType::NormalMessage);
        writer.add_node(nid, bid, Bid::NONE, folder).unwrap();
        expected.nodes.push((nid, data, Vec::new(), folder));
    }
    // A node with no data at all, and the folder itself.
    writer
        .add_node(folder, Bid::NONE, Bid::NONE, special::ROOT_FOLDER)
        .unwrap();
    expected
        .nodes
        .push((folder, Vec::new(), Vec::new(), special::ROOT_FOLDER));

    let written = writer.bytes_written();
    writer.finish().unwrap();
    let size = fs::metadata(&path).unwrap().len();
    assert!(size >= written);
    assert_eq!((size - 0x4400) % 253_952, 0);

    // Over 31 MB, so FMap pages are there and checked too.
    let report = assert_clean(&path);
    assert!(report.stats.intervals > 128, "{:?}", report.stats);
    assert_eq!(report.stats.nodes, expected.nodes.len() as u64);
    assert_eq!(report.stats.subnodes, 1 + 340 + 341 + 5000 + 2);

    // Our reader.
    let mut reader = NdbReader::open(&path).unwrap();
    assert_eq!(reader.nodes().count(), expected.nodes.len());
    for (nid, data, subnodes, parent) in &expected.nodes {
        let node = reader.node(*nid).unwrap();
        assert_eq!(node.parent, *parent);
        assert!(reader.read_data(node.data).unwrap() == *data, "{nid:?}");
        assert_eq!(reader.subnodes(node.sub).unwrap(), *subnodes, "{nid:?}");
    }
    let xblock = reader.node(expected.nodes[4].0).unwrap().data;
    let blocks = reader.read_blocks(xblock).unwrap();
    assert_eq!(blocks.len(), 1021);
    assert!(blocks.iter().all(|block| block.len() == 8176));

    // `outlook-pst`.
    let pst = outlook(&path);
    for (nid, data, subnodes, parent) in &expected.nodes {
        let node = pst.read_node(NodeId::from(nid.0)).unwrap();
        assert_eq!(node.parent().map_or(0, u32::from), parent.0);
        if data.is_empty() {
            assert_eq!(u64::from(node.data()), 0);
        } else {
            assert!(pst.read_block(node.data()).unwrap() == *data, "{nid:?}");
        }
        let Some(sub) = node.sub_node() else {
            assert!(subnodes.is_empty());
            continue;
        };
        let theirs = outlook_subnodes(&pst, Bid(u64::from(sub)));
        let ours: Vec<_> = subnodes
            .iter()
            .map(|entry| (entry.nid.0, entry.data.0, entry.sub.0))
            .collect();
        assert_eq!(theirs, ours, "{nid:?}");
        for entry in subnodes.iter().take(50) {
            let bytes = pst.read_block(UnicodeBlockId::from(entry.data.0)).unwrap();
            assert_eq!(bytes, reader.read_data(entry.data).unwrap());
        }
    }
    // Every block's cRef as `outlook-pst` sees it: 2, or 3 for the shared ones.
    let bbt = outlook_bbt(&pst);
    assert_eq!(bbt.len() as u64, report.stats.blocks);
    assert!(bbt.iter().all(|(_, _, _, cref)| matches!(cref, 2 | 3)));
    assert_eq!(bbt.iter().filter(|entry| entry.3 == 3).count(), 300);
}

#[test]
fn permutation_agrees_with_outlook_pst() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    let every_byte: Vec<u8> = (0..=255).collect();
    let tree = writer.write_data(&every_byte, 8176).unwrap();
    writer
        .add_node(special::MESSAGE_STORE, tree.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer.finish().unwrap();
    assert_clean(&path);
    let pst = outlook(&path);
    let node = pst.read_node(NodeId::from(0x21)).unwrap();
    assert_eq!(pst.read_block(node.data()).unwrap(), every_byte);
    // On disk the block holds the permuted bytes, starting with the table's 0x41, 0x36.
    let mut stored = [0u8; 4];
    let mut file = File::open(&path).unwrap();
    file.seek(SeekFrom::Start(0x4800)).unwrap();
    file.read_exact(&mut stored).unwrap();
    assert_eq!(stored, [0x41, 0x36, 0x13, 0x62]);
}

#[test]
fn counters_reach_the_header() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    assert_eq!(
        writer.allocate_nid(NidType::NormalMessage),
        Nid::new(NidType::NormalMessage, 0x10001)
    );
    assert_eq!(writer.allocate_nid(NidType::NormalMessage), Nid(0x200044));
    for nid in [
        special::IPM_SUBTREE,
        special::SEARCH_ROOT,
        special::DELETED_ITEMS,
    ] {
        writer.reserve_nid(nid);
    }
    assert_eq!(writer.allocate_folder_index(), 0x404);
    assert_eq!(writer.allocate_folder_index(), 0x405);
    assert_eq!(writer.next_row_version(), 2);
    assert_eq!(writer.next_row_version(), 3);
    let attachment = writer.allocate_nid(NidType::Attachment);
    assert_eq!(attachment, Nid::new(NidType::Attachment, 0x401));
    // A subnode NID above the counters lifts them.
    let data = writer.write_data(b"x", 8176).unwrap();
    let sub = writer
        .write_subnode_tree(vec![SubnodeEntry {
            nid: Nid::new(NidType::Ltp, 0x9000),
            data: data.bid,
            sub: Bid::NONE,
        }])
        .unwrap();
    writer
        .add_node(Nid(0x200044), Bid::NONE, sub, special::IPM_SUBTREE)
        .unwrap();
    writer.finish().unwrap();
    assert_clean(&path);

    let header = read_header(&path);
    assert_eq!(header.rgnid[NidType::NormalMessage as usize], 0x10002);
    assert_eq!(header.rgnid[NidType::NormalFolder as usize], 0x405);
    assert_eq!(header.rgnid[NidType::HierarchyTable as usize], 0x405);
    assert_eq!(header.rgnid[NidType::ContentsTable as usize], 0x405);
    assert_eq!(
        header.rgnid[NidType::AssociatedContentsTable as usize],
        0x405
    );
    assert_eq!(header.rgnid[NidType::SearchFolder as usize], 0x4000);
    assert_eq!(header.rgnid[NidType::AssociatedMessage as usize], 0x8000);
    assert_eq!(header.rgnid[NidType::Attachment as usize], 0x401);
    assert_eq!(header.rgnid[NidType::Ltp as usize], 0x9000);
    assert_eq!(header.unique, 4);
    // Two blocks: the data block 0x4 and the SLBLOCK 0xA; the next is 0xC.
    assert_eq!(header.next_block_bid, 0xC);
}

#[test]
fn bytes_written_grows_in_whole_intervals() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    assert_eq!(writer.bytes_written(), interval_base(1));
    let tree = writer.write_data(&pattern(1, 300_000), 8176).unwrap();
    assert_eq!(writer.bytes_written(), interval_base(2));
    assert!(writer.projected_size() >= writer.bytes_written());
    writer
        .add_node(Nid(0x21), tree.bid, Bid::NONE, Nid(0))
        .unwrap();
    let projected = writer.projected_size();
    writer.finish().unwrap();
    let size = fs::metadata(&path).unwrap().len();
    assert!(size <= projected);
    assert_eq!(size, interval_base(2));
    assert_clean(&path);
}

#[test]
fn file_full_stops_before_writing_and_the_file_still_finishes() {
    let (_dir, path) = temp_pst();
    let limit = interval_base(3);
    let mut writer = NdbWriter::new(
        create(&path),
        NdbOptions {
            max_file_size: limit,
            ..NdbOptions::default()
        },
    )
    .unwrap();
    let mut written = 0;
    let error = loop {
        match writer.write_data(&pattern(written, 8176), 8176) {
            Ok(tree) => {
                let nid = writer.allocate_nid(NidType::NormalMessage);
                writer.add_node(nid, tree.bid, Bid::NONE, Nid(0)).unwrap();
                written += 1;
            }
            Err(error) => break error,
        }
    };
    let Error::FileFull { limit: got, needed } = error else {
        panic!("{error}");
    };
    assert_eq!(got, limit);
    assert!(needed > limit);
    assert!(written > 50, "{written} blocks fit");
    // Nothing of the refused call reached the file, and smaller writes may still fit.
    let before = writer.bytes_written();
    assert!(matches!(
        writer.write_data(&pattern(0, 2_000_000), 8176),
        Err(Error::FileFull { .. })
    ));
    assert_eq!(writer.bytes_written(), before);
    writer.finish().unwrap();
    assert!(fs::metadata(&path).unwrap().len() <= limit);
    let report = assert_clean(&path);
    assert_eq!(report.stats.nodes, written);
}

/// The file is written on a thread of its own, so a write the disk refuses comes back from a
/// later call: it must come back, with its cause, and stop the writer.
#[cfg(target_os = "linux")]
#[test]
fn a_disk_that_refuses_writes_fails_the_writer_with_the_cause() {
    let full = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut writer = NdbWriter::new(full, NdbOptions::default()).unwrap();
    let failed =
        (0..10_000u64).find_map(|seed| writer.write_data(&pattern(seed, 8176), 8176).err());
    let error = match failed {
        Some(error) => error,
        None => writer.finish().unwrap_err(),
    };
    let Error::IoAt { action, source, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(*action, "writing");
    assert_eq!(source.kind(), std::io::ErrorKind::StorageFull);
}

#[test]
fn invalid_input_is_refused_with_clear_errors() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    assert!(matches!(
        writer.write_data(b"abc", 0),
        Err(Error::BlockSize { size: 0 })
    ));
    assert!(matches!(
        writer.write_data(b"abc", 8177),
        Err(Error::BlockSize { size: 8177 })
    ));
    assert!(matches!(
        writer.write_blocks(&[&[0u8; 8176][..], &b""[..]]),
        Err(Error::EmptyBlock { index: 1 })
    ));
    assert!(matches!(
        writer.write_blocks(&[vec![0u8; 8177]]),
        Err(Error::BlockTooLarge {
            index: 0,
            size: 8177
        })
    ));
    // Every block but the last is full.
    assert!(matches!(
        writer.write_blocks(&[vec![0u8; 8176], vec![0u8; 8000], vec![0u8; 10]]),
        Err(Error::ShortBlock {
            index: 1,
            size: 8000
        })
    ));
    assert!(matches!(
        writer.write_data(&[0u8; 5000], 4000),
        Err(Error::ShortBlock { .. })
    ));
    assert_eq!(
        writer.write_data(&[], 8176).unwrap(),
        DataTree {
            bid: Bid::NONE,
            size: 0
        }
    );
    assert_eq!(
        writer.write_blocks::<&[u8]>(&[]).unwrap(),
        DataTree {
            bid: Bid::NONE,
            size: 0
        }
    );
    assert_eq!(writer.write_subnode_tree(Vec::new()).unwrap(), Bid::NONE);

    let data = writer.write_data(b"data", 8176).unwrap().bid;
    let entry = |nid: u32| SubnodeEntry {
        nid: Nid(nid),
        data,
        sub: Bid::NONE,
    };
    let too_many: Vec<_> = (1..=MAX_SUBNODES as u32 + 1)
        .map(|i| entry(i << 5))
        .collect();
    assert!(matches!(
        writer.write_subnode_tree(too_many),
        Err(Error::TooManySubnodes {
            count: 173_401,
            max: 173_400
        })
    ));
    assert!(matches!(
        writer.write_subnode_tree(vec![entry(0x3F), entry(0x3F)]),
        Err(Error::DuplicateSubnode { nid: Nid(0x3F) })
    ));
    assert!(matches!(
        writer.write_subnode_tree(vec![SubnodeEntry {
            data: Bid::NONE,
            ..entry(0x3F)
        }]),
        Err(Error::SubnodeWithoutData { .. })
    ));
    assert!(matches!(
        writer.write_subnode_tree(vec![SubnodeEntry {
            data: Bid(0x400),
            ..entry(0x3F)
        }]),
        Err(Error::UnknownBlock {
            field: "SLENTRY bidData",
            ..
        })
    ));
    let sub = writer.write_subnode_tree(vec![entry(0x3F)]).unwrap();
    assert!(sub.is_internal());
    let message = Nid(0x200024);
    assert!(matches!(
        writer.add_node(message, sub, Bid::NONE, Nid(0)),
        Err(Error::WrongBlockKind {
            field: "NBTENTRY bidData",
            found: "SLBLOCK",
            ..
        })
    ));
    assert!(matches!(
        writer.add_node(message, data, data, Nid(0)),
        Err(Error::WrongBlockKind {
            field: "NBTENTRY bidSub",
            found: "data block",
            ..
        })
    ));
    assert!(matches!(
        writer.add_node(Nid(0), data, Bid::NONE, Nid(0)),
        Err(Error::InvalidNid { .. })
    ));
    writer.add_node(message, data, sub, Nid(0)).unwrap();
    assert!(matches!(
        writer.add_node(message, Bid::NONE, Bid::NONE, Nid(0)),
        Err(Error::DuplicateNode { nid }) if nid == message
    ));
    // The refused calls left no trace: the file is clean.
    writer.finish().unwrap();
    assert_clean(&path);

    let (_dir, path) = temp_pst();
    fs::write(&path, b"not empty").unwrap();
    let file = File::options().read(true).write(true).open(&path).unwrap();
    assert!(matches!(
        NdbWriter::new(file, NdbOptions::default()),
        Err(Error::FileNotEmpty { len: 9 })
    ));
}

/// A tree written block by block takes each block once, none missing, all full but the last.
#[test]
fn a_tree_written_block_by_block_is_refused_unless_whole() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    let mut tree = TreeInProgress::default();
    writer.write_tree_block(&mut tree, 1, &[1u8; 10]).unwrap();
    assert!(matches!(
        writer.write_tree_block(&mut tree, 1, &[1u8; 10]),
        Err(Error::BlockWrittenTwice { index: 1 })
    ));
    assert!(matches!(
        writer.write_tree_block(&mut tree, 0, &[]),
        Err(Error::EmptyBlock { index: 0 })
    ));
    assert!(matches!(
        writer.finish_tree(tree),
        Err(Error::BlockMissing { index: 0 })
    ));
    let mut tree = TreeInProgress::default();
    writer.write_tree_block(&mut tree, 0, &[1u8; 100]).unwrap();
    writer.write_tree_block(&mut tree, 1, &[1u8; 10]).unwrap();
    assert!(matches!(
        writer.finish_tree(tree),
        Err(Error::ShortBlock {
            index: 0,
            size: 100
        })
    ));
    assert_eq!(
        writer.finish_tree(TreeInProgress::default()).unwrap(),
        DataTree {
            bid: Bid::NONE,
            size: 0
        }
    );
}

#[test]
fn errors_name_the_field_and_value() {
    let error = Error::WrongBlockKind {
        field: "NBTENTRY bidSub",
        bid: Bid(0x4),
        expected: "subnode tree root",
        found: "data block",
    };
    assert_eq!(
        error.to_string(),
        "NBTENTRY bidSub Bid(0x4) is a data block, not a subnode tree root"
    );
    let error = Error::FileFull {
        limit: 100,
        needed: 200,
    };
    assert_eq!(
        error.to_string(),
        "the PST would grow to 200 bytes, past its limit of 100 bytes"
    );
}

/// A small file with data trees of each kind, a subnode tree and a shared block.
fn small_file(path: &Path) {
    let mut writer = writer(path);
    let one = writer.write_data(&pattern(1, 5000), 8176).unwrap();
    let two = writer.write_data(&pattern(2, 20_000), 8176).unwrap();
    let sub_data = writer.write_data(&pattern(3, 100), 8176).unwrap();
    let sub = writer
        .write_subnode_tree(vec![SubnodeEntry {
            nid: Nid(0x3F),
            data: sub_data.bid,
            sub: Bid::NONE,
        }])
        .unwrap();
    writer
        .add_node(Nid(0x21), one.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer.add_node(Nid(0x61), two.bid, sub, Nid(0)).unwrap();
    writer
        .add_node(Nid(0xA1), one.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer.finish().unwrap();
}

/// A copy of the small file with `damage` applied to its bytes, and what `verify` says.
fn damaged(damage: impl FnOnce(&mut Vec<u8>, &Header)) -> VerifyReport {
    let (_dir, path) = temp_pst();
    small_file(&path);
    assert_clean(&path);
    let mut bytes = fs::read(&path).unwrap();
    let header = read_header(&path);
    damage(&mut bytes, &header);
    let copy = path.with_extension("damaged.pst");
    File::create(&copy).unwrap().write_all(&bytes).unwrap();
    let report = verify(&copy).unwrap();
    assert!(!report.is_clean());
    report
}

fn page_at(bytes: &mut [u8], at: u64) -> &mut [u8; PAGE_SIZE] {
    let at = at as usize;
    (&mut bytes[at..at + PAGE_SIZE]).try_into().unwrap()
}

#[test]
fn verify_notices_a_flipped_block_byte() {
    // The first block (bid 4) starts right after the first AMap and PMap.
    let report = damaged(|bytes, _| bytes[0x4800 + 10] ^= 0x01);
    assert!(report.has(ProblemKind::Block), "{report}");
    assert!(report.to_string().contains("dwCRC"), "{report}");
}

#[test]
fn verify_notices_a_flipped_page_byte() {
    let report = damaged(|bytes, header| bytes[header.root.nbt.ib as usize + 40] ^= 0x80);
    assert!(report.has(ProblemKind::Page), "{report}");
}

#[test]
fn verify_notices_a_flipped_header_byte() {
    let report = damaged(|bytes, _| bytes[0x1F0] ^= 0x01);
    assert!(report.has(ProblemKind::Header), "{report}");
    assert!(report.to_string().contains("dwCRCFull"), "{report}");
}

#[test]
fn verify_notices_an_amap_bit_even_with_a_good_crc() {
    let report = damaged(|bytes, _| {
        let page = page_at(bytes, 0x4400);
        page[3] ^= 0x01; // a slot of the first blocks, now marked free
        page::seal(page, PageType::AllocationMap, 0x4400, 0x4400);
    });
    assert!(report.has(ProblemKind::AMap), "{report}");
    assert!(report.to_string().contains("cbAMapFree"), "{report}");
    assert!(!report.has(ProblemKind::MapPage), "{report}");
}

#[test]
fn verify_notices_a_damaged_pmap() {
    let report = damaged(|bytes, _| page_at(bytes, 0x4600)[7] = 0);
    assert!(report.has(ProblemKind::MapPage), "{report}");
}

#[test]
fn verify_notices_a_wrong_trailer_bid() {
    // The trailer's BID is outside the CRC; only the self-check sees it. The first block
    // holds 5,000 bytes: 5,056 on disk.
    let report = damaged(|bytes, _| bytes[0x4800 + 5056 - 8] ^= 0x04);
    assert!(report.has(ProblemKind::Block), "{report}");
    assert!(report.to_string().contains("trailer bid"), "{report}");
}

#[test]
fn verify_notices_a_wrong_reference_count() {
    let report = damaged(|bytes, header| {
        // The BBT of the small file is one leaf; raise cRef of its first entry.
        let at = header.root.bbt.ib;
        let page = page_at(bytes, at);
        page[18] += 1;
        page::seal(page, PageType::BlockBTree, header.root.bbt.bid, at);
    });
    assert!(report.has(ProblemKind::RefCount), "{report}");
}

#[test]
fn verify_notices_a_wrong_density_list() {
    let report = damaged(|bytes, header| {
        let page = page_at(bytes, 0x4200);
        page[11] ^= 0x01; // free slots of the first entry
        page::seal(page, PageType::DensityList, header.next_page_bid, 0x4200);
    });
    assert!(report.has(ProblemKind::DList), "{report}");
}

#[test]
fn verify_notices_a_truncated_file() {
    let report = damaged(|bytes, _| bytes.truncate(bytes.len() - 512));
    assert!(report.has(ProblemKind::Header), "{report}");
}

#[test]
fn reader_refuses_damage() {
    let (_dir, path) = temp_pst();
    small_file(&path);
    let mut bytes = fs::read(&path).unwrap();
    bytes[0x4800 + 10] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let mut reader = NdbReader::open(&path).unwrap();
    let node = reader.node(Nid(0x21)).unwrap();
    assert!(matches!(
        reader.read_data(node.data),
        Err(Error::InvalidBlock {
            field: "BLOCKTRAILER dwCRC",
            ..
        })
    ));
    bytes[0x20C] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        NdbReader::open(&path),
        Err(Error::InvalidHeader {
            field: "dwCRCFull",
            ..
        })
    ));
}

#[test]
fn map_pages_sit_where_the_spec_puts_them() {
    // A file of 130 intervals: PMaps every 8th, an FMap in the 128th.
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    let data = pattern(7, 129 * 253_952);
    let tree = writer.write_data(&data, 8176).unwrap();
    writer
        .add_node(Nid(0x21), tree.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer.finish().unwrap();
    let report = assert_clean(&path);
    assert!(report.stats.intervals >= 130);
    let bytes = fs::read(&path).unwrap();
    let ptype = |at: u64| bytes[at as usize + 496];
    assert_eq!(ptype(interval_base(0)), 0x84);
    assert_eq!(ptype(interval_base(0) + 512), 0x83);
    assert_eq!(ptype(interval_base(8) + 512), 0x83);
    assert_eq!(ptype(interval_base(128) + 1024), 0x82);
    assert_eq!(interval_base(128) + 1024, 0x1F0_4800);
    // The FMap holds each AMap's longest free run: a full interval has only the unused end
    // before the next AMap (less than a block), AMaps past the file have 0.
    let fmap = interval_base(128) + 1024;
    assert!(bytes[fmap as usize] < 128);
    assert_eq!(bytes[(fmap + report.stats.intervals - 128) as usize], 0);
    assert!(amap::has_fmap(128) && !amap::has_fmap(129));
}

/// The map pages are written as the stream leaves each interval: into the buffer that still
/// holds them, or on their own after the buffer that held them. Whatever the buffers, the
/// file is the same, and clean.
#[test]
fn map_pages_are_the_same_wherever_the_write_buffers_end() {
    let write = |buffer: Option<usize>| {
        let (dir, path) = temp_pst();
        let mut writer = writer(&path);
        if let Some(size) = buffer {
            writer = writer.with_write_buffer(size);
        }
        let mut x: u64 = 11;
        for n in 0..600u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let len = 1 + (x >> 40) as usize % 30_000;
            let tree = writer.write_data(&pattern(x, len), 8176).unwrap();
            writer
                .add_node(Nid(0x21 + 32 * n), tree.bid, Bid::NONE, Nid(0))
                .unwrap();
        }
        writer.finish().unwrap();
        let report = assert_clean(&path);
        assert!(report.stats.intervals >= 30, "{}", report.stats.intervals);
        let bytes = fs::read(&path).unwrap();
        drop(dir);
        bytes
    };
    let whole = write(None);
    for size in [4_200, 9_000, 20_000, 300_000, 444_444, 600_001] {
        assert!(write(Some(size)) == whole, "buffers of {size} bytes");
    }
}

/// Writes `bytes` at `at` of the file at `path`, in place (for files too large to copy).
fn patch(path: &Path, at: u64, bytes: &[u8]) {
    let mut file = File::options().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(at)).unwrap();
    file.write_all(bytes).unwrap();
}

/// A sparse file past 2 GiB: a few blocks in the first interval, blocks from just before the
/// first FPMap interval (8192, at 1.94 GiB) to beyond it, and one past 2 GiB, with holes
/// between. The FPMap sits on the third page, right after the PMap, and blocks follow it; an
/// FPMap missing from there is noticed.
#[test]
fn fpmap_follows_the_pmap_in_a_file_past_two_gibibytes() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    let first = writer.write_data(&pattern(1, 3000), 8176).unwrap();
    writer.skip_to(interval_base(8191) + 200_000).unwrap();
    let data = pattern(2, 600_000);
    let far = writer.write_data(&data, 8176).unwrap();
    writer.skip_to((1 << 31) + 4096).unwrap();
    let last = writer.write_data(&pattern(3, 10_000), 8176).unwrap();
    writer
        .add_node(Nid(0x21), first.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer
        .add_node(Nid(0x61), far.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer
        .add_node(Nid(0xA1), last.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer.finish().unwrap();
    let report = assert_clean(&path);
    assert!(report.stats.file_size > 1 << 31, "{:?}", report.stats);

    let base = interval_base(8192);
    let mut file = File::open(&path).unwrap();
    let mut page = [0u8; PAGE_SIZE];
    let mut ptype_at = |at: u64| {
        file.seek(SeekFrom::Start(at)).unwrap();
        file.read_exact(&mut page).unwrap();
        page[496]
    };
    assert_eq!(ptype_at(base), 0x84);
    assert_eq!(ptype_at(base + 512), 0x83);
    assert_eq!(ptype_at(base + 1024), 0x85);
    assert_eq!(page[..496], [0xFF; 496]);
    assert_eq!(
        u64::from_le_bytes(page[504..].try_into().unwrap()),
        base + 1024
    );
    let mut reader = NdbReader::open(&path).unwrap();
    let node = reader.node(Nid(0x61)).unwrap();
    assert_eq!(reader.read_data(node.data).unwrap(), data);
    // The AMap of the interval marks its three map pages and the blocks after them.
    file.seek(SeekFrom::Start(base)).unwrap();
    file.read_exact(&mut page).unwrap();
    assert_eq!(page[..8], [0xFF; 8]);

    // No FPMap at +1024 (where an old layout left a page unwritten): noticed.
    let mut fpmap = [0u8; PAGE_SIZE];
    file.seek(SeekFrom::Start(base + 1024)).unwrap();
    file.read_exact(&mut fpmap).unwrap();
    patch(&path, base + 1024, &[0u8; PAGE_SIZE]);
    let report = verify(&path).unwrap();
    assert!(report.has(ProblemKind::MapPage), "{report}");
    patch(&path, base + 1024, &fpmap);
    assert_clean(&path);
}

#[test]
fn verify_notices_a_header_fmap_left_at_0xff() {
    let report = damaged(|bytes, _| {
        let mut header: [u8; HEADER_SIZE] = bytes[..HEADER_SIZE].try_into().unwrap();
        header[0x100..0x180].fill(0xFF);
        let mut decoded = Header::decode(&header);
        decoded.rgb_fm = [0xFF; 128];
        bytes[..HEADER_SIZE].copy_from_slice(&decoded.encode());
    });
    assert!(report.has(ProblemKind::Header), "{report}");
    assert!(report.to_string().contains("rgbFM byte 1"), "{report}");
}

#[test]
fn the_header_fmap_is_computed_from_the_amaps() {
    let (_dir, path) = temp_pst();
    small_file(&path);
    let header = read_header(&path);
    // One interval with lots of room: its longest free run passes 255; no AMap after it.
    assert_eq!(header.rgb_fm[0], 0xFF);
    assert!(header.rgb_fm[1..].iter().all(|b| *b == 0));
    assert!(header.rgb_fp.iter().all(|b| *b == 0xFF));
}

/// The BBT entry of `bid` in the one-leaf BBT of a small file: (entry offset in the file, ib, cb).
fn bbt_entry(bytes: &[u8], header: &Header, bid: u64) -> (usize, u64, usize) {
    let page = header.root.bbt.ib as usize;
    let count = usize::from(bytes[page + 488]);
    (0..count)
        .map(|i| page + 24 * i)
        .find(|at| u64::from_le_bytes(bytes[*at..*at + 8].try_into().unwrap()) == bid)
        .map(|at| {
            let ib = u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap());
            let cb = u16::from_le_bytes(bytes[at + 16..at + 18].try_into().unwrap());
            (at, ib, usize::from(cb))
        })
        .unwrap()
}

/// A data tree whose first block holds 8000 bytes instead of 8176, everything else consistent
/// with that (BBT cb, trailer, CRC, the XBLOCK's lcbTotal): what ScanPST calls an invalid
/// XBLOCK.
#[test]
fn verify_notices_a_short_block_before_the_last_of_a_data_tree() {
    let report = damaged(|bytes, header| {
        // Node 0x61 of the small file holds 20,000 bytes: blocks 0x8, 0xC, 0x10 under the
        // XBLOCK 0x16.
        let (entry, ib, cb) = bbt_entry(bytes, header, 0x8);
        assert_eq!(cb, 8176);
        bytes[entry + 16..entry + 18].copy_from_slice(&8000u16.to_le_bytes());
        let bbt_at = header.root.bbt.ib;
        page::seal(
            page_at(bytes, bbt_at),
            PageType::BlockBTree,
            header.root.bbt.bid,
            bbt_at,
        );
        let size = block::block_size(8000) as usize;
        block::seal_block(
            &mut bytes[ib as usize..ib as usize + size],
            8000,
            Bid(0x8),
            ib,
        );
        let (_, xblock_at, xblock_cb) = bbt_entry(bytes, header, 0x16);
        let xblock = xblock_at as usize;
        bytes[xblock + 4..xblock + 8].copy_from_slice(&(20_000u32 - 176).to_le_bytes());
        let size = block::block_size(xblock_cb) as usize;
        block::seal_block(
            &mut bytes[xblock..xblock + size],
            xblock_cb,
            Bid(0x16),
            xblock_at,
        );
    });
    assert!(report.has(ProblemKind::Reference), "{report}");
    assert!(
        report.to_string().contains(
            "data block 0x8 has 8000 bytes; every block of a data tree but the last holds 8176"
        ),
        "{report}"
    );
}

/// A sparse file of 130 intervals (an FMap in the 128th) whose FMap byte for its own interval
/// is changed, its page made right again: ScanPST's "AMap page has csFree of xx".
#[test]
fn verify_notices_a_stale_fmap() {
    let (_dir, path) = temp_pst();
    let mut writer = writer(&path);
    let first = writer.write_data(&pattern(1, 3000), 8176).unwrap();
    writer.skip_to(interval_base(129) + 1024).unwrap();
    let last = writer.write_data(&pattern(2, 3000), 8176).unwrap();
    writer
        .add_node(Nid(0x21), first.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer
        .add_node(Nid(0x61), last.bid, Bid::NONE, Nid(0))
        .unwrap();
    writer.finish().unwrap();
    assert_clean(&path);
    let at = interval_base(128) + 1024;
    let mut page = [0u8; PAGE_SIZE];
    let mut file = File::open(&path).unwrap();
    file.seek(SeekFrom::Start(at)).unwrap();
    file.read_exact(&mut page).unwrap();
    assert_eq!(page[496], 0x82);
    // Interval 128 is empty but for its maps: a free run of 255 or more.
    assert_eq!(page[0], 0xFF);
    page[0] = 0x10;
    page::seal(&mut page, PageType::FreeMap, at, at);
    patch(&path, at, &page);
    let report = verify(&path).unwrap();
    assert!(report.has(ProblemKind::MapPage), "{report}");
    assert!(report.to_string().contains("longest free run"), "{report}");
}

#[test]
fn verify_notices_an_rgnid_below_a_node() {
    let report = damaged(|bytes, header| {
        // The small file's nodes 0x21, 0x61 and 0xA1 are of type 1 (internal), index 1 to 5.
        let mut header = header.clone();
        header.rgnid[1] = 2;
        bytes[..HEADER_SIZE].copy_from_slice(&header.encode());
    });
    assert!(report.has(ProblemKind::Nid), "{report}");
    assert!(report.to_string().contains("above rgnid[0x1]"), "{report}");
}

#[test]
fn verify_notices_a_wrong_lcbtotal() {
    let report = damaged(|bytes, header| {
        let (_, at, cb) = bbt_entry(bytes, header, 0x16);
        let xblock = at as usize;
        bytes[xblock + 4] ^= 0x01;
        let size = block::block_size(cb) as usize;
        block::seal_block(&mut bytes[xblock..xblock + size], cb, Bid(0x16), at);
    });
    assert!(report.has(ProblemKind::Reference), "{report}");
    assert!(report.to_string().contains("lcbTotal"), "{report}");
}

/// Node 0xA1 of the small file shares node 0x21's block; pointed at 0x61's data instead, the
/// reference counts of both blocks are wrong.
#[test]
fn verify_notices_a_node_pointing_at_another_block() {
    let report = damaged(|bytes, header| {
        let page = header.root.nbt.ib as usize;
        let count = usize::from(bytes[page + 488]);
        let entry = (0..count)
            .map(|i| page + 32 * i)
            .find(|at| bytes[*at] == 0xA1)
            .unwrap();
        bytes[entry + 8..entry + 16].copy_from_slice(&0x16u64.to_le_bytes());
        page::seal(
            page_at(bytes, header.root.nbt.ib),
            PageType::NodeBTree,
            header.root.nbt.bid,
            header.root.nbt.ib,
        );
    });
    assert!(report.has(ProblemKind::RefCount), "{report}");
}

/// Block 0xC's BBT entry pointed at block 0x8's place: two blocks in the same slots.
#[test]
fn verify_notices_overlapping_blocks() {
    let report = damaged(|bytes, header| {
        let (_, ib, _) = bbt_entry(bytes, header, 0x8);
        let (entry, _, _) = bbt_entry(bytes, header, 0xC);
        bytes[entry + 8..entry + 16].copy_from_slice(&ib.to_le_bytes());
        let at = header.root.bbt.ib;
        page::seal(
            page_at(bytes, at),
            PageType::BlockBTree,
            header.root.bbt.bid,
            at,
        );
    });
    assert!(report.has(ProblemKind::Allocation), "{report}");
    assert!(report.to_string().contains("overlaps"), "{report}");
}

/// Blocks encoded and checksummed before they reach the writer make the file that writing
/// the data itself makes; what the writer refuses, sealing refuses.
#[test]
fn sealed_blocks_are_written_as_the_data_would_be() {
    let write = |sealed: bool| {
        let (_dir, path) = temp_pst();
        let mut writer = writer(&path);
        let folder = Nid(0x8022);
        for (seed, size) in [(1u64, 100usize), (2, 8176), (3, 8177), (4, 8176 * 1021 + 5)] {
            let data = pattern(seed, size);
            let tree = if sealed {
                let blocks = SealedBlocks::from_data(data, MAX_BLOCK_DATA).unwrap();
                writer.write_sealed(&blocks).unwrap()
            } else {
                writer.write_data(&data, MAX_BLOCK_DATA).unwrap()
            };
            let nid = writer.allocate_nid(NidType::NormalMessage);
            writer.add_node(nid, tree.bid, Bid::NONE, folder).unwrap();
        }
        let pages = [pattern(5, 8176), pattern(6, 8176), pattern(7, 30)];
        let tree = if sealed {
            let blocks = SealedBlocks::from_blocks(&pages).unwrap();
            writer.write_sealed(&blocks).unwrap()
        } else {
            writer.write_blocks(&pages).unwrap()
        };
        let nid = writer.allocate_nid(NidType::NormalMessage);
        writer.add_node(nid, tree.bid, Bid::NONE, folder).unwrap();
        writer.finish().unwrap();
        fs::read(&path).unwrap()
    };
    assert!(write(true) == write(false), "sealing changed the file");

    assert!(matches!(
        SealedBlocks::from_data(vec![1; 100], 40),
        Err(Error::ShortBlock { index: 0, size: 40 })
    ));
    assert!(matches!(
        SealedBlocks::from_data(vec![1; 10], 0),
        Err(Error::BlockSize { size: 0 })
    ));
    assert!(matches!(
        SealedBlocks::from_blocks(&[vec![1; 30], vec![1; 30]]),
        Err(Error::ShortBlock { index: 0, size: 30 })
    ));
    assert!(matches!(
        SealedBlocks::from_blocks(&[Vec::<u8>::new()]),
        Err(Error::EmptyBlock { index: 0 })
    ));
}
