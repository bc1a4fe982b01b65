//! Where Apple Mail keeps mail and how it is laid out (docs/formats.md §1.1–1.2): a `V*` library
//! (accounts as folders, mailboxes as nested `.mbox` bundles, messages in `Messages/` folders,
//! sharded below `Data/` in V3+), the older `~/Library/Mail` of Mail 1–4 (`Mailboxes/`,
//! `POP-…`/`IMAP-…` account folders, children in sibling folders, `.imapmbox`), and a single
//! mailbox bundle. The layout is read from what is on disk, never from the version number.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization as _;

use super::emlx;
use super::envelope::{EnvelopeIndex, MailboxRow, MessageRow};
use super::export;
use super::partial;
use super::server::{self, MailboxServer};
use crate::model::{FolderKind, FolderPath, Found, Origin, RawMessage, SkipReason, StoreKind};
use crate::sources::imap::{GapCounts, GapSource, GapSources, ImapAccount};
use crate::sources::mbox::{self, MboxMessages};
use crate::sources::{Error, FolderInfo, MailStore, MessageIter, Result, ServerGap};

/// What to do when macOS refuses to list `~/Library/Mail`.
pub const FULL_DISK_ACCESS_HINT: &str = "macOS protects Apple Mail's folder: open System Settings → \
     Privacy & Security → Full Disk Access, switch on mail2pst (add it with the + button if it is \
     not listed), then quit and reopen mail2pst";

/// The client name used in skip reasons.
const CLIENT: &str = "Apple Mail";

/// True for a path inside a `Library/Mail` folder.
pub fn is_in_mail_library(path: &Path) -> bool {
    let names: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    names
        .windows(2)
        .any(|w| w[0] == "Library" && w[1] == "Mail")
}

/// A `V<number>` library folder's number.
pub fn version_number(dir: &Path) -> Option<u32> {
    let name = dir.file_name()?.to_str()?;
    name.strip_prefix('V')?.parse().ok()
}

/// The name shown for a library: "Apple Mail — V10", or for `~/Library/Mail` itself in the
/// Mail 1–4 layout, "Apple Mail — Mail 1–4 folders".
pub fn library_name(dir: &Path) -> String {
    match version_number(dir) {
        Some(_) => format!(
            "{CLIENT} — {}",
            dir.file_name().unwrap_or_default().to_string_lossy()
        ),
        None => format!("{CLIENT} — Mail 1–4 folders"),
    }
}

/// The mailbox name of a `.mbox`/`.imapmbox` folder, NFC (macOS hands back decomposed names).
fn mailbox_name(dir: &Path) -> Option<String> {
    let name = dir.file_name()?.to_string_lossy().into_owned();
    let stem = name
        .strip_suffix(".mbox")
        .or_else(|| name.strip_suffix(".imapmbox"))?;
    Some(stem.nfc().collect())
}

/// True for a mailbox bundle folder (`Name.mbox`, `Name.imapmbox`).
pub fn is_mailbox_dir(path: &Path) -> bool {
    mailbox_name(path).is_some() && path.is_dir()
}

/// The sub-folders of `dir`, sorted, hidden ones left out.
fn sub_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // Symbolic links are not followed: a link back up the tree would never end.
        let is_dir = entry.file_type().map_err(|e| Error::io(dir, e))?.is_dir();
        if is_dir {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

fn has_mailbox_child(dir: &Path) -> bool {
    sub_dirs(dir).is_ok_and(|dirs| dirs.iter().any(|d| is_mailbox_dir(d)))
}

/// One message file of a mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MessageFile {
    /// The number in the file name (`messages.ROWID` of the Envelope Index).
    id: Option<i64>,
    path: PathBuf,
}

/// One folder of the store.
#[derive(Debug)]
struct Mailbox {
    path: FolderPath,
    /// `None` for an account node, or a mailbox only the Envelope Index knows.
    dir: Option<PathBuf>,
    /// The account folder's name and the mailbox names on disk, to match Envelope Index URLs.
    key: Option<(String, Vec<String>)>,
    /// The Envelope Index ROWID of the mailbox.
    index_row: Option<i64>,
    /// The mbox file to read instead of emlx files: a Mail 1 mailbox or an export bundle.
    mbox: Option<PathBuf>,
    notes: Vec<String>,
    /// A plain folder holding mailboxes that could not be listed (where, and why): reading it
    /// is an error, so that the mailboxes it hides are not left out in silence.
    unlisted: Option<(PathBuf, std::io::ErrorKind)>,
}

