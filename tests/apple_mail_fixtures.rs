//! Builders for Apple Mail libraries in temporary folders. No real Mail library or Envelope
//! Index is public, so each builder lays out folders and a database as the documented layouts
//! and schemas describe them (the comment on each says which part of docs/formats.md §1 it follows)
//! and fills them with the real emlx files of `applemail/partial-emlx-converter`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::util::corpus;

/// The real Apple Mail messages of the corpus.
pub fn apple_corpus() -> PathBuf {
    corpus().join("applemail/partial-emlx-converter")
}

/// The file name of a corpus message by its number.
pub fn corpus_file(id: i64) -> &'static str {
    match id {
        114862 => "114862.emlx",
        114892 => "114892.partial.emlx",
        114893 => "114893.partial.emlx",
        114894 => "114894.partial.emlx",
        114895 => "114895.partial.emlx",
        11507 => "11507.emlx",
        136153 => "136153.partial.emlx",
        229417 => "229417.partial.emlx",
        other => panic!("no corpus message {other}"),
    }
}

/// The raw `flags` of each corpus message's trailer (SOURCES.md).
pub fn corpus_flags(id: i64) -> u64 {
    match id {
        114862 | 11507 => 8_623_750_272,
        114892..=114895 => 8_623_689_857,
        136153 => 25_803_555_845,
        229417 => 25_770_001_409,
        other => panic!("no corpus message {other}"),
    }
}

/// The shard folders of a message number (docs/formats.md §1.2 "Sharding rule"): drop the last
/// three digits and use the rest in reverse order: 123456 → `3/2/1`, 999 → none.
pub fn shard(id: i64) -> PathBuf {
    let digits = id.to_string();
    let kept = &digits[..digits.len().saturating_sub(3)];
    kept.chars().rev().map(|c| c.to_string()).collect()
}

/// Copies a corpus message (and its `Attachments/<id>` folder, if the corpus has one) into
/// `data_dir/Messages` and `data_dir/Attachments`, as Apple Mail keeps them side by side.
pub fn put_corpus_message(data_dir: &Path, id: i64) {
    let messages = data_dir.join("Messages");
    fs::create_dir_all(&messages).unwrap();
    let name = corpus_file(id);
    fs::copy(
        apple_corpus().join("Messages").join(name),
        messages.join(name),
    )
    .unwrap();
    let attachments = apple_corpus().join("Attachments").join(id.to_string());
    if attachments.is_dir() {
        copy_tree(
            &attachments,
            &data_dir.join("Attachments").join(id.to_string()),
        );
    }
}

/// A message file built here (not from the corpus): the real message 114862 with a trailer
/// whose `flags` are `flags`, or with no trailer at all.
pub fn put_built_message(messages_dir: &Path, id: i64, flags: Option<u64>) {
    fs::create_dir_all(messages_dir).unwrap();
    let message = fs::read(apple_corpus().join("expected_results/114862.eml")).unwrap();
    let mut file = format!("{}\n", message.len()).into_bytes();
    file.extend_from_slice(&message);
    if let Some(flags) = flags {
        file.extend_from_slice(
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \
                 \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
                 <plist version=\"1.0\">\n<dict>\n\t<key>date-received</key>\n\t<integer>1600000000</integer>\n\
                 \t<key>flags</key>\n\t<integer>{flags}</integer>\n</dict>\n</plist>\n"
            )
            .as_bytes(),
        );
    }
    fs::write(messages_dir.join(format!("{id}.emlx")), file).unwrap();
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One row of the Envelope Index `messages` table the builders write.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub rowid: i64,
    pub flags: u64,
    pub read: bool,
    pub flagged: bool,
    pub deleted: bool,
}

impl Row {
    /// A row for a corpus message, with the state its trailer has.
    pub fn for_corpus(id: i64) -> Row {
        let flags = corpus_flags(id);
        Row {
            rowid: id,
            flags,
            read: flags & 1 != 0,
            flagged: flags & 0x10 != 0,
            deleted: false,
        }
    }
}

