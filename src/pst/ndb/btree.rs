//! Building the [BBT and NBT](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/7d759bcb-7864-480c-8746-f6af913ab085)
//! (MS-PST 2.2.2.7.7) bottom-up from entries already in key order: leaf pages first, then each
//! level of BTENTRY pages over the one below, until one page — the root — is left.
//!
//! Entries are spread evenly over a level's pages, so no page is left nearly empty. Only the
//! BTENTRYs of the level being built are held in memory (one per page below).

use super::Error;
use super::header::BRef;
use super::page::{BtEntry, BtRecord, PAGE_SIZE, PageType, bt_page};

/// Where the pages of a tree go.
pub trait PageSink {
    /// The offset and BID of the next page.
    fn next_page(&mut self) -> Result<(u64, u64), Error>;
    fn write_page(&mut self, ib: u64, page: &[u8; PAGE_SIZE]) -> Result<(), Error>;
}

/// The sizes of the pages that `count` entries are spread over, at most `capacity` each; one
/// (possibly empty) page when there is nothing to spread.
pub fn page_sizes(count: u64, capacity: usize) -> impl Iterator<Item = usize> {
    let capacity = capacity as u64;
    let pages = count.div_ceil(capacity).max(1);
    let base = count / pages;
    let bigger = count % pages;
    (0..pages).map(move |i| (base + u64::from(i < bigger)) as usize)
}

/// Pages a tree of `count` leaf entries takes, `leaf_capacity` per leaf page.
pub fn page_count(count: u64, leaf_capacity: usize) -> u64 {
    let mut pages = count.div_ceil(leaf_capacity as u64).max(1);
    let mut total = pages;
    while pages > 1 {
        pages = pages.div_ceil(BtEntry::MAX as u64);
        total += pages;
    }
    total
}

/// Writes a tree of `count` entries taken from `entries` (in strictly increasing key order)
/// and returns its root page and the root's level.
pub fn build<E: BtRecord>(
    tree: PageType,
    count: u64,
    entries: impl Iterator<Item = Result<E, Error>>,
    sink: &mut impl PageSink,
) -> Result<(BRef, u8), Error> {
    let mut entries = entries;
    let mut last_key = None;
    let mut level_entries: Vec<BtEntry> = Vec::new();
    let mut page_entries: Vec<E> = Vec::with_capacity(E::MAX);
    for size in page_sizes(count, E::MAX) {
        page_entries.clear();
        for _ in 0..size {
            let entry = entries.next().ok_or(Error::IndexCount {
                tree: tree_name(tree),
                expected: count,
            })??;
            let key = entry.key();
            if last_key.is_some_and(|last| last >= key) {
                return Err(Error::IndexOrder {
                    tree: tree_name(tree),
                    key,
                });
            }
            last_key = Some(key);
            page_entries.push(entry);
        }
        let bref = write(tree, 0, &page_entries, sink)?;
        level_entries.push(BtEntry {
            key: page_entries.first().map_or(0, BtRecord::key),
            bref,
        });
    }
    if entries.next().is_some() {
        return Err(Error::IndexCount {
            tree: tree_name(tree),
            expected: count,
        });
    }
    let mut level = 0u8;
    while level_entries.len() > 1 {
        level += 1;
        let mut upper = Vec::with_capacity(level_entries.len().div_ceil(BtEntry::MAX));
        let mut rest = level_entries.as_slice();
        for size in page_sizes(rest.len() as u64, BtEntry::MAX) {
            let (page, tail) = rest.split_at(size);
            rest = tail;
            let bref = write(tree, level, page, sink)?;
            upper.push(BtEntry {
                key: page.first().map_or(0, |entry| entry.key),
                bref,
            });
        }
        level_entries = upper;
    }
    let root = level_entries
        .first()
        .map(|entry| entry.bref)
        .unwrap_or_default();
    Ok((root, level))
}

fn write<E: BtRecord>(
    tree: PageType,
    level: u8,
    entries: &[E],
    sink: &mut impl PageSink,
) -> Result<BRef, Error> {
    let (ib, bid) = sink.next_page()?;
    let page = bt_page(tree, level, entries, bid, ib);
    sink.write_page(ib, &page)?;
    Ok(BRef { bid, ib })
}

