//! Thunderbird and Postbox: discovery, profiles, accounts, the folder tree and every message of
//! the real profile written by Thunderbird 153 (`tests/corpus/thunderbird-profile`, see its
//! MANIFEST.md), and Thunderbird's own test folders (`tests/corpus/thunderbird`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use mail2pst::model::{FolderPath, Found, RawMessage, SkipReason, StoreKind};
use mail2pst::sources::discover::{SearchRoots, SystemLayout, discover_in};
use mail2pst::sources::mozilla::MozillaStore;
use mail2pst::sources::mozilla::profile::read_profiles_ini;
use mail2pst::sources::{self, MailStore};
use sha2::{Digest as _, Sha256};

use crate::util::{corpus, temp_dir};

const PROFILE_DIR: &str = "ng5ko9yq.default-default";

/// The real profile tree (profiles.ini and both profiles), read-only.
fn profile_root() -> PathBuf {
    corpus().join("thunderbird-profile")
}

fn profile() -> PathBuf {
    profile_root().join(PROFILE_DIR)
}

fn comm_central(path: &str) -> PathBuf {
    corpus().join("thunderbird/comm-central").join(path)
}

/// Copies a folder tree (files keep their bytes; times and permissions are the copy's).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            // Written afresh rather than copied: the corpus files are read-only, the copy
            // must not be.
            fs::write(&target, fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}

/// A writable copy of the profile tree (the original is read-only), with the summaries made
/// newer than their mailboxes the way Thunderbird leaves them.
fn profile_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir();
    copy_tree(&profile_root(), dir.path());
    let profile = dir.path().join(PROFILE_DIR);
    let now = SystemTime::now();
    for entry in walkdir::WalkDir::new(&profile) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|ext| ext == "msf") {
            set_mtime(entry.path(), now + Duration::from_secs(1));
        } else if entry.file_type().is_file() {
            set_mtime(entry.path(), now);
        }
    }
    (dir, profile)
}

/// Copies one file as a new, writable file with the current time (a platform copy may keep
/// the original's time or read-only flag).
fn copy_file(from: &Path, to: &Path) {
    fs::write(to, fs::read(from).unwrap()).unwrap();
}

fn set_mtime(path: &Path, time: SystemTime) {
    let file = fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_modified(time).unwrap();
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

/// Every file under `dir` with its SHA-256 and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let bytes = fs::read(entry.path()).unwrap();
            let hash = Sha256::digest(&bytes).to_vec();
            (entry.path().to_path_buf(), (hash, mtime(entry.path())))
        })
        .collect()
}

fn path(names: &[&str]) -> FolderPath {
    FolderPath::new(names.iter().copied())
}

/// Every item of every folder.
fn read_all(store: &dyn MailStore) -> Vec<(FolderPath, Vec<Found>)> {
    store
        .folders()
        .unwrap()
        .into_iter()
        .map(|folder| {
            let items: Vec<Found> = store
                .messages(&folder.path)
                .unwrap()
                .map(|item| item.unwrap())
                .collect();
            (folder.path, items)
        })
        .collect()
}

fn messages(items: &[Found]) -> Vec<&RawMessage> {
    items
        .iter()
        .filter_map(|item| match item {
            Found::Message(message) => Some(message),
            Found::Skipped { .. } => None,
        })
        .collect()
}

/// A header's value in a message (first occurrence), for identifying messages.
fn header(message: &RawMessage, name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(&message.bytes);
    let prefix = format!("{}:", name.to_lowercase());
    text.lines()
        .take_while(|line| !line.is_empty())
        .find(|line| line.to_lowercase().starts_with(&prefix))
        .map(|line| line[prefix.len()..].trim().to_owned())
}

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.org";
const LOCAL: &str = "Local Folders";
const INVOICES: &str = "Invoices: 2024? <draft> |*";

/// The tree Thunderbird shows (MANIFEST.md), with each folder's items in its files
/// (shown + deleted-but-not-compacted).
fn expected_tree() -> Vec<(FolderPath, u64)> {
    vec![
        (path(&[ALICE]), 0),
        (path(&[ALICE, "Inbox"]), 14),
        (path(&[ALICE, "Sent"]), 3),
        (path(&[ALICE, "Archives"]), 0),
        (path(&[ALICE, "Archives", "2001"]), 3),
        (path(&[ALICE, "Archives", "2004"]), 1),
        (path(&[ALICE, "Trash"]), 2),
        (path(&[BOB]), 0),
        (path(&[BOB, "Inbox"]), 4),
        (path(&[BOB, "Inbox", "Saved"]), 2),
        (path(&[BOB, "Trash"]), 1),
        (path(&[LOCAL]), 0),
        (path(&[LOCAL, "Trash"]), 0),
        (path(&[LOCAL, "Unsent Messages"]), 0),
        (path(&[LOCAL, INVOICES]), 4),
        (path(&[LOCAL, "Projects"]), 2),
        (path(&[LOCAL, "Projects", "2024"]), 0),
        (path(&[LOCAL, "Projects", "2024", "Q1"]), 4),
        (path(&[LOCAL, "Réunions"]), 5),
        (path(&[LOCAL, "日本語"]), 4),
    ]
}

/// What Thunderbird shows for each message, folder by folder in file order: read, starred,
/// tags (MANIFEST.md "Messages per folder").
type Shown = (bool, bool, &'static [&'static str]);