/// The schema of an Envelope Index the builders write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// The V10 `messages` columns as dumped by `PRAGMA table_info` in docs/formats.md §1.5 (from
    /// chrispatten.github.io/haven/reference/Envelope_Index_schema), with `mailboxes (ROWID,
    /// url, total_count, unread_count)`, `subjects` and `addresses`.
    V10,
    /// Older schemas differ and are not published column by column: docs/formats.md §1.5 only says
    /// the 2006 one had `mailboxes(ROWID, url UNIQUE)` and no `deleted` column. This one keeps
    /// `ROWID, mailbox, flags` and nothing else, so state must come from the `flags` bits.
    Reduced,
}

/// Writes an Envelope Index at `path` (plus `-wal` and `-shm`, as a running Mail leaves them:
/// the message rows are only in the `-wal`, so a reader that ignored it would see none).
/// `mailboxes` maps a mailbox URL to its message rows.
pub fn write_envelope_index(path: &Path, schema: Schema, mailboxes: &[(&str, Vec<Row>)]) {
    let staging = tempfile::tempdir().unwrap();
    let db_path = staging.path().join("Envelope Index");
    let db = Connection::open(&db_path).unwrap();
    db.pragma_update(None, "journal_mode", "WAL").unwrap();
    db.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    match schema {
        Schema::V10 => db
            .execute_batch(
                "CREATE TABLE mailboxes (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, url UNIQUE, \
                   total_count INTEGER NOT NULL DEFAULT 0, unread_count INTEGER NOT NULL DEFAULT 0);
                 CREATE TABLE subjects (ROWID INTEGER PRIMARY KEY, subject COLLATE RTRIM);
                 CREATE TABLE addresses (ROWID INTEGER PRIMARY KEY, address COLLATE NOCASE, comment);
                 CREATE TABLE messages (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, message_id, \
                   global_message_id NOT NULL, remote_id, document_id, sender, subject_prefix, \
                   subject NOT NULL, summary, date_sent, date_received, mailbox NOT NULL, \
                   remote_mailbox, flags NOT NULL DEFAULT 0, read, flagged, deleted, size, \
                   conversation_id, date_last_viewed, list_id_hash, unsubscribe_type, \
                   searchable_message, brand_indicator, display_date, color, type, \
                   fuzzy_ancestor, automated_conversation, root_status, flag_color, is_urgent);",
            )
            .unwrap(),
        Schema::Reduced => db
            .execute_batch(
                "CREATE TABLE mailboxes (ROWID INTEGER PRIMARY KEY, url UNIQUE);
                 CREATE TABLE messages (ROWID INTEGER PRIMARY KEY, mailbox, flags);",
            )
            .unwrap(),
    }
    // A checkpoint now puts the empty tables into the main file; the rows below stay in -wal.
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    for (url, rows) in mailboxes {
        db.execute("INSERT INTO mailboxes (url) VALUES (?1)", [url])
            .unwrap();
        let mailbox = db.last_insert_rowid();
        for row in rows {
            match schema {
                Schema::V10 => db
                    .execute(
                        "INSERT INTO messages (ROWID, global_message_id, subject, mailbox, flags, \
                         read, flagged, deleted) VALUES (?1, ?1, 1, ?2, ?3, ?4, ?5, ?6)",
                        rusqlite::params![
                            row.rowid,
                            mailbox,
                            row.flags as i64,
                            row.read,
                            row.flagged,
                            row.deleted
                        ],
                    )
                    .unwrap(),
                Schema::Reduced => db
                    .execute(
                        "INSERT INTO messages (ROWID, mailbox, flags) VALUES (?1, ?2, ?3)",
                        rusqlite::params![row.rowid, mailbox, row.flags as i64],
                    )
                    .unwrap(),
            };
        }
    }
    // Copied while the connection is open, the way a backup of a running Mac looks.
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db_path.display()));
        fs::copy(&from, format!("{}{suffix}", path.display())).unwrap();
    }
    drop(db);
}

