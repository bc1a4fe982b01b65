//! Finds the mail stores of a user in their usual places, so the app can list them before the
//! user picks anything. One function, [`discover_in`], takes the user's folders and the
//! system's layout as parameters, so every system's layout is tested on any system. Cheap by
//! design: it lists folders and reads small index files (`profiles.ini`), it never counts
//! messages.
//!
//! The usual places, by layout ([`usual_places`]):
//! - Windows: Thunderbird in `%APPDATA%\Thunderbird`, and the Microsoft Store's Thunderbird in
//!   `%LOCALAPPDATA%\Packages\Mozilla.Thunderbird…\LocalCache\Roaming\Thunderbird` (where the
//!   Store's packages keep what they write to `%APPDATA%`); Postbox in `%APPDATA%\Postbox` and
//!   `%APPDATA%\PostboxApp`.
//! - macOS: Thunderbird in `~/Library/Thunderbird`; Postbox in
//!   `~/Library/Application Support/Postbox` and `…/PostboxApp`; Apple Mail in `~/Library/Mail`;
//!   Contacts in `~/Library/Application Support/AddressBook`; Calendar in `~/Library/Calendars`
//!   (and, from macOS 14, the database in `~/Library/Group Containers/group.com.apple.calendar`).
//! - Linux and other Unix systems: Thunderbird in `~/.thunderbird`, the old
//!   `~/.mozilla-thunderbird`, the Snap's `~/snap/thunderbird/common/.thunderbird` and the
//!   Flatpaks' `~/.var/app/org.mozilla.Thunderbird/.thunderbird` and
//!   `~/.var/app/net.thunderbird.Thunderbird/.thunderbird`. Postbox has no Linux version.
//!
//! In each Thunderbird or Postbox place, every profile that holds mail (docs/formats.md §2.1, §3).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::apple_mail::{self, AppleMailStore};
use super::apple_pim;
use super::mozilla::MozillaStore;
use super::mozilla::profile;
use super::{Error, MailStore, Result};
use crate::model::StoreKind;

/// How a system lays out its users' application data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SystemLayout {
    Windows,
    MacOs,
    /// Linux and the other Unix systems: dot-folders in the home folder.
    Unix,
}

impl SystemLayout {
    /// The layout of the system this program runs on.
    pub fn of_this_system() -> SystemLayout {
        if cfg!(windows) {
            SystemLayout::Windows
        } else if cfg!(target_os = "macos") {
            SystemLayout::MacOs
        } else {
            SystemLayout::Unix
        }
    }
}

/// The user folders discovery starts from. Tests point them at a temporary folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRoots {
    pub layout: SystemLayout,
    /// The home folder (`~`).
    pub home: PathBuf,
    /// Windows' roaming application data, `%APPDATA%`.
    pub app_data: PathBuf,
    /// Windows' local application data, `%LOCALAPPDATA%`.
    pub local_app_data: PathBuf,
}

impl SearchRoots {
    /// The folders of a user whose home is `home`, as `layout` places them (`%APPDATA%` is
    /// `home\AppData\Roaming`, `%LOCALAPPDATA%` is `home\AppData\Local`).
    pub fn for_home(layout: SystemLayout, home: impl Into<PathBuf>) -> SearchRoots {
        let home = home.into();
        SearchRoots {
            layout,
            app_data: home.join("AppData").join("Roaming"),
            local_app_data: home.join("AppData").join("Local"),
            home,
        }
    }

    /// The current user's folders; `None` when the system names no home folder.
    pub fn of_current_user() -> Option<SearchRoots> {
        let dirs = directories::BaseDirs::new()?;
        let layout = SystemLayout::of_this_system();
        let mut roots = SearchRoots::for_home(layout, dirs.home_dir());
        if layout == SystemLayout::Windows {
            roots.app_data = dirs.data_dir().to_path_buf();
            roots.local_app_data = dirs.data_local_dir().to_path_buf();
        }
        Some(roots)
    }
}

/// A place where a mail client keeps its data: a Thunderbird or Postbox data folder (the folder
/// of `profiles.ini`), or Apple Mail's Mail folder. Most are hidden from file dialogs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsualPlace {
    pub kind: StoreKind,
    /// "Thunderbird", "Thunderbird (Snap)", "Postbox", "Apple Mail".
    pub label: String,
    pub path: PathBuf,
}

