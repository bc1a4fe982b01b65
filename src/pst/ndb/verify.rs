//! A self-check of the [node database](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d2083cf-fd37-4a0d-b61a-d2ef10a89a04)
//! (MS-PST 2.2) of a finished PST: every rule this layer must keep, including those no open
//! reader looks at (allocation maps, reference counts, free-space summaries), so a mistake
//! shows up in our tests rather than in ScanPST.
//!
//! It reads the whole file once: header, both B-trees, every block, every map page and the
//! density list, and lists each problem found rather than stopping at the first.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use super::Error;
use super::amap::{
    self, AMap, FIRST_AMAP, INTERVAL, SLOT_SIZE, data_start, fmap_byte, interval_base, interval_of,
    map_pages,
};
use super::block::{
    BlockTrailer, DataTreeBlock, InternalBlock, MAX_BLOCK_DATA, SubnodeBlock, SubnodeEntry,
    TRAILER_SIZE, block_size,
};
use super::crc::crc;
use super::header::{BRef, HEADER_SIZE, Header, computed_crcs, stored_crcs};
use super::ids::{Bid, Nid};
use super::page::{
    BbtEntry, BtEntry, BtPageHeader, BtRecord, DListPage, NodeEntry, PAGE_BODY, PAGE_SIZE,
    PageTrailer, PageType, signature,
};
use super::reader::read_at;

/// Problems listed in full; past this many only a count is kept.
const MAX_LISTED: usize = 200;
const MAX_LEVEL: u8 = 8;

/// The part of the file a problem concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The HEADER and ROOT.
    Header,
    /// A BBT or NBT page: placement, type, CRC, signature, BID.
    Page,
    /// The shape of a B-tree: levels, key order, entry counts and sizes.
    BTree,
    /// A block: placement, size, trailer, CRC, content of an internal block.
    Block,
    /// Two things in the same place, or something outside the intervals.
    Allocation,
    /// An AMap whose bits are not the allocations, or `cbAMapFree`.
    AMap,
    /// A PMap, FMap or FPMap page.
    MapPage,
    /// A reference to a block that does not exist or is of the wrong kind, or a wrong `lcbTotal`.
    Reference,
    /// A `cRef` that does not match the references, or a block nothing refers to.
    RefCount,
    /// A NID above the header's `rgnid` counter, or a subnode tree out of order.
    Nid,
    /// The density list.
    DList,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

/// What the file holds, as counted while checking it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyStats {
    pub file_size: u64,
    pub intervals: u64,
    pub blocks: u64,
    pub internal_blocks: u64,
    /// Data bytes of the external blocks.
    pub data_bytes: u64,
    pub bbt_pages: u64,
    pub nbt_pages: u64,
    pub nodes: u64,
    /// Entries of all subnode trees, nested ones included.
    pub subnodes: u64,
    /// `cbAMapFree` as the AMaps have it.
    pub free_bytes: u64,
}

/// Every problem found (none: the file is clean) and what the file holds.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed.
    pub omitted: u64,
    pub stats: VerifyStats,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether a problem of this kind was found.
    pub fn has(&self, kind: ProblemKind) -> bool {
        self.problems.iter().any(|problem| problem.kind == kind)
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return write!(f, "clean: {:?}", self.stats);
        }
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        if self.omitted > 0 {
            writeln!(f, "... and {} more", self.omitted)?;
        }
        Ok(())
    }
}

