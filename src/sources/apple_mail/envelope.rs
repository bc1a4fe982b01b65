//! Apple Mail's Envelope Index (SQLite, `MailData/Envelope Index` with its `-wal`), read-only.
//! It names mailboxes, keeps read/flagged/deleted state, and lists messages whose bodies Mail
//! never downloaded. The schema is undocumented and differs between versions, so every query
//! uses only the columns `PRAGMA table_info` reports (docs/formats.md §1.5). The message files stay
//! the truth for what mail exists; the index only annotates them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

use super::emlx::EmlxFlags;
use crate::model::MessageFlags;

use crate::sources::sqlite::{ReadOnlyDatabase, column_or_null, columns};
use crate::sources::{Error, Result};

/// One row of `mailboxes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxRow {
    pub rowid: i64,
    /// The URL as stored, e.g. `imap://3B5B0A3E-…/%5BGmail%5D/All%20Mail`.
    pub url: String,
    /// The URL's host part, percent-decoded: an account folder's name (a UUID in V3+).
    pub account: String,
    /// The mailbox names of the URL's path, percent-decoded, outermost first.
    pub names: Vec<String>,
}

/// What the index knows about one message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageRow {
    pub rowid: i64,
    /// The `flags` column: the same bits as an emlx trailer.
    pub flags: Option<u64>,
    pub read: Option<bool>,
    pub flagged: Option<bool>,
    pub deleted: Option<bool>,
}

impl MessageRow {
    /// The state Mail records for the message: the `flags` bits, with the `read` and
    /// `flagged` columns where the schema has them.
    pub fn message_flags(&self) -> MessageFlags {
        let mut flags = EmlxFlags(self.flags.unwrap_or(0)).message_flags();
        flags.read = self.read.unwrap_or(flags.read);
        flags.flagged = self.flagged.unwrap_or(flags.flagged);
        flags
    }

    /// Marked deleted, by the `deleted` column where the schema has one, else by flag bit 1.
    pub fn is_deleted(&self) -> bool {
        self.deleted
            .unwrap_or_else(|| self.flags.is_some_and(|f| f & 0b10 != 0))
    }
}

/// How the server knows a message the index lists: the `remote_id` column (its IMAP UID, the
/// number Mail's file name is *not*: docs/formats.md §1.2) and the Message-ID header kept in
/// `message_global_data`, joined by `messages.global_message_id`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerKey {
    pub uid: Option<u32>,
    pub message_id: Option<String>,
    /// The message's size in bytes (the `size` column), to keep batches of fetches small.
    pub size: Option<u64>,
}

/// An Envelope Index opened read-only.
#[derive(Debug)]
pub struct EnvelopeIndex {
    path: PathBuf,
    connection: Mutex<Connection>,
    /// How it had to be opened, when that loses something (said in the store's warnings).
    pub note: Option<String>,
    /// A copy made when the original could not be opened in place; removed on drop.
    _copy: Option<tempfile::TempDir>,
}

impl EnvelopeIndex {
    /// Opens the database at `path` without ever writing to it or beside it (see
    /// [`ReadOnlyDatabase::open`]).
    pub fn open(path: &Path) -> Result<EnvelopeIndex> {
        let database = ReadOnlyDatabase::open(path, "the Envelope Index")?;
        let note = database.note.as_ref().map(|_| {
            "the Envelope Index could only be read without its -wal file; the newest read and \
             flag changes may be missing"
                .to_string()
        });
        Ok(Self::new(path, database.connection, note, database.copy))
    }

    fn new(
        path: &Path,
        connection: Connection,
        note: Option<String>,
        copy: Option<tempfile::TempDir>,
    ) -> EnvelopeIndex {
        EnvelopeIndex {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
            note,
            _copy: copy,
        }
    }