fn expected_messages() -> Vec<(FolderPath, Vec<Shown>)> {
    const R: Shown = (true, false, &[]);
    const U: Shown = (false, false, &[]);
    vec![
        (
            path(&[ALICE, "Inbox"]),
            vec![
                R,                                   // p01
                (true, true, &[]),                   // p02
                (false, false, &["Important"]),      // p03
                R,                                   // p04
                (true, false, &["Work"]),            // p06
                (false, true, &[]),                  // p07
                R,                                   // p08
                U,                                   // p09
                (true, false, &["Réunion client"]),  // p11
                (false, false, &["To Do", "Later"]), // p12
                (true, false, &["To Do"]),           // p13
                U,                                   // p14
            ],
        ),
        (path(&[ALICE, "Sent"]), vec![R, R, R]),
        (path(&[ALICE, "Archives", "2001"]), vec![R, R, R]),
        (path(&[ALICE, "Archives", "2004"]), vec![(true, true, &[])]),
        (path(&[ALICE, "Trash"]), vec![R, R]),
        (
            path(&[BOB, "Inbox"]),
            vec![
                (true, true, &[]),             // p41
                U,                             // p42
                (false, false, &["Personal"]), // p44
                U,                             // p47
            ],
        ),
        (path(&[BOB, "Inbox", "Saved"]), vec![U, R]),
        (path(&[BOB, "Trash"]), vec![R]),
        (path(&[LOCAL, INVOICES]), vec![U, R, U]),
        (path(&[LOCAL, "Projects"]), vec![R, U]),
        (
            path(&[LOCAL, "Projects", "2024", "Q1"]),
            vec![R, R, (false, true, &[]), U],
        ),
        (
            path(&[LOCAL, "Réunions"]),
            vec![R, (false, false, &["Réunion client"]), R, U, U],
        ),
        (
            path(&[LOCAL, "日本語"]),
            vec![(false, false, &["Important"]), U, U, U],
        ),
    ]
}

fn shown(message: &RawMessage) -> (bool, bool, Vec<String>) {
    (
        message.flags.read,
        message.flags.flagged,
        message.keywords.clone(),
    )
}

#[test]
fn profiles_ini_lists_both_profiles_and_the_default_one_is_empty() {
    let profiles = read_profiles_ini(&profile_root()).unwrap();
    assert_eq!(profiles.len(), 2);
    let default = profiles.iter().find(|p| p.is_default).unwrap();
    assert_eq!(default.name, "default");
    assert!(default.exists);
    assert!(!default.path.join("Mail").exists());
    let used = profiles.iter().find(|p| !p.is_default).unwrap();
    assert_eq!(used.name, "default-default");
    assert!(used.is_install_default);
    assert_eq!(used.path, profile());
}

#[test]
fn opens_the_profile_with_its_accounts_and_names() {
    let store = MozillaStore::open(&profile()).unwrap();
    assert_eq!(store.kind(), StoreKind::Thunderbird);
    assert_eq!(store.display_name(), "Thunderbird — default-default");
    assert_eq!(store.root(), profile());
    let accounts: Vec<_> = store
        .accounts()
        .iter()
        .map(|account| (account.name.as_str(), account.email.as_deref()))
        .collect();
    assert_eq!(
        accounts,
        vec![
            (ALICE, Some("alice@example.com")),
            (BOB, Some("bob@example.org")),
            (LOCAL, None),
        ]
    );
    assert_eq!(store.warnings(), Vec::<String>::new());
}

#[test]
fn folder_tree_with_real_names_and_counts() {
    let store = MozillaStore::open(&profile()).unwrap();
    let folders = store.folders().unwrap();
    let tree: Vec<(FolderPath, u64)> = folders
        .iter()
        .map(|folder| (folder.path.clone(), folder.count))
        .collect();
    assert_eq!(tree, expected_tree());
    for folder in &folders {
        assert_eq!(folder.notes, Vec::<String>::new(), "{}", folder.path);
    }
    // 17 folders under 3 accounts, 49 messages in the files.
    assert_eq!(folders.iter().filter(|f| f.path.depth() > 1).count(), 17);
    assert_eq!(folders.iter().map(|f| f.count).sum::<u64>(), 49);
}

#[test]
fn writes_46_messages_and_skips_the_3_deleted_copies() {
    let store = MozillaStore::open(&profile()).unwrap();
    let mut written = BTreeMap::new();
    let mut skipped = BTreeMap::new();
    for (folder, items) in read_all(&store) {
        for item in items {
            match item {
                Found::Message(message) => {
                    assert_eq!(message.folder, folder);
                    *written.entry(folder.clone()).or_insert(0) += 1;
                }
                Found::Skipped { reason, .. } => {
                    assert_eq!(reason, SkipReason::DeletedInSource("Thunderbird".into()));
                    *skipped.entry(folder.clone()).or_insert(0) += 1;
                }
            }
        }
    }
    assert_eq!(written.values().sum::<i32>(), 46);
    assert_eq!(written.len(), 13, "non-empty folders");
    assert_eq!(
        skipped,
        BTreeMap::from([(path(&[ALICE, "Inbox"]), 2), (path(&[LOCAL, INVOICES]), 1)])
    );
    assert_eq!(written[&path(&[ALICE, "Inbox"])], 12);
    assert_eq!(written[&path(&[LOCAL, INVOICES])], 3);
}

