//! What the writer keeps of every block it wrote: its kind and how often it is referenced, in
//! one byte in memory ([`BlockTable`]), and its place and size for the BBT, in a temporary file
//! already in BID order ([`Spill`]).

use std::collections::HashMap;

use crate::pst::ndb::Error;
use crate::pst::ndb::ids::Bid;

use super::record_file::RecordFile;

/// What a block holds, as far as references to it must respect.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BlockKind {
    External = 0,
    XBlock = 1,
    XXBlock = 2,
    SlBlock = 3,
    SiBlock = 4,
}

impl BlockKind {
    fn from_bits(bits: u8) -> BlockKind {
        match bits {
            0 => BlockKind::External,
            1 => BlockKind::XBlock,
            2 => BlockKind::XXBlock,
            3 => BlockKind::SlBlock,
            _ => BlockKind::SiBlock,
        }
    }

    fn name(self) -> &'static str {
        match self {
            BlockKind::External => "data block",
            BlockKind::XBlock => "XBLOCK",
            BlockKind::XXBlock => "XXBLOCK",
            BlockKind::SlBlock => "SLBLOCK",
            BlockKind::SiBlock => "SIBLOCK",
        }
    }
}

/// What a reference may point at.
#[derive(Clone, Copy)]
pub(super) enum Expect {
    /// A data tree's root: a data block, XBLOCK or XXBLOCK.
    DataTree,
    /// A subnode tree's root: an SLBLOCK or SIBLOCK.
    SubnodeTree,
}

/// Per block (by BID counter, from 1): its kind and how often it is referenced, in one byte —
/// kind in the low 3 bits, references in the high 5, saturated ones counted in `overflow`.
#[derive(Debug, Default)]
pub(super) struct BlockTable {
    meta: Vec<u8>,
    overflow: HashMap<u64, u64>,
}

const REFS_SHIFT: u32 = 3;
const REFS_SATURATED: u8 = 0x1F;
/// `cRef` is 16 bits and includes the BBT's own reference.
const MAX_REFERENCES: u64 = u16::MAX as u64 - 1;

impl BlockTable {
    pub(super) fn len(&self) -> u64 {
        self.meta.len() as u64
    }

    pub(super) fn push(&mut self, kind: BlockKind) -> Bid {
        self.meta.push(kind as u8);
        self.bid(self.len())
    }

    pub(super) fn next_bid(&self) -> Bid {
        Bid::block(self.len() + 1, false)
    }

    pub(super) fn bid(&self, counter: u64) -> Bid {
        let internal = self.kind(counter) != BlockKind::External;
        Bid::block(counter, internal)
    }

    pub(super) fn kind(&self, counter: u64) -> BlockKind {
        let meta = self.meta.get(counter as usize - 1).copied().unwrap_or(0);
        BlockKind::from_bits(meta & 0x07)
    }

    fn references(&self, counter: u64) -> u64 {
        let meta = self.meta.get(counter as usize - 1).copied().unwrap_or(0);
        match meta >> REFS_SHIFT {
            REFS_SATURATED => self.overflow.get(&counter).copied().unwrap_or(0),
            refs => u64::from(refs),
        }
    }

    /// `cRef`: the BBT's own reference plus the others.
    pub(super) fn cref(&self, counter: u64) -> u16 {
        (1 + self.references(counter)).min(u64::from(u16::MAX)) as u16
    }

    pub(super) fn unreferenced(&self) -> u64 {
        self.meta
            .iter()
            .filter(|meta| **meta >> REFS_SHIFT == 0)
            .count() as u64
    }

    /// The counter of a BID written here, if it is one.
    fn counter(&self, bid: Bid) -> Option<u64> {
        let counter = bid.0 >> 2;
        (bid.0 & 1 == 0 && counter >= 1 && counter <= self.len() && self.bid(counter) == bid)
            .then_some(counter)
    }

    pub(super) fn check(&self, bid: Bid, field: &'static str, expect: Expect) -> Result<(), Error> {
        let Some(counter) = self.counter(bid) else {
            return Err(Error::UnknownBlock { field, bid });
        };
        let kind = self.kind(counter);
        let (ok, expected) = match expect {
            Expect::DataTree => (
                matches!(
                    kind,
                    BlockKind::External | BlockKind::XBlock | BlockKind::XXBlock
                ),
                "data tree root",
            ),
            Expect::SubnodeTree => (
                matches!(kind, BlockKind::SlBlock | BlockKind::SiBlock),
                "subnode tree root",
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::WrongBlockKind {
                field,
                bid,
                expected,
                found: kind.name(),
            })
        }
    }