    /// The database file (for reports).
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, e: rusqlite::Error) -> Error {
        Error::Format {
            path: self.path.clone(),
            what: format!("Envelope Index: {e}"),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        f(&connection).map_err(|e| self.error(e))
    }

    /// Every mailbox the index lists, by ROWID.
    pub fn mailboxes(&self) -> Result<Vec<MailboxRow>> {
        self.with(|db| {
            let columns = columns(db, "mailboxes")?;
            if !columns.iter().any(|c| c == "url") {
                return Ok(Vec::new());
            }
            let mut statement = db.prepare("SELECT ROWID, url FROM mailboxes ORDER BY ROWID")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Option<String>>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (rowid, url) = row?;
                let Some(url) = url else { continue };
                let (account, names) = split_url(&url);
                out.push(MailboxRow {
                    rowid,
                    url,
                    account,
                    names,
                });
            }
            Ok(out)
        })
    }

    /// The server's keys of the messages the index lists in one mailbox, by ROWID. Columns or
    /// tables the schema lacks give `None`s.
    pub fn server_keys(&self, mailbox: i64) -> Result<BTreeMap<i64, ServerKey>> {
        self.with(|db| {
            let messages = columns(db, "messages")?;
            if !messages.iter().any(|c| c == "mailbox") {
                return Ok(BTreeMap::new());
            }
            let global = columns(db, "message_global_data")?;
            let joined = messages.iter().any(|c| c == "global_message_id")
                && global.iter().any(|c| c == "message_id_header");
            let uid = column_or_null(&messages, "messages", "remote_id");
            let size = column_or_null(&messages, "messages", "size");
            let sql = if joined {
                format!(
                    "SELECT messages.ROWID, {uid}, {size}, message_global_data.message_id_header \
                     FROM messages LEFT JOIN message_global_data \
                     ON messages.global_message_id = message_global_data.ROWID \
                     WHERE messages.mailbox = ?1"
                )
            } else {
                format!(
                    "SELECT messages.ROWID, {uid}, {size}, NULL FROM messages \
                     WHERE messages.mailbox = ?1"
                )
            };
            let mut statement = db.prepare(&sql)?;
            let mut rows = statement.query([mailbox])?;
            let mut out = BTreeMap::new();
            while let Some(row) = rows.next()? {
                let uid: Option<i64> = row.get(1).ok().flatten();
                let size: Option<i64> = row.get(2).ok().flatten();
                let message_id: Option<String> = row.get(3).ok().flatten();
                out.insert(
                    row.get(0)?,
                    ServerKey {
                        uid: uid
                            .and_then(|uid| u32::try_from(uid).ok())
                            .filter(|&uid| uid > 0),
                        message_id: message_id.filter(|id| !id.trim().is_empty()),
                        size: size.and_then(|size| u64::try_from(size).ok()),
                    },
                );
            }
            Ok(out)
        })
    }

    /// The messages the index lists in one mailbox, by ROWID (= the emlx file's number).
    pub fn messages(&self, mailbox: i64) -> Result<BTreeMap<i64, MessageRow>> {
        self.with(|db| {
            let columns = columns(db, "messages")?;
            if !columns.iter().any(|c| c == "mailbox") {
                return Ok(BTreeMap::new());
            }
            let optional = ["flags", "read", "flagged", "deleted"];
            let selected: Vec<&str> = optional
                .iter()
                .copied()
                .filter(|name| columns.iter().any(|c| c == name))
                .collect();
            let mut sql = "SELECT ROWID".to_string();
            for name in &selected {
                sql.push_str(&format!(", \"{name}\""));
            }
            sql.push_str(" FROM messages WHERE mailbox = ?1 ORDER BY ROWID");
            let mut statement = db.prepare(&sql)?;
            let mut rows = statement.query([mailbox])?;
            let mut out = BTreeMap::new();
            while let Some(row) = rows.next()? {
                let mut message = MessageRow {
                    rowid: row.get(0)?,
                    ..MessageRow::default()
                };
                for (index, name) in selected.iter().enumerate() {
                    let value: Option<i64> = row.get(index + 1).ok().flatten();
                    match *name {
                        "flags" => message.flags = value.map(|v| v as u64),
                        "read" => message.read = value.map(|v| v != 0),
                        "flagged" => message.flagged = value.map(|v| v != 0),
                        _ => message.deleted = value.map(|v| v != 0),
                    }
                }
                out.insert(message.rowid, message);
            }
            Ok(out)
        })
    }
}

