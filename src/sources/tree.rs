//! A plain folder tree of mail files as a store: each directory is a folder (the chosen root
//! is the top one), each message file a message of its directory's folder, each mbox file a
//! folder of its own beside the sub-directories (named after the file, less `.mbox`), and
//! each directory with `cur/` or `new/` a maildir folder whose messages are those files (plus
//! any message files lying loose beside them, as in notmuch's test corpus). What a file is
//! decides [`eml::classify`]; a file with a Thunderbird summary beside it (`Inbox` +
//! `Inbox.msf`) is always a folder. Apple Mail `.emlx` and `.partial.emlx` files are messages
//! read as Apple Mail reads them (flags from their property lists, attachment bodies put
//! back from an `Attachments/` folder beside them or beside their `Messages/` folder; that
//! folder, laid out as Apple Mail lays it out, is not a mail folder). Loose message and mbox files keep the state their client
//! wrote into their headers ([`crate::sources::state`]). A Gmail Takeout mbox is its folder
//! with a folder per label below it ([`takeout`]).
//!
//! "Found" means messages: files that are plainly not mail (pictures, settings, a mail
//! client's indexes) are not items of their folder; the store's notes list them once. Files
//! that may have been a message but cannot be read (empty, no header) are skipped items, so
//! the report counts them. Links to folders are not followed (a note says so), so a link
//! loop cannot trap the walk.
//!
//! Opening walks the whole tree once (reading the first bytes of files whose name does not say
//! what they are) and keeps the file list; mboxes are counted when the folders are asked for,
//! and every file is read only when its folder's messages are. Listings are sorted by file
//! name, so the same tree always gives the same folders and the same order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::model::{FolderKind, FolderPath, Found, Origin, SkipReason, StoreKind};
use crate::sources::eml::{self, FileKind};
use crate::sources::mbox::takeout::{self, TakeoutMbox};
use crate::sources::mbox::{self, MboxMessages};
use crate::sources::{
    Error, FolderInfo, MailStore, MessageIter, Probe, Result, apple_mail, display_name, maildir,
};

/// How many files of one kind the note about files that are not mail names; the rest are
/// counted.
const NOT_MAIL_NAMED: usize = 10;

/// Folders nested deeper than this are not read (a guard against pathological trees); the
/// folder at the limit says so in its notes.
const MAX_DEPTH: usize = 64;

/// A folder tree of `.eml`, mbox and maildir files, opened read-only.
#[derive(Debug)]
pub struct TreeStore {
    root: PathBuf,
    kind: StoreKind,
    name: String,
    folders: Vec<TreeFolder>,
    index: HashMap<FolderPath, usize>,
    /// Messages and mboxes found (skipped files and files that are not mail not counted).
    mail_files: u64,
    /// Files that are plainly not mail, by kind, as paths below the root.
    not_mail: BTreeMap<&'static str, Vec<String>>,
    /// Gmail Takeout files in the tree: each lists and reads its own label folders.
    takeouts: Vec<TakeoutMbox>,
}

#[derive(Debug)]
struct TreeFolder {
    path: FolderPath,
    items: Vec<Item>,
    /// Dovecot keyword names of a maildir folder, by letter.
    keywords: Vec<String>,
    notes: Vec<String>,
    /// The folder (or its `cur/`, `new/`) could not be listed: its messages are unknown, and
    /// reading it is an error, never an empty folder.
    unreadable: Option<(PathBuf, std::io::ErrorKind)>,
}

impl TreeFolder {
    fn new(path: FolderPath) -> Self {
        TreeFolder {
            path,
            items: Vec::new(),
            keywords: Vec::new(),
            notes: Vec::new(),
            unreadable: None,
        }
    }
}

/// One thing a folder yields.
#[derive(Debug)]
enum Item {
    /// A file holding one message.
    Message(PathBuf),
    /// An Apple Mail `.emlx`/`.partial.emlx` file.
    Emlx(PathBuf),
    /// A maildir file: one message, flags in its name.
    MaildirMessage(PathBuf),
    /// A file holding one message after an mbox From_ line.
    FramedMessage(PathBuf),
    /// An mbox file that is the whole folder.
    Mbox(PathBuf),
    /// A Gmail Takeout mbox: the folder and label folders below it, by index into
    /// [`TreeStore::takeouts`].
    Takeout(usize),
    /// A file that is not converted, and why.
    Skip(PathBuf, SkipReason),
}

