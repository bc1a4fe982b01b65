//! What the read-back would hold whole through outlook-pst's readers, read a block at a time
//! instead: a large file attachment's facts, and the row IDs of a large folder's contents table
//! ([`table_row_ids`]).
//!
//! outlook-pst's attachment reader holds an attachment's data whole, three times over while it reads it (the data tree read to
//! its end, the property value made of that, and the attachment's copy of the value): for a
//! 20 MB file that is the read-back's largest use of memory by far.
//!
//! Here outlook-pst still finds and decodes every block: its block B-tree, subnode trees, data
//! trees and block decoding. What is read here is the attachment's property context (the heap
//! of MS-PST 2.3.1, the BTH of 2.3.2 and the PC of 2.3.3), to learn where the attachment's data
//! and names are without loading the data; the data is then hashed as its blocks come. This
//! shares no code with the writer. Whatever it does not expect (a heap of several blocks, a
//! name that is not a Unicode string, an attachment that is not a file) gives `None`, and the
//! attachment is read whole by outlook-pst.

use std::collections::BTreeMap;
use std::io::{self, Read};

use outlook_pst::ndb::block::{
    Block as _, DataBlockCache, DataTree, IntermediateTreeBlock as _, SubNodeTree,
};
use outlook_pst::ndb::block_id::{BlockId as _, UnicodeBlockId, UnicodePageId};
use outlook_pst::ndb::header::Header as _;
use outlook_pst::ndb::node_id::NodeId;
use outlook_pst::ndb::page::{NodeBTreeEntry as _, UnicodeBlockBTree};
use outlook_pst::ndb::root::Root as _;
use outlook_pst::{PstFile as _, UnicodePstFile};

use super::AttachmentFacts;
use super::outlook::tag;
use crate::model::{ContentHasher, content_hash};

/// PidTagAttachDataBinary: the file's bytes.
const ATTACH_DATA: u16 = 0x3701;
/// Property types (MS-OXCDATA 2.11.1): PtypInteger32, PtypString, PtypString8, PtypBinary.
const INTEGER32: u16 = 0x0003;
const STRING: u16 = 0x001F;
const STRING8: u16 = 0x001E;
const BINARY: u16 = 0x0102;

/// The facts of the file attachment `attachment` of the message `message`, its data hashed a
/// block at a time; `None` when it is not a file, or is stored in a way this does not read.
pub(super) fn file_attachment_facts(
    pst: &UnicodePstFile,
    message: NodeId,
    attachment: NodeId,
) -> Option<AttachmentFacts> {
    let message_sub_nodes = pst.read_node(message).ok()?.sub_node()?;
    let mut file = pst.reader().lock().ok()?;
    let mut reading = Reading::new(&mut file, pst)?;
    let (data, sub_nodes) = reading.sub_node(message_sub_nodes, attachment).ok()??;
    let heap = reading.single_block(data).ok()??;
    let properties = PropertyContext::of(&heap)?;
    let (method_type, method) = properties.record(tag::ATTACH_METHOD)?;
    if method_type != INTEGER32 || method != super::outlook::ATTACH_BY_VALUE as u32 {
        return None;
    }
    // As outlook.rs's `text` reads them: the first of these that is a string, up to a NUL.
    let mut name = None;
    for id in [
        tag::ATTACH_LONG_FILENAME,
        tag::ATTACH_FILENAME,
        tag::DISPLAY_NAME,
    ] {
        match properties.record(id) {
            Some((STRING, value)) => {
                name = Some(reading.string(&properties, sub_nodes, value)?);
                break;
            }
            // An 8-bit string: read whole by outlook-pst.
            Some((STRING8, _)) => return None,
            _ => {}
        }
    }
    let (data_type, data) = properties.record(ATTACH_DATA)?;
    if data_type != BINARY {
        return None;
    }
    let (size, hash) = match properties.heap_value(data)? {
        Some(bytes) => (bytes.len() as u64, content_hash(bytes)),
        None => ContentHasher::of_reader(reading.sub_node_data(sub_nodes?, data)?).ok()?,
    };
    Some(AttachmentFacts {
        embedded: false,
        size,
        hash,
        name,
        name_unknown: false,
    })
}

/// A heap page, a row-matrix block: the largest data block.
const BLOCK: usize = 8176;

