//! Messages a local store lists but never downloaded (Thunderbird's IMAP folders without an
//! offline copy of every message), fetched from the account's server in their place. The server
//! is only read: the folder is opened with `EXAMINE` and the messages taken with
//! `UID FETCH BODY.PEEK[]`, so nothing is marked read.
//!
//! A message is matched by its UID when the local store's UIDVALIDITY for the folder is the
//! server's (the UID then names the same message for ever, RFC 9051 §2.3.1.1), and by its
//! Message-ID (`UID SEARCH HEADER Message-ID`) otherwise. Whatever matched it, a message whose
//! Message-ID differs from the one the local store recorded is never used: a wrong message in
//! the place of a missing one would be worse than the gap.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::ImapAccount;
use super::connection::{self, Session};
use super::fetch::large;
use super::folders;
use crate::model::{FolderPath, Origin, RawMessage};
use crate::sources::{Error, Result, display_name};

/// A message the local store lists without its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// Its UID on the server, as the local store recorded it.
    pub uid: Option<u32>,
    /// Its Message-ID as the local store recorded it (with or without angle brackets).
    pub message_id: Option<String>,
}

/// What came of asking the server for one [`Wanted`] message.
#[derive(Debug)]
pub enum Fetched {
    /// The message, its origin the server's mailbox and UID; the caller gives it the state the
    /// local store records.
    Message(RawMessage),
    /// Not fetched; why, in words.
    Missing(String),
}

/// Where the messages a local store never downloaded come from, when the user asked for them
/// (without, they are skipped as not downloaded).
#[derive(Clone, Debug)]
pub enum GapSource {
    /// The account's server, logged in.
    Server(Arc<ServerFetcher>),
    /// Fetching was asked for but cannot be done (no known server, a refused password): why.
    Unavailable(String),
}

/// The gap sources of a local store's accounts, by the store's key for an account.
#[derive(Debug)]
pub struct GapSources<K: Ord>(Mutex<BTreeMap<K, GapSource>>);

impl<K: Ord> Default for GapSources<K> {
    fn default() -> Self {
        GapSources(Mutex::new(BTreeMap::new()))
    }
}

impl<K: Ord + Clone> GapSources<K> {
    /// Logs in to `server` for the account `key`. A refused login is returned, and kept as
    /// the reason its messages stay skipped.
    pub fn connect(&self, key: K, server: ImapAccount) -> Result<()> {
        let connected = ServerFetcher::connect(server);
        let mut sources = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match connected {
            Ok(fetcher) => {
                sources.insert(key, GapSource::Server(Arc::new(fetcher)));
                Ok(())
            }
            Err(error) => {
                sources.insert(key, GapSource::Unavailable(error.to_string()));
                Err(error)
            }
        }
    }

    /// Where the gaps of the account `key` come from; `None` when nobody asked.
    pub fn get(&self, key: &K) -> Option<GapSource> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// True while some account's messages are fetched from its server.
    pub fn any_server(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .any(|source| matches!(source, GapSource::Server(_)))
    }
}

/// Messages never downloaded per account of a local store, as its last folder listing counted
/// them.
#[derive(Debug)]
pub struct GapCounts<K: Ord>(Mutex<Option<BTreeMap<K, u64>>>);

impl<K: Ord> Default for GapCounts<K> {
    fn default() -> Self {
        GapCounts(Mutex::new(None))
    }
}

impl<K: Ord + Clone> GapCounts<K> {
    /// Keeps what a folder listing counted.
    pub fn record(&self, counts: BTreeMap<K, u64>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(counts);
    }

    /// The counts; when the folders were never listed, `list` lists them first (false when
    /// that fails: then nothing is counted).
    pub fn get_or_list(&self, list: impl FnOnce() -> bool) -> BTreeMap<K, u64> {
        let counted = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(counted) = counted {
            return counted;
        }
        if !list() {
            return BTreeMap::new();
        }
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_default()
    }
}

