//! SQLite databases of mail and calendar clients (Apple Mail's Envelope Index, Thunderbird's
//! address books and calendars), opened without ever writing to them or beside them.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::sources::{Error, Result};

/// A database opened read-only, in place or as a copy.
#[derive(Debug)]
pub struct ReadOnlyDatabase {
    pub connection: Connection,
    /// Set when only the main file could be read (its `-wal` was left out).
    pub note: Option<String>,
    /// A copy made when the original could not be opened in place; removed on drop.
    pub copy: Option<tempfile::TempDir>,
}

impl ReadOnlyDatabase {
    /// Opens the database at `path` (`what` names it in errors): as immutable when it has no
    /// `-wal`; else read-only with its `-wal`; if
    /// that fails (the client holds it), a copy of the database, `-wal` and `-shm` in a
    /// temporary folder; if that fails too, as immutable (the `-wal` is then not read).
    pub fn open(path: &Path, what: &str) -> Result<ReadOnlyDatabase> {
        if !path.is_file() {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        let read_only = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // In exclusive locking mode SQLite keeps the WAL index in its own memory and never
        // touches the `-shm` file, which a shared-memory reader would write to. A read-only
        // file cannot carry the exclusive lock that mode takes, so the lock-free `unix-none`
        // file layer is used; it exists on Unix only.
        let in_place = if cfg!(unix) {
            "mode=ro&vfs=unix-none"
        } else {
            "mode=ro"
        };
        // Without a `-wal` file the database file is the whole database: read as immutable,
        // since SQLite would otherwise create (and on closing remove) a `-wal` beside a
        // database in WAL mode, even read-only.
        if !wal_path(path, "-wal").exists()
            && let Ok(connection) =
                try_open(&file_uri(path, "mode=ro&immutable=1"), read_only, false)
        {
            return Ok(ReadOnlyDatabase {
                connection,
                note: None,
                copy: None,
            });
        }
        let first_error = match try_open(&file_uri(path, in_place), read_only, true) {
            Ok(connection) => {
                return Ok(ReadOnlyDatabase {
                    connection,
                    note: None,
                    copy: None,
                });
            }
            Err(e) => e,
        };
        match Self::open_copy(path, what) {
            Ok(database) => return Ok(database),
            Err(e) => tracing::warn!("{}: cannot copy {what}: {e}", path.display()),
        }
        let has_wal = wal_path(path, "-wal").is_file();
        let connection = try_open(&file_uri(path, "mode=ro&immutable=1"), read_only, false)
            .map_err(|e| Error::Format {
                path: path.to_path_buf(),
                what: format!("{what} cannot be read ({first_error}; as a snapshot: {e})"),
            })?;
        let note = has_wal.then(|| format!("{what} could only be read without its -wal file"));
        Ok(ReadOnlyDatabase {
            connection,
            note,
            copy: None,
        })
    }

    /// Copies the database with its `-wal` and `-shm` into a temporary folder and opens that.
    fn open_copy(path: &Path, what: &str) -> Result<ReadOnlyDatabase> {
        let copy = tempfile::Builder::new()
            .prefix("mail2pst-sqlite-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let name = path.file_name().unwrap_or(path.as_os_str());
        let copied = copy.path().join(name);
        std::fs::copy(path, &copied).map_err(|e| Error::io(path, e))?;
        for suffix in ["-wal", "-shm"] {
            let from = wal_path(path, suffix);
            if from.is_file() {
                std::fs::copy(&from, wal_path(&copied, suffix)).map_err(|e| Error::io(&from, e))?;
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection =
            try_open(&copied.to_string_lossy(), flags, false).map_err(|e| Error::Format {
                path: path.to_path_buf(),
                what: format!("{what} (a copy): {e}"),
            })?;
        Ok(ReadOnlyDatabase {
            connection,
            note: None,
            copy: Some(copy),
        })
    }
}

fn try_open(uri: &str, flags: OpenFlags, exclusive: bool) -> rusqlite::Result<Connection> {
    let connection = Connection::open_with_flags(uri, flags)?;
    if exclusive {
        connection.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    }
    // Opening is lazy: a query shows whether the file can really be read.
    connection.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
    Ok(connection)
}

/// The names of a table's columns (empty when the table does not exist).
pub fn columns(db: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = db.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
    let names = statement.query_map([], |row| row.get::<_, String>(1))?;
    names.collect()
}

/// A column of the query: the column when the table has it, else NULL (columns came and
/// went between macOS versions).
pub fn column_or_null(present: &[String], table: &str, column: &str) -> String {
    if present.iter().any(|c| c == column) {
        format!("{table}.{column}")
    } else {
        "NULL".to_owned()
    }
}

/// The path of a database's `-wal` or `-shm` file.
pub fn wal_path(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// A `file:` URI for SQLite (its path percent-encoded, as the URI format needs).
pub fn file_uri(path: &Path, query: &str) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file:");
    if !text.starts_with('/') {
        // A Windows drive path, `C:/…`, becomes `file:///C:/…`.
        uri.push_str("///");
    }
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri.push('?');
    uri.push_str(query);
    uri
}
