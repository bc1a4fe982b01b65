//! The PST as Microsoft's `outlook-pst` crate reads it, a reader independent of our writer:
//! the folders, their message counts, and the facts of every message that the read-back
//! compares.
//!
//! The walk starts at the store's IPM subtree entry id and opens folders one by one:
//! `Store::root_hierarchy_table()` of outlook-pst 1.2.0 never returns (it takes the reader lock
//! twice).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use outlook_pst::UnicodePstFile;
use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::ltp::prop_type::PropertyType;
use outlook_pst::ltp::table_context::{TableContext, TableRowData};
use outlook_pst::messaging::MessagingError;
use outlook_pst::messaging::attachment::{Attachment as _, AttachmentData, UnicodeAttachment};
use outlook_pst::messaging::folder::Folder;
use outlook_pst::messaging::message::{Message as _, UnicodeMessage};
use outlook_pst::messaging::store::{Store as _, UnicodeStore};
use outlook_pst::ndb::node_id::{NodeId, NodeIdType};
use rayon::prelude::*;

use crate::model::content_hash;
use crate::pst;
use crate::reading;

use super::{AttachmentFacts, Facts, FolderCounts, display, sender_text, streamed};

/// Property tags read back (MS-OXPROPS).
pub(super) mod tag {
    pub const SUBJECT: u16 = 0x0037;
    pub const CLIENT_SUBMIT_TIME: u16 = 0x0039;
    pub const SENT_REPRESENTING_NAME: u16 = 0x0042;
    pub const SENT_REPRESENTING_EMAIL: u16 = 0x0065;
    pub const SENT_REPRESENTING_SMTP: u16 = 0x5D02;
    pub const BODY: u16 = 0x1000;
    pub const HTML: u16 = 0x1013;
    pub const INTERNET_MESSAGE_ID: u16 = 0x1035;
    pub const CONTENT_COUNT: u16 = 0x3602;
    pub const ATTACH_SIZE: u16 = 0x0E20;
    pub const ATTACH_FILENAME: u16 = 0x3704;
    pub const ATTACH_METHOD: u16 = 0x3705;
    pub const ATTACH_LONG_FILENAME: u16 = 0x3707;
    pub const DISPLAY_NAME: u16 = 0x3001;
}

/// The properties of a message that the read-back compares: only these are read, the rest of
/// its property context (transport headers, flags, the many small ones) is skipped.
const MESSAGE_PROPERTIES: [u16; 8] = [
    tag::SUBJECT,
    tag::CLIENT_SUBMIT_TIME,
    tag::SENT_REPRESENTING_NAME,
    tag::SENT_REPRESENTING_EMAIL,
    tag::SENT_REPRESENTING_SMTP,
    tag::BODY,
    tag::HTML,
    tag::INTERNET_MESSAGE_ID,
];

/// The PST file at `path` and its store, which reads through it.
fn open_file_and_store(path: &Path) -> Result<(Rc<UnicodePstFile>, Rc<UnicodeStore>), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let pst = UnicodePstFile::read_from(Box::new(PositionedReader::new(file)))
        .map_err(|e| format!("not a Unicode PST file ({e})"))?;
    let pst = Rc::new(pst);
    let store = UnicodeStore::read(pst.clone()).map_err(|e| e.to_string())?;
    Ok((pst, store))
}

/// A file read for outlook-pst, which seeks before every block and page it reads: seeking only
/// moves a position, and a read that falls inside the last stretch read (8 KiB at least, as
/// `BufReader` reads) is served from it. `BufReader` drops its buffer at every seek and asks
/// the system to seek too; this reader makes one positioned read per stretch.
struct PositionedReader {
    file: File,
    position: u64,
    /// The bytes of the file from `buffer_start`.
    buffer: Vec<u8>,
    buffer_start: u64,
}

impl PositionedReader {
    const READ_AHEAD: usize = 8 * 1024;

    fn new(file: File) -> PositionedReader {
        PositionedReader {
            file,
            position: 0,
            buffer: Vec::new(),
            buffer_start: 0,
        }
    }

    fn buffered(&self) -> Option<&[u8]> {
        let offset = usize::try_from(self.position.checked_sub(self.buffer_start)?).ok()?;
        self.buffer.get(offset..).filter(|rest| !rest.is_empty())
    }
}

