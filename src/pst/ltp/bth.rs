//! [BTree-on-heap](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/2dd1a95a-c8b1-4ac5-87d1-10cb8de64053)
//! (MS-PST 2.3.2): fixed-size records sorted by key, on a heap. A BTHHEADER allocation points at
//! the root; leaves hold `key ‖ data` records, intermediate levels `key ‖ HID` of each child with
//! the child's first key. Keys compare as little-endian unsigned integers.

use std::cmp::Ordering;

use super::{Error, Heap, HeapBuilder, Hid, MAX_ALLOCATION, bytes_at, u32_at};

/// `bType` of a BTHHEADER.
const BTH_TYPE: u8 = 0xB5;
const BTHHEADER_SIZE: usize = 8;
/// `bIdxLevels` is a byte, but a heap of 65,536 pages holds far fewer levels than this.
const MAX_LEVELS: u8 = 8;

/// A BTHHEADER (MS-PST 2.3.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BthHeader {
    /// `cbKey`: 2, 4, 8 or 16.
    pub key_size: u8,
    /// `cbEnt`: 1..=32.
    pub data_size: u8,
    /// `bIdxLevels`: 0 when the root is a leaf.
    pub levels: u8,
    /// `hidRoot`: [`Hid::NONE`] for an empty tree.
    pub root: Hid,
}

impl BthHeader {
    fn to_bytes(self) -> [u8; BTHHEADER_SIZE] {
        let root = self.root.0.to_le_bytes();
        [
            BTH_TYPE,
            self.key_size,
            self.data_size,
            self.levels,
            root[0],
            root[1],
            root[2],
            root[3],
        ]
    }
}

fn check_sizes(key_size: usize, data_size: usize) -> Result<(u8, u8), Error> {
    match (key_size, data_size) {
        (2 | 4 | 8 | 16, 1..=32) => Ok((key_size as u8, data_size as u8)),
        _ => Err(Error::BthRecordSize {
            key_size,
            data_size,
        }),
    }
}

/// Orders two little-endian keys.
fn compare_keys(a: &[u8], b: &[u8]) -> Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// Reserves the 8-byte BTHHEADER allocation, for clients that must place it before allocations
/// of their own (a table context's row index comes before its TCINFO). Fill it with
/// [`write_bth`].
pub fn reserve_bth_header(heap: &mut HeapBuilder) -> Result<Hid, Error> {
    heap.reserve(BTHHEADER_SIZE)
}

/// Allocates the levels of a BTH holding `records` (`key ‖ data` each, sorted by key without
/// repeats) and writes its header into `header`, reserved by [`reserve_bth_header`]. Leaves come
/// first, then each intermediate level up to the root.
pub fn write_bth(
    heap: &mut HeapBuilder,
    header: Hid,
    key_size: usize,
    data_size: usize,
    records: &[u8],
) -> Result<BthHeader, Error> {
    let (key_byte, data_byte) = check_sizes(key_size, data_size)?;
    let record_size = key_size + data_size;
    if !records.len().is_multiple_of(record_size) {
        return Err(Error::BthRecordBytes {
            len: records.len(),
            record_size,
        });
    }
    let keys = records
        .chunks(record_size)
        .map(|record| &record[..key_size]);
    for (index, pair) in keys.clone().zip(keys.skip(1)).enumerate() {
        if compare_keys(pair.0, pair.1) != Ordering::Less {
            return Err(Error::BthKeyOrder { index: index + 1 });
        }
    }

    let leaves = allocate_level(heap, records, key_size, record_size)?;
    write_bth_over(heap, header, (key_byte, data_byte), leaves)
}

/// Records of `record_size` bytes one allocation holds: what fills a leaf.
pub(super) fn records_per_allocation(record_size: usize) -> usize {
    MAX_ALLOCATION / record_size
}

/// Allocates the intermediate levels of a BTH over `leaves` (the first key and HID of each leaf,
/// in key order, each leaf full but the last) and writes its header into `header`. For a
/// client that allocates the leaves itself as its records come, in key order.
pub(super) fn write_bth_levels(
    heap: &mut HeapBuilder,
    header: Hid,
    key_size: usize,
    data_size: usize,
    leaves: Vec<(Vec<u8>, Hid)>,
) -> Result<BthHeader, Error> {
    let sizes = check_sizes(key_size, data_size)?;
    write_bth_over(heap, header, sizes, leaves)
}

