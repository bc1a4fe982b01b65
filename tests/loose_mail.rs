//! Mail found outside its client's store, converted by the `mail2pst` program as a person runs
//! it and read back through the independent readers: loose mbox and `.eml` files with the
//! state their client wrote into them, a folder of loose Apple Mail `.emlx` files, a Gmail
//! Takeout export, and a Thunderbird profile whose deleted copies are notes, not skips.
//! Every source is built in a temporary folder from the real files of `tests/corpus` (or read
//! there) and is checked unchanged afterwards.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mail2pst::engine::{Report, Status};
use mail2pst::model::{FolderPath, StoreKind};
use mail2pst::sources;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::engine_common::{corpus_path, fingerprint, key_text, read_with};
use crate::util::temp_dir;

/// The readers whose normalized JSON says whether a message is read.
const READ_STATE_READERS: [&str; 4] = ["readpst", "pffexport", "pypff", "outlook-pst"];

/// `mail2pst convert SOURCES -o PST [extra]`, licensed, with a home and config of its own.
fn convert(sources: &[&Path], pst: &Path, extra: &[&str]) -> Output {
    let home = temp_dir();
    let mut command = Command::new(env!("CARGO_BIN_EXE_mail2pst"));
    command
        .arg("convert")
        .args(sources)
        .arg("-o")
        .arg(pst)
        .args(extra)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("MAIL2PST_LICENSE_KEY", key_text("valid.key"))
        .env_remove("MAIL2PST_LOG");
    command.output().unwrap()
}

/// What the program printed, standard error after standard output.
fn stdout(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The report the job saved beside `pst`.
fn saved_report(pst: &Path) -> Report {
    let (json, _) = mail2pst::engine::report_paths(pst);
    Report::from_json(&fs::read_to_string(json).unwrap()).unwrap()
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(from, to).unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            copy(entry.path(), &target);
        }
    }
}

/// What a reader saw in one folder: messages, and how many of them are read.
fn read_counts(json: &Value) -> BTreeMap<String, (usize, usize)> {
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for message in json["messages"].as_array().unwrap() {
        let entry = counts
            .entry(message["folder"].as_str().unwrap().to_owned())
            .or_default();
        entry.0 += 1;
        entry.1 += usize::from(message["read"] == true);
    }
    counts
}

fn reads_state(json: &Value) -> bool {
    !json["unsupported"]
        .as_array()
        .is_some_and(|u| u.iter().any(|f| f == "read"))
}

/// PidTagFlagStatus followupFlagged and PidTagFollowupIcon red: a flagged message.
const FLAGGED: (Option<i32>, Option<i32>) = (Some(2), Some(6));

