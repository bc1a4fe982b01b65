//! Apple Mail: the real emlx / partial emlx messages of the corpus, and libraries built in
//! temporary folders from the documented layouts (see `apple_mail_fixtures`).

use std::fs;
use std::path::PathBuf;

use base64::Engine as _;
use mail2pst::model::{FolderPath, Found, MessageFlags, Origin, RawMessage, SkipReason};
use mail2pst::sources::apple_mail::{self, emlx, mime, partial};
use mail2pst::sources::{Error, MailStore};

use crate::apple_mail_fixtures::*;
use crate::util::temp_dir;

fn all_found(store: &dyn MailStore, folder: &FolderPath) -> Vec<Found> {
    store
        .messages(folder)
        .unwrap()
        .map(|item| item.unwrap())
        .collect()
}

fn messages(found: &[Found]) -> Vec<&RawMessage> {
    found
        .iter()
        .filter_map(|f| match f {
            Found::Message(m) => Some(m),
            Found::Skipped { .. } => None,
        })
        .collect()
}

fn file_id(origin: &Origin) -> i64 {
    match origin {
        Origin::File { path } => path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split('.')
            .next()
            .unwrap()
            .parse()
            .unwrap(),
        Origin::DatabaseRow { row, .. } => *row,
        other => panic!("unexpected origin {other:?}"),
    }
}

fn reassembled(id: i64) -> partial::Reassembly {
    let path = apple_corpus().join("Messages").join(corpus_file(id));
    let parsed = emlx::read(&path).unwrap();
    partial::reassemble(parsed.message, &path)
}

fn body<'a>(message: &'a [u8], number: &str) -> &'a [u8] {
    let leaf = mime::leaves(message)
        .into_iter()
        .find(|l| l.number_text() == number)
        .unwrap_or_else(|| panic!("no part {number}"));
    &message[leaf.body]
}

#[test]
fn every_corpus_message_converts() {
    let dir = apple_corpus();
    let store = apple_mail::open(&dir).unwrap().expect("a mailbox");
    let folders = store.folders().unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].count, 8);
    let found = all_found(store.as_ref(), &folders[0].path);
    let converted = messages(&found);
    assert_eq!(converted.len(), 8, "{found:#?}");
    for message in &converted {
        let id = file_id(&message.origin);
        let expected = emlx::EmlxFlags(corpus_flags(id)).message_flags();
        assert_eq!(message.flags, expected, "{id}");
        assert!(message.received.is_some(), "{id}");
        let warnings = &message.warnings;
        match id {
            // No Attachments folder in the corpus for these two: every missing body is named.
            114893 | 114895 => {
                assert_eq!(warnings.len(), 4, "{id}: {warnings:?}");
                for name in ["short.txt", "original.doc", "text.txt", "image001.png"] {
                    assert!(
                        warnings.iter().any(|w| w.contains(&format!("\"{name}\""))),
                        "{id}: {name} not reported in {warnings:?}"
                    );
                }
            }
            // The byte count is larger than the file: converted, with one warning.
            136153 | 229417 => assert_eq!(warnings.len(), 1, "{id}: {warnings:?}"),
            _ => assert!(warnings.is_empty(), "{id}: {warnings:?}"),
        }
    }
    let read_answered = converted
        .iter()
        .find(|m| file_id(&m.origin) == 136153)
        .unwrap();
    assert_eq!(
        read_answered.flags,
        MessageFlags {
            read: true,
            replied: true,
            ..MessageFlags::default()
        }
    );
    let date = converted
        .iter()
        .find(|m| file_id(&m.origin) == 114892)
        .unwrap();
    assert_eq!(date.received, Some(1_517_000_478));
}

#[test]
fn complete_emlx_equals_the_origins_expected_output() {
    let result = reassembled(114862);
    let expected = fs::read(apple_corpus().join("expected_results/114862.eml")).unwrap();
    assert_eq!(result.message, expected);
    assert_eq!(result.restored, 0);
}