/// Every file under `root` with its content hash and modification time, to prove that reading
/// changed nothing.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, (String, std::time::SystemTime)> {
    use sha2::Digest as _;
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        let metadata = entry.metadata().unwrap();
        let hash = if entry.file_type().is_file() {
            format!(
                "{:x}",
                sha2::Sha256::digest(fs::read(entry.path()).unwrap())
            )
        } else {
            String::from("dir")
        };
        out.insert(
            entry.path().to_path_buf(),
            (hash, metadata.modified().unwrap()),
        );
    }
    out
}

pub const ACCOUNT_UUID: &str = "3B5B0A3E-CB7F-42D6-AE86-B22CE46C56AA";
pub const STORE_GUID: &str = "0F6E8A64-0B38-4D55-9B6B-7E1A2C7B33F1";
pub const OTHER_UUID: &str = "9C2D7E11-5A0B-4C3E-8F41-2B6D9E0A7C55";

/// Message numbers of the rows a V10 library lists without a file.
pub const NOT_DOWNLOADED: [i64; 2] = [300001, 300002];
/// A row marked deleted that has no file either.
pub const DELETED_ROW: i64 = 300003;
/// A message file whose trailer has the deleted bit.
pub const DELETED_FILE: i64 = 300004;
/// A message file without a trailer, whose state only the index has (flagged, read).
pub const NO_TRAILER_FILE: i64 = 300005;

/// A V10-style library (docs/formats.md §1.2): `V10/MailData/Envelope Index` (+ `-wal`, `-shm`),
/// `MailData/Signatures/AccountsMap.plist` naming the account, one UUID account folder whose
/// mailboxes keep messages in `<store GUID>/Data/<shard>/Messages`, a child mailbox nested in
/// its parent's bundle (`INBOX.mbox/Work.mbox`), an IMAP folder with percent-encoded URL
/// segments (`[Gmail]/All Mail`), and a second account with no name anywhere.
pub fn build_v10(mail_dir: &Path) -> PathBuf {
    let library = mail_dir.join("V10");
    let account = library.join(ACCOUNT_UUID);
    let inbox = account.join("INBOX.mbox");
    let inbox_data = inbox.join(STORE_GUID).join("Data");
    for id in [114862, 114892, 114893, 114894] {
        put_corpus_message(&inbox_data.join(shard(id)), id);
    }
    put_built_message(
        &inbox_data.join(shard(DELETED_FILE)).join("Messages"),
        DELETED_FILE,
        Some(8_623_689_857 | 0b10),
    );
    put_built_message(
        &inbox_data.join(shard(NO_TRAILER_FILE)).join("Messages"),
        NO_TRAILER_FILE,
        None,
    );
    fs::write(inbox.join("Info.plist"), b"").unwrap();
    let work_data = inbox
        .join("Work.mbox")
        .join(format!("{STORE_GUID}.noindex"))
        .join("Data");
    for id in [114895, 11507] {
        put_corpus_message(&work_data.join(shard(id)), id);
    }
    let all_mail_data = account
        .join("[Gmail].mbox")
        .join("All Mail.mbox")
        .join(STORE_GUID)
        .join("Data");
    for id in [136153, 229417] {
        put_corpus_message(&all_mail_data.join(shard(id)), id);
    }
    let other = library
        .join(OTHER_UUID)
        .join("Archive.mbox")
        .join(STORE_GUID)
        .join("Data");
    fs::create_dir_all(other.join("Messages")).unwrap();

    let mut map = plist::Dictionary::new();
    let mut entry = plist::Dictionary::new();
    entry.insert(
        "AccountURL".into(),
        "imap://me%40example.com@imap.example.com/".into(),
    );
    map.insert(ACCOUNT_UUID.into(), entry.into());
    let signatures = library.join("MailData/Signatures");
    fs::create_dir_all(&signatures).unwrap();
    plist::Value::Dictionary(map)
        .to_file_xml(signatures.join("AccountsMap.plist"))
        .unwrap();

    let mut inbox_rows: Vec<Row> = [114862, 114892, 114893, 114894]
        .into_iter()
        .map(Row::for_corpus)
        .collect();
    for rowid in NOT_DOWNLOADED {
        inbox_rows.push(Row {
            rowid,
            flags: 0,
            read: false,
            flagged: false,
            deleted: false,
        });
    }
    inbox_rows.push(Row {
        rowid: DELETED_ROW,
        flags: 0b10,
        read: true,
        flagged: false,
        deleted: true,
    });
    inbox_rows.push(Row {
        rowid: DELETED_FILE,
        flags: 8_623_689_857 | 0b10,
        read: true,
        flagged: false,
        deleted: true,
    });
    inbox_rows.push(Row {
        rowid: NO_TRAILER_FILE,
        flags: 0x11,
        read: true,
        flagged: true,
        deleted: false,
    });
    let inbox_url = format!("imap://{ACCOUNT_UUID}/INBOX");
    let work_url = format!("imap://{ACCOUNT_UUID}/INBOX/Work");
    let all_mail_url = format!("imap://{ACCOUNT_UUID}/%5BGmail%5D/All%20Mail");
    let never_opened_url = format!("imap://{ACCOUNT_UUID}/Never%20Opened");
    write_envelope_index(
        &library.join("MailData/Envelope Index"),
        Schema::V10,
        &[
            (&inbox_url, inbox_rows),
            (
                &work_url,
                [114895, 11507].into_iter().map(Row::for_corpus).collect(),
            ),
            (
                &all_mail_url,
                [136153, 229417].into_iter().map(Row::for_corpus).collect(),
            ),
            (
                &never_opened_url,
                vec![Row {
                    rowid: 300010,
                    flags: 0,
                    read: false,
                    flagged: false,
                    deleted: false,
                }],
            ),
        ],
    );
    library
}

