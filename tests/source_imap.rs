//! An IMAP account read from a real Dovecot ([`crate::imap_server`]) whose maildir holds mail of
//! the corpus (notmuch's `default` corpus) in nested and non-ASCII folders (names in modified
//! UTF-7), the special-use folders, with flags, keywords and a message with a large attachment:
//! every message arrives with its state, the independent readers agree with the source, the
//! server's maildir is the same afterwards, a connection cut in the middle of a folder resumes
//! without a duplicate or a loss, and a refused password or an untrusted certificate is said
//! in words.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::thread;
use std::time::Duration;

use mail2pst::cli::IMAP_PASSWORD_VARIABLE;
use mail2pst::engine::{self, CancelToken, Event, JobSpec, Source, Status};
use mail2pst::model::{FolderPath, Found, MessageFlags, Origin};
use mail2pst::sources::MailStore as _;
use mail2pst::sources::imap::{ImapStore, Security};
use sha2::{Digest as _, Sha256};
use walkdir::WalkDir;

use crate::cli::{Program, arg, assert_one_line_error, code, text};
use crate::engine_common::{demo, licensed, read_with};
use crate::flag_readers;
use crate::imap_server::Dovecot;
use crate::util::{corpus, temp_dir};

/// The account's folder in the PST: the user and the server.
const TOP: &str = "alice@127.0.0.1";

/// One message put into the server's maildir, and what the PST must show of it.
#[derive(Clone, Debug)]
struct Placed {
    /// Its folder below the account's folder, as the PST names it.
    folder: &'static str,
    /// The file's bytes (LF line ends; the server sends CRLF).
    bytes: Vec<u8>,
    flags: MessageFlags,
    keywords: Vec<String>,
}

/// Maildir++ folders (names in modified UTF-7 on disk), the folders they become, and how many
/// corpus messages each gets.
const FOLDERS: &[(&str, &str, usize)] = &[
    ("", "Inbox", 10),
    (".Work", "Work", 1),
    (".Work.R&AOk-union", "Work/Réunion", 3),
    (".&ZeVnLIqe-", "日本語", 2),
    (".Sent", "Sent Items", 3),
    (".Drafts", "Drafts", 1),
    (".Archive", "Archive", 2),
    (".Junk", "Junk E-mail", 1),
    (".Trash", "Deleted Items", 2),
];

/// Dovecot's keyword letters of every folder: `a`, `b` and `c`. Dovecot keeps maildir's `P`
/// (passed) to itself; over IMAP a forwarded message has the `$Forwarded` keyword.
const KEYWORDS: &str = "0 ProjectX\n1 $label1\n2 $Forwarded\n";

/// Fills `maildir` with notmuch's messages and the large one; returns what was put where.
fn fill(maildir: &Path) -> Vec<Placed> {
    let source = corpus().join("maildir/notmuch/test/corpora/default/cur");
    let mut files: Vec<_> = fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut files = files.into_iter();
    let mut placed = Vec::new();
    let mut index = 0;
    for &(dir_name, folder, count) in FOLDERS {
        let dir = maildir.join(dir_name);
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        if !dir_name.is_empty() {
            fs::write(dir.join("maildirfolder"), "").unwrap();
        }
        fs::write(dir.join("dovecot-keywords"), KEYWORDS).unwrap();
        let mut messages: Vec<Vec<u8>> = (0..count)
            .map(|_| fs::read(files.next().unwrap()).unwrap())
            .collect();
        if folder == "Inbox" {
            messages.push(large_message());
        }
        for bytes in messages {
            let letters = if folder == "Drafts" {
                "DS"
            } else {
                ["S", "FS", "RS", "", "PSabc"][index % 5]
            };
            let name = format!(
                "{}.M{index}P1.mail2pst-test:2,{letters}",
                1_700_000_000 + index
            );
            fs::write(dir.join("cur").join(name), &bytes).unwrap();
            let flags = MessageFlags {
                read: letters.contains('S'),
                replied: letters.contains('R'),
                forwarded: letters.contains('c'),
                flagged: letters.contains('F'),
                draft: letters.contains('D'),
            };
            let keywords = if letters.contains('a') {
                vec!["ProjectX".to_owned(), "Important".to_owned()]
            } else {
                Vec::new()
            };
            placed.push(Placed {
                folder,
                bytes,
                flags,
                keywords,
            });
            index += 1;
        }
    }
    placed
}