impl Read for PositionedReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buffered().is_none() {
            if out.len() >= Self::READ_AHEAD / 2 {
                // A block's data: read where it is wanted, not copied through the buffer.
                let read = read_at(&self.file, out, self.position)?;
                self.position += read as u64;
                return Ok(read);
            }
            self.buffer.resize(Self::READ_AHEAD, 0);
            let read = read_at(&self.file, &mut self.buffer, self.position)?;
            self.buffer.truncate(read);
            self.buffer_start = self.position;
        }
        let Some(rest) = self.buffered() else {
            return Ok(0);
        };
        let count = rest.len().min(out.len());
        out[..count].copy_from_slice(&rest[..count]);
        self.position += count as u64;
        Ok(count)
    }
}

impl Seek for PositionedReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek out of range");
        self.position = match to {
            SeekFrom::Start(at) => at,
            SeekFrom::Current(by) => self.position.checked_add_signed(by).ok_or_else(invalid)?,
            SeekFrom::End(by) => self
                .file
                .metadata()?
                .len()
                .checked_add_signed(by)
                .ok_or_else(invalid)?,
        };
        Ok(self.position)
    }
}

/// Reads from `at` until `buffer` is full or the file ends; the bytes read.
fn read_at(file: &File, buffer: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = read_at_once(file, &mut buffer[filled..], at + filled as u64)?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

#[cfg(unix)]
fn read_at_once(file: &File, buffer: &mut [u8], at: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, at)
}

#[cfg(windows)]
fn read_at_once(file: &File, buffer: &mut [u8], at: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, at)
}

/// A folder of the PST and its path of names below the top folder.
type PstFolder = (Vec<String>, Rc<dyn Folder>);

/// Every folder below the IPM subtree, parents before children, with its path.
fn folders_of(store: &Rc<UnicodeStore>) -> Result<Vec<PstFolder>, String> {
    let properties = store.properties();
    let ipm = properties
        .ipm_sub_tree_entry_id()
        .map_err(|e| format!("no IPM subtree: {e}"))?;
    let top = store
        .open_folder(&ipm)
        .map_err(|e| format!("the top folder cannot be opened: {e}"))?;
    let mut found = Vec::new();
    let mut stack: Vec<PstFolder> = vec![(Vec::new(), top)];
    while let Some((path, folder)) = stack.pop() {
        let mut children = Vec::new();
        if let Some(table) = folder.hierarchy_table() {
            for row in table.rows_matrix() {
                let node = NodeId::from(u32::from(row.id()));
                let entry_id = properties
                    .make_entry_id(node)
                    .map_err(|e| format!("folder {}: {e}", path.join("/")))?;
                let child = store
                    .open_folder(&entry_id)
                    .map_err(|e| format!("a folder of {}: {e}", display(&path)))?;
                let name = child
                    .properties()
                    .display_name()
                    .map_err(|e| format!("a folder of {}: {e}", display(&path)))?;
                let mut child_path = path.clone();
                child_path.push(name);
                children.push((child_path, child));
            }
        }
        if !path.is_empty() {
            found.push((path, folder));
        }
        stack.extend(children.into_iter().rev());
    }
    Ok(found)
}

/// The number of messages in each folder of the PST at `path`. A folder whose stored count
/// (PidTagContentCount) differs from its contents table is an error.
pub fn folder_counts(path: &Path) -> Result<FolderCounts, String> {
    PstMessages::list(path).map(|listed| listed.counts())
}

fn text(value: Option<&PropertyValue>) -> Option<String> {
    match value? {
        PropertyValue::Unicode(s) => {
            let units = s.buffer();
            let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
            Some(String::from_utf16_lossy(units.get(..end).unwrap_or(units)))
        }
        PropertyValue::String8(s) => Some(s.buffer().iter().map(|&b| char::from(b)).collect()),
        _ => None,
    }
}

/// PidTagSubject may start with 0x01 and the length of its prefix ("RE: ").
pub(super) fn strip_subject_marker(subject: String) -> String {
    let mut chars = subject.chars();
    if chars.next() == Some('\u{1}') {
        chars.next();
        chars.collect()
    } else {
        subject
    }
}

fn filetime_seconds(value: Option<&PropertyValue>) -> Option<i64> {
    match value? {
        PropertyValue::Time(ticks) => u64::try_from(*ticks)
            .ok()
            .map(|t| pst::FileTime(t).to_unix()),
        _ => None,
    }
}

