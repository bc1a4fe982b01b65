//! The PST of an empty job against the new store Outlook itself writes
//! (`fixtures/outlook/Empty.pst`), node by node: the same nodes with the same parents, each
//! property context with the same properties (IDs, types and values), each table with the
//! same columns at the same offsets and existence bits and the same rows. Every difference is
//! listed in [`DIFFERENCES`] with its reason, and the test fails on any other, and on a listed
//! one that has gone away.
//!
//! Both files are read by a small decoder of this test (MS-PST 2.2 and 2.3: header, B-trees,
//! blocks, heap, BTH, property and table contexts) that shares no code with the writer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::engine_common::{licensed, run, spec};
use crate::util::{fixtures, temp_dir};

/// A difference between our empty store and Outlook's, and why it is right.
struct Difference {
    /// The node it concerns.
    nid: u32,
    /// What differs, as [`compare`] words it.
    what: &'static str,
    why: &'static str,
}

const DIFFERENCES: &[Difference] = &[
    Difference {
        nid: 0x21,
        what: "value of 0x0FF9",
        why: "PidTagRecordKey: every store has its own",
    },
    Difference {
        nid: 0x21,
        what: "value of 0x3001",
        why: "the store's name: the job's, not \"Empty\"",
    },
    Difference {
        nid: 0x21,
        what: "value of 0x35E0",
        why: "an EntryID holds the store's record key",
    },
    Difference {
        nid: 0x21,
        what: "value of 0x35E3",
        why: "an EntryID holds the store's record key",
    },
    Difference {
        nid: 0x21,
        what: "value of 0x35E7",
        why: "an EntryID holds the store's record key",
    },
    Difference {
        nid: 0x21,
        what: "value of 0x0E34",
        why: "the replication GUID in it is the store's own",
    },
    Difference {
        nid: 0x21,
        what: "value of 0x35DF",
        why: "PidTagValidFolderMask names the special folders present: 0x89 without \
              IPM_COMMON_VIEWS (Outlook's 0xC9 has its bit 0x40)",
    },
    Difference {
        nid: 0x21,
        what: "only Outlook has 0x35E6",
        why: "PidTagCommonViewsEntryId points at IPM_COMMON_VIEWS, which we do not write",
    },
    Difference {
        nid: 0x21,
        what: "only Outlook has 0x66FA",
        why: "undocumented Outlook state; PSTForge leaves it out and reports clean ScanPST and \
              Outlook runs",
    },
    Difference {
        nid: 0x21,
        what: "only Outlook has 0x66FC",
        why: "undocumented Outlook state, left out as 0x66FA",
    },
    Difference {
        nid: 0x61,
        what: "value of 0x0002",
        why: "the name-to-ID map registers the named properties a store uses: ours the two \
              the converter writes, Outlook's the 35 its new store registers",
    },
    Difference {
        nid: 0x61,
        what: "value of 0x0003",
        why: "as 0x0002",
    },
    Difference {
        nid: 0x61,
        what: "value of 0x0004",
        why: "as 0x0002",
    },
    Difference {
        nid: 0x61,
        what: "hash buckets",
        why: "as 0x0002: the buckets hold the registered names",
    },
    Difference {
        nid: 0x12D,
        what: "rows",
        why: "the root's hierarchy lists IPM_COMMON_VIEWS in Outlook's store; we do not write \
              that optional folder",
    },
    Difference {
        nid: 0x802D,
        what: "rows",
        why: "the top folder's hierarchy lists the job's folder besides Deleted Items",
    },
    Difference {
        nid: 0x12F,
        what: "columns",
        why: "Outlook has added columns 0x3008, 0x685D, 0x7C06 to the root's FAI table for its \
              own views; ours is the template's",
    },
    Difference {
        nid: 0x802D,
        what: "columns",
        why: "Outlook adds columns to the tables of folders it has shown (19 to the top \
              folder's hierarchy); ours are the template's, and ScanPST checks rows against the \
              folders, not the number of columns",
    },
    Difference {
        nid: 0x804D,
        what: "columns",
        why: "as 0x802D, for Search Root",
    },
    Difference {
        nid: 0x802E,
        what: "columns",
        why: "Outlook has added 34 columns to the top folder's contents table; ours is the \
              template's plus PidTagInternetMessageId, as every contents table we write",
    },
    Difference {
        nid: 0x12E,
        what: "columns",
        why: "every contents table we write adds PidTagInternetMessageId after the template's \
              columns, as Outlook does to the contents tables it uses (0x802E)",
    },
    Difference {
        nid: 0x804E,
        what: "columns",
        why: "as 0x12E",
    },
    Difference {
        nid: 0x806E,
        what: "columns",
        why: "as 0x12E",
    },
];