/// A message with a 3 MB attachment.
fn large_message() -> Vec<u8> {
    use base64::Engine as _;
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut message = String::from(
        "From: Carol <carol@example.org>\nTo: alice@example.org\nSubject: The measurements\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <large-attachment@mail2pst.test>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
         Content-Type: text/plain; charset=utf-8\n\nThe file is attached.\n--b\n\
         Content-Type: application/octet-stream; name=\"measurements.bin\"\n\
         Content-Disposition: attachment; filename=\"measurements.bin\"\n\
         Content-Transfer-Encoding: base64\n\n",
    );
    for line in encoded.as_bytes().chunks(76) {
        message.push_str(std::str::from_utf8(line).unwrap());
        message.push('\n');
    }
    message.push_str("--b--\n");
    message.into_bytes()
}

/// The server's mail as files: every message file (its name holds its flags) and keyword
/// table, by path, with a hash of its bytes. Dovecot's own bookkeeping is left out.
fn snapshot(maildir: &Path) -> BTreeMap<String, String> {
    WalkDir::new(maildir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            let name = e.file_name().to_string_lossy();
            let parent = e.path().parent().and_then(|p| p.file_name());
            name == "dovecot-keywords"
                || parent.is_some_and(|p| p == "cur" || p == "new" || p == "tmp")
        })
        .map(|e| {
            let relative = e
                .path()
                .strip_prefix(maildir)
                .unwrap()
                .display()
                .to_string();
            let hash = format!("{:x}", Sha256::digest(fs::read(e.path()).unwrap()));
            (relative, hash)
        })
        .collect()
}

/// The bytes with CRLF line ends made LF (the server sends CRLF whatever it stores).
fn lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &byte) in bytes.iter().enumerate() {
        if byte == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(byte);
    }
    out
}

fn start() -> (Dovecot, Vec<Placed>) {
    let mut placed = Vec::new();
    let server = Dovecot::start(|maildir| placed = fill(maildir));
    (server, placed)
}

