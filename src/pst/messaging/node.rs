//! Building one message, with its recipients, attachments and embedded messages, as a node and
//! its [subnode tree](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/5182eb24-4b0b-4816-aa3f-719cc6e6b018)
//! (MS-PST 2.2.2.8.3.3, 2.4.5, 2.4.6). Sizes follow docs/pst-writer-notes.md §4.6:
//! PidTagMessageSize and the PtypObject size count the logical bytes of the node's data blocks
//! and, recursively, of every subnode's, never block trailers or XBLOCK/SLBLOCK payloads;
//! PidTagAttachSize adds up the attachment's property values.
//!
//! A message is built in memory first ([`build_message`], a [`PreparedNode`]), apart from the
//! file: its subnode NIDs and table row versions are numbered within the message, so messages
//! can be built in parallel and then placed in the file one after another ([`place`]), which
//! only gives their blocks BIDs and offsets.

use std::mem;

use crate::pst::error::Error;
use crate::pst::item::Item;
use crate::pst::ltp::{
    self, MAX_ALLOCATION, MAX_BLOCK, NodeBlocks, OwnedPropValue, PropTag, PropValue, SubnodeWriter,
    TableRow,
};
use crate::pst::mail::{Attachment, AttachmentContent, FileTime, Message, StreamedData};
use crate::pst::messaging::attachment::{
    StoredContent, attachment_properties, attachment_row, attachment_size,
};
use crate::pst::messaging::message::message_properties;
use crate::pst::messaging::pim;
use crate::pst::messaging::props::Props;
use crate::pst::messaging::recipient::{recipient_properties, recipient_row};
use crate::pst::messaging::tags;
use crate::pst::messaging::templates;
use crate::pst::ndb::{
    self, Bid, DataTree, NdbWriter, Nid, NidType, SealedBlocks, SubnodeEntry, special,
};

/// The subnodes of a node written straight to the file (a folder's tables, the fixed nodes):
/// every subnode written goes into its subnode tree.
#[derive(Debug)]
pub struct NodeScope<'w> {
    pub ndb: &'w mut NdbWriter,
    entries: Vec<SubnodeEntry>,
}

impl<'w> NodeScope<'w> {
    pub fn new(ndb: &'w mut NdbWriter) -> NodeScope<'w> {
        NodeScope {
            ndb,
            entries: Vec::new(),
        }
    }

    /// Enters subnode `nid`, whose data tree (written by the caller) has root `data`.
    pub fn add_subnode(&mut self, nid: Nid, data: Bid) {
        self.entries.push(SubnodeEntry {
            nid,
            data,
            sub: Bid::NONE,
        });
    }

    /// Writes the subnode tree; [`Bid::NONE`] when there are no subnodes.
    pub fn finish(self) -> Result<Bid, Error> {
        Ok(self.ndb.write_subnode_tree(self.entries)?)
    }
}

impl SubnodeWriter for NodeScope<'_> {
    fn write_subnode(&mut self, data: &[u8], block_size: usize) -> Result<Nid, ndb::Error> {
        let nid = self.ndb.allocate_nid(NidType::Ltp);
        let tree = self.ndb.write_data(data, block_size)?;
        self.entries.push(SubnodeEntry {
            nid,
            data: tree.bid,
            sub: Bid::NONE,
        });
        Ok(nid)
    }
}

/// The subnode NIDs and row versions of one message, its attachments and embedded messages.
/// MS-PST asks subnode NIDs to be unique within one subnode tree only; counting from the
/// store's first values for each message keeps them so, and the writer raises the store's
/// counters past every one it places (`rgnid`, `dwUnique`).
#[derive(Debug)]
pub struct LocalIds {
    last: [u32; 32],
    row_version: u32,
}

impl Default for LocalIds {
    fn default() -> LocalIds {
        LocalIds {
            last: ndb::RGNID_SEED,
            row_version: ndb::UNIQUE_SEED,
        }
    }
}