/// One account's server, logged in, shared by the folders of the local store that read from it.
#[derive(Debug)]
pub struct ServerFetcher {
    account: ImapAccount,
    idle: Mutex<Option<Session>>,
    /// Messages of this many bytes or more wait for their conversion in a temporary file.
    large_message: u64,
    /// The server's mailboxes, once asked for.
    mailboxes: Mutex<Option<Vec<ServerMailbox>>>,
}

/// A mailbox as `LIST` names it: its name split at the server's delimiter and decoded, and its
/// name on the server.
type ServerMailbox = (Vec<String>, String);

impl ServerFetcher {
    /// Connects and logs in now, so that a refused password or an untrusted certificate is
    /// said before the job starts.
    pub fn connect(account: ImapAccount) -> Result<ServerFetcher> {
        let session = connection::connect(&account)?;
        Ok(ServerFetcher {
            account,
            idle: Mutex::new(Some(session)),
            large_message: crate::model::LARGE_MESSAGE,
            mailboxes: Mutex::new(None),
        })
    }

    /// The server's name of the mailbox a local store knows as `names` (outermost first, as
    /// a person reads them: decoded, without the server's delimiter). `INBOX` matches in any
    /// case, the rest exactly (after Unicode normalization). `Err` says why there is none.
    pub fn mailbox_named(&self, names: &[String]) -> std::result::Result<String, String> {
        let mut cache = self
            .mailboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.is_none() {
            let listed = self.with_session(|session| session.list(Some(""), Some("*")));
            let listed =
                listed.map_err(|why| format!("the server's folders could not be listed: {why}"))?;
            *cache = Some(
                listed
                    .iter()
                    .map(|name| {
                        let listed = folders::Listed::of(name);
                        (folders::decoded_segments(&listed), listed.name)
                    })
                    .collect(),
            );
        }
        let wanted: Vec<String> = names
            .iter()
            .map(|name| display_name(std::ffi::OsStr::new(name)))
            .collect();
        cache
            .iter()
            .flatten()
            .find(|(segments, _)| {
                segments.len() == wanted.len()
                    && segments
                        .iter()
                        .zip(&wanted)
                        .enumerate()
                        .all(|(depth, (have, want))| {
                            have == want
                                || (depth == 0
                                    && have.eq_ignore_ascii_case("INBOX")
                                    && want.eq_ignore_ascii_case("INBOX"))
                        })
            })
            .map(|(_, name)| name.clone())
            .ok_or_else(|| format!("the server has no folder {}", names.join("/")))
    }

    /// Runs `work` on the idle session (logging in again when there is none, or once when the
    /// connection turns out lost), and keeps the session for the next call.
    fn with_session<T>(
        &self,
        mut work: impl FnMut(&mut Session) -> imap::Result<T>,
    ) -> std::result::Result<T, String> {
        let mut lost = String::new();
        for _ in 0..2 {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let mut session = match idle {
                Some(session) => session,
                None => connection::connect(&self.account).map_err(|e| server_error_text(&e))?,
            };
            match work(&mut session) {
                Err(error) if connection::is_connection_lost(&error) => {
                    lost = connection::describe(&error);
                }
                result => {
                    *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some(session);
                    return result.map_err(|error| connection::describe(&error));
                }
            }
        }
        Err(lost)
    }

    /// The server, as a person reads it: `alice on imap.example.com`.
    pub fn label(&self) -> String {
        self.account.label()
    }

    /// Fetches `wanted` from the server's folder `mailbox` (its name on the server), for the
    /// local folder `folder` whose UIDVALIDITY the local store recorded as `uid_validity`. One
    /// answer per wanted message, in order. A connection that drops is opened again once.
    pub fn fetch(
        &self,
        folder: &FolderPath,
        mailbox: &str,
        uid_validity: Option<u32>,
        wanted: &[Wanted],
    ) -> Vec<Fetched> {
        let fetched = self.with_session(|session| {
            fetch_in(
                session,
                &self.account,
                folder,
                mailbox,
                uid_validity,
                wanted,
                self.large_message,
            )
        });
        fetched.unwrap_or_else(|why| {
            wanted
                .iter()
                .map(|_| Fetched::Missing(why.clone()))
                .collect()
        })
    }
}

