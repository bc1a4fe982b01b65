//! A self-check of a finished PST: the node database's own check (`ndb::verify`), then the
//! [messaging layer](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/e2e7a5aa-c89f-4fb8-b044-15ac76e5207e)
//! rules no open reader checks but ScanPST and Outlook do (notes 8.2 items 7–9): every property
//! and table context decodes, folder counts equal table rows, each contents row equals its
//! message's PC, each attachment row its attachment's PC, sizes equal the sums of notes 4.6,
//! and every node's nidParent names the folder whose table lists it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::pst::error::Error;
use crate::pst::ltp::{self, OwnedPropValue, PropTag, PropValue, Table};
use crate::pst::messaging::tags;
use crate::pst::ndb::{self, Bid, NdbReader, Nid, NidType, SubnodeEntry, special};

/// What [`verify`] found.
#[derive(Debug)]
pub struct VerifyReport {
    /// The node database's own report.
    pub ndb: ndb::VerifyReport,
    /// Problems of the LTP and messaging layers, each naming the node.
    pub problems: Vec<String>,
    /// Folders below the root, messages in contents tables.
    pub folders: usize,
    pub messages: usize,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.ndb.is_clean() && self.problems.is_empty()
    }
}

/// Nodes every store we write has (notes 4.1).
const SKELETON: [Nid; 24] = [
    special::MESSAGE_STORE,
    special::NAME_TO_ID_MAP,
    special::ROOT_FOLDER,
    Nid(0x12D),
    Nid(0x12E),
    Nid(0x12F),
    special::SEARCH_MANAGEMENT_QUEUE,
    special::SEARCH_ACTIVITY_LIST,
    special::SEARCH_DOMAIN_OBJECT,
    special::HIERARCHY_TABLE_TEMPLATE,
    special::CONTENTS_TABLE_TEMPLATE,
    special::ASSOC_CONTENTS_TABLE_TEMPLATE,
    special::SEARCH_CONTENTS_TABLE_TEMPLATE,
    special::RECEIVE_FOLDER_TABLE,
    special::OUTGOING_QUEUE_TABLE,
    special::ATTACHMENT_TABLE,
    special::RECIPIENT_TABLE,
    special::SEARCH_TABLE_INDEX,
    special::CONTENTS_TABLE_INDEX_TEMPLATE,
    special::SEARCH_TABLE_INDEX_TEMPLATE,
    special::HIERARCHY_MAP,
    special::IPM_SUBTREE,
    special::SEARCH_ROOT,
    special::DELETED_ITEMS,
];

/// Checks the PST at `path`; problems are listed in the report, not returned as errors.
/// Errors are only for a file that cannot be read at all.
pub fn verify(path: &Path) -> Result<VerifyReport, Error> {
    let ndb_report = ndb::verify(path)?;
    let mut reader = NdbReader::open(path)?;
    let mut check = Check {
        reader: &mut reader,
        problems: Vec::new(),
    };
    let (folders, messages) = check.store();
    let problems = check.problems;
    Ok(VerifyReport {
        ndb: ndb_report,
        problems,
        folders,
        messages,
    })
}

type Props = BTreeMap<u16, (PropTag, OwnedPropValue)>;

struct Check<'r> {
    reader: &'r mut NdbReader,
    problems: Vec<String>,
}

