//! The messages of one folder. The `.msf` summary, when it can be trusted, is the truth about
//! which stored messages are live and what state and tags they have: a message in the mbox with
//! no row in the summary was deleted in Thunderbird and only waits for a compaction. Without a
//! trustworthy summary the `X-Mozilla-*` headers decide, and every message they do not mark as
//! deleted is kept — a stale index never drops mail.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use super::prefs::Prefs;
use super::status::{self, MozillaStatus};
use super::summary::{MessageRecord, Summary};
use crate::model::{FolderPath, Found, Origin, RawMessage, SkipReason};
use crate::sources::imap::{Fetched, GapSource, Wanted};
use crate::sources::mbox::{MboxEntry, MboxReader};
use crate::sources::{Error, Result};

/// How much older than its mbox a summary may be and still count as current: copies of a
/// profile may write the summary a moment before the mailbox.
const SUMMARY_MTIME_LEEWAY: Duration = Duration::from_secs(2);

/// Messages asked of the server per command when filling an IMAP folder's gaps: at most this
/// many, and no more once their sizes (as the summary records them) reach `FETCH_BATCH_BYTES`.
const FETCH_BATCH: usize = 20;
const FETCH_BATCH_BYTES: u64 = 8 * 1024 * 1024;

/// What a reader needs besides the folder's files.
#[derive(Clone, Debug)]
pub struct ReadContext {
    pub folder: FolderPath,
    /// Tag key (lower case) → display name.
    pub tags: BTreeMap<String, String>,
    /// The name of the client, for skip reasons ("Thunderbird", "Postbox").
    pub client: String,
    /// Messages of the folder are drafts (the account's Drafts folder).
    pub drafts: bool,
    /// The folder is an IMAP offline store: summary rows without a stored copy are messages
    /// that stay on the server, and message keys are UIDs, not offsets.
    pub imap: bool,
    /// Where the messages an IMAP folder lacks are fetched from, when asked for.
    pub gaps: Option<GapSource>,
}

impl ReadContext {
    /// Tag display names for tag keys, in order, without repeats; keys that are not tags
    /// (`junk`, `$forwarded`, …) are left out, as Thunderbird shows them.
    fn tag_names<'a>(&self, keys: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for key in keys {
            if let Some(name) = self.tags.get(&key.to_lowercase())
                && !names.contains(name)
            {
                names.push(name.clone());
            }
        }
        names
    }

    /// A message with its state from Thunderbird's flag bits and tag keys.
    fn message(&self, bytes: Vec<u8>, origin: Origin, flags: u32, keys: &[String]) -> RawMessage {
        let mut message = RawMessage::new(self.folder.clone(), bytes, origin);
        self.mark(&mut message, flags, keys);
        message
    }

    /// Gives a message the state of Thunderbird's flag bits and tag keys.
    fn mark(&self, message: &mut RawMessage, flags: u32, keys: &[String]) {
        message.flags = status::message_flags(flags);
        message.flags.draft = self.drafts;
        let mut keys = keys.to_vec();
        if let Some(label) = status::legacy_label(flags) {
            keys.push(label);
        }
        message.keywords = self.tag_names(&keys);
        if flags & status::PARTIAL != 0 {
            message.warnings.push(
                "only the start of this message was downloaded from the POP server; the rest \
                 stayed on the server"
                    .to_owned(),
            );
        }
    }

    fn deleted(&self, origin: Origin) -> Found {
        Found::Skipped {
            origin,
            reason: SkipReason::DeletedInSource(self.client.clone()),
        }
    }
}

/// A large message whose file could not be opened again.
fn unreadable_again(origin: Origin, error: &std::io::Error) -> Found {
    Found::Skipped {
        origin,
        reason: SkipReason::Unreadable(format!("cannot read the message again: {error}")),
    }
}

/// Tag names Thunderbird gives tag keys when no profile renames them (`$label1` "Important"
/// … `$label5` "Later").
static DEFAULT_TAGS: LazyLock<BTreeMap<String, String>> =
    LazyLock::new(|| Prefs::default().tag_names());

