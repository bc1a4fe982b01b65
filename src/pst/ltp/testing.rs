//! Helpers for the tests of the [LTP layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/4c24c7d2-5c5a-4b99-88b2-f4b84cc293ae)
//! (MS-PST 2.3): an in-memory subnode store that both writes and reads, hex dumps, and
//! `outlook-pst`'s own checks applied to what we build.

use std::collections::BTreeMap;

use crate::pst::ndb::{self, Nid, NidType};

use super::{Error, SubnodeReader, SubnodeWriter};

/// Subnodes kept in memory, as the data blocks the NDB layer would write.
#[derive(Debug, Default)]
pub(crate) struct MemorySubnodes {
    pub subnodes: BTreeMap<Nid, Vec<Vec<u8>>>,
    /// The block size each subnode was written with.
    pub block_sizes: BTreeMap<Nid, usize>,
}

impl SubnodeWriter for MemorySubnodes {
    fn write_subnode(&mut self, data: &[u8], block_size: usize) -> Result<Nid, ndb::Error> {
        assert!(!data.is_empty(), "a subnode is never empty");
        assert!((1..=8176).contains(&block_size), "block size {block_size}");
        let nid = Nid::new(NidType::Ltp, 0x8000 + self.subnodes.len() as u32);
        let blocks = data.chunks(block_size).map(<[u8]>::to_vec).collect();
        self.subnodes.insert(nid, blocks);
        self.block_sizes.insert(nid, block_size);
        Ok(nid)
    }
}

impl SubnodeReader for MemorySubnodes {
    fn read_subnode(&mut self, nid: Nid) -> Result<Vec<Vec<u8>>, Error> {
        self.subnodes
            .get(&nid)
            .cloned()
            .ok_or(Error::SubnodeNotFound { nid })
    }
}

/// The bytes of a hex dump: hex pairs, anything else ignored (so offsets can be written as
/// `0010:` and are skipped when followed by a colon).
pub(crate) fn hex(dump: &str) -> Vec<u8> {
    dump.lines()
        .flat_map(|line| {
            let line = line.split_once(':').map_or(line, |(_, rest)| rest);
            line.split_whitespace()
                .map(|pair| u8::from_str_radix(pair, 16).expect("hex byte"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Checks every page of a heap with `outlook-pst`'s own checks of what it reads: the
/// HNPAGEMAP (offsets, `cAlloc`, `cFree` equal to the empty allocations), the client signature
/// and the fill levels.
pub(crate) fn outlook_pst_accepts_heap(blocks: &[Vec<u8>]) {
    use outlook_pst::ltp::heap::{
        HeapFillLevel, HeapNodePageAllocOffsets, HeapNodePageMap, HeapNodeType,
    };
    let first = &blocks[0];
    HeapNodeType::try_from(first[3]).expect("bClientSig");
    assert_eq!(first[2], 0xEC);
    for byte in &first[8..12] {
        HeapFillLevel::try_from(byte & 0x0F).expect("fill level");
        HeapFillLevel::try_from(byte >> 4).expect("fill level");
    }
    for block in blocks {
        let ib_hnpm = usize::from(u16::from_le_bytes([block[0], block[1]]));
        let word = |at: usize| u16::from_le_bytes([block[at], block[at + 1]]);
        let count = word(ib_hnpm);
        let free = word(ib_hnpm + 2);
        let offsets = (0..=usize::from(count))
            .map(|i| word(ib_hnpm + 4 + 2 * i))
            .collect();
        HeapNodePageMap::new(count, free, HeapNodePageAllocOffsets::new(offsets))
            .expect("outlook-pst accepts the HNPAGEMAP");
    }
}

/// Checks a BTHHEADER with `outlook-pst`'s rules for one.
pub(crate) fn outlook_pst_accepts_bth_header(bytes: &[u8]) {
    use outlook_pst::ltp::{heap::HeapId, tree::HeapTreeHeader};
    assert_eq!(bytes[0], 0xB5);
    let root = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    HeapTreeHeader::new(bytes[1], bytes[2], bytes[3], HeapId::from(root))
        .expect("outlook-pst accepts the BTHHEADER");
}

/// Checks a TCINFO with `outlook-pst`'s rules for one (group bounds, row ID and version
/// columns, offsets and sizes per type).
pub(crate) fn outlook_pst_accepts_tcinfo(bytes: &[u8]) {
    use outlook_pst::ltp::heap::HeapId;
    use outlook_pst::ltp::prop_type::PropertyType;
    use outlook_pst::ltp::table_context::{TableColumnDescriptor, TableContextInfo};
    use outlook_pst::ndb::node_id::NodeId;
    let word = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let dword =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    assert_eq!(bytes[0], 0x7C);
    let columns = (0..usize::from(bytes[1]))
        .map(|i| {
            let at = 22 + 8 * i;
            let tag = dword(at);
            let ty = PropertyType::try_from(tag as u16).expect("column type");
            TableColumnDescriptor::new(
                ty,
                (tag >> 16) as u16,
                word(at + 4),
                bytes[at + 6],
                bytes[at + 7],
            )
        })
        .collect();
    let rows = dword(14);
    TableContextInfo::new(
        word(2),
        word(4),
        word(6),
        word(8),
        HeapId::from(dword(10)),
        (rows != 0).then(|| NodeId::from(rows)),
        columns,
    )
    .expect("outlook-pst accepts the TCINFO");
}
