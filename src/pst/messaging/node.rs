//! Writing one message, with its recipients, attachments and embedded messages, as a node and
//! its [subnode tree](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/5182eb24-4b0b-4816-aa3f-719cc6e6b018)
//! (MS-PST 2.2.2.8.3.3, 2.4.5, 2.4.6). Sizes follow docs/pst-writer-notes.md §4.6:
//! PidTagMessageSize and the PtypObject size count the logical bytes of the node's data blocks
//! and, recursively, of every subnode's, never block trailers or XBLOCK/SLBLOCK payloads;
//! PidTagAttachSize adds up the attachment's property values.

use crate::pst::error::Error;
use crate::pst::item::Item;
use crate::pst::ltp::{self, NodeBlocks, PropTag, PropValue, SubnodeWriter, TableRow};
use crate::pst::mail::{AttachmentContent, FileTime, Message};
use crate::pst::messaging::attachment::{
    StoredContent, attachment_properties, attachment_row, attachment_size,
};
use crate::pst::messaging::message::message_properties;
use crate::pst::messaging::pim;
use crate::pst::messaging::props::Props;
use crate::pst::messaging::recipient::{recipient_properties, recipient_row};
use crate::pst::messaging::tags;
use crate::pst::messaging::templates;
use crate::pst::ndb::{self, Bid, NdbWriter, Nid, NidType, SubnodeEntry, special};

/// The subnodes of one node being built: every subnode written goes into its subnode tree, and
/// its logical size into the node's size.
#[derive(Debug)]
pub struct NodeScope<'w> {
    pub ndb: &'w mut NdbWriter,
    entries: Vec<SubnodeEntry>,
    /// Logical bytes of all subnodes so far.
    subnode_bytes: u64,
}

impl<'w> NodeScope<'w> {
    pub fn new(ndb: &'w mut NdbWriter) -> NodeScope<'w> {
        NodeScope {
            ndb,
            entries: Vec::new(),
            subnode_bytes: 0,
        }
    }

    /// Adds a subnode written elsewhere (an attachment, a table, an embedded message).
    fn add(&mut self, nid: Nid, data: Bid, sub: Bid, size: u64) {
        self.entries.push(SubnodeEntry { nid, data, sub });
        self.subnode_bytes += size;
    }

    /// Writes a table context as subnode `nid`. A large table's row matrix and values become
    /// subnodes of that subnode (its own subnode tree), where readers look for them.
    fn add_table(
        &mut self,
        nid: Nid,
        columns: &[PropTag],
        rows: &[TableRow<'_>],
    ) -> Result<(), Error> {
        let mut table = NodeScope::new(self.ndb);
        let blocks = ltp::build_tc(columns, rows, &mut table)?;
        let tree = table.ndb.write_blocks(blocks.blocks())?;
        let (sub, sub_size) = table.finish()?;
        self.add(nid, tree.bid, sub, tree.size + sub_size);
        Ok(())
    }

    /// Writes the subnode tree; [`Bid::NONE`] when there are no subnodes.
    pub fn finish(self) -> Result<(Bid, u64), Error> {
        let size = self.subnode_bytes;
        if self.entries.is_empty() {
            return Ok((Bid::NONE, size));
        }
        Ok((self.ndb.write_subnode_tree(self.entries)?, size))
    }
}

impl SubnodeWriter for NodeScope<'_> {
    fn write_subnode(&mut self, data: &[u8], block_size: usize) -> Result<Nid, ndb::Error> {
        let nid = self.ndb.allocate_nid(NidType::Ltp);
        let tree = self.ndb.write_data(data, block_size)?;
        self.add(nid, tree.bid, Bid::NONE, tree.size);
        Ok(nid)
    }
}

/// Builds a PC whose properties include its own size (an inline I32 that does not change the
/// blocks): a first pass measures, the second writes the final value. The second pass gets
/// back the subnodes of the first instead of writing them again.
fn build_sized_pc<'a>(
    scope: &mut NodeScope<'_>,
    make: impl Fn(i32) -> Props<'a>,
) -> Result<(NodeBlocks, Props<'a>, u64), Error> {
    let mut recorder = Recorder {
        scope,
        written: Vec::new(),
    };
    let first = ltp::build_pc(&make(0).into_sorted(), &mut recorder)?;
    let written = recorder.written;
    let total = first.total_size() + scope.subnode_bytes;
    let size = i32::try_from(total).map_err(|_| Error::MessageTooLarge { size: total })?;
    let props = make(size);
    let mut replay = Replay { written, next: 0 };
    let second = ltp::build_pc(&props.clone().into_sorted(), &mut replay);
    let replayed = replay.next == replay.written.len();
    let blocks = match second {
        Ok(blocks) if replayed && blocks.total_size() == first.total_size() => blocks,
        Err(error) if replayed => return Err(error.into()),
        _ => return Err(Error::PcNotRepeatable),
    };
    Ok((blocks, props, total))
}

/// Passes subnodes through to the scope and remembers them.
struct Recorder<'s, 'w> {
    scope: &'s mut NodeScope<'w>,
    written: Vec<(Nid, usize)>,
}

