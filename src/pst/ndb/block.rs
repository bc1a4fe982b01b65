//! [Blocks](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/a9c1981d-d1ea-457c-b39e-dc7fb0eb95d4)
//! (MS-PST 2.2.2.8): data, zero padding and a 16-byte BLOCKTRAILER, in 64-byte steps up to 8192
//! bytes. External blocks hold node data (permuted on disk); internal ones hold the XBLOCK and
//! XXBLOCK of a data tree and the SLBLOCK and SIBLOCK of a subnode tree.

use super::crc::crc;
use super::ids::{Bid, Nid};
use super::le::{get_u16, get_u32, get_u64, put_u16, put_u32, put_u64};
use super::page::signature;

/// [BLOCKTRAILER](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/a14943ef-70c2-403f-898c-5bc3747117e1) bytes.
pub const TRAILER_SIZE: usize = 16;
/// The largest block on disk, trailer included.
pub const MAX_BLOCK_SIZE: usize = 8192;
/// The most data bytes a block holds.
pub const MAX_BLOCK_DATA: usize = MAX_BLOCK_SIZE - TRAILER_SIZE;
/// Blocks start and end on these.
pub const SLOT: u64 = 64;

/// Children of one XBLOCK or XXBLOCK: (8176 − 8) / 8.
pub const XBLOCK_MAX: usize = 1021;
/// Entries of one SLBLOCK: (8176 − 8) / 24.
pub const SLBLOCK_MAX: usize = 340;
/// Entries of one SIBLOCK: (8176 − 8) / 16.
pub const SIBLOCK_MAX: usize = 510;
/// Subnodes one node can have: only one SIBLOCK level exists.
pub const MAX_SUBNODES: usize = SLBLOCK_MAX * SIBLOCK_MAX;

/// `btype` of XBLOCK and XXBLOCK.
const BTYPE_DATA_TREE: u8 = 0x01;
/// `btype` of SLBLOCK and SIBLOCK.
const BTYPE_SUBNODE_TREE: u8 = 0x02;
const INTERNAL_HEADER: usize = 8;
const SLENTRY_SIZE: usize = 24;
const SIENTRY_SIZE: usize = 16;

/// The bytes a block of `cb` data bytes takes on disk.
pub fn block_size(cb: usize) -> u64 {
    (cb as u64 + TRAILER_SIZE as u64).div_ceil(SLOT) * SLOT
}

/// BLOCKTRAILER, at the very end of a block's padded size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockTrailer {
    /// `cb`: data bytes.
    pub cb: u16,
    pub sig: u16,
    /// `dwCRC` over the `cb` stored bytes.
    pub crc: u32,
    pub bid: Bid,
}

impl BlockTrailer {
    pub fn encode(&self, buf: &mut [u8]) {
        put_u16(buf, 0, self.cb);
        put_u16(buf, 2, self.sig);
        put_u32(buf, 4, self.crc);
        put_u64(buf, 8, self.bid.0);
    }

    /// `None` when `buf` is shorter than a trailer.
    pub fn decode(buf: &[u8]) -> Option<BlockTrailer> {
        Some(BlockTrailer {
            cb: get_u16(buf, 0)?,
            sig: get_u16(buf, 2)?,
            crc: get_u32(buf, 4)?,
            bid: Bid(get_u64(buf, 8)?),
        })
    }
}

/// Completes a block in `buf` (its whole padded size) whose first `cb` bytes hold the stored
/// data (already encoded if it is external): zero padding, then the trailer.
#[cfg(test)]
pub fn seal_block(buf: &mut [u8], cb: usize, bid: Bid, ib: u64) {
    frame_block(buf, cb, bid, ib);
    put_block_crc(buf, cb);
}

/// Zero padding and the trailer of a block in `buf` (its whole padded size), all but the CRC,
/// which [`put_block_crc`] adds once the `cb` data bytes are as stored.
pub fn frame_block(buf: &mut [u8], cb: usize, bid: Bid, ib: u64) {
    let (_, rest) = buf.split_at_mut(cb);
    let (padding, trailer) = rest.split_at_mut(rest.len() - TRAILER_SIZE);
    padding.fill(0);
    BlockTrailer {
        cb: cb as u16,
        sig: signature(ib, bid.0),
        crc: 0,
        bid,
    }
    .encode(trailer);
}

