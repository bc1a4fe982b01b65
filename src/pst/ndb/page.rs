//! [Pages](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/5774b4f2-cdc4-453e-996a-8c8230116930)
//! (MS-PST 2.2.2.7): 512-byte units with a 16-byte PAGETRAILER — the allocation maps, the
//! density list and the pages of the two B-trees (BTPAGE with BBTENTRY, NBTENTRY and BTENTRY).

use super::crc::crc;
use super::header::BRef;
use super::ids::{Bid, Nid};
use super::le::{get_u16, get_u32, get_u64, put_u16, put_u32, put_u64, u16_at, u32_at, u64_at};

pub const PAGE_SIZE: usize = 512;
/// The bytes before the trailer, which the page CRC covers.
pub const PAGE_BODY: usize = 496;
/// The entry area of a BTPAGE.
pub const BT_ENTRIES_SIZE: usize = 488;

/// `ptype` of a [PAGETRAILER](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/f4ccb38a-930a-4db4-98df-a69c195926ba).
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageType {
    BlockBTree = 0x80,
    NodeBTree = 0x81,
    FreeMap = 0x82,
    PageMap = 0x83,
    AllocationMap = 0x84,
    FreePageMap = 0x85,
    DensityList = 0x86,
}

impl PageType {
    /// Map pages carry their own offset as BID and no signature.
    pub fn is_map(self) -> bool {
        matches!(
            self,
            PageType::FreeMap | PageType::PageMap | PageType::AllocationMap | PageType::FreePageMap
        )
    }

    /// The `wSig` a page of this type at `ib` with `bid` must carry.
    pub fn signature(self, ib: u64, bid: u64) -> u16 {
        if self.is_map() { 0 } else { signature(ib, bid) }
    }
}

/// [Block signature](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/e700a913-9db5-46a4-ac76-37cabea823e1)
/// (MS-PST 5.5), computed on the low 32 bits as the spec's `ComputeSig` does.
pub fn signature(ib: u64, bid: u64) -> u16 {
    let x = (ib as u32) ^ (bid as u32);
    ((x >> 16) as u16) ^ (x as u16)
}

/// PAGETRAILER, as stored in the last 16 bytes of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageTrailer {
    pub ptype: u8,
    pub ptype_repeat: u8,
    pub sig: u16,
    pub crc: u32,
    pub bid: u64,
}

impl PageTrailer {
    pub fn encode(&self, page: &mut [u8; PAGE_SIZE]) {
        page[PAGE_BODY] = self.ptype;
        page[PAGE_BODY + 1] = self.ptype_repeat;
        put_u16(page, PAGE_BODY + 2, self.sig);
        put_u32(page, PAGE_BODY + 4, self.crc);
        put_u64(page, PAGE_BODY + 8, self.bid);
    }

    pub fn decode(page: &[u8; PAGE_SIZE]) -> PageTrailer {
        PageTrailer {
            ptype: page[PAGE_BODY],
            ptype_repeat: page[PAGE_BODY + 1],
            sig: u16_at(page, PAGE_BODY + 2),
            crc: u32_at(page, PAGE_BODY + 4),
            bid: u64_at(page, PAGE_BODY + 8),
        }
    }
}

/// Writes the trailer of a page whose body is final: type, signature, CRC and BID.
pub fn seal(page: &mut [u8; PAGE_SIZE], ptype: PageType, bid: u64, ib: u64) {
    PageTrailer {
        ptype: ptype as u8,
        ptype_repeat: ptype as u8,
        sig: ptype.signature(ib, bid),
        crc: crc(&page[..PAGE_BODY]),
        bid,
    }
    .encode(page);
}

/// A map page (AMap, PMap, FMap, FPMap) with `body` as content; its BID is its offset.
pub fn map_page(ptype: PageType, body: &[u8; PAGE_BODY], ib: u64) -> [u8; PAGE_SIZE] {
    let mut page = [0u8; PAGE_SIZE];
    page[..PAGE_BODY].copy_from_slice(body);
    seal(&mut page, ptype, ib, ib);
    page
}

/// An entry of a BTPAGE: what the leaf pages of either tree hold, or the BTENTRY of an
/// intermediate page.
pub trait BtRecord: Sized {
    /// `cbEnt`.
    const SIZE: usize;
    /// `cEntMax` as Outlook writes it.
    const MAX: usize;
    /// The key the tree is sorted by.
    fn key(&self) -> u64;
    fn encode(&self, buf: &mut [u8]);
    /// `None` when `buf` is shorter than [`Self::SIZE`].
    fn decode(buf: &[u8]) -> Option<Self>;
}

