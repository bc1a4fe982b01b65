//! Maildir: one file per message in a folder's `cur/` and `new/` (`tmp/` holds deliveries in
//! progress and is never read). These are the building blocks; the folder walk is
//! [`tree`](crate::sources::tree), which treats any directory with `cur/` or `new/` as a
//! maildir folder, so nested maildirs (notmuch, Dovecot `LAYOUT=fs`) and Maildir++ (`.Sent`,
//! `.Work.2024` inside the top maildir, names in IMAP's modified UTF-7) come out as folder
//! trees. Thunderbird's maildir store (no `new/`, no flags in file names) can use
//! [`message_files`] and [`eml::read_message_file`] directly.
//!
//! Flags are read from the file name's info part, `:2,` followed by letters (`;2,` or `!2,`
//! where the file system forbids `:`): `S` seen, `R` replied, `F` flagged, `P` passed
//! (forwarded), `D` draft, `T` trashed — a message the user deleted and the client has not yet
//! expunged, which is skipped as deleted in the source — and `a`–`z` for Dovecot keywords,
//! named in the folder's `dovecot-keywords` file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::model::{FolderPath, Found, MessageFlags, Origin, SkipReason};
use crate::sources::{display_name, eml};

/// True when `dir` has a `cur/` or a `new/` folder.
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// The message files of a maildir folder: `cur/` and `new/` together, sorted by file name
/// (maildir names start with the delivery time, so this is delivery order). Hidden files are
/// left out; a missing `cur/` or `new/` is fine.
pub fn message_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for sub in ["cur", "new"] {
        let sub_dir = dir.join(sub);
        if !sub_dir.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&sub_dir)? {
            let entry = entry?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort_by(|a, b| (a.file_name(), a).cmp(&(b.file_name(), b)));
    Ok(files)
}

/// What a maildir file name says about its message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MaildirInfo {
    pub flags: MessageFlags,
    /// `T`: deleted by the user, not yet expunged.
    pub trashed: bool,
    /// Dovecot keyword letters (`a` = keyword 0 …).
    pub keyword_letters: Vec<u8>,
}

/// Reads the flags of a maildir file name (`1204680647.M1P3.host:2,RS`).
pub fn parse_info(file_name: &str) -> MaildirInfo {
    let mut info = MaildirInfo::default();
    let Some(at) = [":2,", ";2,", "!2,"]
        .iter()
        .filter_map(|marker| file_name.rfind(marker))
        .max()
    else {
        return info;
    };
    for letter in file_name[at + 3..].bytes() {
        match letter {
            b'S' => info.flags.read = true,
            b'R' => info.flags.replied = true,
            b'F' => info.flags.flagged = true,
            b'P' => info.flags.forwarded = true,
            b'D' => info.flags.draft = true,
            b'T' => info.trashed = true,
            b'a'..=b'z' => info.keyword_letters.push(letter),
            _ => {}
        }
    }
    info
}

/// Reads one maildir message file, with the flags and keywords its name gives.
/// `keyword_names` is the folder's [`dovecot_keywords`] table.
pub fn read_message(path: &Path, folder: &FolderPath, keyword_names: &[String]) -> Found {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let info = parse_info(&name);
    if info.trashed {
        return Found::Skipped {
            origin: Origin::File {
                path: path.to_path_buf(),
            },
            reason: SkipReason::DeletedInSource("the mail client (maildir flag T)".to_owned()),
        };
    }
    let mut found = eml::read_message_file(path, folder);
    if let Found::Message(message) = &mut found {
        message.flags = info.flags;
        message.keywords = info
            .keyword_letters
            .iter()
            .filter_map(|&letter| keyword_names.get(usize::from(letter - b'a')))
            .filter(|name| !name.is_empty())
            .cloned()
            .collect();
    }
    found
}

/// Dovecot's keyword table of a maildir folder (`dovecot-keywords`: lines `<index> <name>`),
/// as names by index. Empty when the file is missing or unreadable.
pub fn dovecot_keywords(dir: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(dir.join("dovecot-keywords")) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for line in text.lines() {
        let Some((index, name)) = line.split_once(' ') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        if index < 26 {
            if names.len() <= index {
                names.resize(index + 1, String::new());
            }
            names[index] = name.trim().to_owned();
        }
    }
    names
}