/// A V3-style library (docs/formats.md §1.2: UUID account folders from V3 on, store folders named
/// `<GUID>.noindex`; ids below 1000 have no shard folders) with the reduced schema, no
/// AccountsMap.plist, and one message without a trailer whose state only `flags` holds.
pub fn build_v3(mail_dir: &Path) -> PathBuf {
    let library = mail_dir.join("V3");
    let data = library
        .join(ACCOUNT_UUID)
        .join("Sent Messages.mbox")
        .join(format!("{STORE_GUID}.noindex"))
        .join("Data");
    for id in [114862, 11507] {
        put_corpus_message(&data.join(shard(id)), id);
    }
    put_built_message(&data.join("Messages"), 7, None);
    write_envelope_index(
        &library.join("MailData/Envelope Index"),
        Schema::Reduced,
        &[(
            &format!("imap://{ACCOUNT_UUID}/Sent%20Messages"),
            vec![
                Row::for_corpus(114862),
                Row::for_corpus(11507),
                Row {
                    rowid: 7,
                    // read (bit 0), answered (bit 2), forwarded (bit 8)
                    flags: 0x105,
                    read: true,
                    flagged: false,
                    deleted: false,
                },
            ],
        )],
    );
    library
}

/// A V2-style library (docs/formats.md §1.1: Mail 5–8 on 10.7–10.10 keep account folders named
/// `IMAP-user@host` / `POP-user@host` and local mailboxes in `Mailboxes/`; account names in
/// `MailData/Accounts.plist`, `MailAccounts` = [{AccountName, AccountPath}]), messages in
/// `<box>.mbox/Messages/` as Thunderbird's importer expects them (docs/formats.md §1.4).
pub fn build_v2(mail_dir: &Path) -> PathBuf {
    let library = mail_dir.join("V2");
    let imap = library.join("IMAP-me@imap.example.com");
    put_corpus_message(&imap.join("INBOX.mbox"), 114862);
    put_corpus_message(&imap.join("INBOX.mbox"), 114892);
    let pop = library.join("POP-old@pop.example.com");
    put_corpus_message(&pop.join("INBOX.mbox"), 11507);
    put_corpus_message(&library.join("Mailboxes/Receipts.mbox"), 136153);

    let mut account = plist::Dictionary::new();
    account.insert("AccountName".into(), "Work IMAP".into());
    account.insert(
        "AccountPath".into(),
        "~/Library/Mail/V2/IMAP-me@imap.example.com".into(),
    );
    let mut root = plist::Dictionary::new();
    root.insert(
        "MailAccounts".into(),
        plist::Value::Array(vec![account.into()]),
    );
    fs::create_dir_all(library.join("MailData")).unwrap();
    plist::Value::Dictionary(root)
        .to_file_xml(library.join("MailData/Accounts.plist"))
        .unwrap();
    library
}