impl Mailbox {
    /// A folder with no messages of its own on disk: an account, or a container.
    fn node(path: FolderPath) -> Mailbox {
        Mailbox {
            path,
            dir: None,
            key: None,
            index_row: None,
            mbox: None,
            notes: Vec::new(),
            unlisted: None,
        }
    }

    /// A mailbox folder: emlx files in `Messages/` folders, or else an `mbox` file (Mail 1,
    /// "Export Mailbox…"). When both are there, the mbox is the stale copy Mail 2–4 left.
    fn on_disk(
        path: FolderPath,
        dir: &Path,
        key: Option<(String, Vec<String>)>,
    ) -> Result<Mailbox> {
        let mbox_file = dir.join("mbox");
        let mut mailbox = Mailbox::node(path);
        mailbox.dir = Some(dir.to_path_buf());
        mailbox.key = key;
        if mbox_file.is_file() {
            if message_files(dir)?.is_empty() {
                mailbox.mbox = Some(mbox_file);
            } else {
                mailbox.notes.push(
                    "an older `mbox` file beside the messages was left out: Mail keeps it after \
                     converting a mailbox to single message files"
                        .to_string(),
                );
            }
        }
        Ok(mailbox)
    }
}

/// An Apple Mail library, or a single mailbox bundle, opened read-only.
#[derive(Debug)]
pub struct AppleMailStore {
    kind: StoreKind,
    name: String,
    root: PathBuf,
    mailboxes: Vec<Mailbox>,
    /// Each account's folder on disk and its folder in the tree.
    accounts: Vec<(PathBuf, FolderPath)>,
    index: Option<EnvelopeIndex>,
    warnings: Vec<String>,
    /// Each account's `AccountURL` (which names its server), by account folder name.
    account_urls: BTreeMap<String, String>,
    /// Where each account's messages left on its server are fetched from, by account folder
    /// name, once the person asked for them.
    gap_sources: GapSources<String>,
    /// Messages never downloaded per account folder name, as [`MailStore::folders`] last
    /// counted them.
    not_downloaded: GapCounts<String>,
}

impl AppleMailStore {
    /// A library folder: `~/Library/Mail/V<n>` (V2 and later), or `~/Library/Mail` itself for
    /// the Mail 1–4 layout (`Mailboxes/`, `POP-…`, `IMAP-…`).
    pub fn open_library(dir: &Path) -> Result<AppleMailStore> {
        let accounts = account_dirs(dir)?;
        let names = AccountNames::read(dir);
        let mut store = AppleMailStore {
            kind: StoreKind::AppleMail,
            name: library_name(dir),
            root: dir.to_path_buf(),
            mailboxes: Vec::new(),
            accounts: Vec::new(),
            index: None,
            warnings: Vec::new(),
            account_urls: names.urls.clone(),
            gap_sources: GapSources::default(),
            not_downloaded: GapCounts::default(),
        };
        let mut taken = BTreeSet::new();
        let mut account_paths = BTreeMap::new();
        for account in &accounts {
            let folder = folder_name(account);
            let mut display = names.name_of(&folder);
            if !taken.insert(display.clone()) {
                display = format!("{display} ({folder})");
                taken.insert(display.clone());
            }
            let path = FolderPath::new([display]);
            account_paths.insert(folder.to_lowercase(), path.clone());
            store.accounts.push((account.clone(), path.clone()));
            store.mailboxes.push(Mailbox::node(path.clone()));
            collect_mailboxes(account, &path, &folder, &[], &mut store.mailboxes)?;
        }
        let index_path = if version_number(dir).is_some() {
            dir.join("MailData").join("Envelope Index")
        } else {
            dir.join("Envelope Index")
        };
        if index_path.is_file() {
            match EnvelopeIndex::open(&index_path) {
                Ok(index) => {
                    if let Some(note) = &index.note {
                        store.warnings.push(note.clone());
                    }
                    if let Err(e) = store.attach_index(index, &account_paths) {
                        store.warnings.push(format!(
                            "the Envelope Index could not be read ({e}); flags come from the \
                             message files alone and messages Mail never downloaded are not listed"
                        ));
                    }
                }
                Err(e) => store.warnings.push(format!(
                    "the Envelope Index was not used ({e}); flags come from the message files \
                     alone and messages Mail never downloaded are not listed"
                )),
            }
        }
        Ok(store)
    }