impl SubnodeWriter for Recorder<'_, '_> {
    fn write_subnode(&mut self, data: &[u8], block_size: usize) -> Result<Nid, ndb::Error> {
        let nid = self.scope.write_subnode(data, block_size)?;
        self.written.push((nid, data.len()));
        Ok(nid)
    }
}

/// Hands out the subnodes of the first pass again, in the same order.
struct Replay {
    written: Vec<(Nid, usize)>,
    next: usize,
}

impl SubnodeWriter for Replay {
    fn write_subnode(&mut self, data: &[u8], _block_size: usize) -> Result<Nid, ndb::Error> {
        match self.written.get(self.next) {
            Some((nid, len)) if *len == data.len() => {
                self.next += 1;
                Ok(*nid)
            }
            // Not what the first pass wrote: `build_sized_pc` reports it.
            _ => {
                self.next = usize::MAX;
                Err(ndb::Error::WriterFailed)
            }
        }
    }
}

/// A message written to the file: its node's data and subnode trees, its size, and the
/// properties of its PC (from which its contents-table row is taken).
#[derive(Debug)]
pub struct WrittenNode<'a> {
    pub data: Bid,
    pub sub: Bid,
    /// The logical bytes of the node and all its subnodes (docs/pst-writer-notes.md §4.6).
    pub size: u64,
    pub props: Props<'a>,
}

/// Writes `message` as a node: attachments (recursively), the attachment table, the recipient
/// table (always, even empty), then the message PC. Row versions come from the store's counter.
pub fn write_message<'m>(
    ndb: &mut NdbWriter,
    message: &'m Message,
    now: FileTime,
) -> Result<WrittenNode<'m>, Error> {
    let mut scope = NodeScope::new(ndb);

    let item_attachments = pim::item_attachments(message);
    let all_attachments = message.attachments.iter().map(|a| (a, &[][..])).chain(
        item_attachments
            .iter()
            .map(|(a, extra)| (a, extra.as_slice())),
    );
    let mut attachment_rows = Vec::with_capacity(message.attachments.len());
    for (attachment, extra) in all_attachments {
        let nid = scope.ndb.allocate_nid(NidType::Attachment);
        let written = write_attachment(scope.ndb, attachment, extra, now)?;
        let row = TableRow {
            id: nid.0,
            version: scope.ndb.next_row_version(),
            cells: attachment_row(&written.props),
        };
        attachment_rows.push(row);
        scope.add(nid, written.data, written.sub, written.size);
    }
    if !attachment_rows.is_empty() {
        scope.add_table(
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
            version: scope.ndb.next_row_version(),
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
            version: scope.ndb.next_row_version(),
            cells: props.row(templates::RECIPIENTS),
        });
    }
    scope.add_table(
        special::RECIPIENT_TABLE,
        templates::RECIPIENTS,
        &recipient_rows,
    )?;
    drop(recipient_rows);

    let (blocks, props, size) =
        build_sized_pc(&mut scope, |size| message_properties(message, now, size))?;
    let tree = scope.ndb.write_blocks(blocks.blocks())?;
    let (sub, _) = scope.finish()?;
    Ok(WrittenNode {
        data: tree.bid,
        sub,
        size,
        props,
    })
}

/// Writes an attachment as a node: for an embedded message, that message first (a subnode of
/// the attachment, NID from the message counter), then the attachment PC.
fn write_attachment<'m>(
    ndb: &mut NdbWriter,
    attachment: &'m crate::pst::mail::Attachment,
    extra: &'m [(PropTag, PropValue<'static>)],
    now: FileTime,
) -> Result<WrittenNode<'m>, Error> {
    let mut scope = NodeScope::new(ndb);
    let written = match &attachment.content {
        AttachmentContent::Data(_) => None,
        AttachmentContent::Streamed(data) => {
            // A value subnode, as a large `Data` would get, written a block at a time.
            let nid = scope.ndb.allocate_nid(NidType::Ltp);
            let tree = scope.ndb.write_data_from(&mut data.reader(), data.len())?;
            scope.add(nid, tree.bid, Bid::NONE, tree.size);
            Some((nid, tree.size))
        }
        AttachmentContent::Message(inner) => {
            let nid = scope.ndb.allocate_nid(NidType::NormalMessage);
            let written = write_message(scope.ndb, inner, now)?;
            scope.add(nid, written.data, written.sub, written.size);
            if u32::try_from(written.size).is_err() {
                return Err(Error::MessageTooLarge { size: written.size });
            }
            Some((nid, written.size))
        }
    };
    let mut props = match StoredContent::of(attachment, written) {
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
    let blocks = ltp::build_pc(&props.clone().into_sorted(), &mut scope)?;
    let tree = scope.ndb.write_blocks(blocks.blocks())?;
    let (sub, sub_size) = scope.finish()?;
    Ok(WrittenNode {
        data: tree.bid,
        sub,
        size: tree.size + sub_size,
        props,
    })
}