impl Check<'_> {
    fn problem(&mut self, text: String) {
        if self.problems.len() < 200 {
            self.problems.push(text);
        }
    }

    /// The whole store: skeleton, store PC, then every folder and its messages.
    fn store(&mut self) -> (usize, usize) {
        for nid in SKELETON {
            if self.reader.node(nid).is_none() {
                self.problem(format!("node {nid:?} of every store is missing"));
            }
        }
        if let Some(store) = self.pc_of(special::MESSAGE_STORE) {
            let key = match store.get(&tags::RECORD_KEY.id) {
                Some((_, PropValue::Binary(key))) => key.to_vec(),
                _ => Vec::new(),
            };
            for (tag, nid) in [
                (tags::IPM_SUBTREE_ENTRY_ID, special::IPM_SUBTREE),
                (tags::IPM_WASTEBASKET_ENTRY_ID, special::DELETED_ITEMS),
                (tags::FINDER_ENTRY_ID, special::SEARCH_ROOT),
            ] {
                let ok = matches!(store.get(&tag.id), Some((_, PropValue::Binary(id)))
                    if id.len() == 24 && id[4..20] == key[..] && id[20..] == nid.0.to_le_bytes());
                if !ok {
                    self.problem(format!("store {tag}: not the EntryID of {nid:?}"));
                }
            }
        }
        let folder_nids: Vec<Nid> = self
            .reader
            .nodes()
            .map(|n| n.nid)
            .filter(|nid| nid.nid_type() == Some(NidType::NormalFolder))
            .collect();
        let mut messages = 0;
        for nid in &folder_nids {
            messages += self.folder(*nid);
        }
        // Every message node is in its folder's contents table (checked there by parent).
        (folder_nids.len().saturating_sub(1), messages)
    }

    fn pc_of(&mut self, nid: Nid) -> Option<Props> {
        let node = self.reader.node(nid)?;
        match read_pc_node(self.reader, node.data, node.sub) {
            Ok(props) => Some(props),
            Err(e) => {
                self.problem(format!("PC of {nid:?}: {e}"));
                None
            }
        }
    }

    fn table_of(&mut self, nid: Nid) -> Option<Table> {
        let Some(node) = self.reader.node(nid) else {
            self.problem(format!("table {nid:?} is missing"));
            return None;
        };
        match read_tc_node(self.reader, node.data, node.sub) {
            Ok(table) => Some(table),
            Err(e) => {
                self.problem(format!("TC of {nid:?}: {e}"));
                None
            }
        }
    }

    /// One folder: its PC against its tables, its children's rows against their PCs, its
    /// messages. Returns the number of messages.
    fn folder(&mut self, nid: Nid) -> usize {
        let Some(pc) = self.pc_of(nid) else { return 0 };
        let hierarchy = self.table_of(nid.with_type(NidType::HierarchyTable));
        let contents = self.table_of(nid.with_type(NidType::ContentsTable));
        self.table_of(nid.with_type(NidType::AssociatedContentsTable));
        let (Some(hierarchy), Some(contents)) = (hierarchy, contents) else {
            return 0;
        };
        // Counts.
        let unread = contents
            .rows
            .iter()
            .filter(|row| {
                let flags = cell(&contents, row, tags::MESSAGE_FLAGS);
                !matches!(flags, Some(PropValue::Integer32(f)) if f & tags::message_flags::READ != 0)
            })
            .count();
        for (tag, expected) in [
            (
                tags::CONTENT_COUNT,
                PropValue::Integer32(contents.rows.len() as i32),
            ),
            (
                tags::CONTENT_UNREAD_COUNT,
                PropValue::Integer32(unread as i32),
            ),
            (
                tags::SUBFOLDERS,
                PropValue::Boolean(!hierarchy.rows.is_empty()),
            ),
        ] {
            let found = pc.get(&tag.id).map(|(_, v)| v);
            if found != Some(&expected) {
                self.problem(format!(
                    "folder {nid:?} {tag} is {found:?}, its tables say {expected:?}"
                ));
            }
        }
        // Subfolders: parent, and their row equals their PC.
        for row in &hierarchy.rows {
            let child = Nid(row.id);
            match self.reader.node(child) {
                Some(node) if node.parent == nid => {}
                Some(node) => self.problem(format!(
                    "folder {child:?} is listed by {nid:?} but its nidParent is {:?}",
                    node.parent
                )),
                None => self.problem(format!("hierarchy row {child:?} of {nid:?} has no node")),
            }
            if let Some(child_pc) = self.pc_of(child) {
                self.row_equals_pc(
                    &hierarchy,
                    row,
                    &child_pc,
                    &format!("hierarchy row {child:?}"),
                );
            }
        }
        // Messages: exactly the message nodes whose parent is this folder.
        let listed: BTreeSet<u32> = contents.rows.iter().map(|r| r.id).collect();
        let children: BTreeSet<u32> = self
            .reader
            .nodes()
            .filter(|n| n.parent == nid && n.nid.nid_type() == Some(NidType::NormalMessage))
            .map(|n| n.nid.0)
            .collect();
        if listed != children {
            self.problem(format!(
                "folder {nid:?}: {} contents rows, {} message nodes with it as parent",
                listed.len(),
                children.len()
            ));
        }
        for row in &contents.rows {
            let message = Nid(row.id);
            let Some(node) = self.reader.node(message) else {
                self.problem(format!("contents row {message:?} of {nid:?} has no node"));
                continue;
            };
            if let Some(props) = self.message(message, node.data, node.sub) {
                self.row_equals_pc(&contents, row, &props, &format!("contents row {message:?}"));
            }
        }
        contents.rows.len()
    }

    /// Every column of `row` equals the object's property; absent ⇔ absent.
    fn row_equals_pc(
        &mut self,
        table: &Table,
        row: &ltp::TableRow<'static>,
        pc: &Props,
        what: &str,
    ) {
        for (tag, value) in table.columns.iter().zip(&row.cells) {
            let in_pc = pc.get(&tag.id).filter(|(t, _)| t == tag).map(|(_, v)| v);
            if value.as_ref() != in_pc {
                self.problem(format!(
                    "{what}: column {tag} is {value:?}, the PC has {in_pc:?}"
                ));
            }
        }
    }

    /// A message (top-level or embedded): its PC, recipient and attachment tables, attachment
    /// rows against attachment PCs, sizes, the attachment flag. Returns its PC.
    fn message(&mut self, nid: Nid, data: Bid, sub: Bid) -> Option<Props> {
        let what = format!("message {nid:?}");
        let props = match read_pc_node(self.reader, data, sub) {
            Ok(props) => props,
            Err(e) => {
                self.problem(format!("{what}: {e}"));
                return None;
            }
        };
        let subnodes = match self.reader.subnodes(sub) {
            Ok(s) => s,
            Err(e) => {
                self.problem(format!("{what}: subnode tree: {e}"));
                return Some(props);
            }
        };
        let size = self.node_size(data, &subnodes);
        self.expect_int(&props, tags::MESSAGE_SIZE, size, &what);
        let find = |nid: Nid| subnodes.iter().find(|s| s.nid == nid).copied();
        match find(special::RECIPIENT_TABLE) {
            Some(entry) => {
                if let Err(e) = read_tc_node(self.reader, entry.data, entry.sub) {
                    self.problem(format!("{what}: recipient table: {e}"));
                }
            }
            None => self.problem(format!("{what}: no recipient table")),
        }
        let attachments: Vec<SubnodeEntry> = subnodes
            .iter()
            .filter(|s| s.nid.nid_type() == Some(NidType::Attachment))
            .copied()
            .collect();
        let mut visible = false;
        match find(special::ATTACHMENT_TABLE) {
            None if attachments.is_empty() => {}
            None => self.problem(format!("{what}: attachments without an attachment table")),
            Some(entry) => match read_tc_node(self.reader, entry.data, entry.sub) {
                Err(e) => self.problem(format!("{what}: attachment table: {e}")),
                Ok(table) => {
                    let rows: BTreeSet<u32> = table.rows.iter().map(|r| r.id).collect();
                    let nodes: BTreeSet<u32> = attachments.iter().map(|a| a.nid.0).collect();
                    if rows != nodes {
                        self.problem(format!(
                            "{what}: attachment rows differ from attachment subnodes"
                        ));
                    }
                    for row in &table.rows {
                        let Some(entry) = find(Nid(row.id)) else {
                            continue;
                        };
                        let Some(pc) = self.attachment(entry, &what) else {
                            continue;
                        };
                        visible |= !matches!(
                            pc.get(&tags::ATTACHMENT_HIDDEN.id),
                            Some((_, PropValue::Boolean(true)))
                        );
                        self.row_equals_pc(
                            &table,
                            row,
                            &pc,
                            &format!("{what} attachment row {:#x}", row.id),
                        );
                    }
                }
            },
        }
        let flags = match props.get(&tags::MESSAGE_FLAGS.id) {
            Some((_, PropValue::Integer32(f))) => *f,
            _ => 0,
        };
        if (flags & tags::message_flags::HAS_ATTACH != 0) != visible {
            self.problem(format!(
                "{what}: MSGFLAG_HASATTACH is not set exactly when an attachment is visible"
            ));
        }
        Some(props)
    }

    /// An attachment: its PC, its size, an embedded message's object size and content.
    fn attachment(&mut self, entry: SubnodeEntry, message: &str) -> Option<Props> {
        let what = format!("{message} attachment {:?}", entry.nid);
        let props = match read_pc_node(self.reader, entry.data, entry.sub) {
            Ok(p) => p,
            Err(e) => {
                self.problem(format!("{what}: {e}"));
                return None;
            }
        };
        let subnodes = self.reader.subnodes(entry.sub).unwrap_or_default();
        self.expect_int(&props, tags::ATTACH_SIZE, property_bytes(&props), &what);
        if let Some((_, PropValue::Object { nid, size })) = props.get(&tags::ATTACH_DATA_OBJECT.id)
        {
            match subnodes.iter().find(|s| s.nid == *nid).copied() {
                None => self.problem(format!("{what}: embedded message {nid:?} is not a subnode")),
                Some(embedded) => {
                    let inner = self.reader.subnodes(embedded.sub).unwrap_or_default();
                    let computed = self.node_size(embedded.data, &inner);
                    if u64::from(*size) != computed {
                        self.problem(format!("{what}: object size {size}, computed {computed}"));
                    }
                    self.message(*nid, embedded.data, embedded.sub);
                }
            }
        }
        Some(props)
    }

    fn expect_int(&mut self, props: &Props, tag: PropTag, expected: u64, what: &str) {
        let found = props.get(&tag.id).map(|(_, v)| v);
        if found
            != Some(&PropValue::Integer32(
                i32::try_from(expected).unwrap_or(i32::MAX),
            ))
        {
            self.problem(format!(
                "{what}: {tag} is {found:?}, the blocks add up to {expected}"
            ));
        }
    }

    /// Logical bytes of a node's data blocks and, recursively, its subnodes' (notes 4.6).
    fn node_size(&mut self, data: Bid, subnodes: &[SubnodeEntry]) -> u64 {
        let mut size = self.data_size(data);
        for entry in subnodes {
            let inner = self.reader.subnodes(entry.sub).unwrap_or_default();
            size += self.node_size(entry.data, &inner);
        }
        size
    }

    fn data_size(&mut self, bid: Bid) -> u64 {
        if bid.is_none() {
            return 0;
        }
        match self.reader.read_blocks(bid) {
            Ok(blocks) => blocks.iter().map(|b| b.len() as u64).sum(),
            Err(e) => {
                self.problem(format!("data tree {bid:?}: {e}"));
                0
            }
        }
    }
}