/// [BBTENTRY](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/53a4b926-8ac4-45c9-9c6d-8358d951dbcd):
/// where a block is, its stored size and its reference count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BbtEntry {
    pub bref: BRef,
    /// `cb`: the block's data bytes (as in its trailer), not its padded size.
    pub cb: u16,
    /// `cRef`: 1 for the BBT itself plus one per reference.
    pub cref: u16,
    pub padding: u32,
}

impl BtRecord for BbtEntry {
    const SIZE: usize = 24;
    const MAX: usize = 20;

    fn key(&self) -> u64 {
        self.bref.bid & !1
    }

    fn encode(&self, buf: &mut [u8]) {
        put_u64(buf, 0, self.bref.bid);
        put_u64(buf, 8, self.bref.ib);
        put_u16(buf, 16, self.cb);
        put_u16(buf, 18, self.cref);
        put_u32(buf, 20, self.padding);
    }

    fn decode(buf: &[u8]) -> Option<BbtEntry> {
        Some(BbtEntry {
            bref: BRef {
                bid: get_u64(buf, 0)?,
                ib: get_u64(buf, 8)?,
            },
            cb: get_u16(buf, 16)?,
            cref: get_u16(buf, 18)?,
            padding: get_u32(buf, 20)?,
        })
    }
}

/// [NBTENTRY](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/53a4b926-8ac4-45c9-9c6d-8358d951dbcd):
/// a top-level node — its NID, data tree, subnode tree and parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeEntry {
    pub nid: Nid,
    /// `bidData`: root of the node's data tree, [`Bid::NONE`] when it holds no data.
    pub data: Bid,
    /// `bidSub`: root of its subnode tree, [`Bid::NONE`] when it has none.
    pub sub: Bid,
    /// `nidParent`: 0 unless the node is a folder, message or search folder.
    pub parent: Nid,
}

impl NodeEntry {
    /// The upper half of the 8-byte `nid` field and `dwPadding`, which must be 0; `None` when
    /// `buf` is too short.
    pub fn stored_padding(buf: &[u8]) -> Option<(u32, u32)> {
        Some((get_u32(buf, 4)?, get_u32(buf, 28)?))
    }
}

impl BtRecord for NodeEntry {
    const SIZE: usize = 32;
    const MAX: usize = 15;

    fn key(&self) -> u64 {
        u64::from(self.nid.0)
    }

    fn encode(&self, buf: &mut [u8]) {
        put_u64(buf, 0, u64::from(self.nid.0));
        put_u64(buf, 8, self.data.0);
        put_u64(buf, 16, self.sub.0);
        put_u32(buf, 24, self.parent.0);
        put_u32(buf, 28, 0);
    }

    fn decode(buf: &[u8]) -> Option<NodeEntry> {
        Some(NodeEntry {
            nid: Nid(get_u32(buf, 0)?),
            data: Bid(get_u64(buf, 8)?),
            sub: Bid(get_u64(buf, 16)?),
            parent: Nid(get_u32(buf, 24)?),
        })
    }
}

/// [BTENTRY](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/bc8052a3-f300-4022-be31-f0f408fffca0):
/// in an intermediate page, the first key of a child page and where that page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BtEntry {
    pub key: u64,
    pub bref: BRef,
}

impl BtRecord for BtEntry {
    const SIZE: usize = 24;
    const MAX: usize = 20;

    fn key(&self) -> u64 {
        self.key
    }

    fn encode(&self, buf: &mut [u8]) {
        put_u64(buf, 0, self.key);
        put_u64(buf, 8, self.bref.bid);
        put_u64(buf, 16, self.bref.ib);
    }

    fn decode(buf: &[u8]) -> Option<BtEntry> {
        Some(BtEntry {
            key: get_u64(buf, 0)?,
            bref: BRef {
                bid: get_u64(buf, 8)?,
                ib: get_u64(buf, 16)?,
            },
        })
    }
}

