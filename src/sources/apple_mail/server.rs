//! Apple Mail's messages that are only on the account's server, fetched in their place when the
//! person gives the password (docs/formats.md §1.5): rows of the Envelope Index without a
//! message file (never downloaded), and `.partial.emlx` messages whose attachments Mail did not
//! download (their files are not in `Attachments/`). The server is read as for Thunderbird's
//! gaps ([`ServerFetcher`]): `EXAMINE`, `UID FETCH BODY.PEEK[]`, and a message used only when its
//! Message-ID is the one Mail recorded.
//!
//! Mail's files say which server an account uses only as `AccountURL` in
//! `MailData/Signatures/AccountsMap.plist` (`imap://user%40example.com@imap.example.com/`), with
//! neither port nor security; mail2pst then tries 993 with TLS, as iCloud, Gmail, Yahoo,
//! Outlook.com and Fastmail serve IMAP, and 143 with STARTTLS where only that port answers. The
//! mailbox's name on the server is its `mailboxes.url` path, matched against the server's `LIST`
//! (which gives the server's delimiter and encoding); the UID is `messages.remote_id`, and
//! `messages.global_message_id` leads to the Message-ID in `message_global_data`. The Envelope
//! Index keeps no UIDVALIDITY, so a UID is trusted only when the fetched message's Message-ID
//! confirms it; otherwise the message is searched for by its Message-ID.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::envelope::{MessageRow, ServerKey};
use crate::model::{FolderPath, Found, Origin, RawMessage, SkipReason};
use crate::sources::imap::{self, Fetched, ImapAccount, Password, Security, ServerFetcher, Wanted};

/// Messages asked of the server per command: at most this many, and no more once their sizes
/// (as the Envelope Index records them) reach `FETCH_BATCH_BYTES`.
const FETCH_BATCH: usize = 20;
const FETCH_BATCH_BYTES: u64 = 8 * 1024 * 1024;