/// The words of a server error without the server's name (the report names the account).
fn server_error_text(error: &Error) -> String {
    match error {
        Error::Server { what, .. } | Error::LoginRefused { what, .. } => what.clone(),
        other => other.to_string(),
    }
}

fn fetch_in(
    session: &mut Session,
    account: &ImapAccount,
    folder: &FolderPath,
    mailbox: &str,
    uid_validity: Option<u32>,
    wanted: &[Wanted],
    large_message: u64,
) -> imap::Result<Vec<Fetched>> {
    let examined = match session.examine(mailbox) {
        Ok(examined) => examined,
        Err(imap::Error::No(no)) => {
            let why = format!(
                "the server has no folder {mailbox} ({})",
                no.information.trim()
            );
            return Ok(wanted
                .iter()
                .map(|_| Fetched::Missing(why.clone()))
                .collect());
        }
        Err(error) => return Err(error),
    };
    // UIDs name the same messages only while the folder's UIDVALIDITY is the one recorded.
    let uids_hold = match (uid_validity, examined.uid_validity) {
        (Some(recorded), Some(now)) => recorded == now,
        (None, _) => true,
        (Some(_), None) => false,
    };
    let mut answers: Vec<Option<Fetched>> = wanted.iter().map(|_| None).collect();
    // First by UID, where the UID can be trusted or the Message-ID confirms it.
    let by_uid: Vec<(usize, u32)> = wanted
        .iter()
        .enumerate()
        .filter_map(|(index, want)| {
            let uid = want.uid?;
            let confirmable = uid_validity.is_some() || real_message_id(want).is_some();
            (uids_hold && confirmable).then_some((index, uid))
        })
        .collect();
    let mailbox_url = format!("{}{}", account.url(), mailbox);
    if !by_uid.is_empty() {
        let uids: Vec<u32> = by_uid.iter().map(|(_, uid)| *uid).collect();
        let mut bodies = fetch_bodies(session, &uids)?;
        for (index, uid) in by_uid {
            let Some(bytes) = bodies.remove(&uid) else {
                continue;
            };
            if matches(&wanted[index], &bytes) {
                answers[index] = Some(message(folder, bytes, &mailbox_url, uid, large_message));
            }
        }
    }
    // Then by Message-ID, for those the UIDs did not give.
    for (index, want) in wanted.iter().enumerate() {
        if answers[index].is_some() {
            continue;
        }
        let Some(id) = real_message_id(want) else {
            answers[index] = Some(Fetched::Missing(match want.uid {
                _ if !uids_hold => format!(
                    "the folder {mailbox} was rebuilt on the server (its UIDVALIDITY changed) \
                     and the local copy recorded no Message-ID to find the message by"
                ),
                Some(uid) if uid_validity.is_some() => format!(
                    "the server holds no such message with UID {uid} in {mailbox} (deleted or \
                     moved on the server)"
                ),
                _ => "the local copy recorded neither the folder's UIDVALIDITY nor the \
                      message's Message-ID, so no message of the server can be told to be it"
                    .to_owned(),
            }));
            continue;
        };
        let Some(query) = search_query(id) else {
            answers[index] = Some(Fetched::Missing(format!(
                "its Message-ID <{id}> cannot be searched for"
            )));
            continue;
        };
        let mut found: Vec<u32> = session.uid_search(&query)?.into_iter().collect();
        found.sort_unstable();
        let mut bodies = if found.is_empty() {
            Default::default()
        } else {
            fetch_bodies(session, &found)?
        };
        let hit = found.into_iter().find_map(|uid| {
            let bytes = bodies.remove(&uid)?;
            matches(want, &bytes).then_some((uid, bytes))
        });
        answers[index] = Some(match hit {
            Some((uid, bytes)) => message(folder, bytes, &mailbox_url, uid, large_message),
            None => Fetched::Missing(format!(
                "the server has no message with its Message-ID <{id}> in {mailbox} (deleted \
                 or moved on the server)"
            )),
        });
    }
    Ok(answers
        .into_iter()
        .map(|answer| {
            answer.unwrap_or_else(|| Fetched::Missing("not found on the server".to_owned()))
        })
        .collect())
}