/// The places `roots.layout` puts mail clients' data in, whether they exist or not (except the
/// Microsoft Store's, which are found by listing its packages).
pub fn usual_places(roots: &SearchRoots) -> Vec<UsualPlace> {
    let mut places = Vec::new();
    let mut add = |kind: StoreKind, label: &str, path: PathBuf| {
        places.push(UsualPlace {
            kind,
            label: label.to_owned(),
            path,
        })
    };
    let home = &roots.home;
    match roots.layout {
        SystemLayout::Windows => {
            add(
                StoreKind::Thunderbird,
                "Thunderbird",
                roots.app_data.join("Thunderbird"),
            );
            for package in store_packages(&roots.local_app_data, "mozilla.thunderbird") {
                add(
                    StoreKind::Thunderbird,
                    "Thunderbird (Microsoft Store)",
                    package
                        .join("LocalCache")
                        .join("Roaming")
                        .join("Thunderbird"),
                );
            }
            add(
                StoreKind::Postbox,
                "Postbox",
                roots.app_data.join("PostboxApp"),
            );
            add(
                StoreKind::Postbox,
                "Postbox",
                roots.app_data.join("Postbox"),
            );
        }
        SystemLayout::MacOs => {
            let library = home.join("Library");
            let support = library.join("Application Support");
            add(
                StoreKind::Thunderbird,
                "Thunderbird",
                library.join("Thunderbird"),
            );
            add(StoreKind::Postbox, "Postbox", support.join("PostboxApp"));
            add(StoreKind::Postbox, "Postbox", support.join("Postbox"));
            add(StoreKind::AppleMail, "Apple Mail", library.join("Mail"));
            add(
                StoreKind::AppleContacts,
                "Apple Contacts",
                support.join("AddressBook"),
            );
            add(
                StoreKind::AppleCalendar,
                "Apple Calendar",
                library.join("Calendars"),
            );
            add(
                StoreKind::AppleCalendar,
                "Apple Calendar",
                library
                    .join("Group Containers")
                    .join("group.com.apple.calendar"),
            );
        }
        SystemLayout::Unix => {
            add(
                StoreKind::Thunderbird,
                "Thunderbird",
                home.join(".thunderbird"),
            );
            add(
                StoreKind::Thunderbird,
                "Thunderbird",
                home.join(".mozilla-thunderbird"),
            );
            add(
                StoreKind::Thunderbird,
                "Thunderbird (Snap)",
                home.join("snap")
                    .join("thunderbird")
                    .join("common")
                    .join(".thunderbird"),
            );
            for app_id in ["org.mozilla.Thunderbird", "net.thunderbird.Thunderbird"] {
                add(
                    StoreKind::Thunderbird,
                    "Thunderbird (Flatpak)",
                    home.join(".var")
                        .join("app")
                        .join(app_id)
                        .join(".thunderbird"),
                );
            }
        }
    }
    places
}

/// The Microsoft Store package folders in `%LOCALAPPDATA%\Packages` whose name starts with
/// `prefix` (lower case), by name.
fn store_packages(local_app_data: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(local_app_data.join("Packages")) else {
        return Vec::new();
    };
    let mut packages: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .to_lowercase()
                .starts_with(prefix)
        })
        .map(|entry| entry.path())
        .collect();
    packages.sort();
    packages
}

/// A mail store found on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredStore {
    pub kind: StoreKind,
    /// What to open: a profile folder for Thunderbird and Postbox, a `V*` library (or the Mail
    /// folder of Mail 1–4) for Apple Mail.
    pub path: PathBuf,
    /// The name to show, e.g. "Thunderbird — default-release", "Thunderbird (Snap) — default".
    pub name: String,
    /// The profile's own name (`default-release`), where the store is a profile.
    pub profile_name: Option<String>,
    /// The profile marked `Default=1` in `profiles.ini` (often an empty leftover).
    pub is_default: bool,
}