    /// A single mailbox bundle (`Name.mbox` with `Messages/` or `<GUID>/Data/…` inside, child
    /// mailboxes nested in it), a bare folder holding a `Messages/` folder of emlx files, or an
    /// "Export Mailbox…" bundle (`Name.mbox/mbox`, nested for exported children).
    pub fn open_mailbox(dir: &Path) -> Result<AppleMailStore> {
        let name = mailbox_name(dir).unwrap_or_else(|| {
            dir.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .nfc()
                .collect()
        });
        let path = FolderPath::new([name.clone()]);
        let mut mailboxes = vec![Mailbox::on_disk(path.clone(), dir, None)?];
        collect_mailboxes(dir, &path, "", std::slice::from_ref(&name), &mut mailboxes)?;
        // "Export Mailbox…" writes `mbox` (and `table_of_contents`) where Mail keeps emlx files.
        let kind = if mailboxes.iter().any(|m| m.mbox.is_some())
            && mailboxes
                .iter()
                .all(|m| m.mbox.is_some() || m.dir.is_none())
        {
            StoreKind::AppleMailExport
        } else {
            StoreKind::AppleMail
        };
        let label = match kind {
            StoreKind::AppleMailExport => "Apple Mail export",
            _ => "Apple Mail mailbox",
        };
        Ok(AppleMailStore {
            kind,
            name: format!("{label} — {name}"),
            root: dir.to_path_buf(),
            mailboxes,
            accounts: Vec::new(),
            index: None,
            warnings: Vec::new(),
            account_urls: BTreeMap::new(),
            gap_sources: GapSources::default(),
            not_downloaded: GapCounts::default(),
        })
    }

    /// Keeps the part of the store a person pointed at, `part`: an account's folder (the
    /// account), a mailbox bundle (the mailbox and the mailboxes inside it), or a folder inside
    /// a mailbox such as its `Messages` folder (that mailbox alone, every message of it). The
    /// folders above stay as empty parents, so each kept mailbox keeps its path. `false`, and
    /// nothing changed, when `part` is none of these.
    pub fn keep_part(&mut self, part: &Path) -> bool {
        let account = self
            .accounts
            .iter()
            .find(|(dir, _)| dir == part)
            .map(|(_, path)| (path.clone(), true));
        let mailbox = || {
            part.ancestors().find_map(|dir| {
                let mailbox = self
                    .mailboxes
                    .iter()
                    .find(|m| m.dir.as_deref() == Some(dir))?;
                Some((mailbox.path.clone(), dir == part))
            })
        };
        let Some((folder, with_children)) = account.or_else(mailbox) else {
            return false;
        };
        let mailboxes = std::mem::take(&mut self.mailboxes);
        for mailbox in mailboxes {
            if mailbox.path == folder || (with_children && mailbox.path.starts_with(&folder)) {
                self.mailboxes.push(mailbox);
            } else if folder.starts_with(&mailbox.path) {
                self.mailboxes.push(Mailbox::node(mailbox.path));
            }
        }
        self.root = part.to_path_buf();
        self.name = format!("{CLIENT} — {folder}");
        true
    }

    /// Matches the Envelope Index's mailboxes to the folders on disk and adds those it lists
    /// that have no folder (all their messages are then "not downloaded").
    fn attach_index(
        &mut self,
        index: EnvelopeIndex,
        account_paths: &BTreeMap<String, FolderPath>,
    ) -> Result<()> {
        let rows = index.mailboxes()?;
        let mut by_key: BTreeMap<(String, Vec<String>), usize> = BTreeMap::new();
        for (position, mailbox) in self.mailboxes.iter().enumerate() {
            if let Some((account, names)) = &mailbox.key {
                by_key.insert((account.to_lowercase(), names.clone()), position);
            }
        }
        for row in rows {
            let MailboxRow {
                rowid,
                account,
                names,
                ..
            } = row;
            let names: Vec<String> = names.iter().map(|n| n.nfc().collect()).collect();
            if names.is_empty() {
                continue;
            }
            let key = (account.to_lowercase(), names.clone());
            if let Some(&position) = by_key.get(&key) {
                self.mailboxes[position].index_row = Some(rowid);
                continue;
            }
            let Some(account_path) = account_paths.get(&key.0) else {
                continue;
            };
            if index.messages(rowid)?.is_empty() {
                continue;
            }
            let mut path = account_path.clone();
            for name in &names {
                path = path.child(name.clone());
                if !self.mailboxes.iter().any(|m| m.path == path) {
                    self.mailboxes.push(Mailbox::node(path.clone()));
                }
            }
            // Keyed by the account's folder as it is spelled on disk, like the mailboxes found
            // there (the URL may spell it in another case).
            let account_folder = self
                .accounts
                .iter()
                .find(|(_, tree_path)| tree_path == account_path)
                .map_or_else(|| account.clone(), |(dir, _)| folder_name(dir));
            if let Some(mailbox) = self.mailboxes.iter_mut().find(|m| m.path == path) {
                mailbox.index_row = Some(rowid);
                mailbox.key = Some((account_folder, names.clone()));
                mailbox.notes.push(
                    "Apple Mail lists this mailbox but has no folder for it on disk".to_string(),
                );
            }
        }
        self.index = Some(index);
        // Parents before children, in name order.
        self.mailboxes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(())
    }

