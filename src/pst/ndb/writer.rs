//! Writing a Unicode PST's [node database](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d2083cf-fd37-4a0d-b61a-d2ef10a89a04)
//! (MS-PST 2.2) in one pass.
//!
//! Blocks go to disk as they come, in BID order, each placed after the previous one (skipping
//! the map pages at interval starts, which are written as zeros and filled in at the end). Per
//! block only its kind and reference count stay in memory (one byte); its place and size go to
//! a temporary file, already sorted for the BBT. Node entries that come in NID order (messages)
//! wait in a temporary file too, the others in memory (`NodeTable`). `finish()` writes
//! the BBT and NBT pages after the last block, then the maps, the density list, and the header.

mod block_table;
mod file_thread;
mod node_table;
mod record_file;
mod sealed;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

use super::Error;
use super::amap::{
    self, AMap, INTERVAL, SLOT_SIZE, data_start, file_size, interval_base, interval_of,
    intervals_to_cover, map_pages, place,
};
use super::block::{
    DataTreeBlock, MAX_BLOCK_DATA, MAX_SUBNODES, SLBLOCK_MAX, SiEntry, SubnodeBlock, SubnodeEntry,
    XBLOCK_MAX, block_size, frame_block,
};
use super::btree::{self, PageSink};
use super::header::{BRef, Header, Root};
use super::ids::{Bid, Nid, NidType};
use super::page::{
    BbtEntry, BtRecord, DListEntry, DListPage, NodeEntry, PAGE_BODY, PAGE_SIZE, PageType, map_page,
};
use block_table::{BlockKind, BlockTable, Expect, Spill};
use file_thread::{FileThread, Seal, UnsealedBlock};
use node_table::NodeTable;
pub use sealed::SealedBlocks;

/// Outlook's default limit for a Unicode PST (`MaxLargeFileSize`, 51,200 MB).
pub const OUTLOOK_MAX_FILE_SIZE: u64 = 51_200 * 1024 * 1024;

/// How large the file may grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NdbOptions {
    /// No allocation may make the finished file larger than this.
    pub max_file_size: u64,
    /// Whether `finish()` waits until the file is on disk.
    pub sync: bool,
}

impl Default for NdbOptions {
    fn default() -> NdbOptions {
        NdbOptions {
            max_file_size: OUTLOOK_MAX_FILE_SIZE,
            sync: true,
        }
    }
}

/// A written data tree: its root block ([`Bid::NONE`] when empty) and its logical size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataTree {
    pub bid: Bid,
    pub size: u64,
}

/// A data tree written a block at a time, for data too large to hold at once (the heap and the
/// row matrix of a folder of 100,000 messages): its blocks in any order
/// ([`NdbWriter::write_tree_block`]), then the XBLOCKs over them
/// ([`NdbWriter::finish_tree`]).
#[derive(Debug, Default)]
pub struct TreeInProgress {
    /// Each block's BID ([`Bid::NONE`] while not written) and data length, by index.
    blocks: Vec<(Bid, usize)>,
}

/// The first bytes of the file: the header, zeros, the DList page, all written last.
const HEAD_SIZE: u64 = amap::FIRST_AMAP;
/// `rgnid` of a new store: the last index handed out per NID type (Outlook's values).
pub(crate) const RGNID_SEED: [u32; 32] = {
    let mut rgnid = [0x400; 32];
    rgnid[NidType::SearchFolder as usize] = 0x4000;
    rgnid[NidType::NormalMessage as usize] = 0x10000;
    rgnid[NidType::AssociatedMessage as usize] = 0x8000;
    rgnid
};
/// Row versions start above this; the header's `dwUnique` ends one above the last.
pub(crate) const UNIQUE_SEED: u32 = 1;
/// Capacity of a buffer blocks are built in before they go to the file (a few are in use at
/// once: one being filled, the others being written). A mebibyte per write is already far past
/// what the disk needs to stream.
const WRITE_BUFFER: usize = 1 << 20;
const ZEROS: [u8; 4096] = [0; 4096];

/// Writes a new PST's blocks, nodes, B-trees, maps and header.
#[derive(Debug)]
pub struct NdbWriter {
    stream: Stream,
    blocks: BlockTable,
    spill: Spill,
    nodes: NodeTable,
    rgnid: [u32; 32],
    unique: u32,
    /// A counter ran out; every later write fails.
    exhausted: Option<Exhausted>,
    /// Whether `finish()` waits until the file is on disk.
    sync: bool,
}

impl NdbWriter {
    /// Starts a new PST in `file` (empty, opened read+write).
    pub fn new(file: File, options: NdbOptions) -> Result<NdbWriter, Error> {
        let len = file.metadata()?.len();
        if len != 0 {
            return Err(Error::FileNotEmpty { len });
        }
        let mut stream = Stream {
            file: FileThread::start(file)?,
            buffer: Vec::with_capacity(WRITE_BUFFER),
            buffer_size: WRITE_BUFFER,
            unsealed: Vec::new(),
            cursor: 0,
            gaps: Vec::new(),
            maps: StreamMaps::default(),
            next_page_bid: 0,
            failed: false,
            limit: options.max_file_size,
        };
        stream.zeros(HEAD_SIZE)?;
        Ok(NdbWriter {
            stream,
            blocks: BlockTable::default(),
            spill: Spill::new()?,
            nodes: NodeTable::new()?,
            rgnid: RGNID_SEED,
            unique: UNIQUE_SEED,
            exhausted: None,
            sync: options.sync,
        })
    }

