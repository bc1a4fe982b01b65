//! An Apple Mail IMAP account whose library lacks mail Mail never downloaded, filled from its
//! server — a real Dovecot ([`crate::imap_server`]) — when the person gives the password:
//! `mail2pst convert ~/Library/Mail --fetch-missing`, the password from the environment.
//!
//! The library is laid out as docs/formats.md §1.2 and §1.5 describe a V10 one (built by
//! [`crate::apple_mail_fixtures`], the Envelope Index with the V10 `messages` columns), plus
//! what gap filling reads: `AccountURL` in `MailData/Signatures/AccountsMap.plist`
//! (`imap://user@host/`), `messages.remote_id` (the IMAP UID) and `message_global_data
//! (ROWID, message_id_header)` joined by `messages.global_message_id` (the join a public
//! reader of the index uses: `mail-mcp-bridge`, `src/get_email_path.py`). Its messages:
//! - INBOX: the corpus's complete `114862.emlx`; the corpus's `114892.partial.emlx` without
//!   its `Attachments/114892` folder (Mail did not download its four attachments; the server
//!   holds the whole message, the corpus's `expected_results/114892.eml`); and three rows
//!   without a file: one whose UID names it, one whose recorded UID is wrong (found by its
//!   Message-ID), one deleted on the server since (its UID names another message now).
//! - Work/2024: a mailbox only the index lists (no folder on disk), both messages on the
//!   server, which nests it as `Work.2024` (Dovecot's maildir delimiter is `.`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use mail2pst::cli::IMAP_PASSWORD_VARIABLE;
use rusqlite::Connection;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::apple_mail_fixtures::{
    ACCOUNT_UUID, Row, STORE_GUID, Schema, apple_corpus, put_built_message, shard, snapshot,
    write_envelope_index,
};
use crate::cli::{Program, arg, code, text};
use crate::engine_common::read_with;
use crate::gap_filling::{message_id, report_folder, server_mail};
use crate::imap_server::{Dovecot, PASSWORD};
use crate::util::{corpus, temp_dir};

const INBOX_VALIDITY: u32 = 1_700_000_100;
const WORK_VALIDITY: u32 = 1_700_000_101;

/// Index rows without a file.
const BY_UID: i64 = 500_001;
const BY_MESSAGE_ID: i64 = 500_002;
const GONE: i64 = 500_003;
const WORK_ROWS: [i64; 2] = [500_010, 500_011];
/// The partial message whose attachments Mail did not download.
const PARTIAL: i64 = 114_892;

/// A message on the server.
#[derive(Clone, Debug)]
struct OnServer {
    bytes: Vec<u8>,
    id: String,
}

/// Puts `messages` into the maildir folder `dir` with UIDs 1… under `validity` (Dovecot's
/// `dovecot-uidlist`: `3 V<uidvalidity> N<next uid>`, then `<uid> :<file name>`).
fn fill_folder(dir: &Path, messages: &[Vec<u8>], validity: u32) -> Vec<OnServer> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let mut uidlist = format!("3 V{validity} N{}\n", messages.len() + 1);
    let mut placed = Vec::new();
    for (index, bytes) in messages.iter().enumerate() {
        let uid = index + 1;
        let base = format!("{}.M{uid}P{validity}.applegap", 1_700_000_000 + uid);
        fs::write(dir.join("cur").join(format!("{base}:2,S")), bytes).unwrap();
        writeln!(uidlist, "{uid} :{base}").unwrap();
        placed.push(OnServer {
            id: message_id(bytes),
            bytes: bytes.clone(),
        });
    }
    fs::write(dir.join("dovecot-uidlist"), uidlist).unwrap();
    placed
}

pub(crate) struct World {
    pub(crate) server: Dovecot,
    inbox: Vec<OnServer>,
    work: Vec<OnServer>,
    _home: tempfile::TempDir,
    /// `~/Library/Mail` of the Mac-like home.
    pub(crate) mail: PathBuf,
}

