//! The public writer of Unicode PST files: a [message store](https://learn.microsoft.com/en-us/openspecs/office_file_formats/ms-pst/e2e7a5aa-c89f-4fb8-b044-15ac76e5207e)
//! (MS-PST 2.4) written in one streaming pass. Messages go to disk as they are added; per
//! message only its contents-table row (in a temporary file) and a few counters stay behind.
//! `finish()` writes the folders, their tables, the fixed nodes, the B-trees, the maps and the
//! header, then renames the temporary file to its name.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use tempfile::TempPath;

use crate::pst::error::Error;
use crate::pst::item::{DistList, FolderClass, Item};
use crate::pst::ltp::PropTag;
use crate::pst::ltp::{RowIds, TableRow};
use crate::pst::mail::{AttachmentContent, FileTime, Message};
use crate::pst::messaging::attachment::{
    MAX_ATTACHMENT_SIZE, StoredContent, attachment_properties, attachment_size,
};
use crate::pst::messaging::folder::FolderState;
use crate::pst::messaging::node::{LocalIds, PreparedNode, build_message, place};
use crate::pst::messaging::pim;
use crate::pst::messaging::props::Props;
use crate::pst::messaging::skeleton::{Child, TableWriter, write_fixed_nodes, write_folder};
use crate::pst::messaging::spill::{RowRuns, RowSpill};
use crate::pst::messaging::store::default_store_uid;
use crate::pst::messaging::templates;
use crate::pst::ndb::{self, NdbOptions, NdbWriter, Nid, NidType, special};

/// The name Outlook 2010 and later give the IPM subtree of a new PST (older versions said
/// "Top of Personal Folders"); Outlook shows the store's own name in its place.
pub const TOP_FOLDER_NAME: &str = "Top of Outlook data file";
pub const DELETED_ITEMS_NAME: &str = "Deleted Items";
/// The comment Outlook gives Deleted Items.
const DELETED_ITEMS_COMMENT: &str = "Deleted Items folder";

/// How a PST is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterOptions {
    /// The name Outlook shows for the PST.
    pub store_name: String,
    /// `add_message` refuses a message that would take the file past this size.
    pub max_file_size: u64,
    /// The store's record key, part of every EntryID.
    pub store_uid: [u8; 16],
    /// Dates the properties the format requires where the mail has no date (creation and
    /// modification time of an undated message). Never the clock unless the caller asks.
    pub now: FileTime,
    /// Whether `finish()` waits until the file is on disk. A caller that reads the file back
    /// before giving it its name can sync it meanwhile, and must before the name is given.
    pub sync: bool,
}

impl WriterOptions {
    /// Options for a store named `store_name`, with Outlook's default size limit (50 GB) and a
    /// record key derived from the name.
    pub fn new(store_name: &str, now: FileTime) -> WriterOptions {
        WriterOptions {
            store_name: store_name.to_owned(),
            max_file_size: ndb::OUTLOOK_MAX_FILE_SIZE,
            store_uid: default_store_uid(store_name),
            now,
            sync: true,
        }
    }
}

/// A folder of the PST being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderId(u32);

/// What `finish()` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteSummary {
    pub path: PathBuf,
    pub bytes: u64,
    /// Every folder below the top folder, in the order they were added (Deleted Items first).
    pub folders: Vec<FolderSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderSummary {
    /// Folder names from below the top folder down to this one.
    pub path: Vec<String>,
    pub messages: u32,
}

#[derive(Debug)]
struct Folder {
    nid: Nid,
    /// `None` only for the top folder.
    parent: Option<FolderId>,
    name: String,
    children: Vec<FolderId>,
    messages: u32,
    unread: u32,
    /// Where this folder's contents rows are in the spill file. Their IDs (the messages' NIDs)
    /// grow as they are written, so the table's row index is built as they are read back.
    rows: RowRuns,
    /// Mail, contacts, calendar or tasks.
    class: FolderClass,
}

/// Contents rows read back from the spill file at a time.
const ROWS_PER_READ: usize = 1024;