/// Checks the NDB layer of the PST at `path` (MS-PST 2.2 and the rules of a write-once file:
/// AMaps exactly the allocations, `cRef` = 1 + references, no unreferenced block).
pub fn verify(path: &Path) -> Result<VerifyReport, Error> {
    let file = File::open(path).map_err(|source| Error::Path {
        path: path.to_path_buf(),
        source,
    })?;
    let len = file
        .metadata()
        .map_err(|source| Error::Path {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    let mut verifier = Verifier {
        file: BufReader::new(file),
        len,
        report: VerifyReport::default(),
        intervals: 0,
        pages: Vec::new(),
    };
    verifier.run()?;
    Ok(verifier.report)
}

struct Verifier<R> {
    file: R,
    len: u64,
    report: VerifyReport,
    /// Whole intervals in the file.
    intervals: u64,
    /// BBT and NBT pages: (offset, BID).
    pages: Vec<(u64, u64)>,
}

/// What a reference must point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The root of a data tree: a data block, XBLOCK or XXBLOCK.
    DataRoot,
    /// A child of an XBLOCK: a data block.
    DataBlock,
    /// A child of an XXBLOCK: an XBLOCK.
    XBlock,
    /// The root of a subnode tree: an SLBLOCK or SIBLOCK.
    SubnodeRoot,
    /// A child of an SIBLOCK: an SLBLOCK.
    SlBlock,
}

impl<R: Read + Seek> Verifier<R> {
    fn problem(&mut self, kind: ProblemKind, message: String) {
        if self.report.problems.len() < MAX_LISTED {
            self.report.problems.push(Problem { kind, message });
        } else {
            self.report.omitted += 1;
        }
    }

    fn run(&mut self) -> Result<(), Error> {
        self.report.stats.file_size = self.len;
        let Some(header) = self.check_header()? else {
            return Ok(());
        };
        let bbt = self.walk_tree::<BbtEntry>(header.root.bbt, PageType::BlockBTree)?;
        let nodes = self.walk_tree::<NodeEntry>(header.root.nbt, PageType::NodeBTree)?;
        self.report.stats.nodes = nodes.len() as u64;
        self.report.stats.blocks = bbt.len() as u64;

        let mut expected: Vec<AMap> = (0..self.intervals).map(AMap::with_map_pages).collect();
        for (ib, bid) in self.pages.clone() {
            self.mark(
                &mut expected,
                ib,
                PAGE_SIZE as u64,
                &format!("page {bid:#x}"),
            );
            if !ib.is_multiple_of(PAGE_SIZE as u64) {
                self.problem(
                    ProblemKind::Page,
                    format!("page {bid:#x} at {ib:#x} is not 512-aligned"),
                );
            }
            if bid >= header.next_page_bid {
                self.problem(
                    ProblemKind::Header,
                    format!(
                        "bidNextP {:#x} is not above page BID {bid:#x}",
                        header.next_page_bid
                    ),
                );
            }
        }
        let internals = self.check_blocks(&header, &bbt, &mut expected)?;
        let free_slots = self.check_maps(&header, &expected)?;
        self.check_dlist(&header, &free_slots)?;
        self.check_references(&header, &bbt, &nodes, &internals);
        Ok(())
    }

    /// The header's CRCs, constants and sizes; `None` when nothing more can be checked.
    fn check_header(&mut self) -> Result<Option<Header>, Error> {
        if self.len < interval_base(1) {
            self.problem(
                ProblemKind::Header,
                format!(
                    "the file has {} bytes, less than one AMap interval",
                    self.len
                ),
            );
            return Ok(None);
        }
        let mut bytes = [0u8; HEADER_SIZE];
        read_at(&mut self.file, 0, &mut bytes)?;
        let header = Header::decode(&bytes);
        let (partial, full) = stored_crcs(&bytes);
        let (want_partial, want_full) = computed_crcs(&bytes);
        if partial != want_partial {
            self.problem(
                ProblemKind::Header,
                format!("dwCRCPartial {partial:#010x}, the bytes call for {want_partial:#010x}"),
            );
        }
        if full != want_full {
            self.problem(
                ProblemKind::Header,
                format!("dwCRCFull {full:#010x}, the bytes call for {want_full:#010x}"),
            );
        }
        for (field, value) in header.constant_problems() {
            self.problem(ProblemKind::Header, format!("{field} is {value:#x}"));
        }
        let mut rest = vec![0u8; DListPage::OFFSET as usize - HEADER_SIZE];
        read_at(&mut self.file, HEADER_SIZE as u64, &mut rest)?;
        if let Some(at) = rest.iter().position(|b| *b != 0) {
            self.problem(
                ProblemKind::Header,
                format!("byte {:#x} after the header is not zero", HEADER_SIZE + at),
            );
        }
        if !(self.len - FIRST_AMAP).is_multiple_of(INTERVAL) {
            self.problem(
                ProblemKind::Header,
                format!(
                    "the file's {} bytes are not 0x4400 + a whole number of intervals",
                    self.len
                ),
            );
        }
        self.intervals = (self.len - FIRST_AMAP) / INTERVAL;
        self.report.stats.intervals = self.intervals;
        if header.root.file_eof != self.len {
            self.problem(
                ProblemKind::Header,
                format!(
                    "ibFileEof {:#x}, but the file has {:#x} bytes",
                    header.root.file_eof, self.len
                ),
            );
        }
        let last = interval_base(self.intervals - 1);
        if header.root.amap_last != last {
            self.problem(
                ProblemKind::Header,
                format!(
                    "ibAMapLast {:#x}, but the last AMap is at {last:#x}",
                    header.root.amap_last
                ),
            );
        }
        if header.root.pmap_free != 0 {
            self.problem(
                ProblemKind::Header,
                format!("cbPMapFree {:#x}, not 0", header.root.pmap_free),
            );
        }
        if header.unique == 0 {
            self.problem(ProblemKind::Header, "dwUnique is 0".into());
        }
        Ok(Some(header))
    }

    /// Walks a B-tree from its root, checking every page, and returns its leaf entries in
    /// key order.
    fn walk_tree<E: BtRecord>(&mut self, root: BRef, tree: PageType) -> Result<Vec<E>, Error> {
        let name = if tree == PageType::NodeBTree {
            "NBT"
        } else {
            "BBT"
        };
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        let mut last_key: Option<u64> = None;
        let mut stack: Vec<(BRef, Option<u8>, Option<u64>)> = vec![(root, None, None)];
        while let Some((bref, level, first_key)) = stack.pop() {
            if !seen.insert(bref.ib) {
                self.problem(
                    ProblemKind::BTree,
                    format!("{name} page at {:#x} is reached twice", bref.ib),
                );
                continue;
            }
            let Some(page) = self.read_page(bref, tree)? else {
                continue;
            };
            if tree == PageType::NodeBTree {
                self.report.stats.nbt_pages += 1;
            } else {
                self.report.stats.bbt_pages += 1;
            }
            let header = BtPageHeader::decode(&page);
            let at = bref.ib;
            if header.level > MAX_LEVEL || level.is_some_and(|level| level != header.level) {
                self.problem(
                    ProblemKind::BTree,
                    format!(
                        "{name} page at {at:#x}: cLevel {} where {level:?} belongs",
                        header.level
                    ),
                );
                continue;
            }
            let (size, max) = if header.level == 0 {
                (E::SIZE, E::MAX)
            } else {
                (BtEntry::SIZE, BtEntry::MAX)
            };
            if usize::from(header.entry_size) != size
                || usize::from(header.max) != max
                || header.count > header.max
            {
                self.problem(
                    ProblemKind::BTree,
                    format!(
                        "{name} page at {at:#x}: cEnt {} cEntMax {} cbEnt {}, expected cbEnt {size} cEntMax {max}",
                        header.count, header.max, header.entry_size
                    ),
                );
                continue;
            }
            if header.padding != 0 {
                self.problem(
                    ProblemKind::BTree,
                    format!("{name} page at {at:#x}: dwPadding {:#x}", header.padding),
                );
            }
            if header.count == 0 && level.is_some() {
                self.problem(
                    ProblemKind::BTree,
                    format!("{name} page at {at:#x} is empty but not the root"),
                );
            }
            if header.level == 0 {
                for i in 0..usize::from(header.count) {
                    let Some(raw) = header.entry(&page, i) else {
                        break;
                    };
                    let Some(entry) = E::decode(raw) else {
                        break;
                    };
                    let key = entry.key();
                    if i == 0 && first_key.is_some_and(|first| first != key) {
                        self.problem(
                            ProblemKind::BTree,
                            format!(
                                "{name} page at {at:#x} starts with key {key:#x}, its parent says {:#x}",
                                first_key.unwrap_or(0)
                            ),
                        );
                    }
                    if last_key.is_some_and(|last| last >= key) {
                        self.problem(
                            ProblemKind::BTree,
                            format!("{name} key {key:#x} at {at:#x} is not above the one before"),
                        );
                    }
                    last_key = Some(key);
                    self.check_entry_padding(tree, raw, at, key);
                    entries.push(entry);
                }
            } else {
                let children: Vec<BtEntry> = (0..usize::from(header.count))
                    .filter_map(|i| header.entry(&page, i).and_then(BtEntry::decode))
                    .collect();
                if let (Some(first), Some(child)) = (first_key, children.first())
                    && first != child.key
                {
                    self.problem(
                        ProblemKind::BTree,
                        format!(
                            "{name} page at {at:#x} starts with key {:#x}, its parent says {first:#x}",
                            child.key
                        ),
                    );
                }
                if children.windows(2).any(|pair| pair[0].key >= pair[1].key) {
                    self.problem(
                        ProblemKind::BTree,
                        format!("{name} page at {at:#x}: keys out of order"),
                    );
                }
                for child in children.iter().rev() {
                    stack.push((child.bref, Some(header.level - 1), Some(child.key)));
                }
            }
        }
        Ok(entries)
    }

    fn check_entry_padding(&mut self, tree: PageType, raw: &[u8], at: u64, key: u64) {
        let padding = if tree == PageType::NodeBTree {
            NodeEntry::stored_padding(raw).map(|(high, pad)| u64::from(high) | u64::from(pad))
        } else {
            BbtEntry::decode(raw).map(|entry| u64::from(entry.padding))
        };
        if padding.is_some_and(|padding| padding != 0) {
            self.problem(
                ProblemKind::BTree,
                format!("entry {key:#x} in the page at {at:#x} has non-zero padding"),
            );
        }
    }

    /// Reads a BBT or NBT page and checks its placement and trailer; `None` when it cannot
    /// be read at all.
    fn read_page(&mut self, bref: BRef, tree: PageType) -> Result<Option<[u8; PAGE_SIZE]>, Error> {
        let at = bref.ib;
        if at < FIRST_AMAP
            || at
                .checked_add(PAGE_SIZE as u64)
                .is_none_or(|end| end > self.len)
        {
            self.problem(
                ProblemKind::Page,
                format!("page {:#x} at {at:#x} lies outside the file", bref.bid),
            );
            return Ok(None);
        }
        let mut page = [0u8; PAGE_SIZE];
        read_at(&mut self.file, at, &mut page)?;
        self.pages.push((at, bref.bid));
        self.check_trailer(&page, at, tree, bref.bid);
        Ok(Some(page))
    }

    /// A page's type, signature, CRC and BID.
    fn check_trailer(&mut self, page: &[u8; PAGE_SIZE], at: u64, ptype: PageType, bid: u64) {
        let trailer = PageTrailer::decode(page);
        if trailer.ptype != ptype as u8 || trailer.ptype_repeat != ptype as u8 {
            self.problem(
                ProblemKind::Page,
                format!(
                    "page at {at:#x}: ptype {:#x}/{:#x}, expected {:#x}",
                    trailer.ptype, trailer.ptype_repeat, ptype as u8
                ),
            );
        }
        let kind = if ptype.is_map() {
            ProblemKind::MapPage
        } else {
            ProblemKind::Page
        };
        if trailer.crc != crc(&page[..PAGE_BODY]) {
            self.problem(
                kind,
                format!("page at {at:#x}: dwCRC {:#010x} is wrong", trailer.crc),
            );
        }
        if trailer.sig != ptype.signature(at, bid) {
            self.problem(
                kind,
                format!("page at {at:#x}: wSig {:#06x} is wrong", trailer.sig),
            );
        }
        if trailer.bid != bid {
            self.problem(
                kind,
                format!("page at {at:#x}: bid {:#x}, expected {bid:#x}", trailer.bid),
            );
        }
    }

    /// Marks `size` bytes at `at` in the expected AMaps, reporting overlaps and strays.
    fn mark(&mut self, expected: &mut [AMap], at: u64, size: u64, what: &str) {
        let i = interval_of(at);
        let base = interval_base(i);
        let Some(amap) = expected.get_mut(i as usize).filter(|_| at >= FIRST_AMAP) else {
            self.problem(
                ProblemKind::Allocation,
                format!("{what} at {at:#x} lies outside the intervals"),
            );
            return;
        };
        if at + size > interval_base(i + 1) {
            self.problem(
                ProblemKind::Allocation,
                format!("{what} at {at:#x} runs into the next interval"),
            );
        }
        let overlapped = amap.set((at - base) / SLOT_SIZE, size.div_ceil(SLOT_SIZE));
        if overlapped > 0 {
            self.problem(
                ProblemKind::Allocation,
                format!("{what} at {at:#x} overlaps {overlapped} slots already in use"),
            );
        }
    }

    /// Every BBT entry against its block; returns the decoded internal blocks.
    fn check_blocks(
        &mut self,
        header: &Header,
        bbt: &[BbtEntry],
        expected: &mut [AMap],
    ) -> Result<HashMap<u64, InternalBlock>, Error> {
        let mut internals = HashMap::new();
        let mut bytes = Vec::new();
        for entry in bbt {
            let BRef { bid, ib } = entry.bref;
            let what = format!("block {bid:#x}");
            if bid & 1 != 0 || bid >> 2 == 0 {
                self.problem(ProblemKind::Block, format!("{what}: not a valid block BID"));
            }
            if bid >= header.next_block_bid {
                self.problem(
                    ProblemKind::Header,
                    format!("bidNextB {:#x} is not above {what}", header.next_block_bid),
                );
            }
            let cb = usize::from(entry.cb);
            if !(1..=MAX_BLOCK_DATA).contains(&cb) {
                self.problem(ProblemKind::Block, format!("{what}: cb {cb} out of range"));
                continue;
            }
            let size = block_size(cb);
            if !ib.is_multiple_of(SLOT_SIZE) {
                self.problem(
                    ProblemKind::Block,
                    format!("{what} at {ib:#x} is not 64-aligned"),
                );
            }
            if ib < FIRST_AMAP || ib.checked_add(size).is_none_or(|end| end > self.len) {
                self.problem(
                    ProblemKind::Block,
                    format!("{what} at {ib:#x} lies outside the file"),
                );
                continue;
            }
            if ib < data_start(interval_of(ib)) {
                self.problem(
                    ProblemKind::Allocation,
                    format!("{what} at {ib:#x} lies on its interval's map pages"),
                );
            }
            self.mark(expected, ib, size, &what);
            bytes.resize(size as usize, 0);
            read_at(&mut self.file, ib, &mut bytes)?;
            let trailer = BlockTrailer::decode(&bytes[bytes.len() - TRAILER_SIZE..]);
            let stored = &bytes[..cb];
            match trailer {
                Some(trailer) if usize::from(trailer.cb) != cb => self.problem(
                    ProblemKind::Block,
                    format!("{what}: trailer cb {} but BBT cb {cb}", trailer.cb),
                ),
                Some(trailer) if trailer.bid.0 != bid => self.problem(
                    ProblemKind::Block,
                    format!("{what}: trailer bid {:#x}", trailer.bid.0),
                ),
                Some(trailer) if trailer.sig != signature(ib, bid) => self.problem(
                    ProblemKind::Block,
                    format!("{what}: wSig {:#06x} is wrong", trailer.sig),
                ),
                Some(trailer) if trailer.crc != crc(stored) => self.problem(
                    ProblemKind::Block,
                    format!("{what}: dwCRC {:#010x} is wrong", trailer.crc),
                ),
                _ => {}
            }
            if bid & 2 == 0 {
                self.report.stats.data_bytes += cb as u64;
                continue;
            }
            self.report.stats.internal_blocks += 1;
            match InternalBlock::decode(stored) {
                Ok(block) => {
                    internals.insert(bid, block);
                }
                Err(bad) => self.problem(
                    ProblemKind::Block,
                    format!("{what}: {} {:#x}", bad.field, bad.value),
                ),
            }
        }
        Ok(internals)
    }

    /// Every interval's map pages against the allocations; returns each AMap's free slots.
    fn check_maps(&mut self, header: &Header, expected: &[AMap]) -> Result<Vec<u16>, Error> {
        let mut free_slots = Vec::with_capacity(expected.len());
        let mut fmap_bytes = Vec::with_capacity(expected.len());
        let mut fmaps = Vec::new();
        for (i, want) in (0..self.intervals).zip(expected) {
            for (at, ptype) in map_pages(i).collect::<Vec<_>>() {
                let mut page = [0u8; PAGE_SIZE];
                read_at(&mut self.file, at, &mut page)?;
                self.check_trailer(&page, at, ptype, at);
                let mut body = [0u8; PAGE_BODY];
                body.copy_from_slice(&page[..PAGE_BODY]);
                match ptype {
                    PageType::AllocationMap => {
                        let actual = AMap(body);
                        if let Some(slot) = actual.first_difference(want) {
                            let offset = at + slot * SLOT_SIZE;
                            self.problem(
                                ProblemKind::AMap,
                                format!(
                                    "AMap at {at:#x}: the bit of {offset:#x} is {}, but that slot is {}",
                                    u8::from(actual.is_set(slot)),
                                    if want.is_set(slot) { "in use" } else { "free" }
                                ),
                            );
                        }
                        free_slots.push(actual.free_slots() as u16);
                        fmap_bytes.push(fmap_byte(&actual));
                    }
                    PageType::FreeMap => fmaps.push((i, at, body)),
                    _ => {
                        if body.iter().any(|b| *b != 0xFF) {
                            self.problem(
                                ProblemKind::MapPage,
                                format!("{ptype:?} page at {at:#x} is not all 0xFF"),
                            );
                        }
                    }
                }
            }
        }
        for (i, at, body) in fmaps {
            let wrong = amap::fmap_coverage(i)
                .zip(body)
                .find(|(amap, byte)| *byte != fmap_bytes.get(*amap as usize).copied().unwrap_or(0));
            if let Some((amap, byte)) = wrong {
                self.problem(
                    ProblemKind::MapPage,
                    format!("FMap at {at:#x}: byte {byte:#x} for AMap {amap} is not its longest free run"),
                );
            }
        }
        let rgb_fm = amap::initial_fmap(&fmap_bytes);
        if let Some(at) = (0..rgb_fm.len()).find(|i| header.rgb_fm[*i] != rgb_fm[*i]) {
            self.problem(
                ProblemKind::Header,
                format!(
                    "rgbFM byte {at} is {:#x}, AMap {at} calls for {:#x} (its longest free run, 0 past the file)",
                    header.rgb_fm[at], rgb_fm[at]
                ),
            );
        }
        let free = free_slots.iter().map(|n| u64::from(*n)).sum::<u64>() * SLOT_SIZE;
        self.report.stats.free_bytes = free;
        if header.root.amap_free != free {
            self.problem(
                ProblemKind::AMap,
                format!(
                    "cbAMapFree {:#x}, the AMaps have {free:#x} free bytes",
                    header.root.amap_free
                ),
            );
        }
        Ok(free_slots)
    }

    fn check_dlist(&mut self, header: &Header, free_slots: &[u16]) -> Result<(), Error> {
        let at = DListPage::OFFSET;
        let mut page = [0u8; PAGE_SIZE];
        read_at(&mut self.file, at, &mut page)?;
        self.check_trailer(&page, at, PageType::DensityList, header.next_page_bid);
        let (dlist, clean) = DListPage::decode(&page);
        if !clean {
            self.problem(
                ProblemKind::DList,
                "cEntDList over 119 or padding not zero".into(),
            );
        }
        if dlist.current_page as usize >= free_slots.len() {
            self.problem(
                ProblemKind::DList,
                format!("ulCurrentPage {} names no AMap", dlist.current_page),
            );
        }
        for entry in &dlist.entries {
            match free_slots.get(entry.amap as usize) {
                Some(free) if *free == entry.free_slots => {}
                found => self.problem(
                    ProblemKind::DList,
                    format!(
                        "entry for AMap {} says {} free slots, the AMap has {found:?}",
                        entry.amap, entry.free_slots
                    ),
                ),
            }
        }
        Ok(())
    }

    /// Follows every reference from the NBT down: each must name a block of the right kind;
    /// then each block's `cRef` must be 1 + the references found, and none may be orphaned.
    fn check_references(
        &mut self,
        header: &Header,
        bbt: &[BbtEntry],
        nodes: &[NodeEntry],
        internals: &HashMap<u64, InternalBlock>,
    ) {
        let mut references = vec![0u64; bbt.len()];
        let mut visited = vec![false; bbt.len()];
        let index_of = |bid: u64| bbt.binary_search_by_key(&bid, |entry| entry.bref.bid).ok();
        let mut stack: Vec<(Bid, Expect, String)> = Vec::new();
        for node in nodes {
            self.check_nid(header, node.nid, "NBT");
            if !node.data.is_none() {
                stack.push((
                    node.data,
                    Expect::DataRoot,
                    format!("node {:#x} bidData", node.nid.0),
                ));
            }
            if !node.sub.is_none() {
                stack.push((
                    node.sub,
                    Expect::SubnodeRoot,
                    format!("node {:#x} bidSub", node.nid.0),
                ));
            }
        }
        while let Some((bid, expect, owner)) = stack.pop() {
            let Some(index) = index_of(bid.0) else {
                self.problem(
                    ProblemKind::Reference,
                    format!("{owner} names {:#x}, which is not in the BBT", bid.0),
                );
                continue;
            };
            references[index] += 1;
            let internal = bid.is_internal();
            let kind_ok = match expect {
                Expect::DataRoot => true,
                Expect::DataBlock => !internal,
                _ => internal,
            };
            if !kind_ok {
                self.problem(
                    ProblemKind::Reference,
                    format!("{owner} names {:#x}, which is not a {expect:?}", bid.0),
                );
                continue;
            }
            if visited[index] || !internal {
                continue;
            }
            visited[index] = true;
            let Some(block) = internals.get(&bid.0) else {
                continue;
            };
            let here = format!("block {:#x}", bid.0);
            match (expect, block) {
                (Expect::DataRoot | Expect::XBlock, InternalBlock::DataTree(tree))
                    if tree.level == 1 || expect == Expect::DataRoot =>
                {
                    if expect == Expect::DataRoot {
                        let short = Self::short_block(tree, bbt, internals, &index_of);
                        if let Some((leaf, cb)) = short {
                            self.problem(
                                ProblemKind::Reference,
                                format!(
                                    "{here}: data block {leaf:#x} has {cb} bytes; every block of a data tree but the last holds 8176"
                                ),
                            );
                        }
                    }
                    let child_expect = if tree.level == 1 {
                        Expect::DataBlock
                    } else {
                        Expect::XBlock
                    };
                    let sum: u64 = tree
                        .children
                        .iter()
                        .map(|child| {
                            if tree.level == 1 {
                                index_of(child.0)
                                    .and_then(|i| bbt.get(i))
                                    .map_or(0, |entry| u64::from(entry.cb))
                            } else {
                                match internals.get(&child.0) {
                                    Some(InternalBlock::DataTree(x)) => u64::from(x.total),
                                    _ => 0,
                                }
                            }
                        })
                        .sum();
                    if sum != u64::from(tree.total) {
                        self.problem(
                            ProblemKind::Reference,
                            format!(
                                "{here}: lcbTotal {} but its children hold {sum} bytes",
                                tree.total
                            ),
                        );
                    }
                    for child in tree.children.iter().rev() {
                        stack.push((*child, child_expect, here.clone()));
                    }
                }
                (
                    Expect::SubnodeRoot | Expect::SlBlock,
                    InternalBlock::Subnode(SubnodeBlock::Leaf(entries)),
                ) => {
                    self.report.stats.subnodes += entries.len() as u64;
                    self.check_subnode_entries(header, &here, entries);
                    for entry in entries.iter().rev() {
                        let owner = format!("{here} subnode {:#x}", entry.nid.0);
                        if !entry.sub.is_none() {
                            stack.push((entry.sub, Expect::SubnodeRoot, owner.clone()));
                        }
                        if entry.data.is_none() {
                            self.problem(ProblemKind::Reference, format!("{owner} has no data"));
                        } else {
                            stack.push((entry.data, Expect::DataRoot, owner));
                        }
                    }
                }
                (
                    Expect::SubnodeRoot,
                    InternalBlock::Subnode(SubnodeBlock::Intermediate(children)),
                ) => {
                    if children.windows(2).any(|pair| pair[0].nid >= pair[1].nid) {
                        self.problem(ProblemKind::Nid, format!("{here}: SIENTRYs out of order"));
                    }
                    for child in children.iter().rev() {
                        let first = match internals.get(&child.bid.0) {
                            Some(InternalBlock::Subnode(SubnodeBlock::Leaf(entries))) => {
                                entries.first().map(|entry| entry.nid)
                            }
                            _ => None,
                        };
                        if first.is_some_and(|first| first != child.nid) {
                            self.problem(
                                ProblemKind::Nid,
                                format!(
                                    "{here}: SIENTRY nid {:#x} is not the first of its SLBLOCK",
                                    child.nid.0
                                ),
                            );
                        }
                        stack.push((child.bid, Expect::SlBlock, here.clone()));
                    }
                }
                (_, block) => {
                    let found = match block {
                        InternalBlock::DataTree(tree) if tree.level == 1 => "XBLOCK",
                        InternalBlock::DataTree(_) => "XXBLOCK",
                        InternalBlock::Subnode(SubnodeBlock::Leaf(_)) => "SLBLOCK",
                        InternalBlock::Subnode(SubnodeBlock::Intermediate(_)) => "SIBLOCK",
                    };
                    self.problem(
                        ProblemKind::Reference,
                        format!("{owner} names {here}, an {found}, where a {expect:?} belongs"),
                    );
                }
            }
        }
        for (entry, count) in bbt.iter().zip(references) {
            let bid = entry.bref.bid;
            if count == 0 {
                self.problem(
                    ProblemKind::RefCount,
                    format!("block {bid:#x} is referenced by nothing"),
                );
            } else if u64::from(entry.cref) != count + 1 {
                self.problem(
                    ProblemKind::RefCount,
                    format!(
                        "block {bid:#x}: cRef {} but {count} references (+1 for the BBT)",
                        entry.cref
                    ),
                );
            }
        }
    }

    /// The first data block of the tree under `root` (an XBLOCK or XXBLOCK) that is shorter
    /// than 8176 bytes without being the tree's last: (its BID, its size).
    fn short_block(
        root: &DataTreeBlock,
        bbt: &[BbtEntry],
        internals: &HashMap<u64, InternalBlock>,
        index_of: &impl Fn(u64) -> Option<usize>,
    ) -> Option<(u64, u16)> {
        let leaves: Vec<Bid> = if root.level == 1 {
            root.children.clone()
        } else {
            root.children
                .iter()
                .flat_map(|xblock| match internals.get(&xblock.0) {
                    Some(InternalBlock::DataTree(tree)) => tree.children.clone(),
                    _ => Vec::new(),
                })
                .collect()
        };
        let (_, before_last) = leaves.split_last()?;
        before_last.iter().find_map(|leaf| {
            let cb = index_of(leaf.0).and_then(|i| bbt.get(i))?.cb;
            (usize::from(cb) != MAX_BLOCK_DATA).then_some((leaf.0, cb))
        })
    }

    fn check_subnode_entries(&mut self, header: &Header, here: &str, entries: &[SubnodeEntry]) {
        if entries.windows(2).any(|pair| pair[0].nid >= pair[1].nid) {
            self.problem(ProblemKind::Nid, format!("{here}: SLENTRYs out of order"));
        }
        for entry in entries {
            self.check_nid(header, entry.nid, here);
        }
    }

    fn check_nid(&mut self, header: &Header, nid: Nid, place: &str) {
        let counter = header
            .rgnid
            .get(usize::from(nid.type_bits()))
            .copied()
            .unwrap_or(0);
        if nid.0 == 0 {
            self.problem(ProblemKind::Nid, format!("{place}: NID 0"));
        } else if nid.index() > counter {
            self.problem(
                ProblemKind::Nid,
                format!(
                    "{place}: NID {:#x} has index {:#x}, above rgnid[{:#x}] = {counter:#x}",
                    nid.0,
                    nid.index(),
                    nid.type_bits()
                ),
            );
        }
    }
}
