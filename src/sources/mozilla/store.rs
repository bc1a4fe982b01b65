//! A Thunderbird or Postbox store opened read-only, from whatever level a person points at: the
//! application's data folder (`profiles.ini`: each profile with mail), its `Profiles/` folder,
//! a profile (accounts from `prefs.js`), or a part of one — `Mail/` or `ImapMail/`, an
//! account's folder, a `.sbd` folder, one folder file with its `.msf`. A part is read with its
//! profile (account names, tags, the real names of hashed folders) and keeps the folder paths
//! Thunderbird shows. Copies outside a profile are read from their folders alone. The folder
//! tree is listed once when the store is opened; counting and reading open the files only when
//! asked.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::folders::{self, AccountWalk, FolderNode, FolderStorage, NameSources, SpecialFolder};
use super::pim::{self, PimFolder};
use super::prefs::{Account, Prefs, ServerType, StoreFormat};
use super::profile;
use super::read::{self, MaildirMessages, MboxMessages, ReadContext};
use crate::model::{FolderKind, FolderPath, StoreKind};
use crate::sources::imap::{self, GapCounts, GapSources, ImapAccount, Password, Security};
use crate::sources::{Error, FolderInfo, MailStore, MessageIter, Probe, Result, ServerGap};

/// A Thunderbird or Postbox store.
#[derive(Debug)]
pub struct MozillaStore {
    kind: StoreKind,
    root: PathBuf,
    name: String,
    accounts: Vec<Account>,
    tags: BTreeMap<String, String>,
    nodes: Vec<FolderNode>,
    /// The profile's address books and calendars (a whole profile only).
    pim: Vec<PimFolder>,
    warnings: Vec<String>,
    /// Where each IMAP account's messages never stored offline are fetched from, by account
    /// index, once the user asked for them.
    gap_sources: GapSources<usize>,
    /// Messages each IMAP account lists without a stored copy, by account index, as
    /// [`MailStore::folders`] last counted them.
    not_downloaded: GapCounts<usize>,
}

/// The shape of a path a user pointed at.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Shape {
    /// The application's data folder (`profiles.ini`) or its `Profiles/` folder: its profiles
    /// with mail.
    DataFolder,
    /// A profile folder (`prefs.js`, `Mail/`, `ImapMail/`).
    Profile,
    /// Something inside a profile's `Mail/` or `ImapMail/`: that folder itself, an account's
    /// folder, a `.sbd` folder, a folder file or a maildir folder. Read with the whole profile
    /// (account names, tags, real folder names), keeping only the part pointed at.
    InProfile { profile: PathBuf },
    /// `Mail/` or `ImapMail/` outside a profile (a copy): one account per subfolder.
    MailRoot,
    /// One account's folder outside a profile: folder files with their `.msf` summaries.
    AccountDir,
    /// A `.sbd` folder outside a profile: the folder it belongs to and its subfolders, read in
    /// the account folder above.
    Subfolders { account_dir: PathBuf },
    /// One folder outside a profile: an mbox file next to its `.msf`.
    FolderFile,
}

fn summary_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".msf");
    PathBuf::from(name)
}

fn is_mail_root_name(dir: &Path) -> bool {
    dir.file_name()
        .is_some_and(|leaf| leaf == "Mail" || leaf == "ImapMail")
}

fn is_sbd(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|leaf| leaf.to_string_lossy().ends_with(".sbd"))
}

/// The profile whose `Mail/` or `ImapMail/` holds `path` (or is `path`), when `path` is a part
/// of it a person would pick: that folder, an account's folder, a `.sbd` folder, or a folder
/// (file or maildir directory) with its `.msf`. Cheap: names first, a few `stat`s after.
fn enclosing_profile(path: &Path) -> Option<PathBuf> {
    let mail_root = path.ancestors().find(|dir| is_mail_root_name(dir))?;
    let profile = mail_root.parent()?;
    if !profile.join("prefs.js").is_file() || !profile::looks_like_profile(profile) {
        return None;
    }
    let is_part = path == mail_root
        || (path.parent() == Some(mail_root) && path.is_dir())
        || (is_sbd(path) && path.is_dir())
        || summary_of(path).is_file();
    is_part.then(|| profile.to_path_buf())
}

fn shape_of(path: &Path) -> Option<Shape> {
    let is_dir = path.is_dir();
    if is_dir && profile::looks_like_profile(path) {
        return Some(Shape::Profile);
    }
    if let Some(profile) = enclosing_profile(path) {
        return Some(Shape::InProfile { profile });
    }
    if is_dir && profile::is_data_folder(path) {
        return Some(Shape::DataFolder);
    }
    shape_outside_profile(path)
}

