//! The messages of one mailbox: `EXAMINE`, then the UIDs with their flags, sizes and dates
//! (`UID FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE)`), then the messages themselves by
//! `UID FETCH <uids> BODY.PEEK[]` a batch at a time, as the engine asks for them. A connection
//! that drops is opened again (a few times, waiting longer each time) and the mailbox examined
//! again; when its UIDVALIDITY is unchanged, reading goes on with the first message not yet
//! given, so none is given twice and none is left out.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use imap::types::Flag;

use super::ImapStore;
use super::connection::{self, Session};
use super::folders::{Mailbox, Role};
use crate::model::{FileSpan, FolderPath, Found, MessageFlags, Origin, RawMessage, SkipReason};
use crate::sources::Result;

/// How much one `UID FETCH` asks for: at most this many messages, and no more messages once
/// their sizes add up to `bytes` (a single larger message goes alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batch {
    pub messages: usize,
    pub bytes: u64,
}

impl Default for Batch {
    fn default() -> Self {
        Batch {
            messages: 200,
            bytes: 8 * 1024 * 1024,
        }
    }
}

/// Waits before each new connection after the connection dropped: about half a minute in all,
/// enough for a server restart or a short network outage.
const RECONNECT_WAITS: &[Duration] = &[
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
    Duration::from_secs(15),
];

/// Keywords that are protocol state, not tags a person gave (RFC 5788's registry and what
/// common clients set).
const NOT_TAGS: &[&str] = &[
    "$forwarded",
    "forwarded",
    "$mdnsent",
    "$junk",
    "junk",
    "$notjunk",
    "notjunk",
    "nonjunk",
    "$phishing",
    "$submitpending",
    "$submitted",
    "$hasattachment",
    "$hasnoattachment",
    "$ismailinglist",
    "$notify",
    "$muted",
    "$important",
];

/// Thunderbird's default tag keys and the names it shows for them.
const THUNDERBIRD_TAGS: &[(&str, &str)] = &[
    ("$label1", "Important"),
    ("$label2", "Work"),
    ("$label3", "Personal"),
    ("$label4", "To Do"),
    ("$label5", "Later"),
];

/// A message as the UID listing gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Entry {
    uid: u32,
    size: u64,
    flags: MessageFlags,
    /// `\Deleted`: deleted by the user, not yet expunged.
    deleted: bool,
    keywords: Vec<String>,
    received: Option<i64>,
}

/// Why a command failed: the connection went away (try again), or not.
enum Failure {
    Lost(String),
    Fatal(String),
}

impl From<imap::Error> for Failure {
    fn from(error: imap::Error) -> Self {
        if connection::is_connection_lost(&error) {
            Failure::Lost(connection::describe(&error))
        } else {
            Failure::Fatal(connection::describe(&error))
        }
    }
}

/// The outcome of `call`, or a lost connection when the IMAP library panics on an answer it
/// does not expect (its mailbox parser does on an untagged `NO` or `BYE` to EXAMINE, which a
/// server going down or coming back may send): the connection is then opened anew.
fn unpanicked<T>(call: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    panic::catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|_| {
        Err(Failure::Lost(
            "the server sent an answer the IMAP library could not read".to_owned(),
        ))
    })
}

/// The messages of one mailbox, fetched as they are asked for.
pub struct FolderMessages<'a> {
    store: &'a ImapStore,
    session: Option<Session>,
    mailbox: Mailbox,
    /// The mailbox is examined on the current connection.
    examined: bool,
    /// The mailbox's UIDVALIDITY when it was first examined.
    uid_validity: Option<u32>,
    /// Messages when first examined.
    exists: u32,
    /// The UIDs are listed.
    listed: bool,
    /// Listed, not yet fetched, in UID order.
    pending: VecDeque<Entry>,
    /// Fetched, not yet given.
    ready: VecDeque<Found>,
    /// The folder could not be read further: nothing more is given.
    stopped: bool,
}