#[test]
fn read_starred_and_tags_are_what_thunderbird_shows() {
    let store = MozillaStore::open(&profile()).unwrap();
    let all = read_all(&store);
    let mut unread = 0;
    for (folder, expected) in expected_messages() {
        let (_, items) = all.iter().find(|(path, _)| *path == folder).unwrap();
        let got: Vec<_> = messages(items).into_iter().map(shown).collect();
        let want: Vec<_> = expected
            .iter()
            .map(|(read, starred, tags)| {
                (
                    *read,
                    *starred,
                    tags.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(got, want, "{folder}");
        unread += got.iter().filter(|(read, _, _)| !read).count();
    }
    assert_eq!(unread, 21);
}

#[test]
fn deleted_copies_are_the_expunged_messages() {
    let store = MozillaStore::open(&profile()).unwrap();
    let inbox = path(&[ALICE, "Inbox"]);
    let mut origins = Vec::new();
    for item in store.messages(&inbox).unwrap() {
        if let Found::Skipped { origin, .. } = item.unwrap() {
            origins.push(origin.to_string());
        }
    }
    let file = profile().join("Mail/pop.example.com/Inbox");
    assert_eq!(
        origins,
        vec![
            format!("{} at byte 10565", file.display()),
            format!("{} at byte 17664", file.display()),
        ]
    );
    let invoices: Vec<_> = store
        .messages(&path(&[LOCAL, INVOICES]))
        .unwrap()
        .map(|item| item.unwrap())
        .collect();
    let ids: Vec<_> = messages(&invoices)
        .into_iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            "<xxxx@xxxx.com>",
            "<9169D984-4E0B-45EF-82D4-8F5E53AD7012@example.com>",
            "<1066974048.4264.62.camel@localhost>",
        ]
    );
}

#[test]
fn messages_keep_their_bytes_as_stored() {
    let store = MozillaStore::open(&profile()).unwrap();
    let items: Vec<_> = store
        .messages(&path(&[BOB, "Trash"]))
        .unwrap()
        .map(|item| item.unwrap())
        .collect();
    let [Found::Message(message)] = &items[..] else {
        panic!("{items:?}");
    };
    let file = profile().join("Mail/pop.example.org/Trash/cur/1795320974.M893393P10253Q3.vm.eml");
    assert_eq!(message.bytes, fs::read(&file).unwrap());
    // The summary's dateReceived (Thunderbird took the message's Date, it has no Received).
    assert_eq!(message.received, Some(1_638_135_571));
    // The mbox bytes start after the From_ line, X-Mozilla headers included.
    let sent: Vec<_> = store
        .messages(&path(&[ALICE, "Sent"]))
        .unwrap()
        .map(|item| item.unwrap())
        .collect();
    let first = messages(&sent)[0];
    assert!(
        first.bytes.starts_with(b"X-Mozilla-Status: 0001"),
        "{:?}",
        &first.bytes[..40]
    );
}

#[test]
fn a_stale_summary_gives_way_to_the_headers_with_a_note() {
    let (_dir, profile) = profile_copy();
    let mbox = profile.join("Mail/Local Folders/日本語");
    let msf = profile.join("Mail/Local Folders/日本語.msf");
    set_mtime(&mbox, mtime(&msf) + Duration::from_secs(3600));
    let store = MozillaStore::open(&profile).unwrap();
    let folder = path(&[LOCAL, "日本語"]);
    let info = store
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.path == folder)
        .unwrap();
    assert_eq!(info.count, 4);
    assert_eq!(info.notes.len(), 1);
    assert!(
        info.notes[0].starts_with("日本語.msf is older than the mailbox file: read, starred and tags come from the X-Mozilla headers"),
        "{:?}",
        info.notes
    );
    let items: Vec<_> = store
        .messages(&folder)
        .unwrap()
        .map(|i| i.unwrap())
        .collect();
    // The file says 0001 (read) for all four, and p37 carries its tag in X-Mozilla-Keys.
    let got: Vec<_> = messages(&items).into_iter().map(shown).collect();
    assert_eq!(
        got,
        vec![
            (true, false, vec!["Important".to_owned()]),
            (true, false, vec![]),
            (true, false, vec![]),
            (true, false, vec![]),
        ]
    );
}

#[test]
fn a_missing_summary_keeps_every_message_not_marked_deleted() {
    let (_dir, profile) = profile_copy();
    fs::remove_file(profile.join("Mail/pop.example.com/Inbox.msf")).unwrap();
    let store = MozillaStore::open(&profile).unwrap();
    let folder = path(&[ALICE, "Inbox"]);
    let info = store
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.path == folder)
        .unwrap();
    assert!(
        info.notes[0].starts_with("Inbox.msf is missing"),
        "{:?}",
        info.notes
    );
    let items: Vec<_> = store
        .messages(&folder)
        .unwrap()
        .map(|i| i.unwrap())
        .collect();
    // The two expunged copies carry 0x0008 in their headers: still skipped.
    assert_eq!(messages(&items).len(), 12);
    assert_eq!(items.len(), 14);
    let unread = messages(&items).iter().filter(|m| !m.flags.read).count();
    assert_eq!(unread, 5);
}

#[test]
fn hashed_names_come_from_the_folder_tree_when_the_cache_is_gone() {
    let (_dir, profile) = profile_copy();
    fs::remove_file(profile.join("folderCache.json")).unwrap();
    let store = MozillaStore::open(&profile).unwrap();
    let names: Vec<_> = store
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(names.contains(&path(&[LOCAL, INVOICES])), "{names:?}");
    fs::remove_file(profile.join("folderTree.json")).unwrap();
    let store = MozillaStore::open(&profile).unwrap();
    let names: Vec<_> = store
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    // With neither, Thunderbird itself shows the file name.
    assert!(
        names.contains(&path(&[LOCAL, "Invoices77926fb7"])),
        "{names:?}"
    );
}