/// Puts the CRC of a framed block's first `cb` bytes into its trailer.
pub fn put_block_crc(buf: &mut [u8], cb: usize) {
    put_crc(buf, crc(&buf[..cb]));
}

/// Puts `crc` into a framed block's trailer.
pub fn put_crc(buf: &mut [u8], crc: u32) {
    let at = buf.len() - TRAILER_SIZE + 4;
    put_u32(buf, at, crc);
}

/// [XBLOCK](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/5b7a6935-e83d-4917-9f62-6ce3707f09e0)
/// (level 1, over data blocks) or
/// [XXBLOCK](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/061b6ac4-d1da-468c-b75d-0303a0a8f468)
/// (level 2, over XBLOCKs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataTreeBlock {
    /// `cLevel`: 1 or 2.
    pub level: u8,
    /// `lcbTotal`: the data bytes below.
    pub total: u32,
    /// `rgbid`.
    pub children: Vec<Bid>,
}

impl DataTreeBlock {
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = vec![0u8; INTERNAL_HEADER + 8 * self.children.len()];
        buf[0] = BTYPE_DATA_TREE;
        buf[1] = self.level;
        put_u16(&mut buf, 2, self.children.len() as u16);
        put_u32(&mut buf, 4, self.total);
        for (i, bid) in self.children.iter().enumerate() {
            put_u64(&mut buf, INTERNAL_HEADER + 8 * i, bid.0);
        }
        buf
    }
}

/// [SLENTRY](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/85c4d943-0779-43c5-bd98-61dc9bb5dfd6):
/// a subnode, its data tree and its own subnode tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubnodeEntry {
    pub nid: Nid,
    /// `bidData`: root of the subnode's data tree.
    pub data: Bid,
    /// `bidSub`: root of the subnode's own subnode tree, [`Bid::NONE`] when it has none.
    pub sub: Bid,
}

/// [SIENTRY](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9e79c673-d2f4-49fb-a00b-51b08fd2d1e4):
/// the first NID of an SLBLOCK and its BID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiEntry {
    pub nid: Nid,
    pub bid: Bid,
}

/// [SLBLOCK](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/5182eb24-4b0b-4816-aa3f-719cc6e6b018)
/// or [SIBLOCK](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/729fb9bd-060a-4bbc-9b3b-8f014b487dad).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubnodeBlock {
    Leaf(Vec<SubnodeEntry>),
    Intermediate(Vec<SiEntry>),
}

impl SubnodeBlock {
    pub fn encode(&self) -> Vec<u8> {
        let (level, count, entry_size) = match self {
            SubnodeBlock::Leaf(entries) => (0, entries.len(), SLENTRY_SIZE),
            SubnodeBlock::Intermediate(entries) => (1, entries.len(), SIENTRY_SIZE),
        };
        let mut buf = vec![0u8; INTERNAL_HEADER + entry_size * count];
        buf[0] = BTYPE_SUBNODE_TREE;
        buf[1] = level;
        put_u16(&mut buf, 2, count as u16);
        match self {
            SubnodeBlock::Leaf(entries) => {
                for (i, entry) in entries.iter().enumerate() {
                    let at = INTERNAL_HEADER + SLENTRY_SIZE * i;
                    put_u64(&mut buf, at, u64::from(entry.nid.0));
                    put_u64(&mut buf, at + 8, entry.data.0);
                    put_u64(&mut buf, at + 16, entry.sub.0);
                }
            }
            SubnodeBlock::Intermediate(entries) => {
                for (i, entry) in entries.iter().enumerate() {
                    let at = INTERNAL_HEADER + SIENTRY_SIZE * i;
                    put_u64(&mut buf, at, u64::from(entry.nid.0));
                    put_u64(&mut buf, at + 8, entry.bid.0);
                }
            }
        }
        buf
    }
}

/// What an internal block holds, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InternalBlock {
    DataTree(DataTreeBlock),
    Subnode(SubnodeBlock),
}

/// Why an internal block could not be decoded: the field and the value found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadField {
    pub field: &'static str,
    pub value: u64,
}

