//! [AMap](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/60466ef4-af15-49b6-8413-b3a72f0e9bdb),
//! [PMap](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/e0c59db8-970a-40df-9547-c136e8858291),
//! [FMap](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9054ab04-2bc4-4e3d-a1af-f72cd46394a1)
//! and [FPMap](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/dd913b8e-5113-4b83-a5ea-351a08b4237b)
//! (MS-PST 2.2.2.7.2–2.2.2.7.6): where the map pages sit, and where blocks and pages may go.
//!
//! The file after 0x4400 is a sequence of intervals of 253,952 bytes. Each starts with its AMap
//! page (one bit per 64-byte slot of the interval); every 8th also holds a PMap page at +512;
//! from the 128th on, every 496th an FMap page at +1024; from the 8192nd on, every 31,744th an
//! FPMap page, also at +1024: the map pages of an interval are packed, and an interval never
//! has both an FMap and an FPMap (docs/pst-writer-notes.md §1.5). Blocks and pages are placed
//! after those pages and never cross into the next interval. All offsets are `u64`: files pass
//! 4 GiB.

use super::page::{PAGE_BODY, PAGE_SIZE, PageType};

/// Offset of the first AMap page, where the first interval starts.
pub const FIRST_AMAP: u64 = 0x4400;
/// Bytes one AMap maps: 496 × 8 bits × 64 bytes.
pub const INTERVAL: u64 = (PAGE_BODY * 8 * 64) as u64;
/// Slots of one interval.
pub const SLOTS: usize = PAGE_BODY * 8;
/// Bytes per AMap bit.
pub const SLOT_SIZE: u64 = 64;
const PAGE: u64 = PAGE_SIZE as u64;

/// The first interval with an FMap, and the distance between FMaps (an FMap byte per AMap).
const FMAP_FIRST: u64 = 128;
const FMAP_EVERY: u64 = PAGE_BODY as u64;
/// The first interval with an FPMap, and the distance between FPMaps (an FPMap bit per PMap).
const FPMAP_FIRST: u64 = 128 * 64;
const FPMAP_EVERY: u64 = (PAGE_BODY * 8 * 8) as u64;

/// Where interval `i` starts: its AMap page.
pub fn interval_base(i: u64) -> u64 {
    FIRST_AMAP + i * INTERVAL
}

/// The interval holding `offset` (at or after [`FIRST_AMAP`]).
pub fn interval_of(offset: u64) -> u64 {
    offset.saturating_sub(FIRST_AMAP) / INTERVAL
}

/// The size of a file of `intervals` whole intervals.
pub fn file_size(intervals: u64) -> u64 {
    interval_base(intervals)
}

/// How many intervals a file needs so that `end` (exclusive) lies inside it; at least one.
pub fn intervals_to_cover(end: u64) -> u64 {
    end.saturating_sub(FIRST_AMAP).div_ceil(INTERVAL).max(1)
}

pub fn has_pmap(i: u64) -> bool {
    i.is_multiple_of(8)
}

pub fn has_fmap(i: u64) -> bool {
    i >= FMAP_FIRST && (i - FMAP_FIRST).is_multiple_of(FMAP_EVERY)
}

pub fn has_fpmap(i: u64) -> bool {
    i >= FPMAP_FIRST && (i - FPMAP_FIRST).is_multiple_of(FPMAP_EVERY)
}

/// The map pages of interval `i`: (offset, type), in file order, one after the other. An FMap
/// and an FPMap never share an interval (FMap intervals are 128 mod 496, FPMap intervals 256),
/// so the third page is one or the other; every FMap and FPMap interval also has a PMap.
pub fn map_pages(i: u64) -> impl Iterator<Item = (u64, PageType)> {
    let base = interval_base(i);
    [
        Some((base, PageType::AllocationMap)),
        has_pmap(i).then_some((base + PAGE, PageType::PageMap)),
        has_fmap(i).then_some((base + 2 * PAGE, PageType::FreeMap)),
        has_fpmap(i).then_some((base + 2 * PAGE, PageType::FreePageMap)),
    ]
    .into_iter()
    .flatten()
}

/// Where blocks and pages of interval `i` may start: after its last map page.
pub fn data_start(i: u64) -> u64 {
    map_pages(i)
        .last()
        .map_or(interval_base(i), |(at, _)| at + PAGE)
}

/// Where an allocation of `size` bytes (at most an interval's free room) goes when the next
/// free byte is `cursor`: at `cursor` rounded up to `align`, or at the start of the next
/// interval's free room if it would otherwise touch that interval's map pages.
pub fn place(cursor: u64, size: u64, align: u64) -> u64 {
    let i = interval_of(cursor);
    let at = cursor.max(data_start(i)).next_multiple_of(align);
    if at + size <= interval_base(i + 1) {
        at
    } else {
        data_start(i + 1).next_multiple_of(align)
    }
}