    /// Writes `data` as a data tree in blocks of `block_size` (1..=8176) bytes: one external
    /// block, or an XBLOCK / XXBLOCK above them. Empty data → `Bid::NONE`, size 0, no block
    /// written. Every block of a data tree but the last is full (docs/pst-writer-notes.md
    /// §2.1), so data longer than one block needs a `block_size` of 8176.
    pub fn write_data(&mut self, data: &[u8], block_size: usize) -> Result<DataTree, Error> {
        let count = check_chunks(data.len(), block_size)?;
        self.write_tree(
            count,
            data.len() as u64,
            &mut Chunks {
                data,
                size: block_size,
            },
        )
    }

    /// Writes `len` bytes read from `source` as a data tree of full blocks, as
    /// [`NdbWriter::write_data`] writes them from memory; only one block is held at a time.
    /// `source` must give exactly `len` bytes.
    pub fn write_data_from(&mut self, source: &mut dyn Read, len: u64) -> Result<DataTree, Error> {
        let count = usize::try_from(len.div_ceil(MAX_BLOCK_DATA as u64))
            .map_err(|_| Error::DataTooLarge { size: len })?;
        self.write_tree(
            count,
            len,
            &mut FromReader {
                source,
                len,
                buffer: Vec::with_capacity(MAX_BLOCK_DATA),
            },
        )
    }

    /// Writes a data tree whose blocks are given one by one (the heap pages of a
    /// heap-on-node): every one but the last of 8176 bytes, the last of 1..=8176.
    pub fn write_blocks<B: AsRef<[u8]>>(&mut self, blocks: &[B]) -> Result<DataTree, Error> {
        check_lengths(blocks.iter().map(|block| block.as_ref().len()))?;
        let total = blocks.iter().map(|block| block.as_ref().len() as u64).sum();
        self.write_tree(blocks.len(), total, &mut List(blocks))
    }

    /// Writes a data tree whose blocks were encoded and checksummed beforehand
    /// ([`SealedBlocks`]): as [`NdbWriter::write_blocks`] or [`NdbWriter::write_data`] would
    /// write them, but for the work already done.
    pub fn write_sealed(&mut self, blocks: &SealedBlocks) -> Result<DataTree, Error> {
        self.write_tree(blocks.count(), blocks.len(), &mut Sealed(blocks))
    }

    /// Writes block `index` of `tree` now (once; the rules of a data tree's blocks are checked
    /// by [`NdbWriter::finish_tree`]).
    pub fn write_tree_block(
        &mut self,
        tree: &mut TreeInProgress,
        index: usize,
        data: &[u8],
    ) -> Result<(), Error> {
        self.check_usable()?;
        if tree
            .blocks
            .get(index)
            .is_some_and(|(bid, _)| !bid.is_none())
        {
            return Err(Error::BlockWrittenTwice { index });
        }
        check_lengths(std::iter::once(data.len()))?;
        self.check_room(std::iter::once(block_size(data.len())))?;
        let bid = self.failing(|writer| writer.put_data_block(data, None))?;
        if tree.blocks.len() <= index {
            tree.blocks.resize(index + 1, (Bid::NONE, 0));
        }
        tree.blocks[index] = (bid, data.len());
        Ok(())
    }

    /// Writes the XBLOCK (or XXBLOCK over XBLOCKs) over the blocks of `tree`, which must all
    /// be written; one block is its own root.
    pub fn finish_tree(&mut self, tree: TreeInProgress) -> Result<DataTree, Error> {
        self.check_usable()?;
        if let Some(index) = tree.blocks.iter().position(|(bid, _)| bid.is_none()) {
            return Err(Error::BlockMissing { index });
        }
        check_lengths(tree.blocks.iter().map(|(_, len)| *len))?;
        let count = tree.blocks.len();
        let total: u64 = tree.blocks.iter().map(|(_, len)| *len as u64).sum();
        match count {
            0 => {
                return Ok(DataTree {
                    bid: Bid::NONE,
                    size: 0,
                });
            }
            1 => {
                return Ok(DataTree {
                    bid: tree.blocks[0].0,
                    size: total,
                });
            }
            _ => {}
        }
        check_tree_size(count, total)?;
        let groups = count.div_ceil(XBLOCK_MAX);
        let xblocks = (0..groups).map(|group| {
            let children = (count - group * XBLOCK_MAX).min(XBLOCK_MAX);
            block_size(8 + 8 * children)
        });
        let xxblock = (groups > 1).then(|| block_size(8 + 8 * groups));
        self.check_room(xblocks.chain(xxblock))?;
        let bid = self.failing(|writer| {
            let mut xblocks = Vec::with_capacity(groups);
            for group in tree.blocks.chunks(XBLOCK_MAX) {
                let children: Vec<Bid> = group.iter().map(|(bid, _)| *bid).collect();
                let bytes = group.iter().map(|(_, len)| *len as u64).sum();
                xblocks.push(writer.put_xblock(children, bytes)?);
            }
            writer.put_xxblock(xblocks, total)
        })?;
        Ok(DataTree { bid, size: total })
    }

