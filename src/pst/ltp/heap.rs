//! [Heap-on-node](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/77ce49a3-3772-4d8d-bb2c-2f7520a238a6)
//! (MS-PST 2.3.1): small allocations addressed by HID, one heap page per data block of the node.
//!
//! Page 0 opens with an HNHDR, pages 8, 136, 264… with an HNBITMAPHDR, every other page with an
//! HNPAGEHDR; the allocations follow back to back and the HNPAGEMAP closes the page at an even
//! offset. We never free, so `cFree` is always 0 and no allocation is empty.
//!
//! Every page but the last is a full 8176-byte block: the heap is a node's data tree, and
//! ScanPST calls an XBLOCK whose blocks before the last are shorter invalid and drops the node
//! (docs/pst-writer-notes.md §2.1, §3.1). The room a page has left is filled with padding
//! allocations that nothing refers to, as PSTForge, whose files ScanPST and Outlook accept,
//! does; a page takes an allocation only if it can still be filled exactly afterwards.

use std::collections::VecDeque;
use std::fmt;

use super::{Error, NodeBlocks, bytes_at, u16_at, u32_at};

/// The largest heap allocation (MS-PST 2.6.2.1.2); larger values go to subnodes.
pub const MAX_ALLOCATION: usize = 3580;
/// The largest data block, so the largest heap page.
pub const MAX_BLOCK: usize = 8176;

/// `hidBlockIndex` is 16 bits wide.
const MAX_PAGES: usize = 1 << 16;
/// `hidIndex` is 11 bits wide and counts from 1.
const MAX_ALLOCATIONS_PER_PAGE: usize = 2047;
const HNHDR_SIZE: usize = 12;
const HNPAGEHDR_SIZE: usize = 2;
const HNBITMAPHDR_SIZE: usize = 66;
const HEAP_SIGNATURE: u8 = 0xEC;
/// A new allocation goes to the first of this many most recent pages with room. Looking further
/// back packs a little tighter but costs time on tables of 100,000 rows.
const OPEN_PAGES: usize = 16;

/// `bClientSig`: what the heap holds (MS-PST 2.3.1.2).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientSig {
    Reserved1 = 0x6C,
    /// `bTypeTC`: a table context.
    TableContext = 0x7C,
    Reserved2 = 0x8C,
    /// Outlook's hierarchy map node (0xC01) uses this one.
    Reserved3 = 0x9C,
    Reserved4 = 0xA5,
    Reserved5 = 0xAC,
    /// `bTypeBTH`: a plain BTH.
    Bth = 0xB5,
    /// `bTypePC`: a property context.
    PropertyContext = 0xBC,
    Reserved6 = 0xCC,
}

impl ClientSig {
    pub fn from_u8(value: u8) -> Option<ClientSig> {
        use ClientSig::*;
        Some(match value {
            0x6C => Reserved1,
            0x7C => TableContext,
            0x8C => Reserved2,
            0x9C => Reserved3,
            0xA5 => Reserved4,
            0xAC => Reserved5,
            0xB5 => Bth,
            0xBC => PropertyContext,
            0xCC => Reserved6,
            _ => return None,
        })
    }
}

/// A heap ID (MS-PST 2.3.1.1): `block_index << 16 | alloc_index << 5`, `alloc_index` counting
/// from 1; the low five bits (the NID type) are 0. The first allocation of page 0 is 0x20.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hid(pub u32);

impl Hid {
    /// No allocation: an empty value's HNID, an empty BTH's root.
    pub const NONE: Hid = Hid(0);

    /// The HID of allocation `alloc_index` (1..=2047) of page `block_index`.
    pub const fn new(block_index: u16, alloc_index: u16) -> Hid {
        Hid(((block_index as u32) << 16) | (((alloc_index & 0x7FF) as u32) << 5))
    }

    pub const fn block_index(self) -> u16 {
        (self.0 >> 16) as u16
    }

    pub const fn alloc_index(self) -> u16 {
        ((self.0 >> 5) & 0x7FF) as u16
    }

    /// Whether an HNID names a heap allocation (type bits 0) rather than a subnode.
    pub const fn is_hid(hnid: u32) -> bool {
        hnid & 0x1F == 0
    }
}

impl fmt::Debug for Hid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hid({:#x})", self.0)
    }
}

/// The header length of heap page `index`.
fn header_size(index: usize) -> usize {
    match index {
        0 => HNHDR_SIZE,
        i if i % 128 == 8 => HNBITMAPHDR_SIZE,
        _ => HNPAGEHDR_SIZE,
    }
}

/// The HNPAGEMAP sits at the first even offset after the allocations.
fn page_map_offset(data_end: usize) -> usize {
    data_end + data_end % 2
}

/// The length of a page with allocations ending at `data_end` and `count` allocations.
fn page_len(data_end: usize, count: usize) -> usize {
    page_map_offset(data_end) + 4 + 2 * (count + 1)
}