/// Bytes `finish()` needs beyond the folders and rows: fixed nodes, B-tree growth, the last
/// partly filled interval and the map pages.
const FINISH_RESERVE: u64 = 1024 * 1024;
/// Bytes one folder's four nodes take at most (without its rows).
const FOLDER_RESERVE: u64 = 8 * 1024;

/// Writes one PST. Dropped without [`PstWriter::finish`], it removes its temporary file.
#[derive(Debug)]
pub struct PstWriter {
    // Field order matters: the file is closed before the temporary path is removed.
    ndb: Option<NdbWriter>,
    temp: Option<TempPath>,
    path: PathBuf,
    options: WriterOptions,
    folders: Vec<Folder>,
    spill: RowSpill,
    /// An upper bound of the bytes the contents tables will take.
    table_reserve: u64,
    failed: bool,
}

impl PstWriter {
    /// Starts a PST that `finish()` will put at `path`; until then it is written to a
    /// temporary file beside it.
    pub fn create(path: impl AsRef<Path>, options: WriterOptions) -> Result<PstWriter, Error> {
        let path = path.as_ref().to_path_buf();
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // The temporary name keeps the output name's bytes, so that a file a killed job left
        // is recognised by the name of its output even when that name is not Unicode.
        let mut prefix = std::ffi::OsString::from(".");
        prefix.push(path.file_name().unwrap_or_default());
        prefix.push(".");
        let io_error = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(io_error)?;
        let (file, temp) = temp.into_parts();
        let spill = RowSpill::new_in(&dir).map_err(Error::Spill)?;
        let mut ndb = NdbWriter::new(
            file,
            NdbOptions {
                max_file_size: options.max_file_size,
                sync: options.sync,
            },
        )?;
        for nid in [
            special::IPM_SUBTREE,
            special::SEARCH_ROOT,
            special::DELETED_ITEMS,
        ] {
            ndb.reserve_nid(nid);
        }
        let top = Folder {
            nid: special::IPM_SUBTREE,
            parent: None,
            name: TOP_FOLDER_NAME.to_owned(),
            children: vec![FolderId(1)],
            messages: 0,
            unread: 0,
            rows: RowRuns::default(),
            class: FolderClass::Mail,
        };
        let deleted = Folder {
            nid: special::DELETED_ITEMS,
            parent: Some(FolderId(0)),
            name: DELETED_ITEMS_NAME.to_owned(),
            children: Vec::new(),
            messages: 0,
            unread: 0,
            rows: RowRuns::default(),
            class: FolderClass::Mail,
        };
        Ok(PstWriter {
            ndb: Some(ndb),
            temp: Some(temp),
            path,
            options,
            folders: vec![top, deleted],
            spill,
            table_reserve: 0,
            failed: false,
        })
    }

    /// The top folder ("Top of Outlook data file"), which Outlook shows as the PST.
    pub fn top_folder(&self) -> FolderId {
        FolderId(0)
    }

    /// Adds a mail folder named `name` under `parent`.
    pub fn add_folder(&mut self, parent: FolderId, name: &str) -> Result<FolderId, Error> {
        self.add_folder_of(parent, name, FolderClass::Mail)
    }

    /// Adds a folder of contacts, appointments, tasks or mail named `name` under `parent`.
    pub fn add_folder_of(
        &mut self,
        parent: FolderId,
        name: &str,
        class: FolderClass,
    ) -> Result<FolderId, Error> {
        self.check_usable()?;
        self.folder(parent)?;
        if name.is_empty() {
            return Err(Error::EmptyFolderName { parent: parent.0 });
        }
        let ndb = self.ndb.as_mut().ok_or(Error::WriterFailed)?;
        let index = ndb.allocate_folder_index();
        let id = FolderId(self.folders.len() as u32);
        self.folders.push(Folder {
            nid: Nid::new(NidType::NormalFolder, index),
            parent: Some(parent),
            name: name.to_owned(),
            children: Vec::new(),
            messages: 0,
            unread: 0,
            rows: RowRuns::default(),
            class,
        });
        if let Some(parent) = self.folders.get_mut(parent.0 as usize) {
            parent.children.push(id);
        }
        Ok(id)
    }

