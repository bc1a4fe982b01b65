//! Apple Mail: a Mac's Mail library (`~/Library/Mail`, Mail 1 to V10), a copy of it anywhere,
//! and single `.mbox` mailbox bundles, as formats.md §1 describes them. Everything is read-only.

pub mod emlx;
pub mod encode;
pub mod envelope;
pub mod export;
pub mod library;
pub mod mime;
pub mod partial;

use std::path::{Path, PathBuf};

pub use library::{AppleMailStore, FULL_DISK_ACCESS_HINT};

use crate::model::{FolderPath, Found};
use crate::sources::{MailStore, Probe, Result};

/// Reads one `.emlx` or `.partial.emlx` file found outside a library (a folder of them copied
/// out of one, or restored from a backup) as Apple Mail would: flags and date received from
/// its property list, a message Mail had deleted skipped as such, and the attachment bodies of
/// a partial message put back from the `Attachments/` folder beside it (each one missing is a
/// warning of the message).
pub fn read_emlx_file(path: &Path, folder: &FolderPath) -> Found {
    library::read_message(folder, path, None)
}

/// The Apple Mail stores in a user's home folder (`~/Library/Mail`). Only macOS has one; on
/// other systems this finds nothing (a copied Mail folder is opened with [`open`]).
pub fn discover(home: &Path) -> Vec<Result<Box<dyn MailStore>>> {
    if cfg!(target_os = "macos") {
        discover_in(&home.join("Library").join("Mail"))
    } else {
        Vec::new()
    }
}

/// The stores in a Mail folder (`~/Library/Mail` or a copy of it): each `V*` library on its own
/// (several can coexist after upgrades; the newest with an Envelope Index comes first), then
/// the Mail 1–4 folders if there are any. A folder macOS will not list gives one
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

/// The library folders inside a Mail folder, preferred first.
fn libraries_in(mail_dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(mail_dir).map_err(|e| library::io_error(mail_dir, e))?;
    let mut versions: Vec<(bool, u32, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| library::io_error(mail_dir, e))?;
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

/// Opens `path` if it is an Apple Mail store: a `V*` library, a Mail folder (the preferred
/// library in it; the others are named in the store's warnings), a `.mbox`/`.imapmbox`
/// mailbox bundle, an "Export Mailbox…" bundle, or a folder with a `Messages/` folder of emlx
/// files. `Ok(None)` when it is
/// none of these.
pub fn open(path: &Path) -> Result<Option<Box<dyn MailStore>>> {
    if !path.is_dir() {
        return Ok(None);
    }
    if library::version_number(path).is_some() {
        return Ok(Some(Box::new(AppleMailStore::open_library(path)?)));
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    if name.ends_with(".mbox") || name.ends_with(".imapmbox") || path.join("Messages").is_dir() {
        return Ok(Some(Box::new(AppleMailStore::open_mailbox(path)?)));
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

/// The detector [`crate::sources::open`] runs: a folder that [`open`] recognises.
pub fn detect(path: &Path, probe: &Probe) -> Result<Option<Box<dyn MailStore>>> {
    if !probe.is_dir() {
        return Ok(None);
    }
    open(path)
}
