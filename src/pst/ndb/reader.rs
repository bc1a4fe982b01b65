//! Reading back the [node database](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/9d2083cf-fd37-4a0d-b61a-d2ef10a89a04)
//! (MS-PST 2.2) of a finished PST: its nodes, their data trees and subnode trees. Every page
//! and block read is checked (type, CRC, trailer), so what comes back is what was written.
//!
//! The NBT is loaded whole at open (one entry per top-level node); blocks are found by walking
//! the BBT from its root, keeping only its intermediate pages.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::Error;
use super::block::{
    BlockTrailer, InternalBlock, MAX_BLOCK_DATA, SubnodeBlock, SubnodeEntry, TRAILER_SIZE,
    block_size,
};
use super::crc::crc;
use super::header::{BRef, CRYPT_PERMUTE, HEADER_SIZE, Header, computed_crcs, stored_crcs};
use super::ids::{Bid, Nid};
use super::page::{
    BbtEntry, BtEntry, BtPageHeader, BtRecord, NodeEntry, PAGE_BODY, PAGE_SIZE, PageTrailer,
    PageType,
};
use super::permute;

/// The deepest B-tree a reader accepts (`cLevel` ≤ 8).
const MAX_LEVEL: u8 = 8;

/// A finished PST opened for reading its nodes and blocks.
#[derive(Debug)]
pub struct NdbReader<R = BufReader<File>> {
    file: R,
    header: Header,
    nodes: Vec<NodeEntry>,
    /// Intermediate BBT pages by offset.
    bbt_pages: HashMap<u64, Vec<BtEntry>>,
}

impl NdbReader<BufReader<File>> {
    pub fn open(path: &Path) -> Result<NdbReader<BufReader<File>>, Error> {
        let file = File::open(path).map_err(|source| Error::Path {
            path: path.to_path_buf(),
            source,
        })?;
        NdbReader::from_reader(BufReader::new(file))
    }
}

impl<R: Read + Seek> NdbReader<R> {
    /// Reads the header and the NBT of the PST in `file`.
    pub fn from_reader(mut file: R) -> Result<NdbReader<R>, Error> {
        let mut bytes = [0u8; HEADER_SIZE];
        read_at(&mut file, 0, &mut bytes)?;
        let header = Header::decode(&bytes);
        if let Some((field, value)) = header.constant_problems().into_iter().next() {
            return Err(Error::InvalidHeader { field, value });
        }
        let (partial, full) = stored_crcs(&bytes);
        let (want_partial, want_full) = computed_crcs(&bytes);
        if partial != want_partial {
            return Err(Error::InvalidHeader {
                field: "dwCRCPartial",
                value: partial.into(),
            });
        }
        if full != want_full {
            return Err(Error::InvalidHeader {
                field: "dwCRCFull",
                value: full.into(),
            });
        }
        let mut reader = NdbReader {
            file,
            header,
            nodes: Vec::new(),
            bbt_pages: HashMap::new(),
        };
        reader.nodes = reader.load_nbt()?;
        Ok(reader)
    }

    /// The header's `dwUnique`: above every row version of the file's tables.
    pub fn unique(&self) -> u32 {
        self.header.unique
    }

    /// Where block `bid` is in the file and how many bytes it holds: (`ib`, `cb`).
    #[cfg(test)]
    pub(crate) fn block_location(&mut self, bid: Bid) -> Result<(u64, u16), Error> {
        let entry = self.find_block(bid)?;
        Ok((entry.bref.ib, entry.cb))
    }