/// The row IDs of the table context `table` (a folder's contents table) in row-matrix order,
/// its row matrix read a block at a time: outlook-pst's table reader holds the table's whole
/// heap and every row's cells, hundreds of bytes per message of a large folder, where this
/// holds four. What is read here is the heap's first page (MS-PST 2.3.1), the TCINFO there
/// (2.3.4.1) and the row matrix (2.3.4.4), each row's `dwRowID` at its start; outlook-pst finds
/// and decodes the blocks. `None` when the matrix is not in a subnode (a table of a few rows,
/// which outlook-pst reads whole) or is stored in a way this does not read.
pub(super) fn table_row_ids(pst: &UnicodePstFile, table: NodeId) -> Option<Vec<u32>> {
    let node = pst.read_node(table).ok()?;
    let mut file = pst.reader().lock().ok()?;
    let mut reading = Reading::new(&mut file, pst)?;
    let mut page = Vec::with_capacity(BLOCK);
    reading
        .data(node.data())?
        .take(BLOCK as u64)
        .read_to_end(&mut page)
        .ok()?;
    // HNHDR (2.3.1.2): bSig 0xEC, bClientSig 0x7C (a table context), hidUserRoot the TCINFO.
    if page.get(2..4)? != [0xEC, 0x7C] {
        return None;
    }
    let info = heap_allocation(&page, u32_at(&page, 4)?)?;
    // TCINFO: bType 0x7C, cCols, rgib[4] (the last, TCI_bm, ends the row), hidRowIndex,
    // hnidRows.
    if *info.first()? != 0x7C {
        return None;
    }
    let row_size = usize::from(u16::from_le_bytes([*info.get(8)?, *info.get(9)?]));
    let rows = u32_at(info, 14)?;
    if rows == 0 {
        return Some(Vec::new());
    }
    if rows & 0x1F == 0 || !(8..=BLOCK).contains(&row_size) {
        return None;
    }
    let mut matrix = reading.sub_node_data(node.sub_node()?, rows)?;
    let mut ids = Vec::new();
    let mut block = Vec::with_capacity(BLOCK);
    loop {
        // Rows never straddle blocks; every block but the last is full, its rows then zeros.
        block.clear();
        (&mut matrix)
            .take(BLOCK as u64)
            .read_to_end(&mut block)
            .ok()?;
        ids.extend(
            block
                .chunks_exact(row_size)
                .map(|row| u32::from_le_bytes([row[0], row[1], row[2], row[3]])),
        );
        if block.len() < BLOCK {
            return Some(ids);
        }
    }
}

/// The PST file as read for one attachment.
struct Reading<'a> {
    file: &'a mut Box<dyn outlook_pst::PstReader>,
    encoding: outlook_pst::ndb::header::NdbCryptMethod,
    blocks: UnicodeBlockBTree,
    /// The pages of the block B-tree read so far.
    pages: BTreeMap<UnicodePageId, UnicodeBlockBTree>,
    /// Data trees read so far, as outlook-pst's data tree reader keeps them.
    trees: DataBlockCache<UnicodePstFile>,
}

impl<'a> Reading<'a> {
    fn new(file: &'a mut Box<dyn outlook_pst::PstReader>, pst: &UnicodePstFile) -> Option<Self> {
        let blocks = UnicodeBlockBTree::read(file, *pst.header().root().block_btree()).ok()?;
        Some(Reading {
            file,
            encoding: pst.header().crypt_method(),
            blocks,
            pages: BTreeMap::new(),
            trees: DataBlockCache::default(),
        })
    }

    /// The PtypString value `value` of `properties` (whose subnodes are at `sub_nodes`), up
    /// to its first NUL, as outlook.rs's `text` reads a string.
    fn string(
        &mut self,
        properties: &PropertyContext<'_>,
        sub_nodes: Option<UnicodeBlockId>,
        value: u32,
    ) -> Option<String> {
        let bytes = match properties.heap_value(value)? {
            Some(bytes) => bytes.to_vec(),
            None => {
                let mut bytes = Vec::new();
                let mut stream = self.sub_node_data(sub_nodes?, value)?;
                stream.read_to_end(&mut bytes).ok()?;
                bytes
            }
        };
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .take_while(|&unit| unit != 0)
            .collect();
        Some(String::from_utf16_lossy(&units))
    }

    /// The data block and subnode tree of the node `node` in the subnode tree at `tree`.
    fn sub_node(
        &mut self,
        tree: UnicodeBlockId,
        node: NodeId,
    ) -> io::Result<Option<(UnicodeBlockId, Option<UnicodeBlockId>)>> {
        let entry = self
            .blocks
            .find_entry(self.file, tree.search_key(), &mut self.pages)?;
        match SubNodeTree::<UnicodePstFile>::read(self.file, &entry)? {
            SubNodeTree::Leaf(block) => Ok(block
                .entries()
                .iter()
                .find(|entry| u32::from(entry.node()) == u32::from(node))
                .map(|entry| (entry.block(), entry.sub_node()))),
            SubNodeTree::Intermediate(block) => {
                let entries = block.entries();
                let after =
                    entries.partition_point(|entry| u32::from(entry.node()) <= u32::from(node));
                match after.checked_sub(1) {
                    Some(at) => self.sub_node(entries[at].block(), node),
                    None => Ok(None),
                }
            }
        }
    }