/// The facts of every message of a PST file, per folder (by its path of names), and why any
/// message could not be read.
pub(super) fn pst_facts(path: &Path) -> Result<PstFacts, String> {
    let listed = PstMessages::list(path)?;
    let mut out = PstFacts::with_capacity(listed.folders.len());
    for (folder, nodes) in &listed.folders {
        let mut facts = Vec::with_capacity(nodes.len());
        let mut errors = Vec::new();
        listed.each_facts(nodes, |node, result| {
            match result {
                Ok(one) => facts.push(one),
                Err(error) => errors.push(unreadable_message(node, &error)),
            }
            Ok(())
        })?;
        out.push((folder.clone(), facts, errors));
    }
    Ok(out)
}

/// Why the PST message `node` is not compared.
pub(super) fn unreadable_message(node: u32, error: &str) -> String {
    format!("PST message {node:#x} cannot be read: {error}")
}

/// The messages of a PST file, folder by folder in table order, whose facts are read a window
/// at a time: reading back is most of the work of checking a large PST, and the facts of every
/// message at once would make the check's memory grow with the mailbox.
#[derive(Debug)]
pub(crate) struct PstMessages {
    path: std::path::PathBuf,
    /// Each folder's path of names and its messages' nodes.
    folders: Vec<(Vec<String>, Vec<u32>)>,
    threads: usize,
    /// How far past the first message the calling thread has not taken a reading thread may
    /// start ([`MESSAGES_AHEAD`]).
    read_ahead: usize,
}

