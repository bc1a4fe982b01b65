//! Gmail as Google Takeout exports it: one mbox file (`All mail Including Spam and Trash.mbox`,
//! or one file per label chosen) whose messages carry their Gmail labels in an
//! `X-Gmail-Labels` header, "in CSV format" as Takeout's own `archive_browser.html` says:
//! labels separated by commas, a label that holds a comma in double quotes. Takeout writes
//! the system labels in the account's language; these English names are recognised:
//! `Inbox`, `Sent`, `Drafts`, `Spam`, `Trash`, `Chat`, and the markers `Starred`, `Unread`,
//! `Opened`, `Important`, `Archived`, `Category …` (Gmail's tabs) and `IMAP_…` (keywords an
//! IMAP client set). Every other label is a user label; `/` nests it (`Work/2024`).
//!
//! Labels become folders below the file's own folder. Gmail shows a message under every
//! label it has; a PST folder holds a message once, so each message goes into one folder,
//! by this rule, and its other labels become categories:
//!
//! 1. `Trash`, else `Spam`: the message is there (Gmail shows it nowhere else). The job's
//!    Trash/Junk option leaves those two folders out.
//! 2. Else its first user label, in the header's order.
//! 3. Else `Inbox`, `Sent`, `Drafts`, `Chat` (the first it has, in this order; `Chat` becomes
//!    the folder `Chats`).
//! 4. Else `Archive`: mail Gmail shows only under "All Mail".
//!
//! The categories are the message's other user labels, then `Inbox` and `Sent` when it has
//! them and they did not decide its folder, so that the Inbox of a message filed under a
//! label can still be found. Markers are state, not categories: `Unread` leaves it unread
//! (every other message is read), `Starred` flags it, `Drafts` marks it a draft.
//!
//! Opening is cheap; the first listing of the folders reads the whole file once and keeps
//! where each message starts (16 bytes a message), so that each folder's messages are read
//! straight from their places.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use mail_parser::{HeaderName, MessageParser};

use super::store::{entry_found, read_error};
use super::{LeadingGarbage, MboxEntry, MboxReader};
use crate::model::{FolderKind, FolderPath, Found, Origin, SkipReason};
use crate::sources::{Error, FolderInfo, MessageIter, Probe, Result};

const LABELS_HEADER: &str = "X-Gmail-Labels";

/// Gmail's own labels: where they put a message, or what they say about it.
const TRASH: &str = "trash";
const SPAM: &str = "spam";
/// Folder-making system labels after the user labels, in order, with their folder names.
const SYSTEM_FOLDERS: &[(&str, &str)] = &[
    ("inbox", "Inbox"),
    ("sent", "Sent"),
    ("drafts", "Drafts"),
    ("chat", "Chats"),
];
/// The folder of a message with no label that makes a folder.
const ARCHIVE: &str = "Archive";
/// Labels that mark state, not a place.
const MARKERS: &[&str] = &["starred", "unread", "opened", "important", "archived"];
const MARKER_PREFIXES: &[&str] = &["category ", "imap_"];

/// True when `head`, the start of an mbox file, is a Gmail Takeout export: its first message
/// has an `X-Gmail-Labels` header.
pub fn is_takeout(head: &[u8]) -> bool {
    let Some(from_line_end) = head.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let headers = &head[from_line_end + 1..];
    let end = find(headers, b"\n\n")
        .or_else(|| find(headers, b"\r\n\r\n"))
        .unwrap_or(headers.len());
    headers[..end].split(|&b| b == b'\n').any(|line| {
        line.len() > LABELS_HEADER.len()
            && line[..LABELS_HEADER.len()].eq_ignore_ascii_case(LABELS_HEADER.as_bytes())
            && line[LABELS_HEADER.len()] == b':'
    })
}

/// True when the file at `path` is a Gmail Takeout export ([`is_takeout`]); false when it is
/// not or cannot be read (the mbox reader then reports why).
pub fn is_takeout_file(path: &Path) -> bool {
    let mut head = Vec::new();
    File::open(path)
        .and_then(|file| file.take(Probe::HEAD_LEN as u64).read_to_end(&mut head))
        .is_ok_and(|_| is_takeout(&head))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The labels of an mbox entry of the file at `path`: from its bytes, or from the header of a
/// large one, read from the file.
fn entry_labels(path: &Path, entry: &MboxEntry) -> Option<Vec<String>> {
    let span = entry.span_in(path).ok()?;
    labels(&entry.header_bytes(span.as_ref()).ok()?)
}

/// A message's labels, from its `X-Gmail-Labels` header (unfolded, encoded words decoded).
/// `None` when it has no such header.
pub fn labels(message: &[u8]) -> Option<Vec<String>> {
    let parser = MessageParser::new().header_text(HeaderName::Other(LABELS_HEADER.into()));
    let parsed = parser.parse_headers(message)?;
    let value = parsed.header(LABELS_HEADER)?.as_text()?.to_owned();
    Some(split_csv(&value))
}

/// The fields of one CSV line: separated by commas, a field in double quotes may hold commas
/// and doubled quotes. Spaces around fields are dropped, empty fields left out.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
        .into_iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

/// Where a message goes and what else its labels say (see the module docs for the rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Folder names below the file's folder.
    pub folder: Vec<String>,
    pub categories: Vec<String>,
    pub unread: bool,
    pub starred: bool,
    pub draft: bool,
}