impl LocalIds {
    fn nid(&mut self, ty: NidType) -> Result<Nid, Error> {
        let last = &mut self.last[ty as usize];
        if *last >= Nid::MAX_INDEX {
            return Err(ndb::Error::TooManySubnodes {
                count: *last as usize,
                max: Nid::MAX_INDEX as usize,
            }
            .into());
        }
        *last += 1;
        Ok(Nid::new(ty, *last))
    }

    fn row_version(&mut self) -> u32 {
        self.row_version = self.row_version.saturating_add(1);
        self.row_version
    }

    /// The highest row version handed out.
    pub fn last_row_version(&self) -> u32 {
        self.row_version
    }
}

/// A node built in memory, with its subnodes, waiting to be placed in the file.
#[derive(Debug)]
pub struct PreparedNode {
    data: NodeData,
    subnodes: Vec<(Nid, PreparedNode)>,
}

/// What a prepared node's data tree holds.
#[derive(Debug)]
enum NodeData {
    /// Blocks encoded and checksummed: the heap pages of a property or table context, a value,
    /// a table's row matrix.
    Sealed(SealedBlocks),
    /// Bytes read from a file a block at a time as they are written.
    Streamed(StreamedData),
}

impl NodeData {
    fn len(&self) -> u64 {
        match self {
            NodeData::Sealed(blocks) => blocks.len(),
            NodeData::Streamed(data) => data.len(),
        }
    }

    fn pages(blocks: &NodeBlocks) -> Result<NodeData, Error> {
        Ok(NodeData::Sealed(SealedBlocks::from_blocks(
            blocks.blocks(),
        )?))
    }
}

/// Writes a prepared node's subnodes, its data tree and its subnode tree; returns the BIDs of
/// the data tree and of the subnode tree ([`Bid::NONE`] without subnodes).
pub fn place(ndb: &mut NdbWriter, node: &PreparedNode) -> Result<(Bid, Bid), Error> {
    let mut entries = Vec::with_capacity(node.subnodes.len());
    for (nid, subnode) in &node.subnodes {
        let (data, sub) = place(ndb, subnode)?;
        entries.push(SubnodeEntry {
            nid: *nid,
            data,
            sub,
        });
    }
    let tree: DataTree = match &node.data {
        NodeData::Sealed(blocks) => ndb.write_sealed(blocks)?,
        NodeData::Streamed(data) => ndb.write_data_from(&mut data.reader(), data.len())?,
    };
    let sub = ndb.write_subnode_tree(entries)?;
    Ok((tree.bid, sub))
}

/// The subnodes of one node being built: every subnode goes into its subnode tree, and its
/// logical size into the node's size.
#[derive(Debug)]
struct NodeBuilder<'i> {
    ids: &'i mut LocalIds,
    subnodes: Vec<(Nid, PreparedNode)>,
    /// Logical bytes of all subnodes so far.
    subnode_bytes: u64,
}