/// `rgbFillLevel` entry of a page: how much of the largest block it leaves free (MS-PST 2.3.1.2).
fn fill_level(page_len: usize) -> u8 {
    let free = MAX_BLOCK.saturating_sub(page_len);
    const LEVELS: [(usize, u8); 15] = [
        (3584, 0),
        (2560, 1),
        (2048, 2),
        (1792, 3),
        (1536, 4),
        (1280, 5),
        (1024, 6),
        (768, 7),
        (512, 8),
        (256, 9),
        (128, 10),
        (64, 11),
        (32, 12),
        (16, 13),
        (8, 14),
    ];
    LEVELS
        .iter()
        .find(|(at_least, _)| free >= *at_least)
        .map_or(15, |(_, level)| *level)
}

/// How a page whose `count` allocations end at `data_end` is filled to exactly 8176 bytes:
/// (number of padding allocations, their bytes in all), or `None` if it cannot be (2 bytes
/// short, or no allocation left). Each padding allocation takes 1..=3580 bytes and a page-map
/// entry of 2.
fn padding(data_end: usize, count: usize) -> Option<(usize, usize)> {
    if page_len(data_end, count) == MAX_BLOCK {
        return Some((0, 0));
    }
    for added in 1..=3 {
        let map_at = MAX_BLOCK.checked_sub(4 + 2 * (count + added + 1))?;
        let bytes = map_at.checked_sub(data_end)?;
        if count + added > MAX_ALLOCATIONS_PER_PAGE || bytes < added {
            return None;
        }
        if bytes <= added * MAX_ALLOCATION {
            return Some((added, bytes));
        }
    }
    None
}

/// Fill levels of `pages` page lengths packed two to a byte, the first in the low nibble.
fn pack_fill_levels(page_lens: &[usize], out: &mut [u8]) {
    for (i, len) in page_lens.iter().enumerate() {
        if let Some(byte) = out.get_mut(i / 2) {
            *byte |= fill_level(*len) << (4 * (i % 2));
        }
    }
}

#[derive(Debug)]
struct PageBuilder {
    /// The page's bytes from offset 0: a zeroed header, then the allocations.
    bytes: Vec<u8>,
    /// Start offset of each allocation.
    starts: Vec<u16>,
}

impl PageBuilder {
    fn new(index: usize) -> PageBuilder {
        PageBuilder {
            bytes: vec![0; header_size(index)],
            starts: Vec::new(),
        }
    }

    fn has_room(&self, size: usize) -> bool {
        let count = self.starts.len() + 1;
        let end = self.bytes.len() + size;
        count <= MAX_ALLOCATIONS_PER_PAGE
            && page_len(end, count) <= MAX_BLOCK
            && padding(end, count).is_some()
    }

    fn len(&self) -> usize {
        page_len(self.bytes.len(), self.starts.len())
    }

    /// Adds the padding allocations (zeros) that make the page 8176 bytes long.
    fn fill(&mut self) {
        let Some((count, bytes)) = padding(self.bytes.len(), self.starts.len()) else {
            return;
        };
        for i in 0..count {
            // Spread evenly: no part over 3580 bytes, none empty.
            let size = bytes / count + usize::from(i < bytes % count);
            self.starts.push(self.bytes.len() as u16);
            self.bytes.resize(self.bytes.len() + size, 0);
        }
    }
}

/// Builds a heap allocation by allocation; [`HeapBuilder::finish`] lays out the pages.
///
/// A streamed heap ([`HeapBuilder::take_closed_pages`]) holds only the pages it has not
/// handed over, nothing for the others: a contents table of 400,000 rows has some 16,000
/// pages, and a record of each (or each bitmap page kept to the end) was megabytes.
#[derive(Debug)]
pub struct HeapBuilder {
    client_sig: ClientSig,
    user_root: Hid,
    /// The pages from `first_held` on, the last of the heap among them: none was looked at by
    /// [`HeapBuilder::take_closed_pages`] yet.
    pages: VecDeque<PageBuilder>,
    /// Pages before this one were looked at by [`HeapBuilder::take_closed_pages`].
    first_held: usize,
    /// Pages before `first_held` whose headers wait for the fill levels of pages after them
    /// (page 0, a bitmap page), by index.
    waiting: Vec<(usize, PageBuilder)>,
    /// [`MAX_PAGES`], lowered by tests that reach the limit without 512 MB of pages.
    max_pages: usize,
}

impl HeapBuilder {
    pub fn new(client_sig: ClientSig) -> HeapBuilder {
        HeapBuilder {
            client_sig,
            user_root: Hid::NONE,
            pages: VecDeque::from([PageBuilder::new(0)]),
            first_held: 0,
            waiting: Vec::new(),
            max_pages: MAX_PAGES,
        }
    }

