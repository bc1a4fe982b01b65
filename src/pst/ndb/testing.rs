//! Damage on purpose, for the tests of the self-checks: a block of a finished file changed in
//! place, with its trailer and CRC made right again so that only the change itself is wrong.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::block::{block_size, seal_block};
use super::header::{HEADER_SIZE, Header};
use super::page::{self, BtPageHeader, PAGE_SIZE, PageType};
use super::{Bid, NdbReader, Nid, permute};

/// Rewrites block `bid` of the PST at `path`: `edit` gets its bytes as the reader sees them
/// (decoded for a data block) and may change them but not their length.
pub(crate) fn rewrite_block(path: &Path, bid: Bid, edit: impl FnOnce(&mut Vec<u8>)) {
    let (ib, cb) = NdbReader::open(path)
        .and_then(|mut reader| reader.block_location(bid))
        .unwrap_or_else(|e| panic!("block {bid:?}: {e}"));
    let cb = usize::from(cb);
    let mut file = File::options().read(true).write(true).open(path).unwrap();
    let mut bytes = vec![0u8; block_size(cb) as usize];
    file.seek(SeekFrom::Start(ib)).unwrap();
    file.read_exact(&mut bytes).unwrap();
    let mut data = bytes[..cb].to_vec();
    if !bid.is_internal() {
        permute::decode(&mut data);
    }
    edit(&mut data);
    assert_eq!(data.len(), cb, "the edit changed the block's length");
    bytes[..cb].copy_from_slice(&data);
    if !bid.is_internal() {
        permute::encode(&mut bytes[..cb]);
    }
    seal_block(&mut bytes, cb, bid, ib);
    file.seek(SeekFrom::Start(ib)).unwrap();
    file.write_all(&bytes).unwrap();
}

/// The offset of the first occurrence of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Sets the 4-byte value of PC record (`id`, `ty`) in a decoded heap page.
pub(crate) fn set_pc_record(page: &mut [u8], id: u16, ty: u16, value: u32) {
    let mut key = id.to_le_bytes().to_vec();
    key.extend_from_slice(&ty.to_le_bytes());
    let at = find(page, &key).unwrap_or_else(|| panic!("no record {id:#06x}/{ty:#06x}"));
    page[at + 4..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Replaces the UTF-16 text `from` by `to` (of the same length) in a decoded page.
pub(crate) fn replace_utf16(page: &mut [u8], from: &str, to: &str) {
    let encode = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let (from, to) = (encode(from), encode(to));
    assert_eq!(from.len(), to.len());
    let at = find(page, &from).unwrap_or_else(|| panic!("text not found"));
    page[at..at + to.len()].copy_from_slice(&to);
}

/// Rewrites the NBT leaf entry of node `nid` in place: `edit` gets its 32 bytes (nid, bidData,
/// bidSub, nidParent, padding). The page's trailer is made right again.
pub(crate) fn rewrite_node_entry(path: &Path, nid: Nid, edit: impl FnOnce(&mut [u8])) {
    let mut file = File::options().read(true).write(true).open(path).unwrap();
    let mut header = [0u8; HEADER_SIZE];
    file.read_exact(&mut header).unwrap();
    let header = Header::decode(&header);
    let mut stack = vec![header.root.nbt];
    while let Some(bref) = stack.pop() {
        let mut page = [0u8; PAGE_SIZE];
        file.seek(SeekFrom::Start(bref.ib)).unwrap();
        file.read_exact(&mut page).unwrap();
        let fields = BtPageHeader::decode(&page);
        for i in 0..usize::from(fields.count) {
            let at = i * usize::from(fields.entry_size);
            if fields.level > 0 {
                let mut child = [0u8; 8];
                child.copy_from_slice(&page[at + 8..at + 16]);
                let mut ib = [0u8; 8];
                ib.copy_from_slice(&page[at + 16..at + 24]);
                stack.push(super::header::BRef {
                    bid: u64::from_le_bytes(child),
                    ib: u64::from_le_bytes(ib),
                });
                continue;
            }
            let mut key = [0u8; 4];
            key.copy_from_slice(&page[at..at + 4]);
            if u32::from_le_bytes(key) == nid.0 {
                edit(&mut page[at..at + 32]);
                page::seal(&mut page, PageType::NodeBTree, bref.bid, bref.ib);
                file.seek(SeekFrom::Start(bref.ib)).unwrap();
                file.write_all(&page).unwrap();
                return;
            }
        }
    }
    panic!("node {nid:?} is not in the NBT");
}

/// Rewrites the header: `edit` gets its fields; the CRCs are made right again.
pub(crate) fn rewrite_header(path: &Path, edit: impl FnOnce(&mut Header)) {
    let mut file = File::options().read(true).write(true).open(path).unwrap();
    let mut bytes = [0u8; HEADER_SIZE];
    file.read_exact(&mut bytes).unwrap();
    let mut header = Header::decode(&bytes);
    edit(&mut header);
    file.seek(SeekFrom::Start(0)).unwrap();
    file.write_all(&header.encode()).unwrap();
}