impl std::fmt::Debug for FolderMessages<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderMessages")
            .field("mailbox", &self.mailbox.name)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl<'a> FolderMessages<'a> {
    pub fn new(store: &'a ImapStore, session: Session, mailbox: Mailbox) -> FolderMessages<'a> {
        FolderMessages {
            store,
            session: Some(session),
            mailbox,
            examined: false,
            uid_validity: None,
            exists: 0,
            listed: false,
            pending: VecDeque::new(),
            ready: VecDeque::new(),
            stopped: false,
        }
    }

    /// Runs `command` on a connection that has the mailbox examined, connecting again while
    /// the connection keeps dropping (up to [`RECONNECT_WAITS`]).
    fn run<T>(
        &mut self,
        mut command: impl FnMut(&mut Session, u32) -> imap::Result<T>,
    ) -> Result<T, String> {
        let mut waits = RECONNECT_WAITS.iter();
        loop {
            match unpanicked(|| self.attempt(&mut command)) {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(what)) => return Err(what),
                Err(Failure::Lost(what)) => {
                    self.session = None;
                    match waits.next() {
                        Some(wait) => {
                            tracing::info!(
                                "{}: {what}; connecting again",
                                self.store.account.label()
                            );
                            thread::sleep(*wait);
                        }
                        None => {
                            return Err(format!(
                                "{what} (tried to connect again {} times, in vain)",
                                RECONNECT_WAITS.len()
                            ));
                        }
                    }
                }
            }
        }
    }

    fn attempt<T>(
        &mut self,
        command: &mut impl FnMut(&mut Session, u32) -> imap::Result<T>,
    ) -> Result<T, Failure> {
        if self.session.is_none() {
            let session = connection::connect(&self.store.account)
                .map_err(|e| Failure::Lost(e.to_string()))?;
            self.examined = false;
            self.session = Some(session);
        }
        let Some(session) = self.session.as_mut() else {
            return Err(Failure::Lost("no connection".to_owned()));
        };
        if !self.examined {
            let examined = session.examine(&self.mailbox.name)?;
            match (self.uid_validity, examined.uid_validity) {
                (Some(before), Some(now)) if before != now => {
                    return Err(Failure::Fatal(
                        "the folder was rebuilt on the server while it was read (its \
                         UIDVALIDITY changed), so the messages not yet read cannot be told \
                         apart from those already read; convert the account again"
                            .to_owned(),
                    ));
                }
                (None, validity) => {
                    self.uid_validity = validity;
                    self.exists = examined.exists;
                }
                _ => {}
            }
            self.examined = true;
        }
        Ok(command(session, self.exists)?)
    }

    /// Lists the mailbox's UIDs with their flags, sizes and dates.
    fn list(&mut self) -> Result<(), String> {
        let entries = self.run(|session, exists| {
            if exists == 0 {
                return Ok(Vec::new());
            }
            let labels = session.capabilities()?.has_str("X-GM-EXT-1");
            let query = if labels {
                "(UID FLAGS RFC822.SIZE INTERNALDATE X-GM-LABELS)"
            } else {
                "(UID FLAGS RFC822.SIZE INTERNALDATE)"
            };
            let fetches = session.uid_fetch("1:*", query)?;
            Ok(fetches
                .iter()
                .filter_map(|fetch| {
                    let mut entry = Entry {
                        uid: fetch.uid?,
                        size: u64::from(fetch.size.unwrap_or(0)),
                        received: fetch.internal_date().map(|d| d.timestamp()),
                        ..Entry::default()
                    };
                    read_flags(fetch.flags(), &mut entry);
                    if let Some(labels) = fetch.gmail_labels() {
                        entry.keywords.extend(gmail_categories(labels));
                    }
                    Some(entry)
                })
                .collect::<Vec<_>>())
        })?;
        let mut entries = entries;
        entries.sort_by_key(|e| e.uid);
        entries.dedup_by_key(|e| e.uid);
        self.pending = entries.into();
        self.listed = true;
        Ok(())
    }

    /// Fetches the next batch of messages into `ready`.
    fn fetch_batch(&mut self) -> Result<(), String> {
        let batch = self.store.batch;
        let mut count = 0;
        let mut bytes = 0u64;
        for entry in &self.pending {
            if count > 0 && (count >= batch.messages || bytes + entry.size > batch.bytes) {
                break;
            }
            count += 1;
            bytes += entry.size;
        }
        let entries: Vec<Entry> = self.pending.iter().take(count).cloned().collect();
        let wanted: Vec<u32> = entries
            .iter()
            .filter(|e| !e.deleted)
            .map(|e| e.uid)
            .collect();
        let mut bodies: HashMap<u32, Vec<u8>> = if wanted.is_empty() {
            HashMap::new()
        } else {
            let set = uid_set(&wanted);
            self.run(|session, _| {
                let fetches = session.uid_fetch(&set, "(UID BODY.PEEK[])")?;
                Ok(fetches
                    .iter()
                    .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
                    .collect())
            })?
        };
        let mailbox_url = format!("{}{}", self.store.account.url(), self.mailbox.name);
        for entry in entries {
            let origin = Origin::Imap {
                mailbox: mailbox_url.clone(),
                uid: entry.uid,
            };
            let found = if entry.deleted {
                Found::Skipped {
                    origin,
                    reason: SkipReason::DeletedInSource(
                        "the mail server (flag \\Deleted)".to_owned(),
                    ),
                }
            } else if let Some(bytes) = bodies.remove(&entry.uid) {
                let mut message = if bytes.len() as u64 >= self.store.large_message {
                    large(self.mailbox.path.clone(), bytes, origin)
                } else {
                    RawMessage::new(self.mailbox.path.clone(), bytes, origin)
                };
                message.flags = entry.flags;
                if self.mailbox.role == Some(Role::Drafts) {
                    message.flags.draft = true;
                }
                message.keywords = entry.keywords;
                message.received = entry.received;
                Found::Message(message)
            } else {
                Found::Skipped {
                    origin,
                    reason: SkipReason::Unreadable(
                        "deleted on the server while the account was read".to_owned(),
                    ),
                }
            };
            self.pending.pop_front();
            self.ready.push_back(found);
        }
        Ok(())
    }
}