impl TreeStore {
    /// Walks the folder tree at `root`. The store is a maildir when `root` itself is one.
    pub fn open(root: &Path) -> Result<TreeStore> {
        let metadata = fs::metadata(root).map_err(|e| Error::io(root, e))?;
        if !metadata.is_dir() {
            return Err(Error::Format {
                path: root.to_path_buf(),
                what: "not a folder".to_owned(),
            });
        }
        // The root must be readable; below it, an unreadable folder is a note, not an error.
        fs::read_dir(root).map_err(|e| Error::io(root, e))?;
        // `.` and `..` have no file name of their own; their real folder has.
        let name = root
            .file_name()
            .map(display_name)
            .or_else(|| fs::canonicalize(root).ok()?.file_name().map(display_name))
            .unwrap_or_else(|| root.display().to_string());
        let kind = if maildir::is_maildir(root) {
            StoreKind::Maildir
        } else {
            StoreKind::EmlFolder
        };
        let mut walker = Walker {
            root: root.to_path_buf(),
            ..Walker::default()
        };
        walker.walk(root, FolderPath::new([name.clone()]), 0, Vec::new());
        Ok(TreeStore::from_parts(root, kind, name, walker))
    }

    /// A single message file (`.eml`, `.emlx` or one that starts with a header) as a store of
    /// one folder, named after the file.
    pub fn open_message_file(path: &Path) -> Result<TreeStore> {
        fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let extension = crate::sources::lowercase_extension(path);
        let file_name = if matches!(extension.as_str(), "eml" | "emlx") {
            path.file_stem()
        } else {
            path.file_name()
        };
        let name = file_name.map(display_name).unwrap_or_default();
        let mut folder = TreeFolder::new(FolderPath::new([name.clone()]));
        folder.items.push(if extension == "emlx" {
            Item::Emlx(path.to_path_buf())
        } else {
            Item::Message(path.to_path_buf())
        });
        let walker = Walker {
            folders: vec![folder],
            mail_files: 1,
            ..Walker::default()
        };
        Ok(TreeStore::from_parts(
            path,
            StoreKind::EmlFolder,
            name,
            walker,
        ))
    }

    fn from_parts(root: &Path, kind: StoreKind, name: String, walker: Walker) -> TreeStore {
        let index = walker
            .folders
            .iter()
            .enumerate()
            .map(|(i, folder)| (folder.path.clone(), i))
            .collect();
        TreeStore {
            root: root.to_path_buf(),
            kind,
            name,
            folders: walker.folders,
            index,
            mail_files: walker.mail_files,
            not_mail: walker.not_mail,
            takeouts: walker.takeouts,
        }
    }

    /// True when the tree holds at least one message file or mbox.
    pub fn holds_mail(&self) -> bool {
        self.mail_files > 0
    }
}

impl MailStore for TreeStore {
    fn kind(&self) -> StoreKind {
        self.kind
    }