pub(crate) fn world() -> World {
    let source = corpus().join("maildir/notmuch/test/corpora/default/cur");
    let mut files: Vec<_> = fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let notmuch: Vec<Vec<u8>> = files.iter().take(5).map(|f| fs::read(f).unwrap()).collect();
    let whole_partial = fs::read(apple_corpus().join("expected_results/114892.eml")).unwrap();
    let mut inbox = Vec::new();
    let mut work = Vec::new();
    let server = Dovecot::start(|maildir| {
        inbox = fill_folder(
            maildir,
            &[
                whole_partial.clone(),
                notmuch[0].clone(),
                notmuch[1].clone(),
                notmuch[2].clone(),
            ],
            INBOX_VALIDITY,
        );
        let work_dir = maildir.join(".Work.2024");
        work = fill_folder(&work_dir, &notmuch[3..5], WORK_VALIDITY);
        fs::write(work_dir.join("maildirfolder"), "").unwrap();
    });

    let home = temp_dir();
    let mail = home.path().join("Library/Mail");
    let library = mail.join("V10");
    let inbox_data = library
        .join(ACCOUNT_UUID)
        .join("INBOX.mbox")
        .join(STORE_GUID)
        .join("Data");
    // 114862 complete, built with a trailer (read); 114892 partial, without its attachments.
    put_built_message(
        &inbox_data.join(shard(114_862)).join("Messages"),
        114_862,
        Some(8_623_750_273),
    );
    let messages = inbox_data.join(shard(PARTIAL)).join("Messages");
    fs::create_dir_all(&messages).unwrap();
    fs::copy(
        apple_corpus().join("Messages/114892.partial.emlx"),
        messages.join("114892.partial.emlx"),
    )
    .unwrap();

    let mut map = plist::Dictionary::new();
    let mut entry = plist::Dictionary::new();
    entry.insert(
        "AccountURL".into(),
        format!("imap://alice@127.0.0.1:{}/", server.imaps_port).into(),
    );
    map.insert(ACCOUNT_UUID.into(), entry.into());
    let signatures = library.join("MailData/Signatures");
    fs::create_dir_all(&signatures).unwrap();
    plist::Value::Dictionary(map)
        .to_file_xml(signatures.join("AccountsMap.plist"))
        .unwrap();

    let row = |rowid, read, flagged| Row {
        rowid,
        flags: u64::from(read) | if flagged { 0x10 } else { 0 },
        read,
        flagged,
        deleted: false,
    };
    let index = library.join("MailData/Envelope Index");
    write_envelope_index(
        &index,
        Schema::V10,
        &[
            (
                &format!("imap://{ACCOUNT_UUID}/INBOX"),
                vec![
                    row(114_862, true, false),
                    row(PARTIAL, true, false),
                    row(BY_UID, true, true),
                    row(BY_MESSAGE_ID, false, false),
                    row(GONE, false, false),
                ],
            ),
            (
                // Mail's URL may spell the account in another case than its folder.
                &format!("imap://{}/Work/2024", ACCOUNT_UUID.to_lowercase()),
                WORK_ROWS.iter().map(|&id| row(id, true, false)).collect(),
            ),
        ],
    );
    // The server's keys: `remote_id` and the Message-ID (`global_message_id` is the ROWID in
    // the rows the fixture writes).
    let db = Connection::open(&index).unwrap();
    db.execute_batch(
        "CREATE TABLE message_global_data (ROWID INTEGER PRIMARY KEY, message_id_header)",
    )
    .unwrap();
    let keys: [(i64, u32, String); 6] = [
        (PARTIAL, 1, inbox[0].id.clone()),
        (BY_UID, 2, inbox[1].id.clone()),
        // A wrong UID: the Message-ID finds it (UID 3).
        (BY_MESSAGE_ID, 40, inbox[2].id.clone()),
        // UID 4 names another message now.
        (GONE, 4, "deleted-on-the-server@example.org".to_owned()),
        (WORK_ROWS[0], 1, work[0].id.clone()),
        (WORK_ROWS[1], 2, work[1].id.clone()),
    ];
    for (rowid, uid, id) in keys {
        db.execute(
            "INSERT INTO message_global_data (ROWID, message_id_header) VALUES (?1, ?2)",
            rusqlite::params![rowid, format!("<{id}>")],
        )
        .unwrap();
        db.execute(
            "UPDATE messages SET remote_id = ?1 WHERE ROWID = ?2",
            rusqlite::params![uid, rowid],
        )
        .unwrap();
    }
    drop(db);
    World {
        server,
        inbox,
        work,
        _home: home,
        mail,
    }
}