    /// Writes `message` into `folder`. Refuses, writing nothing, a message or attachment whose
    /// size a 32-bit PidTagMessageSize or PidTagAttachSize cannot hold (2 GiB or more), and
    /// one that would take the file past `max_file_size` together with what `finish()` still
    /// has to write ([`Error::SizeLimit`]: finish this file and go on in a new one).
    ///
    /// A caller with messages to spare builds them on other threads ([`ReadyMessage::new`])
    /// and hands them to [`PstWriter::add_ready`]: this does both in turn, on a copy.
    pub fn add_message(&mut self, folder: FolderId, message: &Message) -> Result<(), Error> {
        self.check_usable()?;
        let ready = ReadyMessage::new(message.clone(), self.options.now)?;
        self.add_ready(folder, &ready)
    }

    /// Writes a message built with [`ReadyMessage::new`] into `folder`; refuses, writing
    /// nothing, one that would take the file past `max_file_size` ([`Error::SizeLimit`]), which
    /// can then go to another file.
    pub fn add_ready(&mut self, folder: FolderId, message: &ReadyMessage) -> Result<(), Error> {
        self.check_usable()?;
        let folder_nid = self.folder(folder)?.nid;
        let finish = self.finish_estimate();
        let ndb = self.ndb.as_ref().ok_or(Error::WriterFailed)?;
        let needed = ndb
            .projected_size()
            .saturating_add(message.estimate)
            .saturating_add(finish)
            .saturating_add(message.row_reserve);
        if needed > self.options.max_file_size {
            return Err(Error::SizeLimit {
                needed,
                limit: self.options.max_file_size,
            });
        }
        let result = self.write(folder, folder_nid, message);
        if result.is_err() {
            self.failed = true;
        }
        self.table_reserve += message.row_reserve;
        result
    }

    fn write(
        &mut self,
        folder: FolderId,
        folder_nid: Nid,
        message: &ReadyMessage,
    ) -> Result<(), Error> {
        let class = self.folder(folder)?.class;
        let ndb = self.ndb.as_mut().ok_or(Error::WriterFailed)?;
        let nid = ndb.allocate_nid(NidType::NormalMessage);
        let (data, sub) = place(ndb, &message.node)?;
        ndb.add_node(nid, data, sub, folder_nid)?;
        ndb.reserve_row_version(message.last_row_version);
        let row = message.row.row(&contents_columns(class));
        let version = ndb.next_row_version();
        let start = self.spill.push(nid, version, &row).map_err(Error::Spill)?;
        let end = self.spill.len();
        let entry = self
            .folders
            .get_mut(folder.0 as usize)
            .ok_or(Error::UnknownFolder { folder: folder.0 })?;
        entry.rows.push(start, end);
        entry.messages += 1;
        if !message.read {
            entry.unread += 1;
        }
        Ok(())
    }

    /// The size of the file so far (whole allocation intervals).
    pub fn bytes_written(&self) -> u64 {
        self.ndb.as_ref().map_or(0, NdbWriter::bytes_written)
    }