/// The Mail 2–4 layout right in `~/Library/Mail` (docs/formats.md §1.1–1.2): `Mailboxes/` with a
/// child in a sibling folder (`Projects.mbox` + `Projects/Old.mbox`), an `IMAP-…` account with
/// an `.imapmbox` mailbox, and a stale Mail 1 `mbox` file left beside `Messages/`.
pub fn build_mail_2_to_4(mail_dir: &Path) {
    let mailboxes = mail_dir.join("Mailboxes");
    put_corpus_message(&mailboxes.join("Projects.mbox"), 114862);
    fs::write(
        mailboxes.join("Projects.mbox/mbox"),
        b"From a@b Thu Jan  1 00:00:00 2004\nSubject: stale\n\nx\n",
    )
    .unwrap();
    put_corpus_message(&mailboxes.join("Projects/Old.mbox"), 11507);
    put_corpus_message(
        &mail_dir.join("IMAP-me@mail.example.com/INBOX.imapmbox"),
        229417,
    );
}

/// A `table_of_contents` as docs/formats.md §1.6 describes it: big-endian magic `0x000DBBA0`, then
/// a big-endian u32 message count (the rest of the real file is not documented and not read).
pub fn write_table_of_contents(path: &Path, count: u32) {
    let mut bytes = 0x000D_BBA0u32.to_be_bytes().to_vec();
    bytes.extend_from_slice(&count.to_be_bytes());
    fs::write(path, bytes).unwrap();
}

/// An "Export Mailbox…" bundle (docs/formats.md §1.6): `Lists.mbox/` with the real 45-message mbox
/// of the corpus as `mbox` and a `table_of_contents` that agrees, and a nested export
/// `Lists.mbox/Thunderbird.mbox/` holding the real two-message mboxrd file whose table of
/// contents claims three.
pub fn build_export(parent: &Path) -> PathBuf {
    let bundle = parent.join("Lists.mbox");
    fs::create_dir_all(&bundle).unwrap();
    fs::copy(
        corpus().join("mbox/perl5-Mail-Box/t/folders/mbox.src"),
        bundle.join("mbox"),
    )
    .unwrap();
    write_table_of_contents(&bundle.join("table_of_contents"), 45);
    let child = bundle.join("Thunderbird.mbox");
    fs::create_dir_all(&child).unwrap();
    fs::copy(
        corpus().join("thunderbird/comm-central/mailnews/test/data/mbox_mboxrd"),
        child.join("mbox"),
    )
    .unwrap();
    write_table_of_contents(&child.join("table_of_contents"), 3);
    bundle
}

/// The Mail 1 layout (docs/formats.md §1.1: `~/Library/Mail/Mailboxes/<name>.mbox/mbox`, one mbox
/// file per mailbox), with the real 45-message mbox of the corpus.
pub fn build_mail_1(mail_dir: &Path) {
    let mailbox = mail_dir.join("Mailboxes/Magick.mbox");
    fs::create_dir_all(&mailbox).unwrap();
    fs::copy(
        corpus().join("mbox/perl5-Mail-Box/t/folders/mbox.src"),
        mailbox.join("mbox"),
    )
    .unwrap();
}