/// A message Thunderbird stored or exported, read outside its profile (a loose mbox or `.eml`
/// file), with the state its `X-Mozilla-Status` bits (`flags`) and `X-Mozilla-Keys` (`keys`)
/// give, read as the profile reader reads them: a copy Thunderbird had deleted is skipped as
/// deleted in Thunderbird; tags become categories where their names are known without the
/// profile (Thunderbird's five default tags; custom tags are named only in the profile's
/// `prefs.js`). The message keeps its received time and warnings.
pub fn loose_message(raw: RawMessage, flags: u32, keys: &[String]) -> Found {
    let context = ReadContext {
        folder: raw.folder.clone(),
        tags: DEFAULT_TAGS.clone(),
        client: "Thunderbird".to_owned(),
        drafts: false,
        imap: false,
        gaps: None,
    };
    if status::is_deleted(flags) {
        return context.deleted(raw.origin);
    }
    let RawMessage {
        bytes,
        large,
        origin,
        received,
        warnings,
        ..
    } = raw;
    let mut message = context.message(bytes, origin, flags, keys);
    message.large = large;
    message.received = received;
    message.warnings.splice(0..0, warnings);
    Found::Message(message)
}

/// Whether a folder's summary is used, and why not.
#[derive(Debug)]
pub enum SummaryUse {
    Trusted(Summary),
    /// The summary is missing, stale or unreadable: the reason, for the folder's notes.
    Fallback(String),
}

impl SummaryUse {
    /// The note a folder gets when its summary is not used.
    pub fn note(&self, summary_path: &Path) -> Option<String> {
        match self {
            SummaryUse::Trusted(_) => None,
            SummaryUse::Fallback(why) => Some(format!(
                "{} {why}: read, starred and tags come from the X-Mozilla headers of the \
                 messages, and every message they do not mark as deleted is kept",
                file_name(summary_path)
            )),
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn modified(meta: &fs::Metadata) -> Option<SystemTime> {
    meta.modified().ok()
}

/// Decides whether the summary of an mbox folder can be trusted: it must be readable, at least
/// as new as the mbox, and (for local folders, as Thunderbird itself checks) made for a mailbox
/// of the size the file has now.
pub fn mbox_summary(mbox: &Path, summary_path: &Path, imap: bool) -> SummaryUse {
    let summary_meta = match fs::metadata(summary_path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return SummaryUse::Fallback("is missing".to_owned());
        }
        Err(error) => return SummaryUse::Fallback(format!("cannot be read ({error})")),
    };
    let mbox_meta = fs::metadata(mbox).ok();
    if let (Some(summary_time), Some(mbox_time)) = (
        modified(&summary_meta),
        mbox_meta.as_ref().and_then(modified),
    ) && summary_time + SUMMARY_MTIME_LEEWAY < mbox_time
    {
        return SummaryUse::Fallback("is older than the mailbox file".to_owned());
    }
    let summary = match Summary::read(summary_path) {
        Ok(summary) => summary,
        Err(error) => return SummaryUse::Fallback(format!("cannot be read ({error})")),
    };
    if !imap
        && let (Some(recorded), Some(meta)) = (summary.folder.folder_size, &mbox_meta)
        && recorded != meta.len()
    {
        return SummaryUse::Fallback(format!(
            "was made for a mailbox of {recorded} bytes, the file has {} bytes",
            meta.len()
        ));
    }
    SummaryUse::Trusted(summary)
}

/// Reads the summary of a maildir folder. Files are the truth about which messages exist
/// (Thunderbird deletes the file), so the summary only annotates and needs no date check.
pub fn maildir_summary(summary_path: &Path) -> SummaryUse {
    match Summary::read(summary_path) {
        Ok(summary) => SummaryUse::Trusted(summary),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            SummaryUse::Fallback("is missing".to_owned())
        }
        Err(error) => SummaryUse::Fallback(format!("cannot be read ({error})")),
    }
}

/// The messages of an mbox folder, streaming.
pub struct MboxMessages {
    context: ReadContext,
    path: PathBuf,
    summary_path: PathBuf,
    reader: Option<MboxReader<File>>,
    /// Live rows by offset, when the summary is trusted.
    live: Option<HashMap<u64, MessageRecord>>,
    /// Rows of an IMAP summary with no stored copy, reported at the end.
    remote: std::vec::IntoIter<MessageRecord>,
    /// Those rows' items, fetched a batch at a time, not yet given.
    ready: VecDeque<Found>,
    /// The folder's name on the IMAP server and its UIDVALIDITY, as the summary records them.
    online_name: Option<String>,
    uid_validity: Option<u32>,
    failed: bool,
}

impl std::fmt::Debug for MboxMessages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MboxMessages")
            .field("path", &self.path)
            .field("trusted_summary", &self.live.is_some())
            .finish_non_exhaustive()
    }
}

