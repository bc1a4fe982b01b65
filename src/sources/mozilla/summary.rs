//! What a folder's `.msf` summary says: the folder's own record (`dbFolderInfo`: names, flags,
//! the mbox size it was written for) and one record per live message (flags, tags, where the
//! message is in the store). Thunderbird keeps IMAP flags and the set of live messages only here.

use std::collections::HashMap;
use std::path::Path;

use super::mork::{MorkDb, MorkError, Row};

const MESSAGES_SCOPE: &str = "ns:msg:db:row:scope:msgs:all";
const MESSAGES_KIND: &str = "ns:msg:db:table:kind:msgs";
const FOLDER_INFO_SCOPE: &str = "ns:msg:db:row:scope:dbfolderinfo:all";
const FOLDER_INFO_KIND: &str = "ns:msg:db:table:kind:dbfolderinfo";

/// The columns read from a summary; the others (subjects, senders, threads…) are skipped.
const COLUMNS: &[&str] = &[
    "storeToken",
    "msgOffset",
    "flags",
    "keywords",
    "label",
    "message-id",
    "dateReceived",
    "size",
    "folderName",
    "mailboxName",
    "onlineName",
    "folderSize",
    "folderDate",
    "numMsgs",
    "numNewMsgs",
    "UIDValidity",
];

/// Why a summary cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error(transparent)]
    Mork(#[from] MorkError),
    #[error("not a Thunderbird mail summary (no folder record and no message table)")]
    NotASummary,
}

/// The folder's own record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderRecord {
    /// The folder's display name, when Thunderbird stored it (older versions, hashed names).
    pub folder_name: Option<String>,
    /// The name the folder had on disk or on the server.
    pub mailbox_name: Option<String>,
    /// The IMAP server's name of the folder.
    pub online_name: Option<String>,
    /// nsMsgFolderFlags (Inbox 0x1000, Drafts 0x400, Trash 0x100, ...).
    pub flags: Option<u32>,
    /// The mbox size the summary was last made valid for.
    pub folder_size: Option<u64>,
    /// The mbox modification time (Unix seconds) the summary was last made valid for.
    pub folder_date: Option<u64>,
    pub total_messages: Option<u64>,
    pub unread_messages: Option<u64>,
    /// The UIDVALIDITY of the IMAP folder when its messages' keys (their UIDs) were recorded.
    pub uid_validity: Option<u32>,
}

/// One live message as the summary lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRecord {
    /// The message key (row id).
    pub key: u64,
    /// Where the message is in the store: the byte offset of its `From ` line in an mbox
    /// (decimal), or the file name in a maildir folder.
    pub store_token: Option<String>,
    /// The offset column of older summaries (`msgOffset`).
    pub msg_offset: Option<u64>,
    /// nsMsgMessageFlags.
    pub flags: u32,
    /// Tag keys (`$label1`, custom keys), in the order stored.
    pub keywords: Vec<String>,
    pub message_id: Option<String>,
    /// When the message arrived, Unix seconds.
    pub date_received: Option<i64>,
    /// The message's size in bytes (for an IMAP message not downloaded, the server's).
    pub size: Option<u64>,
}

impl MessageRecord {
    /// The byte offset of the message's `From ` line in an mbox store. Thunderbird stores it
    /// as the decimal store token; older summaries have only `msgOffset` (hex), and the oldest
    /// local folders used the message key itself as the offset (`key_is_offset`; never for
    /// IMAP, whose keys are server UIDs).
    pub fn mbox_offset(&self, key_is_offset: bool) -> Option<u64> {
        if let Some(token) = &self.store_token {
            return token.trim().parse().ok();
        }
        self.msg_offset
            .or_else(|| key_is_offset.then_some(self.key))
    }
}

/// A whole `.msf` summary, reduced to what a converter needs.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub folder: FolderRecord,
    /// Live messages in table order.
    pub messages: Vec<MessageRecord>,
}

impl Summary {
    /// Reads a summary file (read-only).
    pub fn read(path: &Path) -> Result<Summary, std::io::Error> {
        let bytes = std::fs::read(path)?;
        Summary::parse(&bytes)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
    }

