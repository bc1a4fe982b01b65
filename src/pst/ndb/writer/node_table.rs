//! What the writer keeps of every node for the NBT. Nodes that come in increasing NID order
//! (a PST's messages, numbered as they are written) wait in a temporary file, 24 bytes each;
//! the others (folders, tables and fixed nodes, most written at the end) stay in memory.
//! [`NodeTable::into_sorted`] merges the two in NID order. A folder of 400,000 messages kept
//! 13 MB of entries, and a set of their NIDs, in memory.

use std::collections::HashSet;
use std::iter::Peekable;

use crate::pst::ndb::Error;
use crate::pst::ndb::ids::{Bid, Nid};
use crate::pst::ndb::page::NodeEntry;

use super::record_file::RecordFile;

/// Bytes of one entry in the file: NID, data, subnodes, parent.
const RECORD: usize = 24;

pub(super) struct NodeTable {
    /// The nodes that came in increasing NID order.
    ordered: RecordFile<RECORD>,
    last_ordered: Option<Nid>,
    /// The others, and their NIDs.
    others: Vec<NodeEntry>,
    other_ids: HashSet<u32>,
}

impl std::fmt::Debug for NodeTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeTable")
            .field("ordered", &self.ordered.len())
            .field("others", &self.others.len())
            .finish()
    }
}

impl NodeTable {
    pub(super) fn new() -> Result<NodeTable, Error> {
        Ok(NodeTable {
            ordered: RecordFile::new()?,
            last_ordered: None,
            others: Vec::new(),
            other_ids: HashSet::new(),
        })
    }

    /// How many nodes there are.
    pub(super) fn len(&self) -> u64 {
        self.ordered.len() + self.others.len() as u64
    }

    /// Whether `nid` is known to be taken. A NID below the last one that came in order may
    /// be taken by an earlier one in the file: [`NodeTable::into_sorted`] finds that.
    pub(super) fn has(&self, nid: Nid) -> bool {
        self.last_ordered == Some(nid) || self.other_ids.contains(&nid.0)
    }

    pub(super) fn push(&mut self, entry: NodeEntry) -> Result<(), Error> {
        if self.last_ordered.is_some_and(|last| entry.nid <= last) {
            self.other_ids.insert(entry.nid.0);
            self.others.push(entry);
            return Ok(());
        }
        let mut record = [0u8; RECORD];
        record[..4].copy_from_slice(&entry.nid.0.to_le_bytes());
        record[4..12].copy_from_slice(&entry.data.0.to_le_bytes());
        record[12..20].copy_from_slice(&entry.sub.0.to_le_bytes());
        record[20..].copy_from_slice(&entry.parent.0.to_le_bytes());
        self.ordered.push(&record)?;
        self.last_ordered = Some(entry.nid);
        Ok(())
    }

    /// Every node in NID order; a NID found twice is [`Error::DuplicateNode`].
    pub(super) fn into_sorted(
        self,
    ) -> Result<impl Iterator<Item = Result<NodeEntry, Error>>, Error> {
        let ordered = self.ordered.into_records()?.map(|record| {
            let record = record?;
            let u32_at = |at: usize| {
                u32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
            };
            let u64_at = |at: usize| u64::from(u32_at(at)) | u64::from(u32_at(at + 4)) << 32;
            Ok(NodeEntry {
                nid: Nid(u32_at(0)),
                data: Bid(u64_at(4)),
                sub: Bid(u64_at(12)),
                parent: Nid(u32_at(20)),
            })
        });
        let mut others = self.others;
        others.sort_unstable_by_key(|node| node.nid);
        Ok(Merged {
            ordered: ordered.peekable(),
            others: others.into_iter().peekable(),
        })
    }
}

/// Two runs of nodes in NID order, merged.
struct Merged<A: Iterator, B: Iterator> {
    ordered: Peekable<A>,
    others: Peekable<B>,
}

impl<A, B> Iterator for Merged<A, B>
where
    A: Iterator<Item = Result<NodeEntry, Error>>,
    B: Iterator<Item = NodeEntry>,
{
    type Item = Result<NodeEntry, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let other = self.others.peek().map(|node| node.nid);
        let ordered = match self.ordered.peek() {
            Some(Ok(node)) => Some(node.nid),
            Some(Err(_)) => return self.ordered.next(),
            None => None,
        };
        match (ordered, other) {
            (Some(a), Some(b)) if a == b => {
                self.others.next();
                Some(Err(Error::DuplicateNode { nid: a }))
            }
            (Some(a), Some(b)) if b < a => self.others.next().map(Ok),
            (Some(_), _) => self.ordered.next(),
            (None, _) => self.others.next().map(Ok),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(nid: u32) -> NodeEntry {
        NodeEntry {
            nid: Nid(nid),
            data: Bid(u64::from(nid) << 36 | 4),
            sub: Bid(u64::from(nid) * 8),
            parent: Nid(nid ^ 0x55),
        }
    }

    /// Nodes in order go to the file, the others stay; all come back in NID order, whole.
    #[test]
    fn nodes_come_back_in_nid_order_whatever_order_they_came_in() {
        let mut table = NodeTable::new().unwrap();
        let nids = [
            0x21, 0x200004, 0x200024, 0x122, 0x200044, 0x8022, 0x61, 0x200064,
        ];
        for nid in nids {
            table.push(node(nid)).unwrap();
        }
        assert_eq!(table.len(), 8);
        assert_eq!(table.ordered.len(), 5);
        assert!(table.has(Nid(0x200064)) && table.has(Nid(0x122)));
        let sorted: Vec<NodeEntry> = table.into_sorted().unwrap().map(Result::unwrap).collect();
        let mut expected: Vec<NodeEntry> = nids.iter().map(|nid| node(*nid)).collect();
        expected.sort_by_key(|node| node.nid);
        assert_eq!(sorted, expected);
    }

    /// A NID that came in order and again later, out of it, is found when they are merged.
    #[test]
    fn a_nid_in_the_file_and_in_memory_is_a_duplicate() {
        let mut table = NodeTable::new().unwrap();
        for nid in [0x200004, 0x200024, 0x200004] {
            table.push(node(nid)).unwrap();
        }
        let merged: Vec<Result<NodeEntry, Error>> = table.into_sorted().unwrap().collect();
        assert!(matches!(
            merged[0],
            Err(Error::DuplicateNode { nid: Nid(0x200004) })
        ));
    }
}