    /// Writes a subnode tree (an SLBLOCK, or an SIBLOCK over SLBLOCKs) for `entries`, sorted
    /// here. No entries → `Bid::NONE`.
    pub fn write_subnode_tree(&mut self, mut entries: Vec<SubnodeEntry>) -> Result<Bid, Error> {
        self.check_usable()?;
        if entries.is_empty() {
            return Ok(Bid::NONE);
        }
        if entries.len() > MAX_SUBNODES {
            return Err(Error::TooManySubnodes {
                count: entries.len(),
                max: MAX_SUBNODES,
            });
        }
        entries.sort_unstable_by_key(|entry| entry.nid);
        for pair in entries.windows(2) {
            if pair[0].nid == pair[1].nid {
                return Err(Error::DuplicateSubnode { nid: pair[0].nid });
            }
        }
        for entry in &entries {
            if entry.nid.0 == 0 {
                return Err(Error::InvalidNid { nid: entry.nid });
            }
            if entry.data.is_none() {
                return Err(Error::SubnodeWithoutData { nid: entry.nid });
            }
            self.blocks
                .check(entry.data, "SLENTRY bidData", Expect::DataTree)?;
            if !entry.sub.is_none() {
                self.blocks
                    .check(entry.sub, "SLENTRY bidSub", Expect::SubnodeTree)?;
            }
        }
        self.blocks
            .check_references(entries.iter().flat_map(|e| [e.data, e.sub]))?;

        let leaves = btree::page_sizes(entries.len() as u64, SLBLOCK_MAX).count();
        let siblock = (leaves > 1).then(|| block_size(8 + 16 * leaves));
        self.check_room(
            btree::page_sizes(entries.len() as u64, SLBLOCK_MAX)
                .map(|n| block_size(8 + 24 * n))
                .chain(siblock),
        )?;

        let root = self.failing(|writer| {
            if leaves == 1 {
                return writer.put_block(
                    &SubnodeBlock::Leaf(entries.clone()).encode(),
                    BlockKind::SlBlock,
                );
            }
            let mut children = Vec::with_capacity(leaves);
            let mut rest = entries.as_slice();
            for size in btree::page_sizes(entries.len() as u64, SLBLOCK_MAX) {
                let (page, tail) = rest.split_at(size);
                rest = tail;
                let bid = writer.put_block(
                    &SubnodeBlock::Leaf(page.to_vec()).encode(),
                    BlockKind::SlBlock,
                )?;
                children.push(SiEntry {
                    nid: page.first().map_or(Nid(0), |entry| entry.nid),
                    bid,
                });
            }
            for child in &children {
                writer.blocks.add_reference(child.bid);
            }
            writer.put_block(
                &SubnodeBlock::Intermediate(children).encode(),
                BlockKind::SiBlock,
            )
        })?;
        for entry in &entries {
            self.blocks.add_reference(entry.data);
            self.blocks.add_reference(entry.sub);
            self.reserve_nid(entry.nid);
        }
        Ok(root)
    }

    /// Enters a top-level node in the NBT. A NID used twice is an error.
    pub fn add_node(&mut self, nid: Nid, data: Bid, sub: Bid, parent: Nid) -> Result<(), Error> {
        self.check_usable()?;
        if nid.0 == 0 {
            return Err(Error::InvalidNid { nid });
        }
        if self.nodes.has(nid) {
            return Err(Error::DuplicateNode { nid });
        }
        if !data.is_none() {
            self.blocks
                .check(data, "NBTENTRY bidData", Expect::DataTree)?;
        }
        if !sub.is_none() {
            self.blocks
                .check(sub, "NBTENTRY bidSub", Expect::SubnodeTree)?;
        }
        self.blocks.check_references([data, sub])?;
        self.blocks.add_reference(data);
        self.blocks.add_reference(sub);
        let entry = NodeEntry {
            nid,
            data,
            sub,
            parent,
        };
        // A temporary file that refuses the entry leaves the writer unusable, as a refused
        // block does.
        self.failing(|writer| writer.nodes.push(entry))?;
        self.reserve_nid(nid);
        Ok(())
    }

    /// A fresh NID of this type from the header's `rgnid` counters (subnode NIDs of types
    /// Attachment, Ltp, NormalMessage too: Outlook draws them from the same counters).
    pub fn allocate_nid(&mut self, ty: NidType) -> Nid {
        let last = &mut self.rgnid[ty as usize];
        if *last >= Nid::MAX_INDEX {
            self.exhausted.get_or_insert(Exhausted::Nids(ty));
            return Nid::new(ty, Nid::MAX_INDEX);
        }
        *last += 1;
        Nid::new(ty, *last)
    }

    /// A fresh folder index, bumping `rgnid` for NormalFolder, HierarchyTable, ContentsTable and
    /// AssociatedContentsTable together (one index names a folder's four nodes).
    pub fn allocate_folder_index(&mut self) -> u32 {
        const FOLDER_TYPES: [NidType; 4] = [
            NidType::NormalFolder,
            NidType::HierarchyTable,
            NidType::ContentsTable,
            NidType::AssociatedContentsTable,
        ];
        let last = FOLDER_TYPES
            .iter()
            .map(|ty| self.rgnid[*ty as usize])
            .max()
            .unwrap_or(0);
        if last >= Nid::MAX_INDEX {
            self.exhausted
                .get_or_insert(Exhausted::Nids(NidType::NormalFolder));
            return Nid::MAX_INDEX;
        }
        for ty in FOLDER_TYPES {
            self.rgnid[ty as usize] = last + 1;
        }
        last + 1
    }

    /// Notes a fixed NID (special nodes) so the counters stay at or above it.
    pub fn reserve_nid(&mut self, nid: Nid) {
        let last = &mut self.rgnid[usize::from(nid.type_bits())];
        *last = (*last).max(nid.index());
    }

    /// A fresh value of the header's `dwUnique` counter, for `PidTagLtpRowVer` cells.
    pub fn next_row_version(&mut self) -> u32 {
        if self.unique >= u32::MAX - 1 {
            self.exhausted.get_or_insert(Exhausted::RowVersions);
            return self.unique;
        }
        self.unique += 1;
        self.unique
    }