    /// Writes folders, tables, fixed nodes, B-trees, maps and header, syncs the file and
    /// renames it to its path.
    pub fn finish(mut self) -> Result<WriteSummary, Error> {
        self.check_usable()?;
        let mut ndb = self.ndb.take().ok_or(Error::WriterFailed)?;
        let states: Vec<FolderState> = self.folders.iter().map(|f| self.state_of(f)).collect();
        let mut reader = self.spill.reader().map_err(Error::Spill)?;
        for (folder, state) in self.folders.iter().zip(&states) {
            let children: Vec<Child<'_>> = folder
                .children
                .iter()
                .filter_map(|id| {
                    let child = self.folders.get(id.0 as usize)?;
                    Some(Child {
                        nid: child.nid,
                        state: states.get(id.0 as usize)?,
                    })
                })
                .collect();
            let parent = match folder.parent {
                Some(parent) => self
                    .folders
                    .get(parent.0 as usize)
                    .map_or(special::ROOT_FOLDER, |p| p.nid),
                None => special::ROOT_FOLDER,
            };
            let fill = |table: &mut TableWriter<'_, '_>| {
                // A thousand rows at a time: a folder's rows are never all in memory.
                for run in folder.rows.runs() {
                    let (mut at, mut left) = (run.start, run.count);
                    while left > 0 {
                        let count = left.min(ROWS_PER_READ);
                        let (buffer, next) =
                            reader.read_following(at, count).map_err(Error::Spill)?;
                        for row in buffer.rows() {
                            let row = row.map_err(Error::Spill)?;
                            let row = TableRow {
                                id: row.row_id.0,
                                version: row.row_version,
                                cells: row.cells,
                            };
                            table.push_row(&row)?;
                        }
                        (at, left) = (next, left - count);
                    }
                }
                Ok(())
            };
            write_folder(
                &mut ndb,
                folder.nid,
                parent,
                state,
                &children,
                &contents_columns(folder.class),
                RowIds::Ascending(folder.rows.rows()),
                fill,
            )?;
        }
        let top_state = states.first().cloned().unwrap_or_default();
        write_fixed_nodes(
            &mut ndb,
            &self.options.store_name,
            &self.options.store_uid,
            &top_state,
        )?;
        let file: File = ndb.finish()?;
        let io_error = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        let bytes = file.metadata().map_err(io_error)?.len();
        drop(file);
        let temp = self.temp.take().ok_or(Error::WriterFailed)?;
        temp.persist(&self.path).map_err(|e| io_error(e.error))?;
        let folders = self
            .folders
            .iter()
            .skip(1)
            .map(|f| FolderSummary {
                path: self.path_of(f),
                messages: f.messages,
            })
            .collect();
        Ok(WriteSummary {
            path: self.path.clone(),
            bytes,
            folders,
        })
    }

    /// Makes `folder`'s stored message count (PidTagContentCount, in its PC and in its
    /// hierarchy row) claim `extra` more messages than its contents table lists: a damaged
    /// store, for the tests of the checks that compare the two.
    #[cfg(test)]
    pub(crate) fn overstate_count(&mut self, folder: FolderId, extra: u32) {
        if let Some(entry) = self.folders.get_mut(folder.0 as usize) {
            entry.messages += extra;
        }
    }

    fn check_usable(&self) -> Result<(), Error> {
        if self.failed || self.ndb.is_none() {
            return Err(Error::WriterFailed);
        }
        Ok(())
    }

    fn folder(&self, id: FolderId) -> Result<&Folder, Error> {
        self.folders
            .get(id.0 as usize)
            .ok_or(Error::UnknownFolder { folder: id.0 })
    }

    /// A folder's PC values. User folders are mail folders (IPF.Note); the top folder and
    /// Deleted Items have no container class, as in a new Outlook store.
    fn state_of(&self, folder: &Folder) -> FolderState {
        let deleted_items = folder.nid == special::DELETED_ITEMS;
        let user_folder = folder.parent.is_some() && !deleted_items;
        FolderState {
            name: folder.name.clone(),
            content_count: folder.messages,
            unread_count: folder.unread,
            has_subfolders: !folder.children.is_empty(),
            container_class: user_folder.then(|| folder.class.container_class()),
            comment: deleted_items.then_some(DELETED_ITEMS_COMMENT),
        }
    }

    fn path_of(&self, folder: &Folder) -> Vec<String> {
        let mut path = vec![folder.name.clone()];
        let mut parent = folder.parent;
        while let Some(id) = parent {
            let Some(p) = self.folders.get(id.0 as usize) else {
                break;
            };
            if p.parent.is_none() {
                break;
            }
            path.push(p.name.clone());
            parent = p.parent;
        }
        path.reverse();
        path
    }

    /// What `finish()` will add: fixed nodes, the folders' nodes and the contents rows.
    fn finish_estimate(&self) -> u64 {
        FINISH_RESERVE + FOLDER_RESERVE * self.folders.len() as u64 + self.table_reserve
    }
}