#[test]
fn decomposed_file_names_become_nfc_folder_names() {
    let (_dir, profile) = profile_copy();
    let local = profile.join("Mail/Local Folders");
    let decomposed = "Re\u{301}unions";
    fs::rename(local.join("Réunions"), local.join(decomposed)).unwrap();
    fs::rename(
        local.join("Réunions.msf"),
        local.join(format!("{decomposed}.msf")),
    )
    .unwrap();
    let store = MozillaStore::open(&profile).unwrap();
    let folder = path(&[LOCAL, "Réunions"]);
    assert_eq!(folder.name(), "R\u{e9}unions");
    let info = store
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.path == folder)
        .unwrap();
    assert_eq!(info.count, 5);
}

#[test]
fn the_localized_name_in_a_special_folders_summary_does_not_rename_it() {
    // Thunderbird's own test data: an Inbox summary whose stored name is "Courrier entrant".
    let dir = temp_dir();
    let account = dir.path().join("Local Folders");
    fs::create_dir_all(&account).unwrap();
    fs::write(account.join("Inbox"), b"").unwrap();
    copy_file(
        &comm_central("mailnews/base/test/unit/data/frenchInbox.msf"),
        &account.join("Inbox.msf"),
    );
    let store = MozillaStore::open(&account).unwrap();
    let names: Vec<_> = store
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(names, vec![path(&[LOCAL]), path(&[LOCAL, "Inbox"])]);
}

#[test]
fn migration_folder_writes_two_and_reports_one_deleted() {
    let file = comm_central("mailnews/db/panorama/test/xpcshell/data/migration");
    let store = MozillaStore::open(&file).unwrap();
    let folders = store.folders().unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].path, path(&["migration"]));
    assert_eq!(folders[0].count, 3);
    let items: Vec<_> = store
        .messages(&folders[0].path)
        .unwrap()
        .map(|item| item.unwrap())
        .collect();
    assert_eq!(items.len(), 3);
    let Found::Skipped { origin, reason } = &items[1] else {
        panic!("{:?}", items[1]);
    };
    assert_eq!(*reason, SkipReason::DeletedInSource("Thunderbird".into()));
    assert_eq!(
        origin.to_string(),
        format!("{} at byte 587", file.display())
    );
    let written = messages(&items);
    assert_eq!(written.len(), 2);
    assert_eq!(
        header(written[0], "Subject").as_deref(),
        Some("Secured value-added orchestration")
    );
    assert!(written[0].flags.read);
    assert_eq!(written[0].keywords, vec!["Later"]);
    assert_eq!(written[0].received, Some(0x395e_7958));
    assert_eq!(
        header(written[1], "Subject").as_deref(),
        Some("Intuitive full-range analyzer")
    );
    assert!(!written[1].flags.read);
}

#[test]
fn bugmail_folder_has_one_read_message_tagged_to_do() {
    let store = MozillaStore::open(&comm_central("mailnews/test/data/bugmail-1")).unwrap();
    let items = &read_all(&store)[0].1;
    let written = messages(items);
    assert_eq!(written.len(), 1);
    assert!(written[0].flags.read);
    assert_eq!(written[0].keywords, vec!["To Do"]);
}

#[test]
fn a_lock_file_warns_that_thunderbird_may_be_open() {
    let (_dir, profile) = profile_copy();
    fs::write(profile.join("lock"), b"").unwrap();
    let store = MozillaStore::open(&profile).unwrap();
    let warnings = store.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("Thunderbird may be open"),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("not included"), "{warnings:?}");
    // Still read in full.
    let total: usize = read_all(&store)
        .iter()
        .map(|(_, items)| messages(items).len())
        .sum();
    assert_eq!(total, 46);
}

#[test]
fn a_broken_prefs_js_falls_back_to_the_mail_folders() {
    let (_dir, profile) = profile_copy();
    fs::write(profile.join("prefs.js"), b"this is not a prefs file\n").unwrap();
    let store = MozillaStore::open(&profile).unwrap();
    let warnings = store.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("1 settings could not be read"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("accounts are taken from the folders in Mail/"),
        "{warnings:?}"
    );
    let accounts: Vec<_> = store.accounts().iter().map(|a| a.name.clone()).collect();
    assert_eq!(accounts, vec![LOCAL, "pop.example.com", "pop.example.org"]);
    let total: usize = read_all(&store)
        .iter()
        .map(|(_, items)| messages(items).len())
        .sum();
    assert_eq!(total, 46);
}

#[test]
fn opens_a_mail_folder_an_account_folder_and_one_folder_file() {
    let mail = MozillaStore::open(&profile().join("Mail")).unwrap();
    let accounts: Vec<_> = mail
        .folders()
        .unwrap()
        .into_iter()
        .filter(|f| f.path.depth() == 1)
        .map(|f| f.path)
        .collect();
    assert_eq!(accounts, vec![path(&[ALICE]), path(&[BOB]), path(&[LOCAL])]);

    let local = MozillaStore::open(&profile().join("Mail/Local Folders")).unwrap();
    let folders: Vec<_> = local
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.count))
        .collect();
    assert_eq!(folders.len(), 9);
    assert!(
        folders.contains(&(path(&[LOCAL, INVOICES]), 4)),
        "{folders:?}"
    );

    // One folder file: that folder under its real name, in its account.
    let file = MozillaStore::open(&profile().join("Mail/Local Folders/Invoices77926fb7")).unwrap();
    let all = read_all(&file);
    let folders: Vec<_> = all.iter().map(|(path, _)| path.clone()).collect();
    assert_eq!(folders, vec![path(&[LOCAL]), path(&[LOCAL, INVOICES])]);
    let items = &all[1].1;
    assert_eq!((items.len(), messages(items).len()), (4, 3));
}