    /// Sets `hidUserRoot`, the allocation the heap's client starts from.
    pub fn set_user_root(&mut self, hid: Hid) {
        self.user_root = hid;
    }

    /// How many pages the heap has, handed over or not.
    fn page_count(&self) -> usize {
        self.first_held + self.pages.len()
    }

    /// Page `index`, unless it was handed over.
    fn page(&self, index: usize) -> Option<&PageBuilder> {
        match index.checked_sub(self.first_held) {
            Some(at) => self.pages.get(at),
            None => self
                .waiting
                .iter()
                .find(|(waiting, _)| *waiting == index)
                .map(|(_, page)| page),
        }
    }

    fn page_mut(&mut self, index: usize) -> Option<&mut PageBuilder> {
        match index.checked_sub(self.first_held) {
            Some(at) => self.pages.get_mut(at),
            None => self
                .waiting
                .iter_mut()
                .find(|(waiting, _)| *waiting == index)
                .map(|(_, page)| page),
        }
    }

    /// Stores `bytes` (1..=3580 of them) and returns their HID.
    pub fn allocate(&mut self, bytes: &[u8]) -> Result<Hid, Error> {
        let hid = self.reserve(bytes.len())?;
        if let Some(slot) = self.allocation_mut(hid) {
            slot.copy_from_slice(bytes);
        }
        Ok(hid)
    }

    /// Reserves `size` zero bytes to be filled later through [`HeapBuilder::allocation_mut`]:
    /// for structures that must come before the allocations they point to.
    pub fn reserve(&mut self, size: usize) -> Result<Hid, Error> {
        if size == 0 || size > MAX_ALLOCATION {
            return Err(Error::AllocationSize { size });
        }
        // The last 16 pages, all held: the pages handed over are before them.
        let first_open = self.pages.len().saturating_sub(OPEN_PAGES);
        let at = match (first_open..self.pages.len()).find(|&at| self.pages[at].has_room(size)) {
            Some(at) => at,
            None => {
                if self.page_count() >= self.max_pages {
                    return Err(Error::HeapFull);
                }
                self.pages.push_back(PageBuilder::new(self.page_count()));
                self.pages.len() - 1
            }
        };
        let page = &mut self.pages[at];
        page.starts.push(page.bytes.len() as u16);
        page.bytes.resize(page.bytes.len() + size, 0);
        Ok(Hid::new(
            (self.first_held + at) as u16,
            page.starts.len() as u16,
        ))
    }

    /// The bytes of allocation `hid`, to fill a reservation.
    pub fn allocation_mut(&mut self, hid: Hid) -> Option<&mut [u8]> {
        if !Hid::is_hid(hid.0) {
            return None;
        }
        let page = self.page_mut(usize::from(hid.block_index()))?;
        let index = usize::from(hid.alloc_index()).checked_sub(1)?;
        let start = usize::from(*page.starts.get(index)?);
        let end = page
            .starts
            .get(index + 1)
            .map_or(page.bytes.len(), |end| usize::from(*end));
        page.bytes.get_mut(start..end)
    }

    /// Where allocation `hid` lies in the blocks [`HeapBuilder::finish`] gives: the block's
    /// index and the allocation's offset in it.
    pub fn place(&self, hid: Hid) -> Option<(usize, usize)> {
        if !Hid::is_hid(hid.0) {
            return None;
        }
        let block = usize::from(hid.block_index());
        let index = usize::from(hid.alloc_index()).checked_sub(1)?;
        let start = *self.page(block)?.starts.get(index)?;
        Some((block, usize::from(start)))
    }

    /// Hands over, laid out as blocks, the pages no allocation goes to anymore (those before
    /// the last 16), so that a large heap is not held whole: each with its index in the heap.
    /// A bitmap page follows once the 128 pages it gives the fill levels of are handed over
    /// (each then a full block); page 0 stays until [`HeapBuilder::finish_rest`]. Allocations
    /// in a page handed over can no longer be changed.
    pub fn take_closed_pages(&mut self) -> Vec<(usize, Vec<u8>)> {
        let closed = self.page_count().saturating_sub(OPEN_PAGES);
        let mut taken = Vec::new();
        while self.first_held < closed {
            let index = self.first_held;
            let Some(mut page) = self.pages.pop_front() else {
                break;
            };
            self.first_held += 1;
            page.fill();
            if header_size(index) == HNPAGEHDR_SIZE {
                taken.push((index, self.lay_out(index, page, &[])));
            } else {
                self.waiting.push((index, page));
            }
        }
        // Every page a bitmap page covers is closed, so filled to a full block.
        const FULL: [usize; 128] = [MAX_BLOCK; 128];
        while let Some(at) = self
            .waiting
            .iter()
            .position(|(index, _)| *index != 0 && index + FULL.len() <= closed)
        {
            let (index, page) = self.waiting.swap_remove(at);
            taken.push((index, self.lay_out(index, page, &FULL)));
        }
        taken
    }