impl<'i> NodeBuilder<'i> {
    fn new(ids: &'i mut LocalIds) -> NodeBuilder<'i> {
        NodeBuilder {
            ids,
            subnodes: Vec::new(),
            subnode_bytes: 0,
        }
    }

    /// Adds a subnode built elsewhere (an attachment, a table, an embedded message).
    fn add(&mut self, nid: Nid, node: PreparedNode, size: u64) {
        self.subnodes.push((nid, node));
        self.subnode_bytes += size;
    }

    /// Adds `bytes` as a value subnode; returns its NID.
    fn add_value(&mut self, bytes: Vec<u8>, block_size: usize) -> Result<Nid, Error> {
        let nid = self.ids.nid(NidType::Ltp)?;
        let size = bytes.len() as u64;
        let node = PreparedNode {
            data: NodeData::Sealed(SealedBlocks::from_data(bytes, block_size)?),
            subnodes: Vec::new(),
        };
        self.add(nid, node, size);
        Ok(nid)
    }

    /// Builds a table context as subnode `nid`. A large table's row matrix and values become
    /// subnodes of that subnode (its own subnode tree), where readers look for them.
    fn add_table(
        &mut self,
        nid: Nid,
        columns: &[PropTag],
        rows: &[TableRow<'_>],
    ) -> Result<(), Error> {
        let mut table = NodeBuilder::new(self.ids);
        let blocks = ltp::build_tc(columns, rows, &mut table)?;
        let (node, size) = table.finish(NodeData::pages(&blocks)?);
        self.add(nid, node, size);
        Ok(())
    }

    /// The node with `data` and the subnodes added, and its logical size.
    fn finish(self, data: NodeData) -> (PreparedNode, u64) {
        let own = data.len();
        let node = PreparedNode {
            data,
            subnodes: self.subnodes,
        };
        (node, own + self.subnode_bytes)
    }
}

impl SubnodeWriter for NodeBuilder<'_> {
    fn write_subnode(&mut self, data: &[u8], block_size: usize) -> Result<Nid, ndb::Error> {
        self.add_value(data.to_vec(), block_size)
            .map_err(|error| match error {
                Error::Ndb(error) => error,
                _ => ndb::Error::WriterFailed,
            })
    }
}

/// Builds the message PC of `props`, whose PidTagMessageSize (any value: a placeholder) is set
/// to what the PC's own blocks and every subnode add up to once the PC is built (an inline
/// value, so setting it changes no other byte). Returns the blocks, the properties with the
/// size, and the size.
fn build_sized_pc<'a>(
    node: &mut NodeBuilder<'_>,
    mut props: Props<'a>,
) -> Result<(NodeBlocks, Props<'a>, u64), Error> {
    let mut pc = ltp::build_open_pc(props.sorted(), node)?;
    let total = pc.blocks().total_size() + node.subnode_bytes;
    let size = i32::try_from(total).map_err(|_| Error::MessageTooLarge { size: total })?;
    pc.set_integer32(tags::MESSAGE_SIZE, size)?;
    props.int(tags::MESSAGE_SIZE, size);
    Ok((pc.into_blocks(), props, total))
}

/// A message built in memory: its node, its size, and the properties of its PC (from which
/// its contents-table row is taken).
#[derive(Debug)]
pub struct BuiltMessage<'a> {
    pub node: PreparedNode,
    /// The logical bytes of the node and all its subnodes (docs/pst-writer-notes.md §4.6).
    pub size: u64,
    pub props: Props<'a>,
}

/// Builds `message` as a node: attachments (recursively), the attachment table, the recipient
/// table (always, even empty), then the message PC. The bytes of its attachments move into
/// the node, which keeps them until it is placed: they are not copied.
pub fn build_message<'m>(
    ids: &mut LocalIds,
    message: &'m mut Message,
    now: FileTime,
) -> Result<BuiltMessage<'m>, Error> {
    let mut node = NodeBuilder::new(ids);
    let mut attachment_rows = Vec::with_capacity(message.attachments.len());
    for attachment in &mut message.attachments {
        add_attachment(&mut node, &mut attachment_rows, attachment, &[], now)?;
    }
    let message: &'m Message = message;
    for (mut attachment, extra) in pim::item_attachments(message) {
        add_attachment(
            &mut node,
            &mut attachment_rows,
            &mut attachment,
            &extra,
            now,
        )?;
    }
    if !attachment_rows.is_empty() {
        node.add_table(
            special::ATTACHMENT_TABLE,
            templates::ATTACHMENTS,
            &attachment_rows,
        )?;
    }
    drop(attachment_rows);

    let attendees = match message.item.as_deref() {
        Some(Item::Appointment(appointment)) => pim::attendee_rows(message, appointment),
        _ => Vec::new(),
    };
    let mut recipient_rows = Vec::with_capacity(message.recipients.len() + attendees.len());
    for (index, recipient) in message.recipients.iter().enumerate() {
        recipient_rows.push(TableRow {
            id: index as u32 + 1,
            version: node.ids.row_version(),
            cells: recipient_row(recipient),
        });
    }
    let first_attendee = recipient_rows.len();
    for (index, attendee) in attendees.iter().enumerate() {
        let mut props = recipient_properties(&attendee.recipient);
        props.int(tags::RECIPIENT_FLAGS, attendee.flags);
        props.int(tags::RECIPIENT_TRACK_STATUS, attendee.track_status);
        recipient_rows.push(TableRow {
            id: (first_attendee + index) as u32 + 1,
            version: node.ids.row_version(),
            cells: props.row(templates::RECIPIENTS),
        });
    }
    node.add_table(
        special::RECIPIENT_TABLE,
        templates::RECIPIENTS,
        &recipient_rows,
    )?;
    drop(recipient_rows);

    let (blocks, props, size) = build_sized_pc(&mut node, message_properties(message, now, 0))?;
    let (node, _) = node.finish(NodeData::pages(&blocks)?);
    Ok(BuiltMessage { node, size, props })
}