impl MboxMessages {
    /// Opens an mbox folder (the file may be missing: a folder that only has subfolders, or an
    /// IMAP folder with nothing stored offline).
    pub fn open(path: &Path, summary_path: &Path, context: ReadContext) -> Result<MboxMessages> {
        let reader = match File::open(path) {
            Ok(file) => Some(MboxReader::new(file)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(Error::io(path, error)),
        };
        let summary = mbox_summary(path, summary_path, context.imap);
        let (online_name, uid_validity) = match &summary {
            SummaryUse::Trusted(summary) => (
                summary.folder.online_name.clone(),
                summary.folder.uid_validity,
            ),
            SummaryUse::Fallback(_) => (None, None),
        };
        let (live, remote) = match summary {
            SummaryUse::Trusted(summary) => {
                let mut live = HashMap::new();
                let mut remote = Vec::new();
                for record in summary.messages {
                    match record.mbox_offset(!context.imap) {
                        Some(offset) if reader.is_some() => {
                            live.insert(offset, record);
                        }
                        _ if context.imap => remote.push(record),
                        _ => {}
                    }
                }
                (Some(live), remote)
            }
            SummaryUse::Fallback(_) => (None, Vec::new()),
        };
        Ok(MboxMessages {
            context,
            path: path.to_path_buf(),
            summary_path: summary_path.to_path_buf(),
            reader,
            live,
            remote: remote.into_iter(),
            ready: VecDeque::new(),
            online_name,
            uid_validity,
            failed: false,
        })
    }

    fn found(&mut self, entry: MboxEntry) -> Found {
        let origin = Origin::FileOffset {
            path: self.path.clone(),
            offset: entry.offset,
        };
        // A large message stays in the file; its header is read for the X-Mozilla fields.
        let span = match entry.span_in(&self.path) {
            Ok(span) => span,
            Err(error) => return unreadable_again(origin, &error),
        };
        let mut found = match &mut self.live {
            Some(live) => match live.remove(&entry.offset) {
                Some(record) if status::is_deleted(record.flags) => self.context.deleted(origin),
                Some(record) => {
                    let mut message =
                        self.context
                            .message(entry.bytes, origin, record.flags, &record.keywords);
                    message.received = record.date_received.or(entry.received);
                    Found::Message(message)
                }
                None => self.context.deleted(origin),
            },
            None => {
                let status = match entry.header_bytes(span.as_ref()) {
                    Ok(head) => MozillaStatus::from_headers(&head),
                    Err(error) => return unreadable_again(origin, &error),
                };
                if status.is_deleted() {
                    return self.context.deleted(origin);
                }
                let mut message = self.context.message(
                    entry.bytes,
                    origin,
                    status.flags.unwrap_or(0),
                    &status.keys,
                );
                message.received = entry.received;
                Found::Message(message)
            }
        };
        if let Found::Message(message) = &mut found {
            message.large = span;
        }
        found
    }

    /// After the file: IMAP rows whose message was never stored offline.
    fn next_remote(&mut self) -> Option<Found> {
        if let Some(live) = &mut self.live
            && self.context.imap
            && !live.is_empty()
        {
            let mut rest: Vec<MessageRecord> = live.drain().map(|(_, record)| record).collect();
            rest.extend(self.remote.by_ref());
            rest.sort_by_key(|record| record.key);
            self.remote = rest.into_iter();
        }
        if let Some(found) = self.ready.pop_front() {
            return Some(found);
        }
        let first = self.remote.next()?;
        let mut bytes = first.size.unwrap_or(0);
        let mut batch = vec![first];
        if matches!(self.context.gaps, Some(GapSource::Server(_))) {
            while batch.len() < FETCH_BATCH && bytes < FETCH_BATCH_BYTES {
                let Some(record) = self.remote.next() else {
                    break;
                };
                bytes += record.size.unwrap_or(0);
                batch.push(record);
            }
        }
        let found = self.remote_items(batch);
        self.ready.extend(found);
        self.ready.pop_front()
    }

    /// The items of rows without a stored copy: deleted ones as deleted, the others fetched
    /// from the server when asked for, else skipped as not downloaded.
    fn remote_items(&self, records: Vec<MessageRecord>) -> Vec<Found> {
        let live = |record: &&MessageRecord| !status::is_deleted(record.flags);
        let mut fetched = match &self.context.gaps {
            Some(GapSource::Server(server)) => {
                let wanted: Vec<Wanted> = records
                    .iter()
                    .filter(live)
                    .map(|record| Wanted {
                        uid: u32::try_from(record.key).ok(),
                        message_id: record.message_id.clone(),
                    })
                    .collect();
                match &self.online_name {
                    Some(mailbox) => {
                        server.fetch(&self.context.folder, mailbox, self.uid_validity, &wanted)
                    }
                    None => wanted
                        .iter()
                        .map(|_| {
                            Fetched::Missing(format!(
                                "{} does not record the folder's name on the server",
                                file_name(&self.summary_path)
                            ))
                        })
                        .collect(),
                }
            }
            _ => Vec::new(),
        }
        .into_iter();
        records
            .into_iter()
            .map(|record| {
                let origin = Origin::DatabaseRow {
                    database: self.summary_path.clone(),
                    row: i64::try_from(record.key).unwrap_or(i64::MAX),
                };
                if status::is_deleted(record.flags) {
                    return self.context.deleted(origin);
                }
                let reason = match &self.context.gaps {
                    None => SkipReason::NotDownloaded,
                    Some(GapSource::Unavailable(why)) => SkipReason::NotFetched(why.clone()),
                    Some(GapSource::Server(_)) => match fetched.next() {
                        Some(Fetched::Message(mut message)) => {
                            self.context
                                .mark(&mut message, record.flags, &record.keywords);
                            message.received = record.date_received.or(message.received);
                            return Found::Message(message);
                        }
                        Some(Fetched::Missing(why)) => SkipReason::NotFetched(why),
                        None => SkipReason::NotDownloaded,
                    },
                };
                Found::Skipped { origin, reason }
            })
            .collect()
    }
}

impl Iterator for MboxMessages {
    type Item = Result<Found>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if let Some(reader) = &mut self.reader {
            match reader.next() {
                Some(Ok(entry)) => return Some(Ok(self.found(entry))),
                Some(Err(error)) => {
                    self.failed = true;
                    return Some(Err(Error::io(&self.path, error)));
                }
                None => self.reader = None,
            }
        }
        self.next_remote().map(Ok)
    }
}