/// An AMap's bits: bit k (MSB first) of byte k/8 is slot k of the interval.
#[derive(Clone, PartialEq, Eq)]
pub struct AMap(pub [u8; PAGE_BODY]);

impl std::fmt::Debug for AMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AMap({} free slots)", self.free_slots())
    }
}

impl AMap {
    pub fn empty() -> AMap {
        AMap([0; PAGE_BODY])
    }

    /// The map of interval `i` with only its own map pages allocated.
    pub fn with_map_pages(i: u64) -> AMap {
        let mut amap = AMap::empty();
        let base = interval_base(i);
        for (at, _) in map_pages(i) {
            amap.set((at - base) / SLOT_SIZE, PAGE / SLOT_SIZE);
        }
        amap
    }

    pub fn is_set(&self, slot: u64) -> bool {
        self.0
            .get((slot / 8) as usize)
            .is_some_and(|byte| byte & (0x80 >> (slot % 8)) != 0)
    }

    /// Marks `count` slots from `first` as allocated; returns how many were already marked.
    pub fn set(&mut self, first: u64, count: u64) -> u64 {
        let mut already = 0;
        for (byte, mask) in self.masks(first, count) {
            already += u64::from((*byte & mask).count_ones());
            *byte |= mask;
        }
        already
    }

    /// Marks `count` slots from `first` as free.
    pub fn clear(&mut self, first: u64, count: u64) {
        for (byte, mask) in self.masks(first, count) {
            *byte &= !mask;
        }
    }

    /// The bytes that hold slots `first..first + count` (cut at the end of the map), each with
    /// the mask of those slots in it.
    fn masks(&mut self, first: u64, count: u64) -> impl Iterator<Item = (&mut u8, u8)> {
        let end = (first + count).min(SLOTS as u64);
        let first = first.min(end);
        let bytes = (first / 8) as usize..end.div_ceil(8) as usize;
        self.0[bytes.clone()]
            .iter_mut()
            .zip(bytes)
            .map(move |(byte, index)| {
                let low = (index as u64 * 8).max(first) - index as u64 * 8;
                let high = (index as u64 * 8 + 8).min(end) - index as u64 * 8;
                // Bits low..high of the byte, counted from its most significant bit.
                let mask = (0xFFu16 >> low) as u8 & !((0xFFu16 >> high) as u8);
                (byte, mask)
            })
    }

    pub fn free_slots(&self) -> u64 {
        self.0.iter().map(|b| u64::from(b.count_zeros())).sum()
    }

    /// The longest run of free slots; what an FMap byte records (capped at 255 there).
    pub fn longest_free_run(&self) -> u64 {
        let (mut longest, mut run) = (0, 0);
        for byte in self.0 {
            match byte {
                0 => {
                    run += 8;
                    continue;
                }
                // All taken: nearly every byte of a file written in one pass.
                0xFF => {
                    longest = u64::max(longest, run);
                    run = 0;
                    continue;
                }
                _ => {}
            }
            for bit in 0..8 {
                if byte & (0x80 >> bit) == 0 {
                    run += 1;
                } else {
                    longest = u64::max(longest, run);
                    run = 0;
                }
            }
        }
        longest.max(run)
    }

    /// The first slot where `self` and `other` differ.
    pub fn first_difference(&self, other: &AMap) -> Option<u64> {
        let index = self.0.iter().zip(&other.0).position(|(a, b)| a != b)?;
        let differing = self.0[index] ^ other.0[index];
        Some(index as u64 * 8 + u64::from(differing.leading_zeros()))
    }
}

/// The FMap byte of an AMap.
pub fn fmap_byte(amap: &AMap) -> u8 {
    amap.longest_free_run().min(255) as u8
}

/// The AMaps the FMap page of interval `i` covers: the 496 from `i` on.
pub fn fmap_coverage(i: u64) -> std::ops::Range<u64> {
    i..i + FMAP_EVERY
}

