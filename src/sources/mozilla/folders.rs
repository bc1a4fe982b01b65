//! The folder tree of an account directory, as Thunderbird finds it: an mbox folder is a file
//! `Name` (plus its summary `Name.msf`), a maildir folder is a directory `Name/` with `cur/`,
//! subfolders live in `Name.sbd/`, and every file Thunderbird ignores
//! (`nsMsgLocalStoreUtils::nsShouldIgnoreFile`) is not a folder. Names are the ones Thunderbird
//! shows: a file name that Thunderbird had to hash (`Invoices77926fb7`) gets its real name back
//! from `folderCache.json` / `folderTree.json`, and every name is NFC.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization as _;

use super::prefs::StoreFormat;
use super::summary::Summary;
use crate::model::FolderPath;

/// Where a folder's messages are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FolderStorage {
    /// An account, or a folder that exists only as a parent of subfolders.
    Container,
    /// An mbox file (which may be missing or empty) and its summary.
    Mbox { file: PathBuf, summary: PathBuf },
    /// A maildir directory (`cur/`, maybe `new/`) and its summary.
    Maildir { dir: PathBuf, summary: PathBuf },
}

/// One folder of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderNode {
    pub path: FolderPath,
    pub storage: FolderStorage,
    /// Index of the account in the store's account list.
    pub account: usize,
    /// What the folder is on disk: the account's folder for an account, else the folder's file
    /// or maildir directory (which may be missing for a folder that only holds subfolders; those
    /// are in the same path with `.sbd` added).
    pub location: PathBuf,
    /// Thunderbird's special folder kind, for top-level folders of an account.
    pub special: Option<SpecialFolder>,
    /// Its `.sbd` folder of sub-folders could not be listed (where, and why): the sub-folders
    /// are unknown, and reading this folder ends in an error, never in silence.
    pub unlisted: Option<(PathBuf, std::io::ErrorKind)>,
}

/// The folders Thunderbird gives a role, in the order it sorts them first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecialFolder {
    Inbox,
    Drafts,
    Templates,
    Sent,
    Archives,
    Junk,
    Trash,
    Outbox,
}

impl SpecialFolder {
    /// The role of a top-level folder by its file name (Thunderbird's own names; IMAP `INBOX`).
    pub fn from_file_name(name: &str) -> Option<SpecialFolder> {
        match name {
            "Inbox" | "INBOX" => Some(SpecialFolder::Inbox),
            "Drafts" => Some(SpecialFolder::Drafts),
            "Templates" => Some(SpecialFolder::Templates),
            "Sent" => Some(SpecialFolder::Sent),
            "Archives" => Some(SpecialFolder::Archives),
            "Junk" => Some(SpecialFolder::Junk),
            "Trash" => Some(SpecialFolder::Trash),
            "Unsent Messages" | "Outbox" => Some(SpecialFolder::Outbox),
            _ => None,
        }
    }

    /// The name Thunderbird shows for the role (IMAP's `INBOX` is shown as "Inbox").
    pub fn display_name(self, file_name: &str) -> String {
        match self {
            SpecialFolder::Inbox => "Inbox".to_owned(),
            _ => file_name.to_owned(),
        }
    }
}

/// Thunderbird's hash for folder names it cannot use as file names (`NS_MsgHashIfNecessary`
/// in `mailnews/base/src/nsMsgUtils.cpp`): a linear congruential hash over the name's UTF-16
/// code units, little-endian bytes.
pub fn folder_name_hash(name: &str) -> u32 {
    let mut hash: u32 = 1;
    for unit in name.encode_utf16() {
        for byte in unit.to_le_bytes() {
            hash = hash
                .wrapping_mul(0x63c6_3cd9)
                .wrapping_add(0x9c39_c33d)
                .wrapping_add(u32::from(byte));
        }
    }
    hash
}

/// True when `file_name` is what Thunderbird makes of `name` when it hashes it: a kept
/// prefix of the name and eight hex digits of its hash.
pub fn is_hashed_form_of(file_name: &str, name: &str) -> bool {
    let Some(split) = file_name.len().checked_sub(8) else {
        return false;
    };
    let (Some(prefix), Some(hash)) = (file_name.get(..split), file_name.get(split..)) else {
        return false;
    };
    name.starts_with(prefix) && hash == format!("{:08x}", folder_name_hash(name))
}

