//! The account's folder tree from `LIST`: names decoded from IMAP's modified UTF-7, INBOX as
//! "Inbox", and the special-use folders (RFC 6154) under the names Outlook gives their roles,
//! right below the account's folder, first after the Inbox.

use std::collections::{HashMap, HashSet};

use imap_proto::NameAttribute;

use super::connection::Session;
use crate::model::FolderPath;
use crate::sources::{display_name, maildir};

/// A folder's role on the server, from its special-use attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Drafts,
    Sent,
    Archive,
    Junk,
    Trash,
}

impl Role {
    fn of(attribute: &NameAttribute<'_>) -> Option<Role> {
        match attribute {
            NameAttribute::Drafts => Some(Role::Drafts),
            NameAttribute::Sent => Some(Role::Sent),
            NameAttribute::Archive => Some(Role::Archive),
            NameAttribute::Junk => Some(Role::Junk),
            NameAttribute::Trash => Some(Role::Trash),
            _ => None,
        }
    }

    /// The name Outlook gives the folder of this role.
    pub fn outlook_name(self) -> &'static str {
        match self {
            Role::Drafts => "Drafts",
            Role::Sent => "Sent Items",
            Role::Archive => "Archive",
            Role::Junk => "Junk E-mail",
            Role::Trash => "Deleted Items",
        }
    }
}

/// One mailbox of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// The name on the server, as `EXAMINE` takes it (modified UTF-7).
    pub name: String,
    /// Where it sits below the account's folder.
    pub path: FolderPath,
    /// False for `\Noselect` folders, which only hold other folders.
    pub selectable: bool,
    pub role: Option<Role>,
    /// A view of messages that other folders hold (`\All`, `\Flagged`, `\Important`: Gmail's
    /// All Mail, Starred and Important).
    pub copies: bool,
}

/// A mailbox as `LIST` gives it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub name: String,
    pub delimiter: Option<String>,
    pub selectable: bool,
    pub role: Option<Role>,
    pub copies: bool,
}