/// Files mail servers keep in a maildir folder beside `cur/` and `new/` (Dovecot, Courier):
/// their state, not mail.
pub fn is_bookkeeping_file(name: &str) -> bool {
    name.starts_with("dovecot")
        || name.starts_with("courier")
        || matches!(name, "maildirfolder" | "maildirsize" | "subscriptions")
}

/// The folder names of a Maildir++ folder directory: `.Work.2024` → `["Work", "2024"]`, each
/// decoded from IMAP's modified UTF-7 when it is valid (`R&AOk-union` → `Réunion`). `None`
/// for names that are not Maildir++ folders.
pub fn maildir_plus_names(dir_name: &str) -> Option<Vec<String>> {
    let names: Vec<String> = dir_name
        .strip_prefix('.')?
        .split('.')
        .map(|part| decode_modified_utf7(part).unwrap_or_else(|| part.to_owned()))
        .map(|part| display_name(part.as_ref()))
        .collect();
    if names.iter().any(String::is_empty) {
        return None;
    }
    Some(names)
}

/// Decodes IMAP's modified UTF-7 (RFC 3501 §5.1.3): `&…-` holds UTF-16 in base64 with `,` for
/// `/`, `&-` is `&`. `None` when `name` is not valid modified UTF-7 (a UTF-8 name with a bare
/// `&` in it, for instance).
pub fn decode_modified_utf7(name: &str) -> Option<String> {
    const ENGINE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    let mut decoded = String::new();
    let mut rest = name;
    while let Some(amp) = rest.find('&') {
        decoded.push_str(&rest[..amp]);
        rest = &rest[amp + 1..];
        let end = rest.find('-')?;
        let encoded = &rest[..end];
        rest = &rest[end + 1..];
        if encoded.is_empty() {
            decoded.push('&');
            continue;
        }
        let bytes = ENGINE.decode(encoded).ok()?;
        if bytes.is_empty() || bytes.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        decoded.push_str(&String::from_utf16(&units).ok()?);
    }
    decoded.push_str(rest);
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_letters() {
        let info = parse_info("1204680647.M1P3.host,S=1234:2,DFPRS");
        assert_eq!(
            info.flags,
            MessageFlags {
                read: true,
                replied: true,
                forwarded: true,
                flagged: true,
                draft: true,
            }
        );
        assert!(!info.trashed);
        assert!(parse_info("1.host:2,ST").trashed);
        assert_eq!(parse_info("1.host;2,Sac").keyword_letters, b"ac");
        assert!(parse_info("1.host!2,S").flags.read);
        assert_eq!(parse_info("01:2,"), MaildirInfo::default());
        assert_eq!(parse_info("Re: S and R.eml"), MaildirInfo::default());
        assert_eq!(parse_info("1.host"), MaildirInfo::default());
    }

    #[test]
    fn modified_utf7() {
        assert_eq!(
            decode_modified_utf7("R&AOk-union").as_deref(),
            Some("Réunion")
        );
        assert_eq!(
            decode_modified_utf7("&ZeVnLIqe-").as_deref(),
            Some("日本語")
        );
        assert_eq!(decode_modified_utf7("Q&-A").as_deref(), Some("Q&A"));
        assert_eq!(decode_modified_utf7("Inbox").as_deref(), Some("Inbox"));
        assert_eq!(decode_modified_utf7("Q&A"), None);
        assert_eq!(decode_modified_utf7("R&D-x"), None);
    }

    #[test]
    fn maildir_plus_folder_names() {
        assert_eq!(
            maildir_plus_names(".Work.R&AOk-union"),
            Some(vec!["Work".to_owned(), "Réunion".to_owned()])
        );
        assert_eq!(maildir_plus_names(".Sent"), Some(vec!["Sent".to_owned()]));
        assert_eq!(maildir_plus_names("Sent"), None);
        assert_eq!(maildir_plus_names(".a..b"), None);
        assert_eq!(maildir_plus_names("."), None);
    }

    #[test]
    fn bookkeeping_files() {
        assert!(is_bookkeeping_file("dovecot-uidlist"));
        assert!(is_bookkeeping_file("dovecot.index.log"));
        assert!(is_bookkeeping_file("maildirfolder"));
        assert!(!is_bookkeeping_file("01:2,"));
    }
}