    fn display_name(&self) -> String {
        format!("{} — {}", self.kind.label(), self.name)
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn folders(&self) -> Result<Vec<FolderInfo>> {
        let mut infos = Vec::with_capacity(self.folders.len());
        for folder in &self.folders {
            let mut count = 0;
            let mut notes = folder.notes.clone();
            if let [Item::Takeout(takeout)] = folder.items.as_slice()
                && let Some(takeout) = self.takeouts.get(*takeout)
            {
                match takeout.folders() {
                    Ok(folders) => infos.extend(folders),
                    Err(e) => infos.push(FolderInfo {
                        path: folder.path.clone(),
                        count: 0,
                        notes: vec![format!("could not be read: {e}")],
                        kind: FolderKind::Mail,
                    }),
                }
                continue;
            }
            for item in &folder.items {
                match item {
                    Item::Mbox(path) => match mbox::folder_info(path, folder.path.clone()) {
                        Ok(info) => {
                            count += info.count;
                            notes.extend(info.notes);
                        }
                        Err(e) => notes.push(format!("could not be read: {e}")),
                    },
                    _ => count += 1,
                }
            }
            infos.push(FolderInfo {
                path: folder.path.clone(),
                count,
                notes,
                kind: FolderKind::Mail,
            });
        }
        Ok(infos)
    }

    /// One note listing the files that are plainly not mail, by kind, when there are any.
    fn warnings(&self) -> Vec<String> {
        if self.not_mail.is_empty() {
            return Vec::new();
        }
        let total: usize = self.not_mail.values().map(Vec::len).sum();
        let kinds: Vec<String> = self
            .not_mail
            .iter()
            .map(|(kind, paths)| {
                let mut named = paths
                    .iter()
                    .take(NOT_MAIL_NAMED)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                if paths.len() > NOT_MAIL_NAMED {
                    named.push_str(&format!(" and {} more", paths.len() - NOT_MAIL_NAMED));
                }
                format!("{kind}: {named}")
            })
            .collect();
        let files = if total == 1 {
            "file that is"
        } else {
            "files that are"
        };
        vec![format!(
            "{total} {files} not mail left out, not counted as messages — {}",
            kinds.join("; ")
        )]
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        if let Some(takeout) = self.takeouts.iter().find(|t| folder.starts_with(t.root())) {
            return takeout.messages(folder);
        }
        let Some(folder) = self.index.get(folder).and_then(|&i| self.folders.get(i)) else {
            return Err(Error::NoSuchFolder {
                path: self.root.clone(),
                folder: folder.to_string(),
            });
        };
        if let Some((path, kind)) = &folder.unreadable {
            return Err(Error::io(path, std::io::Error::from(*kind)));
        }
        Ok(Box::new(TreeMessages {
            folder,
            next: 0,
            mbox: None,
        }))
    }
}

/// The items of one folder, read one file at a time.
struct TreeMessages<'a> {
    folder: &'a TreeFolder,
    next: usize,
    /// The mbox being read and, when it is one framed message, its path: an error reading it
    /// is that file's, not the folder's.
    mbox: Option<(MboxMessages, Option<PathBuf>)>,
}

impl Iterator for TreeMessages<'_> {
    type Item = Result<Found>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((messages, framed)) = &mut self.mbox {
                match messages.next() {
                    Some(Err(e)) if let Some(path) = framed.take() => {
                        self.mbox = None;
                        return Some(Ok(Found::Skipped {
                            origin: Origin::File { path },
                            reason: SkipReason::Unreadable(e.to_string()),
                        }));
                    }
                    Some(item) => return Some(item),
                    None => self.mbox = None,
                }
            }
            let item = self.folder.items.get(self.next)?;
            self.next += 1;
            let folder = &self.folder.path;
            match item {
                Item::Message(path) => {
                    return Some(Ok(eml::read_loose_message_file(path, folder)));
                }
                Item::Emlx(path) => return Some(Ok(apple_mail::read_emlx_file(path, folder))),
                Item::MaildirMessage(path) => {
                    return Some(Ok(maildir::read_message(
                        path,
                        folder,
                        &self.folder.keywords,
                    )));
                }
                Item::Skip(path, reason) => {
                    return Some(Ok(Found::Skipped {
                        origin: Origin::File { path: path.clone() },
                        reason: reason.clone(),
                    }));
                }
                Item::FramedMessage(path) => match MboxMessages::open(path, folder.clone()) {
                    Ok(messages) => self.mbox = Some((messages, Some(path.clone()))),
                    Err(e) => {
                        return Some(Ok(Found::Skipped {
                            origin: Origin::File { path: path.clone() },
                            reason: SkipReason::Unreadable(e.to_string()),
                        }));
                    }
                },
                Item::Mbox(path) => match MboxMessages::open(path, folder.clone()) {
                    Ok(messages) => self.mbox = Some((messages, None)),
                    Err(e) => return Some(Err(e)),
                },
                // Asked for through the store, which hands the folder to the Takeout reader.
                Item::Takeout(_) => {}
            }
        }
    }
}

/// A folder to visit after the current one.
#[derive(Debug)]
enum Child {
    Dir(PathBuf),
    Mbox(PathBuf),
    /// A Maildir++ folder (`.Name` inside a maildir), possibly with Maildir++ sub-folders.
    MaildirPlus(MaildirPlusNode),
}