    /// Notes a row version handed out elsewhere (a message's own tables, numbered within it) so
    /// that `dwUnique` ends above it.
    pub fn reserve_row_version(&mut self, version: u32) {
        self.unique = self.unique.max(version);
    }

    /// Moves the cursor to `at` (a 64-aligned offset after it) without writing the bytes in
    /// between: the hole is a gap in the AMaps.
    #[cfg(test)]
    pub(crate) fn skip_to(&mut self, at: u64) -> Result<(), Error> {
        self.stream.skip_to(at)
    }

    /// The file size so far: what the finished file will at least be (whole intervals).
    pub fn bytes_written(&self) -> u64 {
        file_size(intervals_to_cover(self.stream.cursor))
    }

    /// What the file would come to if it were finished now, B-trees included (an upper
    /// bound); allocations that would take it past `max_file_size` fail with `FileFull`.
    pub fn projected_size(&self) -> u64 {
        self.projection(self.stream.cursor, self.blocks.len())
    }

    /// Hands the file over in buffers of `size` bytes instead of [`WRITE_BUFFER`]: tests use
    /// small ones to end buffers in many more places (inside map pages among them).
    #[cfg(test)]
    pub(super) fn with_write_buffer(mut self, size: usize) -> NdbWriter {
        self.stream.buffer_size = size;
        self.stream.buffer.reserve_exact(size);
        self.stream.buffer.shrink_to(size);
        self
    }

    /// Writes the BBT and NBT, the AMap/PMap/FMap/FPMap pages, the DList and the header
    /// (last), flushes, syncs (unless told not to), and returns the file.
    pub fn finish(self) -> Result<File, Error> {
        self.check_usable()?;
        let NdbWriter {
            mut stream,
            blocks,
            spill,
            nodes,
            rgnid,
            unique,
            sync,
            ..
        } = self;
        let unreferenced = blocks.unreferenced();
        if unreferenced > 0 {
            tracing::warn!(unreferenced, "blocks no node or tree refers to");
        }

        let bbt_pages = btree::page_count(blocks.len(), BbtEntry::MAX);
        let nbt_pages = btree::page_count(nodes.len(), NodeEntry::MAX);
        let mut end = stream.cursor;
        for _ in 0..bbt_pages + nbt_pages {
            end = place(end, PAGE_SIZE as u64, PAGE_SIZE as u64) + PAGE_SIZE as u64;
        }
        let needed = file_size(intervals_to_cover(end));
        if needed > stream.limit {
            return Err(Error::FileFull {
                limit: stream.limit,
                needed,
            });
        }

        // Page BIDs come from their own counter; starting it above every block BID keeps the
        // two apart, as in Outlook's files.
        stream.next_page_bid = blocks.next_bid().0;
        let records = spill.into_records()?;
        let bbt_entries = records.enumerate().map(|(i, record)| {
            let (ib, cb) = record?;
            let counter = i as u64 + 1;
            let bid = blocks.bid(counter);
            Ok(BbtEntry {
                bref: BRef { bid: bid.0, ib },
                cb,
                cref: blocks.cref(counter),
                padding: 0,
            })
        });
        let (bbt, _) = btree::build(PageType::BlockBTree, blocks.len(), bbt_entries, &mut stream)?;
        let node_count = nodes.len();
        let (nbt, _) = btree::build(
            PageType::NodeBTree,
            node_count,
            nodes.into_sorted()?,
            &mut stream,
        )?;

        let intervals = intervals_to_cover(stream.cursor);
        let file_end = file_size(intervals);
        let next_page_bid = stream.next_page_bid;
        let Streamed {
            mut file,
            gaps,
            maps,
            end: cursor,
        } = stream.into_parts()?;
        file.set_len(file_end)
            .map_err(|source| io_at("extending the file", file_end, source))?;

        let maps = write_maps(&mut file, intervals, cursor, &gaps, maps)?;
        let dlist = density_list(&maps.free_slots);
        write_at(&mut file, DListPage::OFFSET, &dlist.encode(next_page_bid))?;

        let header = Header {
            next_page_bid,
            unique: unique + 1,
            rgnid,
            root: Root {
                file_eof: file_end,
                amap_last: interval_base(intervals - 1),
                amap_free: maps.free_slots.iter().map(|n| u64::from(*n)).sum::<u64>() * SLOT_SIZE,
                pmap_free: 0,
                nbt,
                bbt,
                ..Header::new_unicode().root
            },
            next_block_bid: blocks.next_bid().0,
            rgb_fm: amap::initial_fmap(&maps.fmap_bytes),
            ..Header::new_unicode()
        };
        write_at(&mut file, 0, &header.encode())?;
        if sync {
            file.sync_all()
                .map_err(|source| io_at("syncing the file", 0, source))?;
        }
        Ok(file)
    }