/// `expected_results/114892.eml` is the message as the server sent it (CRLF line endings).
/// Apple Mail stored it with LF endings and rewrote the header fields of the four parts it
/// stripped (their order, and `name=x` for `name="x"`); that header text is nowhere on disk.
/// So: after turning CRLF into LF and putting those four header blocks back from the original,
/// the rebuilt message is byte for byte the original; and the four header blocks say the same
/// content type, file name and transfer encoding.
#[test]
fn partial_message_equals_the_original_except_rewritten_part_headers() {
    let result = reassembled(114892);
    assert_eq!(result.restored, 4);
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    assert!(!String::from_utf8_lossy(&result.message).contains("X-Apple-Content-Length"));
    let original = fs::read(apple_corpus().join("expected_results/114892.eml")).unwrap();
    let original = String::from_utf8(original)
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();

    let ours = mime::leaves(&result.message);
    let theirs = mime::leaves(&original);
    assert_eq!(ours.len(), theirs.len());
    let stripped = ["2.2", "2.4", "2.6", "2.8"];
    let mut patched = Vec::new();
    let mut at = 0;
    for (our, their) in ours.iter().zip(&theirs) {
        assert_eq!(our.number, their.number);
        if stripped.contains(&our.number_text().as_str()) {
            assert_eq!(our.info, their.info, "part {}", our.number_text());
            patched.extend_from_slice(&result.message[at..our.header.start]);
            patched.extend_from_slice(&original[their.header.clone()]);
            at = our.header.end;
        }
    }
    patched.extend_from_slice(&result.message[at..]);
    assert!(
        patched == original,
        "rebuilt 114892 differs from the original"
    );

    // What the origin's tests check on the same message.
    let text = String::from_utf8_lossy(&result.message);
    assert!(text.contains("gl=C3=BCcklichen"));
    assert!(text.contains("iVBORw0KGgoAAAANSUhE"));
    assert!(text.contains("\n\nShort text.\n"));
}

#[test]
fn unnamed_inline_part_is_found_by_part_number() {
    let result = reassembled(114894);
    assert_eq!(result.restored, 4, "{:?}", result.warnings);
    let png = fs::read(apple_corpus().join("Attachments/114894/2.8/Mail-Anhang.png")).unwrap();
    let encoded: Vec<u8> = body(&result.message, "2.8")
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(decoded, png);
    // The same image in the original message, line for line.
    let original = fs::read(apple_corpus().join("expected_results/114892.eml")).unwrap();
    let original = String::from_utf8(original)
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    assert_eq!(body(&result.message, "2.8"), body(&original, "2.8"));
}

#[test]
fn single_hyphen_closing_boundary_is_repaired() {
    let result = reassembled(114895);
    assert!(
        result
            .message
            .ends_with(b"\n--Apple-Mail=_F073CB14-2AA7-40E0-88F6-8C1A8748438B--")
    );
    // With the closing delimiter whole, all nine leaf parts are seen.
    assert_eq!(mime::leaves(&result.message).len(), 10);
}

#[test]
fn attachments_of_messages_with_overlong_byte_counts() {
    for (id, file) in [
        (
            136153,
            "Attachments/136153/2/ReallyReallyReallyReallyReallyReallyReallyReallyReallyReallylong_filename.xls",
        ),
        (
            229417,
            "Attachments/229417/2/Warnmeldung_unbekannter_Art.png",
        ),
    ] {
        let result = reassembled(id);
        assert_eq!(result.restored, 1, "{id}: {:?}", result.warnings);
        let encoded: Vec<u8> = body(&result.message, "2")
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(
            decoded,
            fs::read(apple_corpus().join(file)).unwrap(),
            "{id}"
        );
    }
}

#[test]
fn invalid_emlx_is_reported_as_corrupt() {
    let dir = temp_dir();
    let mailbox = dir.path().join("Broken.mbox");
    put_corpus_message(&mailbox, 11507);
    fs::copy(
        apple_corpus().join("skip-emlx/invalid.emlx"),
        mailbox.join("Messages/123.emlx"),
    )
    .unwrap();
    let store = apple_mail::open(&mailbox).unwrap().unwrap();
    let folders = store.folders().unwrap();
    assert_eq!(folders[0].path, FolderPath::new(["Broken"]));
    assert_eq!(folders[0].count, 2);
    let found = all_found(store.as_ref(), &folders[0].path);
    assert_eq!(messages(&found).len(), 1);
    let skipped: Vec<&SkipReason> = found
        .iter()
        .filter_map(|f| match f {
            Found::Skipped { reason, .. } => Some(reason),
            Found::Message(_) => None,
        })
        .collect();
    assert_eq!(skipped.len(), 1);
    assert!(
        matches!(skipped[0], SkipReason::Unreadable(why) if why.contains("corrupt emlx")),
        "{skipped:?}"
    );
}