fn fetch_bodies(
    session: &mut Session,
    uids: &[u32],
) -> imap::Result<std::collections::HashMap<u32, Vec<u8>>> {
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let fetches = session.uid_fetch(&set, "(UID BODY.PEEK[])")?;
    Ok(fetches
        .iter()
        .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
        .collect())
}

fn message(
    folder: &FolderPath,
    bytes: Vec<u8>,
    mailbox_url: &str,
    uid: u32,
    large_message: u64,
) -> Fetched {
    let origin = Origin::Imap {
        mailbox: mailbox_url.to_owned(),
        uid,
    };
    Fetched::Message(if bytes.len() as u64 >= large_message {
        large(folder.clone(), bytes, origin)
    } else {
        RawMessage::new(folder.clone(), bytes, origin)
    })
}

/// A Message-ID without angle brackets and spaces, empty → `None`.
fn bare(id: &str) -> Option<&str> {
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then_some(id)
}

/// The Message-ID the local store recorded, unless it looks made up by the mail client for a
/// message without one (`md5:…`, a hash, not a header a server could search).
fn real_message_id(want: &Wanted) -> Option<&str> {
    want.message_id
        .as_deref()
        .and_then(bare)
        .filter(|id| !id.starts_with("md5:"))
}

/// True when the fetched message is the one wanted: its Message-ID is the recorded one, or
/// nothing was recorded (then only a UID of an unchanged UIDVALIDITY led here).
fn matches(want: &Wanted, bytes: &[u8]) -> bool {
    let Some(expected) = real_message_id(want) else {
        return want.message_id.as_deref().and_then(bare).is_none()
            || message_id_of(bytes).is_none();
    };
    message_id_of(bytes).as_deref().and_then(bare) == Some(expected)
}

/// The Message-ID header of a message, as written.
pub fn message_id_of(bytes: &[u8]) -> Option<String> {
    let (headers, _) = mailparse::parse_headers(bytes).ok()?;
    headers
        .iter()
        .find(|header| header.get_key_ref().eq_ignore_ascii_case("Message-ID"))
        .map(|header| header.get_value())
}

/// `HEADER Message-ID "<id>"`, quoted as IMAP quotes strings; `None` for an id a quoted string
/// cannot carry.
fn search_query(id: &str) -> Option<String> {
    if !id.is_ascii() || id.bytes().any(|b| b.is_ascii_control()) {
        return None;
    }
    let quoted = format!("<{id}>").replace('\\', "\\\\").replace('"', "\\\"");
    Some(format!("HEADER Message-ID \"{quoted}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(uid: Option<u32>, id: Option<&str>) -> Wanted {
        Wanted {
            uid,
            message_id: id.map(str::to_owned),
        }
    }

    #[test]
    fn a_message_is_used_only_when_its_message_id_is_the_recorded_one() {
        let bytes = b"From: a@example.com\r\nMessage-ID: <x1@example.com>\r\n\r\nbody\r\n";
        assert!(matches(&want(Some(1), Some("x1@example.com")), bytes));
        assert!(matches(&want(Some(1), Some("<x1@example.com>")), bytes));
        assert!(!matches(&want(Some(1), Some("x2@example.com")), bytes));
        // Nothing recorded: the UID (under an unchanged UIDVALIDITY) is the match.
        assert!(matches(&want(Some(1), None), bytes));
        // A made-up id of the client: the message must have no Message-ID either.
        assert!(!matches(&want(Some(1), Some("md5:abc")), bytes));
        assert!(matches(
            &want(Some(1), Some("md5:abc")),
            b"From: a@example.com\r\n\r\nbody\r\n"
        ));
    }

    #[test]
    fn searches_quote_the_message_id() {
        assert_eq!(
            search_query("a\"b@example.com").as_deref(),
            Some("HEADER Message-ID \"<a\\\"b@example.com>\"")
        );
        assert_eq!(search_query("é@example.com"), None);
    }
}