    fn write_tree(
        &mut self,
        count: usize,
        total: u64,
        blocks: &mut dyn BlockSource,
    ) -> Result<DataTree, Error> {
        self.check_usable()?;
        if count == 0 {
            return Ok(DataTree {
                bid: Bid::NONE,
                size: 0,
            });
        }
        if count > 1 {
            check_tree_size(count, total)?;
        }
        let groups = count.div_ceil(XBLOCK_MAX);
        let layout = (0..groups).flat_map(|group| {
            let first = group * XBLOCK_MAX;
            let last = (first + XBLOCK_MAX).min(count);
            let xblock = (count > 1).then(|| block_size(8 + 8 * (last - first)));
            (first..last)
                .map(|i| block_size(blocks.len(i)))
                .chain(xblock)
        });
        let xxblock = (groups > 1).then(|| block_size(8 + 8 * groups));
        self.check_room(layout.chain(xxblock))?;

        let bid = self.failing(|writer| {
            if count == 1 {
                let crc = blocks.crc(0);
                return writer.put_data_block(blocks.block(0)?, crc);
            }
            let mut xblocks = Vec::with_capacity(groups);
            let mut children = Vec::with_capacity(count.min(XBLOCK_MAX));
            for group in 0..groups {
                let first = group * XBLOCK_MAX;
                let last = (first + XBLOCK_MAX).min(count);
                children.clear();
                let mut bytes = 0u64;
                for i in first..last {
                    let crc = blocks.crc(i);
                    let data = blocks.block(i)?;
                    bytes += data.len() as u64;
                    children.push(writer.put_data_block(data, crc)?);
                }
                xblocks.push(writer.put_xblock(children.clone(), bytes)?);
            }
            writer.put_xxblock(xblocks, total)
        })?;
        Ok(DataTree { bid, size: total })
    }

    /// Writes the XBLOCK over `children`, data blocks of `bytes` bytes in all (at most
    /// [`XBLOCK_MAX`] of them, checked by the caller, as the total is).
    fn put_xblock(&mut self, children: Vec<Bid>, bytes: u64) -> Result<Bid, Error> {
        for child in &children {
            self.blocks.add_reference(*child);
        }
        let xblock = DataTreeBlock {
            level: 1,
            total: bytes as u32,
            children,
        };
        self.put_block(&xblock.encode(), BlockKind::XBlock)
    }

    /// The root over the XBLOCKs of one data tree: the XBLOCK itself when there is one, else an
    /// XXBLOCK over them.
    fn put_xxblock(&mut self, xblocks: Vec<Bid>, total: u64) -> Result<Bid, Error> {
        if let [xblock] = xblocks[..] {
            return Ok(xblock);
        }
        for xblock in &xblocks {
            self.blocks.add_reference(*xblock);
        }
        let xxblock = DataTreeBlock {
            level: 2,
            total: total as u32,
            children: xblocks,
        };
        self.put_block(&xxblock.encode(), BlockKind::XXBlock)
    }

    /// Writes one block: `data`, padding, trailer. The file thread permutes the data of an
    /// external block (internal ones are never encoded) and adds the CRC.
    fn put_block(&mut self, data: &[u8], kind: BlockKind) -> Result<Bid, Error> {
        self.put_framed(data, kind, None)
    }

    /// Writes an external block; `sealed` is its CRC when its data is already encoded.
    fn put_data_block(&mut self, data: &[u8], sealed: Option<u32>) -> Result<Bid, Error> {
        self.put_framed(data, BlockKind::External, sealed)
    }

    fn put_framed(
        &mut self,
        data: &[u8],
        kind: BlockKind,
        sealed: Option<u32>,
    ) -> Result<Bid, Error> {
        let cb = data.len();
        let size = block_size(cb);
        let ib = self.stream.reserve(size, SLOT_SIZE)?;
        let bid = self.blocks.push(kind);
        let seal = match sealed {
            Some(crc) => Seal::Done(crc),
            None if kind == BlockKind::External => Seal::Encode,
            None => Seal::Checksum,
        };
        let buf = self.stream.append_block(size as usize, cb, seal)?;
        buf[..cb].copy_from_slice(data);
        frame_block(buf, cb, bid, ib);
        self.spill.push(ib, cb as u16)?;
        Ok(bid)
    }

    /// Fails with `FileFull` (before anything is written) unless blocks of these padded sizes,
    /// placed from the cursor, leave the finished file within its limit.
    fn check_room(&self, sizes: impl Iterator<Item = u64>) -> Result<(), Error> {
        let mut end = self.stream.cursor;
        let mut count = 0;
        for size in sizes {
            end = place(end, size, SLOT_SIZE) + size;
            count += 1;
        }
        let needed = self.projection(end, self.blocks.len() + count);
        if needed > self.stream.limit {
            return Err(Error::FileFull {
                limit: self.stream.limit,
                needed,
            });
        }
        Ok(())
    }

    /// An upper bound of the finished file's size with blocks up to `end`, `blocks` blocks and
    /// the nodes so far: the B-tree pages after `end`, with room for the map pages and unused
    /// interval ends they may skip.
    fn projection(&self, end: u64, blocks: u64) -> u64 {
        let pages = btree::page_count(blocks, BbtEntry::MAX)
            + btree::page_count(self.nodes.len() + 1, NodeEntry::MAX);
        let bytes = pages * PAGE_SIZE as u64;
        let crossings = bytes / (INTERVAL / 2) + 2;
        let end = end + PAGE_SIZE as u64 + bytes + crossings * (4 * PAGE_SIZE as u64);
        file_size(intervals_to_cover(end))
    }

    fn check_usable(&self) -> Result<(), Error> {
        if self.stream.failed {
            return Err(Error::WriterFailed);
        }
        match self.exhausted {
            Some(Exhausted::Nids(ty)) => Err(Error::NidsExhausted { ty }),
            Some(Exhausted::RowVersions) => Err(Error::RowVersionsExhausted),
            None => Ok(()),
        }
    }

    /// Runs a write that changes the file; if it fails halfway, the writer is unusable.
    fn failing<T>(
        &mut self,
        write: impl FnOnce(&mut NdbWriter) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let result = write(self);
        if result.is_err() {
            self.stream.failed = true;
        }
        result
    }
}