#[test]
fn an_imap_offline_store_reports_messages_left_on_the_server() {
    // Alice's Inbox as an IMAP offline store, cut before its last message: the summary still
    // lists that message, which then stays on the server.
    let dir = temp_dir();
    let account = dir.path().join("ImapMail").join("imap.example.com");
    fs::create_dir_all(&account).unwrap();
    let inbox = fs::read(profile().join("Mail/pop.example.com/Inbox")).unwrap();
    fs::write(account.join("INBOX"), &inbox[..31839]).unwrap();
    copy_file(
        &profile().join("Mail/pop.example.com/Inbox.msf"),
        &account.join("INBOX.msf"),
    );
    let store = MozillaStore::open(&account).unwrap();
    let folders = store.folders().unwrap();
    let inbox = path(&["imap.example.com", "Inbox"]);
    assert_eq!(folders[1].path, inbox);
    assert_eq!(folders[1].count, 14);
    assert!(
        folders[1].notes[0].starts_with("1 messages of this IMAP folder were not downloaded"),
        "{:?}",
        folders[1].notes
    );
    let items: Vec<_> = store
        .messages(&inbox)
        .unwrap()
        .map(|i| i.unwrap())
        .collect();
    assert_eq!(messages(&items).len(), 11);
    let reasons: Vec<_> = items
        .iter()
        .filter_map(|item| match item {
            Found::Skipped { reason, .. } => Some(reason.clone()),
            Found::Message(_) => None,
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            SkipReason::DeletedInSource("Thunderbird".into()),
            SkipReason::DeletedInSource("Thunderbird".into()),
            SkipReason::NotDownloaded,
        ]
    );
    // Read without its profile, the folder does not say which server it belongs to: nothing
    // is guessed from the folder's name, and the note says why the message cannot be fetched.
    let gaps = store.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].messages, 1);
    let why = gaps[0].server.as_ref().unwrap_err();
    assert!(why.contains("without its profile's prefs.js"), "{why}");
    assert!(
        folders[1].notes[1].contains("cannot be fetched from the server"),
        "{:?}",
        folders[1].notes
    );
}

#[test]
fn reading_changes_nothing_in_the_profile() {
    let before = snapshot(&profile_root());
    let store = MozillaStore::open(&profile()).unwrap();
    let _ = read_all(&store);
    // Discovery too, through a home whose `.thunderbird` is the corpus itself.
    #[cfg(unix)]
    {
        let home = temp_dir();
        std::os::unix::fs::symlink(profile_root(), home.path().join(".thunderbird")).unwrap();
        let discovery = discover_in(&SearchRoots::for_home(SystemLayout::Unix, home.path()));
        assert_eq!(discovery.stores.len(), 1);
        let _ = read_all(discovery.stores[0].open().unwrap().as_ref());
    }
    let after = snapshot(&profile_root());
    assert_eq!(before.len(), after.len());
    assert_eq!(before, after);
}

/// A home folder with profiles in every place Thunderbird and Postbox use, on every system.
fn fake_home() -> tempfile::TempDir {
    let home = temp_dir();
    let h = home.path();
    let app_data = h.join("AppData/Roaming");
    let ini = |name: &str, path: &str| {
        format!(
            "[Profile0]\nName={name}\nIsRelative=1\nPath={path}\nDefault=1\n\n[General]\nStartWithLastProfile=1\n"
        )
    };
    let lay_out = |root: PathBuf, name: &str, dir: &str| {
        copy_tree(&profile(), &root.join(dir));
        fs::write(root.join("profiles.ini"), ini(name, dir)).unwrap();
    };
    // Linux: the real tree, both profiles.
    copy_tree(&profile_root(), &h.join(".thunderbird"));
    lay_out(
        app_data.join("Thunderbird"),
        "windows",
        "Profiles/a1b2c3d4.windows",
    );
    lay_out(
        h.join("AppData/Local/Packages/Mozilla.Thunderbird_n80bbvh6b1yt2/LocalCache/Roaming/Thunderbird"),
        "store",
        "Profiles/s.store",
    );
    lay_out(h.join("Library/Thunderbird"), "mac", "Profiles/e5f6.mac");
    lay_out(
        h.join("snap/thunderbird/common/.thunderbird"),
        "snap",
        "x.snap",
    );
    lay_out(
        h.join(".var/app/org.mozilla.Thunderbird/.thunderbird"),
        "flatpak",
        "y.flatpak",
    );
    lay_out(
        h.join(".var/app/net.thunderbird.Thunderbird/.thunderbird"),
        "flathub",
        "z.flathub",
    );
    lay_out(
        app_data.join("PostboxApp"),
        "postbox-win",
        "Profiles/p.postbox-win",
    );
    lay_out(
        h.join("Library/Application Support/Postbox"),
        "postbox-mac",
        "Profiles/q.postbox-mac",
    );
    // The old Debian home with no profiles.ini: found by its profile folders.
    copy_tree(&profile(), &h.join(".mozilla-thunderbird/abcd.old"));
    home
}

