//! An IMAP account as a mail store, read-only on the server: folders from `LIST` (special-use
//! folders — Sent, Drafts, Trash, Junk, Archive — take the names Outlook gives those roles),
//! counts from `STATUS`, each folder opened with `EXAMINE` (never `SELECT`) and its messages
//! taken by `UID FETCH BODY.PEEK[]` in batches, so nothing is ever marked read. `\Seen`,
//! `\Answered`, `\Flagged`, `\Draft` and keywords (and Gmail's labels, where the server offers
//! `X-GM-LABELS`) become the message's read, replied, flag and draft state and its categories.
//!
//! The connection is TLS from the start (port 993) or upgraded with `STARTTLS` (port 143); a
//! password is sent over a connection without TLS only when the account says so explicitly.
//! A dropped connection is opened again and the folder resumes after the last message read,
//! unless the server's UIDVALIDITY says the folder's UIDs changed meanwhile.

mod connection;
mod fetch;
mod folders;
mod gaps;
mod keychain;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::model::{FolderPath, StoreKind};
use crate::sources::{Error, FolderInfo, MailStore, MessageIter, Result};

use connection::Session;
pub use connection::{DEFAULT_IMAP_PORT, DEFAULT_IMAPS_PORT, answers};
use folders::Mailbox;
pub use gaps::{Fetched, GapCounts, GapSource, GapSources, ServerFetcher, Wanted, message_id_of};
pub use keychain::{Keychain, KeychainError, SERVICE as KEYCHAIN_SERVICE, entry_name};

/// How the connection to the server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`imaps`, port 993).
    Tls,
    /// A plain connection upgraded with `STARTTLS` before the password is sent (port 143).
    StartTls,
    /// No TLS at all: the password crosses the network readable by anyone on the way. Only
    /// when the user asked for it.
    Unencrypted,
}

/// A password, held in memory (stored in the system's keychain only when the person asks:
/// [`Keychain`]); never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }

    /// The password itself, for a form's password field (shown as dots) to hold; never to be
    /// printed or logged.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Where an IMAP account is and how to log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImapAccount {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Password,
    pub security: Security,
    /// A certificate (PEM) to trust besides the system's: a self-hosted server's own
    /// certificate, or the authority that issued it.
    pub trusted_certificate: Option<PathBuf>,
}

impl ImapAccount {
    /// Reads `imaps://user@host[:port]/` (TLS) or `imap://user@host[:port]/` (STARTTLS). A
    /// user name holding `@` may be written as is (the last `@` ends it) or as `%40`. `None`
    /// when `text` is not such an address.
    pub fn from_url(text: &str, password: Password) -> Option<ImapAccount> {
        let (security, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "imaps://") {
            (Security::Tls, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "imap://") {
            (Security::StartTls, rest)
        } else {
            return None;
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (user, host_port) = authority.rsplit_once('@')?;
        let user = percent_decode(user)?;
        let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']')?;
            match after.strip_prefix(':') {
                Some(port) => (host, port.parse().ok()?),
                None if after.is_empty() => (host, default_port(security)),
                None => return None,
            }
        } else {
            match host_port.rsplit_once(':') {
                Some((host, port)) => (host, port.parse().ok()?),
                None => (host_port, default_port(security)),
            }
        };
        if user.is_empty() || host.is_empty() {
            return None;
        }
        Some(ImapAccount {
            host: host.to_owned(),
            port,
            user,
            password,
            security,
            trusted_certificate: None,
        })
    }

    /// The account as a person reads it: `alice@example.com on imap.example.com`.
    pub fn label(&self) -> String {
        format!("{} on {}", self.user, self.host)
    }

    /// The address of the account, without the password: `imaps://alice@host:993/`.
    pub fn url(&self) -> String {
        let scheme = match self.security {
            Security::Tls => "imaps",
            Security::StartTls | Security::Unencrypted => "imap",
        };
        let user = self.user.replace('%', "%25").replace('@', "%40");
        format!("{scheme}://{user}@{}:{}/", self.host, self.port)
    }
}