/// The nodes of the folder the job made for its source (an empty mbox): the first folder NID
/// after the special folders, where Outlook's new store has IPM_COMMON_VIEWS, which we do not
/// write (see [`OUTLOOK_ONLY_NODES`]). Not compared.
const JOB_FOLDER: [u32; 4] = [0x8082, 0x808D, 0x808E, 0x808F];

/// Nodes of Outlook's new store that we do not write, and why.
const OUTLOOK_ONLY_NODES: &[(u32, &str)] = &[
    (
        0xE01,
        "undocumented Outlook state (a 0xCC heap); PSTForge leaves it out and reports clean \
         ScanPST and Outlook runs",
    ),
    (0xE41, "undocumented, empty; left out as 0xE01"),
    (0xEE1, "undocumented Outlook state; left out as 0xE01"),
    (0xF01, "undocumented Outlook state; left out as 0xE01"),
    (0xF21, "undocumented, empty; left out as 0xE01"),
    (
        0x8082,
        "IPM_COMMON_VIEWS (and its tables 0x808D-0x808F), optional: Outlook creates it when it \
         first needs it; PSTForge leaves it out and is clean. In our store these NIDs are the \
         job's folder",
    ),
];

#[test]
fn an_empty_job_writes_outlooks_new_store_node_by_node() {
    let dir = temp_dir();
    let source = dir.path().join("Empty.mbox");
    std::fs::write(&source, b"").unwrap();
    let output = dir.path().join("empty.pst");
    let (report, _) = run(&spec(vec![source], &output, licensed()));
    assert_eq!((report.totals.found, report.totals.written), (0, 0));

    let ours = Pst::open(&output);
    let outlook = Pst::open(&fixtures().join("outlook/Empty.pst"));
    let found = compare(&ours, &outlook);

    let listed: BTreeSet<(u32, &str)> = DIFFERENCES.iter().map(|d| (d.nid, d.what)).collect();
    let found_set: BTreeSet<(u32, &str)> = found.iter().map(|(n, w)| (*n, w.as_str())).collect();
    let unexplained: Vec<_> = found_set.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&found_set).collect();
    assert!(
        unexplained.is_empty() && gone.is_empty(),
        "differences not listed: {unexplained:#x?}\nlisted but not found: {gone:#x?}"
    );
    for difference in DIFFERENCES {
        assert!(!difference.why.is_empty());
    }
}