#[test]
fn every_message_arrives_with_its_state_and_the_server_keeps_its_mail() {
    let (server, placed) = start();
    let before = snapshot(&server.maildir);

    // The store: folders with their counts, every message with its bytes, flags and tags.
    let store = ImapStore::open(server.account()).unwrap();
    let folders = store.folders().unwrap();
    let counts: Vec<(String, u64)> = folders
        .iter()
        .map(|f| (f.path.names().join("/"), f.count))
        .collect();
    let mut expected_counts = vec![(TOP.to_owned(), 0)];
    for name in [
        "Inbox",
        "Drafts",
        "Sent Items",
        "Archive",
        "Junk E-mail",
        "Deleted Items",
        "Work",
        "Work/Réunion",
        "日本語",
    ] {
        let count = placed.iter().filter(|p| p.folder == name).count() as u64;
        expected_counts.push((format!("{TOP}/{name}"), count));
    }
    assert_eq!(counts, expected_counts);
    let mut read = Vec::new();
    for folder in &folders {
        for item in store.messages(&folder.path).unwrap() {
            let Found::Message(message) = item.unwrap() else {
                panic!("nothing is skipped here");
            };
            assert!(matches!(message.origin, Origin::Imap { .. }));
            read.push((folder.path.names()[1..].join("/"), message));
        }
    }
    assert_eq!(read.len(), placed.len());
    for expected in &placed {
        let (_, message) = read
            .iter()
            .find(|(folder, m)| folder == expected.folder && lf(&m.bytes) == lf(&expected.bytes))
            .unwrap_or_else(|| panic!("a message of {} did not arrive", expected.folder));
        assert_eq!(message.flags, expected.flags, "{}", message.origin);
        assert!(message.large.is_none(), "below 32 MB, in memory");
        assert_eq!(message.keywords, expected.keywords, "{}", message.origin);
        assert!(message.received.is_some());
    }
    drop(store);

    // The job: everything written, the read-back against the independent reading clean. The
    // large message waits for its conversion in a temporary file, as one of 32 MB would.
    let out = temp_dir();
    let pst = out.path().join("account.pst");
    let store = ImapStore::open(server.account())
        .unwrap()
        .with_large_message_size(2 * 1024 * 1024);
    let inbox = FolderPath::new([TOP, "Inbox"]);
    let spilled: Vec<_> = store
        .messages(&inbox)
        .unwrap()
        .filter_map(|item| match item.unwrap() {
            Found::Message(message) if message.large.is_some() => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(spilled.len(), 1);
    assert_eq!(
        lf(&spilled[0].read_all().unwrap()),
        lf(&large_message()),
        "read back whole from its temporary file"
    );
    let source = Source::from_store(Box::new(store));
    let mut spec = JobSpec::new(vec![source], &pst);
    spec.license = Some(licensed());
    spec.now = Some(1_700_000_000);
    let report = engine::run(&spec, &CancelToken::new(), &mut |_| {}).unwrap();
    assert_eq!(report.status, Status::Complete, "{report:#?}");
    assert_eq!(report.totals.found, placed.len() as u64);
    assert_eq!(report.totals.written, placed.len() as u64);
    assert_eq!(report.totals.read_back_differences, 0);

    // The independent readers: every message in its folder, read or unread as on the server.
    let readers = read_with(&pst, &["readpst", "pypff", "outlook-pst"]);
    let mut expected_folders: BTreeMap<String, u64> = BTreeMap::new();
    for p in &placed {
        *expected_folders
            .entry(format!("{TOP}/{}", p.folder))
            .or_default() += 1;
    }
    for (reader, json) in &readers {
        let seen = crate::engine_common::messages_per_folder(json);
        assert_eq!(seen, expected_folders, "{reader}");
    }
    let large = readers["outlook-pst"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["message_id"] == "<large-attachment@mail2pst.test>")
        .unwrap();
    assert_eq!(large["attachments"][0]["size"], 3_000_000, "{large:#}");
    for reader in ["pypff", "outlook-pst"] {
        let read_state: Vec<bool> = readers[reader]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["read"].as_bool().unwrap())
            .collect();
        let read_count = read_state.iter().filter(|r| **r).count();
        let expected = placed.iter().filter(|p| p.flags.read).count();
        assert_eq!(read_count, expected, "{reader}");
    }
    // Flags and categories, message by message, as outlook-pst and libpff see them.
    for reader in ["outlook-pst", "pffexport"] {
        let marked = flag_readers::read(&pst, reader);
        assert_eq!(marked.len(), placed.len(), "{reader}");
        let flagged = marked.iter().filter(|m| m.flag_status == Some(2)).count();
        assert_eq!(
            flagged,
            placed.iter().filter(|p| p.flags.flagged).count(),
            "{reader}"
        );
        let tagged: Vec<&Vec<String>> = marked
            .iter()
            .map(|m| &m.categories)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            tagged.len(),
            placed.iter().filter(|p| !p.keywords.is_empty()).count(),
            "{reader}"
        );
        assert!(
            tagged.iter().all(|c| **c == ["ProjectX", "Important"]),
            "{reader}: {tagged:?}"
        );
    }

    // Nothing changed on the server: the same files under the same names (flags included).
    assert_eq!(snapshot(&server.maildir), before);
}