impl PstMessages {
    /// Lists the folders and messages of the PST at `path`. A folder whose stored count
    /// (PidTagContentCount) differs from its contents table is an error: readers that trust
    /// either would show different mail.
    pub(crate) fn list(path: &Path) -> Result<PstMessages, String> {
        let (pst, store) = open_file_and_store(path)?;
        let mut folders = Vec::new();
        for (folder_path, folder) in folders_of(&store)? {
            // A large folder's table a block at a time; a small one (or one stored otherwise)
            // as outlook-pst reads it.
            let contents = NodeId::new(
                NodeIdType::ContentsTable,
                folder.properties().node_id().index(),
            );
            let listed = contents
                .ok()
                .and_then(|table| streamed::table_row_ids(&pst, table));
            let nodes: Vec<u32> = listed.unwrap_or_else(|| {
                folder.contents_table().map_or_else(Vec::new, |table| {
                    table.rows_matrix().map(|row| u32::from(row.id())).collect()
                })
            });
            let stored = match folder.properties().get(tag::CONTENT_COUNT) {
                Some(PropertyValue::Integer32(n)) => u64::try_from(*n).ok(),
                _ => None,
            };
            if stored.is_some_and(|stored| stored != nodes.len() as u64) {
                return Err(format!(
                    "folder {} says it holds {} messages, but its table lists {}",
                    display(&folder_path),
                    stored.unwrap_or(0),
                    nodes.len()
                ));
            }
            folders.push((folder_path, nodes));
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        Ok(PstMessages {
            path: path.to_path_buf(),
            folders,
            threads,
            read_ahead: MESSAGES_AHEAD,
        })
    }

    /// The number of messages in each folder.
    pub(crate) fn counts(&self) -> FolderCounts {
        self.folders
            .iter()
            .map(|(path, nodes)| (path.clone(), nodes.len() as u64))
            .collect()
    }

    /// The messages of the folder `path`; none when the PST has no such folder.
    pub(super) fn of_folder(&self, path: &[String]) -> &[u32] {
        self.folders
            .iter()
            .find(|(folder, _)| folder.as_slice() == path)
            .map_or(&[], |(_, nodes)| nodes.as_slice())
    }

    /// Gives `each` the facts of the messages `nodes`, in their order, on the calling thread,
    /// as several threads read them: the calling thread compares a message while the others
    /// read the next ones. Each thread opens the file on its own (outlook-pst's store is not
    /// shared between threads, and keeps every B-tree page it reads: a store opened anew after
    /// [`MESSAGES_PER_OPEN`] messages keeps that memory from growing with the file). The
    /// threads take [`MESSAGES_PER_TAKE`] messages at a time until none are left, so that one
    /// that meets large attachments does not keep the others waiting; only a thread that gets
    /// [`MESSAGES_AHEAD`] messages past the first one not compared yet waits for it. Stops at
    /// the first error of `each` or of a reading thread.
    pub(super) fn each_facts(
        &self,
        nodes: &[u32],
        mut each: impl FnMut(u32, Result<Facts, String>) -> Result<(), String>,
    ) -> Result<(), String> {
        let threads = self
            .threads
            .min(nodes.len().div_ceil(MESSAGES_PER_THREAD))
            .max(1);
        let next = AtomicUsize::new(0);
        // How many messages `each` was given, and whether the reading stops: a thread does not
        // start reading more than `read_ahead` messages past the first not given yet, so that
        // the facts read before their turn (while another thread reads a message of large
        // attachments) stay few whatever the folder's size.
        let given_so_far = AtomicUsize::new(0);
        let stopped = AtomicBool::new(false);
        // The readers wait when the calling thread falls behind.
        let (read_tx, read_rx) =
            crossbeam_channel::bounded::<(usize, Result<Facts, String>)>(FACTS_QUEUE);
        let take = |read_tx: &Sender<(usize, Result<Facts, String>)>| -> Result<(), String> {
            let mut reader = Reopening::new(&self.path);
            loop {
                let start = next.fetch_add(MESSAGES_PER_TAKE, Ordering::Relaxed);
                if start >= nodes.len() {
                    return Ok(());
                }
                // Never all threads: the one reading the first message not taken started
                // before it (rare, and short: the wait of a few messages read elsewhere).
                while start >= given_so_far.load(Ordering::Acquire) + self.read_ahead {
                    if stopped.load(Ordering::Acquire) {
                        return Ok(());
                    }
                    thread::sleep(Duration::from_micros(200));
                }
                let end = (start + MESSAGES_PER_TAKE).min(nodes.len());
                for (index, &node) in nodes.iter().enumerate().take(end).skip(start) {
                    if read_tx.send((index, reader.facts(node)?)).is_err() {
                        // The calling thread stopped.
                        return Ok(());
                    }
                }
            }
        };
        // The pool's threads read, not new ones: on Linux each took an allocator heap of its
        // own when the job began, and threads started now can be given one heap between them,
        // whose lock they then wait for at every allocation (tens of thousands of waits).
        let read_all = |read_tx: Sender<(usize, Result<Facts, String>)>| {
            (0..threads)
                .into_par_iter()
                .map(|_| {
                    let read =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| take(&read_tx)))
                            .unwrap_or_else(|_| Err("a reading thread failed".to_owned()));
                    if read.is_err() {
                        // What it had taken never comes: the others must not wait for it.
                        stopped.store(true, Ordering::Release);
                    }
                    read
                })
                .collect::<Result<(), String>>()
        };
        let read_all = &read_all;
        thread::scope(|scope| {
            // A thread that only waits for the pool, while this one compares.
            let waiting_tx = read_tx.clone();
            let Ok(reading) = thread::Builder::new()
                .name("read-back".to_owned())
                .spawn_scoped(scope, move || read_all(waiting_tx))
            else {
                // A thread the system would not give: read here, one message after another.
                let mut reader = Reopening::new(&self.path);
                for &node in nodes {
                    each(node, reader.facts(node)?)?;
                }
                return Ok(());
            };
            drop(read_tx);
            // Facts read before their turn.
            let mut waiting: BTreeMap<usize, Result<Facts, String>> = BTreeMap::new();
            let mut given = 0;
            // However this thread leaves (an error, a panic of `each`), the readers stop.
            let stop_readers = Raise(&stopped);
            let mut in_order = || -> Result<(), String> {
                for (index, read) in &read_rx {
                    waiting.insert(index, read);
                    while let Some(read) = waiting.remove(&given) {
                        each(nodes[given], read)?;
                        given += 1;
                        given_so_far.store(given, Ordering::Release);
                    }
                }
                Ok(())
            };
            let compared = in_order();
            // The readers stop at their next message once the receiver is gone.
            drop(stop_readers);
            drop(read_rx);
            let read = reading
                .join()
                .unwrap_or_else(|_| Err("a reading thread failed".to_owned()));
            compared?;
            read?;
            for &node in &nodes[given..] {
                each(node, Err("it was not read".to_owned()))?;
            }
            Ok(())
        })
    }
}

/// Messages a reading thread reads with one opened store.
const MESSAGES_PER_OPEN: usize = 2048;

/// Messages a reading thread takes at a time.
const MESSAGES_PER_TAKE: usize = 16;

/// Facts read and not yet taken by the calling thread.
const FACTS_QUEUE: usize = 256;

/// How far past the first message the calling thread has not taken a reading thread may start.
const MESSAGES_AHEAD: usize = 2048;

/// Messages worth a thread of their own: a small folder is read on one.
const MESSAGES_PER_THREAD: usize = 64;

/// Per folder of a PST: its path, the facts of its messages, why any could not be read.
type PstFacts = Vec<(Vec<String>, Vec<Facts>, Vec<String>)>;

/// Attachments of this size or more, by the attachment table, are read a block at a time
/// (see `streamed`).
const STREAMED_FROM: i32 = 1024 * 1024;