impl DiscoveredStore {
    /// Opens the store (read-only), under the name discovery gave it.
    pub fn open(&self) -> Result<Box<dyn MailStore>> {
        match self.kind {
            StoreKind::AppleMail => return Ok(Box::new(AppleMailStore::open_library(&self.path)?)),
            StoreKind::AppleContacts | StoreKind::AppleCalendar => {
                return Ok(Box::new(apple_pim::open_place(self.kind, &self.path)?));
            }
            _ => {}
        }
        let mut store =
            MozillaStore::open_profile(&self.path, self.kind, self.profile_name.clone())?;
        store.rename(self.name.clone());
        Ok(Box::new(store))
    }
}

/// What discovery found; the places it could not read (macOS protecting `~/Library/Mail`, a
/// folder without permission), each an error that says what to do; and remarks in words (a
/// profile listed in `profiles.ini` whose folder is gone).
#[derive(Debug, Default)]
pub struct Discovery {
    pub stores: Vec<DiscoveredStore>,
    pub errors: Vec<Error>,
    pub notes: Vec<String>,
}

/// Looks in the usual places of the current user.
pub fn discover() -> Discovery {
    match SearchRoots::of_current_user() {
        Some(roots) => discover_in(&roots),
        None => Discovery::default(),
    }
}

/// Looks in the usual places under `roots`, for `roots.layout`.
pub fn discover_in(roots: &SearchRoots) -> Discovery {
    let mut discovery = Discovery::default();
    let mut seen_places = BTreeSet::new();
    let mut seen_stores = BTreeSet::new();
    for place in usual_places(roots) {
        match fs::metadata(&place.path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => continue,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => {
                discovery.errors.push(Error::io(&place.path, error));
                continue;
            }
        }
        if !seen_places.insert(canonical(&place.path)) {
            continue;
        }
        let found = match place.kind {
            StoreKind::AppleMail => apple_mail_libraries(&place, &mut discovery.errors),
            StoreKind::AppleContacts | StoreKind::AppleCalendar => {
                apple_pim_place(&place, &mut discovery.errors)
            }
            _ => profiles(&place, &mut discovery.notes),
        };
        for store in found {
            if seen_stores.insert(canonical(&store.path)) {
                discovery.stores.push(store);
            }
        }
    }
    discovery
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The libraries of a Mail folder. A folder macOS will not list (Full Disk Access missing)
/// is an error that says how to grant access.
fn apple_mail_libraries(place: &UsualPlace, errors: &mut Vec<Error>) -> Vec<DiscoveredStore> {
    match apple_mail::libraries_in(&place.path) {
        Ok(libraries) => libraries
            .into_iter()
            .map(|path| DiscoveredStore {
                kind: StoreKind::AppleMail,
                name: apple_mail::library::library_name(&path),
                path,
                profile_name: None,
                is_default: false,
            })
            .collect(),
        Err(error) => {
            errors.push(error);
            Vec::new()
        }
    }
}

/// A Mac's Contacts or Calendar folder, when it holds an address book, calendars or Calendar's
/// database of macOS 14 and later.
fn apple_pim_place(place: &UsualPlace, errors: &mut Vec<Error>) -> Vec<DiscoveredStore> {
    if let Some(error) = apple_pim::permission_error(&place.path) {
        errors.push(error);
        return Vec::new();
    }
    let holds = match place.kind {
        StoreKind::AppleContacts => apple_pim::holds_address_books(&place.path),
        _ => apple_pim::holds_calendars(&place.path),
    };
    holds
        .then(|| DiscoveredStore {
            kind: place.kind,
            path: place.path.clone(),
            name: place.label.clone(),
            profile_name: None,
            is_default: false,
        })
        .into_iter()
        .collect()
}

/// The profiles with mail in a Thunderbird or Postbox data folder.
fn profiles(place: &UsualPlace, notes: &mut Vec<String>) -> Vec<DiscoveredStore> {
    let found = profile::profiles_with_mail(&place.path);
    notes.extend(
        found
            .notes
            .into_iter()
            .map(|note| format!("{}: {note}", place.label)),
    );
    found
        .profiles
        .into_iter()
        .map(|entry| DiscoveredStore {
            kind: place.kind,
            name: format!("{} — {}", place.label, entry.name),
            path: entry.path,
            profile_name: Some(entry.name),
            is_default: entry.is_default,
        })
        .collect()
}