    /// The NBT's entries in NID order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeEntry> + '_ {
        self.nodes.iter().copied()
    }

    pub fn node(&self, nid: Nid) -> Option<NodeEntry> {
        self.nodes
            .binary_search_by_key(&nid, |node| node.nid)
            .ok()
            .and_then(|i| self.nodes.get(i).copied())
    }

    /// The external blocks of the data tree at `bid`, decoded, in order.
    pub fn read_blocks(&mut self, bid: Bid) -> Result<Vec<Vec<u8>>, Error> {
        if bid.is_none() {
            return Ok(Vec::new());
        }
        if !bid.is_internal() {
            return Ok(vec![self.read_external(bid)?]);
        }
        let InternalBlock::DataTree(root) = self.read_internal(bid)? else {
            return Err(Error::InvalidBlock {
                bid,
                field: "btype",
                value: 2,
            });
        };
        let mut blocks = Vec::new();
        for child in root.children {
            match root.level {
                1 => blocks.push(self.read_external(child)?),
                _ => {
                    let InternalBlock::DataTree(xblock) = self.read_internal(child)? else {
                        return Err(Error::InvalidBlock {
                            bid: child,
                            field: "btype",
                            value: 2,
                        });
                    };
                    if xblock.level != 1 {
                        return Err(Error::InvalidBlock {
                            bid: child,
                            field: "cLevel",
                            value: xblock.level.into(),
                        });
                    }
                    for leaf in xblock.children {
                        blocks.push(self.read_external(leaf)?);
                    }
                }
            }
        }
        Ok(blocks)
    }

    /// The data tree at `bid`, concatenated.
    pub fn read_data(&mut self, bid: Bid) -> Result<Vec<u8>, Error> {
        Ok(self.read_blocks(bid)?.concat())
    }

    /// The entries of the subnode tree at `bid`, in NID order.
    pub fn subnodes(&mut self, bid: Bid) -> Result<Vec<SubnodeEntry>, Error> {
        if bid.is_none() {
            return Ok(Vec::new());
        }
        match self.read_internal(bid)? {
            InternalBlock::Subnode(SubnodeBlock::Leaf(entries)) => Ok(entries),
            InternalBlock::Subnode(SubnodeBlock::Intermediate(children)) => {
                let mut entries = Vec::new();
                for child in children {
                    match self.read_internal(child.bid)? {
                        InternalBlock::Subnode(SubnodeBlock::Leaf(leaf)) => entries.extend(leaf),
                        _ => {
                            return Err(Error::InvalidBlock {
                                bid: child.bid,
                                field: "cLevel",
                                value: 1,
                            });
                        }
                    }
                }
                Ok(entries)
            }
            InternalBlock::DataTree(_) => Err(Error::InvalidBlock {
                bid,
                field: "btype",
                value: 1,
            }),
        }
    }

    fn read_external(&mut self, bid: Bid) -> Result<Vec<u8>, Error> {
        if bid.is_internal() {
            return Err(Error::InvalidBlock {
                bid,
                field: "bid internal bit",
                value: 1,
            });
        }
        let mut data = self.read_block(bid)?;
        if self.header.crypt_method == CRYPT_PERMUTE {
            permute::decode(&mut data);
        }
        Ok(data)
    }

    fn read_internal(&mut self, bid: Bid) -> Result<InternalBlock, Error> {
        if !bid.is_internal() {
            return Err(Error::InvalidBlock {
                bid,
                field: "bid internal bit",
                value: 0,
            });
        }
        let data = self.read_block(bid)?;
        InternalBlock::decode(&data).map_err(|bad| Error::InvalidBlock {
            bid,
            field: bad.field,
            value: bad.value,
        })
    }

    /// The stored bytes of block `bid`, its trailer checked.
    fn read_block(&mut self, bid: Bid) -> Result<Vec<u8>, Error> {
        let entry = self.find_block(bid)?;
        let cb = usize::from(entry.cb);
        if !(1..=MAX_BLOCK_DATA).contains(&cb) {
            return Err(Error::InvalidBlock {
                bid,
                field: "BBTENTRY cb",
                value: cb as u64,
            });
        }
        let mut bytes = vec![0u8; block_size(cb) as usize];
        read_at(&mut self.file, entry.bref.ib, &mut bytes)?;
        let trailer = BlockTrailer::decode(&bytes[bytes.len() - TRAILER_SIZE..]).ok_or(
            Error::InvalidBlock {
                bid,
                field: "BLOCKTRAILER",
                value: 0,
            },
        )?;
        bytes.truncate(cb);
        let bad = |field, value: u64| Error::InvalidBlock { bid, field, value };
        if usize::from(trailer.cb) != cb {
            return Err(bad("BLOCKTRAILER cb", trailer.cb.into()));
        }
        if trailer.bid != bid {
            return Err(bad("BLOCKTRAILER bid", trailer.bid.0));
        }
        if trailer.crc != crc(&bytes) {
            return Err(bad("BLOCKTRAILER dwCRC", trailer.crc.into()));
        }
        Ok(bytes)
    }

    /// The BBT entry of `bid`, found from the BBT root.
    fn find_block(&mut self, bid: Bid) -> Result<BbtEntry, Error> {
        let key = bid.0 & !1;
        let mut bref = self.header.root.bbt;
        for _ in 0..=MAX_LEVEL {
            if let Some(entries) = self.bbt_pages.get(&bref.ib) {
                bref = child_for(entries, key).ok_or(Error::BlockNotFound { bid })?;
                continue;
            }
            let page = read_page(&mut self.file, bref, PageType::BlockBTree)?;
            let header = BtPageHeader::decode(&page);
            if header.level == 0 {
                return bt_entries::<BbtEntry>(&page, header, bref.ib)?
                    .into_iter()
                    .find(|entry| entry.key() == key)
                    .ok_or(Error::BlockNotFound { bid });
            }
            let entries = bt_entries::<BtEntry>(&page, header, bref.ib)?;
            let next = child_for(&entries, key).ok_or(Error::BlockNotFound { bid })?;
            self.bbt_pages.insert(bref.ib, entries);
            bref = next;
        }
        Err(Error::InvalidPage {
            offset: bref.ib,
            field: "cLevel",
            value: u64::from(MAX_LEVEL) + 1,
        })
    }

    /// Every NBT entry, walking the tree in key order.
    fn load_nbt(&mut self) -> Result<Vec<NodeEntry>, Error> {
        let mut nodes = Vec::new();
        let mut stack = vec![(self.header.root.nbt, None::<u8>)];
        while let Some((bref, level)) = stack.pop() {
            let page = read_page(&mut self.file, bref, PageType::NodeBTree)?;
            let header = BtPageHeader::decode(&page);
            if header.level > MAX_LEVEL || level.is_some_and(|level| level != header.level) {
                return Err(Error::InvalidPage {
                    offset: bref.ib,
                    field: "cLevel",
                    value: header.level.into(),
                });
            }
            if header.level == 0 {
                nodes.extend(bt_entries::<NodeEntry>(&page, header, bref.ib)?);
            } else {
                let children = bt_entries::<BtEntry>(&page, header, bref.ib)?;
                stack.extend(
                    children
                        .iter()
                        .rev()
                        .map(|child| (child.bref, Some(header.level - 1))),
                );
            }
        }
        if nodes.windows(2).any(|pair| pair[0].nid >= pair[1].nid) {
            return Err(Error::InvalidPage {
                offset: self.header.root.nbt.ib,
                field: "NBT key order",
                value: 0,
            });
        }
        Ok(nodes)
    }
}