/// True for a file name that may be a hashed folder name (ends in eight lower-case hex digits
/// and is no longer than Thunderbird's 55-unit limit).
pub fn may_be_hashed(file_name: &str) -> bool {
    let units = file_name.encode_utf16().count();
    (8..=55).contains(&units)
        && file_name
            .chars()
            .rev()
            .take(8)
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Files and folders Thunderbird never treats as mail folders.
pub fn is_ignored(name: &str) -> bool {
    if name.is_empty() || name.starts_with('.') || name.starts_with('#') || name.ends_with('~') {
        return true;
    }
    let lower = name.to_lowercase();
    const NAMES: &[&str] = &[
        "msgfilterrules.dat",
        "rules.dat",
        "filterlog.html",
        "junklog.html",
        "rulesbackup.dat",
        "popstate.dat",
        "sort.dat",
        "mailfilt.log",
        "filters.js",
        "feeds.json",
        "feeds.json.tmp",
        "feeds.json.backup",
        "feeds.json.corrupt",
        "feeditems.json",
        "feeditems.json.tmp",
        "feeditems.json.backup",
        "feeditems.json.corrupt",
        "feeds.rdf",
        "feeditems.rdf",
    ];
    NAMES.contains(&lower.as_str())
        || lower.starts_with("feeditems_error")
        || name.ends_with(".snm")
        || name.ends_with(".toc")
        || name.ends_with(".mozmsgs")
        || name.ends_with(".sbd")
        || name.ends_with(".msf")
}

/// Where real folder names come from when a file name is hashed.
#[derive(Clone, Debug, Default)]
pub struct NameSources {
    /// `folderCache.json`: absolute `.msf` path on the machine that wrote it (slashes
    /// normalized to `/`) → folder name.
    cache: BTreeMap<String, String>,
    /// `folderTree.json`: every folder URI it mentions, decoded into its segments.
    uris: BTreeSet<String>,
}

impl NameSources {
    /// Reads the profile's folder cache and folder tree; missing or unreadable files give no
    /// names (the file names are then used, as Thunderbird itself does).
    pub fn load(profile: &Path) -> NameSources {
        let mut sources = NameSources::default();
        if let Some(json) = read_json(&profile.join("folderCache.json"))
            && let Some(entries) = json.as_object()
        {
            for (key, value) in entries {
                if let Some(name) = value.get("folderName").and_then(|name| name.as_str()) {
                    sources
                        .cache
                        .insert(key.replace('\\', "/"), name.to_owned());
                }
            }
        }
        if let Some(json) = read_json(&profile.join("folderTree.json")) {
            collect_strings(&json, &mut sources.uris);
        }
        sources
    }

    /// The name `folderCache.json` keeps for a summary file, found by the summary's path
    /// relative to `base` (the profile, or the account's parent folder).
    fn cached_name(&self, base: &Path, summary: &Path) -> Option<&str> {
        let relative = summary.strip_prefix(base).ok()?;
        let relative: Vec<String> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        let suffix = format!("/{}", relative.join("/"));
        self.cache
            .iter()
            .find(|(key, _)| key.ends_with(&suffix))
            .map(|(_, name)| name.as_str())
    }

    /// A name from `folderTree.json` whose hashed form is `file_name`, among the children of
    /// the folder whose URI is `parent_uri`.
    fn tree_name(&self, parent_uri: &str, file_name: &str) -> Option<String> {
        let prefix = format!("{parent_uri}/");
        self.uris
            .iter()
            .filter_map(|uri| uri.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(percent_decode)
            .find(|name| is_hashed_form_of(file_name, name))
    }
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    let bytes = fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn collect_strings(value: &serde_json::Value, into: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(text) => {
            into.insert(text.clone());
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_strings(item, into);
            }
        }
        serde_json::Value::Object(entries) => {
            for item in entries.values() {
                collect_strings(item, into);
            }
        }
        _ => {}
    }
}

/// Undoes `%XX` escapes (as UTF-8); invalid escapes are kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(index + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(index + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            decoded.push((high * 16 + low) as u8);
            index += 3;
            continue;
        }
        decoded.push(byte);
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Escapes a folder name for a folder URI the way Thunderbird does (`Invoices%3A%202024%3F`).
pub fn percent_encode(name: &str) -> String {
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// What the walker needs to know about the account it lists.
#[derive(Debug)]
pub struct AccountWalk<'a> {
    pub index: usize,
    pub name: &'a str,
    pub directory: &'a Path,
    pub store: StoreFormat,
    /// The account's folder URI (`mailbox://nobody@Local%20Folders`), for `folderTree.json`.
    pub uri: Option<&'a str>,
    /// Where the account's relative paths in `folderCache.json` start.
    pub cache_base: &'a Path,
    /// A `.msf` without its folder is a folder too: maildir folders whose empty directories
    /// were not kept, IMAP folders with nothing stored offline.
    pub summaries_are_folders: bool,
    /// IMAP folders of very old profiles may have IMAP's modified UTF-7 names on disk.
    pub imap: bool,
}