/// The message files of a maildir folder: `cur/`, then `new/` (Thunderbird makes no `new/`,
/// other tools may), each in file-name order; `tmp/` holds unfinished writes and is skipped.
pub fn maildir_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for sub in ["cur", "new"] {
        let entries = match fs::read_dir(dir.join(sub)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        let mut names: Vec<PathBuf> = entries
            .flatten()
            .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
            .filter(|entry| entry.file_type().is_ok_and(|kind| !kind.is_dir()))
            .map(|entry| entry.path())
            .collect();
        names.sort();
        files.extend(names);
    }
    Ok(files)
}

/// The time at the start of a maildir file name (`<seconds>.M…`): when it was delivered.
fn maildir_time(name: &str) -> Option<i64> {
    let digits: &str = name.split('.').next()?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The messages of a maildir folder, one file each.
#[derive(Debug)]
pub struct MaildirMessages {
    context: ReadContext,
    files: std::vec::IntoIter<PathBuf>,
    /// Rows by file name, when the summary could be read.
    rows: Option<HashMap<String, MessageRecord>>,
}

impl MaildirMessages {
    pub fn open(dir: &Path, summary_path: &Path, context: ReadContext) -> Result<MaildirMessages> {
        let files = maildir_files(dir).map_err(|error| Error::io(dir, error))?;
        let rows = match maildir_summary(summary_path) {
            SummaryUse::Trusted(summary) => Some(
                summary
                    .messages
                    .into_iter()
                    .filter_map(|record| Some((record.store_token.clone()?, record)))
                    .collect(),
            ),
            SummaryUse::Fallback(_) => None,
        };
        Ok(MaildirMessages {
            context,
            files: files.into_iter(),
            rows,
        })
    }

    fn found(&self, path: PathBuf) -> Found {
        let name = file_name(&path);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                return Found::Skipped {
                    origin: Origin::File { path },
                    reason: SkipReason::Unreadable(format!("cannot read the file: {error}")),
                };
            }
        };
        let origin = Origin::File { path };
        let record = self.rows.as_ref().and_then(|rows| rows.get(&name));
        let mut message = match record {
            Some(record) if status::is_deleted(record.flags) => {
                return self.context.deleted(origin);
            }
            Some(record) => {
                let mut message =
                    self.context
                        .message(bytes, origin, record.flags, &record.keywords);
                message.received = record.date_received;
                message
            }
            None => {
                let status = MozillaStatus::from_headers(&bytes);
                if status.is_deleted() {
                    return self.context.deleted(origin);
                }
                self.context
                    .message(bytes, origin, status.flags.unwrap_or(0), &status.keys)
            }
        };
        if message.received.is_none() {
            message.received = maildir_time(&name);
        }
        Found::Message(message)
    }
}