    /// Fails if adding references to these BIDs would pass what `cRef` can count.
    pub(super) fn check_references(
        &self,
        bids: impl IntoIterator<Item = Bid>,
    ) -> Result<(), Error> {
        let mut added: HashMap<u64, u64> = HashMap::new();
        for bid in bids {
            if let Some(counter) = self.counter(bid) {
                *added.entry(counter).or_default() += 1;
            }
        }
        for (counter, more) in added {
            let count = self.references(counter) + more;
            if count > MAX_REFERENCES {
                return Err(Error::TooManyReferences {
                    bid: self.bid(counter),
                    count,
                });
            }
        }
        Ok(())
    }

    pub(super) fn add_reference(&mut self, bid: Bid) {
        let Some(counter) = self.counter(bid) else {
            return;
        };
        let count = self.references(counter) + 1;
        let Some(meta) = self.meta.get_mut(counter as usize - 1) else {
            return;
        };
        if count >= u64::from(REFS_SATURATED) {
            *meta = (*meta & 0x07) | (REFS_SATURATED << REFS_SHIFT);
            self.overflow.insert(counter, count);
        } else {
            *meta = (*meta & 0x07) | ((count as u8) << REFS_SHIFT);
        }
    }
}

/// The BBT's (offset, size) per block, in BID order, in a temporary file.
#[derive(Debug)]
pub(super) struct Spill(RecordFile<10>);

impl Spill {
    pub(super) fn new() -> Result<Spill, Error> {
        Ok(Spill(RecordFile::new()?))
    }

    pub(super) fn push(&mut self, ib: u64, cb: u16) -> Result<(), Error> {
        let mut record = [0u8; 10];
        record[..8].copy_from_slice(&ib.to_le_bytes());
        record[8..].copy_from_slice(&cb.to_le_bytes());
        self.0.push(&record)
    }

    /// The records in the order they were pushed.
    pub(super) fn into_records(
        self,
    ) -> Result<impl Iterator<Item = Result<(u64, u16), Error>>, Error> {
        Ok(self.0.into_records()?.map(|record| {
            let record = record?;
            let mut ib = [0u8; 8];
            ib.copy_from_slice(&record[..8]);
            Ok((
                u64::from_le_bytes(ib),
                u16::from_le_bytes([record[8], record[9]]),
            ))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_counts_saturate_into_the_overflow_map() {
        let mut table = BlockTable::default();
        let bid = table.push(BlockKind::External);
        assert_eq!(bid, Bid(4));
        assert_eq!(table.cref(1), 1);
        for _ in 0..100 {
            table.add_reference(bid);
        }
        assert_eq!(table.references(1), 100);
        assert_eq!(table.cref(1), 101);
        assert_eq!(table.kind(1), BlockKind::External);
        let internal = table.push(BlockKind::SiBlock);
        assert_eq!(internal, Bid(0xA));
        assert_eq!(table.next_bid(), Bid(0xC));
        assert_eq!(table.unreferenced(), 1);
    }

    #[test]
    fn references_are_checked_against_kinds() {
        let mut table = BlockTable::default();
        let data = table.push(BlockKind::External);
        let sl = table.push(BlockKind::SlBlock);
        assert!(table.check(data, "f", Expect::DataTree).is_ok());
        assert!(table.check(sl, "f", Expect::SubnodeTree).is_ok());
        assert!(matches!(
            table.check(sl, "bidData", Expect::DataTree),
            Err(Error::WrongBlockKind {
                found: "SLBLOCK",
                ..
            })
        ));
        assert!(matches!(
            table.check(Bid(0x10), "bidData", Expect::DataTree),
            Err(Error::UnknownBlock { .. })
        ));
        // The right counter with the wrong internal bit is not that block.
        assert!(matches!(
            table.check(Bid(0x6), "bidData", Expect::DataTree),
            Err(Error::UnknownBlock { .. })
        ));
    }
}