#[test]
fn v10_library_names_counts_flags_and_skips() {
    let home = temp_dir();
    let mail_dir = home.path().join("Library/Mail");
    let library = build_v10(&mail_dir);
    // An older library left behind by an upgrade, without an index.
    put_corpus_message(
        &mail_dir.join(format!("V8/{ACCOUNT_UUID}/INBOX.mbox")),
        11507,
    );
    let before = snapshot(home.path());

    let stores: Vec<Box<dyn MailStore>> = apple_mail::discover_in(&mail_dir)
        .into_iter()
        .map(|s| s.unwrap())
        .collect();
    assert_eq!(stores.len(), 2);
    assert_eq!(stores[0].root(), library.as_path());
    assert_eq!(stores[0].display_name(), "Apple Mail — V10");
    assert_eq!(stores[1].display_name(), "Apple Mail — V8");
    let store = stores[0].as_ref();
    assert!(store.warnings().is_empty(), "{:?}", store.warnings());

    let folders = store.folders().unwrap();
    let listed: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        listed,
        [
            (OTHER_UUID.to_string(), 0),
            (format!("{OTHER_UUID}/Archive"), 0),
            ("me@example.com".to_string(), 0),
            ("me@example.com/INBOX".to_string(), 9),
            ("me@example.com/INBOX/Work".to_string(), 2),
            ("me@example.com/Never Opened".to_string(), 1),
            ("me@example.com/[Gmail]".to_string(), 0),
            ("me@example.com/[Gmail]/All Mail".to_string(), 2),
        ]
    );
    let inbox = FolderPath::new(["me@example.com", "INBOX"]);
    let inbox_info = folders.iter().find(|f| f.path == inbox).unwrap();
    assert!(
        inbox_info
            .notes
            .iter()
            .any(|n| n.starts_with("2 message(s) were never downloaded")),
        "{:?}",
        inbox_info.notes
    );

    let found = all_found(store, &inbox);
    let order: Vec<i64> = found
        .iter()
        .map(|f| match f {
            Found::Message(m) => file_id(&m.origin),
            Found::Skipped { origin, .. } => file_id(origin),
        })
        .collect();
    assert_eq!(
        order,
        [
            114862, 114892, 114893, 114894, 300004, 300005, 300001, 300002, 300003
        ]
    );
    let converted = messages(&found);
    assert_eq!(converted.len(), 5);
    assert!(converted.iter().all(|m| m.folder == inbox));
    let no_trailer = converted
        .iter()
        .find(|m| file_id(&m.origin) == NO_TRAILER_FILE)
        .unwrap();
    assert_eq!(
        no_trailer.flags,
        MessageFlags {
            read: true,
            flagged: true,
            ..MessageFlags::default()
        },
        "state from the Envelope Index when the trailer is missing"
    );
    assert_eq!(no_trailer.warnings.len(), 1, "{:?}", no_trailer.warnings);
    let reasons: Vec<(i64, SkipReason)> = found
        .iter()
        .filter_map(|f| match f {
            Found::Skipped { origin, reason } => Some((file_id(origin), reason.clone())),
            Found::Message(_) => None,
        })
        .collect();
    let deleted = SkipReason::DeletedInSource("Apple Mail".to_string());
    assert_eq!(
        reasons,
        [
            (DELETED_FILE, deleted.clone()),
            (NOT_DOWNLOADED[0], SkipReason::NotDownloaded),
            (NOT_DOWNLOADED[1], SkipReason::NotDownloaded),
            (DELETED_ROW, deleted),
        ]
    );
    let row_origin = found
        .iter()
        .find_map(|f| match f {
            Found::Skipped {
                origin: origin @ Origin::DatabaseRow { .. },
                ..
            } => Some(origin.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        row_origin,
        Origin::DatabaseRow {
            database: library.join("MailData/Envelope Index"),
            row: NOT_DOWNLOADED[0],
        }
    );

    // Partial messages are rebuilt inside the library too.
    let rebuilt = converted
        .iter()
        .find(|m| file_id(&m.origin) == 114892)
        .unwrap();
    assert!(rebuilt.warnings.is_empty());
    assert_eq!(rebuilt.bytes, reassembled(114892).message);

    let all_mail = all_found(
        store,
        &FolderPath::new(["me@example.com", "[Gmail]", "All Mail"]),
    );
    assert_eq!(messages(&all_mail).len(), 2);
    let work = all_found(store, &FolderPath::new(["me@example.com", "INBOX", "Work"]));
    assert_eq!(messages(&work).len(), 2);
    let never = all_found(store, &FolderPath::new(["me@example.com", "Never Opened"]));
    assert!(matches!(
        never.as_slice(),
        [Found::Skipped {
            reason: SkipReason::NotDownloaded,
            ..
        }]
    ));
    assert!(matches!(
        store.messages(&FolderPath::new(["nope"])),
        Err(Error::NoSuchFolder { .. })
    ));
    drop(stores);

    // Pointed at the Mail folder itself: the preferred library, the other one named.
    let opened = apple_mail::open(&mail_dir).unwrap().unwrap();
    assert_eq!(opened.root(), library.as_path());
    let warnings = opened.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("V8"), "{warnings:?}");
    drop(opened);
    assert!(apple_mail::discover_in(&home.path().join("nowhere")).is_empty());

    assert_eq!(snapshot(home.path()), before, "reading changed the library");
}