/// PidTagAttachSize as ScanPST computes it (docs/pst-writer-notes.md §4.6): the sizes of the
/// object's property values added up, as read from the file: fixed sizes by type, strings in
/// UTF-16 bytes, binary and multi-valued values as stored, an embedded object by the size it
/// declares.
fn property_bytes(props: &Props) -> u64 {
    let utf16 = |s: &str| 2 * s.encode_utf16().count() as u64;
    props
        .values()
        .map(|(_, value)| match value {
            PropValue::Boolean(_) => 1,
            PropValue::Integer16(_) => 2,
            PropValue::Integer32(_) => 4,
            PropValue::Integer64(_) | PropValue::Floating64(_) | PropValue::Time(_) => 8,
            PropValue::Guid(_) => 16,
            PropValue::String(s) => utf16(s),
            PropValue::Binary(b) => b.len() as u64,
            PropValue::MultipleInteger32(v) => 4 * v.len() as u64,
            PropValue::MultipleString(v) => {
                4 + 4 * v.len() as u64 + v.iter().map(|s| utf16(s)).sum::<u64>()
            }
            PropValue::MultipleBinary(v) => {
                4 + 4 * v.len() as u64 + v.iter().map(|b| b.len() as u64).sum::<u64>()
            }
            PropValue::Object { size, .. } => u64::from(*size),
        })
        .sum()
}