fn is_marker(lower: &str) -> bool {
    MARKERS.contains(&lower) || MARKER_PREFIXES.iter().any(|p| lower.starts_with(p))
}

fn is_system(lower: &str) -> bool {
    lower == TRASH
        || lower == SPAM
        || SYSTEM_FOLDERS.iter().any(|(label, _)| *label == lower)
        || is_marker(lower)
}

/// The folder names of a user label: nested on `/`, empty names left out.
fn label_path(label: &str) -> Vec<String> {
    label
        .split('/')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Places a message by its labels.
pub fn place(labels: &[String]) -> Placement {
    let lower: Vec<String> = labels.iter().map(|l| l.to_lowercase()).collect();
    let has = |name: &str| lower.iter().any(|l| l == name);
    let user: Vec<&String> = labels
        .iter()
        .zip(&lower)
        .filter(|(_, lower)| !is_system(lower))
        .map(|(label, _)| label)
        .filter(|label| !label_path(label).is_empty())
        .collect();
    let mut categories: Vec<String> = Vec::new();
    let folder = if has(TRASH) {
        vec!["Trash".to_owned()]
    } else if has(SPAM) {
        vec!["Spam".to_owned()]
    } else if let Some((first, others)) = user.split_first() {
        categories.extend(others.iter().map(|l| (*l).clone()));
        for (label, name) in &SYSTEM_FOLDERS[..2] {
            if has(label) {
                categories.push((*name).to_owned());
            }
        }
        label_path(first)
    } else {
        let system = SYSTEM_FOLDERS.iter().find(|(label, _)| has(label));
        if let Some((label, _)) = system {
            // Inbox and Sent both: Sent is a category of the Inbox copy.
            categories.extend(
                SYSTEM_FOLDERS[..2]
                    .iter()
                    .filter(|(other, _)| other != label && has(other))
                    .map(|(_, name)| (*name).to_owned()),
            );
        }
        vec![system.map_or(ARCHIVE, |(_, name)| name).to_owned()]
    };
    if has(TRASH) || has(SPAM) {
        categories.extend(user.iter().map(|l| (*l).clone()));
    }
    let mut unique: Vec<String> = Vec::new();
    for category in categories {
        if !unique.contains(&category) {
            unique.push(category);
        }
    }
    Placement {
        folder,
        categories: unique,
        unread: has("unread"),
        starred: has("starred"),
        draft: has("drafts"),
    }
}

/// Where one message is in the file.
#[derive(Clone, Copy, Debug)]
struct Span {
    offset: u64,
    len: u64,
}

/// What one pass over the file learned.
#[derive(Debug, Default)]
struct Index {
    /// Messages per folder (below the file's folder), in file order. Folders that only hold
    /// others are listed with no messages.
    folders: BTreeMap<Vec<String>, Vec<Span>>,
    garbage: Option<LeadingGarbage>,
}

impl Index {
    fn build(path: &Path) -> Result<Index> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut reader = MboxReader::new(file);
        let mut index = Index::default();
        // The message before: its folder and where it starts; it ends where the next begins.
        let mut last: Option<(Vec<String>, u64)> = None;
        for entry in reader.by_ref() {
            let entry = entry.map_err(|e| read_error(path, e))?;
            index.add(last.take(), entry.offset);
            let placement = place(&entry_labels(path, &entry).unwrap_or_default());
            last = Some((placement.folder, entry.offset));
        }
        index.add(last, file_len);
        index.garbage = reader.leading_garbage().cloned();
        // Parents that hold no message of their own are folders too.
        let parents: Vec<Vec<String>> = index
            .folders
            .keys()
            .flat_map(|names| (1..names.len()).map(|n| names[..n].to_vec()))
            .collect();
        for parent in parents {
            index.folders.entry(parent).or_default();
        }
        Ok(index)
    }

    /// Adds the message of `folder` that starts at `offset` and ends at `end`.
    fn add(&mut self, message: Option<(Vec<String>, u64)>, end: u64) {
        if let Some((folder, offset)) = message {
            self.folders.entry(folder).or_default().push(Span {
                offset,
                len: end.saturating_sub(offset),
            });
        }
    }
}