/// How deep `.sbd` folders may nest before the walk stops (a symlink loop would never end).
const MAX_DEPTH: usize = 64;

/// Lists an account's folders, parents before children, in Thunderbird's order (special
/// folders first, then by name). Folders that cannot be listed are described in `notes`.
pub fn walk_account(
    account: &AccountWalk<'_>,
    names: &NameSources,
    notes: &mut Vec<String>,
) -> Vec<FolderNode> {
    let root = FolderPath::new([nfc(account.name)]);
    let mut walker = Walker {
        account,
        names,
        notes,
        nodes: vec![FolderNode {
            path: root.clone(),
            storage: FolderStorage::Container,
            account: account.index,
            location: account.directory.to_path_buf(),
            special: None,
            unlisted: None,
        }],
    };
    walker.walk(account.directory, &root, account.uri, 0);
    walker.nodes
}

/// The state of one account's walk.
struct Walker<'a, 'n> {
    account: &'a AccountWalk<'a>,
    names: &'a NameSources,
    notes: &'n mut Vec<String>,
    nodes: Vec<FolderNode>,
}

fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// One entry of a listed directory, classified.
#[derive(Default)]
struct Listing {
    files: BTreeSet<String>,
    dirs: BTreeSet<String>,
}

fn list(dir: &Path, notes: &mut Vec<String>) -> Result<Listing, std::io::Error> {
    let mut listing = Listing::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            if error.kind() != std::io::ErrorKind::NotFound {
                notes.push(format!("{}: cannot list folder: {error}", dir.display()));
                return Err(error);
            }
            return Ok(listing);
        }
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            notes.push(format!(
                "{}: a file name that is not valid Unicode was skipped",
                entry.path().display()
            ));
            continue;
        };
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => {
                listing.dirs.insert(name);
            }
            Ok(kind) if kind.is_file() => {
                listing.files.insert(name);
            }
            // Symlinks: follow them once, as Thunderbird's file API does.
            Ok(_) => match fs::metadata(entry.path()) {
                Ok(meta) if meta.is_dir() => {
                    listing.dirs.insert(name);
                }
                Ok(meta) if meta.is_file() => {
                    listing.files.insert(name);
                }
                _ => {}
            },
            Err(_) => {}
        }
    }
    Ok(listing)
}