#[test]
fn a_connection_cut_in_the_middle_of_a_folder_resumes_without_duplicates_or_losses() {
    let (server, placed) = start();
    let inbox = placed.iter().filter(|p| p.folder == "Inbox").count();
    let store = ImapStore::open(server.account())
        .unwrap()
        .with_batch(2, 1024 * 1024);
    let folder = store
        .folders()
        .unwrap()
        .into_iter()
        .find(|f| f.path.name() == "Inbox")
        .unwrap();
    let mut messages = store.messages(&folder.path).unwrap();
    let mut uids = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let Found::Message(message) = messages.next().unwrap().unwrap() else {
            panic!()
        };
        let Origin::Imap { uid, .. } = message.origin else {
            panic!()
        };
        uids.push(uid);
        bodies.push(lf(&message.bytes));
    }
    // The server goes away with the connection open, and comes back a second later.
    server.stop();
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_secs(1));
            server.start_again();
        });
        for item in messages.by_ref() {
            let Found::Message(message) = item.unwrap() else {
                panic!()
            };
            let Origin::Imap { uid, .. } = message.origin else {
                panic!()
            };
            uids.push(uid);
            bodies.push(lf(&message.bytes));
        }
    });
    drop(messages);
    let mut sorted = uids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, uids, "each message once, in UID order");
    assert_eq!(uids.len(), inbox);
    for expected in placed.iter().filter(|p| p.folder == "Inbox") {
        assert!(bodies.contains(&lf(&expected.bytes)));
    }
}