    /// The heap's pages, one per data block; all but the last filled to 8176 bytes.
    pub fn finish(self) -> NodeBlocks {
        debug_assert!(
            self.first_held == 0,
            "a heap some pages of which were taken is finished with finish_rest"
        );
        NodeBlocks(
            self.finish_rest()
                .into_iter()
                .map(|(_, block)| block)
                .collect(),
        )
    }

    /// The pages not taken yet, laid out as blocks, each with its index in the heap; all
    /// but the last page of the heap filled to 8176 bytes.
    pub fn finish_rest(mut self) -> Vec<(usize, Vec<u8>)> {
        let count = self.page_count();
        let mut held = std::mem::take(&mut self.waiting);
        held.sort_by_key(|(index, _)| *index);
        held.extend((self.first_held..).zip(std::mem::take(&mut self.pages)));
        // Pages handed over were filled.
        let mut lens = vec![MAX_BLOCK; count];
        for (index, page) in &mut held {
            if *index + 1 < count {
                page.fill();
            }
            lens[*index] = page.len();
        }
        held.into_iter()
            .map(|(index, page)| (index, self.lay_out(index, page, &lens[index..])))
            .collect()
    }

    /// Page `index` as its block. `covered` (the lengths of the pages from this one on, as
    /// far as the heap goes) gives the fill levels that page 0 and the bitmap pages carry.
    fn lay_out(&self, index: usize, page: PageBuilder, covered: &[usize]) -> Vec<u8> {
        let data_end = page.bytes.len();
        let ib_hnpm = page_map_offset(data_end);
        let mut block = page.bytes;
        block.resize(ib_hnpm, 0);
        // HNPAGEMAP: cAlloc, cFree, then rgibAlloc closed by the end of the last allocation.
        block.extend_from_slice(&(page.starts.len() as u16).to_le_bytes());
        block.extend_from_slice(&0u16.to_le_bytes());
        for start in &page.starts {
            block.extend_from_slice(&start.to_le_bytes());
        }
        block.extend_from_slice(&(data_end as u16).to_le_bytes());
        block[0..2].copy_from_slice(&(ib_hnpm as u16).to_le_bytes());
        match header_size(index) {
            HNHDR_SIZE => {
                block[2] = HEAP_SIGNATURE;
                block[3] = self.client_sig as u8;
                block[4..8].copy_from_slice(&self.user_root.0.to_le_bytes());
                pack_fill_levels(&covered[..covered.len().min(8)], &mut block[8..12]);
            }
            HNBITMAPHDR_SIZE => {
                pack_fill_levels(&covered[..covered.len().min(128)], &mut block[2..66]);
            }
            _ => {}
        }
        block
    }
}

/// One page of a heap being read: its bytes and `rgibAlloc`.
#[derive(Debug)]
struct PageView<'a> {
    bytes: &'a [u8],
    offsets: Vec<u16>,
}

/// A heap read back from the blocks of a node, checked page by page.
#[derive(Debug)]
pub struct Heap<'a> {
    client_sig: ClientSig,
    user_root: Hid,
    pages: Vec<PageView<'a>>,
}