/// Maildir++ folders by name: `.Work` and `.Work.2024` become `Work` › `2024`.
#[derive(Debug, Default)]
struct MaildirPlusNode {
    dir: Option<PathBuf>,
    children: BTreeMap<String, MaildirPlusNode>,
}

impl MaildirPlusNode {
    fn insert(&mut self, names: &[String], dir: PathBuf) {
        match names.split_first() {
            None => self.dir = Some(dir),
            Some((first, rest)) => self
                .children
                .entry(first.clone())
                .or_default()
                .insert(rest, dir),
        }
    }
}

#[derive(Debug, Default)]
struct Walker {
    /// The tree's root, to name files below it.
    root: PathBuf,
    folders: Vec<TreeFolder>,
    mail_files: u64,
    not_mail: BTreeMap<&'static str, Vec<String>>,
    takeouts: Vec<TakeoutMbox>,
}

#[derive(Debug, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    /// A symbolic link to a folder: not followed, so a link loop cannot trap the walk.
    DirLink,
    Other,
}

struct Entry {
    name: String,
    path: PathBuf,
    kind: EntryKind,
}

/// The entries of a directory, sorted by file name.
fn list_dir(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let file_type = entry.file_type()?;
        let kind = if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else if file_type.is_symlink() {
            match fs::metadata(&path) {
                Ok(target) if target.is_file() => EntryKind::File,
                Ok(target) if target.is_dir() => EntryKind::DirLink,
                _ => EntryKind::Other,
            }
        } else {
            EntryKind::Other
        };
        entries.push(Entry {
            name: entry.file_name().to_string_lossy().into_owned(),
            path,
            kind,
        });
    }
    entries.sort_by(|a, b| a.path.file_name().cmp(&b.path.file_name()));
    Ok(entries)
}