/// Refuses a data tree of more blocks than an XXBLOCK reaches, or of more bytes than its
/// total (32 bits) counts.
fn check_tree_size(count: usize, total: u64) -> Result<(), Error> {
    if count > XBLOCK_MAX * XBLOCK_MAX {
        return Err(Error::TooManyBlocks {
            count,
            max: XBLOCK_MAX * XBLOCK_MAX,
        });
    }
    if total > u64::from(u32::MAX) {
        return Err(Error::DataTooLarge { size: total });
    }
    Ok(())
}

/// How many blocks `len` bytes take in blocks of `block_size`, refusing a size outside
/// 1..=8176 and data longer than one block in blocks that are not full.
fn check_chunks(len: usize, block_size: usize) -> Result<usize, Error> {
    if !(1..=MAX_BLOCK_DATA).contains(&block_size) {
        return Err(Error::BlockSize { size: block_size });
    }
    if len > block_size && block_size != MAX_BLOCK_DATA {
        return Err(Error::ShortBlock {
            index: 0,
            size: block_size,
        });
    }
    Ok(len.div_ceil(block_size))
}

/// The rules of a data tree's blocks: none empty or over 8176 bytes, all full but the last.
fn check_lengths(lengths: impl ExactSizeIterator<Item = usize>) -> Result<(), Error> {
    let last = lengths.len().saturating_sub(1);
    for (index, size) in lengths.enumerate() {
        match size {
            0 => return Err(Error::EmptyBlock { index }),
            size if size > MAX_BLOCK_DATA => return Err(Error::BlockTooLarge { index, size }),
            size if size < MAX_BLOCK_DATA && index < last => {
                return Err(Error::ShortBlock { index, size });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The blocks of a data tree, asked for in order: their sizes first (to check the room they
/// take), then each block's bytes.
trait BlockSource {
    fn len(&self, index: usize) -> usize;
    fn block(&mut self, index: usize) -> Result<&[u8], Error>;
    /// The CRC of a block whose data is already encoded.
    fn crc(&self, _index: usize) -> Option<u32> {
        None
    }
}

/// Blocks encoded beforehand.
struct Sealed<'a>(&'a SealedBlocks);

impl BlockSource for Sealed<'_> {
    fn len(&self, index: usize) -> usize {
        self.0.block(index).0.len()
    }

    fn block(&mut self, index: usize) -> Result<&[u8], Error> {
        Ok(self.0.block(index).0)
    }

    fn crc(&self, index: usize) -> Option<u32> {
        Some(self.0.block(index).1)
    }
}

/// Bytes in memory, cut into blocks of `size`.
struct Chunks<'a> {
    data: &'a [u8],
    size: usize,
}

impl BlockSource for Chunks<'_> {
    fn len(&self, index: usize) -> usize {
        self.size
            .min(self.data.len().saturating_sub(index * self.size))
    }

    fn block(&mut self, index: usize) -> Result<&[u8], Error> {
        let start = index * self.size;
        Ok(&self.data[start..(start + self.size).min(self.data.len())])
    }
}

/// Blocks in memory, each given.
struct List<'a, B>(&'a [B]);

impl<B: AsRef<[u8]>> BlockSource for List<'_, B> {
    fn len(&self, index: usize) -> usize {
        self.0[index].as_ref().len()
    }

    fn block(&mut self, index: usize) -> Result<&[u8], Error> {
        Ok(self.0[index].as_ref())
    }
}

/// Full blocks read one after the other from a stream of `len` bytes.
struct FromReader<'s> {
    source: &'s mut dyn Read,
    len: u64,
    buffer: Vec<u8>,
}

impl BlockSource for FromReader<'_> {
    fn len(&self, index: usize) -> usize {
        let start = index as u64 * MAX_BLOCK_DATA as u64;
        self.len.saturating_sub(start).min(MAX_BLOCK_DATA as u64) as usize
    }

    fn block(&mut self, index: usize) -> Result<&[u8], Error> {
        let len = self.len(index);
        self.buffer.resize(len, 0);
        self.source.read_exact(&mut self.buffer)?;
        Ok(&self.buffer)
    }
}

/// A counter that ran out.
#[derive(Clone, Copy, Debug)]
enum Exhausted {
    Nids(NidType),
    RowVersions,
}

/// The file as a stream of bytes written in order, through a large buffer that blocks are
/// built in: the cursor is the file's length so far, buffered bytes included.
struct Stream {
    /// Where full buffers go.
    file: FileThread,
    buffer: Vec<u8>,
    /// The capacity of each buffer ([`WRITE_BUFFER`]).
    buffer_size: usize,
    /// The blocks in `buffer`, which the file thread completes.
    unsealed: Vec<UnsealedBlock>,
    cursor: u64,
    /// Unallocated ranges left behind the cursor, in file order, each inside one interval whose
    /// map pages are not written yet.
    gaps: Vec<(u64, u64)>,
    /// The map pages of the intervals the cursor has left.
    maps: StreamMaps,
    next_page_bid: u64,
    failed: bool,
    limit: u64,
}

/// The map pages of the intervals behind the cursor, written as the stream goes (at the end,
/// on one thread, they were a serial stretch that grows with the file): an interval's
/// allocations are final once the cursor has left it.
#[derive(Debug, Default)]
struct StreamMaps {
    /// The intervals before this one have their AMap, PMap and FPMap pages written.
    done: u64,
    summary: MapSummary,
    /// FMap pages, written at the end: they describe the AMaps after them.
    fmaps: Vec<(u64, u64)>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("cursor", &self.cursor)
            .field("gaps", &self.gaps.len())
            .finish()
    }
}