/// A Takeout mbox file as a tree of label folders below `root` (the file's own folder).
#[derive(Debug)]
pub struct TakeoutMbox {
    path: PathBuf,
    root: FolderPath,
    /// Built by the first listing; an error is not kept, so the next call tries again.
    index: Mutex<Option<Arc<Index>>>,
}

impl TakeoutMbox {
    pub fn new(path: &Path, root: FolderPath) -> TakeoutMbox {
        TakeoutMbox {
            path: path.to_path_buf(),
            root,
            index: Mutex::new(None),
        }
    }

    /// The file's folder.
    pub fn root(&self) -> &FolderPath {
        &self.root
    }

    fn index(&self) -> Result<Arc<Index>> {
        let mut slot = self.index.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = slot.as_ref() {
            return Ok(Arc::clone(index));
        }
        let index = Arc::new(Index::build(&self.path)?);
        *slot = Some(Arc::clone(&index));
        Ok(index)
    }

    /// The file's folder (holding only text before the first message, if any), then the label
    /// folders, parents before children.
    pub fn folders(&self) -> Result<Vec<FolderInfo>> {
        let index = self.index()?;
        let mut folders = vec![FolderInfo {
            path: self.root.clone(),
            count: u64::from(index.garbage.is_some()),
            notes: index
                .garbage
                .iter()
                .map(|garbage| format!("not a message: {garbage}"))
                .collect(),
            kind: FolderKind::Mail,
        }];
        for (names, spans) in &index.folders {
            let mut path = self.root.clone();
            for name in names {
                path = path.child(name.clone());
            }
            folders.push(FolderInfo {
                path,
                count: spans.len() as u64,
                notes: Vec::new(),
                kind: FolderKind::Mail,
            });
        }
        Ok(folders)
    }

    /// The messages of the file's folder or of one of its label folders.
    pub fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        let no_such_folder = || Error::NoSuchFolder {
            path: self.path.clone(),
            folder: folder.to_string(),
        };
        let index = self.index()?;
        if *folder == self.root {
            let garbage = index.garbage.clone().map(|garbage| {
                Ok(Found::Skipped {
                    origin: Origin::FileOffset {
                        path: self.path.clone(),
                        offset: garbage.offset,
                    },
                    reason: SkipReason::NotAMessage(garbage.to_string()),
                })
            });
            return Ok(Box::new(garbage.into_iter()));
        }
        let names = folder
            .names()
            .strip_prefix(self.root.names())
            .ok_or_else(no_such_folder)?;
        let spans = index.folders.get(names).ok_or_else(no_such_folder)?.clone();
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        Ok(Box::new(LabelMessages {
            path: self.path.clone(),
            folder: folder.clone(),
            file,
            spans: spans.into_iter(),
            pending: Vec::new().into_iter(),
        }))
    }
}

/// The messages of one label folder, read from their places in the file.
struct LabelMessages {
    path: PathBuf,
    folder: FolderPath,
    file: File,
    spans: std::vec::IntoIter<Span>,
    /// Messages of the last span not yet given out (one, unless the span's bytes split in
    /// two when read on their own).
    pending: std::vec::IntoIter<Found>,
}

impl LabelMessages {
    fn read_span(&mut self, span: Span) -> Result<Vec<Found>> {
        let io = |e| Error::io(&self.path, e);
        self.file.seek(SeekFrom::Start(span.offset)).map_err(io)?;
        let mut found = Vec::new();
        // Read from the file, not copied whole: a large message stays there as a span.
        for entry in MboxReader::starting_at((&mut self.file).take(span.len), span.offset) {
            let entry = entry.map_err(|e| read_error(&self.path, e))?;
            let labels = entry_labels(&self.path, &entry);
            let mut item = entry_found(&self.path, &self.folder, entry);
            if let (Found::Message(message), Some(labels)) = (&mut item, labels) {
                let placement = place(&labels);
                message.flags.read = !placement.unread;
                message.flags.flagged = placement.starred;
                message.flags.draft = placement.draft;
                message.keywords = placement.categories;
            }
            found.push(item);
        }
        Ok(found)
    }
}