impl Walker {
    /// Lists `dir` as the folder `path`, then visits its sub-folders (and `extra` ones, the
    /// Maildir++ children of a Maildir++ folder), parents before children.
    fn walk(&mut self, dir: &Path, path: FolderPath, depth: usize, extra: Vec<(String, Child)>) {
        let mut folder = TreeFolder::new(path);
        let mut children = extra;
        match list_dir(dir) {
            Ok(entries) => self.list(dir, &entries, &mut folder, &mut children),
            Err(e) => {
                tracing::warn!(folder = %dir.display(), error = %e, "folder could not be read");
                folder.notes.push(format!("could not be read: {e}"));
                folder.unreadable = Some((dir.to_path_buf(), e.kind()));
            }
        }
        let path = folder.path.clone();
        self.folders.push(folder);
        if children.is_empty() {
            return;
        }
        if depth >= MAX_DEPTH {
            if let Some(folder) = self.folders.last_mut() {
                folder.notes.push(format!(
                    "{} sub-folders not read: folders nest deeper than {MAX_DEPTH} levels",
                    children.len()
                ));
            }
            return;
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        make_names_unique(&mut children);
        for (name, child) in children {
            let child_path = path.child(name);
            match child {
                Child::Dir(dir) => self.walk(&dir, child_path, depth + 1, Vec::new()),
                Child::Mbox(file) => {
                    let mut folder = TreeFolder::new(child_path.clone());
                    if takeout::is_takeout_file(&file) {
                        folder.items.push(Item::Takeout(self.takeouts.len()));
                        self.takeouts.push(TakeoutMbox::new(&file, child_path));
                    } else {
                        folder.items.push(Item::Mbox(file));
                    }
                    self.folders.push(folder);
                }
                Child::MaildirPlus(node) => self.walk_maildir_plus(node, child_path, depth + 1),
            }
        }
    }

    fn walk_maildir_plus(&mut self, node: MaildirPlusNode, path: FolderPath, depth: usize) {
        let children: Vec<(String, Child)> = node
            .children
            .into_iter()
            .map(|(name, child)| (name, Child::MaildirPlus(child)))
            .collect();
        match node.dir {
            Some(dir) => self.walk(&dir, path, depth, children),
            None => {
                // `.Work.2024` without `.Work`: an empty `Work` holds it.
                self.folders.push(TreeFolder::new(path.clone()));
                for (name, child) in children {
                    if let Child::MaildirPlus(child) = child {
                        self.walk_maildir_plus(child, path.child(name), depth + 1);
                    }
                }
            }
        }
    }

    /// Sorts the entries of one directory into the folder's items and its sub-folders.
    fn list(
        &mut self,
        dir: &Path,
        entries: &[Entry],
        folder: &mut TreeFolder,
        children: &mut Vec<(String, Child)>,
    ) {
        let is_maildir = entries
            .iter()
            .any(|e| e.kind == EntryKind::Dir && matches!(e.name.as_str(), "cur" | "new"));
        if is_maildir {
            match maildir::message_files(dir) {
                Ok(files) => {
                    self.mail_files += files.len() as u64;
                    folder
                        .items
                        .extend(files.into_iter().map(Item::MaildirMessage));
                }
                Err(e) => {
                    folder
                        .notes
                        .push(format!("could not list cur/ or new/: {e}"));
                    folder.unreadable = Some((dir.to_path_buf(), e.kind()));
                }
            }
            folder.keywords = maildir::dovecot_keywords(dir);
        }
        let mut maildir_plus = MaildirPlusNode::default();
        let mut loose = 0;
        // Items of headerless text files: messages only if real messages lie beside them.
        let mut headerless = Vec::new();
        let names: HashSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        // Apple Mail keeps the attachment bodies of partial messages in an `Attachments`
        // folder beside their `Messages` folder; copies put it beside the emlx files too.
        let holds_emlx = entries
            .iter()
            .any(|e| e.kind == EntryKind::File && is_emlx_name(&e.name))
            || entries.iter().any(|e| {
                e.kind == EntryKind::Dir && e.name == "Messages" && dir_holds_emlx(&e.path)
            });
        for entry in entries {
            match entry.kind {
                EntryKind::Dir => {
                    if is_maildir && matches!(entry.name.as_str(), "cur" | "new" | "tmp") {
                        continue;
                    }
                    if holds_emlx
                        && entry.name == "Attachments"
                        && is_apple_attachments(&entry.path)
                    {
                        continue;
                    }
                    if entry.name.starts_with('.') {
                        // A Maildir++ folder that cannot be looked into is still a folder:
                        // reading it then fails, instead of it being left out unseen.
                        if is_maildir
                            && let Some(names) = maildir::maildir_plus_names(&entry.name)
                            && (maildir::is_maildir(&entry.path)
                                || fs::read_dir(&entry.path).is_err())
                        {
                            maildir_plus.insert(&names, entry.path.clone());
                        }
                        continue;
                    }
                    let name = display_name(entry.name.as_ref());
                    children.push((name, Child::Dir(entry.path.clone())));
                }
                EntryKind::DirLink => folder.notes.push(format!(
                    "“{}” is a link to a folder and was not followed",
                    entry.name
                )),
                EntryKind::File => {
                    if is_maildir && maildir::is_bookkeeping_file(&entry.name) {
                        continue;
                    }
                    let path = entry.path.clone();
                    let has_summary = names.contains(format!("{}.msf", entry.name).as_str());
                    let kind = if has_summary {
                        eml::classify_with_summary(&path)
                    } else {
                        eml::classify(&path)
                    };
                    match kind {
                        FileKind::Ignored => {}
                        FileKind::NotMail(what) => {
                            let shown = path.strip_prefix(&self.root).unwrap_or(&path);
                            self.not_mail
                                .entry(what)
                                .or_default()
                                .push(display_name(shown.as_os_str()));
                        }
                        FileKind::Emlx => {
                            // A message Mail downloaded whole replaces its partial copy.
                            let full = entry.name.replace(".partial.emlx", ".emlx");
                            if full != entry.name && names.contains(full.as_str()) {
                                continue;
                            }
                            self.mail_files += 1;
                            folder.items.push(Item::Emlx(path));
                        }
                        FileKind::Message => {
                            self.mail_files += 1;
                            if is_maildir {
                                loose += 1;
                                folder.items.push(Item::MaildirMessage(path));
                            } else {
                                folder.items.push(Item::Message(path));
                            }
                        }
                        FileKind::FramedMessage => {
                            self.mail_files += 1;
                            loose += usize::from(is_maildir);
                            folder.items.push(Item::FramedMessage(path));
                        }
                        FileKind::Mbox => {
                            self.mail_files += 1;
                            children.push((mbox::folder_name(&path), Child::Mbox(path)));
                        }
                        FileKind::HeaderlessText => {
                            headerless.push(folder.items.len());
                            folder.items.push(Item::Message(path));
                        }
                        FileKind::Skip(reason) => folder.items.push(Item::Skip(path, reason)),
                    }
                }
                EntryKind::Other => {}
            }
        }
        let messages_beside = folder.items.len()
            - headerless.len()
            - folder
                .items
                .iter()
                .filter(|item| matches!(item, Item::Skip(..)))
                .count();
        if messages_beside > 0 {
            self.mail_files += headerless.len() as u64;
            if is_maildir {
                loose += headerless.len();
                for &index in &headerless {
                    if let Some(item) = folder.items.get_mut(index)
                        && let Item::Message(path) = item
                    {
                        *item = Item::MaildirMessage(std::mem::take(path));
                    }
                }
            }
        } else {
            for &index in &headerless {
                if let Some(item) = folder.items.get_mut(index)
                    && let Item::Message(path) = item
                {
                    let reason = SkipReason::NotAMessage(
                        "a text file without a mail header, and no messages beside it".to_owned(),
                    );
                    *item = Item::Skip(std::mem::take(path), reason);
                }
            }
        }
        if loose > 0 {
            folder.notes.push(format!(
                "{loose} message file(s) lie beside cur/ and new/ instead of in them; they are read as messages of this folder"
            ));
        }
        children.extend(
            maildir_plus
                .children
                .into_iter()
                .map(|(name, node)| (name, Child::MaildirPlus(node))),
        );
    }
}

/// True for the name of an Apple Mail message file (`.emlx`, `.partial.emlx`).
fn is_emlx_name(name: &str) -> bool {
    name.to_lowercase().ends_with(".emlx") && !name.starts_with('.')
}

/// True when `dir` is laid out as Apple Mail keeps attachment bodies: only folders named by
/// message numbers (`Attachments/114892/2.4/original.doc`). Any other `Attachments` folder is a
/// mail folder like the rest.
fn is_apple_attachments(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).all(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with('.')
                || (entry.file_type().is_ok_and(|t| t.is_dir())
                    && !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

/// True when `dir` holds an emlx file (not looking further down).
fn dir_holds_emlx(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| is_emlx_name(&e.file_name().to_string_lossy()))
    })
}