/// A message built into the blocks of its node, apart from any file: what
/// [`PstWriter::add_ready`] places in one. Building is most of the work of writing a message,
/// and messages can be built on many threads at once; placing them is the part that must go
/// one message after another.
#[derive(Debug)]
pub struct ReadyMessage {
    node: PreparedNode,
    /// The message's values its folder's contents table may show, whatever the folder.
    row: Props<'static>,
    last_row_version: u32,
    read: bool,
    /// Upper bounds of the bytes it adds to the file and to its folder's contents table.
    estimate: u64,
    row_reserve: u64,
}

impl ReadyMessage {
    /// Builds `message`, dated where it has no date with `now` (the writer's
    /// [`WriterOptions::now`]). Its attachments' bytes move into the built message. Refuses a
    /// message or attachment whose size a 32-bit PidTagMessageSize or PidTagAttachSize cannot
    /// hold (2 GiB or more).
    pub fn new(mut message: Message, now: FileTime) -> Result<ReadyMessage, Error> {
        check_sizes(&message)?;
        let estimate = message_estimate(&message);
        let row_reserve = contents_row_estimate(&message);
        let read = message.state.read;
        let mut ids = LocalIds::default();
        let built = build_message(&mut ids, &mut message, now)?;
        let mut row = Props::new();
        for (tag, value) in built.props.iter() {
            if ROW_TAGS.contains(tag) {
                row.set(*tag, value.clone().into_owned());
            }
        }
        Ok(ReadyMessage {
            node: built.node,
            row,
            last_row_version: ids.last_row_version(),
            read,
            estimate,
            row_reserve,
        })
    }
}