/// The server of an account, from its `AccountURL`; its password empty, for the person to give.
/// `port_known` is false when the URL names no port (Mail's never does): see [`settle_port`].
pub fn account_server(url: &str) -> Result<(ImapAccount, bool), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("Apple Mail's account settings name no server for it".to_owned());
    };
    if !scheme.eq_ignore_ascii_case("imap") {
        return Err(format!(
            "it is not an IMAP account ({scheme}); mail2pst fetches messages from IMAP servers \
             only"
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let port_known = authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    // Mail's URL says `imap` whatever the security: TLS unless the port is IMAP's plain one.
    let mut server = ImapAccount::from_url(&format!("imaps://{rest}"), Password::new(""))
        .ok_or_else(|| {
            "Apple Mail's account settings name no user name for it (the account's URL has none)"
                .to_owned()
        })?;
    if server.port == imap::DEFAULT_IMAP_PORT {
        server.security = Security::StartTls;
    }
    Ok((server, port_known))
}

/// For a server whose port Mail did not record: 993 with TLS, unless nothing answers there and
/// IMAP's plain port 143 does (then STARTTLS, which still protects the password).
pub fn settle_port(server: &mut ImapAccount) {
    if !imap::answers(&server.host, imap::DEFAULT_IMAPS_PORT)
        && imap::answers(&server.host, imap::DEFAULT_IMAP_PORT)
    {
        server.port = imap::DEFAULT_IMAP_PORT;
        server.security = Security::StartTls;
    }
}

/// One mailbox's access to its account's server while it is read.
#[derive(Debug)]
pub struct MailboxServer {
    pub fetcher: Arc<ServerFetcher>,
    pub folder: FolderPath,
    /// The mailbox's name on the server, or why there is none.
    pub mailbox: Result<String, String>,
    /// The server's keys of the mailbox's messages, by Envelope Index ROWID.
    pub keys: BTreeMap<i64, ServerKey>,
    /// The Envelope Index, for the origin of a message that stays skipped.
    pub database: std::path::PathBuf,
}

impl MailboxServer {
    /// The rows without a message file, fetched from the server a batch at a time as the
    /// folder's reading gets there (never all at once): each a message with Mail's state, or
    /// skipped with the reason it could not be fetched.
    pub fn fetch_rows(self: Arc<Self>, rows: Vec<MessageRow>) -> impl Iterator<Item = Found> {
        let mut batches: Vec<Vec<MessageRow>> = Vec::new();
        let mut bytes = 0;
        for row in rows {
            let size = self.key(row.rowid).size.unwrap_or(0);
            match batches.last_mut() {
                Some(batch) if batch.len() < FETCH_BATCH && bytes < FETCH_BATCH_BYTES => {
                    batch.push(row);
                    bytes += size;
                }
                _ => {
                    batches.push(vec![row]);
                    bytes = size;
                }
            }
        }
        batches
            .into_iter()
            .flat_map(move |batch| self.fetch_batch(batch))
    }

    fn fetch_batch(&self, rows: Vec<MessageRow>) -> Vec<Found> {
        let wanted: Vec<Wanted> = rows
            .iter()
            .map(|row| self.wanted(row.rowid, None))
            .collect();
        let fetched = self.fetch(&wanted);
        rows.into_iter()
            .zip(fetched)
            .map(|(row, fetched)| match fetched {
                Fetched::Message(mut message) => {
                    message.flags = row.message_flags();
                    Found::Message(message)
                }
                Fetched::Missing(why) => Found::Skipped {
                    origin: Origin::DatabaseRow {
                        database: self.database.clone(),
                        row: row.rowid,
                    },
                    reason: SkipReason::NotFetched(why),
                },
            })
            .collect()
    }

    /// A message whose attachments Mail did not download, taken whole from the server instead;
    /// Mail's state and date received stay. When the server does not give it, the partial
    /// message stays, and its warnings say why.
    pub fn complete(&self, rowid: Option<i64>, mut partial: RawMessage) -> RawMessage {
        let message_id = imap::message_id_of(&partial.bytes);
        let wanted = match rowid {
            Some(rowid) => self.wanted(rowid, message_id),
            None => Wanted {
                uid: None,
                message_id,
            },
        };
        match self.fetch(std::slice::from_ref(&wanted)).pop() {
            Some(Fetched::Message(mut message)) => {
                message.flags = partial.flags;
                message.received = partial.received.or(message.received);
                message
            }
            Some(Fetched::Missing(why)) => {
                partial.warnings.push(format!(
                    "the whole message could not be fetched from the server either: {why}"
                ));
                partial
            }
            None => partial,
        }
    }

    fn key(&self, rowid: i64) -> ServerKey {
        self.keys.get(&rowid).cloned().unwrap_or_default()
    }

    /// What the server is asked for: the recorded UID and Message-ID (the file's own
    /// Message-ID where the index has none).
    fn wanted(&self, rowid: i64, file_message_id: Option<String>) -> Wanted {
        let key = self.key(rowid);
        Wanted {
            uid: key.uid,
            message_id: key.message_id.or(file_message_id),
        }
    }

    fn fetch(&self, wanted: &[Wanted]) -> Vec<Fetched> {
        match &self.mailbox {
            Ok(mailbox) => self.fetcher.fetch(&self.folder, mailbox, None, wanted),
            Err(why) => wanted
                .iter()
                .map(|_| Fetched::Missing(why.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_come_from_mails_account_urls() {
        let (server, known) = account_server("imap://me%40example.com@imap.example.com/").unwrap();
        assert_eq!(
            (
                server.host.as_str(),
                server.port,
                server.user.as_str(),
                known
            ),
            ("imap.example.com", 993, "me@example.com", false)
        );
        assert_eq!(server.security, Security::Tls);
        let (server, known) = account_server("imap://me@mail.example.org:143/").unwrap();
        assert_eq!(
            (server.port, server.security, known),
            (143, Security::StartTls, true)
        );
        let (server, _) = account_server("IMAP://me@127.0.0.1:10993/").unwrap();
        assert_eq!((server.port, server.security), (10993, Security::Tls));
        assert!(
            account_server("ews://AAMkAGE5==/")
                .unwrap_err()
                .contains("not an IMAP")
        );
        assert!(
            account_server("imap://imap.example.com/")
                .unwrap_err()
                .contains("user name")
        );
    }
}