/// Gives siblings with the same name a number: `Inbox`, `Inbox (2)`.
fn make_names_unique(children: &mut [(String, Child)]) {
    let mut seen = HashSet::new();
    for (name, _) in children.iter_mut() {
        if seen.insert(name.clone()) {
            continue;
        }
        let mut number = 2;
        loop {
            let candidate = format!("{name} ({number})");
            if seen.insert(candidate.clone()) {
                *name = candidate;
                break;
            }
            number += 1;
        }
    }
}

/// Recognises a single message file ([`eml::is_message_file`]). It becomes a store of one
/// folder, named after the file, with one message.
pub fn detect_message_file(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !probe.is_file() || !eml::is_message_file(path, probe.head()) {
        return Ok(None);
    }
    Ok(Some(Box::new(TreeStore::open_message_file(path)?)))
}

/// Recognises a maildir: a folder with `cur/` or `new/`. It is read as a folder tree (nested
/// maildirs and Maildir++ folders included).
pub fn detect_maildir(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !probe.is_dir() || !maildir::is_maildir(path) {
        return Ok(None);
    }
    Ok(Some(Box::new(TreeStore::open(path)?)))
}

/// Recognises any folder that holds mail files somewhere in it: it becomes a folder tree.
pub fn detect(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !probe.is_dir() {
        return Ok(None);
    }
    let store = TreeStore::open(path)?;
    Ok(store
        .holds_mail()
        .then(|| Box::new(store) as Box<dyn MailStore>))
}