/// Per folder, as a flag reader saw it: how many messages are flagged, and every message's
/// categories (sorted lists, sorted).
fn marks(pst: &Path, reader: &str) -> BTreeMap<String, (usize, Vec<Vec<String>>)> {
    let mut seen: BTreeMap<String, (usize, Vec<Vec<String>>)> = BTreeMap::new();
    for message in crate::flag_readers::read(pst, reader) {
        let entry = seen.entry(message.folder.clone()).or_default();
        entry.0 += usize::from((message.flag_status, message.follow_up_icon) == FLAGGED);
        if !message.categories.is_empty() {
            entry.1.push(message.categories.clone());
        }
    }
    for (_, categories) in seen.values_mut() {
        categories.sort();
    }
    seen
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Loose mailboxes as people have them — a GNU Mailutils spool (`Status: OR`/`ORA` on three
/// of eight), Mail::Box's list archive (`Status: RO` on all 45), a mailbox file copied out of
/// a Thunderbird profile without its summary (what ImportExportTools NG exports: the
/// messages with their `X-Mozilla-*` headers, two expunged copies still in it) and `.eml`
/// files saved by Thunderbird and other clients — arrive read, starred and tagged as their
/// headers say (MANIFEST.md of the Thunderbird profile for its Inbox; the Thunderbird tag
/// only its profile names, "Réunion client", is not a category), as readpst, pffexport,
/// pypff and outlook-pst read them back.
#[test]
fn loose_mboxes_and_eml_files_arrive_as_their_headers_say() {
    let dir = temp_dir();
    let exported = dir.path().join("Exported");
    copy(
        &corpus_path("mbox/gnu-mailutils/testsuite/spool/search.mbox"),
        &exported.join("search.mbox"),
    );
    copy(
        &corpus_path("mbox/perl5-Mail-Box/t/folders/mbox.src"),
        &exported.join("magick.mbox"),
    );
    copy(
        &corpus_path("thunderbird-profile/ng5ko9yq.default-default/Mail/pop.example.com/Inbox"),
        &exported.join("Inbox.mbox"),
    );
    let saved = exported.join("Saved");
    for (from, name) in [
        // `Status: R`.
        (
            "eml/cpython-test_email/Lib/test/test_email/data/msg_26.txt",
            "imap-file-test.eml",
        ),
        // `X-Mozilla-Status: 0001`, no tag.
        (
            "eml/comm-central/mailnews/test/data/reply-filter-testmail",
            "reply-filter.eml",
        ),
        // `X-Mozilla-Status: 0001`, `X-Mozilla-Keys: $label4` (To Do).
        (
            "eml/comm-central/mailnews/test/data/bugmail1",
            "bugmail1.eml",
        ),
        // No state at all: unread.
        (
            "eml/mikel-mail/spec/fixtures/emails/plain_emails/basic_email.eml",
            "basic.eml",
        ),
    ] {
        copy(&corpus_path(from), &saved.join(name));
    }
    let before = fingerprint(&exported);
    let pst = dir.path().join("exported.pst");
    let output = convert(&[&exported], &pst, &[]);
    assert_eq!(fingerprint(&exported), before, "the sources changed");
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Note: 2 deleted copies left out, as Thunderbird shows them"),
        "{text}"
    );
    let report = saved_report(&pst);
    assert_eq!(report.status, Status::Complete);
    assert_eq!(
        (
            report.totals.found,
            report.totals.written,
            report.totals.deleted
        ),
        (69, 69, 2)
    );

    // (messages, read) per folder: Thunderbird's Inbox shows 12 of its 14 copies, 7 read.
    let expected = BTreeMap::from([
        ("Exported/Inbox".to_owned(), (12, 7)),
        ("Exported/Saved".to_owned(), (4, 3)),
        ("Exported/magick".to_owned(), (45, 45)),
        ("Exported/search".to_owned(), (8, 3)),
    ]);
    for (reader, json) in read_with(&pst, &READ_STATE_READERS) {
        let mut counts = read_counts(&json);
        if !reads_state(&json) {
            counts.values_mut().for_each(|(_, read)| *read = 0);
            let unread: BTreeMap<_, _> = expected
                .iter()
                .map(|(folder, (n, _))| (folder.clone(), (*n, 0)))
                .collect();
            assert_eq!(counts, unread, "{reader}");
            continue;
        }
        assert_eq!(counts, expected, "{reader}");
    }

    // Stars and tags: p02 and p07 starred; p03 Important, p06 Work, p12 To Do + Later,
    // p13 To Do (its own X-Mozilla-Keys, as Thunderbird shows it); bugmail1 To Do.
    let inbox = (
        2,
        vec![
            strings(&["Important"]),
            strings(&["To Do"]),
            strings(&["To Do", "Later"]),
            strings(&["Work"]),
        ],
    );
    for reader in crate::flag_readers::READERS {
        let seen = marks(&pst, reader);
        assert_eq!(seen["Exported/Inbox"], inbox, "{reader}");
        assert_eq!(
            seen["Exported/Saved"],
            (0, vec![strings(&["To Do"])]),
            "{reader}"
        );
        for folder in ["Exported/magick", "Exported/search"] {
            assert_eq!(seen[folder], (0, Vec::new()), "{reader}: {folder}");
        }
    }
}

/// The real Apple Mail files of the corpus (two `.emlx`, six `.partial.emlx` and the
/// attachment bodies Mail kept apart), as people find them outside a library: the `Messages`
/// folder of a mailbox with its `Attachments` folder beside it, and a backup that sorted them
/// into folders of its own with the `Attachments` folder among the files.
pub fn loose_emlx(dir: &Path) -> (PathBuf, PathBuf) {
    let origin = corpus_path("applemail/partial-emlx-converter");
    let mailbox = dir.join("Restored/Inbox");
    copy_tree(&origin.join("Messages"), &mailbox.join("Messages"));
    copy_tree(&origin.join("Attachments"), &mailbox.join("Attachments"));

    let backup = dir.join("Backup");
    let work = backup.join("2019/Work");
    for id in ["114892", "136153"] {
        copy(
            &origin.join(format!("Messages/{id}.partial.emlx")),
            &work.join(format!("{id}.partial.emlx")),
        );
        copy_tree(
            &origin.join(format!("Attachments/{id}")),
            &work.join(format!("Attachments/{id}")),
        );
    }
    let personal = backup.join("2019/Personal");
    for name in ["11507.emlx", "114862.emlx"] {
        copy(&origin.join("Messages").join(name), &personal.join(name));
    }
    // Mail keeps a partial copy beside a message it later downloaded whole: one message.
    copy(
        &origin.join("Messages/114862.emlx"),
        &personal.join("114862.partial.emlx"),
    );
    // A copy Mail had deleted: the deleted bit (docs/formats.md §1.3, bit 1) set in its flags.
    let original = fs::read(origin.join("Messages/114862.emlx")).unwrap();
    let deleted = String::from_utf8_lossy(&original).replace(
        "<integer>8623750272</integer>",
        "<integer>8623750274</integer>",
    );
    assert_ne!(
        deleted.as_bytes(),
        original,
        "the flags are where SOURCES.md says"
    );
    fs::write(personal.join("114863.emlx"), deleted).unwrap();
    // A folder of the user's that happens to be called "Attachments": mail like the rest.
    copy(
        &corpus_path("eml/mikel-mail/spec/fixtures/emails/plain_emails/basic_email.eml"),
        &personal.join("Attachments/basic.eml"),
    );
    fs::write(personal.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    fs::write(
        backup.join("Info.plist"),
        b"<?xml version=\"1.0\"?><plist/>",
    )
    .unwrap();
    (mailbox.join("Messages"), backup)
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A folder of loose `.emlx` files converts like a folder of `.eml` files: its folders become
/// PST folders (Apple Mail's `Attachments` folders not among them, a folder of the user's
/// that is only called so is), each message with the read state of its property list,
/// partial messages whole again from the `Attachments` folder beside them (the two whose
/// bodies are missing are converted and their missing attachments reported), the
/// full copy of a message kept instead of its partial one, the copy Mail had deleted left out
/// and noted, and the files that are not mail named once in a note.
#[test]
fn folders_of_loose_emlx_files_convert_with_flags_and_attachments() {
    let dir = temp_dir();
    let (messages, backup) = loose_emlx(dir.path());
    let store = sources::open(&messages).unwrap();
    assert_eq!(store.kind(), StoreKind::EmlFolder);
    let before = (
        fingerprint(&dir.path().join("Restored")),
        fingerprint(&backup),
    );
    let pst = dir.path().join("emlx.pst");
    let output = convert(&[&messages, &backup], &pst, &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_eq!(
        (
            fingerprint(&dir.path().join("Restored")),
            fingerprint(&backup)
        ),
        before
    );
    assert!(
        text.contains(
            "2 files that are not mail left out, not counted as messages — data, settings or \
             text files: Info.plist; mail-client or system bookkeeping files: \
             2019/Personal/.DS_Store"
        ),
        "{text}"
    );
    assert!(
        text.contains("Note: 1 deleted copy left out, as Apple Mail shows it"),
        "{text}"
    );
    let report = saved_report(&pst);
    assert_eq!(report.status, Status::Complete);
    assert_eq!(
        (
            report.totals.found,
            report.totals.written,
            report.totals.deleted
        ),
        (13, 13, 1)
    );
    let warned: Vec<_> = report
        .folders
        .iter()
        .flat_map(|f| &f.converted_with_warnings)
        .filter(|w| w.warnings.iter().any(|w| w.contains("is missing")))
        .collect();
    // The corpus has no attachment bodies for 114893 and 114895 (SOURCES.md).
    let names: Vec<String> = warned
        .iter()
        .map(|w| w.origin.to_string().rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["114893.partial.emlx", "114895.partial.emlx"]);
    for message in warned {
        let missing = message.warnings.iter().filter(|w| w.contains("is missing"));
        assert_eq!(missing.count(), 4, "{:?}", message.warnings);
    }

    let expected = BTreeMap::from([
        ("Backup/2019/Personal".to_owned(), (2, 0)),
        ("Backup/2019/Personal/Attachments".to_owned(), (1, 0)),
        ("Backup/2019/Work".to_owned(), (2, 2)),
        ("Messages".to_owned(), (8, 6)),
    ]);
    let attachments = corpus_path("applemail/partial-emlx-converter/Attachments/114892");
    let wanted = |name: &str, folder: &str| {
        let file = fs::read(attachments.join(folder).join(name)).unwrap();
        (name.to_owned(), sha256_hex(&file))
    };
    let binary = [wanted("original.doc", "2.4"), wanted("image001.png", "2.8")];
    for (reader, json) in read_with(&pst, &READ_STATE_READERS) {
        let mut counts = read_counts(&json);
        if !reads_state(&json) {
            counts.values_mut().for_each(|(_, read)| *read = 0);
        } else {
            assert_eq!(counts, expected, "{reader}");
        }
        assert_eq!(
            counts.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{reader}"
        );
        // 114892 whole again, from `Attachments` beside `Messages` and beside the files.
        for folder in ["Messages", "Backup/2019/Work"] {
            let restored = json["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["folder"] == folder)
                .filter(|m| {
                    let attached: Vec<(String, String)> = m["attachments"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| {
                            (
                                a["filename"].as_str().unwrap_or("").to_owned(),
                                a["sha256"].as_str().unwrap_or("").to_owned(),
                            )
                        })
                        .collect();
                    binary.iter().all(|b| attached.contains(b))
                })
                .count();
            assert!(restored >= 1, "{reader}: no whole 114892 in {folder}");
        }
    }
}

/// One message of the Takeout mbox: a real message of the corpus and its labels.
struct Labelled {
    corpus_file: &'static str,
    labels: &'static str,
}

/// Messages with labels as Gmail gives them (system labels in English, Takeout's markers
/// `Opened`/`Unread`/`Important`/`Category …`, user labels with `/` nesting, a label with a
/// comma quoted as CSV).
const TAKEOUT: &[Labelled] = &[
    Labelled {
        corpus_file: "basic_email.eml",
        labels: "Inbox,Important,Opened,Category Personal",
    },
    Labelled {
        corpus_file: "raw_email_simple.eml",
        labels: "Inbox,Unread,Category Updates",
    },
    Labelled {
        corpus_file: "raw_email8.eml",
        labels: "Archived,Opened,Work/Clients,Receipts",
    },
    Labelled {
        corpus_file: "raw_email_quoted_with_0d0a.eml",
        labels: "Sent,Opened",
    },
    Labelled {
        corpus_file: "raw_email_incorrect_header.eml",
        labels: "Spam,Unread",
    },
    Labelled {
        corpus_file: "raw_email_multiple_from.eml",
        labels: "Trash,Opened,Work/Clients",
    },
    Labelled {
        corpus_file: "raw_email_bad_time.eml",
        labels: "Archived,Starred,Opened",
    },
    Labelled {
        corpus_file: "mix_caps_content_type.eml",
        labels: "Opened,Travel,Inbox,\"Bills, 2024\"",
    },
];

/// A Google Takeout export built from real messages: `Takeout/Mail/All mail Including Spam
/// and Trash.mbox` and the `archive_browser.html` page beside it, as Takeout unpacks. The
/// mbox follows what Takeout writes (and its `archive_browser.html` documents): a From_ line
/// `From <message number>@xxx <asctime with +0000 before the year>`, `X-GM-THRID` and
/// `X-Gmail-Labels` (CSV) as the first headers, body lines starting with `From ` escaped
/// with `>` (mboxrd), a blank line after each message.
pub fn takeout(dir: &Path) -> PathBuf {
    let mail = dir.join("Takeout/Mail");
    fs::create_dir_all(&mail).unwrap();
    let mut mbox = Vec::new();
    for (number, message) in TAKEOUT.iter().enumerate() {
        let bytes = fs::read(corpus_path(&format!(
            "eml/mikel-mail/spec/fixtures/emails/plain_emails/{}",
            message.corpus_file
        )))
        .unwrap();
        let eol: &[u8] = if bytes.windows(2).any(|w| w == b"\r\n") {
            b"\r\n"
        } else {
            b"\n"
        };
        let id = 1_790_000_000_000_000_000u64 + number as u64;
        for line in [
            format!("From {id}@xxx Mon Jan 0{} 10:00:00 +0000 2024", number + 1),
            format!("X-GM-THRID: {id}"),
            format!("X-Gmail-Labels: {}", message.labels),
        ] {
            mbox.extend_from_slice(line.as_bytes());
            mbox.extend_from_slice(eol);
        }
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let unquoted = line.iter().skip_while(|&&b| b == b'>').copied();
            if unquoted.take(5).eq(b"From ".iter().copied()) {
                mbox.push(b'>');
            }
            mbox.extend_from_slice(line);
        }
        if !mbox.ends_with(b"\n") {
            mbox.extend_from_slice(eol);
        }
        mbox.extend_from_slice(eol);
    }
    let file = mail.join("All mail Including Spam and Trash.mbox");
    fs::write(&file, mbox).unwrap();
    fs::write(
        dir.join("Takeout/archive_browser.html"),
        "<!DOCTYPE html><title>Archive Overview</title>",
    )
    .unwrap();
    file
}

/// A Gmail Takeout export converts into a folder per label: each message in its first user
/// label's folder (`/` nests), or Inbox, Sent, Archive; its other labels categories; unread
/// and starred as Gmail showed them; Spam and Trash left out with `--exclude-trash-junk`. Read
/// back through the independent readers. Opened at the `Takeout` folder, the same labels
/// are folders below the mbox file's folder.
#[test]
fn a_gmail_takeout_export_becomes_label_folders() {
    let dir = temp_dir();
    let file = takeout(dir.path());
    let store = sources::open(&file).unwrap();
    assert_eq!(store.kind(), StoreKind::GmailTakeout);
    let before = fingerprint(&dir.path().join("Takeout"));

    let pst = dir.path().join("gmail.pst");
    let output = convert(&[&file], &pst, &["--exclude-trash-junk"]);
    let text = stdout(&output);
    // Two messages left out at the user's request: finished, some not written.
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert_eq!(fingerprint(&dir.path().join("Takeout")), before);
    let report = saved_report(&pst);
    assert_eq!(
        (
            report.totals.found,
            report.totals.written,
            report.totals.skipped.folder_excluded
        ),
        (8, 6, 2)
    );

    let all = "All mail Including Spam and Trash";
    let expected = BTreeMap::from([
        (format!("{all}/Archive"), (1, 1)),
        (format!("{all}/Inbox"), (2, 1)),
        (format!("{all}/Sent"), (1, 1)),
        (format!("{all}/Travel"), (1, 1)),
        (format!("{all}/Work/Clients"), (1, 1)),
    ]);
    for (reader, json) in read_with(&pst, &READ_STATE_READERS) {
        let counts = read_counts(&json);
        if reads_state(&json) {
            assert_eq!(counts, expected, "{reader}");
        } else {
            assert_eq!(
                counts.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>(),
                "{reader}"
            );
        }
    }
    for reader in crate::flag_readers::READERS {
        let seen = marks(&pst, reader);
        assert_eq!(seen[&format!("{all}/Archive")], (1, Vec::new()), "{reader}");
        assert_eq!(
            seen[&format!("{all}/Work/Clients")],
            (0, vec![strings(&["Receipts"])]),
            "{reader}"
        );
        assert_eq!(
            seen[&format!("{all}/Travel")],
            (0, vec![strings(&["Bills, 2024", "Inbox"])]),
            "{reader}"
        );
        assert_eq!(seen[&format!("{all}/Inbox")], (0, Vec::new()), "{reader}");
    }

    // Entered at the Takeout folder: a folder tree whose mbox is the same label tree.
    let tree = sources::open(&dir.path().join("Takeout")).unwrap();
    let folders: Vec<(String, u64)> = tree
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    let below = |label: &str| format!("Takeout/Mail/{all}/{label}");
    let listed: Vec<(String, u64)> = [
        ("Takeout".to_owned(), 0),
        ("Takeout/Mail".to_owned(), 0),
        (format!("Takeout/Mail/{all}"), 0),
        (below("Archive"), 1),
        (below("Inbox"), 2),
        (below("Sent"), 1),
        (below("Spam"), 1),
        (below("Trash"), 1),
        (below("Travel"), 1),
        (below("Work"), 0),
        (below("Work/Clients"), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(folders, listed);
    let inbox = FolderPath::new(["Takeout", "Mail", all, "Inbox"]);
    let read: Vec<bool> = tree
        .messages(&inbox)
        .unwrap()
        .map(|item| match item.unwrap() {
            mail2pst::model::Found::Message(m) => m.flags.read,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(read, [true, false]);
    assert_eq!(
        tree.warnings(),
        [
            "1 file that is not mail left out, not counted as messages — data, settings or text \
          files: archive_browser.html"
        ]
    );
}

/// A clean conversion of the real Thunderbird profile ends complete, exit 0: the three copies
/// Thunderbird itself deleted (expunged, not yet compacted) are a note and a list of their
/// own in the report, not skipped messages; found = written + skipped in every folder.
#[test]
fn a_thunderbird_profile_with_deleted_copies_converts_complete() {
    let profile = corpus_path("thunderbird-profile/ng5ko9yq.default-default");
    let before = fingerprint(&profile);
    let dir = temp_dir();
    let pst = dir.path().join("thunderbird.pst");
    let output = convert(&[&profile], &pst, &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert_eq!(fingerprint(&profile), before);
    assert!(
        text.contains("Note: 3 deleted copies left out, as Thunderbird shows them"),
        "{text}"
    );
    assert!(
        text.contains("Complete: every message found was written"),
        "{text}"
    );
    let report = saved_report(&pst);
    assert_eq!(report.status, Status::Complete);
    assert_eq!(
        (
            report.totals.found,
            report.totals.written,
            report.totals.skipped.total(),
            report.totals.deleted
        ),
        (46, 46, 0, 3)
    );
    assert!(report.folders.iter().all(|f| f.reconciles()));
    let deleted: Vec<(String, usize)> = report
        .folders
        .iter()
        .filter(|f| !f.deleted.is_empty())
        .map(|f| (f.display_path(), f.deleted.len()))
        .collect();
    assert_eq!(
        deleted,
        [
            ("alice@example.com › Inbox".to_owned(), 2),
            ("Local Folders › Invoices: 2024? <draft> |*".to_owned(), 1)
        ]
    );
    let (_, html) = mail2pst::engine::report_paths(&pst);
    let html = fs::read_to_string(html).unwrap();
    assert!(html.contains("3 copies the mail client had deleted were left out"));
    assert!(html.contains("Deleted copy left out"));
}