impl Listed {
    pub fn of(name: &imap::types::Name) -> Listed {
        let attributes = name.attributes();
        Listed {
            name: name.name().to_owned(),
            delimiter: name.delimiter().map(str::to_owned),
            selectable: !attributes
                .iter()
                .any(|a| matches!(a, NameAttribute::NoSelect))
                && !attributes
                    .iter()
                    .any(|a| matches!(a, NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent"))),
            role: attributes.iter().find_map(Role::of),
            copies: attributes.iter().any(|a| match a {
                NameAttribute::All | NameAttribute::Flagged => true,
                NameAttribute::Extension(e) => e.eq_ignore_ascii_case("\\Important"),
                _ => false,
            }),
        }
    }
}

/// A mailbox's name split at the server's delimiter, each part decoded as a person reads it.
pub fn decoded_segments(listed: &Listed) -> Vec<String> {
    segments(listed)
        .iter()
        .map(|segment| decode(segment))
        .collect()
}

/// Lists every mailbox of the account, parents before children.
pub fn list(session: &mut Session, top: &str) -> imap::Result<Vec<Mailbox>> {
    let names = session.list(Some(""), Some("*"))?;
    let listed = names.iter().map(Listed::of).collect();
    Ok(arrange(top, listed))
}

/// How many messages the mailbox holds, from `STATUS` (which opens nothing).
pub fn count(session: &mut Session, name: &str) -> imap::Result<u64> {
    Ok(u64::from(session.status(name, "(MESSAGES)")?.exists))
}

/// Folder paths for the listed mailboxes, below `top`, sorted: the Inbox, the special-use
/// folders, then the others by name, each folder's subfolders right after it; views of other
/// folders' messages (All Mail) last, so that with the job's "skip duplicates" each message
/// is written in its own folder.
pub fn arrange(top: &str, mut listed: Vec<Listed>) -> Vec<Mailbox> {
    // The Inbox and the special-use folders first, so they get their names; then parents
    // before children, whatever order the server listed them in.
    listed.sort_by_key(|l| {
        let special = l.role.is_some() || l.name.eq_ignore_ascii_case("INBOX");
        (!special, segments(l).len())
    });
    let mut paths: HashMap<String, FolderPath> = HashMap::new();
    let mut taken: HashSet<FolderPath> = HashSet::new();
    let top_path = FolderPath::new([top.to_owned()]);
    let mut mailboxes = Vec::new();
    for entry in listed {
        let segments = segments(&entry);
        let path = if entry.name.eq_ignore_ascii_case("INBOX") {
            top_path.child("Inbox")
        } else if let Some(role) = entry.role {
            top_path.child(role.outlook_name())
        } else {
            let mut path = top_path.clone();
            for depth in 0..segments.len() {
                let raw_parent = segments[..=depth].join(entry.delimiter.as_deref().unwrap_or(""));
                path = match paths.get(&raw_parent) {
                    Some(known) if depth + 1 < segments.len() => known.clone(),
                    _ => path.child(decode(&segments[depth])),
                };
            }
            path
        };
        let path = unique(path, &taken);
        taken.insert(path.clone());
        paths.insert(entry.name.clone(), path.clone());
        mailboxes.push(Mailbox {
            name: entry.name,
            path,
            selectable: entry.selectable,
            role: entry.role,
            copies: entry.copies,
        });
    }
    let rank = |mailbox: &Mailbox| -> (u8, Option<Role>) {
        if mailbox.copies {
            return (3, None);
        }
        let first = mailbox.path.names().get(1).map(String::as_str);
        let owner = mailboxes
            .iter()
            .find(|m| m.path.depth() == 2 && m.path.names().get(1).map(String::as_str) == first);
        match owner {
            Some(m) if m.name.eq_ignore_ascii_case("INBOX") => (0, None),
            Some(Mailbox {
                role: Some(role), ..
            }) => (1, Some(*role)),
            _ => (2, None),
        }
    };
    let mut keyed: Vec<((u8, Option<Role>), Mailbox)> =
        mailboxes.iter().map(|m| (rank(m), m.clone())).collect();
    keyed.sort_by(|(a, m), (b, n)| a.cmp(b).then_with(|| m.path.cmp(&n.path)));
    keyed.into_iter().map(|(_, m)| m).collect()
}

fn segments(listed: &Listed) -> Vec<String> {
    match listed.delimiter.as_deref() {
        Some(delimiter) if !delimiter.is_empty() => {
            listed.name.split(delimiter).map(str::to_owned).collect()
        }
        _ => vec![listed.name.clone()],
    }
}

/// A mailbox name's segment as a person reads it.
fn decode(segment: &str) -> String {
    let decoded = maildir::decode_modified_utf7(segment).unwrap_or_else(|| segment.to_owned());
    display_name(decoded.as_ref())
}

/// `path`, or `path (2)`, … when another folder has it already.
fn unique(path: FolderPath, taken: &HashSet<FolderPath>) -> FolderPath {
    if !taken.contains(&path) {
        return path;
    }
    let parent = path.parent().unwrap_or_default();
    (2..)
        .map(|n| parent.child(format!("{} ({n})", path.name())))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str, role: Option<Role>, selectable: bool) -> Listed {
        Listed {
            name: name.to_owned(),
            delimiter: Some("/".to_owned()),
            selectable,
            role,
            copies: name.ends_with("All Mail"),
        }
    }

    #[test]
    fn special_use_folders_take_outlooks_names_and_come_first() {
        let mailboxes = arrange(
            "alice@host",
            vec![
                listed("Work/R&AOk-union", None, true),
                listed("[Gmail]", None, false),
                listed("[Gmail]/Sent Mail", Some(Role::Sent), true),
                listed("[Gmail]/All Mail", None, true),
                listed("Archives", None, true),
                listed("Work", None, true),
                listed("Trash", Some(Role::Trash), true),
                listed("Trash/Old", None, true),
                listed("INBOX", None, true),
                listed("Sent Items", None, true),
                listed("&ZeVnLIqe-", None, true),
            ],
        );
        let paths: Vec<String> = mailboxes.iter().map(|m| m.path.names().join("/")).collect();
        assert_eq!(
            paths,
            [
                "alice@host/Inbox",
                "alice@host/Sent Items",
                "alice@host/Deleted Items",
                "alice@host/Deleted Items/Old",
                "alice@host/Archives",
                "alice@host/Sent Items (2)",
                "alice@host/Work",
                "alice@host/Work/Réunion",
                "alice@host/[Gmail]",
                "alice@host/日本語",
                "alice@host/[Gmail]/All Mail",
            ]
        );
        let gmail = mailboxes.iter().find(|m| m.name == "[Gmail]").unwrap();
        assert!(!gmail.selectable);
        let sent = mailboxes
            .iter()
            .find(|m| m.name == "[Gmail]/Sent Mail")
            .unwrap();
        assert_eq!(sent.path.name(), "Sent Items");
    }
}