/// A message of about 2 MB: a 1.5 MB attachment, base64, different for each `index`.
fn two_megabyte_message(index: u32) -> Vec<u8> {
    use base64::Engine as _;
    let data: Vec<u8> = (0..1_500_000u32)
        .map(|i| (i.wrapping_add(index).wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut message = format!(
        "From: Carol <carol@example.org>\nTo: alice@example.org\nSubject: Scan {index}\n\
         Date: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <scan-{index}@mail2pst.test>\n\
         MIME-Version: 1.0\nContent-Type: application/octet-stream; name=\"scan.bin\"\n\
         Content-Transfer-Encoding: base64\n\n"
    );
    for line in encoded.as_bytes().chunks(76) {
        message.push_str(std::str::from_utf8(line).unwrap());
        message.push('\n');
    }
    message.into_bytes()
}

#[test]
fn the_demo_stops_downloading_a_folder_once_its_ten_messages_are_written() {
    // 48 messages of about 2 MB: the demo writes ten. What it reads ahead is bounded by the
    // engine's 32 MB of mail in flight and one batch of the download (8 MB), so about 30
    // messages; without the stop, all 48 (97 MB) would be downloaded.
    const COUNT: u32 = 48;
    let server = Dovecot::start(|maildir| {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        for index in 0..COUNT {
            let name = format!("{}.M{index}P1.mail2pst-test:2,S", 1_700_000_000 + index);
            fs::write(maildir.join("cur").join(name), two_megabyte_message(index)).unwrap();
        }
    });
    // As the server sends them: with CRLF line ends.
    let total: u64 = (0..COUNT)
        .map(|i| {
            let message = two_megabyte_message(i);
            (message.len() + message.iter().filter(|&&b| b == b'\n').count()) as u64
        })
        .sum();
    let out = temp_dir();
    let store = ImapStore::open(server.account()).unwrap();
    let mut spec = JobSpec::new(
        vec![Source::from_store(Box::new(store))],
        out.path().join("demo.pst"),
    );
    spec.license = Some(demo());
    spec.now = Some(1_700_000_000);
    let mut read = 0;
    let report = engine::run(&spec, &CancelToken::new(), &mut |event| {
        if let Event::Progress(progress) = event {
            read = read.max(progress.bytes_read);
        }
    })
    .unwrap();
    let inbox = report
        .folders
        .iter()
        .find(|f| f.pst_path.last().is_some_and(|name| name == "Inbox"))
        .unwrap_or_else(|| panic!("{report:#?}"));
    assert_eq!(inbox.found, u64::from(COUNT), "{report:#?}");
    assert_eq!(inbox.written, 10);
    assert_eq!(
        inbox.skipped.demo_limit,
        u64::from(COUNT) - 10,
        "{inbox:#?}"
    );
    assert!(read > 10 * 2_000_000, "the ten written were read: {read}");
    assert!(
        read < total * 3 / 4,
        "{read} of {total} bytes downloaded for a demo of ten messages"
    );
    // The server's own count of what it sent, once every connection is closed, says the
    // same: not the job's word for it.
    drop(spec);
    let sent = server.bytes_sent();
    assert!(sent > 10 * 2_000_000, "the server sent {sent} bytes");
    assert!(
        sent < total * 3 / 4,
        "the server sent {sent} of {total} bytes for a demo of ten messages:\n{}",
        server.log()
    );
}

#[test]
fn a_refused_password_and_an_untrusted_certificate_are_explained() {
    let (server, _) = start();
    // STARTTLS on the plain port works as TLS does (first: after a refused password, Dovecot
    // makes the next login from the same address wait).
    let store =
        ImapStore::open(server.account_with(Security::StartTls, crate::imap_server::PASSWORD))
            .unwrap();
    assert!(store.folders().unwrap().len() > 5);
    let error = ImapStore::open(server.account_with(Security::Tls, "wrong"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("refused the user name or the password") && error.contains("app password"),
        "{error}"
    );
    let mut untrusted = server.account();
    untrusted.trusted_certificate = None;
    let error = ImapStore::open(untrusted).unwrap_err().to_string();
    assert!(
        error.contains("certificate is not trusted") && error.contains("--trust-certificate"),
        "{error}"
    );
}

/// The command a person types: `mail2pst convert imaps://alice@server/ -o out.pst`, the
/// password from the environment, the server's certificate trusted by an option; `scan`
/// lists the account and `verify` compares the PST with it.
#[test]
fn the_command_line_converts_scans_and_verifies_an_account() {
    let (server, placed) = start();
    let out = temp_dir();
    let pst = out.path().join("account.pst");
    let program = Program::licensed();
    let url = server.url();
    let certificate = server.certificate.to_str().unwrap().to_owned();
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = program.command(args);
        match password {
            Some(password) => command.env(IMAP_PASSWORD_VARIABLE, password),
            None => command.env_remove(IMAP_PASSWORD_VARIABLE),
        };
        command.stdin(Stdio::null()).output().unwrap()
    };
    let password = Some(crate::imap_server::PASSWORD);
    let trust = ["--trust-certificate", certificate.as_str()];

    let output = run(&[&["scan", url.as_str()][..], &trust].concat(), password);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let listing = text(&output.stdout);
    assert!(
        listing.contains("Sent Items") && listing.contains("Réunion"),
        "{listing}"
    );

    let output = run(
        &[
            &["convert", url.as_str(), "-o", arg(&pst), "--json"][..],
            &trust,
        ]
        .concat(),
        password,
    );
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["totals"]["written"], placed.len() as u64);
    assert_eq!(report["totals"]["read_back_differences"], 0);

    let output = run(
        &[
            &["verify", arg(&pst), "--against", url.as_str()][..],
            &trust,
        ]
        .concat(),
        password,
    );
    assert_eq!(code(&output), 0, "{}", text(&output.stdout));

    // A refused password and a missing one: one line each, saying what to do.
    let output = run(
        &[&["scan", url.as_str()][..], &trust].concat(),
        Some("wrong"),
    );
    assert_one_line_error(&output, &["refused the user name or the password"]);
    let output = run(&[&["scan", url.as_str()][..], &trust].concat(), None);
    assert_one_line_error(&output, &[IMAP_PASSWORD_VARIABLE]);
    let output = run(&["scan", url.as_str()], password);
    assert_one_line_error(&output, &["not trusted", "--trust-certificate"]);
}