#[test]
fn v3_library_reads_state_from_a_reduced_schema() {
    let home = temp_dir();
    let library = build_v3(&home.path().join("Library/Mail"));
    let before = snapshot(home.path());
    let store = apple_mail::open(&library).unwrap().unwrap();
    let folders = store.folders().unwrap();
    let listed: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        listed,
        [
            (ACCOUNT_UUID.to_string(), 0),
            (format!("{ACCOUNT_UUID}/Sent Messages"), 3)
        ]
    );
    let found = all_found(store.as_ref(), &folders[1].path);
    let converted = messages(&found);
    assert_eq!(converted.len(), 3);
    let built = converted.iter().find(|m| file_id(&m.origin) == 7).unwrap();
    assert_eq!(
        built.flags,
        MessageFlags {
            read: true,
            replied: true,
            forwarded: true,
            ..MessageFlags::default()
        }
    );
    drop(store);
    assert_eq!(snapshot(home.path()), before);
}

#[test]
fn v2_library_names_accounts_from_accounts_plist() {
    let home = temp_dir();
    let mail_dir = home.path().join("Library/Mail");
    build_v2(&mail_dir);
    let stores = apple_mail::discover_in(&mail_dir);
    assert_eq!(stores.len(), 1);
    let store = stores.into_iter().next().unwrap().unwrap();
    let folders = store.folders().unwrap();
    let listed: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        listed,
        [
            ("Work IMAP".to_string(), 0),
            ("Work IMAP/INBOX".to_string(), 2),
            ("On My Mac".to_string(), 0),
            ("On My Mac/Receipts".to_string(), 1),
            ("old@pop.example.com".to_string(), 0),
            ("old@pop.example.com/INBOX".to_string(), 1),
        ]
    );
    let inbox = all_found(store.as_ref(), &FolderPath::new(["Work IMAP", "INBOX"]));
    let converted = messages(&inbox);
    assert_eq!(converted.len(), 2);
    assert!(converted.iter().all(|m| m.warnings.is_empty()));
}

#[test]
fn mail_2_to_4_layout_with_sibling_children_and_stale_mbox() {
    let home = temp_dir();
    let mail_dir = home.path().join("Library/Mail");
    build_mail_2_to_4(&mail_dir);
    let stores = apple_mail::discover_in(&mail_dir);
    assert_eq!(stores.len(), 1);
    let store = stores.into_iter().next().unwrap().unwrap();
    assert_eq!(store.root(), mail_dir.as_path());
    let folders = store.folders().unwrap();
    let listed: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        listed,
        [
            ("mail.example.com".to_string(), 0).clone(),
            ("mail.example.com/INBOX".to_string(), 1),
            ("On My Mac".to_string(), 0),
            ("On My Mac/Projects".to_string(), 1),
            ("On My Mac/Projects/Old".to_string(), 1),
        ]
        .map(|(name, count)| (
            name.replace("mail.example.com", "me@mail.example.com"),
            count
        ))
    );
    let projects = folders
        .iter()
        .find(|f| f.path == FolderPath::new(["On My Mac", "Projects"]))
        .unwrap();
    assert!(
        projects
            .notes
            .iter()
            .any(|n| n.contains("older `mbox` file"))
    );
}