#[test]
fn messages_apple_mail_never_downloaded_come_from_the_server_with_the_password() {
    let world = world();
    let server_before = server_mail(&world.server);
    let library_before = snapshot(&world.mail);
    let program = Program::licensed();
    let certificate = world.server.certificate.to_str().unwrap().to_owned();
    let out = temp_dir();
    let convert = |pst: &Path, fetch: bool, password: Option<&str>| -> Output {
        let mut args = vec![
            "convert",
            arg(&world.mail),
            "-o",
            arg(pst),
            "--json",
            "--trust-certificate",
            certificate.as_str(),
        ];
        if fetch {
            args.push("--fetch-missing");
        }
        let mut command = program.command(&args);
        match password {
            Some(password) => command.env(IMAP_PASSWORD_VARIABLE, password),
            None => command.env_remove(IMAP_PASSWORD_VARIABLE),
        };
        command.stdin(Stdio::null()).output().unwrap()
    };
    let inbox = "alice/INBOX";
    let work = "alice/Work/2024";

    // `scan` names the account's server and how many messages are only there.
    let output = program.run(&["scan", arg(&world.mail)]);
    let listing = text(&output.stdout);
    let expected = format!(
        "5 messages of alice only on imaps://alice@127.0.0.1:{}/: convert with --fetch-missing",
        world.server.imaps_port
    );
    assert!(listing.contains(&expected), "{listing}");

    // Without the password: as before, not downloaded, and the partial message without its
    // attachments (each one a warning).
    let pst = out.path().join("local.pst");
    let output = convert(&pst, false, None);
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let folder = report_folder(&report, inbox);
    assert_eq!(
        (folder["found"].as_u64(), folder["written"].as_u64()),
        (Some(5), Some(2)),
        "{folder:#}"
    );
    assert_eq!(folder["skipped"]["not_downloaded"], 3);
    assert_eq!(report_folder(&report, work)["skipped"]["not_downloaded"], 2);
    assert_eq!(report["totals"]["from_server"], 0);

    // With it: every message in its place with Mail's state, the partial one whole; the one
    // deleted on the server since is left out, and the report says why.
    let pst = out.path().join("filled.pst");
    let output = convert(&pst, true, Some(PASSWORD));
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("Fetching 5 messages"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["totals"]["read_back_differences"], 0, "{report:#}");
    assert_eq!(report["totals"]["from_server"], 5, "{report:#}");
    let folder = report_folder(&report, inbox);
    assert_eq!(
        (
            folder["found"].as_u64(),
            folder["written"].as_u64(),
            folder["from_server"].as_u64()
        ),
        (Some(5), Some(4), Some(3)),
        "{folder:#}"
    );
    let skipped = &folder["skipped_items"][0];
    assert_eq!(skipped["reason"], "not_fetched", "{skipped:#}");
    let why = skipped["detail"].as_str().unwrap();
    assert!(why.contains("deleted-on-the-server@example.org"), "{why}");
    let folder = report_folder(&report, work);
    assert_eq!(
        (folder["written"].as_u64(), folder["from_server"].as_u64()),
        (Some(2), Some(2)),
        "{folder:#}"
    );

    // The independent readers: the right messages in the right folders, the partial message
    // with the four attachments the server has, and Mail's state.
    let whole = mail_parts(&world.inbox[0].bytes);
    assert_eq!(whole.len(), 4, "the test's own reading of 114892.eml");
    let readers = read_with(&pst, &["readpst", "pypff"]);
    for (reader, json) in &readers {
        let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for message in json["messages"].as_array().unwrap() {
            let folder = message["folder"].as_str().unwrap().to_owned();
            let id = message["message_id"]
                .as_str()
                .unwrap_or_default()
                .trim_matches(['<', '>'])
                .to_owned();
            ids.entry(folder).or_default().push(id);
        }
        for list in ids.values_mut() {
            list.sort();
        }
        let mut expected_inbox: Vec<String> = vec![
            world.inbox[0].id.clone(),
            world.inbox[1].id.clone(),
            world.inbox[2].id.clone(),
            message_id(&fs::read(apple_corpus().join("expected_results/114862.eml")).unwrap()),
        ];
        expected_inbox.sort();
        let mut expected_work: Vec<String> = world.work.iter().map(|m| m.id.clone()).collect();
        expected_work.sort();
        assert_eq!(ids.get(inbox), Some(&expected_inbox), "{reader}: {ids:#?}");
        assert_eq!(ids.get(work), Some(&expected_work), "{reader}");

        let message = |id: &str| {
            json["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["message_id"].as_str().is_some_and(|m| m.contains(id)))
                .unwrap_or_else(|| panic!("{reader}: no message {id}"))
                .clone()
        };
        let restored = message(&world.inbox[0].id);
        let attached: Vec<(String, String)> = restored["attachments"]
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
        for part in &whole {
            assert!(
                attached.contains(part),
                "{reader}: {part:?} not in {attached:?}"
            );
        }
        if *reader == "pypff" {
            assert_eq!(message(&world.inbox[1].id)["read"], true);
            assert_eq!(message(&world.inbox[2].id)["read"], false);
        }
    }

    // `verify` compares the PST with the library, the messages from the server included.
    let mut command = program.command(&[
        "verify",
        arg(&pst),
        "--against",
        arg(&world.mail),
        "--fetch-missing",
        "--trust-certificate",
        certificate.as_str(),
    ]);
    command.env(IMAP_PASSWORD_VARIABLE, PASSWORD);
    let output = command.stdin(Stdio::null()).output().unwrap();
    assert_eq!(
        code(&output),
        0,
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    // Nothing changed on the server or in the library.
    assert_eq!(server_mail(&world.server), server_before);
    assert_eq!(snapshot(&world.mail), library_before);
}

/// The attachments of a message by the test's own reading (Python's `email` package is not at
/// hand in Rust; `mailparse` shares no code with the converter's mail-parser): file name and
/// SHA-256 of each decoded part that has a file name.
fn mail_parts(bytes: &[u8]) -> Vec<(String, String)> {
    let parsed = mailparse::parse_mail(bytes).unwrap();
    let mut out = Vec::new();
    let mut pending = vec![&parsed];
    while let Some(part) = pending.pop() {
        pending.extend(part.subparts.iter());
        let disposition = part.get_content_disposition();
        if let Some(name) = disposition.params.get("filename") {
            let body = part.get_body_raw().unwrap();
            out.push((name.clone(), format!("{:x}", Sha256::digest(&body))));
        }
    }
    out
}