/// The fields after the entries of a
/// [BTPAGE](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/4f0cd8e7-c2d0-4975-90a4-d417cfca77f8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BtPageHeader {
    /// `cEnt`.
    pub count: u8,
    /// `cEntMax`.
    pub max: u8,
    /// `cbEnt`.
    pub entry_size: u8,
    /// `cLevel`: 0 for leaves.
    pub level: u8,
    /// `dwPadding`.
    pub padding: u32,
}

impl BtPageHeader {
    pub fn decode(page: &[u8; PAGE_SIZE]) -> BtPageHeader {
        BtPageHeader {
            count: page[488],
            max: page[489],
            entry_size: page[490],
            level: page[491],
            padding: u32_at(page, 492),
        }
    }

    /// The bytes of entry `i`, if the header's sizes keep it inside the entry area.
    pub fn entry(self, page: &[u8; PAGE_SIZE], i: usize) -> Option<&[u8]> {
        let size = usize::from(self.entry_size);
        let start = i.checked_mul(size)?;
        let end = start.checked_add(size)?;
        if end > BT_ENTRIES_SIZE {
            return None;
        }
        page.get(start..end)
    }
}

/// A BTPAGE of `entries` (at most `E::MAX`) at `level`, sealed for `bid` at `ib`.
pub fn bt_page<E: BtRecord>(
    ptype: PageType,
    level: u8,
    entries: &[E],
    bid: u64,
    ib: u64,
) -> [u8; PAGE_SIZE] {
    debug_assert!(entries.len() <= E::MAX);
    let mut page = [0u8; PAGE_SIZE];
    for (i, entry) in entries.iter().enumerate() {
        entry.encode(&mut page[i * E::SIZE..(i + 1) * E::SIZE]);
    }
    page[488] = entries.len() as u8;
    page[489] = E::MAX as u8;
    page[490] = E::SIZE as u8;
    page[491] = level;
    seal(&mut page, ptype, bid, ib);
    page
}

/// [DLISTPAGEENT](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d3c45b9-a415-446c-954f-b1b473dbb415):
/// an AMap (by index) and its free slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DListEntry {
    /// `dwPageNum` (20 bits).
    pub amap: u32,
    /// `dwFreeSlots` (12 bits).
    pub free_slots: u16,
}

impl DListEntry {
    fn encode(self) -> u32 {
        (self.amap & 0x000F_FFFF) | (u32::from(self.free_slots & 0x0FFF) << 20)
    }

    fn decode(value: u32) -> DListEntry {
        DListEntry {
            amap: value & 0x000F_FFFF,
            free_slots: (value >> 20) as u16,
        }
    }
}

/// [DLISTPAGE](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/5d426b2d-ec10-4614-b768-46813652d5e3):
/// the density list at 0x4200.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DListPage {
    /// `bFlags`: [`DListPage::BACKFILL_COMPLETE`] or 0.
    pub flags: u8,
    /// `ulCurrentPage`: the AMap allocations currently come from.
    pub current_page: u32,
    /// `rgDListPageEnt`.
    pub entries: Vec<DListEntry>,
}

impl DListPage {
    /// The page's fixed place.
    pub const OFFSET: u64 = 0x4200;
    /// At most this many entries fit.
    pub const MAX_ENTRIES: usize = 119;
    /// `DFL_BACKFILL_COMPLETE`.
    pub const BACKFILL_COMPLETE: u8 = 0x01;

    /// The page, sealed with `bid` (the final `bidNextP`).
    pub fn encode(&self, bid: u64) -> [u8; PAGE_SIZE] {
        let mut page = [0u8; PAGE_SIZE];
        let count = self.entries.len().min(Self::MAX_ENTRIES);
        page[0] = self.flags;
        page[1] = count as u8;
        put_u32(&mut page, 4, self.current_page);
        for (i, entry) in self.entries.iter().take(count).enumerate() {
            put_u32(&mut page, 8 + 4 * i, entry.encode());
        }
        seal(&mut page, PageType::DensityList, bid, Self::OFFSET);
        page
    }