impl Iterator for FolderMessages<'_> {
    type Item = Result<Found>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(found) = self.ready.pop_front() {
            return Some(Ok(found));
        }
        if self.stopped {
            return None;
        }
        let step = if !self.listed {
            self.list().and_then(|()| self.fetch_batch())
        } else if self.pending.is_empty() {
            return None;
        } else {
            self.fetch_batch()
        };
        match step {
            Ok(()) => self.ready.pop_front().map(Ok),
            Err(what) => {
                self.stopped = true;
                Some(Err(self.store.error(format!(
                    "the folder {} could not be read further: {what}",
                    self.mailbox.path
                ))))
            }
        }
    }
}

impl Drop for FolderMessages<'_> {
    /// The connection goes back to the store for the next folder.
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.store.put_back(session);
        }
    }
}

/// A large message, put in a temporary file (removed once the message is converted and
/// dropped) so that it does not stay in memory while it waits for its turn. Held in memory
/// when no temporary file can be written, with a warning.
pub(super) fn large(folder: FolderPath, bytes: Vec<u8>, origin: Origin) -> RawMessage {
    let spilled = tempfile::tempfile().and_then(|mut file| {
        file.write_all(&bytes)?;
        Ok(file)
    });
    match spilled {
        Ok(file) => {
            let span = FileSpan::new(Arc::new(file), 0, bytes.len() as u64);
            RawMessage::large(folder, span, origin)
        }
        Err(error) => {
            let mut message = RawMessage::new(folder, bytes, origin);
            message.warnings.push(format!(
                "this large message could not wait in a temporary file ({error}); it was held \
                 in memory"
            ));
            message
        }
    }
}