impl<'a> Heap<'a> {
    /// Reads and checks the heap held by `blocks`: every page but the last 8176 bytes long,
    /// signatures, page maps (offsets increasing, at an even `ibHnpm`, ending the block, `cFree`
    /// 0, no empty or oversized allocation), fill levels equal to what the page lengths give,
    /// and a `hidUserRoot` that resolves.
    pub fn read<B: AsRef<[u8]>>(blocks: &'a [B]) -> Result<Heap<'a>, Error> {
        if blocks.is_empty() || blocks.len() > MAX_PAGES {
            return Err(Error::invalid(
                "heap-on-node",
                "block count",
                blocks.len() as u64,
                "a heap has 1..=65,536 pages",
            ));
        }
        let mut pages = Vec::with_capacity(blocks.len());
        let last = blocks.len() - 1;
        for (index, block) in blocks.iter().enumerate() {
            let len = block.as_ref().len();
            if index < last && len != MAX_BLOCK {
                return Err(Error::invalid(
                    "heap page",
                    "length",
                    len as u64,
                    "every page of a heap but the last is a full 8176-byte block",
                ));
            }
            pages.push(read_page(index, block.as_ref())?);
        }
        let first = pages[0].bytes;
        if first[2] != HEAP_SIGNATURE {
            return Err(Error::invalid("HNHDR", "bSig", first[2], "expected 0xEC"));
        }
        let client_sig = ClientSig::from_u8(first[3]).ok_or(Error::invalid(
            "HNHDR",
            "bClientSig",
            first[3],
            "not a heap client signature",
        ))?;
        let user_root = Hid(u32_at(first, 4, "HNHDR")?);
        let lens: Vec<usize> = pages.iter().map(|page| page.bytes.len()).collect();
        check_fill_levels("HNHDR", &first[8..12], &lens[..lens.len().min(8)])?;
        for index in (8..pages.len()).step_by(128) {
            let covered = &lens[index..lens.len().min(index + 128)];
            check_fill_levels("HNBITMAPHDR", &pages[index].bytes[2..66], covered)?;
        }
        let heap = Heap {
            client_sig,
            user_root,
            pages,
        };
        if user_root != Hid::NONE {
            heap.get(user_root)?;
        }
        Ok(heap)
    }

    pub fn client_sig(&self) -> ClientSig {
        self.client_sig
    }

    /// `hidUserRoot`: where the heap's client starts.
    pub fn user_root(&self) -> Hid {
        self.user_root
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The bytes of allocation `hid`.
    pub fn get(&self, hid: Hid) -> Result<&'a [u8], Error> {
        if !Hid::is_hid(hid.0) {
            return Err(Error::invalid(
                "HID",
                "hidType",
                hid.0 & 0x1F,
                "a HID has type 0",
            ));
        }
        let page = self
            .pages
            .get(usize::from(hid.block_index()))
            .ok_or(Error::invalid(
                "HID",
                "hidBlockIndex",
                hid.block_index(),
                "the heap has no such page",
            ))?;
        let index = usize::from(hid.alloc_index());
        match (
            page.offsets.get(index.wrapping_sub(1)),
            page.offsets.get(index),
        ) {
            (Some(start), Some(end)) if index >= 1 => page
                .bytes
                .get(usize::from(*start)..usize::from(*end))
                .ok_or(Error::NoSuchAllocation { hid: hid.0 }),
            _ => Err(Error::invalid(
                "HID",
                "hidIndex",
                hid.alloc_index(),
                "the page has no such allocation",
            )),
        }
    }

    /// Every allocation with its HID, page by page.
    pub fn allocations(&self) -> impl Iterator<Item = (Hid, &'a [u8])> + '_ {
        self.pages.iter().enumerate().flat_map(|(block, page)| {
            page.offsets.windows(2).enumerate().map(move |(i, pair)| {
                let hid = Hid::new(block as u16, (i + 1) as u16);
                let bytes = page
                    .bytes
                    .get(usize::from(pair[0])..usize::from(pair[1]))
                    .unwrap_or_default();
                (hid, bytes)
            })
        })
    }
}

fn read_page(index: usize, bytes: &[u8]) -> Result<PageView<'_>, Error> {
    let structure = match header_size(index) {
        HNHDR_SIZE => "HNHDR",
        HNBITMAPHDR_SIZE => "HNBITMAPHDR",
        _ => "HNPAGEHDR",
    };
    if bytes.len() > MAX_BLOCK {
        return Err(Error::invalid(
            "heap page",
            "length",
            bytes.len() as u64,
            "a data block holds at most 8176 bytes",
        ));
    }
    let header = header_size(index);
    bytes_at(bytes, 0, header, structure)?;
    let ib_hnpm = u16_at(bytes, 0, structure)?;
    let map_at = usize::from(ib_hnpm);
    if map_at % 2 != 0 || map_at < header {
        return Err(Error::invalid(
            structure,
            "ibHnpm",
            ib_hnpm,
            "must be even and past the page header",
        ));
    }
    let count = u16_at(bytes, map_at, "HNPAGEMAP")?;
    let free = u16_at(bytes, map_at + 2, "HNPAGEMAP")?;
    if free != 0 {
        return Err(Error::invalid(
            "HNPAGEMAP",
            "cFree",
            free,
            "we never free, so it is 0",
        ));
    }
    if usize::from(count) > MAX_ALLOCATIONS_PER_PAGE {
        return Err(Error::invalid(
            "HNPAGEMAP",
            "cAlloc",
            count,
            "at most 2047 per page",
        ));
    }
    let count = usize::from(count);
    if bytes.len() != page_len(map_at, count) {
        return Err(Error::invalid(
            "HNPAGEMAP",
            "cAlloc",
            count as u64,
            "the page map does not end the block",
        ));
    }
    let mut offsets = Vec::with_capacity(count + 1);
    for i in 0..=count {
        offsets.push(u16_at(bytes, map_at + 4 + 2 * i, "HNPAGEMAP")?);
    }
    if usize::from(offsets[0]) != header {
        return Err(Error::invalid(
            "HNPAGEMAP",
            "rgibAlloc[0]",
            offsets[0],
            "the first allocation starts right after the page header",
        ));
    }
    for pair in offsets.windows(2) {
        let size = usize::from(pair[1]).saturating_sub(usize::from(pair[0]));
        if pair[1] <= pair[0] || size > MAX_ALLOCATION {
            return Err(Error::invalid(
                "HNPAGEMAP",
                "rgibAlloc",
                pair[1],
                "offsets must increase by 1..=3580 bytes",
            ));
        }
    }
    let data_end = usize::from(offsets[count]);
    if page_map_offset(data_end) != map_at {
        return Err(Error::invalid(
            "HNPAGEMAP",
            "rgibAlloc[cAlloc]",
            data_end as u64,
            "the page map follows the last allocation at the next even offset",
        ));
    }
    Ok(PageView { bytes, offsets })
}

fn check_fill_levels(
    structure: &'static str,
    stored: &[u8],
    page_lens: &[usize],
) -> Result<(), Error> {
    let mut expected = vec![0u8; stored.len()];
    pack_fill_levels(page_lens, &mut expected);
    match stored.iter().zip(&expected).position(|(a, b)| a != b) {
        None => Ok(()),
        Some(at) => Err(Error::invalid(
            structure,
            "rgbFillLevel",
            stored[at],
            "does not match the free space of the pages it covers",
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::pst::ltp::testing::{hex, outlook_pst_accepts_heap};
    use crate::pst::ltp::{build_bth, read_bth};

    #[test]
    fn hids_decompose_as_the_spec_and_outlook_pst_say() {
        assert_eq!(Hid::new(0, 1), Hid(0x20));
        assert_eq!(Hid::new(0, 2), Hid(0x40));
        assert_eq!(Hid::new(3, 2047), Hid(0x0003_FFE0));
        for hid in [Hid::new(0, 1), Hid::new(1, 7), Hid::new(300, 2047)] {
            let theirs = outlook_pst::ltp::heap::HeapId::from(hid.0);
            assert_eq!(theirs.block_index(), hid.block_index());
            assert_eq!(theirs.index().unwrap(), hid.alloc_index() - 1);
        }
    }

    /// Outlook's hierarchy map node (0xC01) of a fresh store (`examples/Empty.pst` of the
    /// `outlook-pst` crate): a 0x9C heap whose root allocation holds the HID of an empty BTH
    /// with 16-byte keys.
    #[test]
    fn rebuilds_outlooks_hierarchy_map_heap_byte_for_byte() {
        let outlook = hex("
            0000: 18 00 EC 9C 20 00 00 00 00 00 00 00 40 00 00 00
            0010: B5 10 04 00 00 00 00 00 02 00 00 00 0C 00 10 00
            0020: 18 00
        ");
        let mut heap = HeapBuilder::new(ClientSig::Reserved3);
        let root = heap.reserve(4).unwrap();
        let bth = build_bth(&mut heap, 16, 4, &[]).unwrap();
        heap.allocation_mut(root)
            .unwrap()
            .copy_from_slice(&bth.0.to_le_bytes());
        heap.set_user_root(root);
        let blocks = heap.finish();
        assert_eq!(blocks.0, vec![outlook.clone()]);

        let read = Heap::read(&blocks.0).unwrap();
        assert_eq!(read.client_sig(), ClientSig::Reserved3);
        assert_eq!(read.get(read.user_root()).unwrap(), &[0x40, 0, 0, 0]);
        let (header, records) = read_bth(&read, Hid(0x40)).unwrap();
        assert_eq!(
            (header.key_size, header.data_size, header.root),
            (16, 4, Hid::NONE)
        );
        assert!(records.is_empty());
        outlook_pst_accepts_heap(&blocks.0);
    }

    #[test]
    fn odd_allocation_ends_pad_the_page_map_to_an_even_offset() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        heap.allocate(&[1, 2, 3]).unwrap();
        let blocks = heap.finish();
        // HNHDR, 3 bytes at 0x0C, one pad byte, HNPAGEMAP at 0x10: cAlloc 1, cFree 0, 0x0C, 0x0F.
        assert_eq!(
            blocks.0[0],
            hex("
                0000: 10 00 EC B5 00 00 00 00 00 00 00 00 01 02 03 00
                0010: 01 00 00 00 0C 00 0F 00
            ")
        );
    }

    #[test]
    fn allocations_are_1_to_3580_bytes() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        assert!(matches!(
            heap.allocate(&[]),
            Err(Error::AllocationSize { size: 0 })
        ));
        assert!(matches!(
            heap.allocate(&[0; 3581]),
            Err(Error::AllocationSize { size: 3581 })
        ));
        assert_eq!(heap.allocate(&[7; 3580]).unwrap(), Hid(0x20));
    }

    #[test]
    fn a_page_holds_at_most_2047_allocations() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        // The 2047th allocation of a page is kept for the padding that fills it.
        for i in 1..=2046u16 {
            assert_eq!(heap.allocate(&[i as u8]).unwrap(), Hid::new(0, i));
        }
        assert_eq!(heap.allocate(&[1]).unwrap(), Hid::new(1, 1));
        let blocks = heap.finish();
        // Page 0 is not the last: filled to 8176 bytes by one padding allocation.
        assert_eq!(blocks.0[0].len(), 8176);
        let read = Heap::read(&blocks.0).unwrap();
        assert_eq!(read.get(Hid::new(0, 2046)).unwrap(), &[0xFE]);
        let padding = read.get(Hid::new(0, 2047)).unwrap();
        // 12 + 2046 bytes of allocations, the map of 4 + 2 × 2048 bytes at the end.
        assert_eq!(padding.len(), 8176 - 4 - 2 * 2048 - 12 - 2046);
        assert!(padding.iter().all(|b| *b == 0));
        // HNPAGEHDR, the allocation, a pad byte, the map.
        assert_eq!(blocks.0[1].len(), 2 + 1 + 1 + 4 + 4);
        outlook_pst_accepts_heap(&blocks.0);
    }

    /// A page that would be left 2 bytes short of 8176, too little for a padding allocation and
    /// its map entry, does not take the allocation.
    #[test]
    fn a_page_never_ends_where_it_cannot_be_filled() {
        assert_eq!(padding(8176 - 4 - 2 * 3, 2), Some((0, 0)));
        // Allocations ending at an even offset, the map 2 bytes short of the block's end.
        assert_eq!(page_len(8164, 2), 8174);
        assert_eq!(padding(8164, 2), None);
        // Ending at an odd offset, the pad byte becomes the padding allocation.
        assert_eq!(page_len(8163, 2), 8174);
        assert_eq!(padding(8163, 2), Some((1, 1)));
        // 12 + 3580 + 3580 + 990 = 8162, its map of 12 bytes: 8174, 2 bytes short.
        for (size, fits) in [(990, false), (989, true), (988, true), (992, true)] {
            let mut heap = HeapBuilder::new(ClientSig::Bth);
            heap.allocate(&[1; 3580]).unwrap();
            heap.allocate(&[2; 3580]).unwrap();
            let hid = heap.allocate(&vec![3; size]).unwrap();
            assert_eq!(hid.block_index() == 0, fits, "{size}");
            heap.allocate(&[4; 10]).unwrap();
            let blocks = heap.finish();
            assert_eq!(blocks.0[0].len(), 8176);
            outlook_pst_accepts_heap(&blocks.0);
            assert!(Heap::read(&blocks.0).is_ok());
        }
    }

    #[test]
    fn a_short_page_before_the_last_is_refused() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        heap.allocate(&[1; 3580]).unwrap();
        heap.allocate(&[2; 3580]).unwrap();
        heap.allocate(&[3; 3580]).unwrap();
        let mut blocks = heap.finish().0;
        assert!(Heap::read(&blocks).is_ok());
        // The first page cut to its used length, as heaps were once written.
        let map_at = 12 + 2 * 3580;
        let mut short = blocks[0][..map_at].to_vec();
        short.extend_from_slice(&[2, 0, 0, 0]);
        for offset in [12u16, 12 + 3580, 12 + 2 * 3580] {
            short.extend_from_slice(&offset.to_le_bytes());
        }
        short[0..2].copy_from_slice(&(map_at as u16).to_le_bytes());
        short[8] = 0x01;
        blocks[0] = short;
        match Heap::read(&blocks) {
            Err(Error::Invalid {
                field: "length", ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    /// 150 pages of two 3000-byte allocations: HNBITMAPHDRs at pages 8 and 136. Every page but
    /// the last is filled to 8176 bytes (fill level 15, under 8 bytes free); the last holds
    /// 8176 − (2 + 6000 + 10) = 2164 free bytes, level 2 (2048–2560).
    #[test]
    fn many_pages_carry_bitmap_headers_and_fill_levels() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        let mut hids = Vec::new();
        for i in 0..300u32 {
            hids.push(heap.allocate(&[(i % 251) as u8; 3000]).unwrap());
        }
        assert_eq!(hids[2], Hid::new(1, 1));
        let blocks = heap.finish();
        assert_eq!(blocks.0.len(), 150);
        assert!(blocks.0[..149].iter().all(|page| page.len() == 8176));
        assert_eq!(&blocks.0[0][8..12], &[0xFF; 4]);
        for bitmap_page in [8, 136] {
            let page = &blocks.0[bitmap_page];
            let ib_hnpm = usize::from(u16::from_le_bytes([page[0], page[1]]));
            assert_eq!(
                u16::from_le_bytes([page[ib_hnpm + 4], page[ib_hnpm + 5]]),
                66
            );
        }
        // Page 8 covers pages 8..=135 (128 entries); page 136 covers 136..=149.
        assert_eq!(&blocks.0[8][2..66], &[0xFF; 64]);
        assert_eq!(&blocks.0[136][2..8], &[0xFF; 6]);
        assert_eq!(blocks.0[136][8], 0x2F);
        assert_eq!(&blocks.0[136][9..66], &[0; 57]);
        let read = Heap::read(&blocks.0).unwrap();
        for (i, hid) in hids.iter().enumerate() {
            assert_eq!(read.get(*hid).unwrap(), &[(i % 251) as u8; 3000][..]);
        }
        outlook_pst_accepts_heap(&blocks.0);
    }

    #[test]
    fn fill_levels_follow_the_spec_table() {
        assert_eq!(fill_level(8176 - 3584), 0);
        assert_eq!(fill_level(8176 - 3583), 1);
        assert_eq!(fill_level(8176 - 2560), 1);
        assert_eq!(fill_level(8176 - 2559), 2);
        assert_eq!(fill_level(8176 - 16), 13);
        assert_eq!(fill_level(8176 - 8), 14);
        assert_eq!(fill_level(8176 - 7), 15);
        assert_eq!(fill_level(8176), 15);
    }

    #[test]
    fn the_page_limit_stops_allocation() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        heap.max_pages = 2;
        for _ in 0..4 {
            heap.allocate(&[0; 3580]).unwrap();
        }
        assert!(matches!(heap.allocate(&[0; 3580]), Err(Error::HeapFull)));
        assert_eq!(MAX_PAGES, 65_536);
    }

    #[test]
    fn small_allocations_fill_gaps_in_recent_pages() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        heap.allocate(&[0; 3580]).unwrap();
        heap.allocate(&[0; 3580]).unwrap();
        assert_eq!(heap.allocate(&[0; 3580]).unwrap(), Hid::new(1, 1));
        // Page 0 still has room for a small one.
        assert_eq!(heap.allocate(&[0; 100]).unwrap(), Hid::new(0, 3));
    }

    fn one_page(dump: &str) -> Vec<Vec<u8>> {
        vec![hex(dump)]
    }

    /// A valid page: one allocation of 4 bytes holding 0x40 at 0x0C.
    const VALID: &str = "
        0000: 10 00 EC BC 20 00 00 00 00 00 00 00 40 00 00 00
        0010: 01 00 00 00 0C 00 10 00
    ";

    #[test]
    fn the_reader_accepts_a_valid_page() {
        let blocks = one_page(VALID);
        let heap = Heap::read(&blocks).unwrap();
        assert_eq!(heap.get(Hid(0x20)).unwrap(), &[0x40, 0, 0, 0]);
        assert_eq!(heap.allocations().count(), 1);
    }

    #[test]
    fn the_reader_reports_broken_pages() {
        let broken = [
            ("bSig", VALID.replace("10 00 EC BC", "10 00 ED BC")),
            ("bClientSig", VALID.replace("10 00 EC BC", "10 00 EC BD")),
            ("cFree", VALID.replace("01 00 00 00 0C", "01 00 01 00 0C")),
            (
                "rgibAlloc[0]",
                VALID.replace("0C 00 10 00\n", "0D 00 10 00\n"),
            ),
            (
                "rgbFillLevel",
                VALID.replace("20 00 00 00 00 00 00 00", "20 00 00 00 01 00 00 00"),
            ),
            (
                "hidIndex",
                VALID.replace("10 00 EC BC 20", "10 00 EC BC 40"),
            ),
        ];
        for (field, dump) in broken {
            match Heap::read(&one_page(&dump)) {
                Err(Error::Invalid { field: found, .. }) => assert_eq!(found, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // A map that does not end the block.
        let mut long = hex(VALID);
        long.push(0);
        assert!(Heap::read(&[long]).is_err());
        let heap_blocks = one_page(VALID);
        let heap = Heap::read(&heap_blocks).unwrap();
        assert!(heap.get(Hid(0x40)).is_err());
        assert!(heap.get(Hid(0x10020)).is_err());
        assert!(heap.get(Hid(0x21)).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn every_hid_resolves_to_its_bytes(sizes in prop::collection::vec(1usize..=3580, 1..120)) {
            let mut heap = HeapBuilder::new(ClientSig::Bth);
            let mut stored = Vec::new();
            for (i, size) in sizes.iter().enumerate() {
                let bytes: Vec<u8> = (0..*size).map(|j| (i * 31 + j) as u8).collect();
                stored.push((heap.allocate(&bytes).unwrap(), bytes));
            }
            let blocks = heap.finish();
            let last = blocks.0.len() - 1;
            prop_assert!(blocks.0.iter().all(|block| block.len() <= MAX_BLOCK));
            prop_assert!(blocks.0[..last].iter().all(|block| block.len() == MAX_BLOCK));
            let read = Heap::read(&blocks.0).unwrap();
            for (hid, bytes) in &stored {
                prop_assert_eq!(read.get(*hid).unwrap(), &bytes[..]);
            }
            // Besides ours, only the padding of full pages: at most three per page.
            let padding = read.allocations().count() - stored.len();
            prop_assert!(padding <= 3 * last);
            outlook_pst_accepts_heap(&blocks.0);
        }
    }
}
