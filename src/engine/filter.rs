//! The job's filters that need no context beyond one folder or message: which folders are Trash
//! or Junk, and the compact key that recognises a duplicate.

use std::collections::HashSet;

use sha2::{Digest as _, Sha256};

use crate::convert::DuplicateKey;
use crate::model::StoreKind;

/// Folder names every kind of store uses for deleted mail and spam, in English and in the
/// languages IMAP servers most often name them in. Compared without regard to letter case.
const TRASH_JUNK_NAMES: &[&str] = &[
    "trash",
    "deleted items",
    "deleted messages",
    "deleted",
    "bin",
    "junk",
    "junk e-mail",
    "junk email",
    "junk mail",
    "spam",
    "bulk mail",
    // German, French, Spanish, Italian, Dutch, Portuguese.
    "papierkorb",
    "gelöschte elemente",
    "corbeille",
    "éléments supprimés",
    "indésirables",
    "courrier indésirable",
    "papelera",
    "elementos eliminados",
    "correo no deseado",
    "cestino",
    "posta indesiderata",
    "prullenbak",
    "verwijderde items",
    "ongewenste e-mail",
    "lixeira",
    "lixo",
];

/// Names only some stores give their Trash or Junk folder.
fn store_specific_names(kind: StoreKind) -> &'static [&'static str] {
    match kind {
        // Gmail's IMAP folders as Thunderbird and Apple Mail keep them (`[Gmail]/Trash`).
        StoreKind::Thunderbird | StoreKind::Postbox | StoreKind::AppleMail => {
            &["[gmail]/trash", "[gmail]/spam", "[gmail]/bin"]
        }
        // Maildir++ folders can keep their dot: `.Trash`, `.Junk`.
        StoreKind::Maildir => &[".trash", ".junk", ".spam"],
        StoreKind::Mbox
        | StoreKind::EmlFolder
        | StoreKind::AppleMailExport
        | StoreKind::GmailTakeout
        | StoreKind::Imap
        | StoreKind::ContactsAndCalendars
        | StoreKind::AppleContacts
        | StoreKind::AppleCalendar => &[],
    }
}

/// True when a folder of a store of `kind` named `name` holds deleted mail or spam.
pub fn is_trash_or_junk(kind: StoreKind, name: &str) -> bool {
    let name = name.trim().to_lowercase();
    TRASH_JUNK_NAMES.contains(&name.as_str()) || store_specific_names(kind).contains(&name.as_str())
}

/// A duplicate key squeezed to 16 bytes, so that a job remembers millions of messages in a few
/// tens of megabytes. Two different messages share a key with a chance of about 2⁻¹²⁸.
pub fn compact_key(key: &DuplicateKey) -> u128 {
    let mut hash = Sha256::new();
    match &key.message_id {
        Some(id) => {
            hash.update([1]);
            hash.update((id.len() as u64).to_le_bytes());
            hash.update(id.as_bytes());
        }
        None => hash.update([0]),
    }
    hash.update(key.content_hash);
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(bytes)
}

/// The messages written so far in a job, for "skip duplicates".
#[derive(Debug, Default)]
pub struct SeenMessages {
    keys: HashSet<u128>,
}

impl SeenMessages {
    /// Records a written message; false when one with the same key was written before.
    pub fn insert(&mut self, key: u128) -> bool {
        self.keys.insert(key)
    }

    pub fn contains(&self, key: u128) -> bool {
        self.keys.contains(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trash_and_junk_are_recognised_in_any_letter_case() {
        for name in [
            "Trash",
            "TRASH",
            "Deleted Items",
            "Junk E-mail",
            "Spam",
            "Bin",
        ] {
            assert!(is_trash_or_junk(StoreKind::Mbox, name), "{name}");
        }
        assert!(is_trash_or_junk(StoreKind::AppleMail, "Deleted Messages"));
        assert!(is_trash_or_junk(StoreKind::Thunderbird, "Papierkorb"));
        assert!(is_trash_or_junk(StoreKind::Maildir, ".Trash"));
        for name in ["Inbox", "Trash talk", "Binary", "Sent", "Archives"] {
            assert!(!is_trash_or_junk(StoreKind::Thunderbird, name), "{name}");
        }
        // A dotted name is a maildir convention only.
        assert!(!is_trash_or_junk(StoreKind::Mbox, ".Trash"));
    }

    #[test]
    fn compact_keys_tell_message_id_and_content_apart() {
        let key = |id: Option<&str>, byte: u8| DuplicateKey {
            message_id: id.map(str::to_owned),
            content_hash: [byte; 32],
        };
        let a = compact_key(&key(Some("<a@x>"), 1));
        assert_eq!(a, compact_key(&key(Some("<a@x>"), 1)));
        assert_ne!(a, compact_key(&key(Some("<a@x>"), 2)));
        assert_ne!(a, compact_key(&key(Some("<b@x>"), 1)));
        assert_ne!(a, compact_key(&key(None, 1)));
        assert_ne!(compact_key(&key(Some(""), 1)), compact_key(&key(None, 1)));
    }

    #[test]
    fn seen_messages_remember_each_key_once() {
        let mut seen = SeenMessages::default();
        assert!(!seen.contains(7));
        assert!(seen.insert(7));
        assert!(!seen.insert(7));
        assert!(seen.contains(7));
    }
}
