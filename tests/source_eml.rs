//! Folders of message files (`.eml`, extension-less messages, mbox files among them) on the
//! corpus (counts from `SOURCES.md`) and on the project's fixture tree, and what
//! `sources::open` makes of paths that are not mail.

use std::fs;
use std::path::Path;

use mail2pst::model::{FolderPath, Found, Origin, RawMessage, SkipReason, StoreKind};
use mail2pst::sources::{self, Error, FolderInfo, MailStore};

use crate::util::{corpus, fixtures, temp_dir};

fn all_items(store: &dyn MailStore) -> Vec<Found> {
    let mut items = Vec::new();
    for folder in store.folders().unwrap() {
        items.extend(store.messages(&folder.path).unwrap().map(Result::unwrap));
    }
    items
}

fn message_at<'a>(items: &'a [Found], file: &str) -> &'a RawMessage {
    items
        .iter()
        .find_map(|item| match item {
            Found::Message(message) => match &message.origin {
                Origin::File { path } | Origin::FileOffset { path, .. } if path.ends_with(file) => {
                    Some(message)
                }
                _ => None,
            },
            Found::Skipped { .. } => None,
        })
        .unwrap_or_else(|| panic!("no message from {file}"))
}

fn folder<'a>(folders: &'a [FolderInfo], names: &[&str]) -> &'a FolderInfo {
    let path = FolderPath::new(names.iter().copied());
    folders
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no folder {path}"))
}

#[test]
fn corpus_eml_folders_have_the_expected_counts() {
    for (origin, expected) in [
        ("cpython-test_email", 47),
        ("mikel-mail", 103),
        ("stalwart-mail-parser", 53),
        ("comm-central", 335),
        ("MimeKit", 1),
    ] {
        let store = sources::open(&corpus().join("eml").join(origin)).unwrap();
        assert_eq!(store.kind(), StoreKind::EmlFolder, "{origin}");
        let folders = store.folders().unwrap();
        assert_eq!(folders[0].path, FolderPath::new([origin]));
        let counted: u64 = folders.iter().map(|f| f.count).sum();
        assert_eq!(counted, expected, "folder counts of {origin}");
        let items = all_items(store.as_ref());
        let skipped: Vec<&Found> = items
            .iter()
            .filter(|item| matches!(item, Found::Skipped { .. }))
            .collect();
        assert!(skipped.is_empty(), "{origin}: {skipped:?}");
        assert_eq!(items.len() as u64, expected, "messages of {origin}");
    }
}

#[test]
fn folder_names_come_from_directories() {
    let store = sources::open(&corpus().join("eml/mikel-mail")).unwrap();
    let folders = store.folders().unwrap();
    let emails = ["mikel-mail", "spec", "fixtures", "emails"];
    assert_eq!(folder(&folders, &emails).count, 0);
    for (name, count) in [
        ("attachment_emails", 14),
        ("error_emails", 28),
        ("mime_emails", 15),
        ("multi_charset", 6),
        ("multipart_report_emails", 5),
        ("plain_emails", 20),
        ("rfc2822", 14),
        ("rfc6532", 1),
    ] {
        let mut names = emails.to_vec();
        names.push(name);
        assert_eq!(folder(&folders, &names).count, count, "{name}");
    }
    // Parents before children, siblings in name order.
    let paths: Vec<&FolderPath> = folders.iter().map(|f| &f.path).collect();
    for (i, path) in paths.iter().enumerate() {
        if let Some(parent) = path.parent().filter(|p| !p.is_root()) {
            assert!(paths[..i].contains(&&parent), "{path} before its parent");
        }
    }

    let store = sources::open(&corpus().join("eml/comm-central")).unwrap();
    let folders = store.folders().unwrap();
    let data = ["comm-central", "mailnews", "test", "data"];
    assert_eq!(folder(&folders, &data).count, 99);
}

#[test]
fn messages_without_a_header_are_still_messages() {
    let store = sources::open(&corpus().join("eml")).unwrap();
    let items = all_items(store.as_ref());
    assert_eq!(items.len(), 47 + 103 + 53 + 335 + 1);
    for file in [
        "data/msg_19.txt",
        "mailnews/test/data/basic4",
        "mailnews/test/data/basic5",
        "malformed/019.eml",
    ] {
        let message = message_at(&items, file);
        let on_disk = fs::read(corpus().join("eml").join(find(file))).unwrap();
        assert_eq!(message.bytes, on_disk, "{file}");
    }
    // A NUL byte does not make an .eml binary.
    let message = message_at(&items, "thirdparty/005.eml");
    assert!(message.bytes.contains(&0));
}