/// Every difference between `ours` and `outlook` as (node, what), with the nodes only Outlook
/// has left out as listed in [`OUTLOOK_ONLY_NODES`].
fn compare(ours: &Pst, outlook: &Pst) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let only_outlook: BTreeSet<u32> = OUTLOOK_ONLY_NODES
        .iter()
        .map(|(nid, _)| *nid)
        .filter(|nid| !JOB_FOLDER.contains(nid))
        .collect();
    let compared = |nid: &&u32| !JOB_FOLDER.contains(nid);
    let our_nodes: BTreeSet<u32> = ours.nodes.keys().filter(compared).copied().collect();
    let their_nodes: BTreeSet<u32> = outlook.nodes.keys().filter(compared).copied().collect();
    assert_eq!(
        their_nodes
            .difference(&our_nodes)
            .copied()
            .collect::<BTreeSet<_>>(),
        only_outlook,
        "nodes only Outlook's store has"
    );
    assert_eq!(
        our_nodes.difference(&their_nodes).count(),
        0,
        "nodes only our store has"
    );
    for nid in our_nodes.intersection(&their_nodes) {
        let (a, b) = (ours.node(*nid), outlook.node(*nid));
        if a.parent != b.parent {
            found.push((*nid, "nidParent".to_owned()));
        }
        match (&a.content, &b.content) {
            (Content::Pc(a), Content::Pc(b)) => {
                // The name-to-ID map's hash buckets (0x1000 + bucket) are compared as one.
                let bucket = |id: u16| *nid == 0x61 && id >= 0x1000;
                for (id, (ty, value)) in b {
                    match a.get(id) {
                        Some(found) if bucket(*id) && found == &(*ty, value.clone()) => {}
                        _ if bucket(*id) => found.push((*nid, "hash buckets".to_owned())),
                        None => found.push((*nid, format!("only Outlook has 0x{id:04X}"))),
                        Some((our_ty, _)) if our_ty != ty => {
                            found.push((*nid, format!("type of 0x{id:04X}")))
                        }
                        Some((_, ours)) if ours != value => {
                            found.push((*nid, format!("value of 0x{id:04X}")))
                        }
                        Some(_) => {}
                    }
                }
                for id in a.keys().filter(|id| !b.contains_key(id)) {
                    if bucket(*id) {
                        found.push((*nid, "hash buckets".to_owned()));
                    } else {
                        found.push((*nid, format!("only we have 0x{id:04X}")));
                    }
                }
            }
            (Content::Tc(a), Content::Tc(b)) => {
                if a.columns != b.columns || a.layout != b.layout {
                    found.push((*nid, "columns".to_owned()));
                }
                if a.rows != b.rows {
                    found.push((*nid, "rows".to_owned()));
                }
            }
            (a, b) if a != b => found.push((*nid, "content".to_owned())),
            _ => {}
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A node as this test reads it.
struct Node {
    parent: u32,
    content: Content,
}

#[derive(Debug, PartialEq)]
enum Content {
    /// No data.
    Empty,
    /// A property context: property ID → (type, value bytes: the inline 4 bytes, or what the
    /// HNID points to).
    Pc(BTreeMap<u16, (u16, Vec<u8>)>),
    Tc(Table),
    /// Another heap (its client signature and the bytes of its first page) or raw data.
    Other(Vec<u8>),
}

#[derive(Debug, PartialEq)]
struct Table {
    /// TCOLDESCs as (tag, offset, size, bit), sorted by tag as stored.
    columns: Vec<(u32, u16, u8, u8)>,
    /// `rgib`: the ends of the 4/8-, 2- and 1-byte groups and the row size.
    layout: [u16; 4],
    /// Each row's cells other than RowId and RowVer, as (tag, value bytes), in row-index order.
    rows: Vec<Vec<(u32, Vec<u8>)>>,
}

/// A PST read with only what this test needs.
struct Pst {
    bytes: Vec<u8>,
    permuted: bool,
    /// NID → (bidData, bidSub, nidParent).
    nodes: BTreeMap<u32, (u64, u64, u32)>,
    /// BID (bit 0 clear) → (offset, size).
    blocks: BTreeMap<u64, (u64, u16)>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// MS-PST 5.1: the byte each stored byte of a permuted block stands for (the inverse of the
/// encode table `mpbbR`, first entries 0x41, 0x36, 0x13, 0x62, …).
fn unpermute(stored: u8) -> u8 {
    const ENCODE: [u8; 256] = [
        0x41, 0x36, 0x13, 0x62, 0xA8, 0x21, 0x6E, 0xBB, 0xF4, 0x16, 0xCC, 0x04, 0x7F, 0x64, 0xE8,
        0x5D, 0x1E, 0xF2, 0xCB, 0x2A, 0x74, 0xC5, 0x5E, 0x35, 0xD2, 0x95, 0x47, 0x9E, 0x96, 0x2D,
        0x9A, 0x88, 0x4C, 0x7D, 0x84, 0x3F, 0xDB, 0xAC, 0x31, 0xB6, 0x48, 0x5F, 0xF6, 0xC4, 0xD8,
        0x39, 0x8B, 0xE7, 0x23, 0x3B, 0x38, 0x8E, 0xC8, 0xC1, 0xDF, 0x25, 0xB1, 0x20, 0xA5, 0x46,
        0x60, 0x4E, 0x9C, 0xFB, 0xAA, 0xD3, 0x56, 0x51, 0x45, 0x7C, 0x55, 0x00, 0x07, 0xC9, 0x2B,
        0x9D, 0x85, 0x9B, 0x09, 0xA0, 0x8F, 0xAD, 0xB3, 0x0F, 0x63, 0xAB, 0x89, 0x4B, 0xD7, 0xA7,
        0x15, 0x5A, 0x71, 0x66, 0x42, 0xBF, 0x26, 0x4A, 0x6B, 0x98, 0xFA, 0xEA, 0x77, 0x53, 0xB2,
        0x70, 0x05, 0x2C, 0xFD, 0x59, 0x3A, 0x86, 0x7E, 0xCE, 0x06, 0xEB, 0x82, 0x78, 0x57, 0xC7,
        0x8D, 0x43, 0xAF, 0xB4, 0x1C, 0xD4, 0x5B, 0xCD, 0xE2, 0xE9, 0x27, 0x4F, 0xC3, 0x08, 0x72,
        0x80, 0xCF, 0xB0, 0xEF, 0xF5, 0x28, 0x6D, 0xBE, 0x30, 0x4D, 0x34, 0x92, 0xD5, 0x0E, 0x3C,
        0x22, 0x32, 0xE5, 0xE4, 0xF9, 0x9F, 0xC2, 0xD1, 0x0A, 0x81, 0x12, 0xE1, 0xEE, 0x91, 0x83,
        0x76, 0xE3, 0x97, 0xE6, 0x61, 0x8A, 0x17, 0x79, 0xA4, 0xB7, 0xDC, 0x90, 0x7A, 0x5C, 0x8C,
        0x02, 0xA6, 0xCA, 0x69, 0xDE, 0x50, 0x1A, 0x11, 0x93, 0xB9, 0x52, 0x87, 0x58, 0xFC, 0xED,
        0x1D, 0x37, 0x49, 0x1B, 0x6A, 0xE0, 0x29, 0x33, 0x99, 0xBD, 0x6C, 0xD9, 0x94, 0xF3, 0x40,
        0x54, 0x6F, 0xF0, 0xC6, 0x73, 0xB8, 0xD6, 0x3E, 0x65, 0x18, 0x44, 0x1F, 0xDD, 0x67, 0x10,
        0xF1, 0x0C, 0x19, 0xEC, 0xAE, 0x03, 0xA1, 0x14, 0x7B, 0xA9, 0x0B, 0xFF, 0xF8, 0xA3, 0xC0,
        0xA2, 0x01, 0xF7, 0x2E, 0xBC, 0x24, 0x68, 0x75, 0x0D, 0xFE, 0xBA, 0x2F, 0xB5, 0xD0, 0xDA,
        0x3D,
    ];
    ENCODE.iter().position(|e| *e == stored).unwrap_or(0) as u8
}

impl Pst {
    fn open(path: &Path) -> Pst {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[..4], b"!BDN");
        assert_eq!(u16_at(&bytes, 0x0A), 23, "a Unicode PST");
        let mut pst = Pst {
            permuted: bytes[0x201] == 1,
            nodes: BTreeMap::new(),
            blocks: BTreeMap::new(),
            bytes,
        };
        // ROOT: BREFNBT at 0xD8, BREFBBT at 0xE8 (bid, ib).
        for entry in pst.leaves(u64_at(&pst.bytes, 0xE0)) {
            pst.nodes.insert(
                u64_at(&entry, 0) as u32,
                (u64_at(&entry, 8), u64_at(&entry, 16), u32_at(&entry, 24)),
            );
        }
        for entry in pst.leaves(u64_at(&pst.bytes, 0xF0)) {
            pst.blocks.insert(
                u64_at(&entry, 0) & !1,
                (u64_at(&entry, 8), u16_at(&entry, 16)),
            );
        }
        pst
    }

    /// The leaf entries of the B-tree whose root page is at `ib`, in order.
    fn leaves(&self, ib: u64) -> Vec<Vec<u8>> {
        let page = &self.bytes[ib as usize..ib as usize + 512];
        let (count, size, level) = (usize::from(page[488]), usize::from(page[490]), page[491]);
        let mut out = Vec::new();
        for i in 0..count {
            let entry = &page[i * size..(i + 1) * size];
            if level == 0 {
                out.push(entry.to_vec());
            } else {
                out.extend(self.leaves(u64_at(entry, 16)));
            }
        }
        out
    }

    fn block(&self, bid: u64) -> Vec<u8> {
        let (ib, cb) = self.blocks[&(bid & !1)];
        let stored = &self.bytes[ib as usize..ib as usize + usize::from(cb)];
        if bid & 2 == 0 && self.permuted {
            stored.iter().map(|b| unpermute(*b)).collect()
        } else {
            stored.to_vec()
        }
    }

    /// The data blocks of the data tree at `bid`.
    fn data(&self, bid: u64) -> Vec<Vec<u8>> {
        if bid == 0 {
            return Vec::new();
        }
        let block = self.block(bid);
        if bid & 2 == 0 {
            return vec![block];
        }
        let count = usize::from(u16_at(&block, 2));
        (0..count)
            .flat_map(|i| self.data(u64_at(&block, 8 + 8 * i)))
            .collect()
    }

    /// The subnode tree at `bid`: NID → bidData.
    fn subnodes(&self, bid: u64) -> BTreeMap<u32, u64> {
        if bid == 0 {
            return BTreeMap::new();
        }
        let block = self.block(bid);
        let count = usize::from(u16_at(&block, 2));
        let mut out = BTreeMap::new();
        for i in 0..count {
            if block[1] == 0 {
                let at = 8 + 24 * i;
                out.insert(u64_at(&block, at) as u32, u64_at(&block, at + 8));
            } else {
                out.extend(self.subnodes(u64_at(&block, 8 + 16 * i + 8)));
            }
        }
        out
    }

    fn node(&self, nid: u32) -> Node {
        let (data, sub, parent) = self.nodes[&nid];
        let blocks = self.data(data);
        let subnodes = self.subnodes(sub);
        let content = match blocks.first() {
            None => Content::Empty,
            Some(first) if first.len() >= 12 && first[2] == 0xEC => {
                let heap = Heap(&blocks);
                match first[3] {
                    0xBC => Content::Pc(self.pc(&heap, &subnodes)),
                    0x7C => Content::Tc(self.tc(&heap, &subnodes)),
                    _ => Content::Other(first.clone()),
                }
            }
            Some(_) => Content::Other(blocks.concat()),
        };
        Node { parent, content }
    }

    /// The bytes an HNID names: a heap allocation or a subnode's data.
    fn hnid(&self, heap: &Heap<'_>, subnodes: &BTreeMap<u32, u64>, hnid: u32) -> Vec<u8> {
        if hnid == 0 {
            Vec::new()
        } else if hnid & 0x1F == 0 {
            heap.get(hnid).to_vec()
        } else {
            self.data(subnodes[&hnid]).concat()
        }
    }

    fn pc(&self, heap: &Heap<'_>, subnodes: &BTreeMap<u32, u64>) -> BTreeMap<u16, (u16, Vec<u8>)> {
        let mut props = BTreeMap::new();
        for record in heap.bth(heap.user_root()) {
            let (id, ty) = (u16_at(&record, 0), u16_at(&record, 2));
            let raw = record[4..8].to_vec();
            let inline = matches!(ty, 0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B);
            let value = if inline {
                raw
            } else {
                self.hnid(heap, subnodes, u32_at(&raw, 0))
            };
            props.insert(id, (ty, value));
        }
        props
    }

    fn tc(&self, heap: &Heap<'_>, subnodes: &BTreeMap<u32, u64>) -> Table {
        let info = heap.get(heap.user_root());
        let columns: Vec<(u32, u16, u8, u8)> = (0..usize::from(info[1]))
            .map(|i| {
                let at = 22 + 8 * i;
                (
                    u32_at(info, at),
                    u16_at(info, at + 4),
                    info[at + 6],
                    info[at + 7],
                )
            })
            .collect();
        let layout = [
            u16_at(info, 2),
            u16_at(info, 4),
            u16_at(info, 6),
            u16_at(info, 8),
        ];
        let row_size = usize::from(layout[3]);
        let hnid_rows = u32_at(info, 14);
        let matrix = if hnid_rows == 0 {
            Vec::new()
        } else {
            self.hnid(heap, subnodes, hnid_rows)
        };
        let rows = heap
            .bth(u32_at(info, 10))
            .iter()
            .map(|record| {
                let index = u32_at(record, 4) as usize;
                let row = &matrix[index * row_size..(index + 1) * row_size];
                let bitmap = &row[usize::from(layout[2])..];
                columns
                    .iter()
                    .filter(|(tag, ..)| !matches!(tag >> 16, 0x67F2 | 0x67F3))
                    .filter(|(.., bit)| bitmap[usize::from(*bit / 8)] & (0x80 >> (bit % 8)) != 0)
                    .map(|(tag, offset, size, _)| {
                        let cell =
                            &row[usize::from(*offset)..usize::from(*offset) + usize::from(*size)];
                        let ty = (*tag & 0xFFFF) as u16;
                        let value = if *size == 4 && !matches!(ty, 0x0003 | 0x0004 | 0x000A) {
                            self.hnid(heap, subnodes, u32_at(cell, 0))
                        } else {
                            cell.to_vec()
                        };
                        (*tag, value)
                    })
                    .collect()
            })
            .collect();
        Table {
            columns,
            layout,
            rows,
        }
    }
}

/// A heap-on-node (MS-PST 2.3.1): its pages, one per data block.
struct Heap<'b>(&'b [Vec<u8>]);

impl<'b> Heap<'b> {
    fn user_root(&self) -> u32 {
        u32_at(&self.0[0], 4)
    }

    fn get(&self, hid: u32) -> &'b [u8] {
        let page = &self.0[(hid >> 16) as usize];
        let index = ((hid >> 5) & 0x7FF) as usize;
        let map = usize::from(u16_at(page, 0));
        let start = usize::from(u16_at(page, map + 4 + 2 * (index - 1)));
        let end = usize::from(u16_at(page, map + 4 + 2 * index));
        &page[start..end]
    }

    /// The leaf records of the BTH whose header is allocation `hid`.
    fn bth(&self, hid: u32) -> Vec<Vec<u8>> {
        let header = self.get(hid);
        let (key, entry, levels, root) = (header[1], header[2], header[3], u32_at(header, 4));
        let mut out = Vec::new();
        if root != 0 {
            self.records(root, levels, usize::from(key), usize::from(entry), &mut out);
        }
        out
    }

    fn records(&self, hid: u32, level: u8, key: usize, entry: usize, out: &mut Vec<Vec<u8>>) {
        let bytes = self.get(hid);
        if level == 0 {
            out.extend(bytes.chunks(key + entry).map(<[u8]>::to_vec));
        } else {
            for record in bytes.chunks(key + 4) {
                self.records(u32_at(record, key), level - 1, key, entry, out);
            }
        }
    }
}