    /// The bytes of the data tree at `block` when it is one block (as a property context's
    /// heap of a few properties is); `None` when it has several.
    fn single_block(&mut self, block: UnicodeBlockId) -> io::Result<Option<Vec<u8>>> {
        let entry = self
            .blocks
            .find_entry(self.file, block.search_key(), &mut self.pages)?;
        Ok(
            match DataTree::<UnicodePstFile>::read(self.file, self.encoding, &entry)? {
                DataTree::Leaf(block) => Some(block.data().to_vec()),
                DataTree::Intermediate(_) => None,
            },
        )
    }

    /// A reader of the subnode `node` (a property value's HNID that names a subnode) of the
    /// subnode tree at `tree`, which reads its blocks as they are asked for.
    fn sub_node_data(&mut self, tree: UnicodeBlockId, node: u32) -> Option<Box<dyn Read + '_>> {
        let (data, _) = self.sub_node(tree, NodeId::from(node)).ok()??;
        self.data(data)
    }

    /// A reader of the data tree at `data`, which reads its blocks as they are asked for.
    fn data(&mut self, data: UnicodeBlockId) -> Option<Box<dyn Read + '_>> {
        let entry = self
            .blocks
            .find_entry(self.file, data.search_key(), &mut self.pages)
            .ok()?;
        let tree = DataTree::<UnicodePstFile>::read(self.file, self.encoding, &entry).ok()?;
        tree.reader(
            self.file,
            self.encoding,
            &self.blocks,
            &mut self.pages,
            &mut self.trees,
        )
        .ok()
    }
}

/// A property context's records, read from its heap (one block).
struct PropertyContext<'a> {
    heap: &'a [u8],
    /// Each property's id, type and value (the value itself, or its HNID).
    records: Vec<(u16, u16, u32)>,
}

impl<'a> PropertyContext<'a> {
    /// The records of the PC whose heap is `heap`; `None` when it is not one.
    fn of(heap: &'a [u8]) -> Option<PropertyContext<'a>> {
        // HNHDR (MS-PST 2.3.1.2): bSig 0xEC, bClientSig 0xBC (a PC), hidUserRoot.
        if heap.get(2..4)? != [0xEC, 0xBC] {
            return None;
        }
        let mut context = PropertyContext {
            heap,
            records: Vec::new(),
        };
        let header = context.allocation(u32_at(heap, 4)?)?;
        // BTHHEADER (2.3.2.1): bType 0xB5, cbKey 2, cbEnt 6, bIdxLevels, hidRoot.
        if header.get(..3)? != [0xB5, 2, 6] {
            return None;
        }
        let levels = header[3];
        let root = u32_at(header, 4)?;
        if root != 0 {
            context.collect(root, levels)?;
        }
        Some(context)
    }

    /// Adds the records of the BTH page `hid`, `levels` above the leaves.
    fn collect(&mut self, hid: u32, levels: u8) -> Option<()> {
        let page = self.allocation(hid)?;
        if levels == 0 {
            for record in page.chunks_exact(8) {
                self.records.push((
                    u16::from_le_bytes([record[0], record[1]]),
                    u16::from_le_bytes([record[2], record[3]]),
                    u32_at(record, 4)?,
                ));
            }
        } else {
            for record in page.chunks_exact(6) {
                self.collect(u32_at(record, 2)?, levels - 1)?;
            }
        }
        Some(())
    }

    /// The type and value of the property `id`.
    fn record(&self, id: u16) -> Option<(u16, u32)> {
        self.records
            .iter()
            .find(|(found, ..)| *found == id)
            .map(|&(_, kind, value)| (kind, value))
    }

    /// A variable-size value by its HNID: `Some` with its bytes when it is in the heap (HNID 0
    /// is the empty value), `Some(None)` when it is a subnode, `None` when it is neither.
    fn heap_value(&self, hnid: u32) -> Option<Option<&'a [u8]>> {
        match hnid {
            0 => Some(Some(&[])),
            hid if hid & 0x1F == 0 => self.allocation(hid).map(Some),
            _ => Some(None),
        }
    }

    /// The heap allocation `hid`; block 0 only.
    fn allocation(&self, hid: u32) -> Option<&'a [u8]> {
        heap_allocation(self.heap, hid)
    }
}

/// The allocation `hid` (2.3.1.1) of a heap's first page `heap`: its index in the page map.
fn heap_allocation(heap: &[u8], hid: u32) -> Option<&[u8]> {
    if hid & 0x1F != 0 || hid >> 16 != 0 {
        return None;
    }
    let index = ((hid >> 5) & 0x7FF) as usize;
    let u16_at = |at: usize| {
        Some(usize::from(u16::from_le_bytes([
            *heap.get(at)?,
            *heap.get(at + 1)?,
        ])))
    };
    // HNPAGEMAP (2.3.1.5): cAlloc, cFree, rgibAlloc[cAlloc + 1].
    let map = u16_at(0)?;
    let count = u16_at(map)?;
    if index == 0 || index > count {
        return None;
    }
    let offset = |i: usize| u16_at(map + 4 + 2 * i);
    heap.get(offset(index - 1)?..offset(index)?)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}