impl Iterator for MaildirMessages {
    type Item = Result<Found>;

    fn next(&mut self) -> Option<Self::Item> {
        let path = self.files.next()?;
        Some(Ok(self.found(path)))
    }
}

/// What a folder holds, counted without copying messages: how many items its reader will
/// yield, and what the user should know about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderCount {
    pub count: u64,
    pub notes: Vec<String>,
    /// Messages of an IMAP folder listed without a stored copy (not deleted ones): they are
    /// on the server only.
    pub not_downloaded: u64,
}

/// Counts an mbox folder the way [`MboxMessages`] reads it.
pub fn count_mbox(path: &Path, summary_path: &Path, imap: bool) -> FolderCount {
    let mut counted = FolderCount::default();
    let mut offsets = std::collections::HashSet::new();
    match File::open(path) {
        Ok(file) => {
            let mut reader = MboxReader::new(file);
            while let Some(entry) = reader.skip_message() {
                match entry {
                    Ok(offset) => {
                        offsets.insert(offset);
                    }
                    Err(error) => {
                        counted.notes.push(format!(
                            "{}: reading stopped after {} messages: {error}",
                            file_name(path),
                            offsets.len()
                        ));
                        break;
                    }
                }
            }
            if let Some(garbage) = reader.leading_garbage() {
                counted.notes.push(format!(
                    "{}: {garbage}; that text is not a message and is left out",
                    file_name(path)
                ));
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            counted
                .notes
                .push(format!("{}: cannot be read: {error}", file_name(path)));
        }
    }
    counted.count = offsets.len() as u64;
    match mbox_summary(path, summary_path, imap) {
        SummaryUse::Trusted(summary) => {
            let unmatched = summary
                .messages
                .iter()
                .filter(|record| {
                    record
                        .mbox_offset(!imap)
                        .is_none_or(|offset| !offsets.contains(&offset))
                })
                .count() as u64;
            if imap {
                counted.count += unmatched;
                counted.not_downloaded = summary
                    .messages
                    .iter()
                    .filter(|record| !status::is_deleted(record.flags))
                    .filter(|record| {
                        record
                            .mbox_offset(false)
                            .is_none_or(|offset| !offsets.contains(&offset))
                    })
                    .count() as u64;
                if unmatched > 0 {
                    counted.notes.push(format!(
                        "{unmatched} messages of this IMAP folder were not downloaded for \
                         offline use: only the server has them"
                    ));
                }
            } else if unmatched > 0 {
                counted.notes.push(format!(
                    "{unmatched} messages listed in {} were not found in the mailbox file",
                    file_name(summary_path)
                ));
            }
        }
        fallback @ SummaryUse::Fallback(_) => {
            if counted.count > 0 {
                counted.notes.extend(fallback.note(summary_path));
                if imap {
                    counted.notes.push(
                        "offline copy of server mail: without its summary, counts may differ \
                         from what Thunderbird shows"
                            .to_owned(),
                    );
                }
            }
        }
    }
    counted
}

/// Counts a maildir folder the way [`MaildirMessages`] reads it.
pub fn count_maildir(dir: &Path, summary_path: &Path) -> FolderCount {
    let mut counted = FolderCount::default();
    match maildir_files(dir) {
        Ok(files) => counted.count = files.len() as u64,
        Err(error) => counted
            .notes
            .push(format!("{}: cannot be listed: {error}", dir.display())),
    }
    if counted.count > 0 {
        counted
            .notes
            .extend(maildir_summary(summary_path).note(summary_path));
    }
    counted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(drafts: bool) -> ReadContext {
        ReadContext {
            folder: FolderPath::new(["Local Folders", "Drafts"]),
            tags: [("$label2", "Work"), ("custom", "Custom tag")]
                .into_iter()
                .map(|(key, name)| (key.to_owned(), name.to_owned()))
                .collect(),
            client: "Postbox".to_owned(),
            drafts,
            imap: false,
            gaps: None,
        }
    }

    fn message(status: &str, extra: &str) -> String {
        format!(
            "From - Mon Jan 01 00:00:00 2024\r\nX-Mozilla-Status: {status}\nX-Mozilla-Status2: 00000000\n{extra}Subject: {status}\nFrom: a@example.com\n\nbody\n\n"
        )
    }

    /// Reads an mbox without a summary: the X-Mozilla headers decide.
    fn read_without_summary(mbox: &str, drafts: bool) -> Vec<Found> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Drafts");
        fs::write(&path, mbox).unwrap();
        let messages =
            MboxMessages::open(&path, &dir.path().join("Drafts.msf"), context(drafts)).unwrap();
        messages.map(|item| item.unwrap()).collect()
    }

    #[test]
    fn header_flags_decide_without_a_summary() {
        let mbox = [
            message("0401", "X-Mozilla-Keys: $Label2 junk custom unknown\n"),
            message("0008", ""),
            message("1003", ""),
            message("0005", ""),
        ]
        .concat();
        let items = read_without_summary(&mbox, true);
        assert_eq!(items.len(), 4);
        let Found::Message(partial) = &items[0] else {
            panic!("{:?}", items[0]);
        };
        assert!(partial.flags.read && partial.flags.draft && !partial.flags.flagged);
        assert_eq!(partial.keywords, vec!["Work", "Custom tag"]);
        assert_eq!(partial.warnings.len(), 1);
        assert!(
            partial.warnings[0].contains("POP server"),
            "{:?}",
            partial.warnings
        );
        assert!(matches!(
            &items[1],
            Found::Skipped { reason: SkipReason::DeletedInSource(client), .. } if client == "Postbox"
        ));
        let Found::Message(replied) = &items[2] else {
            panic!("{:?}", items[2]);
        };
        assert!(replied.flags.read && replied.flags.replied && replied.flags.forwarded);
        assert_eq!(replied.received, Some(1_704_067_200));
        let Found::Message(starred) = &items[3] else {
            panic!("{:?}", items[3]);
        };
        assert!(starred.flags.flagged && starred.warnings.is_empty());
    }

    #[test]
    fn imap_deleted_in_status2_is_skipped() {
        let mbox = message("0001", "")
            .replace("X-Mozilla-Status2: 00000000", "X-Mozilla-Status2: 00200000");
        let items = read_without_summary(&mbox, false);
        assert!(matches!(
            &items[..],
            [Found::Skipped {
                reason: SkipReason::DeletedInSource(_),
                ..
            }]
        ));
    }

    #[test]
    fn a_folder_without_its_mbox_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let messages = MboxMessages::open(
            &dir.path().join("Gone"),
            &dir.path().join("Gone.msf"),
            context(false),
        )
        .unwrap();
        assert_eq!(messages.count(), 0);
        let counted = count_mbox(
            &dir.path().join("Gone"),
            &dir.path().join("Gone.msf"),
            false,
        );
        assert_eq!(counted, FolderCount::default());
    }

    #[test]
    fn a_summary_made_for_another_mailbox_size_is_not_trusted() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/thunderbird/comm-central/mailnews/test/data/bugmail-1.msf");
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("bugmail-1");
        fs::write(&mbox, message("0001", "")).unwrap();
        let msf = dir.path().join("bugmail-1.msf");
        fs::write(&msf, fs::read(corpus).unwrap()).unwrap();
        let SummaryUse::Fallback(why) = mbox_summary(&mbox, &msf, false) else {
            panic!("trusted");
        };
        assert!(
            why.starts_with("was made for a mailbox of 2679 bytes"),
            "{why}"
        );
        // IMAP offline stores are not checked by size, as in Thunderbird.
        assert!(matches!(
            mbox_summary(&mbox, &msf, true),
            SummaryUse::Trusted(_)
        ));
    }

    #[test]
    fn maildir_file_names_give_the_delivery_time() {
        assert_eq!(
            maildir_time("1795320974.M880381P10253Q1.vm.eml"),
            Some(1_795_320_974)
        );
        assert_eq!(maildir_time("message.eml"), None);
        assert_eq!(maildir_time(".hidden"), None);
    }
}