/// The corpus path of a file known by the end of its path.
fn find(tail: &str) -> std::path::PathBuf {
    walkdir::WalkDir::new(corpus().join("eml"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .find(|p| p.ends_with(tail))
        .unwrap()
        .strip_prefix(corpus().join("eml"))
        .unwrap()
        .to_path_buf()
}

#[test]
fn a_from_line_before_a_single_message_is_framing() {
    let store = sources::open(&corpus().join("eml/comm-central")).unwrap();
    let items = all_items(store.as_ref());
    for (file, received) in [
        ("files/clickableContent.eml", None),
        ("mailnews/test/data/bugmail2", Some(1_191_284_807)),
        // 2017-01-27T00:19:08Z, in RFC 5322 order on the From_ line.
        ("composition/data/feed-message.eml", Some(1_485_476_348)),
    ] {
        let message = message_at(&items, file);
        assert!(!message.bytes.starts_with(b"From "), "{file}");
        assert_eq!(message.received, received, "{file}");
        // The file less its From_ line; a file without `.eml` is read as an mbox of one, so
        // the blank line that ends it in mbox style goes too.
        let on_disk = fs::read(corpus().join("eml").join(find(file))).unwrap();
        let first_line = on_disk.iter().position(|&b| b == b'\n').unwrap() + 1;
        let rest = &on_disk[first_line..];
        assert!(rest.starts_with(&message.bytes), "{file}");
        assert!(
            matches!(&rest[message.bytes.len()..], b"" | b"\n" | b"\r\n"),
            "{file}"
        );
    }
}

#[test]
fn single_message_file_is_a_store_of_one() {
    let path = corpus().join("eml/mikel-mail/spec/fixtures/emails/plain_emails/raw_email.eml");
    let store = sources::open(&path).unwrap();
    assert_eq!(store.kind(), StoreKind::EmlFolder);
    assert_eq!(store.display_name(), "EML files — raw_email");
    let folders = store.folders().unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].path, FolderPath::new(["raw_email"]));
    assert_eq!(folders[0].count, 1);
    let items = all_items(store.as_ref());
    assert!(matches!(&items[..], [Found::Message(_)]));

    // Without an extension, a header line at the start makes it a message.
    let path = corpus().join("eml/cpython-test_email/Lib/test/test_email/data/msg_01.txt");
    let store = sources::open(&path).unwrap();
    assert_eq!(
        store.folders().unwrap()[0].path,
        FolderPath::new(["msg_01.txt"])
    );
}

#[test]
fn fixture_tree_folders_messages_and_skips() {
    let store = sources::open(&fixtures().join("tree")).unwrap();
    assert_eq!(store.kind(), StoreKind::EmlFolder);
    let folders = store.folders().unwrap();
    let summary: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        summary,
        [
            ("tree", 0),
            ("tree/Archive", 2),
            ("tree/Attachments", 0),
            ("tree/Attachments/1", 1),
            ("tree/Inbox", 4),
            ("tree/Projects", 0),
            ("tree/Projects/2024", 1),
            ("tree/Projects/2024/two-messages", 2),
        ]
        .map(|(name, count)| (name.to_owned(), count))
    );

    let inbox = FolderPath::new(["tree", "Inbox"]);
    let items: Vec<Found> = store
        .messages(&inbox)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let described: Vec<String> = items
        .iter()
        .map(|item| match item {
            Found::Message(m) => match &m.origin {
                Origin::File { path } => format!("message {}", name_of(path)),
                other => format!("message at {other}"),
            },
            Found::Skipped {
                origin: Origin::File { path },
                reason,
            } => format!("skipped {}: {reason}", name_of(path)),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        described,
        [
            "skipped empty.txt: not a mail message: an empty file",
            "message headerless",
            "message hello.eml",
            "message saved-with-from-line.eml",
        ]
    );
    // Files that are plainly not mail are no messages found: one note names them.
    assert_eq!(
        store.warnings(),
        [
            "5 files that are not mail left out, not counted as messages — data, settings or \
          text files: Inbox/notes.md; images: Inbox/photo.png; mail-client or system \
          bookkeeping files: .gitattributes, Thumbs.db, Inbox/.DS_Store"
        ]
    );
    let saved = message_at(&items, "saved-with-from-line.eml");
    assert!(saved.bytes.starts_with(b"From: Alice"));
    assert_eq!(saved.received, Some(1_191_284_807));
    assert_eq!(saved.folder, inbox);
    let hello = message_at(&items, "hello.eml");
    assert!(hello.bytes.ends_with(b"Body of message 1.\r\n"));

    // Headerless text is a message among messages (`Inbox/headerless` above), not alone.
    let lone = FolderPath::new(["tree", "Attachments", "1"]);
    let items: Vec<Found> = store.messages(&lone).unwrap().map(Result::unwrap).collect();
    assert!(matches!(
        &items[..],
        [Found::Skipped { reason: SkipReason::NotAMessage(why), .. }] if why.starts_with("a text file without a mail header")
    ));

    let framed = FolderPath::new(["tree", "Projects", "2024"]);
    let items: Vec<Found> = store
        .messages(&framed)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items.len(), 1);
    let message = message_at(&items, "single-framed");
    assert!(message.bytes.starts_with(b"From: Alice"));

    let archive = FolderPath::new(["tree", "Archive"]);
    let items: Vec<Found> = store
        .messages(&archive)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        items
            .iter()
            .all(|item| matches!(item, Found::Message(m) if m.folder == archive))
    );

    assert!(matches!(
        store.messages(&FolderPath::new(["tree", "Nope"])),
        Err(Error::NoSuchFolder { .. })
    ));
}

fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn thunderbird_folder_files_beside_their_summaries_are_folders() {
    let store = sources::open(&corpus().join("thunderbird")).unwrap();
    let folders = store.folders().unwrap();
    let data = ["thunderbird", "comm-central", "mailnews", "test", "data"];
    assert_eq!(folder(&folders, &data).count, 0);
    for (name, count) in [("bugmail-1", 1), ("mbox_mboxrd", 2), ("mbox_modern", 2)] {
        let mut names = data.to_vec();
        names.push(name);
        assert_eq!(folder(&folders, &names).count, count, "{name}");
    }
    let migration = folders
        .iter()
        .find(|f| f.path.name() == "migration")
        .unwrap();
    assert_eq!(migration.count, 3);
    assert_eq!(folders.iter().map(|f| f.count).sum::<u64>(), 8);
}

// --- What `sources::open` says about paths that are not mail. ---

#[test]
fn missing_path_is_not_found() {
    let path = fixtures().join("no-such-thing");
    match sources::open(&path).unwrap_err() {
        Error::NotFound { path: at } => assert_eq!(at, path),
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn files_and_folders_that_are_not_mail_are_unrecognized() {
    let temp = temp_dir();
    let text = temp.path().join("notes");
    fs::write(&text, "Remember the milk.\n").unwrap();
    let empty = temp.path().join("empty");
    fs::write(&empty, "").unwrap();
    let pictures = temp.path().join("pictures");
    fs::create_dir(&pictures).unwrap();
    fs::copy(
        fixtures().join("tree/Inbox/photo.png"),
        pictures.join("photo.png"),
    )
    .unwrap();
    for (path, what) in [
        (&text, "neither an mbox file"),
        (&empty, "an empty file"),
        (&pictures, "a folder with no mail files"),
    ] {
        match sources::open(path).unwrap_err() {
            Error::Unrecognized {
                path: at,
                what: said,
            } => {
                assert_eq!(&at, path);
                assert!(said.starts_with(what), "{said}");
            }
            other => panic!("unexpected error {other}"),
        }
    }
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_permission_denied() {
    use std::os::unix::fs::PermissionsExt as _;
    let temp = temp_dir();
    let path = temp.path().join("locked.mbox");
    fs::copy(fixtures().join("mbox/bom.mbox"), &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    let result = sources::open(&path);
    if fs::File::open(&path).is_ok() {
        // A privileged user reads it anyway; then so do we.
        assert_eq!(result.unwrap().folders().unwrap()[0].count, 2);
    } else {
        assert!(matches!(result, Err(Error::PermissionDenied { .. })));
    }
}

#[test]
fn open_tells_store_kinds_apart() {
    let names: Vec<&str> = sources::DETECTORS.iter().map(|(name, _)| *name).collect();
    assert_eq!(names.last(), Some(&"folder of mail files"));
    for (path, kind) in [
        // A .eml is one message even when it starts with a From_ line.
        (
            fixtures().join("tree/Inbox/saved-with-from-line.eml"),
            StoreKind::EmlFolder,
        ),
        (
            fixtures().join("tree/Projects/2024/two-messages"),
            StoreKind::Mbox,
        ),
        (fixtures().join("tree/Archive.mbox"), StoreKind::Mbox),
        (fixtures().join("maildir/Mail"), StoreKind::Maildir),
        (fixtures().join("maildir"), StoreKind::EmlFolder),
        (fixtures().join("tree"), StoreKind::EmlFolder),
    ] {
        assert_eq!(
            sources::open(&path).unwrap().kind(),
            kind,
            "{}",
            path.display()
        );
    }
}