/// The shape of Thunderbird data read from its folders alone: a copy of `Mail/`, of an
/// account's folder, of a `.sbd` folder, or one folder file with its `.msf`.
fn shape_outside_profile(path: &Path) -> Option<Shape> {
    if path.is_file() {
        return summary_of(path).is_file().then_some(Shape::FolderFile);
    }
    if !path.is_dir() {
        return None;
    }
    if is_mail_root_name(path) && profile::has_account_folders(path) {
        return Some(Shape::MailRoot);
    }
    if is_sbd(path) && profile::has_summaries(path) {
        let account_dir = path.ancestors().find(|dir| !is_sbd(dir))?;
        return Some(Shape::Subfolders {
            account_dir: account_dir.to_path_buf(),
        });
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
    profile::name_from_folder(path)
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
        port: None,
        socket_type: None,
        directory: Some(dir.to_path_buf()),
        store: if maildir {
            StoreFormat::Maildir
        } else {
            StoreFormat::Mbox
        },
        uri: None,
    }
}

/// True when an account's folder lies in an `ImapMail/` folder.
fn is_imap_account_dir(dir: &Path) -> bool {
    dir.parent()
        .and_then(Path::file_name)
        .is_some_and(|leaf| leaf == "ImapMail")
}

/// A data folder where no profile holds mail.
fn no_profile_with_mail(path: &Path, kind: StoreKind) -> Error {
    Error::Unrecognized {
        path: path.to_path_buf(),
        what: format!(
            "a {} data folder, but none of its profiles holds mail (no Mail or ImapMail folder)",
            kind.label()
        ),
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
    /// Opens whatever Thunderbird or Postbox data `path` is: a data folder (the profile its
    /// installation uses; [`MozillaStore::open_data_folder`] opens every profile with mail), a
    /// profile, or a part of one (`Mail/`, `ImapMail/`, an account's folder, a `.sbd` folder,
    /// a folder file with its `.msf`), also outside a profile.
    pub fn open(path: &Path) -> Result<MozillaStore> {
        let kind = kind_of(path);
        let shape = shape_of(path);
        if let Some(Shape::InProfile { profile }) = &shape {
            let mut store = MozillaStore::open_profile(profile, kind, None)?;
            if store.keep_part(path) {
                return Ok(store);
            }
            // Not the mail of an account prefs.js lists (a removed account's folders): read
            // from the folders alone.
            let mut store = MozillaStore::open_shape(path, kind, shape_outside_profile(path))?;
            store.warnings.push(format!(
                "{}: none of the profile's accounts keeps its mail here; the folders are read as \
                 they are found",
                path.display()
            ));
            return Ok(store);
        }
        MozillaStore::open_shape(path, kind, shape)
    }

    fn open_shape(path: &Path, kind: StoreKind, shape: Option<Shape>) -> Result<MozillaStore> {
        match shape {
            Some(Shape::DataFolder) => {
                let mut stores = MozillaStore::open_data_folder(path)?.into_iter();
                let Some(mut first) = stores.next() else {
                    return Err(no_profile_with_mail(path, kind));
                };
                for other in stores {
                    first.warnings.push(format!(
                        "{} also holds {} ({}); add that folder to convert it too",
                        path.display(),
                        other.name,
                        other.root.display()
                    ));
                }
                Ok(first)
            }
            Some(Shape::Profile) => MozillaStore::open_profile(path, kind, None),
            Some(Shape::MailRoot) => {
                let accounts = accounts_in_mail_root(path);
                Ok(MozillaStore::from_accounts(
                    kind,
                    path,
                    accounts,
                    BTreeMap::new(),
                ))
            }
            Some(Shape::AccountDir) => {
                let account = account_for_dir(path, is_imap_account_dir(path));
                Ok(MozillaStore::from_accounts(
                    kind,
                    path,
                    vec![account],
                    BTreeMap::new(),
                ))
            }
            Some(Shape::Subfolders { account_dir }) => {
                let account = account_for_dir(&account_dir, is_imap_account_dir(&account_dir));
                let mut store =
                    MozillaStore::from_accounts(kind, &account_dir, vec![account], BTreeMap::new());
                if store.keep_part(path) {
                    Ok(store)
                } else {
                    Err(Error::Unrecognized {
                        path: path.to_path_buf(),
                        what: "a .sbd folder whose folders are not in the account folder above it"
                            .to_owned(),
                    })
                }
            }
            Some(Shape::FolderFile) => Ok(MozillaStore::open_folder_file(path, kind)),
            Some(Shape::InProfile { .. }) | None => Err(Error::Unrecognized {
                path: path.to_path_buf(),
                what: "not a Thunderbird or Postbox profile, mail folder, or folder file with \
                       its .msf summary"
                    .to_owned(),
            }),
        }
    }

    /// Every profile with mail of a data folder (the folder of `profiles.ini`, or its
    /// `Profiles/` folder), the one its installation uses first; none when no profile there
    /// holds mail.
    pub fn open_data_folder(path: &Path) -> Result<Vec<MozillaStore>> {
        let kind = kind_of(path);
        let found = profile::profiles_with_mail(path);
        let mut stores = Vec::new();
        for entry in found.profiles {
            let mut store = MozillaStore::open_profile(&entry.path, kind, Some(entry.name))?;
            store.warnings.extend(found.notes.iter().cloned());
            stores.push(store);
        }
        Ok(stores)
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
        store.pim = pim::find(path, prefs.as_ref(), &mut warnings);
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
            pim: Vec::new(),
            warnings,
            gap_sources: GapSources::default(),
            not_downloaded: GapCounts::default(),
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
            location: path.to_path_buf(),
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
            pim: Vec::new(),
            warnings: Vec::new(),
            gap_sources: GapSources::default(),
            not_downloaded: GapCounts::default(),
        }
    }

    /// Keeps the part of the store a person pointed at, `part`: a `Mail/` or `ImapMail/` folder
    /// (the accounts kept there), an account's folder (that account), a `.sbd` folder (the
    /// folder it belongs to and all below it), or a folder's file or maildir directory (that
    /// folder alone). The folders above what is kept stay in the tree as empty parents, so
    /// every kept folder keeps the path Thunderbird shows for it. False, and nothing kept, when
    /// no folder of the store is there.
    fn keep_part(&mut self, part: &Path) -> bool {
        if is_mail_root_name(part) {
            let kept: Vec<bool> = self
                .accounts
                .iter()
                .map(|account| {
                    account
                        .directory
                        .as_ref()
                        .is_some_and(|directory| directory.starts_with(part))
                })
                .collect();
            self.nodes
                .retain(|node| kept.get(node.account).copied().unwrap_or(false));
            self.root = part.to_path_buf();
            self.pim.clear();
            return !self.nodes.is_empty();
        }
        let owner = is_sbd(part).then(|| part.with_extension(""));
        let picked = self.nodes.iter().find_map(|node| {
            if same_path(&node.location, part) {
                // An account's folder brings its folders; a folder's file, only the folder.
                Some((node.path.clone(), node.path.depth() == 1))
            } else if owner
                .as_deref()
                .is_some_and(|owner| same_path(&node.location, owner))
            {
                Some((node.path.clone(), true))
            } else {
                None
            }
        });
        let Some((folder, with_subfolders)) = picked else {
            return false;
        };
        self.nodes.retain_mut(|node| {
            if node.path == folder || (with_subfolders && node.path.starts_with(&folder)) {
                true
            } else if folder.starts_with(&node.path) {
                node.storage = FolderStorage::Container;
                true
            } else {
                false
            }
        });
        self.root = part.to_path_buf();
        self.pim.clear();
        self.name = format!("{} — {folder}", self.kind.label());
        true
    }

    /// Gives the store the name it is shown by (discovery tells apart a Snap or Flatpak copy).
    pub fn rename(&mut self, name: String) {
        self.name = name;
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
            gaps: self.gap_sources.get(&node.account),
        }
    }

    /// The key [`MailStore::fill_gaps`] knows an account by: its server's key in prefs.js
    /// (`server2`), or its place among the accounts when the store was read without prefs.js.
    fn gap_key(index: usize, account: &Account) -> String {
        if account.server_key.is_empty() {
            format!("account{}", index + 1)
        } else {
            account.server_key.clone()
        }
    }

    /// The IMAP server of an account as prefs.js gives it (`docs/formats.md` §2.2): host name,
    /// port, user name and `socketType` (3 TLS; anything else STARTTLS, so that a password
    /// never crosses the network unencrypted). Why not, when prefs.js does not say.
    fn server_of(&self, account: &Account) -> Result<ImapAccount, String> {
        let client = self.kind.label();
        if account.server_key.is_empty() {
            return Err(format!(
                "the account was read without its profile's prefs.js, which says which server \
                 {client} uses for it"
            ));
        }
        let Some(host) = account.hostname.clone().filter(|host| !host.is_empty()) else {
            return Err("prefs.js names no server for the account".to_owned());
        };
        let Some(user) = account.user_name.clone().filter(|user| !user.is_empty()) else {
            return Err(format!(
                "prefs.js names no user name for the account on {host}"
            ));
        };
        let security = if account.socket_type == Some(3) {
            Security::Tls
        } else {
            Security::StartTls
        };
        Ok(ImapAccount {
            port: account.port.unwrap_or_else(|| imap::default_port(security)),
            host,
            user,
            password: Password::new(""),
            security,
            trusted_certificate: None,
        })
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

    /// The root, and every folder file, maildir and summary, wherever its account keeps it
    /// (an account's folder may be outside the profile).
    fn reads(&self) -> Vec<PathBuf> {
        let mut reads = vec![self.root.clone()];
        for node in &self.nodes {
            match &node.storage {
                FolderStorage::Container => {}
                FolderStorage::Mbox { file, summary } => {
                    reads.extend([file.clone(), summary.clone()]);
                }
                FolderStorage::Maildir { dir, summary } => {
                    reads.extend([dir.clone(), summary.clone()]);
                }
            }
        }
        reads
    }

    fn folders(&self) -> Result<Vec<FolderInfo>> {
        let mut not_downloaded: BTreeMap<usize, u64> = BTreeMap::new();
        let mut infos: Vec<FolderInfo> = self
            .nodes
            .iter()
            .map(|node| {
                let imap = self.context(node).imap;
                let mut counted = match &node.storage {
                    FolderStorage::Container => read::FolderCount::default(),
                    FolderStorage::Mbox { file, summary } => read::count_mbox(file, summary, imap),
                    FolderStorage::Maildir { dir, summary } => read::count_maildir(dir, summary),
                };
                if counted.not_downloaded > 0 {
                    *not_downloaded.entry(node.account).or_default() += counted.not_downloaded;
                    if let Some(Err(why)) =
                        self.accounts.get(node.account).map(|a| self.server_of(a))
                    {
                        counted
                            .notes
                            .push(format!("they cannot be fetched from the server: {why}"));
                    }
                }
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
                    kind: FolderKind::Mail,
                }
            })
            .collect();
        self.not_downloaded.record(not_downloaded);
        for folder in &self.pim {
            // The top folder ("Address Books", "Calendars") holds them.
            if let Some(parent) = folder.path.parent()
                && !parent.is_root()
                && !infos.iter().any(|info| info.path == parent)
            {
                infos.push(FolderInfo {
                    path: parent,
                    count: 0,
                    notes: Vec::new(),
                    kind: FolderKind::Mail,
                });
            }
            let (count, notes) = match folder.count() {
                Ok(counted) => counted,
                Err(error) => (0, vec![format!("could not be read: {error}")]),
            };
            infos.push(FolderInfo {
                path: folder.path.clone(),
                count,
                notes,
                kind: folder.kind,
            });
        }
        Ok(infos)
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        if let Some(pim) = self.pim.iter().find(|pim| pim.path == *folder) {
            return Ok(Box::new(pim.items()?.into_iter().map(Ok)));
        }
        if !self.pim.is_empty() && self.pim.iter().any(|pim| pim.path.starts_with(folder)) {
            return Ok(Box::new(std::iter::empty()));
        }
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
            Some((dir, kind)) => Box::new(messages.chain(std::iter::once(Err(Error::io(
                dir,
                std::io::Error::from(*kind),
            ))))),
        })
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
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
            .filter(|(_, messages)| *messages > 0)
            .filter_map(|(index, messages)| {
                let account = self.accounts.get(index)?;
                Some(ServerGap {
                    account: Self::gap_key(index, account),
                    name: account.name.clone(),
                    messages,
                    server: self.server_of(account),
                })
            })
            .collect()
    }

    fn fill_gaps(&self, key: &str, server: ImapAccount) -> Result<()> {
        let Some(index) = self
            .accounts
            .iter()
            .enumerate()
            .position(|(index, account)| Self::gap_key(index, account) == key)
        else {
            return Err(Error::Server {
                server: server.label(),
                what: format!("{} has no account {key}", self.name),
            });
        };
        self.gap_sources.connect(index, server)
    }
}

/// The detector for [`crate::sources::open`]: Thunderbird or Postbox data at any level
/// [`MozillaStore::open`] reads.
pub fn detect(path: &Path, _probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !recognizes(path) {
        return Ok(None);
    }
    Ok(Some(Box::new(MozillaStore::open(path)?)))
}

/// Every profile with mail when `path` is a data folder (or its `Profiles/` folder), for
/// [`crate::sources::open_all`]; `Ok(None)` for any other path.
pub fn open_every_profile(path: &Path) -> Result<Option<Vec<Box<dyn MailStore>>>> {
    if shape_of(path) != Some(Shape::DataFolder) {
        return Ok(None);
    }
    let stores = MozillaStore::open_data_folder(path)?;
    if stores.is_empty() {
        return Err(no_profile_with_mail(path, kind_of(path)));
    }
    Ok(Some(
        stores
            .into_iter()
            .map(|store| Box::new(store) as Box<dyn MailStore>)
            .collect(),
    ))
}