    /// Reads a summary from its bytes.
    pub fn parse(bytes: &[u8]) -> Result<Summary, SummaryError> {
        let db = MorkDb::parse_columns(bytes, &|column| COLUMNS.contains(&column))?;
        let info_table = db.table(FOLDER_INFO_SCOPE, FOLDER_INFO_KIND);
        let messages_table = db.table(MESSAGES_SCOPE, MESSAGES_KIND);
        if info_table.is_none() && messages_table.is_none() {
            return Err(SummaryError::NotASummary);
        }
        let folder = info_table
            .and_then(|table| db.table_rows(table).next())
            .map(|(_, row)| folder_record(row))
            .unwrap_or_default();
        let messages = messages_table
            .map(|table| {
                db.table_rows(table)
                    .map(|(oid, row)| message_record(oid.id, row))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Summary { folder, messages })
    }

    /// The live messages by mbox offset (see [`MessageRecord::mbox_offset`]).
    pub fn by_offset(&self, key_is_offset: bool) -> HashMap<u64, &MessageRecord> {
        self.messages
            .iter()
            .filter_map(|message| Some((message.mbox_offset(key_is_offset)?, message)))
            .collect()
    }

    /// The live messages by store token (a maildir file name).
    pub fn by_token(&self) -> HashMap<&str, &MessageRecord> {
        self.messages
            .iter()
            .filter_map(|message| Some((message.store_token.as_deref()?, message)))
            .collect()
    }
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.is_empty())
}

fn folder_record(row: &Row) -> FolderRecord {
    FolderRecord {
        folder_name: non_empty(row.text("folderName")),
        mailbox_name: non_empty(row.text("mailboxName")),
        online_name: non_empty(row.text("onlineName")),
        flags: row.hex("flags").and_then(|flags| u32::try_from(flags).ok()),
        folder_size: row.hex("folderSize"),
        folder_date: row.hex("folderDate"),
        total_messages: row.hex("numMsgs"),
        unread_messages: row.hex("numNewMsgs"),
        // 0 and -1 (as unsigned) stand for "not known yet".
        uid_validity: row
            .hex("UIDValidity")
            .and_then(|value| u32::try_from(value).ok())
            .filter(|value| *value != 0 && *value != u32::MAX),
    }
}