/// Builds an attachment as subnode of `node` and its row of the attachment table.
fn add_attachment(
    node: &mut NodeBuilder<'_>,
    rows: &mut Vec<TableRow<'static>>,
    attachment: &mut Attachment,
    extra: &[(PropTag, PropValue<'static>)],
    now: FileTime,
) -> Result<(), Error> {
    let nid = node.ids.nid(NidType::Attachment)?;
    let (built, size, cells) = build_attachment(node.ids, attachment, extra, now)?;
    rows.push(TableRow {
        id: nid.0,
        version: node.ids.row_version(),
        cells,
    });
    node.add(nid, built, size);
    Ok(())
}

/// Builds an attachment as a node: its content first (an embedded message, NID from the
/// message counter, or bytes too many for the heap, as a value subnode), then its PC. Returns
/// the node, its logical size and its row of the attachment table.
fn build_attachment(
    ids: &mut LocalIds,
    attachment: &mut Attachment,
    extra: &[(PropTag, PropValue<'static>)],
    now: FileTime,
) -> Result<(PreparedNode, u64, Vec<Option<OwnedPropValue>>), Error> {
    let mut node = NodeBuilder::new(ids);
    let stored = match &mut attachment.content {
        // Bytes a heap cannot hold are a value subnode: moved there, not copied.
        AttachmentContent::Data(data) if data.len() > MAX_ALLOCATION => {
            let size = data.len() as u64;
            let nid = node.add_value(mem::take(data), MAX_BLOCK)?;
            Some((nid, size))
        }
        AttachmentContent::Data(_) => None,
        AttachmentContent::Streamed(data) => {
            let nid = node.ids.nid(NidType::Ltp)?;
            let size = data.len();
            let value = PreparedNode {
                data: NodeData::Streamed(data.clone()),
                subnodes: Vec::new(),
            };
            node.add(nid, value, size);
            Some((nid, size))
        }
        AttachmentContent::Message(inner) => {
            let nid = node.ids.nid(NidType::NormalMessage)?;
            let built = build_message(node.ids, inner, now)?;
            if u32::try_from(built.size).is_err() {
                return Err(Error::MessageTooLarge { size: built.size });
            }
            let size = built.size;
            node.add(nid, built.node, size);
            Some((nid, size))
        }
    };
    let attachment: &Attachment = attachment;
    let content = match (&attachment.content, stored) {
        (AttachmentContent::Data(_), Some((nid, size))) => {
            Some(StoredContent::Streamed { nid, size })
        }
        (_, stored) => StoredContent::of(attachment, stored),
    };
    let mut props = match content {
        Some(content) => attachment_properties(attachment, content),
        None => Props::new(),
    };
    if !extra.is_empty() {
        for (tag, value) in extra {
            props.set(*tag, value.clone());
        }
        // PidTagAttachSize adds up every value, the extra ones too.
        if props.get(tags::ATTACH_SIZE).is_some() {
            let size = attachment_size(&props);
            props.int(tags::ATTACH_SIZE, i32::try_from(size).unwrap_or(i32::MAX));
        }
    }
    let cells = attachment_row(&props)
        .into_iter()
        .map(|cell| cell.map(PropValue::into_owned))
        .collect();
    let blocks = ltp::build_pc(&props.into_sorted(), &mut node)?;
    let (built, size) = node.finish(NodeData::pages(&blocks)?);
    Ok((built, size, cells))
}