/// The port a server listens on for `security` unless told otherwise.
pub fn default_port(security: Security) -> u16 {
    match security {
        Security::Tls => DEFAULT_IMAPS_PORT,
        Security::StartTls | Security::Unencrypted => DEFAULT_IMAP_PORT,
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `%XX` escapes of a URL's user part.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// An IMAP account opened read-only: logged in once when opened (so a wrong password or an
/// untrusted certificate is said at once), the connection kept for the folders' reads.
#[derive(Debug)]
pub struct ImapStore {
    account: ImapAccount,
    /// The account's address, as [`MailStore::root`] gives it.
    root: PathBuf,
    /// The top folder's name: the account.
    top: String,
    /// The open connection while no folder is being read.
    idle: Mutex<Option<Session>>,
    /// The mailboxes listed, each with its folder path.
    mailboxes: Mutex<Option<Vec<Mailbox>>>,
    /// Messages per `UID FETCH` command.
    batch: fetch::Batch,
    /// Messages of this many bytes or more wait for their conversion in a temporary file,
    /// not in memory.
    large_message: u64,
}

impl ImapStore {
    /// Connects and logs in. Errors say in words what went wrong (no such server, a
    /// certificate not trusted, a password refused).
    pub fn open(account: ImapAccount) -> Result<ImapStore> {
        let session = connection::connect(&account)?;
        Ok(ImapStore {
            root: PathBuf::from(account.url()),
            top: format!(
                "{}@{}",
                account.user.split('@').next().unwrap_or_default(),
                account.host
            ),
            account,
            idle: Mutex::new(Some(session)),
            mailboxes: Mutex::new(None),
            batch: fetch::Batch::default(),
            large_message: crate::model::LARGE_MESSAGE,
        })
    }

    /// Fetches at most `messages` messages (and about `bytes` bytes) per command; for tests
    /// that cut the connection between two batches.
    pub fn with_batch(mut self, messages: usize, bytes: u64) -> ImapStore {
        self.batch = fetch::Batch { messages, bytes };
        self
    }

    /// Keeps messages of `bytes` or more in temporary files (normally
    /// [`LARGE_MESSAGE`](crate::model::LARGE_MESSAGE)); for tests.
    pub fn with_large_message_size(mut self, bytes: u64) -> ImapStore {
        self.large_message = bytes;
        self
    }

    /// The open connection, or a new one.
    fn session(&self) -> Result<Session> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match idle {
            Some(session) => Ok(session),
            None => connection::connect(&self.account),
        }
    }

    /// Keeps a connection that still works for the next read.
    fn put_back(&self, session: Session) {
        *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
    }

    fn error(&self, what: impl Into<String>) -> Error {
        Error::Server {
            server: self.account.label(),
            what: what.into(),
        }
    }

    /// The mailboxes, listed once.
    fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        let mut listed = self
            .mailboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(mailboxes) = listed.as_ref() {
            return Ok(mailboxes.clone());
        }
        let mut session = self.session()?;
        let mailboxes = folders::list(&mut session, &self.top)
            .map_err(|e| self.error(connection::describe(&e)))?;
        self.put_back(session);
        *listed = Some(mailboxes.clone());
        Ok(mailboxes)
    }
}

impl MailStore for ImapStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Imap
    }

    fn downloads(&self) -> bool {
        true
    }

    fn display_name(&self) -> String {
        format!("IMAP — {}", self.account.label())
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn folders(&self) -> Result<Vec<FolderInfo>> {
        let mailboxes = self.mailboxes()?;
        let mut session = self.session()?;
        let mut infos = vec![FolderInfo {
            path: FolderPath::new([self.top.clone()]),
            count: 0,
            notes: Vec::new(),
            kind: crate::model::FolderKind::Mail,
        }];
        for mailbox in &mailboxes {
            let mut notes = Vec::new();
            let count = if mailbox.selectable {
                match folders::count(&mut session, &mailbox.name) {
                    Ok(count) => count,
                    Err(error) => {
                        notes.push(format!(
                            "the server did not say how many messages it holds: {}",
                            connection::describe(&error)
                        ));
                        0
                    }
                }
            } else {
                0
            };
            infos.push(FolderInfo {
                path: mailbox.path.clone(),
                count,
                notes,
                kind: crate::model::FolderKind::Mail,
            });
        }
        self.put_back(session);
        Ok(infos)
    }

    fn messages(&self, folder: &FolderPath) -> Result<MessageIter<'_>> {
        if folder == &FolderPath::new([self.top.clone()]) {
            return Ok(Box::new(std::iter::empty()));
        }
        let mailboxes = self.mailboxes()?;
        let Some(mailbox) = mailboxes.into_iter().find(|m| &m.path == folder) else {
            return Err(Error::NoSuchFolder {
                path: self.root.clone(),
                folder: folder.to_string(),
            });
        };
        if !mailbox.selectable {
            return Ok(Box::new(std::iter::empty()));
        }
        let session = self.session()?;
        Ok(Box::new(fetch::FolderMessages::new(self, session, mailbox)))
    }

    /// A folder that shows other folders' messages again (Gmail's All Mail) says how to
    /// write each message once.
    fn warnings(&self) -> Vec<String> {
        let Ok(mailboxes) = self.mailboxes() else {
            return Vec::new();
        };
        mailboxes
            .iter()
            .filter(|m| m.copies && m.selectable)
            .map(|m| {
                format!(
                    "{} shows messages of the other folders again; choose \"skip duplicates\" \
                     (--skip-duplicates) to write each message once, in its own folder, or \
                     leave {} out",
                    m.path, m.path
                )
            })
            .collect()
    }

    /// Nothing on this computer: the mail is on the server.
    fn reads(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(url: &str) -> Option<ImapAccount> {
        ImapAccount::from_url(url, Password::new("secret"))
    }

    #[test]
    fn addresses_give_the_server_the_user_and_the_security() {
        let a = account("imaps://alice@mail.example.com/").unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.user.as_str(), a.security),
            ("mail.example.com", 993, "alice", Security::Tls)
        );
        let a = account("imap://alice@example.com@127.0.0.1:1143").unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.user.as_str(), a.security),
            ("127.0.0.1", 1143, "alice@example.com", Security::StartTls)
        );
        let a = account("IMAPS://bob%40icloud.com@imap.mail.me.com/").unwrap();
        assert_eq!(a.user, "bob@icloud.com");
        assert_eq!(a.url(), "imaps://bob%40icloud.com@imap.mail.me.com:993/");
        let a = account("imaps://carol@[::1]:9993/").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("::1", 9993));
        let a = account("imaps://carol@[::1]").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("::1", 993));
        assert!(account("imaps://mail.example.com/").is_none(), "no user");
        assert!(account("imaps://alice@host:port/").is_none());
        assert!(account("/home/alice/mail").is_none());
        assert!(account("imaps://a%4@host/").is_none());
    }

    #[test]
    fn the_password_is_never_printed() {
        let a = account("imaps://alice@host/").unwrap();
        assert!(!format!("{a:?}").contains("secret"));
        assert!(!a.url().contains("secret"));
    }
}