/// `imap://UUID/%5BGmail%5D/All%20Mail` → (`UUID`, [`[Gmail]`, `All Mail`]).
pub fn split_url(url: &str) -> (String, Vec<String>) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut segments = rest.split('/');
    let account = percent_decode(segments.next().unwrap_or_default());
    let names = segments
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    (account, names)
}

/// Percent-decoding; invalid escapes are kept as they are, invalid UTF-8 is replaced.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::sqlite::{file_uri, wal_path};

    #[test]
    fn mailbox_urls_are_split_and_decoded() {
        let (account, names) = split_url("imap://3B5B0A3E-CB7F/%5BGmail%5D/All%20Mail");
        assert_eq!(account, "3B5B0A3E-CB7F");
        assert_eq!(names, ["[Gmail]", "All Mail"]);
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%C3%A9t%C3%A9"), "été");
    }

    /// A database in WAL mode whose rows are only in the `-wal`, like one Mail is writing to.
    fn live_database(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("Envelope Index");
        let db = Connection::open(&path).unwrap();
        db.pragma_update(None, "journal_mode", "WAL").unwrap();
        db.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        db.execute_batch(
            "CREATE TABLE mailboxes (ROWID INTEGER PRIMARY KEY, url UNIQUE);
             CREATE TABLE messages (ROWID INTEGER PRIMARY KEY, mailbox, flags, deleted);",
        )
        .unwrap();
        db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        db.execute_batch(
            "INSERT INTO mailboxes VALUES (1, 'imap://U/INBOX');
             INSERT INTO messages VALUES (7, 1, 3, 1);",
        )
        .unwrap();
        (path, db)
    }

    fn file_bytes(path: &Path) -> Vec<Vec<u8>> {
        ["", "-wal", "-shm"]
            .iter()
            .map(|s| std::fs::read(wal_path(path, s)).unwrap_or_default())
            .collect()
    }

    #[test]
    fn reads_the_wal_of_a_database_in_use_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = live_database(dir.path());
        // Mail is in the middle of a write transaction.
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        let before = file_bytes(&path);
        let index = EnvelopeIndex::open(&path).unwrap();
        let mailboxes = index.mailboxes().unwrap();
        assert_eq!(mailboxes.len(), 1);
        assert_eq!(mailboxes[0].names, ["INBOX"]);
        let rows = index.messages(1).unwrap();
        assert_eq!(rows[&7].flags, Some(3));
        assert!(rows[&7].is_deleted());
        assert_eq!(index.note, None);
        drop(index);
        assert!(file_bytes(&path) == before, "the database files changed");
        writer.execute_batch("ROLLBACK").unwrap();
    }

    #[test]
    fn reads_a_closed_database_in_place_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let (path, writer) = live_database(dir.path());
        // Keep the -wal as a copied library would have it, without any open connection.
        let copy = dir.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        for suffix in ["", "-wal", "-shm"] {
            std::fs::copy(
                wal_path(&path, suffix),
                wal_path(&copy.join("Envelope Index"), suffix),
            )
            .unwrap();
        }
        drop(writer);
        let path = copy.join("Envelope Index");
        let before = file_bytes(&path);
        let index = EnvelopeIndex::open(&path).unwrap();
        if cfg!(unix) {
            assert!(index._copy.is_none(), "opened in place");
        }
        assert_eq!(index.messages(1).unwrap().len(), 1);
        drop(index);
        assert!(file_bytes(&path) == before, "the database files changed");
    }

    #[test]
    fn uris_escape_what_sqlite_would_read_as_query() {
        assert_eq!(
            file_uri(Path::new("/a b/Envelope Index?#%"), "mode=ro"),
            "file:/a%20b/Envelope%20Index%3F%23%25?mode=ro"
        );
        assert_eq!(
            file_uri(Path::new("C:\\Mail\\x"), "q"),
            "file:///C:/Mail/x?q"
        );
    }
}