fn cell<'t>(
    table: &'t Table,
    row: &'t ltp::TableRow<'static>,
    tag: PropTag,
) -> Option<&'t OwnedPropValue> {
    let index = table.columns.iter().position(|t| *t == tag)?;
    row.cells.get(index)?.as_ref()
}

/// The blocks of a subnode of a node with subnode tree `sub`.
fn subnode_reader(
    reader: &mut NdbReader,
    sub: Bid,
) -> Result<impl FnMut(Nid) -> Result<Vec<Vec<u8>>, ltp::Error> + '_, ltp::Error> {
    let entries = if sub.is_none() {
        Vec::new()
    } else {
        reader.subnodes(sub)?
    };
    Ok(move |nid: Nid| {
        let entry = entries
            .iter()
            .find(|e| e.nid == nid)
            .ok_or(ltp::Error::Ndb(ndb::Error::BlockNotFound {
                bid: Bid::NONE,
            }))?;
        Ok(reader.read_blocks(entry.data)?)
    })
}

fn read_pc_node(reader: &mut NdbReader, data: Bid, sub: Bid) -> Result<Props, ltp::Error> {
    let blocks = if data.is_none() {
        Vec::new()
    } else {
        reader.read_blocks(data)?
    };
    let mut subnodes = subnode_reader(reader, sub)?;
    let props = ltp::read_pc(&blocks, &mut subnodes)?;
    Ok(props
        .into_iter()
        .map(|(tag, value)| (tag.id, (tag, value)))
        .collect())
}

fn read_tc_node(reader: &mut NdbReader, data: Bid, sub: Bid) -> Result<Table, ltp::Error> {
    let blocks = if data.is_none() {
        Vec::new()
    } else {
        reader.read_blocks(data)?
    };
    let mut subnodes = subnode_reader(reader, sub)?;
    ltp::read_tc(&blocks, &mut subnodes)
}