    /// The page's content and whether its padding (`wPadding`, unused entries, `rgPadding`)
    /// is all zero.
    pub fn decode(page: &[u8; PAGE_SIZE]) -> (DListPage, bool) {
        let count = usize::from(page[1]).min(Self::MAX_ENTRIES);
        let entries = (0..count)
            .map(|i| DListEntry::decode(u32_at(page, 8 + 4 * i)))
            .collect();
        let padding_clean = page[2..4].iter().all(|b| *b == 0)
            && page[8 + 4 * count..PAGE_BODY].iter().all(|b| *b == 0)
            && usize::from(page[1]) <= Self::MAX_ENTRIES;
        (
            DListPage {
                flags: page[0],
                current_page: u32_at(page, 4),
                entries,
            },
            padding_clean,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_of_outlook_pages() {
        // `Empty.pst`: the DList (0x4200, bid 0x17F), a BBT page, an NBT page, a block.
        assert_eq!(signature(0x4200, 0x17F), 0x437F);
        assert_eq!(signature(0x8400, 0x17B), 0x857B);
        assert_eq!(signature(0x8A00, 0x13D), 0x8B3D);
        assert_eq!(signature(0x4980, 0xC0), 0x4940);
        assert_eq!(PageType::AllocationMap.signature(0x4400, 0x4400), 0);
    }

    #[test]
    fn signature_above_4_gib_uses_the_low_32_bits() {
        let ib = 0x1_2345_6000_u64;
        assert_eq!(signature(ib, 0x4), signature(ib & 0xFFFF_FFFF, 0x4));
        assert_eq!(signature(0x1_0000_0000, 0), 0);
    }

    #[test]
    fn bbt_intermediate_page_of_outlook() {
        // The BBT root of `Empty.pst` at 0x8400: two BTENTRYs, cLevel 1.
        let entries = [
            BtEntry {
                key: 0x4,
                bref: BRef {
                    bid: 0x176,
                    ib: 0x7800,
                },
            },
            BtEntry {
                key: 0x80,
                bref: BRef {
                    bid: 0x179,
                    ib: 0x6C00,
                },
            },
        ];
        let page = bt_page(PageType::BlockBTree, 1, &entries, 0x17B, 0x8400);
        assert_eq!(
            page[..48],
            [
                0x04, 0, 0, 0, 0, 0, 0, 0, 0x76, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x78, 0, 0, 0, 0, 0,
                0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x79, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x6C, 0, 0, 0, 0,
                0, 0,
            ]
        );
        assert!(page[48..488].iter().all(|b| *b == 0));
        assert_eq!(
            page[488..],
            [
                0x02, 0x14, 0x18, 0x01, 0, 0, 0, 0, 0x80, 0x80, 0x7B, 0x85, 0x76, 0x90, 0xDD, 0xD7,
                0x7B, 0x01, 0, 0, 0, 0, 0, 0,
            ]
        );
        let header = BtPageHeader::decode(&page);
        assert_eq!(
            header,
            BtPageHeader {
                count: 2,
                max: 20,
                entry_size: 24,
                level: 1,
                padding: 0
            }
        );
        assert_eq!(
            BtEntry::decode(header.entry(&page, 1).unwrap()),
            Some(entries[1])
        );
    }

    #[test]
    fn nbt_leaf_page_of_outlook() {
        // An NBT leaf of `Empty.pst` at 0x8A00 (bid 0x13D) with five entries.
        let node = |nid, data, parent| NodeEntry {
            nid: Nid(nid),
            data: Bid(data),
            sub: Bid::NONE,
            parent: Nid(parent),
        };
        let entries = [
            node(0x806F, 0xC, 0),
            node(0x8082, 0xFC, 0x122),
            node(0x808D, 0x4, 0),
            node(0x808E, 0x8, 0),
            node(0x808F, 0x10C, 0),
        ];
        let page = bt_page(PageType::NodeBTree, 0, &entries, 0x13D, 0x8A00);
        assert_eq!(
            page[32..64],
            [
                0x82, 0x80, 0, 0, 0, 0, 0, 0, 0xFC, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0x22, 0x01, 0, 0, 0, 0, 0, 0,
            ]
        );
        assert_eq!(
            page[488..],
            [
                0x05, 0x0F, 0x20, 0x00, 0, 0, 0, 0, 0x81, 0x81, 0x3D, 0x8B, 0xEF, 0xC4, 0x49, 0xE5,
                0x3D, 0x01, 0, 0, 0, 0, 0, 0,
            ]
        );
        let header = BtPageHeader::decode(&page);
        let decoded: Vec<_> = (0..5)
            .map(|i| NodeEntry::decode(header.entry(&page, i).unwrap()).unwrap())
            .collect();
        assert_eq!(decoded, entries);
    }

    #[test]
    fn bbt_leaf_page_of_outlook() {
        // The first BBT leaf of `Empty.pst` at 0x7800 (bid 0x176): 14 entries.
        let rows: [(u64, u64, u16, u16); 14] = [
            (0x4, 0x4C00, 156, 4),
            (0x8, 0x4CC0, 276, 6),
            (0xC, 0x5A00, 172, 5),
            (0x10, 0x4E00, 204, 3),
            (0x14, 0x4F00, 164, 2),
            (0x18, 0x5600, 100, 2),
            (0x1C, 0x5200, 92, 2),
            (0x24, 0x5040, 92, 2),
            (0x28, 0x50C0, 124, 2),
            (0x2C, 0x5180, 84, 2),
            (0x30, 0x5280, 114, 2),
            (0x48, 0x53C0, 34, 2),
            (0x64, 0x5680, 62, 2),
            (0x68, 0x5340, 86, 2),
        ];
        let entries: Vec<_> = rows
            .iter()
            .map(|&(bid, ib, cb, cref)| BbtEntry {
                bref: BRef { bid, ib },
                cb,
                cref,
                padding: 0,
            })
            .collect();
        let page = bt_page(PageType::BlockBTree, 0, &entries, 0x176, 0x7800);
        assert_eq!(
            page[..24],
            [
                0x04, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x4C, 0, 0, 0, 0, 0, 0, 0x9C, 0x00, 0x04, 0x00, 0,
                0, 0, 0,
            ]
        );
        // Outlook leaves stale entries after cEnt (its CRC covers them); ours are zero.
        assert!(page[14 * 24..488].iter().all(|b| *b == 0));
        let trailer = PageTrailer::decode(&page);
        assert_eq!(trailer.sig, 0x7976);
        assert_eq!(
            page[488..500],
            [14, 20, 24, 0, 0, 0, 0, 0, 0x80, 0x80, 0x76, 0x79]
        );
    }

    #[test]
    fn map_pages_of_outlook() {
        // The AMap of `Empty.pst` (0x4400) and its PMap (0x4600).
        let mut amap = [0u8; PAGE_BODY];
        amap[..0x2F].copy_from_slice(&[
            0xFF, 0xFF, 0x7F, 0xE6, 0xFF, 0xFF, 0xFF, 0xFF, 0xF8, 0xF0, 0xF0, 0xE0, 0x7F, 0xC0,
            0x0F, 0xFC, 0x00, 0xF0, 0x00, 0x00, 0xFF, 0xFE, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00,
            0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0x00, 0xFF, 0xFF, 0x80,
        ]);
        let page = map_page(PageType::AllocationMap, &amap, 0x4400);
        assert_eq!(
            page[PAGE_BODY..],
            [
                0x84, 0x84, 0, 0, 0xD2, 0x6B, 0xE3, 0x6B, 0x00, 0x44, 0, 0, 0, 0, 0, 0
            ]
        );
        let page = map_page(PageType::PageMap, &[0xFF; PAGE_BODY], 0x4600);
        assert_eq!(
            page[PAGE_BODY..],
            [
                0x83, 0x83, 0, 0, 0x6E, 0xE7, 0xAA, 0xA1, 0x00, 0x46, 0, 0, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn empty_dlist_of_outlook() {
        let dlist = DListPage {
            flags: 0,
            current_page: 0,
            entries: vec![],
        };
        let page = dlist.encode(0x17F);
        assert!(page[..PAGE_BODY].iter().all(|b| *b == 0));
        assert_eq!(
            page[PAGE_BODY..],
            [
                0x86, 0x86, 0x7F, 0x43, 0, 0, 0, 0, 0x7F, 0x01, 0, 0, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn dlist_entries_pack_page_and_free_slots() {
        let dlist = DListPage {
            flags: DListPage::BACKFILL_COMPLETE,
            current_page: 3,
            entries: vec![
                DListEntry {
                    amap: 3,
                    free_slots: 0xF00,
                },
                DListEntry {
                    amap: 0x12345,
                    free_slots: 7,
                },
            ],
        };
        let page = dlist.encode(0x20);
        assert_eq!(
            page[..16],
            [
                0x01, 0x02, 0, 0, 0x03, 0, 0, 0, 0x03, 0x00, 0x00, 0xF0, 0x45, 0x23, 0x71, 0x00
            ]
        );
        assert_eq!(DListPage::decode(&page), (dlist, true));
    }
}
