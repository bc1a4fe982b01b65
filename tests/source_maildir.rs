//! Maildir trees: notmuch's corpus (counts from `SOURCES.md`, loose files included) and the
//! project's fixture with flags, Dovecot keywords and Maildir++ folders.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use mail2pst::model::{FolderPath, Found, MessageFlags, Origin, RawMessage, SkipReason, StoreKind};
use mail2pst::sources::{self, MailStore};
use sha2::{Digest as _, Sha256};

use crate::util::{corpus, fixtures, temp_dir};

fn notmuch(corpus_name: &str) -> std::path::PathBuf {
    corpus()
        .join("maildir/notmuch/test/corpora")
        .join(corpus_name)
}

fn all_items(store: &dyn MailStore) -> Vec<Found> {
    let mut items = Vec::new();
    for folder in store.folders().unwrap() {
        items.extend(store.messages(&folder.path).unwrap().map(Result::unwrap));
    }
    items
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

/// The Message-ID header's value, read plainly from the header block.
fn message_id(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().to_owned())
        })
}

#[test]
fn notmuch_default_accounts_for_all_53_files() {
    let store = sources::open(&notmuch("default")).unwrap();
    assert_eq!(store.kind(), StoreKind::Maildir);
    let folders = store.folders().unwrap();
    let counts: BTreeMap<String, u64> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    let expected: BTreeMap<String, u64> = [
        ("default", 28),
        ("default/bar", 6),
        ("default/bar/baz", 7),
        ("default/foo", 6),
        ("default/foo/baz", 6),
    ]
    .into_iter()
    .map(|(name, count)| (name.to_owned(), count))
    .collect();
    assert_eq!(counts, expected);
    // Folders holding loose files say so.
    assert!(
        folders[0]
            .notes
            .iter()
            .any(|n| n.starts_with("2 message file(s) lie beside"))
    );

    let items = all_items(store.as_ref());
    let messages = messages(&items);
    assert_eq!(messages.len(), 53);
    let ids: BTreeSet<String> = messages
        .iter()
        .filter_map(|m| message_id(&m.bytes))
        .collect();
    assert_eq!(ids.len(), 52);
    let hashes: BTreeSet<Vec<u8>> = messages
        .iter()
        .map(|m| Sha256::digest(&m.bytes).to_vec())
        .collect();
    assert_eq!(hashes.len(), 52);
    // Every message comes from a file of its own, read whole.
    for message in &messages {
        let Origin::File { path } = &message.origin else {
            panic!("unexpected origin {:?}", message.origin);
        };
        assert_eq!(fs::read(path).unwrap(), message.bytes);
        assert_eq!(message.flags, MessageFlags::default());
    }
}

#[test]
fn notmuch_lkml_and_broken() {
    let store = sources::open(&notmuch("lkml")).unwrap();
    assert_eq!(store.kind(), StoreKind::Maildir);
    let items = all_items(store.as_ref());
    let messages = messages(&items);
    assert_eq!(messages.len(), 210);
    let ids: BTreeSet<String> = messages
        .iter()
        .filter_map(|m| message_id(&m.bytes))
        .collect();
    assert_eq!(ids.len(), 176);

    // Not a maildir: a plain folder of message files.
    let store = sources::open(&notmuch("broken")).unwrap();
    assert_eq!(store.kind(), StoreKind::EmlFolder);
    let counts: Vec<(String, u64)> = store
        .folders()
        .unwrap()
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        counts,
        [("broken".to_owned(), 2), ("broken/loop".to_owned(), 2)]
    );
    assert_eq!(messages_of(&notmuch("broken")), 4);

    // The three together, as one tree.
    assert_eq!(messages_of(&corpus().join("maildir")), 53 + 210 + 4);
}

fn messages_of(path: &Path) -> usize {
    let store = sources::open(path).unwrap();
    messages(&all_items(store.as_ref())).len()
}

/// What the fixture maildir must read as, whatever its info separator.
fn check_fixture_maildir(root: &Path) {
    let store = sources::open(root).unwrap();
    assert_eq!(store.kind(), StoreKind::Maildir);
    let folders = store.folders().unwrap();
    let counts: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("Mail", 5),
            ("Mail/Sent", 1),
            ("Mail/Work", 0),
            ("Mail/Work/Réunion", 1)
        ]
        .map(|(name, count)| (name.to_owned(), count))
    );

    let inbox: Vec<Found> = store
        .messages(&FolderPath::new(["Mail"]))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let flags = |read, replied, flagged| MessageFlags {
        read,
        replied,
        flagged,
        ..MessageFlags::default()
    };
    let summary: Vec<String> = inbox
        .iter()
        .map(|item| match item {
            Found::Message(m) => format!("{:?} {:?}", m.flags, m.keywords),
            Found::Skipped { reason, .. } => format!("skipped: {reason}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            format!("{:?} []", flags(true, false, false)),
            format!("{:?} []", flags(true, true, false)),
            format!("{:?} [\"$label1\"]", flags(true, false, true)),
            "skipped: deleted in the mail client (maildir flag T), not yet compacted".to_owned(),
            format!("{:?} []", flags(false, false, false)),
        ]
    );
    assert!(matches!(
        &inbox[3],
        Found::Skipped {
            reason: SkipReason::DeletedInSource(_),
            ..
        }
    ));

    let work: Vec<Found> = store
        .messages(&FolderPath::new(["Mail", "Work", "Réunion"]))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let [Found::Message(forwarded)] = &work[..] else {
        panic!("unexpected items {work:?}");
    };
    assert!(forwarded.flags.forwarded && !forwarded.flags.read);
    assert!(forwarded.bytes.starts_with(b"From: Alice"));
}

#[test]
fn fixture_maildir_flags_keywords_and_maildir_plus_folders() {
    check_fixture_maildir(&fixtures().join("maildir/Mail"));
}

/// The same maildir with `:2,` in its file names, as on Linux and macOS (the repository keeps
/// `;2,` so it can be checked out on Windows).
#[cfg(unix)]
#[test]
fn fixture_maildir_with_colon_info_separators() {
    let temp = temp_dir();
    let root = temp.path().join("Mail");
    for entry in walkdir::WalkDir::new(fixtures().join("maildir/Mail")) {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(fixtures().join("maildir/Mail"))
            .unwrap();
        let target = root.join(relative.to_string_lossy().replace(";2,", ":2,"));
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
    assert!(root.join("cur/1700000002.M2P2.host:2,RS").is_file());
    check_fixture_maildir(&root);
}
