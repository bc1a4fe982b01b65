//! A Thunderbird or Postbox store opened read-only: a whole profile (accounts from `prefs.js`),
//! a `Mail/` or `ImapMail/` folder, one account's folder, or a single folder file with its
//! `.msf`. The folder tree is listed once when the store is opened; counting and reading open
//! the files only when asked.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::folders::{self, AccountWalk, FolderNode, FolderStorage, NameSources, SpecialFolder};
use super::prefs::{Account, Prefs, ServerType, StoreFormat};
use super::profile;
use super::read::{self, MaildirMessages, MboxMessages, ReadContext};
use crate::model::{FolderPath, StoreKind};
use crate::sources::{Error, FolderInfo, MailStore, MessageIter, Probe, Result};

/// A Thunderbird or Postbox store.
#[derive(Debug)]
pub struct MozillaStore {
    kind: StoreKind,
    root: PathBuf,
    name: String,
    accounts: Vec<Account>,
    tags: BTreeMap<String, String>,
    nodes: Vec<FolderNode>,
    warnings: Vec<String>,
}

/// The shape of a path a user pointed at.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    /// A profile folder (`prefs.js`, `Mail/`, `ImapMail/`).
    Profile,
    /// `Mail/` or `ImapMail/` of a profile, or a copy of one: one account per subfolder.
    MailRoot,
    /// One account's folder: folder files with their `.msf` summaries.
    AccountDir,
    /// One folder: an mbox file next to its `.msf`.
    FolderFile,
}

fn summary_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".msf");
    PathBuf::from(name)
}

fn shape_of(path: &Path) -> Option<Shape> {
    if path.is_file() {
        return summary_of(path).is_file().then_some(Shape::FolderFile);
    }
    if !path.is_dir() {
        return None;
    }
    if profile::looks_like_profile(path) {
        return Some(Shape::Profile);
    }
    let leaf = path
        .file_name()
        .map(|leaf| leaf.to_string_lossy().into_owned());
    if matches!(leaf.as_deref(), Some("Mail" | "ImapMail")) && profile::has_account_folders(path) {
        return Some(Shape::MailRoot);
    }
    profile::has_summaries(path).then_some(Shape::AccountDir)
}

/// True when `path` is something this reader opens (cheap: a few `stat`s and one listing).
pub fn recognizes(path: &Path) -> bool {
    shape_of(path).is_some()
}

/// Postbox or Thunderbird, by the folders a profile lives in.
fn kind_of(path: &Path) -> StoreKind {
    let postbox = path.ancestors().any(|dir| {
        dir.file_name()
            .map(|leaf| leaf.to_string_lossy().to_lowercase())
            .is_some_and(|leaf| leaf == "postbox" || leaf == "postboxapp")
    });
    if postbox {
        StoreKind::Postbox
    } else {
        StoreKind::Thunderbird
    }
}