impl Iterator for LabelMessages {
    type Item = Result<Found>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(found) = self.pending.next() {
                return Some(Ok(found));
            }
            let span = self.spans.next()?;
            match self.read_span(span) {
                Ok(found) => self.pending = found.into_iter(),
                Err(error) => {
                    // The file changed since it was indexed: the rest cannot be trusted.
                    self.spans = Vec::new().into_iter();
                    return Some(Err(error));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels_of(text: &str) -> Vec<String> {
        split_csv(text)
    }

    #[test]
    fn labels_are_csv() {
        assert_eq!(
            labels_of("Inbox,Important,Opened,Category Personal"),
            ["Inbox", "Important", "Opened", "Category Personal"]
        );
        assert_eq!(
            labels_of(r#"Archived, "Bills, 2024",Work/Clients,"say ""hi""","#),
            ["Archived", "Bills, 2024", "Work/Clients", r#"say "hi""#]
        );
        assert!(labels_of("").is_empty());
    }

    #[test]
    fn header_is_unfolded_and_decoded() {
        let message = b"X-GM-THRID: 1\r\nX-Gmail-Labels: Archived,Opened,\r\n =?UTF-8?Q?R=C3=A9unions?=\r\nSubject: x\r\n\r\nX-Gmail-Labels: body\r\n";
        assert_eq!(labels(message).unwrap(), ["Archived", "Opened", "Réunions"]);
        assert_eq!(labels(b"Subject: x\n\nbody\n"), None);
    }

    fn placed(labels: &[&str]) -> (Vec<String>, Vec<String>) {
        let labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        let placement = place(&labels);
        (placement.folder, placement.categories)
    }

    #[test]
    fn the_folder_rule() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            placed(&["Inbox", "Important", "Opened", "Category Personal"]),
            (names(&["Inbox"]), names(&[]))
        );
        assert_eq!(
            placed(&["Inbox", "Work/2024", "Receipts", "Opened"]),
            (names(&["Work", "2024"]), names(&["Receipts", "Inbox"]))
        );
        assert_eq!(
            placed(&["Sent", "Inbox", "Opened"]),
            (names(&["Inbox"]), names(&["Sent"]))
        );
        assert_eq!(placed(&["Sent"]), (names(&["Sent"]), names(&[])));
        assert_eq!(
            placed(&["Spam", "Inbox", "Work", "Unread"]),
            (names(&["Spam"]), names(&["Work"]))
        );
        assert_eq!(
            placed(&["Trash", "Spam", "Starred"]),
            (names(&["Trash"]), names(&[]))
        );
        assert_eq!(
            placed(&["Archived", "Important", "Opened", "IMAP_$NotJunk"]),
            (names(&["Archive"]), names(&[]))
        );
        assert_eq!(placed(&["Chat", "Opened"]), (names(&["Chats"]), names(&[])));
        assert_eq!(placed(&["/", "Drafts"]), (names(&["Drafts"]), names(&[])));
        let state = place(&["Unread".into(), "Starred".into(), "Drafts".into()]);
        assert!(state.unread && state.starred && state.draft);
        assert!(!place(&["Opened".into()]).unread);
    }

    #[test]
    fn takeout_files_are_told_from_other_mboxes() {
        assert!(is_takeout(
            b"From 1590000000000000000@xxx Mon Jul 10 14:06:16 +0000 2017\r\nX-GM-THRID: 1\r\nX-Gmail-Labels: Inbox\r\n\r\n"
        ));
        assert!(!is_takeout(
            b"From a@b Mon Jul 10 14:06:16 2017\nSubject: x\n\nX-Gmail-Labels: Inbox\n"
        ));
        assert!(!is_takeout(b"From a@b Mon Jul 10 14:06:16 2017"));
    }

    #[test]
    fn a_large_message_goes_to_its_label_folder_and_stays_in_the_file() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("All mail Including Spam and Trash.mbox");
        let mut file = File::create(&path).unwrap();
        file.write_all(
            b"From 1@xxx Mon Jan  7 09:00:00 +0000 2019\nX-Gmail-Labels: Inbox,Opened\n\
              Subject: small\n\nsmall body\n\n\
              From 2@xxx Mon Jan  7 09:00:00 +0000 2019\nX-Gmail-Labels: Work,Opened\n\
              Subject: large\n\n",
        )
        .unwrap();
        let line = [b'x'; 1023];
        for _ in 0..=crate::model::LARGE_MESSAGE / 1024 {
            file.write_all(&line).unwrap();
            file.write_all(b"\n").unwrap();
        }
        drop(file);
        let store = TakeoutMbox::new(&path, FolderPath::new(["All mail"]));
        let work = FolderPath::new(["All mail", "Work"]);
        let folder = store
            .folders()
            .unwrap()
            .into_iter()
            .find(|folder| folder.path == work)
            .unwrap();
        assert_eq!(folder.count, 1);
        let found: Vec<Found> = store
            .messages(&work)
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        let [Found::Message(message)] = &found[..] else {
            panic!("{found:?}");
        };
        assert!(message.large.is_some() && message.bytes.is_empty());
        assert!(message.flags.read);
    }
}