fn message_record(key: u64, row: &Row) -> MessageRecord {
    let mut keywords: Vec<String> = row
        .text("keywords")
        .map(|keys| keys.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    // The label column of old versions (1-7) is the tag `$labelN`.
    if let Some(label) = row.hex("label").filter(|label| (1..=7).contains(label)) {
        let key = format!("$label{label}");
        if !keywords.contains(&key) {
            keywords.push(key);
        }
    }
    MessageRecord {
        key,
        store_token: non_empty(row.text("storeToken")),
        msg_offset: row.hex("msgOffset"),
        flags: row
            .hex("flags")
            .and_then(|flags| u32::try_from(flags & 0xFFFF_FFFF).ok())
            .unwrap_or(0),
        keywords,
        message_id: non_empty(row.text("message-id")),
        date_received: row
            .hex("dateReceived")
            .and_then(|seconds| i64::try_from(seconds).ok()),
        size: row.hex("size"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn profile_mail() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/thunderbird-profile/ng5ko9yq.default-default/Mail")
    }

    fn comm_central(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus/thunderbird/comm-central")
            .join(path)
    }

    /// Every `.msf` of the corpus profile with its folder (mbox file or maildir directory).
    fn profile_summaries() -> Vec<(PathBuf, PathBuf)> {
        walkdir::WalkDir::new(profile_mail())
            .sort_by_file_name()
            .into_iter()
            .map(|entry| entry.unwrap().into_path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "msf"))
            .map(|msf| (msf.with_extension(""), msf))
            .collect()
    }

    #[test]
    fn every_profile_summary_records_its_mbox_size() {
        for (folder, msf) in profile_summaries() {
            let summary = Summary::read(&msf).unwrap();
            if folder.is_file() {
                let size = std::fs::metadata(&folder).unwrap().len();
                assert_eq!(summary.folder.folder_size, Some(size), "{}", msf.display());
            }
        }
    }

    #[test]
    fn profile_summaries_count_46_messages_21_unread() {
        let mut total = 0;
        let mut unread = 0;
        for (_, msf) in profile_summaries() {
            let summary = Summary::read(&msf).unwrap();
            total += summary.messages.len();
            unread += summary
                .messages
                .iter()
                .filter(|message| message.flags & 1 == 0)
                .count();
        }
        assert_eq!((total, unread), (46, 21));
    }

    #[test]
    fn hashed_folder_summary_lists_the_live_offsets_only() {
        let summary =
            Summary::read(&profile_mail().join("Local Folders/Invoices77926fb7.msf")).unwrap();
        let mut offsets: Vec<u64> = summary.by_offset(true).into_keys().collect();
        offsets.sort();
        // p33 at 5841 was deleted with Shift+Delete: not a live row.
        assert_eq!(offsets, vec![0, 3937, 4809]);
        assert_eq!(
            summary.folder.mailbox_name.as_deref(),
            Some("Invoices77926fb7")
        );
        assert_eq!(summary.folder.folder_name, None);
    }

    #[test]
    fn maildir_summary_tokens_are_file_names_and_tags_are_kept() {
        let summary = Summary::read(&profile_mail().join("pop.example.org/Inbox.msf")).unwrap();
        let tokens = summary.by_token();
        let mut names: Vec<&str> = tokens.keys().copied().collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                "1795320974.M880381P10253Q1.vm.eml",
                "1795320974.M890415P10253Q2.vm.eml",
                "1795320974.M899088P10253Q4.vm.eml",
                "1795320974.M906901P10253Q7.vm.eml",
            ]
        );
        let p44 = tokens["1795320974.M899088P10253Q4.vm.eml"];
        assert_eq!(p44.keywords, vec!["$label3"]);
        let p41 = tokens["1795320974.M880381P10253Q1.vm.eml"];
        assert_eq!(p41.flags & 0x5, 0x5, "read and starred");
    }

    #[test]
    fn japanese_folder_summary_says_unread_although_the_file_says_read() {
        let summary = Summary::read(&profile_mail().join("Local Folders/日本語.msf")).unwrap();
        assert_eq!(summary.messages.len(), 4);
        assert!(
            summary
                .messages
                .iter()
                .all(|message| message.flags & 1 == 0)
        );
        assert_eq!(summary.messages[0].keywords, vec!["$label1"]);
    }

    #[test]
    fn old_summary_without_store_token_uses_the_key_as_offset() {
        let summary = Summary::read(&comm_central("mailnews/test/data/bugmail-1.msf")).unwrap();
        assert_eq!(summary.messages.len(), 1);
        assert_eq!(summary.messages[0].store_token, None);
        assert_eq!(summary.messages[0].mbox_offset(true), Some(0));
        assert_eq!(summary.messages[0].mbox_offset(false), None);
        assert_eq!(summary.messages[0].keywords, vec!["$label4"]);
    }

    #[test]
    fn migration_summary_and_its_mbox_size() {
        let msf = comm_central("mailnews/db/panorama/test/xpcshell/data/migration.msf");
        let summary = Summary::read(&msf).unwrap();
        let offsets: Vec<_> = summary
            .messages
            .iter()
            .map(|m| m.mbox_offset(true))
            .collect();
        assert_eq!(offsets, vec![Some(0), Some(1143)]);
        assert_eq!(summary.folder.folder_size, Some(1527));
        assert_eq!(summary.messages[0].date_received, Some(0x395e7958));
    }

    #[test]
    fn a_file_that_is_not_a_summary_is_an_error() {
        assert!(matches!(
            Summary::parse(b""),
            Err(SummaryError::NotASummary)
        ));
        assert!(matches!(
            Summary::parse(b"<(80=x"),
            Err(SummaryError::Mork(_))
        ));
    }
}