#[cfg(unix)]
#[test]
fn full_disk_access_is_named_when_listing_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = temp_dir();
    let mail_dir = home.path().join("Library/Mail");
    build_v3(&mail_dir);
    fs::set_permissions(&mail_dir, fs::Permissions::from_mode(0o000)).unwrap();
    let enforced = fs::read_dir(&mail_dir).is_err();
    let result = apple_mail::discover_in(&mail_dir);
    fs::set_permissions(&mail_dir, fs::Permissions::from_mode(0o755)).unwrap();
    if enforced {
        assert_eq!(result.len(), 1);
        let Err(Error::PermissionDenied { path, hint }) = &result[0] else {
            panic!("{:?}", result[0].as_ref().map(|s| s.display_name()));
        };
        assert_eq!(path, &mail_dir);
        let message = result[0].as_ref().unwrap_err().to_string();
        assert!(message.contains("Full Disk Access"), "{message}");
        assert!(hint.as_deref().unwrap().contains("Privacy & Security"));
    } else {
        // Running as root: permissions are not enforced, so the directory was read.
        assert_eq!(result.len(), 1);
        assert!(result[0].is_ok());
    }
    // The mapping itself, which a refused listing goes through.
    let error = Error::io(
        &mail_dir,
        std::io::Error::from_raw_os_error(1), // EPERM, what macOS returns without access
    );
    let message = error.to_string();
    assert!(
        message.contains("System Settings → Privacy & Security → Full Disk Access"),
        "{message}"
    );
}

#[test]
fn discovery_looks_for_apple_mail_in_the_macos_layout_only() {
    use mail2pst::sources::discover::{SearchRoots, SystemLayout, discover_in};
    let home = temp_dir();
    let library = build_v3(&home.path().join("Library/Mail"));
    for layout in [SystemLayout::Unix, SystemLayout::Windows] {
        let found = discover_in(&SearchRoots::for_home(layout, home.path()));
        assert!(found.stores.is_empty(), "{layout:?}: {found:?}");
    }
    let found = discover_in(&SearchRoots::for_home(SystemLayout::MacOs, home.path()));
    let stores: Vec<_> = found.stores.iter().map(|s| (&s.path, &s.name)).collect();
    assert_eq!(stores, [(&library, &"Apple Mail — V3".to_owned())]);
}

#[test]
fn non_apple_folders_are_not_claimed() {
    let dir = temp_dir();
    fs::write(dir.path().join("inbox.mbox"), b"From a\n").unwrap();
    assert!(apple_mail::open(dir.path()).unwrap().is_none());
    assert!(
        apple_mail::open(&dir.path().join("inbox.mbox"))
            .unwrap()
            .is_none()
    );
    let missing: PathBuf = dir.path().join("missing");
    assert!(apple_mail::open(&missing).unwrap().is_none());
}

#[test]
fn an_unreadable_index_does_not_stop_the_files() {
    let home = temp_dir();
    let library = home.path().join("Library/Mail/V5");
    let data = library.join(format!("{ACCOUNT_UUID}/INBOX.mbox/{STORE_GUID}/Data"));
    put_corpus_message(&data.join(shard(114862)), 114862);
    // A schema this reader cannot query: `messages` has no ROWID.
    fs::create_dir_all(library.join("MailData")).unwrap();
    let db = rusqlite::Connection::open(library.join("MailData/Envelope Index")).unwrap();
    db.execute_batch(
        "CREATE TABLE mailboxes (ROWID INTEGER PRIMARY KEY, url);
         INSERT INTO mailboxes VALUES (1, 'imap://3B5B0A3E-CB7F-42D6-AE86-B22CE46C56AA/INBOX');
         CREATE TABLE messages (id INTEGER PRIMARY KEY, mailbox) WITHOUT ROWID;",
    )
    .unwrap();
    drop(db);
    let store = apple_mail::open(&library).unwrap().unwrap();
    let folders = store.folders().unwrap();
    let inbox = &folders[1];
    assert_eq!(inbox.count, 1);
    assert!(
        inbox
            .notes
            .iter()
            .any(|n| n.contains("Envelope Index could not be read")),
        "{:?}",
        inbox.notes
    );
    let items: Vec<_> = store.messages(&inbox.path).unwrap().collect();
    assert_eq!(items.len(), 2);
    assert!(matches!(items[0], Ok(Found::Message(_))));
    assert!(matches!(items[1], Err(Error::Format { .. })));
}