/// Raises its flag when dropped.
struct Raise<'a>(&'a AtomicBool);

impl Drop for Raise<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Reads messages of a PST with a store opened on its own, opened anew after
/// [`MESSAGES_PER_OPEN`] messages: outlook-pst keeps every B-tree page it reads.
struct Reopening<'a> {
    path: &'a Path,
    opened: Option<(Rc<UnicodePstFile>, Rc<UnicodeStore>)>,
    read_since_open: usize,
}

impl<'a> Reopening<'a> {
    fn new(path: &'a Path) -> Reopening<'a> {
        Reopening {
            path,
            opened: None,
            read_since_open: 0,
        }
    }

    /// The facts of the message `node`; an error when the file cannot be opened.
    fn facts(&mut self, node: u32) -> Result<Result<Facts, String>, String> {
        if self.read_since_open >= MESSAGES_PER_OPEN {
            self.opened = None;
        }
        let (pst, store) = match &self.opened {
            Some(opened) => opened,
            None => {
                self.read_since_open = 0;
                self.opened.insert(open_file_and_store(self.path)?)
            }
        };
        self.read_since_open += 1;
        Ok(message_facts(pst, store, NodeId::from(node)))
    }
}

fn message_facts(
    pst: &UnicodePstFile,
    store: &Rc<UnicodeStore>,
    node: NodeId,
) -> Result<Facts, String> {
    let entry_id = store
        .properties()
        .make_entry_id(node)
        .map_err(|e| e.to_string())?;
    let message = UnicodeMessage::read(store.clone(), &entry_id, Some(&MESSAGE_PROPERTIES[..]))
        .map_err(|e| e.to_string())?;
    let props = message.properties();
    let mut attachments = Vec::new();
    if let Some(table) = message.attachment_table() {
        for row in table.rows_matrix() {
            let attachment = NodeId::from(u32::from(row.id()));
            if let Ok(Some(PropertyValue::Integer32(size))) =
                row_value(table.as_ref(), row, tag::ATTACH_SIZE)
                && size >= STREAMED_FROM
                && let Some(facts) = streamed::file_attachment_facts(pst, node, attachment)
            {
                attachments.push(facts);
                continue;
            }
            attachments.push(attachment_facts(&message, table.as_ref(), row)?);
        }
    }
    attachments.sort();
    let email = text(props.get(tag::SENT_REPRESENTING_SMTP))
        .or_else(|| text(props.get(tag::SENT_REPRESENTING_EMAIL)));
    let html = match props.get(tag::HTML) {
        Some(PropertyValue::Binary(html)) => {
            reading::text_digest(&String::from_utf8_lossy(html.buffer()))
        }
        _ => None,
    };
    Ok(Facts {
        subject: text(props.get(tag::SUBJECT))
            .map(strip_subject_marker)
            .map(|s| reading::collapse_white_space(&s))
            .filter(|s| !s.is_empty()),
        sender: sender_text(
            text(props.get(tag::SENT_REPRESENTING_NAME)).as_deref(),
            email.as_deref(),
        ),
        date: filetime_seconds(props.get(tag::CLIENT_SUBMIT_TIME)),
        message_id: text(props.get(tag::INTERNET_MESSAGE_ID)),
        body: text(props.get(tag::BODY))
            .as_deref()
            .and_then(reading::text_digest),
        html,
        attachments,
    })
}

/// The facts of the attachment in the row `row` of `message`'s attachment table, as
/// outlook-pst reads it (whole).
fn attachment_facts(
    message: &Rc<UnicodeMessage>,
    table: &dyn TableContext,
    row: &TableRowData,
) -> Result<AttachmentFacts, String> {
    let node = NodeId::from(u32::from(row.id()));
    // The filter applies to an attached message's own properties: of those, only its
    // presence is compared.
    let attachment = match UnicodeAttachment::read(message.clone(), node, Some(&[][..])) {
        Ok(attachment) => attachment,
        Err(error) => return unreadable_attachment(table, row, &error),
    };
    let aprops = attachment.properties();
    let name = text(aprops.get(tag::ATTACH_LONG_FILENAME))
        .or_else(|| text(aprops.get(tag::ATTACH_FILENAME)))
        .or_else(|| text(aprops.get(tag::DISPLAY_NAME)));
    Ok(match attachment.data() {
        Some(AttachmentData::Binary(data)) => AttachmentFacts {
            embedded: false,
            size: data.buffer().len() as u64,
            hash: content_hash(data.buffer()),
            name,
            name_unknown: false,
        },
        Some(AttachmentData::Message(_)) => AttachmentFacts {
            embedded: true,
            name,
            ..AttachmentFacts::default()
        },
        None => AttachmentFacts {
            name,
            hash: content_hash(b""),
            ..AttachmentFacts::default()
        },
    })
}

/// PidTagAttachMethod's values for a file and for an attached message (MS-OXCMSG 2.2.2.9).
pub(super) const ATTACH_BY_VALUE: i32 = 1;

const ATTACH_EMBEDDED_MSG: i32 = 5;

/// An attachment outlook-pst cannot open. Its PC reader (1.2.0) does not know the property type
/// PtypObject (0x000D) that PidTagAttachDataObject of every attached message has, as Outlook
/// writes it, and loses the attachment's later properties; and it reads the empty value of an
/// empty file (HNID 0, MS-PST 2.3.3.3) as PtypNull instead of an empty binary. The attachment
/// table's row still says what the attachment is: an attached message, or an empty file, is
/// taken from it, without its name (the row has only the 8.3 name); anything else is an error.
pub(super) fn unreadable_attachment(
    table: &dyn TableContext,
    row: &TableRowData,
    error: &std::io::Error,
) -> Result<AttachmentFacts, String> {
    let method = row_value(table, row, tag::ATTACH_METHOD)?;
    let empty_data = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<MessagingError>())
        .is_some_and(|inner| {
            matches!(
                inner,
                MessagingError::InvalidMessageObjectData(PropertyType::Null)
            )
        });
    match method {
        Some(PropertyValue::Integer32(ATTACH_EMBEDDED_MSG)) => Ok(AttachmentFacts {
            embedded: true,
            name_unknown: true,
            ..AttachmentFacts::default()
        }),
        Some(PropertyValue::Integer32(ATTACH_BY_VALUE)) if empty_data => Ok(AttachmentFacts {
            hash: content_hash(b""),
            name_unknown: true,
            ..AttachmentFacts::default()
        }),
        _ => Err(format!("an attachment: {error}")),
    }
}