fn write_bth_over(
    heap: &mut HeapBuilder,
    header: Hid,
    (key_byte, data_byte): (u8, u8),
    leaves: Vec<(Vec<u8>, Hid)>,
) -> Result<BthHeader, Error> {
    let key_size = usize::from(key_byte);
    let mut levels = 0u8;
    // (first key, HID) of each allocation of the level just written.
    let mut level = leaves;
    while level.len() > 1 {
        let mut index_records = Vec::with_capacity(level.len() * (key_size + 4));
        for (key, hid) in &level {
            index_records.extend_from_slice(key);
            index_records.extend_from_slice(&hid.0.to_le_bytes());
        }
        level = allocate_level(heap, &index_records, key_size, key_size + 4)?;
        levels += 1;
    }
    let root = level.first().map_or(Hid::NONE, |(_, hid)| *hid);
    let bth = BthHeader {
        key_size: key_byte,
        data_size: data_byte,
        levels,
        root,
    };
    set_bth_header(heap, header, bth)?;
    Ok(bth)
}

/// Writes `bth` into the header allocation `header` reserved by [`reserve_bth_header`].
pub(super) fn set_bth_header(
    heap: &mut HeapBuilder,
    header: Hid,
    bth: BthHeader,
) -> Result<(), Error> {
    let slot = heap
        .allocation_mut(header)
        .filter(|slot| slot.len() == BTHHEADER_SIZE)
        .ok_or(Error::NoSuchAllocation { hid: header.0 })?;
    slot.copy_from_slice(&bth.to_bytes());
    Ok(())
}

/// Stores `records` in allocations of as many whole records as fit, returning each
/// allocation's first key and HID.
fn allocate_level(
    heap: &mut HeapBuilder,
    records: &[u8],
    key_size: usize,
    record_size: usize,
) -> Result<Vec<(Vec<u8>, Hid)>, Error> {
    let per_allocation = records_per_allocation(record_size);
    records
        .chunks(per_allocation * record_size)
        .map(|chunk| Ok((chunk[..key_size].to_vec(), heap.allocate(chunk)?)))
        .collect()
}

/// Builds a whole BTH: its header first, then its levels. Returns the header's HID.
pub fn build_bth(
    heap: &mut HeapBuilder,
    key_size: usize,
    data_size: usize,
    records: &[u8],
) -> Result<Hid, Error> {
    let header = reserve_bth_header(heap)?;
    write_bth(heap, header, key_size, data_size, records)?;
    Ok(header)
}

/// Reads the BTH whose header is at `header`: its header and its records (`key ‖ data`) in key
/// order. Checks the header fields, that every level has whole records, that intermediate keys
/// equal the first key of their child, and that keys strictly increase.
pub fn read_bth<'a>(heap: &Heap<'a>, header: Hid) -> Result<(BthHeader, Vec<&'a [u8]>), Error> {
    let bytes = heap.get(header)?;
    if bytes.len() != BTHHEADER_SIZE {
        return Err(Error::invalid(
            "BTHHEADER",
            "allocation size",
            bytes.len() as u64,
            "a BTHHEADER is 8 bytes",
        ));
    }
    if bytes[0] != BTH_TYPE {
        return Err(Error::invalid(
            "BTHHEADER",
            "bType",
            bytes[0],
            "expected 0xB5",
        ));
    }
    let (key_size, data_size) = (usize::from(bytes[1]), usize::from(bytes[2]));
    if check_sizes(key_size, data_size).is_err() {
        return Err(Error::invalid(
            "BTHHEADER",
            "cbKey/cbEnt",
            (bytes[1] as u64) << 8 | bytes[2] as u64,
            "cbKey must be 2, 4, 8 or 16 and cbEnt 1..=32",
        ));
    }
    let bth = BthHeader {
        key_size: bytes[1],
        data_size: bytes[2],
        levels: bytes[3],
        root: Hid(u32_at(bytes, 4, "BTHHEADER")?),
    };
    if bth.levels > MAX_LEVELS {
        return Err(Error::invalid(
            "BTHHEADER",
            "bIdxLevels",
            bth.levels,
            "deeper than any heap can hold",
        ));
    }
    if bth.root == Hid::NONE {
        if bth.levels != 0 {
            return Err(Error::invalid(
                "BTHHEADER",
                "bIdxLevels",
                bth.levels,
                "an empty BTH has no levels",
            ));
        }
        return Ok((bth, Vec::new()));
    }

    // Walk down one level at a time, remembering the key each child must start with.
    let mut nodes: Vec<(Option<&[u8]>, Hid)> = vec![(None, bth.root)];
    for _ in 0..bth.levels {
        let mut children = Vec::new();
        for (first_key, hid) in nodes {
            let entries = records_of(heap, hid, key_size + 4, "BTH intermediate level")?;
            check_first_key(first_key, entries[0], key_size)?;
            for entry in entries {
                children.push((
                    Some(&entry[..key_size]),
                    Hid(u32_at(entry, key_size, "BTH")?),
                ));
            }
        }
        nodes = children;
    }
    let mut records = Vec::new();
    for (first_key, hid) in nodes {
        let leaf = records_of(heap, hid, key_size + data_size, "BTH leaf")?;
        check_first_key(first_key, leaf[0], key_size)?;
        records.extend(leaf);
    }
    for pair in records.windows(2) {
        if compare_keys(&pair[0][..key_size], &pair[1][..key_size]) != Ordering::Less {
            let key = bytes_at(pair[1], 0, key_size, "BTH record")?;
            return Err(Error::invalid(
                "BTH record",
                "key",
                key.iter()
                    .rev()
                    .fold(0u64, |acc, b| acc << 8 | u64::from(*b)),
                "keys must strictly increase",
            ));
        }
    }
    Ok((bth, records))
}