impl Walker<'_, '_> {
    /// Lists the folders in `dir` (the account's folder at depth 0, else a `.sbd` folder).
    fn walk(&mut self, dir: &Path, parent: &FolderPath, parent_uri: Option<&str>, depth: usize) {
        if depth > MAX_DEPTH {
            self.notes.push(format!(
                "{}: folders nested more than {MAX_DEPTH} deep are left out",
                dir.display()
            ));
            return;
        }
        let account = self.account;
        let top_level = depth == 0;
        let listing = match list(dir, self.notes) {
            Ok(listing) => listing,
            Err(error) => {
                // The folder whose sub-folders these are says so when it is read.
                if let Some(node) = self.nodes.iter_mut().rev().find(|n| &n.path == parent) {
                    node.unlisted = Some((dir.to_path_buf(), error.kind()));
                }
                return;
            }
        };
        // Folder file names at this level.
        let mut leaves: BTreeSet<String> = BTreeSet::new();
        match account.store {
            StoreFormat::Mbox => {
                leaves.extend(
                    listing
                        .files
                        .iter()
                        .filter(|name| !is_ignored(name))
                        .cloned(),
                );
            }
            StoreFormat::Maildir => {
                leaves.extend(
                    listing
                        .dirs
                        .iter()
                        .filter(|name| !is_ignored(name))
                        .cloned(),
                );
            }
        }
        let summaries: BTreeSet<String> = listing
            .files
            .iter()
            .filter_map(|name| name.strip_suffix(".msf"))
            .filter(|name| !is_ignored(name))
            .map(str::to_owned)
            .collect();
        if account.summaries_are_folders {
            leaves.extend(summaries.iter().cloned());
        }
        // A folder may exist only as the parent of subfolders.
        leaves.extend(
            listing
                .dirs
                .iter()
                .filter_map(|name| name.strip_suffix(".sbd"))
                .filter(|name| !name.is_empty() && !name.starts_with('.'))
                .map(str::to_owned),
        );

        let mut children: Vec<(Option<SpecialFolder>, String, String)> = leaves
            .into_iter()
            .map(|leaf| {
                let special = if top_level {
                    SpecialFolder::from_file_name(&leaf)
                } else {
                    None
                };
                let name = display_name(account, self.names, dir, &leaf, special, parent_uri);
                (special, name, leaf)
            })
            .collect();
        children.sort_by(|a, b| {
            let rank = |special: Option<SpecialFolder>| special.map_or(u8::MAX, |s| s as u8);
            rank(a.0)
                .cmp(&rank(b.0))
                .then_with(|| a.1.to_lowercase().cmp(&b.1.to_lowercase()))
                .then_with(|| a.1.cmp(&b.1))
        });

        for (special, name, leaf) in children {
            let path = parent.child(name.clone());
            let summary = dir.join(format!("{leaf}.msf"));
            let stored = match account.store {
                StoreFormat::Mbox => listing.files.contains(&leaf),
                StoreFormat::Maildir => listing.dirs.contains(&leaf),
            } || (account.summaries_are_folders && summaries.contains(&leaf));
            let storage = match account.store {
                _ if !stored => FolderStorage::Container,
                StoreFormat::Mbox => FolderStorage::Mbox {
                    file: dir.join(&leaf),
                    summary,
                },
                StoreFormat::Maildir => FolderStorage::Maildir {
                    dir: dir.join(&leaf),
                    summary,
                },
            };
            self.nodes.push(FolderNode {
                path: path.clone(),
                storage,
                account: account.index,
                location: dir.join(&leaf),
                special,
                unlisted: None,
            });
            let sbd = format!("{leaf}.sbd");
            if listing.dirs.contains(&sbd) {
                let uri = parent_uri.map(|uri| format!("{uri}/{}", percent_encode(&name)));
                self.walk(&dir.join(&sbd), &path, uri.as_deref(), depth + 1);
            }
        }
    }
}

/// The name Thunderbird shows for the folder stored as `leaf` in `dir`.
fn display_name(
    account: &AccountWalk<'_>,
    names: &NameSources,
    dir: &Path,
    leaf: &str,
    special: Option<SpecialFolder>,
    parent_uri: Option<&str>,
) -> String {
    if let Some(special) = special {
        // Thunderbird names its special folders itself, whatever a summary says.
        return nfc(&special.display_name(leaf));
    }
    if may_be_hashed(leaf) {
        let summary = dir.join(format!("{leaf}.msf"));
        let from_cache = names
            .cached_name(account.cache_base, &summary)
            .filter(|name| is_hashed_form_of(leaf, name))
            .map(str::to_owned);
        let from_tree = || parent_uri.and_then(|uri| names.tree_name(uri, leaf));
        let from_summary = || {
            Summary::read(&summary)
                .ok()
                .and_then(|summary| summary.folder.folder_name)
                .filter(|name| is_hashed_form_of(leaf, name))
        };
        if let Some(name) = from_cache.or_else(from_tree).or_else(from_summary) {
            return nfc(&name);
        }
    }
    if account.imap
        && let Some(name) = decode_modified_utf7(leaf)
    {
        return nfc(&name);
    }
    nfc(leaf)
}