#[test]
fn discovery_finds_each_systems_layout_and_only_that() {
    let home = fake_home();
    let h = home.path();
    use StoreKind::{Postbox, Thunderbird};
    type Stores = Vec<(StoreKind, &'static str, &'static str)>;
    let expected: [(SystemLayout, Stores); 3] = [
        (
            SystemLayout::Windows,
            vec![
                (
                    Thunderbird,
                    "Thunderbird — windows",
                    "AppData/Roaming/Thunderbird/Profiles/a1b2c3d4.windows",
                ),
                (
                    Thunderbird,
                    "Thunderbird (Microsoft Store) — store",
                    "AppData/Local/Packages/Mozilla.Thunderbird_n80bbvh6b1yt2/LocalCache/Roaming/Thunderbird/Profiles/s.store",
                ),
                (
                    Postbox,
                    "Postbox — postbox-win",
                    "AppData/Roaming/PostboxApp/Profiles/p.postbox-win",
                ),
            ],
        ),
        (
            SystemLayout::MacOs,
            vec![
                (
                    Thunderbird,
                    "Thunderbird — mac",
                    "Library/Thunderbird/Profiles/e5f6.mac",
                ),
                (
                    Postbox,
                    "Postbox — postbox-mac",
                    "Library/Application Support/Postbox/Profiles/q.postbox-mac",
                ),
            ],
        ),
        (
            SystemLayout::Unix,
            vec![
                // Only the profile with mail; the Default=1 one is empty.
                (
                    Thunderbird,
                    "Thunderbird — default-default",
                    ".thunderbird/ng5ko9yq.default-default",
                ),
                (
                    Thunderbird,
                    "Thunderbird — old",
                    ".mozilla-thunderbird/abcd.old",
                ),
                (
                    Thunderbird,
                    "Thunderbird (Snap) — snap",
                    "snap/thunderbird/common/.thunderbird/x.snap",
                ),
                (
                    Thunderbird,
                    "Thunderbird (Flatpak) — flatpak",
                    ".var/app/org.mozilla.Thunderbird/.thunderbird/y.flatpak",
                ),
                (
                    Thunderbird,
                    "Thunderbird (Flatpak) — flathub",
                    ".var/app/net.thunderbird.Thunderbird/.thunderbird/z.flathub",
                ),
            ],
        ),
    ];
    for (layout, stores) in expected {
        let discovery = discover_in(&SearchRoots::for_home(layout, h));
        let found: Vec<_> = discovery
            .stores
            .iter()
            .map(|store| {
                (
                    store.kind,
                    store.name.as_str(),
                    store.path.strip_prefix(h).unwrap().to_path_buf(),
                )
            })
            .collect();
        let stores: Vec<_> = stores
            .into_iter()
            .map(|(kind, name, path)| (kind, name, PathBuf::from(path)))
            .collect();
        assert_eq!(found, stores, "{layout:?}");
        assert_eq!(discovery.notes, Vec::<String>::new(), "{layout:?}");
        assert!(discovery.errors.is_empty(), "{layout:?}");
    }
    // Each opens as its kind, under its name, with the profile's mail.
    let discovery = discover_in(&SearchRoots::for_home(SystemLayout::Windows, h));
    let postbox = discovery
        .stores
        .iter()
        .find(|s| s.kind == Postbox)
        .unwrap()
        .open()
        .unwrap();
    assert_eq!(postbox.kind(), Postbox);
    assert_eq!(postbox.display_name(), "Postbox — postbox-win");
    let total: usize = read_all(postbox.as_ref())
        .iter()
        .map(|(_, items)| messages(items).len())
        .sum();
    assert_eq!(total, 46);
    let skipped = read_all(postbox.as_ref())
        .into_iter()
        .flat_map(|(_, items)| items)
        .filter(|item| matches!(item, Found::Skipped { reason: SkipReason::DeletedInSource(client), .. } if client == "Postbox"))
        .count();
    assert_eq!(skipped, 3);
}

#[test]
fn discovery_skips_missing_profiles_and_postbox_backups() {
    let home = temp_dir();
    let root = home.path().join(".thunderbird");
    copy_tree(&profile(), &root.join("a.work"));
    // A Postbox-style compaction backup next to Inbox is not a folder.
    copy_file(
        &root.join("a.work/Mail/pop.example.com/Inbox"),
        &root.join("a.work/Mail/pop.example.com/#PB#Inbox"),
    );
    fs::write(
        root.join("profiles.ini"),
        "[Profile3]\nName=work\nIsRelative=1\nPath=a.work\n\n[Profile9]\nName=gone\nIsRelative=1\nPath=b.gone\n",
    )
    .unwrap();
    let discovery = discover_in(&SearchRoots::for_home(SystemLayout::Unix, home.path()));
    let names: Vec<_> = discovery.stores.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["Thunderbird — work"]);
    assert_eq!(discovery.notes.len(), 1);
    assert!(
        discovery.notes[0].contains("\"gone\" is listed in profiles.ini but its folder"),
        "{:?}",
        discovery.notes
    );
    let store = discovery.stores[0].open().unwrap();
    let folders: Vec<_> = store
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(folders.len(), 20, "{folders:?}");
}

#[test]
fn a_data_folder_gives_each_profile_with_mail_and_says_when_none_has_any() {
    let home = temp_dir();
    let data = home.path().join(".thunderbird");
    copy_tree(&profile_root(), &data);
    copy_tree(&profile(), &data.join("k3y4.work"));
    let mut ini = fs::read_to_string(data.join("profiles.ini")).unwrap();
    ini.push_str("\n[Profile2]\nName=work\nIsRelative=1\nPath=k3y4.work\n");
    fs::write(data.join("profiles.ini"), ini).unwrap();

    // Every profile with mail, the one the installation uses first.
    let stores = sources::open_all(&data).unwrap();
    let names: Vec<String> = stores.iter().map(|s| s.display_name()).collect();
    assert_eq!(
        names,
        ["Thunderbird — default-default", "Thunderbird — work"]
    );
    assert_eq!(stores[1].root(), data.join("k3y4.work"));
    // One store: the installation's, naming the other.
    let store = sources::open(&data).unwrap();
    assert_eq!(store.display_name(), "Thunderbird — default-default");
    let warnings = store.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("also holds Thunderbird — work") && w.contains("k3y4.work")),
        "{warnings:?}"
    );
    // A copy without profiles.ini: the profiles are found by their folders, by name.
    fs::remove_file(data.join("profiles.ini")).unwrap();
    let names: Vec<String> = sources::open_all(&data)
        .unwrap()
        .iter()
        .map(|s| s.display_name())
        .collect();
    assert_eq!(
        names,
        ["Thunderbird — work", "Thunderbird — default-default"]
    );

    // A data folder whose only profile never held mail.
    let empty = home.path().join("empty");
    copy_tree(
        &profile_root().join("si38zpcu.default"),
        &empty.join("si38zpcu.default"),
    );
    fs::write(
        empty.join("profiles.ini"),
        "[Profile0]\nName=default\nIsRelative=1\nPath=si38zpcu.default\nDefault=1\n",
    )
    .unwrap();
    let error = sources::open_all(&empty).unwrap_err().to_string();
    assert!(
        error.ends_with(
            "not a mail store this app can read (a Thunderbird data folder, but none of its \
             profiles holds mail (no Mail or ImapMail folder))"
        ),
        "{error}"
    );
}