/// The records of one BTH allocation; at least one, and a whole number of them.
fn records_of<'a>(
    heap: &Heap<'a>,
    hid: Hid,
    record_size: usize,
    structure: &'static str,
) -> Result<Vec<&'a [u8]>, Error> {
    let bytes = heap.get(hid)?;
    if bytes.is_empty() || bytes.len() % record_size != 0 {
        return Err(Error::invalid(
            structure,
            "allocation size",
            bytes.len() as u64,
            "not a whole, non-zero number of records",
        ));
    }
    Ok(bytes.chunks(record_size).collect())
}

fn check_first_key(expected: Option<&[u8]>, record: &[u8], key_size: usize) -> Result<(), Error> {
    match expected {
        Some(key) if key != &record[..key_size] => Err(Error::invalid(
            "BTH intermediate record",
            "key",
            key.iter()
                .rev()
                .fold(0u64, |acc, b| acc << 8 | u64::from(*b)),
            "differs from the first key of its child",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::ltp::ClientSig;
    use crate::pst::ltp::testing::{hex, outlook_pst_accepts_bth_header, outlook_pst_accepts_heap};

    fn records(keys: impl Iterator<Item = u32>) -> Vec<u8> {
        keys.flat_map(|key| key.to_le_bytes().into_iter().chain((!key).to_le_bytes()))
            .collect()
    }

    fn build_and_read(count: u32) -> (BthHeader, Vec<Vec<u8>>, Vec<u8>) {
        let input = records((0..count).map(|i| i * 3 + 1));
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        let header = build_bth(&mut heap, 4, 4, &input).unwrap();
        heap.set_user_root(header);
        let blocks = heap.finish();
        outlook_pst_accepts_heap(&blocks.0);
        let read = Heap::read(&blocks.0).unwrap();
        outlook_pst_accepts_bth_header(read.get(header).unwrap());
        let (bth, found) = read_bth(&read, header).unwrap();
        let found = found.iter().map(|r| r.to_vec()).collect();
        (bth, found, input)
    }

    #[test]
    fn a_small_bth_is_a_header_and_one_leaf() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        let header = build_bth(&mut heap, 4, 4, &records([5, 9].into_iter())).unwrap();
        heap.set_user_root(header);
        assert_eq!(
            heap.finish().0[0],
            hex("
                0000: 24 00 EC B5 20 00 00 00 00 00 00 00 B5 04 04 00
                0010: 40 00 00 00 05 00 00 00 FA FF FF FF 09 00 00 00
                0020: F6 FF FF FF 02 00 00 00 0C 00 14 00 24 00
            ")
        );
    }

    #[test]
    fn an_empty_bth_has_root_0() {
        let (bth, found, _) = build_and_read(0);
        assert_eq!((bth.levels, bth.root), (0, Hid::NONE));
        assert!(found.is_empty());
    }

    #[test]
    fn a_full_leaf_holds_447_records_of_8_bytes() {
        let (bth, found, input) = build_and_read(447);
        assert_eq!(bth.levels, 0);
        assert_eq!(found.concat(), input);
        let (bth, found, input) = build_and_read(448);
        assert_eq!(bth.levels, 1);
        assert_eq!(found.concat(), input);
    }

    #[test]
    fn large_bths_grow_index_levels() {
        // 447 × 447 = 199,809 records fit under one intermediate allocation; one more needs a
        // second level above it.
        let (bth, found, input) = build_and_read(447 * 447);
        assert_eq!(bth.levels, 1);
        assert_eq!(found.concat(), input);
        let (bth, found, input) = build_and_read(447 * 447 + 1);
        assert_eq!(bth.levels, 2);
        assert_eq!(found.len(), 447 * 447 + 1);
        assert_eq!(found.concat(), input);
    }

    #[test]
    fn records_must_be_sorted_whole_and_of_valid_sizes() {
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        let unsorted = records([2, 1].into_iter());
        assert!(matches!(
            build_bth(&mut heap, 4, 4, &unsorted),
            Err(Error::BthKeyOrder { index: 1 })
        ));
        let repeated = records([2, 2].into_iter());
        assert!(matches!(
            build_bth(&mut heap, 4, 4, &repeated),
            Err(Error::BthKeyOrder { index: 1 })
        ));
        assert!(matches!(
            build_bth(&mut heap, 4, 4, &[0; 7]),
            Err(Error::BthRecordBytes {
                len: 7,
                record_size: 8
            })
        ));
        assert!(matches!(
            build_bth(&mut heap, 3, 4, &[]),
            Err(Error::BthRecordSize { key_size: 3, .. })
        ));
        assert!(matches!(
            build_bth(&mut heap, 2, 33, &[]),
            Err(Error::BthRecordSize { data_size: 33, .. })
        ));
        // Keys compare as little-endian numbers: 0x0100 comes after 0x00FF.
        let keys = [0xFFu16, 0x100]
            .iter()
            .flat_map(|k| k.to_le_bytes())
            .collect::<Vec<_>>();
        build_bth(&mut heap, 2, 1, &[keys[0], keys[1], 0, keys[2], keys[3], 0]).unwrap();
    }

    #[test]
    fn the_reader_checks_intermediate_keys_and_order() {
        // Two leaves under a root whose second key is wrong.
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        let header = reserve_bth_header(&mut heap).unwrap();
        let leaf1 = heap.allocate(&records([1, 2].into_iter())).unwrap();
        let leaf2 = heap.allocate(&records([5, 6].into_iter())).unwrap();
        let mut root = Vec::new();
        for (key, leaf) in [(1u32, leaf1), (4, leaf2)] {
            root.extend_from_slice(&key.to_le_bytes());
            root.extend_from_slice(&leaf.0.to_le_bytes());
        }
        let root = heap.allocate(&root).unwrap();
        let bth = BthHeader {
            key_size: 4,
            data_size: 4,
            levels: 1,
            root,
        };
        set_bth_header(&mut heap, header, bth).unwrap();
        let blocks = heap.finish();
        let read = Heap::read(&blocks.0).unwrap();
        match read_bth(&read, header) {
            Err(Error::Invalid {
                structure, value, ..
            }) => {
                assert_eq!((structure, value), ("BTH intermediate record", 4));
            }
            other => panic!("{other:?}"),
        }

        // Leaves out of order.
        let mut heap = HeapBuilder::new(ClientSig::Bth);
        let header = reserve_bth_header(&mut heap).unwrap();
        let leaf = heap.allocate(&records([3, 2].into_iter())).unwrap();
        let bth = BthHeader {
            key_size: 4,
            data_size: 4,
            levels: 0,
            root: leaf,
        };
        set_bth_header(&mut heap, header, bth).unwrap();
        let blocks = heap.finish();
        let read = Heap::read(&blocks.0).unwrap();
        assert!(matches!(
            read_bth(&read, header),
            Err(Error::Invalid { field: "key", .. })
        ));
    }
}