/// Every column a contents table can have, of any kind of folder.
static ROW_TAGS: LazyLock<Vec<PropTag>> = LazyLock::new(|| {
    let mut tags = Vec::new();
    for class in [
        FolderClass::Mail,
        FolderClass::Contacts,
        FolderClass::Calendar,
        FolderClass::Tasks,
    ] {
        for tag in contents_columns(class) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags
});

/// The columns of a folder's contents table: mail's, then those Outlook shows for the
/// folder's kind of items.
fn contents_columns(class: FolderClass) -> Vec<PropTag> {
    let mut columns = templates::CONTENTS.to_vec();
    for column in pim::extra_columns(class) {
        if !columns.iter().any(|c| c.id == column.id) {
            columns.push(column);
        }
    }
    columns
}

/// Refuses a message that a 32-bit size cannot describe (docs/pst-writer-notes.md §6): an
/// attachment, also inside an embedded message, whose PidTagAttachSize would pass `i32::MAX`,
/// or a message whose PidTagMessageSize could (its node takes at most [`message_estimate`]
/// bytes; every attachment and embedded message lies inside it).
fn check_sizes(message: &Message) -> Result<(), Error> {
    for attachment in &message.attachments {
        match &attachment.content {
            AttachmentContent::Data(data) => {
                let props = attachment_properties(attachment, StoredContent::Data(data));
                if attachment_size(&props) > MAX_ATTACHMENT_SIZE {
                    return Err(Error::AttachmentTooLarge {
                        name: attachment.filename.clone().unwrap_or_default(),
                        size: data.len() as u64,
                    });
                }
            }
            AttachmentContent::Streamed(data) if data.len() >= MAX_ATTACHMENT_SIZE => {
                return Err(Error::AttachmentTooLarge {
                    name: attachment.filename.clone().unwrap_or_default(),
                    size: data.len(),
                });
            }
            AttachmentContent::Streamed(_) => {}
            AttachmentContent::Message(inner) => check_sizes(inner)?,
        }
    }
    let size = message_estimate(message);
    if size > MAX_ATTACHMENT_SIZE {
        return Err(Error::MessageTooLarge { size });
    }
    Ok(())
}

/// Bytes of UTF-16 a string takes at most.
fn utf16_bytes(s: Option<&str>) -> u64 {
    2 * s.map_or(0, str::len) as u64
}

/// An upper bound of the bytes a message takes in the file: its values (strings as UTF-16, an
/// address in up to eight properties), plus block trailers, alignment, data-tree and
/// B-tree entries, and the fixed part of its PC and tables.
fn message_estimate(message: &Message) -> u64 {
    let addresses = message
        .from
        .iter()
        .chain(&message.sender)
        .chain(message.recipients.iter().map(|r| &r.address));
    let mut values: u64 = addresses
        .map(|a| 8 * (utf16_bytes(a.name.as_deref()) + utf16_bytes(Some(&a.email))) + 256)
        .sum();
    values += 3 * utf16_bytes(message.subject.as_deref());
    for text in [
        &message.transport_headers,
        &message.body_text,
        &message.internet_message_id,
        &message.in_reply_to,
        &message.references,
    ] {
        values += utf16_bytes(text.as_deref());
    }
    values += message.body_html.as_ref().map_or(0, |h| h.len() as u64);
    values += match message.item.as_deref() {
        None => 0,
        Some(Item::Contact(contact)) => {
            16 * 1024
                + contact
                    .photo
                    .as_ref()
                    .map_or(0, |p| 2 * p.data.len() as u64)
        }
        Some(Item::Appointment(appointment)) => {
            let exceptions = appointment
                .recurrence
                .as_ref()
                .map_or(0, |r| r.exceptions.len());
            let attendees: u64 = appointment
                .attendees
                .iter()
                .map(|a| {
                    8 * (utf16_bytes(a.address.name.as_deref())
                        + utf16_bytes(Some(&a.address.email)))
                        + 512
                })
                .sum();
            16 * 1024
                + attendees * (1 + exceptions as u64)
                + exceptions as u64 * (24 * 1024 + 2 * message_estimate_text(message))
        }
        Some(Item::Task(_)) => 8 * 1024,
        Some(Item::DistList(list)) => {
            8 * 1024
                + 2 * list
                    .members
                    .iter()
                    .map(|m| DistList::member_bytes(m) as u64)
                    .sum::<u64>()
        }
    };
    values += message
        .categories
        .iter()
        .map(|c| utf16_bytes(Some(c)) + 8)
        .sum::<u64>();
    for attachment in &message.attachments {
        values += 1024
            + 8 * utf16_bytes(attachment.filename.as_deref())
            + utf16_bytes(attachment.mime_type.as_deref())
            + utf16_bytes(attachment.content_id.as_deref())
            + utf16_bytes(attachment.content_location.as_deref());
        values += match &attachment.content {
            AttachmentContent::Data(data) => data.len() as u64,
            AttachmentContent::Streamed(data) => data.len(),
            AttachmentContent::Message(inner) => message_estimate(inner),
        };
    }
    // Every 8176 bytes of data cost one 8192-byte block, an XBLOCK entry and a BBT entry; each
    // node or subnode wastes up to a 64-byte slot and the block trailer.
    let blocks = values / 8176 + 64;
    values + blocks * (16 + 64 + 8 + 32) + 16 * 1024
}

/// Bytes of the texts an exception repeats from its series.
fn message_estimate_text(message: &Message) -> u64 {
    utf16_bytes(message.subject.as_deref()) + utf16_bytes(message.body_text.as_deref())
}

/// An upper bound of the bytes a message's row adds to its folder's contents table.
fn contents_row_estimate(message: &Message) -> u64 {
    let names: u64 = message
        .recipients
        .iter()
        .map(|r| utf16_bytes(Some(r.address.display())) + 4)
        .sum();
    let author = message.from.as_ref().or(message.sender.as_ref());
    // Fixed row of under 200 bytes, the row index, the strings of its cells with heap overhead.
    let item = if message.item.is_some() { 2048 } else { 0 };
    item + 256
        + 3 * utf16_bytes(message.subject.as_deref())
        + names
        + utf16_bytes(author.map(|a| a.display()))
        + utf16_bytes(message.internet_message_id.as_deref())
        + message.conversation_index.as_ref().map_or(22, Vec::len) as u64
        + 64
}
