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

/// Per block (by BID counter, from 1): its kind and whether it is referenced, in half a byte —
/// kind in the low 3 bits, the fourth set once something refers to it — two blocks a byte; the
/// references after the first (a block shared by several nodes) counted in `more`. A mailbox of
/// 400,000 messages has about two million blocks, nearly all referenced once.
#[derive(Debug, Default)]
pub(super) struct BlockTable {
    /// Block `counter`'s half byte is the low half of byte `(counter - 1) / 2` for an odd
    /// counter, the high half for an even one.
    meta: Vec<u8>,
    len: u64,
    more: HashMap<u64, u64>,
}

const REFERENCED: u8 = 0x08;
/// `cRef` is 16 bits and includes the BBT's own reference.
const MAX_REFERENCES: u64 = u16::MAX as u64 - 1;

impl BlockTable {
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    pub(super) fn push(&mut self, kind: BlockKind) -> Bid {
        if self.len.is_multiple_of(2) {
            self.meta.push(kind as u8);
        } else if let Some(byte) = self.meta.last_mut() {
            *byte |= (kind as u8) << 4;
        }
        self.len += 1;
        self.bid(self.len)
    }

    /// Block `counter`'s half byte (0 for one not written).
    fn meta(&self, counter: u64) -> u8 {
        let Some(index) = counter.checked_sub(1).filter(|&index| index < self.len) else {
            return 0;
        };
        let byte = self.meta.get((index / 2) as usize).copied().unwrap_or(0);
        (byte >> (4 * (index % 2))) & 0x0F
    }

    pub(super) fn next_bid(&self) -> Bid {
        Bid::block(self.len() + 1, false)
    }

    pub(super) fn bid(&self, counter: u64) -> Bid {
        let internal = self.kind(counter) != BlockKind::External;
        Bid::block(counter, internal)
    }

    pub(super) fn kind(&self, counter: u64) -> BlockKind {
        BlockKind::from_bits(self.meta(counter) & 0x07)
    }

    fn references(&self, counter: u64) -> u64 {
        if self.meta(counter) & REFERENCED == 0 {
            return 0;
        }
        1 + self.more.get(&counter).copied().unwrap_or(0)
    }

    /// `cRef`: the BBT's own reference plus the others.
    pub(super) fn cref(&self, counter: u64) -> u16 {
        (1 + self.references(counter)).min(u64::from(u16::MAX)) as u16
    }

    pub(super) fn unreferenced(&self) -> u64 {
        (1..=self.len)
            .filter(|&counter| self.meta(counter) & REFERENCED == 0)
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
        if self.meta(counter) & REFERENCED != 0 {
            *self.more.entry(counter).or_default() += 1;
            return;
        }
        let index = counter - 1;
        if let Some(byte) = self.meta.get_mut((index / 2) as usize) {
            *byte |= REFERENCED << (4 * (index % 2));
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
    fn references_after_the_first_are_counted_apart() {
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

    /// Two blocks share a byte: each keeps its own kind and references.
    #[test]
    fn neighbouring_blocks_keep_their_own_kind_and_references() {
        let kinds = [
            BlockKind::External,
            BlockKind::SiBlock,
            BlockKind::XXBlock,
            BlockKind::External,
            BlockKind::SlBlock,
            BlockKind::XBlock,
            BlockKind::External,
        ];
        let mut table = BlockTable::default();
        let bids: Vec<Bid> = kinds.iter().map(|&kind| table.push(kind)).collect();
        for (counter, &bid) in (1..).zip(&bids) {
            for _ in 0..counter % 3 {
                table.add_reference(bid);
            }
        }
        for (counter, &kind) in (1..).zip(&kinds) {
            assert_eq!(table.kind(counter), kind, "block {counter}");
            assert_eq!(table.references(counter), counter % 3, "block {counter}");
            assert_eq!(table.bid(counter), bids[counter as usize - 1]);
        }
        assert_eq!(table.len(), 7);
        assert_eq!(table.unreferenced(), 2);
        assert_eq!(table.meta.len(), 4, "half a byte a block");
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