fn tree_name(tree: PageType) -> &'static str {
    if tree == PageType::NodeBTree {
        "NBT"
    } else {
        "BBT"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::ndb::ids::{Bid, Nid};
    use crate::pst::ndb::page::{BbtEntry, BtPageHeader, NodeEntry, PageTrailer};
    use std::collections::BTreeMap;

    /// Pages kept in memory, at consecutive offsets from 0x10000, BIDs from 1.
    #[derive(Default)]
    struct Pages {
        pages: BTreeMap<u64, [u8; PAGE_SIZE]>,
        next: u64,
    }

    impl PageSink for Pages {
        fn next_page(&mut self) -> Result<(u64, u64), Error> {
            self.next += 1;
            Ok((0x10000 + self.next * 512, self.next))
        }

        fn write_page(&mut self, ib: u64, page: &[u8; PAGE_SIZE]) -> Result<(), Error> {
            self.pages.insert(ib, *page);
            Ok(())
        }
    }

    fn bbt_entries(count: u64) -> impl Iterator<Item = Result<BbtEntry, Error>> {
        (1..=count).map(|i| {
            Ok(BbtEntry {
                bref: BRef {
                    bid: Bid::block(i, false).0,
                    ib: 0x4800 + 64 * i,
                },
                cb: 10,
                cref: 2,
                padding: 0,
            })
        })
    }

    /// Walks a built tree, checking levels, first keys and page headers; returns the leaf keys
    /// in order and the number of pages.
    fn walk(pages: &Pages, root: BRef, level: u8, cb_ent: u8, max: u8) -> (Vec<u64>, usize) {
        let page = &pages.pages[&root.ib];
        let trailer = PageTrailer::decode(page);
        assert_eq!(trailer.bid, root.bid);
        let header = BtPageHeader::decode(page);
        assert_eq!(header.level, level);
        assert!(header.count <= header.max);
        if level == 0 {
            assert_eq!((header.entry_size, header.max), (cb_ent, max));
            let keys = (0..usize::from(header.count))
                .map(|i| {
                    u64::from_le_bytes(header.entry(page, i).unwrap()[..8].try_into().unwrap())
                })
                .collect();
            return (keys, 1);
        }
        assert_eq!((header.entry_size, header.max), (24, 20));
        let mut keys = Vec::new();
        let mut count = 1;
        for i in 0..usize::from(header.count) {
            let entry = BtEntry::decode(header.entry(page, i).unwrap()).unwrap();
            let (child_keys, child_pages) = walk(pages, entry.bref, level - 1, cb_ent, max);
            assert_eq!(
                child_keys.first(),
                Some(&entry.key),
                "BTENTRY key is the child's first"
            );
            keys.extend(child_keys);
            count += child_pages;
        }
        (keys, count)
    }

    fn build_bbt(count: u64) -> (Pages, BRef, u8) {
        let mut pages = Pages::default();
        let (root, level) =
            build(PageType::BlockBTree, count, bbt_entries(count), &mut pages).unwrap();
        (pages, root, level)
    }

    #[test]
    fn empty_tree_is_one_empty_leaf() {
        let (pages, root, level) = build_bbt(0);
        assert_eq!(level, 0);
        assert_eq!(pages.pages.len(), 1);
        assert_eq!(walk(&pages, root, 0, 24, 20), (vec![], 1));
        assert_eq!(page_count(0, 20), 1);
    }

    #[test]
    fn trees_of_every_depth() {
        // (entries, root level, pages): 21 entries need a second leaf and a root above them.
        for (count, levels, page_total) in [
            (1, 0, 1),
            (20, 0, 1),
            (21, 1, 3),
            (400, 1, 21),
            (401, 2, 21 + 2 + 1),
            (10_000, 3, 500 + 25 + 2 + 1),
        ] {
            let (pages, root, level) = build_bbt(count);
            assert_eq!(level, levels, "{count} entries");
            let (keys, walked) = walk(&pages, root, level, 24, 20);
            let expected: Vec<u64> = (1..=count).map(|i| Bid::block(i, false).0).collect();
            assert_eq!(keys, expected, "{count} entries");
            assert_eq!(walked, page_total, "{count} entries");
            assert_eq!(pages.pages.len(), page_total);
            assert_eq!(page_count(count, 20), page_total as u64);
        }
    }

    #[test]
    fn entries_are_spread_evenly() {
        assert_eq!(page_sizes(21, 20).collect::<Vec<_>>(), [11, 10]);
        assert_eq!(page_sizes(40, 20).collect::<Vec<_>>(), [20, 20]);
        assert_eq!(page_sizes(0, 15).collect::<Vec<_>>(), [0]);
        assert_eq!(page_sizes(31, 15).collect::<Vec<_>>(), [11, 10, 10]);
    }

    #[test]
    fn nbt_leaves_hold_fifteen() {
        let count = 10_000u64;
        let mut pages = Pages::default();
        let nodes = (1..=count).map(|i| {
            Ok(NodeEntry {
                nid: Nid(0x200024 + 32 * i as u32),
                data: Bid::block(i, false),
                sub: Bid::NONE,
                parent: Nid(0x8022),
            })
        });
        let (root, level) = build(PageType::NodeBTree, count, nodes, &mut pages).unwrap();
        // 667 leaves, 34 pages above them, then 2, then the root.
        assert_eq!(level, 3);
        let (keys, walked) = walk(&pages, root, level, 32, 15);
        assert_eq!(keys.len(), 10_000);
        assert_eq!(walked, 667 + 34 + 2 + 1);
        assert_eq!(page_count(count, 15), 704);
        let trailer = PageTrailer::decode(&pages.pages[&root.ib]);
        assert_eq!(trailer.ptype, PageType::NodeBTree as u8);
    }

    #[test]
    fn refuses_unsorted_or_miscounted_entries() {
        let mut pages = Pages::default();
        let backwards = bbt_entries(3).collect::<Vec<_>>().into_iter().rev();
        assert!(matches!(
            build(PageType::BlockBTree, 3, backwards, &mut pages),
            Err(Error::IndexOrder { tree: "BBT", .. })
        ));
        assert!(matches!(
            build(PageType::BlockBTree, 4, bbt_entries(3), &mut pages),
            Err(Error::IndexCount { expected: 4, .. })
        ));
        assert!(matches!(
            build(PageType::BlockBTree, 2, bbt_entries(3), &mut pages),
            Err(Error::IndexCount { expected: 2, .. })
        ));
    }
}