/// The value of the column `prop_id` in a table's row (`None` when it has none); an error when
/// the row cannot be read.
fn row_value(
    table: &dyn TableContext,
    row: &TableRowData,
    prop_id: u16,
) -> Result<Option<PropertyValue>, String> {
    let columns = row
        .columns(table.context())
        .map_err(|e| format!("an attachment table row: {e}"))?;
    Ok(table
        .context()
        .columns()
        .iter()
        .zip(&columns)
        .find(|(column, _)| column.prop_id() == prop_id)
        .and_then(|(column, value)| {
            let value = value.as_ref()?;
            table.read_column(value, column.prop_type()).ok()
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ContentHash;
    use crate::pst::{FileTime, PstWriter, WriterOptions};

    /// A writer of a new PST at `path`, its store named "Test".
    fn test_writer(path: &Path) -> PstWriter {
        let options = WriterOptions::new("Test", FileTime::from_unix(1_700_000_000).unwrap());
        PstWriter::create(path, options).unwrap()
    }

    /// A folder whose stored count (PidTagContentCount) is not the number of rows of its
    /// contents table is named in an error: one reader would show the count, another the rows.
    #[test]
    fn a_folder_whose_count_and_table_differ_is_an_error() {
        use crate::pst::Message;
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, extra: u32| {
            let path = dir.path().join(name);
            let mut writer = test_writer(&path);
            let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
            let sent = writer.add_folder(writer.top_folder(), "Sent").unwrap();
            for subject in ["one", "two"] {
                let message = Message {
                    subject: Some(subject.into()),
                    ..Message::default()
                };
                writer.add_message(inbox, &message).unwrap();
                writer.add_message(sent, &message).unwrap();
            }
            writer.overstate_count(sent, extra);
            writer.finish().unwrap();
            path
        };

        let sound = PstMessages::list(&write("sound.pst", 0)).unwrap();
        assert_eq!(sound.of_folder(&["Sent".to_owned()]).len(), 2);

        let error = PstMessages::list(&write("miscounted.pst", 1)).unwrap_err();
        assert!(
            error.contains("Sent") && error.contains("3 messages") && error.contains("lists 2"),
            "{error}"
        );
    }

    /// A contents table read a block of its row matrix at a time lists the messages
    /// outlook-pst's table reader lists, in the same order: tables of one matrix block and of
    /// many; one whose matrix is on its heap is left to outlook-pst.
    #[test]
    fn a_table_read_a_block_at_a_time_lists_what_outlook_pst_lists() {
        use crate::pst::Message;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("folders.pst");
        let mut writer = test_writer(&path);
        let sizes = [("Empty", 0), ("Few", 3), ("Some", 120), ("Many", 2_500)];
        for (name, count) in sizes {
            let folder = writer.add_folder(writer.top_folder(), name).unwrap();
            for n in 0..count {
                let message = Message {
                    subject: Some(format!("{name} {n}")),
                    ..Message::default()
                };
                writer.add_message(folder, &message).unwrap();
            }
        }
        writer.finish().unwrap();

        let (pst, store) = open_file_and_store(&path).unwrap();
        let folders = folders_of(&store).unwrap();
        let listed = PstMessages::list(&path).unwrap();
        for (name, count) in sizes {
            let (folder_path, folder) = folders
                .iter()
                .find(|(folder_path, _)| folder_path == &[name.to_owned()])
                .unwrap();
            let whole: Vec<u32> = folder.contents_table().map_or_else(Vec::new, |table| {
                table.rows_matrix().map(|row| u32::from(row.id())).collect()
            });
            assert_eq!(whole.len(), count, "{name}");
            let table = NodeId::new(
                NodeIdType::ContentsTable,
                folder.properties().node_id().index(),
            )
            .unwrap();
            let streamed = streamed::table_row_ids(&pst, table);
            if count > 0 && count < 100 {
                assert_eq!(streamed, None, "{name}: its matrix is on its heap");
            } else {
                assert_eq!(streamed.as_ref(), Some(&whole), "{name}");
            }
            assert_eq!(listed.of_folder(folder_path), whole.as_slice(), "{name}");
        }
    }

    /// The facts of a folder's messages come to the calling thread in the folder's order,
    /// each once, however many threads read them, in whatever order they finish and however
    /// far the others get ahead of the one reading the first message not taken; an error
    /// of the calling thread's stops the reading and is what comes back.
    #[test]
    fn facts_come_in_table_order_and_an_error_stops_them() {
        use crate::pst::Message;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.pst");
        let mut writer = test_writer(&path);
        let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
        let subjects: Vec<String> = (0..700).map(|n| format!("message {n:03}")).collect();
        for (n, subject) in subjects.iter().enumerate() {
            let message = Message {
                subject: Some(subject.clone()),
                // Some messages take longer to read than others.
                body_text: (n % 7 == 0).then(|| "text ".repeat(20_000)),
                ..Message::default()
            };
            writer.add_message(inbox, &message).unwrap();
        }
        writer.finish().unwrap();

        let mut listed = PstMessages::list(&path).unwrap();
        let nodes = listed.of_folder(&["Inbox".to_owned()]).to_vec();
        assert_eq!(nodes.len(), subjects.len());
        // Threads far ahead of the first message not taken wait for it (a short way here).
        for (threads, read_ahead) in [
            (1, MESSAGES_AHEAD),
            (3, MESSAGES_AHEAD),
            (8, MESSAGES_AHEAD),
            (3, 20),
        ] {
            listed.threads = threads;
            listed.read_ahead = read_ahead;
            let mut given = Vec::new();
            listed
                .each_facts(&nodes, |node, facts| {
                    given.push((node, facts.unwrap().subject.unwrap()));
                    Ok(())
                })
                .unwrap();
            let (given_nodes, given_subjects): (Vec<u32>, Vec<String>) = given.into_iter().unzip();
            assert_eq!(given_nodes, nodes, "{threads} threads");
            assert_eq!(given_subjects, subjects, "{threads} threads");

            let mut seen = 0;
            let stopped = listed.each_facts(&nodes, |_, _| {
                seen += 1;
                if seen == 100 {
                    Err("the spill could not be read".to_owned())
                } else {
                    Ok(())
                }
            });
            assert_eq!(stopped, Err("the spill could not be read".to_owned()));
            assert_eq!(seen, 100, "{threads} threads");
        }

        // A comparison that panics, with readers held back: they stop, and the panic comes
        // out (rather than a wait for readers that wait for it).
        listed.threads = 3;
        listed.read_ahead = 20;
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut seen = 0;
                listed.each_facts(&nodes, |_, _| {
                    seen += 1;
                    assert!(seen < 50, "a comparison that fails");
                    Ok(())
                })
            }));
            done_tx.send(outcome.is_err()).unwrap();
        });
        let panicked = done_rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the reading threads kept waiting");
        assert!(panicked);
    }

    /// Large attachments read a block at a time have the facts outlook-pst gives when it reads
    /// them whole; what the streamed reading does not handle (an attached message) is left to
    /// outlook-pst.
    #[test]
    fn a_large_attachment_read_a_block_at_a_time_has_the_facts_of_a_whole_reading() {
        use crate::pst::{Attachment, AttachmentContent, Message};
        let file = |name: &str, data: Vec<u8>| Attachment {
            filename: Some(name.into()),
            mime_type: Some("application/octet-stream".into()),
            content_id: None,
            content_location: None,
            hidden: false,
            content: AttachmentContent::Data(data),
        };
        // Data that does not repeat within a block, of sizes around a data tree's limits: one
        // block, one XBLOCK, an XXBLOCK (more than 1,021 blocks of 8,176 bytes).
        let noise = |len: usize, seed: u32| -> Vec<u8> {
            let mut state = seed;
            (0..len)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (state >> 16) as u8
                })
                .collect()
        };
        let sizes = [3_000, 8_176, 1_500_000, 9_000_000];
        let mut message = Message {
            subject: Some("Large files".into()),
            ..Message::default()
        };
        for (i, &size) in sizes.iter().enumerate() {
            let name = if i == 1 {
                "Überweisung — 2024 年.bin".to_owned()
            } else {
                format!("file{i}.bin")
            };
            message.attachments.push(file(&name, noise(size, i as u32)));
        }
        message.attachments.push(Attachment {
            filename: Some("Forwarded.eml".into()),
            mime_type: Some("message/rfc822".into()),
            content_id: None,
            content_location: None,
            hidden: false,
            content: AttachmentContent::Message(Box::new(Message {
                subject: Some("inner".into()),
                ..Message::default()
            })),
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.pst");
        let mut writer = test_writer(&path);
        let folder = writer.add_folder(writer.top_folder(), "Files").unwrap();
        writer.add_message(folder, &message).unwrap();
        writer.finish().unwrap();

        let listed = PstMessages::list(&path).unwrap();
        let nodes = listed.of_folder(&["Files".to_owned()]);
        assert_eq!(nodes.len(), 1);
        let (pst, store) = open_file_and_store(&path).unwrap();
        let node = NodeId::from(nodes[0]);
        let entry_id = store.properties().make_entry_id(node).unwrap();
        let read = UnicodeMessage::read(store.clone(), &entry_id, Some(&[][..])).unwrap();
        let table = read.attachment_table().unwrap();
        let mut streamed_files = 0;
        for row in table.rows_matrix() {
            let whole = attachment_facts(&read, table.as_ref(), row).unwrap();
            let attachment = NodeId::from(u32::from(row.id()));
            match streamed::file_attachment_facts(&pst, node, attachment) {
                Some(streamed) => {
                    assert_eq!(streamed, whole);
                    streamed_files += 1;
                }
                None => assert!(
                    whole.embedded,
                    "only the attached message is left: {whole:?}"
                ),
            }
        }
        assert_eq!(streamed_files, sizes.len());
        // And what the read-back finds is the source's data.
        let facts = message_facts(&pst, &store, node).unwrap();
        let mut expected: Vec<(u64, ContentHash)> = sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let data = noise(size, i as u32);
                (size as u64, content_hash(&data))
            })
            .collect();
        expected.push((0, [0; 16]));
        expected.sort();
        let mut found: Vec<(u64, ContentHash)> = facts
            .attachments
            .iter()
            .map(|a| (a.size, if a.embedded { [0; 16] } else { a.hash }))
            .collect();
        found.sort();
        assert_eq!(found, expected);
        assert!(
            facts
                .attachments
                .iter()
                .any(|a| a.name.as_deref() == Some("Überweisung — 2024 年.bin"))
        );
    }

    #[test]
    fn the_positioned_reader_reads_what_the_file_holds_wherever_it_seeks() {
        use std::io::Write as _;
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        let mut reader = PositionedReader::new(file);
        for (at, len) in [
            (0, 10),
            (5, 100_000),
            (70_000, 8),
            (69_999, 3),
            (199_990, 10),
        ] {
            reader.seek(SeekFrom::Start(at as u64)).unwrap();
            let mut out = vec![0; len];
            reader.read_exact(&mut out).unwrap();
            assert_eq!(out, bytes[at..at + len], "at {at}");
        }
        assert_eq!(reader.seek(SeekFrom::End(-4)).unwrap(), 199_996);
        assert_eq!(reader.seek(SeekFrom::Current(2)).unwrap(), 199_998);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, bytes[199_998..]);
        assert!(reader.seek(SeekFrom::Current(-300_000)).is_err());
    }
}