/// The child of an intermediate page whose key range holds `key`.
fn child_for(entries: &[BtEntry], key: u64) -> Option<BRef> {
    let after = entries.partition_point(|entry| entry.key <= key);
    entries.get(after.checked_sub(1)?).map(|entry| entry.bref)
}

/// Reads and checks one B-tree page: type, CRC and BID.
fn read_page(
    file: &mut (impl Read + Seek),
    bref: BRef,
    ptype: PageType,
) -> Result<[u8; PAGE_SIZE], Error> {
    let mut page = [0u8; PAGE_SIZE];
    read_at(file, bref.ib, &mut page)?;
    let trailer = PageTrailer::decode(&page);
    let bad = |field, value: u64| Error::InvalidPage {
        offset: bref.ib,
        field,
        value,
    };
    if trailer.ptype != ptype as u8 || trailer.ptype_repeat != ptype as u8 {
        return Err(bad("ptype", trailer.ptype.into()));
    }
    if trailer.crc != crc(&page[..PAGE_BODY]) {
        return Err(bad("dwCRC", trailer.crc.into()));
    }
    if trailer.bid != bref.bid {
        return Err(bad("bid", trailer.bid));
    }
    Ok(page)
}

/// The entries of a BTPAGE, checked against `cbEnt` and `cEntMax`.
fn bt_entries<E: BtRecord>(
    page: &[u8; PAGE_SIZE],
    header: BtPageHeader,
    ib: u64,
) -> Result<Vec<E>, Error> {
    let bad = |field, value: u64| Error::InvalidPage {
        offset: ib,
        field,
        value,
    };
    if usize::from(header.entry_size) != E::SIZE {
        return Err(bad("cbEnt", header.entry_size.into()));
    }
    if header.count > header.max || usize::from(header.max) > E::MAX {
        return Err(bad("cEnt", header.count.into()));
    }
    (0..usize::from(header.count))
        .map(|i| {
            header
                .entry(page, i)
                .and_then(E::decode)
                .ok_or(bad("cEnt", header.count.into()))
        })
        .collect()
}

pub(crate) fn read_at(file: &mut (impl Read + Seek), at: u64, buf: &mut [u8]) -> Result<(), Error> {
    file.seek(SeekFrom::Start(at))
        .and_then(|_| file.read_exact(buf))
        .map_err(|source| Error::IoAt {
            action: "reading",
            offset: at,
            source,
        })
}