    /// Adds a note about the store as a whole.
    pub fn add_warning(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// The account's name as the tree shows it, by its folder's name.
    fn account_name(&self, account: &str) -> String {
        self.accounts
            .iter()
            .find(|(dir, _)| folder_name(dir) == account)
            .map_or_else(|| account.to_owned(), |(_, path)| path.to_string())
    }

    /// The server of the account whose folder is named `account`, its password empty, and
    /// whether Mail recorded its port; or why Mail's files do not say.
    fn server_of(&self, account: &str) -> std::result::Result<(ImapAccount, bool), String> {
        match self
            .account_urls
            .iter()
            .find(|(uuid, _)| uuid.eq_ignore_ascii_case(account))
        {
            Some((_, url)) => server::account_server(url),
            None => Err(
                "Apple Mail's files do not say which server this account uses (libraries from \
                 V3 on keep it in MailData/Signatures/AccountsMap.plist)"
                    .to_owned(),
            ),
        }
    }

    /// What a mailbox needs to fetch its gaps from `fetcher`: its name on the server (asked of
    /// the server now) and its messages' UIDs and Message-IDs.
    fn mailbox_server(
        &self,
        mailbox: &Mailbox,
        fetcher: Arc<crate::sources::imap::ServerFetcher>,
        folder: &FolderPath,
        database: PathBuf,
    ) -> MailboxServer {
        let names = mailbox
            .key
            .as_ref()
            .map(|(_, names)| names.as_slice())
            .unwrap_or_default();
        let keys = match (&self.index, mailbox.index_row) {
            (Some(index), Some(row)) => index.server_keys(row).unwrap_or_default(),
            _ => BTreeMap::new(),
        };
        MailboxServer {
            mailbox: fetcher.mailbox_named(names),
            fetcher,
            folder: folder.clone(),
            keys,
            database,
        }
    }

    fn mailbox(&self, folder: &FolderPath) -> Result<&Mailbox> {
        self.mailboxes
            .iter()
            .find(|m| &m.path == folder)
            .ok_or_else(|| Error::NoSuchFolder {
                path: self.root.clone(),
                folder: folder.to_string(),
            })
    }

    /// The index's rows for a mailbox (empty without an index).
    fn index_rows(&self, mailbox: &Mailbox) -> Result<BTreeMap<i64, MessageRow>> {
        match (&self.index, mailbox.index_row) {
            (Some(index), Some(row)) => index.messages(row),
            _ => Ok(BTreeMap::new()),
        }
    }
}

impl MailStore for AppleMailStore {
    fn kind(&self) -> StoreKind {
        self.kind
    }