/// The header's `rgbFM`, the FMap of the first 128 AMaps (the FMap pages start at the 129th):
/// each AMap's [`fmap_byte`], 0 for AMaps past the end of the file. Outlook's own files that
/// have been used hold exactly that (`FF 00 00 …` for a one-interval file); a fresh one holds
/// 0xFF throughout (docs/pst-writer-notes.md §1.1).
pub fn initial_fmap(fmap_bytes: &[u8]) -> [u8; FMAP_FIRST as usize] {
    let mut rgb_fm = [0u8; FMAP_FIRST as usize];
    for (slot, byte) in rgb_fm.iter_mut().zip(fmap_bytes) {
        *slot = *byte;
    }
    rgb_fm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_math() {
        assert_eq!(INTERVAL, 253_952);
        assert_eq!(interval_base(0), 0x4400);
        assert_eq!(interval_base(1), 0x42400);
        assert_eq!(file_size(1), 0x42400);
        assert_eq!(interval_of(0x4400), 0);
        assert_eq!(interval_of(0x423FF), 0);
        assert_eq!(interval_of(0x42400), 1);
        assert_eq!(intervals_to_cover(0x4400), 1);
        assert_eq!(intervals_to_cover(0x42400), 1);
        assert_eq!(intervals_to_cover(0x42401), 2);
    }

    #[test]
    fn first_interval_has_amap_and_pmap() {
        let pages: Vec<_> = map_pages(0).collect();
        assert_eq!(
            pages,
            [
                (0x4400, PageType::AllocationMap),
                (0x4600, PageType::PageMap)
            ]
        );
        assert_eq!(data_start(0), 0x4800);
        assert_eq!(data_start(1), 0x42600);
        assert!(has_pmap(8) && !has_pmap(9));
    }

    #[test]
    fn the_128th_interval_brings_the_first_fmap() {
        assert!(!has_fmap(127));
        assert!(has_fmap(128));
        assert_eq!(
            map_pages(128).collect::<Vec<_>>(),
            [
                (0x1F0_4400, PageType::AllocationMap),
                (0x1F0_4600, PageType::PageMap),
                (0x1F0_4800, PageType::FreeMap),
            ]
        );
        assert_eq!(data_start(128), 0x1F0_4A00);
        assert!(!has_fmap(129) && !has_fmap(623));
        assert!(has_fmap(624));
        assert!(has_pmap(624));
        assert_eq!(fmap_coverage(128), 128..624);
    }

    /// Outlook's own 19 GB file has AMap, PMap and FPMap on the first three pages of the
    /// interval and data from the fourth (PSTForge's record of it); a writer that put the FPMap
    /// at +1536 got hundreds of FPMap findings from ScanPST (ContinuMail PR #61).
    #[test]
    fn the_8192nd_interval_brings_the_first_fpmap_packed_after_the_pmap() {
        assert!(!has_fpmap(8191));
        assert!(has_fpmap(8192));
        // No FMap falls there: 8192 − 128 is not a multiple of 496.
        assert!(!has_fmap(8192));
        assert_eq!(
            map_pages(8192).collect::<Vec<_>>(),
            [
                (0x7C00_4400, PageType::AllocationMap),
                (0x7C00_4600, PageType::PageMap),
                (0x7C00_4800, PageType::FreePageMap),
            ]
        );
        assert_eq!(data_start(8192), 0x7C00_4A00);
        assert!(has_fpmap(8192 + 31_744));
        assert!(!has_fpmap(8192 + 496));
        let amap = AMap::with_map_pages(8192);
        assert_eq!(amap.0[..4], [0xFF, 0xFF, 0xFF, 0x00]);
    }

    #[test]
    fn fmap_and_fpmap_never_share_an_interval_and_always_have_a_pmap() {
        for i in 0..200_000 {
            assert!(!(has_fmap(i) && has_fpmap(i)), "interval {i}");
            if has_fmap(i) || has_fpmap(i) {
                assert!(has_pmap(i), "interval {i}");
            }
        }
    }

    #[test]
    fn offsets_beyond_2_and_4_gib() {
        // 2 GiB lies in interval 8456; 4 GiB in 16912; both past the first FPMap.
        let two_gib = 1u64 << 31;
        let i = interval_of(two_gib);
        assert_eq!(i, 8456);
        assert!(interval_base(i) <= two_gib && two_gib < interval_base(i + 1));
        let four_gib = 1u64 << 32;
        let i = interval_of(four_gib);
        assert_eq!(i, 16_912);
        assert!(interval_base(i) <= four_gib && four_gib < interval_base(i + 1));
        assert_eq!(interval_base(i + 1), 0x4400 + 16_913 * 253_952);
        assert!(interval_base(i + 1) > u64::from(u32::MAX));
        // The FMap of interval 16,000 sits past 3.9 GB, and files end in whole intervals.
        assert!(has_fmap(128 + 32 * 496));
        assert_eq!(interval_base(16_000), 4_063_249_408);
        assert_eq!(file_size(20_000) % 512, 0);
        assert_eq!(intervals_to_cover(4_500 * 1_000_000), 17_720);
        assert!(file_size(17_720) >= 4_500 * 1_000_000);
    }

    #[test]
    fn placement_skips_map_pages_and_never_crosses_an_interval() {
        // A fresh cursor lands after AMap and PMap.
        assert_eq!(place(0x4400, 64, 64), 0x4800);
        assert_eq!(place(0x4800, 8192, 64), 0x4800);
        // A block that would run into the next AMap goes after the next interval's maps.
        let end = interval_base(1);
        assert_eq!(place(end - 8192, 8192, 64), end - 8192);
        assert_eq!(place(end - 8128, 8192, 64), data_start(1));
        // Pages are 512-aligned.
        assert_eq!(place(0x4840, 512, 512), 0x4A00);
        assert_eq!(place(end - 64, 512, 512), data_start(1));
        // Past 4 GiB the same rules hold.
        let i = 16_912;
        let end = interval_base(i + 1);
        assert_eq!(place(end - 100, 128, 64), data_start(i + 1));
        assert_eq!(place(interval_base(i), 64, 64), data_start(i));
    }

    #[test]
    fn amap_bits_are_msb_first() {
        let mut amap = AMap::with_map_pages(0);
        assert_eq!(amap.0[..3], [0xFF, 0xFF, 0x00]);
        assert_eq!(amap.set(16, 3), 0);
        assert_eq!(amap.0[2], 0xE0);
        assert_eq!(amap.set(18, 2), 1);
        amap.clear(16, 1);
        assert_eq!(amap.0[2], 0x70);
        assert_eq!(amap.free_slots(), SLOTS as u64 - 19);
        assert_eq!(amap.longest_free_run(), SLOTS as u64 - 20);
        assert_eq!(fmap_byte(&amap), 255);
        let full = AMap([0xFF; PAGE_BODY]);
        assert_eq!(fmap_byte(&full), 0);
        assert_eq!(full.first_difference(&amap), Some(16));
    }

    /// `set`, `clear`, `longest_free_run` and `first_difference` work a byte at a time; here
    /// they are held against the plain slot-by-slot meaning on many ranges.
    #[test]
    fn bytewise_map_operations_agree_with_slot_by_slot_ones() {
        let mut ours = AMap::empty();
        let mut slots = vec![false; SLOTS];
        let mut x: u64 = 7;
        for round in 0..2000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let first = (x >> 33) % (SLOTS as u64 + 10);
            let count = (x >> 13) % 70;
            let end = (first + count).min(SLOTS as u64);
            if round % 3 == 0 {
                ours.clear(first, count);
                for slot in first.min(end)..end {
                    slots[slot as usize] = false;
                }
            } else {
                let before = (first.min(end)..end).filter(|s| slots[*s as usize]).count();
                assert_eq!(ours.set(first, count), before as u64);
                for slot in first.min(end)..end {
                    slots[slot as usize] = true;
                }
            }
            for (slot, set) in slots.iter().enumerate() {
                assert_eq!(ours.is_set(slot as u64), *set, "slot {slot}");
            }
            let mut longest = 0;
            let mut run = 0;
            for set in &slots {
                run = if *set { 0 } else { run + 1 };
                longest = longest.max(run);
            }
            assert_eq!(ours.longest_free_run(), longest);
        }
        let mut other = ours.clone();
        other.clear(0, SLOTS as u64);
        other.0.copy_from_slice(&ours.0);
        assert_eq!(ours.first_difference(&other), None);
        other.0[100] ^= 0x04;
        assert_eq!(ours.first_difference(&other), Some(805));
    }

    #[test]
    fn the_header_fmap_covers_the_first_128_amaps() {
        let rgb_fm = initial_fmap(&[255, 3, 0]);
        assert_eq!(rgb_fm[..4], [255, 3, 0, 0]);
        assert!(rgb_fm[3..].iter().all(|b| *b == 0));
        let many: Vec<u8> = (0..200).map(|i| i as u8).collect();
        assert_eq!(initial_fmap(&many)[127], 127);
    }

    #[test]
    fn outlook_amap_free_space() {
        // `Empty.pst` has one AMap with 3765 free slots: cbAMapFree 0x3AD40.
        let mut amap = AMap::empty();
        amap.0[..0x2F].copy_from_slice(&[
            0xFF, 0xFF, 0x7F, 0xE6, 0xFF, 0xFF, 0xFF, 0xFF, 0xF8, 0xF0, 0xF0, 0xE0, 0x7F, 0xC0,
            0x0F, 0xFC, 0x00, 0xF0, 0x00, 0x00, 0xFF, 0xFE, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00,
            0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0x00, 0xFF, 0xFF, 0x80,
        ]);
        assert_eq!(amap.free_slots(), 3765);
        assert_eq!(amap.free_slots() * SLOT_SIZE, 0x3AD40);
    }
}