#[test]
fn export_bundle_reads_its_mbox_and_cross_checks_the_table_of_contents() {
    let dir = temp_dir();
    let bundle = build_export(dir.path());
    let before = snapshot(dir.path());
    let store = mail2pst::sources::open(&bundle).unwrap();
    assert_eq!(store.kind(), mail2pst::model::StoreKind::AppleMailExport);
    assert_eq!(store.display_name(), "Apple Mail export — Lists");
    let folders = store.folders().unwrap();
    let listed: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        listed,
        [
            ("Lists".to_string(), 45),
            ("Lists/Thunderbird".to_string(), 2)
        ]
    );
    assert!(folders[0].notes.is_empty(), "{:?}", folders[0].notes);
    assert!(
        folders[1]
            .notes
            .iter()
            .any(|n| n.contains("lists 3") && n.contains("holds 2")),
        "{:?}",
        folders[1].notes
    );
    let lists = all_found(store.as_ref(), &folders[0].path);
    assert_eq!(messages(&lists).len(), 45);
    let child = all_found(store.as_ref(), &folders[1].path);
    let child = messages(&child);
    assert_eq!(child.len(), 2);
    assert!(child.iter().all(|m| m.folder == folders[1].path));
    drop(store);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn mail_1_mailboxes_are_mbox_files() {
    let home = temp_dir();
    let mail_dir = home.path().join("Library/Mail");
    build_mail_1(&mail_dir);
    let store = mail2pst::sources::open(&mail_dir).unwrap();
    assert_eq!(store.kind(), mail2pst::model::StoreKind::AppleMail);
    let folders = store.folders().unwrap();
    let listed: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    assert_eq!(
        listed,
        [
            ("On My Mac".to_string(), 0),
            ("On My Mac/Magick".to_string(), 45)
        ]
    );
    let found = all_found(store.as_ref(), &folders[1].path);
    assert_eq!(messages(&found).len(), 45);
}

#[test]
fn libraries_are_found_by_the_shared_detectors() {
    let home = temp_dir();
    let library = build_v10(&home.path().join("Library/Mail"));
    let store = mail2pst::sources::open(&library).unwrap();
    assert_eq!(store.display_name(), "Apple Mail — V10");
    // A mailbox of a library is read with the library: its account's name, the Envelope
    // Index's flags and the messages it lists without a file, its child mailbox.
    let mailbox = library.join(format!("{ACCOUNT_UUID}/INBOX.mbox"));
    let store = mail2pst::sources::open(&mailbox).unwrap();
    assert_eq!(store.display_name(), "Apple Mail — me@example.com › INBOX");
    let folders: Vec<(String, u64)> = store
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| (f.path.to_string(), f.count))
        .collect();
    assert_eq!(
        folders,
        [
            ("me@example.com".to_owned(), 0),
            ("me@example.com › INBOX".to_owned(), 9),
            ("me@example.com › INBOX › Work".to_owned(), 2),
        ]
    );
}

#[test]
fn machine_discovery_lists_apple_mail_libraries_beside_thunderbird() {
    let home = temp_dir();
    let library = build_v10(&home.path().join("Library/Mail"));
    let roots = mail2pst::sources::discover::SearchRoots::for_home(
        mail2pst::sources::discover::SystemLayout::MacOs,
        home.path(),
    );

    let discovery = mail2pst::sources::discover::discover_in(&roots);

    let found = discovery
        .stores
        .iter()
        .find(|s| s.kind == mail2pst::model::StoreKind::AppleMail)
        .expect("the V10 library is discovered");
    assert_eq!(found.path, library);
    assert_eq!(found.name, "Apple Mail — V10");
    let store = found.open().unwrap();
    assert_eq!(store.root(), library.as_path());
    assert!(store.folders().unwrap().iter().any(|f| f.count > 0));
}