/// The message's state from its IMAP flags and keywords.
fn read_flags(flags: &[Flag<'_>], entry: &mut Entry) {
    for flag in flags {
        match flag {
            Flag::Seen => entry.flags.read = true,
            Flag::Answered => entry.flags.replied = true,
            Flag::Flagged => entry.flags.flagged = true,
            Flag::Draft => entry.flags.draft = true,
            Flag::Deleted => entry.deleted = true,
            Flag::Custom(keyword) => {
                let lower = keyword.to_lowercase();
                if lower == "$forwarded" || lower == "forwarded" {
                    entry.flags.forwarded = true;
                }
                if keyword.starts_with('\\')
                    || NOT_TAGS.contains(&lower.as_str())
                    || lower.starts_with("$mailflagbit")
                {
                    continue;
                }
                let name = THUNDERBIRD_TAGS
                    .iter()
                    .find(|(key, _)| *key == lower)
                    .map_or_else(|| keyword.to_string(), |(_, name)| (*name).to_owned());
                if !entry.keywords.contains(&name) {
                    entry.keywords.push(name);
                }
            }
            _ => {}
        }
    }
}

/// Gmail's labels as categories: the user's own labels, not the system ones (`\Inbox`,
/// `\Important`, …) that folders or flags already say.
fn gmail_categories<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<String> {
    labels
        .filter(|label| !label.starts_with('\\'))
        .map(|label| {
            crate::sources::maildir::decode_modified_utf7(label).unwrap_or_else(|| label.to_owned())
        })
        .collect()
}

/// A UID set: runs of consecutive UIDs as ranges (`1:4,7,9:10`).
fn uid_set(uids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = uids.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end.wrapping_add(1))) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    /// A panic of the IMAP library on a server's answer is a lost connection, tried again;
    /// what the call returns is kept.
    #[test]
    fn a_panic_on_an_answer_is_a_lost_connection() {
        let panicked = unpanicked::<()>(|| unreachable!("an untagged NO to EXAMINE"));
        assert!(matches!(panicked, Err(Failure::Lost(what)) if what.contains("could not read")));
        assert!(matches!(unpanicked(|| Ok(7)), Ok(7)));
        assert!(matches!(
            unpanicked::<()>(|| Err(Failure::Fatal("refused".to_owned()))),
            Err(Failure::Fatal(what)) if what == "refused"
        ));
    }

    #[test]
    fn uid_sets_use_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 4, 7, 9, 10]), "1:4,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn flags_and_keywords_become_the_messages_state_and_tags() {
        let mut entry = Entry::default();
        read_flags(
            &[
                Flag::Seen,
                Flag::Answered,
                Flag::Flagged,
                Flag::Recent,
                Flag::Custom(Cow::Borrowed("$Forwarded")),
                Flag::Custom(Cow::Borrowed("$label2")),
                Flag::Custom(Cow::Borrowed("ProjectX")),
                Flag::Custom(Cow::Borrowed("$MDNSent")),
                Flag::Custom(Cow::Borrowed("NonJunk")),
            ],
            &mut entry,
        );
        assert_eq!(
            entry.flags,
            MessageFlags {
                read: true,
                replied: true,
                forwarded: true,
                flagged: true,
                draft: false,
            }
        );
        assert!(!entry.deleted);
        assert_eq!(entry.keywords, ["Work", "ProjectX"]);
        read_flags(&[Flag::Deleted], &mut entry);
        assert!(entry.deleted);
    }

    #[test]
    fn gmail_system_labels_are_not_categories() {
        let labels = ["\\Inbox", "\\Important", "Receipts", "R&AOk-sum&AOk-"];
        assert_eq!(gmail_categories(labels.into_iter()), ["Receipts", "Résumé"]);
    }
}