/// Folders of an account the profile no longer lists (removed in Thunderbird, its folder left
/// behind) are read from the folders alone, and the store says so.
#[test]
fn a_removed_accounts_folder_in_a_profile_is_read_as_found() {
    let (_dir, profile) = profile_copy();
    let old = profile.join("ImapMail/imap.old.example.net");
    fs::create_dir_all(&old).unwrap();
    copy_file(
        &profile.join("Mail/Local Folders/Projects"),
        &old.join("INBOX"),
    );
    copy_file(
        &profile.join("Mail/Local Folders/Projects.msf"),
        &old.join("INBOX.msf"),
    );
    // The whole profile lists the accounts prefs.js names, not this one.
    let whole = sources::open(&profile).unwrap();
    assert!(
        whole
            .folders()
            .unwrap()
            .iter()
            .all(|f| f.path.names()[0] != "imap.old.example.net")
    );
    for target in [profile.join("ImapMail"), old.clone()] {
        let store = sources::open(&target).unwrap();
        let folders: Vec<(FolderPath, u64)> = store
            .folders()
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.count))
            .collect();
        assert_eq!(
            folders,
            vec![
                (path(&["imap.old.example.net"]), 0),
                (path(&["imap.old.example.net", "Inbox"]), 2)
            ],
            "{}",
            target.display()
        );
        assert!(
            store
                .warnings()
                .iter()
                .any(|w| w.contains("none of the profile's accounts")),
            "{:?}",
            store.warnings()
        );
    }
}

#[test]
fn sources_open_recognizes_thunderbird_data() {
    for target in [
        profile(),
        profile().join("Mail"),
        profile().join("Mail/Local Folders"),
        profile().join("Mail/Local Folders/Projects"),
    ] {
        let store = sources::open(&target).unwrap();
        assert_eq!(store.kind(), StoreKind::Thunderbird, "{}", target.display());
    }
}

#[test]
fn a_maildir_file_that_vanishes_while_reading_is_a_reported_skip() {
    let (_dir, profile) = profile_copy();
    let store = MozillaStore::open(&profile).unwrap();
    let inbox = path(&[BOB, "Inbox"]);
    let iter = store.messages(&inbox).unwrap();
    fs::remove_file(
        profile.join("Mail/pop.example.org/Inbox/cur/1795320974.M890415P10253Q2.vm.eml"),
    )
    .unwrap();
    let items: Vec<_> = iter.map(|item| item.unwrap()).collect();
    assert_eq!(items.len(), 4);
    assert_eq!(messages(&items).len(), 3);
    assert!(
        matches!(&items[1], Found::Skipped { reason: SkipReason::Unreadable(why), .. } if why.starts_with("cannot read the file")),
        "{:?}",
        items[1]
    );
}

#[test]
fn an_mbox_cut_short_while_reading_does_not_crash() {
    let (_dir, profile) = profile_copy();
    let store = MozillaStore::open(&profile).unwrap();
    let inbox = path(&[ALICE, "Inbox"]);
    let iter = store.messages(&inbox).unwrap();
    // Thunderbird compacting the folder right now: the file shrinks under the reader.
    let file = fs::OpenOptions::new()
        .write(true)
        .open(profile.join("Mail/pop.example.com/Inbox"))
        .unwrap();
    file.set_len(9000).unwrap();
    drop(file);
    let items: Vec<_> = iter.collect();
    assert!(items.len() <= 4, "{}", items.len());
    assert!(items.iter().all(Result::is_ok));
}

#[test]
fn unsent_messages_are_marked_as_the_outbox() {
    let (_dir, profile) = profile_copy();
    let local = profile.join("Mail/Local Folders");
    copy_file(
        &profile.join("Mail/pop.example.com/Sent"),
        &local.join("Unsent Messages"),
    );
    fs::remove_file(local.join("Unsent Messages.msf")).unwrap();
    let store = MozillaStore::open(&profile).unwrap();
    let outbox = store
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.path == path(&[LOCAL, "Unsent Messages"]))
        .unwrap();
    assert_eq!(outbox.count, 3);
    assert_eq!(outbox.notes.len(), 2, "{:?}", outbox.notes);
    assert!(
        outbox.notes[0].starts_with("Unsent Messages.msf is missing"),
        "{:?}",
        outbox.notes
    );
    assert_eq!(
        outbox.notes[1],
        "the Outbox: messages written but not sent yet by Thunderbird"
    );
}