    fn display_name(&self) -> String {
        self.name.clone()
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn folders(&self) -> Result<Vec<FolderInfo>> {
        let mut folders = Vec::with_capacity(self.mailboxes.len());
        let mut not_downloaded_by_account: BTreeMap<String, u64> = BTreeMap::new();
        for mailbox in &self.mailboxes {
            if let Some(mbox_file) = &mailbox.mbox {
                let mut info = mbox::folder_info(mbox_file, mailbox.path.clone())?;
                info.notes.extend(mailbox.notes.iter().cloned());
                if let Some(note) = toc_mismatch(mbox_file, info.count) {
                    info.notes.push(note);
                }
                folders.push(info);
                continue;
            }
            let mut notes = mailbox.notes.clone();
            let files = match &mailbox.dir {
                Some(dir) => match message_files(dir) {
                    Ok(files) => files,
                    Err(e) => {
                        // Reading its messages fails the same way: a folder error then.
                        notes.push(format!("could not be read: {e}"));
                        Vec::new()
                    }
                },
                None => Vec::new(),
            };
            if let Some((dir, kind)) = &mailbox.unlisted {
                notes.push(format!(
                    "could not be read: {}",
                    Error::io(dir, std::io::Error::from(*kind))
                ));
            }
            let ids: BTreeSet<i64> = files.iter().filter_map(|f| f.id).collect();
            let rows = self.index_rows(mailbox).unwrap_or_else(|e| {
                notes.push(format!(
                    "the Envelope Index could not be read for this mailbox ({e})"
                ));
                BTreeMap::new()
            });
            let without_file = rows.keys().filter(|id| !ids.contains(id)).count();
            let not_downloaded = rows
                .iter()
                .filter(|(id, row)| !ids.contains(id) && !row.is_deleted())
                .count();
            if not_downloaded > 0 {
                let account = mailbox.key.as_ref().map(|(account, _)| account.clone());
                let on_server = account
                    .as_ref()
                    .is_some_and(|account| self.server_of(account).is_ok());
                *not_downloaded_by_account
                    .entry(account.unwrap_or_default())
                    .or_default() += not_downloaded as u64;
                notes.push(if on_server {
                    format!(
                        "{not_downloaded} message(s) were never downloaded by Apple Mail; give \
                         the account's password to fetch them from its server, or let Mail \
                         download them (select the mailbox in Mail while online) and convert \
                         again"
                    )
                } else {
                    format!(
                        "{not_downloaded} message(s) were never downloaded by Apple Mail; let \
                         Mail download them (select the mailbox in Mail while online) and \
                         convert again"
                    )
                });
            }
            folders.push(FolderInfo {
                path: mailbox.path.clone(),
                count: (files.len() + without_file) as u64,
                notes,
                kind: FolderKind::Mail,
            });
        }
        self.not_downloaded.record(not_downloaded_by_account);
        Ok(folders)
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        let mailbox = self.mailbox(folder)?;
        if let Some((dir, kind)) = &mailbox.unlisted {
            return Err(Error::io(dir, std::io::Error::from(*kind)));
        }
        if let Some(mbox_file) = &mailbox.mbox {
            return Ok(Box::new(MboxMessages::open(mbox_file, folder.clone())?));
        }
        let files = match &mailbox.dir {
            Some(dir) => message_files(dir)?,
            None => Vec::new(),
        };
        // A failing index does not stop the files from converting; its error comes last.
        let (rows, index_error) = match self.index_rows(mailbox) {
            Ok(rows) => (rows, None),
            Err(e) => (BTreeMap::new(), Some(e)),
        };
        let ids: BTreeSet<i64> = files.iter().filter_map(|f| f.id).collect();
        let database = self
            .index
            .as_ref()
            .map(|i| i.path().to_path_buf())
            .unwrap_or_default();
        let (missing, deleted): (Vec<MessageRow>, Vec<MessageRow>) = rows
            .values()
            .filter(|row| !ids.contains(&row.rowid))
            .copied()
            .partition(|row| !row.is_deleted());
        let gaps = mailbox
            .key
            .as_ref()
            .and_then(|(account, _)| self.gap_sources.get(account));
        let server = match &gaps {
            Some(GapSource::Server(fetcher)) => Some(Arc::new(self.mailbox_server(
                mailbox,
                Arc::clone(fetcher),
                folder,
                database.clone(),
            ))),
            _ => None,
        };
        let folder = folder.clone();
        let files_server = server.clone();
        let from_files = files.into_iter().map(move |file| {
            let row = file.id.and_then(|id| rows.get(&id)).copied();
            let (found, parts_missing) = read_file(&folder, &file.path, row);
            Ok(match (found, &files_server) {
                (Found::Message(message), Some(server)) if parts_missing => {
                    Found::Message(server.complete(file.id, message))
                }
                (found, _) => found,
            })
        });
        let skipped = |row: &MessageRow, reason: SkipReason| Found::Skipped {
            origin: Origin::DatabaseRow {
                database: database.clone(),
                row: row.rowid,
            },
            reason,
        };
        let deleted: Vec<Found> = deleted
            .iter()
            .map(|row| skipped(row, SkipReason::DeletedInSource(CLIENT.to_string())))
            .collect();
        let from_index: Box<dyn Iterator<Item = Found> + Send> = match server {
            // Fetched only when the folder's reading gets there.
            Some(server) => Box::new(server.fetch_rows(missing)),
            None => {
                let reason = match gaps {
                    Some(GapSource::Unavailable(why)) => SkipReason::NotFetched(why),
                    _ => SkipReason::NotDownloaded,
                };
                let found: Vec<Found> = missing
                    .iter()
                    .map(|row| skipped(row, reason.clone()))
                    .collect();
                Box::new(found.into_iter())
            }
        };
        Ok(Box::new(
            from_files
                .chain(from_index.map(Ok))
                .chain(deleted.into_iter().map(Ok))
                .chain(index_error.into_iter().map(Err)),
        ))
    }

    /// While messages are fetched from a server, reading costs downloads: the demo stops
    /// reading a folder once its ten messages are written.
    fn downloads(&self) -> bool {
        self.gap_sources.any_server()
    }

    fn gaps(&self) -> Vec<ServerGap> {
        let counted = self.not_downloaded.get_or_list(|| self.folders().is_ok());
        counted
            .into_iter()
            .filter(|(account, messages)| *messages > 0 && !account.is_empty())
            .map(|(account, messages)| ServerGap {
                name: self.account_name(&account),
                server: self.server_of(&account).map(|(server, _)| server),
                account,
                messages,
            })
            .collect()
    }

    fn fill_gaps(&self, account: &str, mut server: ImapAccount) -> Result<()> {
        if !self
            .accounts
            .iter()
            .any(|(dir, _)| folder_name(dir) == account)
        {
            return Err(Error::Server {
                server: server.label(),
                what: format!("{} has no account {account}", self.name),
            });
        }
        let recorded = self.server_of(account).ok();
        let port_known = recorded.as_ref().is_none_or(|(_, known)| *known);
        let same_server = recorded.as_ref().is_some_and(|(recorded, _)| {
            recorded.host == server.host && recorded.port == server.port
        });
        if !port_known && same_server {
            server::settle_port(&mut server);
        }
        self.gap_sources.connect(account.to_owned(), server)
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// A note when an export's `table_of_contents` (beside its `mbox`) counts other than the mbox.
fn toc_mismatch(mbox_file: &Path, counted: u64) -> Option<String> {
    let toc = mbox_file.with_file_name("table_of_contents");
    let listed = export::table_of_contents_count(&toc)?;
    (u64::from(listed) != counted).then(|| {
        format!(
            "the export's table of contents lists {listed} message(s) but its mbox file holds \
             {counted}; the mbox file is what is converted"
        )
    })
}

/// One message file as a [`Found`]: flags from the emlx trailer (the Envelope Index fills in
/// what the trailer lacks), stripped attachments put back, deleted ones skipped.
pub(super) fn read_message(folder: &FolderPath, path: &Path, row: Option<MessageRow>) -> Found {
    read_file(folder, path, row).0
}

/// [`read_message`], and whether some attachment of a partial message could not be put back
/// (the whole message is then worth fetching from the server).
fn read_file(folder: &FolderPath, path: &Path, row: Option<MessageRow>) -> (Found, bool) {
    let found = |found| (found, false);
    let origin = Origin::File {
        path: path.to_path_buf(),
    };
    let parsed = match emlx::read(path) {
        Ok(parsed) => parsed,
        Err(e @ Error::Format { .. }) => {
            return found(Found::Skipped {
                origin,
                reason: SkipReason::Unreadable(format!("corrupt emlx file: {e}")),
            });
        }
        Err(e) => {
            return found(Found::Skipped {
                origin,
                reason: SkipReason::Unreadable(e.to_string()),
            });
        }
    };
    let trailer_flags = parsed.trailer.as_ref().and_then(|t| t.flags);
    let deleted = match trailer_flags {
        Some(flags) => flags.deleted(),
        None => row.is_some_and(|r| r.is_deleted()),
    };
    if deleted {
        return found(Found::Skipped {
            origin,
            reason: SkipReason::DeletedInSource(CLIENT.to_string()),
        });
    }
    let flags = match (trailer_flags, row) {
        (Some(flags), _) => flags.message_flags(),
        (None, Some(row)) => row.message_flags(),
        (None, None) => Default::default(),
    };
    let received = parsed.trailer.as_ref().and_then(|t| t.date_received);
    let mut warnings = parsed.warnings;
    let rebuilt = partial::reassemble(parsed.message, path);
    let parts_missing = !rebuilt.warnings.is_empty();
    warnings.extend(rebuilt.warnings);
    let mut message = RawMessage::new(folder.clone(), rebuilt.message, origin);
    message.flags = flags;
    message.received = received;
    message.warnings = warnings;
    (Found::Message(message), parts_missing)
}

/// A folder's own name.
fn folder_name(dir: &Path) -> String {
    dir.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// The account folders of a library: every folder holding mailboxes, except other `V*`
/// libraries and `MailData`.
fn account_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(sub_dirs(dir)?
        .into_iter()
        .filter(|d| version_number(d).is_none())
        .filter(|d| d.file_name().is_some_and(|n| n != "MailData"))
        .filter(|d| has_mailbox_child(d))
        .collect())
}

/// Adds the mailboxes inside `dir` (an account folder or a mailbox) below `parent`. Children
/// are nested inside the parent's bundle (V2+) or in a sibling folder named like it without
/// the suffix (Mail 2–4); a plain folder holding mailboxes becomes a folder too.
fn collect_mailboxes(
    dir: &Path,
    parent: &FolderPath,
    account: &str,
    disk_names: &[String],
    out: &mut Vec<Mailbox>,
) -> Result<()> {
    let dirs = sub_dirs(dir)?;
    let bundle_stems: BTreeSet<String> = dirs
        .iter()
        .filter_map(|d| {
            mailbox_name(d).map(|_| {
                d.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
        })
        .collect();
    for child in &dirs {
        let file_name = child
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Some(name) = mailbox_name(child) {
            let path = parent.child(name.clone());
            let mut names = disk_names.to_vec();
            names.push(name);
            let key = Some((account.to_string(), names.clone()));
            out.push(Mailbox::on_disk(path.clone(), child, key)?);
            // A mailbox that cannot be listed fails when its messages are read; its children
            // are unknown.
            if fs::read_dir(child).is_ok() {
                collect_mailboxes(child, &path, account, &names, out)?;
            }
            let sibling = dir.join(child.file_stem().unwrap_or_default());
            if sibling.is_dir() && has_mailbox_child(&sibling) {
                collect_mailboxes(&sibling, &path, account, &names, out)?;
            }
        } else if let Err(error) = fs::read_dir(child) {
            // A folder that cannot be listed may hold mailboxes: a folder error, not silence.
            let mut node = Mailbox::node(parent.child(file_name.nfc().collect::<String>()));
            node.unlisted = Some((child.clone(), error.kind()));
            out.push(node);
        } else if !bundle_stems.contains(&file_name) && has_mailbox_child(child) {
            let name: String = file_name.nfc().collect();
            let path = parent.child(name.clone());
            let mut names = disk_names.to_vec();
            names.push(name);
            out.push(Mailbox::node(path.clone()));
            collect_mailboxes(child, &path, account, &names, out)?;
        }
    }
    Ok(())
}

/// The emlx files of one mailbox: every `Messages/` folder inside it (sharded `Data/x/y/`
/// folders included), without going into child mailboxes. Sorted by message number; when
/// a message has both a full and a partial file, the full one wins.
fn message_files(mailbox_dir: &Path) -> Result<Vec<MessageFile>> {
    let mut found: BTreeMap<(Option<i64>, String), (bool, PathBuf)> = BTreeMap::new();
    let mut pending = vec![mailbox_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        let in_messages = dir.file_name().is_some_and(|n| n == "Messages");
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if file_type.is_dir() {
                if mailbox_name(&path).is_none() && name != "Attachments" {
                    pending.push(path);
                }
                continue;
            }
            if !in_messages || !name.ends_with(".emlx") {
                continue;
            }
            let stem = name.split('.').next().unwrap_or_default().to_string();
            let id = stem.parse::<i64>().ok();
            let partial = name.ends_with(".partial.emlx");
            let key = (
                id,
                if id.is_some() {
                    String::new()
                } else {
                    name.clone()
                },
            );
            match found.get(&key) {
                Some((false, _)) if partial => {}
                _ => {
                    found.insert(key, (partial, path));
                }
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|((id, _), (_, path))| MessageFile { id, path })
        .collect())
}

/// Account display names from the library's own files, by account folder name.
#[derive(Debug, Default)]
struct AccountNames {
    by_folder: BTreeMap<String, String>,
    /// `AccountURL` by account folder name (V3+).
    urls: BTreeMap<String, String>,
}

impl AccountNames {
    fn read(library: &Path) -> AccountNames {
        let mut names = AccountNames::default();
        let mail_data = library.join("MailData");
        // Mail 5–8 (V2): `Accounts.plist`, `MailAccounts` = [{AccountName, AccountPath, uniqueId}].
        if let Ok(value) = plist::Value::from_file(mail_data.join("Accounts.plist"))
            && let Some(accounts) = value
                .as_dictionary()
                .and_then(|d| d.get("MailAccounts"))
                .and_then(|a| a.as_array())
        {
            for account in accounts.iter().filter_map(|a| a.as_dictionary()) {
                let Some(name) = account.get("AccountName").and_then(|n| n.as_string()) else {
                    continue;
                };
                if let Some(path) = account.get("AccountPath").and_then(|p| p.as_string())
                    && let Some(folder) = path.rsplit('/').find(|s| !s.is_empty())
                {
                    names.by_folder.insert(folder.to_string(), name.to_string());
                }
                if let Some(id) = account.get("uniqueId").and_then(|p| p.as_string()) {
                    names
                        .by_folder
                        .entry(id.to_string())
                        .or_insert(name.to_string());
                }
            }
        }
        // V3+: `Signatures/AccountsMap.plist` = {UUID: {AccountURL: "imap://user%40host@server/"}}.
        if let Ok(value) =
            plist::Value::from_file(mail_data.join("Signatures").join("AccountsMap.plist"))
            && let Some(map) = value.as_dictionary()
        {
            for (uuid, entry) in map {
                let Some(url) = entry
                    .as_dictionary()
                    .and_then(|d| d.get("AccountURL"))
                    .and_then(|u| u.as_string())
                else {
                    continue;
                };
                if let Some(name) = account_from_url(url) {
                    names.by_folder.entry(uuid.clone()).or_insert(name);
                }
                names.urls.insert(uuid.clone(), url.to_owned());
            }
        }
        names
    }

    /// The name for an account folder: from the library's files, else from the folder name.
    fn name_of(&self, folder: &str) -> String {
        if let Some(name) = self.by_folder.get(folder) {
            return name.clone();
        }
        if folder == "Mailboxes" {
            return "On My Mac".to_string();
        }
        for prefix in ["POP-", "IMAP-", "EWS-", "Exchange-", "Mac-"] {
            if let Some(rest) = folder.strip_prefix(prefix)
                && !rest.is_empty()
            {
                return rest.to_string();
            }
        }
        folder.nfc().collect()
    }
}

/// `imap://user%40example.com@mail.example.com/` → `user@example.com`; a URL without a user
/// gives its host; an opaque one (Exchange store ids) gives nothing.
fn account_from_url(url: &str) -> Option<String> {
    let authority = url.split_once("://")?.1.split('/').next()?;
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (super::envelope::percent_decode(user), host),
        None => (String::new(), authority),
    };
    if !user.is_empty() {
        Some(user)
    } else if host.contains('.') && !host.contains('=') {
        Some(super::envelope::percent_decode(host))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_from_urls() {
        assert_eq!(
            account_from_url("imap://user%40example.com@mail.example.com/").as_deref(),
            Some("user@example.com")
        );
        assert_eq!(
            account_from_url("imap://mail.example.com/").as_deref(),
            Some("mail.example.com")
        );
        assert_eq!(account_from_url("ews://AAMkAGE5==/"), None);
    }

    #[test]
    fn folder_names_without_a_plist() {
        let names = AccountNames::default();
        assert_eq!(names.name_of("Mailboxes"), "On My Mac");
        assert_eq!(names.name_of("POP-me@example.com"), "me@example.com");
        assert_eq!(names.name_of("3B5B0A3E"), "3B5B0A3E");
    }

    #[test]
    fn full_disk_access_hint_only_inside_a_mail_library() {
        let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let inside = Error::io(Path::new("/Users/a/Library/Mail/V10"), denied());
        match inside {
            Error::PermissionDenied {
                hint: Some(hint), ..
            } => {
                assert!(hint.contains("Full Disk Access"));
                assert!(hint.contains("System Settings"));
            }
            other => panic!("{other:?}"),
        }
        let outside = Error::io(Path::new("/tmp/copy"), denied());
        assert!(matches!(
            outside,
            Error::PermissionDenied { hint: None, .. }
        ));
    }
}