impl InternalBlock {
    /// Decodes the data bytes of an internal block. Its `cb` must be exactly the header and
    /// `cEnt` entries, as readers derive the trailer's place from `cEnt`.
    pub fn decode(data: &[u8]) -> Result<InternalBlock, BadField> {
        let bad = |field, value: u64| BadField { field, value };
        let (Some(&btype), Some(&level), Some(count)) =
            (data.first(), data.get(1), get_u16(data, 2))
        else {
            return Err(bad("cb", data.len() as u64));
        };
        let count = usize::from(count);
        let entry_size = match (btype, level) {
            (BTYPE_DATA_TREE, 1 | 2) => 8,
            (BTYPE_SUBNODE_TREE, 0) => SLENTRY_SIZE,
            (BTYPE_SUBNODE_TREE, 1) => SIENTRY_SIZE,
            (BTYPE_DATA_TREE | BTYPE_SUBNODE_TREE, _) => return Err(bad("cLevel", level.into())),
            _ => return Err(bad("btype", btype.into())),
        };
        if data.len() != INTERNAL_HEADER + entry_size * count {
            return Err(bad("cEnt", count as u64));
        }
        let word = get_u32(data, 4).unwrap_or(0);
        let at = |i: usize| INTERNAL_HEADER + entry_size * i;
        let u64_at = |offset: usize| get_u64(data, offset).unwrap_or(0);
        Ok(match (btype, level) {
            (BTYPE_DATA_TREE, _) => InternalBlock::DataTree(DataTreeBlock {
                level,
                total: word,
                children: (0..count).map(|i| Bid(u64_at(at(i)))).collect(),
            }),
            _ if word != 0 => return Err(bad("dwPadding", word.into())),
            (_, 0) => InternalBlock::Subnode(SubnodeBlock::Leaf(
                (0..count)
                    .map(|i| SubnodeEntry {
                        nid: Nid(u64_at(at(i)) as u32),
                        data: Bid(u64_at(at(i) + 8)),
                        sub: Bid(u64_at(at(i) + 16)),
                    })
                    .collect(),
            )),
            _ => InternalBlock::Subnode(SubnodeBlock::Intermediate(
                (0..count)
                    .map(|i| SiEntry {
                        nid: Nid(u64_at(at(i)) as u32),
                        bid: Bid(u64_at(at(i) + 8)),
                    })
                    .collect(),
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pst::ndb::permute;

    #[test]
    fn sizes_round_up_to_slots() {
        assert_eq!(block_size(1), 64);
        assert_eq!(block_size(48), 64);
        assert_eq!(block_size(49), 128);
        assert_eq!(block_size(MAX_BLOCK_DATA), 8192);
        assert_eq!(MAX_SUBNODES, 173_400);
    }

    #[test]
    fn external_block_of_outlook() {
        // Block 0xC0 of `Empty.pst` at 0x4980: the NID 0x2223, permuted.
        let mut block = vec![0xEE; block_size(4) as usize];
        block[..4].copy_from_slice(&0x2223u32.to_le_bytes());
        permute::encode(&mut block[..4]);
        seal_block(&mut block, 4, Bid(0xC0), 0x4980);
        let mut expected = vec![0u8; 64];
        expected[..4].copy_from_slice(&[0x3F, 0x84, 0x41, 0x41]);
        expected[48..].copy_from_slice(&[
            0x04, 0x00, 0x40, 0x49, 0xE9, 0x54, 0xCD, 0xA6, 0xC0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        assert_eq!(block, expected);
        assert_eq!(
            BlockTrailer::decode(&block[48..]),
            Some(BlockTrailer {
                cb: 4,
                sig: 0x4940,
                crc: 0xA6CD_54E9,
                bid: Bid(0xC0)
            })
        );
    }

    #[test]
    fn xblock_layout() {
        let xblock = DataTreeBlock {
            level: 1,
            total: 8176 + 1,
            children: vec![Bid(0x4), Bid(0x8)],
        };
        let bytes = xblock.encode();
        assert_eq!(
            bytes,
            [
                0x01, 0x01, 0x02, 0x00, 0xF1, 0x1F, 0x00,
                0x00, // btype, cLevel, cEnt, lcbTotal
                0x04, 0, 0, 0, 0, 0, 0, 0, //
                0x08, 0, 0, 0, 0, 0, 0, 0,
            ]
        );
        assert_eq!(
            InternalBlock::decode(&bytes),
            Ok(InternalBlock::DataTree(xblock))
        );
    }

    #[test]
    fn xxblock_layout() {
        let xxblock = DataTreeBlock {
            level: 2,
            total: 8_347_697,
            children: vec![Bid(0x1006), Bid(0x100A)],
        };
        let bytes = xxblock.encode();
        assert_eq!(bytes[..8], [0x01, 0x02, 0x02, 0x00, 0x31, 0x60, 0x7F, 0x00]);
        assert_eq!(bytes[8..10], [0x06, 0x10]);
        assert_eq!(
            InternalBlock::decode(&bytes),
            Ok(InternalBlock::DataTree(xxblock))
        );
    }

    #[test]
    fn slblock_layout() {
        let leaf = SubnodeBlock::Leaf(vec![SubnodeEntry {
            nid: Nid(0x692),
            data: Bid(0x24),
            sub: Bid::NONE,
        }]);
        let bytes = leaf.encode();
        assert_eq!(
            bytes,
            [
                0x02, 0x00, 0x01, 0x00, 0, 0, 0, 0, // btype, cLevel, cEnt, dwPadding
                0x92, 0x06, 0, 0, 0, 0, 0, 0, // nid
                0x24, 0, 0, 0, 0, 0, 0, 0, // bidData
                0, 0, 0, 0, 0, 0, 0, 0, // bidSub
            ]
        );
        assert_eq!(
            InternalBlock::decode(&bytes),
            Ok(InternalBlock::Subnode(leaf))
        );
    }

    #[test]
    fn siblock_layout() {
        let intermediate = SubnodeBlock::Intermediate(vec![
            SiEntry {
                nid: Nid(0x25),
                bid: Bid(0x1E),
            },
            SiEntry {
                nid: Nid(0x8025),
                bid: Bid(0x22),
            },
        ]);
        let bytes = intermediate.encode();
        assert_eq!(
            bytes,
            [
                0x02, 0x01, 0x02, 0x00, 0, 0, 0, 0, //
                0x25, 0, 0, 0, 0, 0, 0, 0, 0x1E, 0, 0, 0, 0, 0, 0, 0, //
                0x25, 0x80, 0, 0, 0, 0, 0, 0, 0x22, 0, 0, 0, 0, 0, 0, 0,
            ]
        );
        assert_eq!(
            InternalBlock::decode(&bytes),
            Ok(InternalBlock::Subnode(intermediate))
        );
    }

    #[test]
    fn slentry_nid_upper_half_is_ignored() {
        let mut bytes = SubnodeBlock::Leaf(vec![SubnodeEntry {
            nid: Nid(0x692),
            data: Bid(0x24),
            sub: Bid::NONE,
        }])
        .encode();
        bytes[12] = 0xAB; // Outlook leaves garbage in the upper half of SLENTRY.nid
        let Ok(InternalBlock::Subnode(SubnodeBlock::Leaf(entries))) = InternalBlock::decode(&bytes)
        else {
            panic!("not an SLBLOCK");
        };
        assert_eq!(entries[0].nid, Nid(0x692));
    }

    #[test]
    fn rejects_malformed_internal_blocks() {
        let bad = |field, value| Err(BadField { field, value });
        assert_eq!(InternalBlock::decode(&[0x01]), bad("cb", 1));
        assert_eq!(
            InternalBlock::decode(&[0x03, 0, 0, 0, 0, 0, 0, 0]),
            bad("btype", 3)
        );
        assert_eq!(
            InternalBlock::decode(&[0x01, 3, 0, 0, 0, 0, 0, 0]),
            bad("cLevel", 3)
        );
        assert_eq!(
            InternalBlock::decode(&[0x01, 1, 2, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]),
            bad("cEnt", 2)
        );
        assert_eq!(
            InternalBlock::decode(&[0x02, 0, 0, 0, 1, 0, 0, 0]),
            bad("dwPadding", 1)
        );
    }
}