impl Stream {
    /// Moves the cursor to where `size` bytes aligned to `align` can go, writing zeros over
    /// what is skipped (map pages, filled in at the end, and free space), and returns it.
    fn reserve(&mut self, size: u64, align: u64) -> Result<u64, Error> {
        let at = place(self.cursor, size, align);
        self.record_gaps(at);
        // The map pages on the way are skipped in one piece (less than a zeros chunk), so
        // that no buffer ends inside them: they are filled in where they lie.
        let mut i = interval_of(self.cursor);
        while self.cursor < at && interval_base(i) < at {
            let pages_end = data_start(i);
            if pages_end > self.cursor {
                self.zeros(interval_base(i).saturating_sub(self.cursor))?;
                self.zeros(pages_end - self.cursor)?;
            }
            i += 1;
        }
        self.zeros(at - self.cursor)?;
        Ok(at)
    }

    /// Records the free space between the cursor and `at` (map pages aside) as gaps.
    fn record_gaps(&mut self, at: u64) {
        let mut pos = self.cursor;
        while pos < at {
            let i = interval_of(pos);
            let start = data_start(i);
            if pos < start {
                pos = start.min(at);
                continue;
            }
            let end = at.min(interval_base(i + 1));
            self.gaps.push((pos, end));
            pos = end;
        }
    }

    /// Leaves everything from the cursor to `at` unallocated without writing it (a hole in a
    /// sparse file): lets tests reach the far intervals of a multi-gigabyte file in an instant.
    #[cfg(test)]
    fn skip_to(&mut self, at: u64) -> Result<(), Error> {
        self.flush()?;
        self.record_gaps(at);
        // The next buffer goes to the new cursor: the file thread seeks there.
        self.cursor = at.max(self.cursor);
        Ok(())
    }