/// The real profile converted by the engine, then read by independent readers: every live
/// message is in the folder of its real name, the expunged copies are not, and each folder has
/// as many read messages as Thunderbird shows (MANIFEST.md).
#[test]
fn the_profile_in_a_pst_as_the_independent_readers_see_it() {
    let (_out, pst) = profile_in_a_pst();
    let expected: Vec<(String, usize, usize)> = expected_messages()
        .into_iter()
        .map(|(folder, shown)| {
            let read = shown.iter().filter(|(read, _, _)| *read).count();
            (folder.names().join("/"), shown.len(), read)
        })
        .collect();
    let readers =
        crate::engine_common::read_with(&pst, &["readpst", "pffexport", "pypff", "outlook-pst"]);
    for (reader, json) in &readers {
        assert_eq!(json["totals"]["messages"], 46, "{reader}");
        let messages = json["messages"].as_array().unwrap();
        for (folder, count, read) in &expected {
            // Readers that export to files replace what a file name cannot hold.
            let in_folder: Vec<&serde_json::Value> = messages
                .iter()
                .filter(|m| m["folder"].as_str().map(file_safe) == Some(file_safe(folder)))
                .collect();
            assert_eq!(in_folder.len(), *count, "{reader}: {folder}");
            if json["unsupported"]
                .as_array()
                .is_some_and(|u| u.iter().any(|f| f == "read"))
            {
                continue;
            }
            let read_seen = in_folder.iter().filter(|m| m["read"] == true).count();
            assert_eq!(read_seen, *read, "{reader}: read messages in {folder}");
        }
    }
}

/// The real profile converted by the engine into a PST (in a temporary folder kept alive by
/// the returned guard), all 46 live messages written.
fn profile_in_a_pst() -> (tempfile::TempDir, PathBuf) {
    let out = temp_dir();
    let pst = out.path().join("thunderbird.pst");
    let (report, _) = crate::engine_common::run(&crate::engine_common::spec(
        vec![profile()],
        &pst,
        crate::engine_common::licensed(),
    ));
    assert_eq!(report.totals.written, 46, "{:#?}", report.totals);
    (out, pst)
}

/// One message's follow-up flag and categories in a folder: (Message-ID or, without one, the
/// subject; PidTagFlagStatus; PidTagFollowupIcon; categories), per folder path, sorted.
type MarksPerFolder = BTreeMap<String, Vec<(String, Option<i32>, Option<i32>, Vec<String>)>>;

/// PidTagFlagStatus followupFlagged and PidTagFollowupIcon red, what a starred message gets.
const FLAGGED: (Option<i32>, Option<i32>) = (Some(2), Some(6));

/// The starred messages and tags Thunderbird shows (MANIFEST.md, `expected_messages`) as the
/// flags and categories of each message of the PST, the messages told apart by what the
/// converter makes of their headers.
fn expected_marks(folder_name: impl Fn(&str) -> String) -> MarksPerFolder {
    let store = MozillaStore::open(&profile()).unwrap();
    let mut expected = MarksPerFolder::new();
    for (folder, shown) in expected_messages() {
        let items: Vec<Found> = store
            .messages(&folder)
            .unwrap()
            .map(|item| item.unwrap())
            .collect();
        let found = messages(&items);
        assert_eq!(found.len(), shown.len(), "{folder}");
        let mut marks: Vec<_> = found
            .into_iter()
            .zip(shown)
            .map(|(raw, (_, starred, tags))| {
                let message = mail2pst::convert::convert(raw).message;
                let key = match message.internet_message_id {
                    Some(id) if !id.is_empty() => id,
                    _ => message.subject.unwrap_or_default(),
                };
                let (status, icon) = if starred { FLAGGED } else { (None, None) };
                (
                    key,
                    status,
                    icon,
                    tags.iter().map(|t| t.to_string()).collect(),
                )
            })
            .collect();
        marks.sort();
        assert!(
            marks.windows(2).all(|pair| pair[0].0 != pair[1].0),
            "two messages of {folder} are told apart by nothing"
        );
        expected.insert(folder_name(&folder.names().join("/")), marks);
    }
    expected
}

/// The real profile converted by the engine, then read by the independent readers that can see
/// follow-up flags and categories (`flag_readers`): in every folder, exactly the messages
/// Thunderbird shows starred are flagged, and each message carries exactly its tags as
/// categories, in Thunderbird's order.
#[test]
fn the_profiles_stars_and_tags_as_the_independent_readers_see_them() {
    let (_out, pst) = profile_in_a_pst();
    for reader in crate::flag_readers::READERS {
        // pffexport names folders as directories.
        let folder_name = |name: &str| {
            if reader == "pffexport" {
                file_safe(name)
            } else {
                name.to_owned()
            }
        };
        let mut seen = MarksPerFolder::new();
        for message in crate::flag_readers::read(&pst, reader) {
            seen.entry(folder_name(&message.folder)).or_default().push((
                message.key(),
                message.flag_status,
                message.follow_up_icon,
                message.categories,
            ));
        }
        seen.values_mut().for_each(|marks| marks.sort());
        let expected = expected_marks(folder_name);
        assert_eq!(seen, expected, "{reader}");
        let flagged = seen.values().flatten().filter(|m| (m.1, m.2) == FLAGGED);
        assert_eq!(flagged.count(), 5, "{reader}");
        let tagged = seen.values().flatten().filter(|m| !m.3.is_empty());
        assert_eq!(tagged.count(), 8, "{reader}");
    }
}

/// A folder path with the ASCII punctuation that readpst and pffexport replace in file names
/// turned into `_`, so that their folder names compare with ours.
pub(crate) fn file_safe(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_ascii() && !(c.is_ascii_alphanumeric() || " /.-".contains(c)) {
                '_'
            } else {
                c
            }
        })
        .collect()
}