const MUTF7_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Decodes an IMAP modified UTF-7 name (RFC 3501 §5.1.3, `&BBoEPgRABDcEOAQ9BDA-`). Only a name
/// that is ASCII, has an encoded part, decodes cleanly and encodes back to exactly the same
/// text is taken for one: an ordinary name with an `&` stays as it is.
pub fn decode_modified_utf7(name: &str) -> Option<String> {
    if !name.is_ascii() || !name.contains('&') {
        return None;
    }
    let mut decoded = String::new();
    let mut rest = name;
    let mut encoded_part = false;
    while let Some(start) = rest.find('&') {
        decoded.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('-')?;
        let chunk = &after[..end];
        if chunk.is_empty() {
            decoded.push('&');
        } else {
            encoded_part = true;
            let mut bits: u32 = 0;
            let mut bit_count = 0;
            let mut units = Vec::new();
            for byte in chunk.bytes() {
                let value = MUTF7_ALPHABET.iter().position(|&c| c == byte)?;
                bits = (bits << 6) | value as u32;
                bit_count += 6;
                if bit_count >= 16 {
                    bit_count -= 16;
                    units.push(((bits >> bit_count) & 0xFFFF) as u16);
                }
            }
            if bit_count >= 6 || bits & ((1 << bit_count) - 1) != 0 {
                return None;
            }
            decoded.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = &after[end + 1..];
    }
    decoded.push_str(rest);
    (encoded_part && encode_modified_utf7(&decoded) == name).then_some(decoded)
}

/// Encodes a name as IMAP modified UTF-7.
pub fn encode_modified_utf7(name: &str) -> String {
    let mut encoded = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, encoded: &mut String| {
        if pending.is_empty() {
            return;
        }
        encoded.push('&');
        let bytes: Vec<u8> = pending.iter().flat_map(|unit| unit.to_be_bytes()).collect();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk.first().copied().unwrap_or(0),
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let group = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let symbols = chunk.len() + 1;
            for index in 0..symbols {
                let value = (group >> (18 - 6 * index)) & 0x3F;
                encoded.push(MUTF7_ALPHABET[value as usize] as char);
            }
        }
        encoded.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut encoded);
            if c == '&' {
                encoded.push_str("&-");
            } else {
                encoded.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut encoded);
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_the_corpus_folder() {
        assert_eq!(
            format!("{:08x}", folder_name_hash("Invoices: 2024? <draft> |*")),
            "77926fb7"
        );
        assert!(is_hashed_form_of(
            "Invoices77926fb7",
            "Invoices: 2024? <draft> |*"
        ));
        assert!(!is_hashed_form_of("Invoices77926fb7", "Invoices: 2025"));
        assert!(!is_hashed_form_of("short", "short"));
        assert!(may_be_hashed("Invoices77926fb7"));
        assert!(!may_be_hashed("Projects"));
        assert!(!may_be_hashed("日本語"));
    }

    #[test]
    fn ignored_files_follow_thunderbird() {
        for name in [
            "Inbox.msf",
            "Inbox.sbd",
            "msgFilterRules.dat",
            "popstate.dat",
            "#PB#Inbox",
            ".DS_Store",
            "Inbox~",
            "feeditems.json",
            "feeditems_error.log",
            "x.mozmsgs",
        ] {
            assert!(is_ignored(name), "{name}");
        }
        for name in ["Inbox", "Réunions", "notes.html", "Invoices77926fb7"] {
            assert!(!is_ignored(name), "{name}");
        }
    }

    #[test]
    fn modified_utf7_names_of_old_imap_profiles() {
        // RFC 3501's example and a Cyrillic name from docs/formats.md §2.9.
        assert_eq!(
            decode_modified_utf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(),
            Some("~peter/mail/台北/日本語")
        );
        assert_eq!(
            decode_modified_utf7("&BBoEPgRABDcEOAQ9BDA-").as_deref(),
            Some("Корзина")
        );
        assert_eq!(encode_modified_utf7("Корзина"), "&BBoEPgRABDcEOAQ9BDA-");
        // Ordinary names with '&' stay as they are.
        assert_eq!(decode_modified_utf7("Tom & Jerry"), None);
        assert_eq!(decode_modified_utf7("R&D"), None);
        assert_eq!(decode_modified_utf7("&-"), None);
        assert_eq!(decode_modified_utf7("Inbox"), None);
        // Not canonical (bad padding bits): not taken.
        assert_eq!(decode_modified_utf7("&BBp-"), None);
    }

    #[test]
    fn percent_coding_round_trips_folder_uris() {
        let name = "Invoices: 2024? <draft> |*";
        assert_eq!(
            percent_encode(name),
            "Invoices%3A%202024%3F%20%3Cdraft%3E%20%7C*"
        );
        assert_eq!(percent_decode(&percent_encode(name)), name);
        assert_eq!(percent_decode("R%C3%A9unions"), "Réunions");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