    fn zeros(&mut self, mut count: u64) -> Result<(), Error> {
        while count > 0 {
            let chunk = count.min(ZEROS.len() as u64) as usize;
            self.write(&ZEROS[..chunk])?;
            count -= chunk as u64;
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.append(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// Appends `size` zero bytes (at most the buffer's capacity) and returns them to be
    /// filled in place.
    fn append(&mut self, size: usize) -> Result<&mut [u8], Error> {
        self.map_left_intervals()?;
        if self.buffer.len() + size > self.buffer.capacity() {
            self.flush()?;
        }
        let start = self.buffer.len();
        self.buffer.resize(start + size, 0);
        self.cursor += size as u64;
        Ok(&mut self.buffer[start..])
    }

    /// Appends a block of `size` bytes holding `cb` data bytes, to be framed in place; the
    /// file thread completes it as `seal` says before writing it.
    fn append_block(&mut self, size: usize, cb: usize, seal: Seal) -> Result<&mut [u8], Error> {
        self.map_left_intervals()?;
        if self.buffer.len() + size > self.buffer.capacity() {
            self.flush()?;
        }
        self.unsealed.push(UnsealedBlock {
            start: self.buffer.len(),
            cb,
            size,
            seal,
        });
        self.append(size)
    }

    /// Writes the map pages of every interval the cursor has left since the last call: into
    /// the buffer when it still holds them, else as a page of its own after the buffer that
    /// held them (the file thread writes in order).
    fn map_left_intervals(&mut self) -> Result<(), Error> {
        while interval_base(self.maps.done + 1) <= self.cursor {
            let i = self.maps.done;
            let end = interval_base(i + 1);
            let gaps_end = self.gaps.partition_point(|&(from, _)| from < end);
            let gaps = &self.gaps[..gaps_end];
            let buffer_start = self.cursor - self.buffer.len() as u64;
            let mut pages = Vec::new();
            let fmap = interval_maps(i, end, gaps, &mut self.maps.summary, |at, page| {
                pages.push((at, page));
            });
            for (at, page) in pages {
                // A buffer never ends inside a map page (see `reserve`).
                if at >= buffer_start {
                    let offset = (at - buffer_start) as usize;
                    self.buffer[offset..offset + PAGE_SIZE].copy_from_slice(&page);
                } else if let Err(error) = self.file.write(at, page.to_vec(), Vec::new()) {
                    self.failed = true;
                    return Err(error);
                }
            }
            self.maps.fmaps.extend(fmap.map(|at| (i, at)));
            // Its gaps are in its AMap now: kept, they grew with the file.
            self.gaps.drain(..gaps_end);
            self.maps.done = i + 1;
        }
        Ok(())
    }

    /// Hands the buffer to the file thread and goes on in a written one.
    fn flush(&mut self) -> Result<(), Error> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let at = self.cursor - self.buffer.len() as u64;
        // A map page written on its own comes back too: only whole buffers are used again.
        let next = std::iter::from_fn(|| self.file.spare_buffer())
            .find(|spare| spare.capacity() >= self.buffer_size)
            .unwrap_or_else(|| Vec::with_capacity(self.buffer_size));
        let full = std::mem::replace(&mut self.buffer, next);
        let blocks = std::mem::take(&mut self.unsealed);
        if let Err(error) = self.file.write(at, full, blocks) {
            self.failed = true;
            return Err(error);
        }
        Ok(())
    }

    /// The written file, with what the maps need to know.
    fn into_parts(mut self) -> Result<Streamed, Error> {
        self.map_left_intervals()?;
        self.flush()?;
        let gaps = std::mem::take(&mut self.gaps);
        Ok(Streamed {
            file: self.file.finish()?,
            gaps,
            maps: self.maps,
            end: self.cursor,
        })
    }
}

/// The file once every block and page is in it.
struct Streamed {
    file: File,
    /// Unallocated ranges behind `end`, in the intervals whose maps are not written yet.
    gaps: Vec<(u64, u64)>,
    /// The map pages written so far.
    maps: StreamMaps,
    /// The last byte written, exclusive.
    end: u64,
}

impl PageSink for Stream {
    fn next_page(&mut self) -> Result<(u64, u64), Error> {
        let ib = self.reserve(PAGE_SIZE as u64, PAGE_SIZE as u64)?;
        let bid = self.next_page_bid;
        self.next_page_bid += 1;
        Ok((ib, bid))
    }

    fn write_page(&mut self, ib: u64, page: &[u8; PAGE_SIZE]) -> Result<(), Error> {
        debug_assert_eq!(ib, self.cursor);
        self.write(page)
    }
}

/// What the map pages found, per interval.
#[derive(Debug, Default)]
struct MapSummary {
    /// Free slots of each AMap.
    free_slots: Vec<u16>,
    /// The FMap byte of each AMap (its longest run of free slots, at most 255).
    fmap_bytes: Vec<u8>,
}

/// The AMap, PMap and FPMap pages of interval `i`, handed to `write` with their offsets, and
/// the offset of its FMap page, if it has one (its bytes depend on the AMaps after it). The
/// interval's allocations are its map pages and everything from its data start up to `end`,
/// except `gaps` (those inside it). Adds the AMap's figures to `summary`.
fn interval_maps(
    i: u64,
    end: u64,
    gaps: &[(u64, u64)],
    summary: &mut MapSummary,
    mut write: impl FnMut(u64, [u8; PAGE_SIZE]),
) -> Option<u64> {
    let base = interval_base(i);
    let mut amap = AMap::with_map_pages(i);
    let used_end = end.min(interval_base(i + 1));
    let start = data_start(i);
    if used_end > start {
        amap.set((start - base) / SLOT_SIZE, (used_end - start) / SLOT_SIZE);
    }
    for &(from, to) in gaps {
        amap.clear((from - base) / SLOT_SIZE, (to - from) / SLOT_SIZE);
    }
    let mut fmap_at = None;
    for (at, ptype) in map_pages(i) {
        match ptype {
            PageType::AllocationMap => write(at, map_page(ptype, &amap.0, at)),
            PageType::FreeMap => fmap_at = Some(at),
            _ => write(at, map_page(ptype, &[0xFF; PAGE_BODY], at)),
        }
    }
    summary.free_slots.push(amap.free_slots() as u16);
    summary.fmap_bytes.push(amap::fmap_byte(&amap));
    fmap_at
}

/// Writes the map pages of the intervals from `maps.done` on (the stream wrote those before),
/// then every FMap page. The file ends at `end` (the last byte written); `gaps` are the
/// unallocated ranges of the intervals left.
fn write_maps(
    file: &mut File,
    intervals: u64,
    end: u64,
    gaps: &[(u64, u64)],
    maps: StreamMaps,
) -> Result<MapSummary, Error> {
    let StreamMaps {
        done,
        mut summary,
        mut fmaps,
        ..
    } = maps;
    let mut gaps = gaps;
    for i in done..intervals {
        let next = gaps.partition_point(|&(from, _)| from < interval_base(i + 1));
        let mut pages = Vec::new();
        let fmap = interval_maps(i, end, &gaps[..next], &mut summary, |at, page| {
            pages.push((at, page));
        });
        for (at, page) in pages {
            write_at(file, at, &page)?;
        }
        fmaps.extend(fmap.map(|at| (i, at)));
        gaps = &gaps[next..];
    }
    for (i, at) in fmaps {
        let mut body = [0u8; PAGE_BODY];
        for (slot, amap_index) in body.iter_mut().zip(amap::fmap_coverage(i)) {
            *slot = summary
                .fmap_bytes
                .get(amap_index as usize)
                .copied()
                .unwrap_or(0);
        }
        write_at(file, at, &map_page(PageType::FreeMap, &body, at))?;
    }
    Ok(summary)
}

/// The density list: AMaps with free slots, most free first, as many as fit; "backfill
/// complete" only if all of them fit.
fn density_list(free_slots: &[u16]) -> DListPage {
    let mut entries: Vec<DListEntry> = free_slots
        .iter()
        .enumerate()
        .filter(|(_, free)| **free > 0)
        .map(|(amap, free)| DListEntry {
            amap: amap as u32,
            free_slots: *free,
        })
        .collect();
    entries.sort_by_key(|entry| (std::cmp::Reverse(entry.free_slots), entry.amap));
    let complete = entries.len() <= DListPage::MAX_ENTRIES;
    entries.truncate(DListPage::MAX_ENTRIES);
    DListPage {
        flags: if complete {
            DListPage::BACKFILL_COMPLETE
        } else {
            0
        },
        current_page: free_slots.len().saturating_sub(1) as u32,
        entries,
    }
}

fn write_at(file: &mut File, at: u64, bytes: &[u8]) -> Result<(), Error> {
    file.seek(SeekFrom::Start(at))
        .and_then(|_| file.write_all(bytes))
        .map_err(|source| io_at("writing", at, source))
}

fn io_at(action: &'static str, offset: u64, source: std::io::Error) -> Error {
    Error::IoAt {
        action,
        offset,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_list_lists_most_free_first() {
        let dlist = density_list(&[3, 0, 100, 3]);
        assert_eq!(dlist.flags, DListPage::BACKFILL_COMPLETE);
        assert_eq!(dlist.current_page, 3);
        let order: Vec<_> = dlist
            .entries
            .iter()
            .map(|e| (e.amap, e.free_slots))
            .collect();
        assert_eq!(order, [(2, 100), (0, 3), (3, 3)]);
        let many = density_list(&[1; 200]);
        assert_eq!(many.entries.len(), 119);
        assert_eq!(many.flags, 0);
    }
}
