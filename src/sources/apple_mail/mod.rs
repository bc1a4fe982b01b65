//! Apple Mail: a Mac's Mail library (`~/Library/Mail`, Mail 1 to V10), a copy of it anywhere,
//! and single `.mbox` mailbox bundles, as docs/formats.md §1 describes them. Everything is
//! read-only.

pub mod emlx;
pub mod encode;
pub mod envelope;
pub mod export;
pub mod library;
pub mod mime;
pub mod partial;
pub mod server;

use std::path::{Path, PathBuf};

pub use library::{AppleMailStore, FULL_DISK_ACCESS_HINT};

use crate::model::{FolderPath, Found};
use crate::sources::{Error, MailStore, Probe, Result};

/// Reads one `.emlx` or `.partial.emlx` file found outside a library (a folder of them copied
/// out of one, or restored from a backup) as Apple Mail would: flags and date received from
/// its property list, a message Mail had deleted skipped as such, and the attachment bodies of
/// a partial message put back from the `Attachments/` folder beside it (each one missing is a
/// warning of the message).
pub fn read_emlx_file(path: &Path, folder: &FolderPath) -> Found {
    library::read_message(folder, path, None)
}

/// The Apple Mail stores in a Mail folder (`~/Library/Mail` or a copy of it): each `V*` library
/// on its own (several can coexist after upgrades; the newest with an Envelope Index comes
/// first), then the Mail 1–4 folders if there are any. A folder macOS will not list gives one
/// `PermissionDenied` error that says how to grant Full Disk Access.
pub fn discover_in(mail_dir: &Path) -> Vec<Result<Box<dyn MailStore>>> {
    let libraries = match libraries_in(mail_dir) {
        Ok(libraries) => libraries,
        Err(crate::sources::Error::NotFound { .. }) => return Vec::new(),
        Err(e) => return vec![Err(e)],
    };
    libraries
        .into_iter()
        .map(|dir| AppleMailStore::open_library(&dir).map(|s| Box::new(s) as Box<dyn MailStore>))
        .collect()
}

/// The library folders inside a Mail folder, preferred first: each `V*` folder (those with an
/// Envelope Index first, newest first), then the Mail folder itself when it holds the Mail 1–4
/// layout. Lists the folder; opens nothing.
pub fn libraries_in(mail_dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(mail_dir).map_err(|e| Error::io(mail_dir, e))?;
    let mut versions: Vec<(bool, u32, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(mail_dir, e))?;
        let path = entry.path();
        if let Some(number) = library::version_number(&path)
            && path.is_dir()
        {
            let has_index = path.join("MailData").join("Envelope Index").is_file();
            versions.push((has_index, number, path));
        }
    }
    versions.sort_by_key(|v| std::cmp::Reverse((v.0, v.1)));
    let mut libraries: Vec<PathBuf> = versions.into_iter().map(|(_, _, path)| path).collect();
    if is_old_layout(mail_dir) {
        libraries.push(mail_dir.to_path_buf());
    }
    Ok(libraries)
}

/// Mail 1–4 kept mailboxes right in `~/Library/Mail`: `Mailboxes/`, `POP-…`, `IMAP-…`.
fn is_old_layout(mail_dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(mail_dir) else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|entry| {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old_name = name == "Mailboxes" || name.starts_with("POP-") || name.starts_with("IMAP-");
        old_name && entry.path().is_dir()
    })
}

/// Opens `path` if it is Apple Mail data, at whatever level a person points at: a Mail folder
/// (the preferred library in it; the others are named in the store's warnings), a `V*`
/// library, a part of a library — an account's folder, a mailbox bundle, a folder inside one
/// such as its `Messages` folder — read with the library's Envelope Index and names, a
/// `.mbox`/`.imapmbox` bundle outside a library, an "Export Mailbox…" bundle, or a folder with
/// a `Messages/` folder of emlx files. `Ok(None)` when it is none of these.
pub fn open(path: &Path) -> Result<Option<Box<dyn MailStore>>> {
    if !path.is_dir() {
        return Ok(None);
    }
    if library::version_number(path).is_some() {
        return Ok(Some(Box::new(AppleMailStore::open_library(path)?)));
    }
    if let Some(store) = open_part_of_library(path)? {
        return Ok(Some(Box::new(store)));
    }
    if library::is_mailbox_dir(path) || path.join("Messages").is_dir() {
        return Ok(Some(Box::new(AppleMailStore::open_mailbox(path)?)));
    }
    // A folder inside a mailbox bundle that is not in a library: that mailbox.
    if let Some(mailbox) = path
        .ancestors()
        .skip(1)
        .find(|dir| library::is_mailbox_dir(dir))
    {
        let mut store = AppleMailStore::open_mailbox(mailbox)?;
        if store.keep_part(path) {
            return Ok(Some(Box::new(store)));
        }
    }
    let libraries = libraries_in(path)?;
    let Some((first, others)) = libraries.split_first() else {
        return Ok(None);
    };
    let mut store = AppleMailStore::open_library(first)?;
    for other in others {
        store.add_warning(format!(
            "{} also holds Apple Mail folders of another version ({}); open that folder to \
             convert them",
            path.display(),
            other.display()
        ));
    }
    Ok(Some(Box::new(store)))
}

/// The library that `path` is a part of (an account's folder, a mailbox, a folder inside a
/// mailbox), opened and cut down to that part; `Ok(None)` when `path` is not inside a library.
fn open_part_of_library(path: &Path) -> Result<Option<AppleMailStore>> {
    let Some(library) = path.ancestors().skip(1).find(|dir| {
        library::version_number(dir).is_some() || (has_old_account(dir, path) && is_old_layout(dir))
    }) else {
        return Ok(None);
    };
    let mut store = AppleMailStore::open_library(library)?;
    Ok(store.keep_part(path).then_some(store))
}

/// True when `path` lies in one of the Mail 1–4 account folders of `mail_dir`.
fn has_old_account(mail_dir: &Path, path: &Path) -> bool {
    path.strip_prefix(mail_dir)
        .ok()
        .and_then(|rest| rest.components().next())
        .map(|first| first.as_os_str().to_string_lossy().into_owned())
        .is_some_and(|name| {
            name == "Mailboxes" || name.starts_with("POP-") || name.starts_with("IMAP-")
        })
}

/// Every library of a Mail folder, for [`crate::sources::open_all`]: `Ok(None)` unless `path`
/// is a Mail folder holding more than one.
pub fn open_every_library(path: &Path) -> Result<Option<Vec<Box<dyn MailStore>>>> {
    if !path.is_dir() || library::version_number(path).is_some() {
        return Ok(None);
    }
    let libraries = match libraries_in(path) {
        Ok(libraries) if libraries.len() > 1 => libraries,
        _ => return Ok(None),
    };
    let mut stores: Vec<Box<dyn MailStore>> = Vec::new();
    for dir in libraries {
        stores.push(Box::new(AppleMailStore::open_library(&dir)?));
    }
    Ok(Some(stores))
}

/// The detector [`crate::sources::open`] runs: a folder that [`open`] recognises.
pub fn detect(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !probe.is_dir() {
        return Ok(None);
    }
    open(path)
}