/// The name of a profile folder: from the `profiles.ini` beside it or above it, else the part
/// of the folder name after Thunderbird's random prefix (`ng5ko9yq.default-default`).
fn profile_name(path: &Path) -> String {
    for root in path.ancestors().skip(1).take(2) {
        if let Ok(entries) = profile::read_profiles_ini(root)
            && let Some(entry) = entries.iter().find(|entry| same_path(&entry.path, path))
        {
            return entry.name.clone();
        }
    }
    let leaf = path
        .file_name()
        .map(|leaf| leaf.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    leaf.split_once('.')
        .map(|(_, name)| name.to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or(leaf)
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// An account made up for a folder of folders when no `prefs.js` describes it.
fn account_for_dir(dir: &Path, imap: bool) -> Account {
    let name = dir
        .file_name()
        .map(|leaf| leaf.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let maildir = fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.path().join("cur").is_dir())
    });
    Account {
        key: String::new(),
        server_key: String::new(),
        server_type: if imap {
            ServerType::Imap
        } else if name == "Local Folders" {
            ServerType::Local
        } else {
            ServerType::Pop3
        },
        name: name.clone(),
        email: None,
        hostname: Some(name),
        user_name: None,
        directory: Some(dir.to_path_buf()),
        store: if maildir {
            StoreFormat::Maildir
        } else {
            StoreFormat::Mbox
        },
        uri: None,
    }
}

/// One account per subfolder of `Mail/` or `ImapMail/`, in name order.
fn accounts_in_mail_root(root: &Path) -> Vec<Account> {
    let imap = root.file_name().is_some_and(|leaf| leaf == "ImapMail");
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.is_dir())
                .filter(|path| {
                    path.file_name()
                        .is_some_and(|leaf| !folders::is_ignored(&leaf.to_string_lossy()))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.iter().map(|dir| account_for_dir(dir, imap)).collect()
}

impl MozillaStore {
    /// Opens whatever Thunderbird or Postbox data `path` is: a profile folder, a `Mail/` or
    /// `ImapMail/` folder, an account's folder, or one folder file with its `.msf`.
    pub fn open(path: &Path) -> Result<MozillaStore> {
        let kind = kind_of(path);
        match shape_of(path) {
            Some(Shape::Profile) => MozillaStore::open_profile(path, kind, None),
            Some(Shape::MailRoot) => {
                let parent = path
                    .parent()
                    .filter(|parent| parent.join("prefs.js").is_file());
                match parent {
                    Some(profile_dir) => {
                        let mut store = MozillaStore::open_profile(profile_dir, kind, None)?;
                        store.keep_accounts_under(path);
                        store.root = path.to_path_buf();
                        Ok(store)
                    }
                    None => {
                        let accounts = accounts_in_mail_root(path);
                        Ok(MozillaStore::from_accounts(
                            kind,
                            path,
                            accounts,
                            BTreeMap::new(),
                        ))
                    }
                }
            }
            Some(Shape::AccountDir) => {
                let imap = path
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|leaf| leaf == "ImapMail");
                let account = account_for_dir(path, imap);
                Ok(MozillaStore::from_accounts(
                    kind,
                    path,
                    vec![account],
                    BTreeMap::new(),
                ))
            }
            Some(Shape::FolderFile) => Ok(MozillaStore::open_folder_file(path, kind)),
            None => Err(Error::Unrecognized {
                path: path.to_path_buf(),
                what: "not a Thunderbird or Postbox profile, mail folder, or folder file with \
                       its .msf summary"
                    .to_owned(),
            }),
        }
    }

    /// Opens a profile folder. `name` is the profile's name; when None it comes from
    /// `profiles.ini` or the folder's name.
    pub fn open_profile(
        path: &Path,
        kind: StoreKind,
        name: Option<String>,
    ) -> Result<MozillaStore> {
        let meta = fs::metadata(path).map_err(|error| Error::io(path, error))?;
        if !meta.is_dir() {
            return Err(Error::Unrecognized {
                path: path.to_path_buf(),
                what: "a profile is a folder".to_owned(),
            });
        }
        let mut warnings = Vec::new();
        let prefs_path = path.join("prefs.js");
        let prefs = match fs::read(&prefs_path) {
            Ok(bytes) => {
                let (prefs, problems) = Prefs::parse(&String::from_utf8_lossy(&bytes));
                if let Some(first) = problems.first() {
                    warnings.push(format!(
                        "{}: {} settings could not be read (first: {first}); the others are used",
                        prefs_path.display(),
                        problems.len()
                    ));
                }
                Some(prefs)
            }
            Err(error) => {
                warnings.push(format!(
                    "{}: {}; accounts are taken from the folders in Mail/ and ImapMail/",
                    prefs_path.display(),
                    if error.kind() == std::io::ErrorKind::NotFound {
                        "missing".to_owned()
                    } else {
                        error.to_string()
                    }
                ));
                None
            }
        };
        let (accounts, tags) = match &prefs {
            Some(prefs) if prefs.string("mail.accountmanager.accounts").is_some() => {
                let (accounts, notes) = prefs.accounts(path);
                warnings.extend(notes);
                (accounts, prefs.tag_names())
            }
            _ => {
                if prefs.is_some() {
                    warnings.push(format!(
                        "{}: no mail accounts listed; accounts are taken from the folders in \
                         Mail/ and ImapMail/",
                        prefs_path.display()
                    ));
                }
                let mut accounts = accounts_in_mail_root(&path.join("Mail"));
                accounts.extend(accounts_in_mail_root(&path.join("ImapMail")));
                let tags = prefs
                    .as_ref()
                    .map(Prefs::tag_names)
                    .unwrap_or_else(|| Prefs::default().tag_names());
                (accounts, tags)
            }
        };
        let profile_name = name.unwrap_or_else(|| profile_name(path));
        let mut store = MozillaStore::from_accounts(kind, path, accounts, tags);
        store.name = format!("{} — {profile_name}", kind.label());
        warnings.append(&mut store.warnings);
        store.warnings = warnings;
        if let Some(warning) = profile::lock_warning(path, kind.label()) {
            store.warnings.insert(0, warning);
        }
        Ok(store)
    }

    fn from_accounts(
        kind: StoreKind,
        root: &Path,
        accounts: Vec<Account>,
        tags: BTreeMap<String, String>,
    ) -> MozillaStore {
        let mut warnings = Vec::new();
        // Folder names come from the profile's caches; the profile is the root, or above a
        // Mail/ folder.
        let profile_dir = if profile::looks_like_profile(root) {
            root.to_path_buf()
        } else {
            root.ancestors()
                .find(|dir| dir.join("prefs.js").is_file())
                .unwrap_or(root)
                .to_path_buf()
        };
        let names = NameSources::load(&profile_dir);
        let mut nodes = Vec::new();
        for (index, account) in accounts.iter().enumerate() {
            let Some(directory) = &account.directory else {
                warnings.push(format!(
                    "account {}: prefs.js does not say where its folders are",
                    account.name
                ));
                continue;
            };
            if !directory.is_dir() {
                warnings.push(format!(
                    "account {}: its folder {} is missing",
                    account.name,
                    directory.display()
                ));
            }
            let cache_base = if directory.starts_with(&profile_dir) {
                profile_dir.clone()
            } else {
                directory
                    .parent()
                    .and_then(Path::parent)
                    .unwrap_or(directory)
                    .to_path_buf()
            };
            let walk = AccountWalk {
                index,
                name: &account.name,
                directory,
                store: account.store,
                uri: account.uri.as_deref(),
                cache_base: &cache_base,
                summaries_are_folders: account.store == StoreFormat::Maildir
                    || account.server_type == ServerType::Imap,
                imap: account.server_type == ServerType::Imap,
            };
            nodes.extend(folders::walk_account(&walk, &names, &mut warnings));
        }
        let leaf = root
            .file_name()
            .map(|leaf| leaf.to_string_lossy().into_owned())
            .unwrap_or_else(|| root.display().to_string());
        MozillaStore {
            kind,
            root: root.to_path_buf(),
            name: format!("{} — {leaf}", kind.label()),
            accounts,
            tags,
            nodes,
            warnings,
        }
    }

    fn open_folder_file(path: &Path, kind: StoreKind) -> MozillaStore {
        let leaf = path
            .file_name()
            .map(|leaf| leaf.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let name: String =
            unicode_normalization::UnicodeNormalization::nfc(leaf.as_str()).collect();
        let imap = path
            .ancestors()
            .any(|dir| dir.file_name().is_some_and(|leaf| leaf == "ImapMail"));
        let mut account = account_for_dir(path.parent().unwrap_or(path), imap);
        account.store = StoreFormat::Mbox;
        let node = FolderNode {
            path: FolderPath::new([name.clone()]),
            storage: FolderStorage::Mbox {
                file: path.to_path_buf(),
                summary: summary_of(path),
            },
            account: 0,
            special: SpecialFolder::from_file_name(&leaf),
            unlisted: None,
        };
        MozillaStore {
            kind,
            root: path.to_path_buf(),
            name: format!("{} — {name}", kind.label()),
            accounts: vec![account],
            tags: Prefs::default().tag_names(),
            nodes: vec![node],
            warnings: Vec::new(),
        }
    }

    /// Keeps only the accounts whose folders are under `dir` (a `Mail/` folder the user picked).
    fn keep_accounts_under(&mut self, dir: &Path) {
        let kept: Vec<bool> = self
            .accounts
            .iter()
            .map(|account| {
                account
                    .directory
                    .as_ref()
                    .is_some_and(|directory| directory.starts_with(dir))
            })
            .collect();
        self.nodes
            .retain(|node| kept.get(node.account).copied().unwrap_or(false));
    }

    /// The accounts, in Thunderbird's order.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// Tag key (lower case) → the name Thunderbird shows.
    pub fn tag_names(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    fn node(&self, folder: &FolderPath) -> Result<&FolderNode> {
        self.nodes
            .iter()
            .find(|node| &node.path == folder)
            .ok_or_else(|| Error::NoSuchFolder {
                path: self.root.clone(),
                folder: folder.to_string(),
            })
    }

    fn context(&self, node: &FolderNode) -> ReadContext {
        let imap = self
            .accounts
            .get(node.account)
            .is_some_and(|account| account.server_type == ServerType::Imap);
        ReadContext {
            folder: node.path.clone(),
            tags: self.tags.clone(),
            client: self.kind.label().to_owned(),
            drafts: node.special == Some(SpecialFolder::Drafts),
            imap,
        }
    }
}

impl MailStore for MozillaStore {
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
        Ok(self
            .nodes
            .iter()
            .map(|node| {
                let imap = self.context(node).imap;
                let mut counted = match &node.storage {
                    FolderStorage::Container => read::FolderCount::default(),
                    FolderStorage::Mbox { file, summary } => read::count_mbox(file, summary, imap),
                    FolderStorage::Maildir { dir, summary } => read::count_maildir(dir, summary),
                };
                if node.special == Some(SpecialFolder::Outbox) && counted.count > 0 {
                    counted.notes.push(format!(
                        "the Outbox: messages written but not sent yet by {}",
                        self.kind.label()
                    ));
                }
                FolderInfo {
                    path: node.path.clone(),
                    count: counted.count,
                    notes: counted.notes,
                }
            })
            .collect())
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        let node = self.node(folder)?;
        let context = self.context(node);
        let messages: MessageIter<'_> = match &node.storage {
            FolderStorage::Container => Box::new(std::iter::empty()),
            FolderStorage::Mbox { file, summary } => {
                Box::new(MboxMessages::open(file, summary, context)?)
            }
            FolderStorage::Maildir { dir, summary } => {
                Box::new(MaildirMessages::open(dir, summary, context)?)
            }
        };
        // Sub-folders that could not be listed: the folder's own messages, then the error.
        Ok(match &node.unlisted {
            None => messages,
            Some((dir, kind)) => Box::new(
                messages.chain(std::iter::once(Err(Error::io(dir, std::io::Error::from(*kind))))),
            ),
        })
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// The detector for [`crate::sources::open`]: a Thunderbird or Postbox profile, a `Mail/` or
/// `ImapMail/` folder, an account's folder, or a folder file next to its `.msf`.
pub fn detect(path: &Path, _probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !recognizes(path) {
        return Ok(None);
    }
    Ok(Some(Box::new(MozillaStore::open(path)?)))
}
