//! Finds the mail stores of this machine's user in their usual places, so the app can list
//! them before the user picks anything. Cheap by design: it lists folders and reads small
//! index files (`profiles.ini`), it never counts messages.
//!
//! Thunderbird: `%APPDATA%\Thunderbird` (Windows), `~/Library/Thunderbird` (macOS),
//! `~/.thunderbird` and the old `~/.mozilla-thunderbird` (Linux), and the Snap and Flatpak
//! homes. Postbox: `Postbox` and `PostboxApp` under `%APPDATA%` (Windows) and
//! `~/Library/Application Support` (macOS). Apple Mail: the libraries in `~/Library/Mail`
//! (macOS). Every root is checked on every system: a root that does not exist costs one
//! `stat`, and tests can lay out any system's tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::apple_mail;
use super::mozilla::MozillaStore;
use super::mozilla::profile::{self, ProfileEntry};
use super::{Error, MailStore, Result};
use crate::model::StoreKind;

/// The user folders discovery starts from. Tests point them at a temporary folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchRoots {
    /// The home folder (`~`).
    pub home: Option<PathBuf>,
    /// The roaming application-data folder: `%APPDATA%` on Windows,
    /// `~/Library/Application Support` on macOS.
    pub app_data: Option<PathBuf>,
}

impl SearchRoots {
    /// The current user's folders.
    pub fn of_current_user() -> SearchRoots {
        match directories::BaseDirs::new() {
            Some(dirs) => SearchRoots {
                home: Some(dirs.home_dir().to_path_buf()),
                app_data: Some(dirs.data_dir().to_path_buf()),
            },
            None => SearchRoots::default(),
        }
    }
}

/// A mail store found on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredStore {
    pub kind: StoreKind,
    /// What to open: a profile folder for Thunderbird and Postbox, a `V*` library for Apple
    /// Mail.
    pub path: PathBuf,
    /// The name to show, e.g. "Thunderbird — default-release".
    pub name: String,
    /// The profile's own name (`default-release`), where the store is a profile.
    pub profile_name: Option<String>,
    /// The profile marked `Default=1` in `profiles.ini` (often an empty leftover).
    pub is_default: bool,
}

impl DiscoveredStore {
    /// Opens the store (read-only).
    pub fn open(&self) -> Result<Box<dyn MailStore>> {
        if self.kind == StoreKind::AppleMail {
            return apple_mail::open(&self.path)?.ok_or_else(|| Error::Unrecognized {
                path: self.path.clone(),
                what: "no Apple Mail library here any more".into(),
            });
        }
        let name = self
            .profile_name
            .clone()
            .unwrap_or_else(|| self.name.clone());
        let store = MozillaStore::open_profile(&self.path, self.kind, Some(name))?;
        Ok(Box::new(store))
    }
}

/// What discovery found, and what it could not read (a malformed `profiles.ini`, a listed
/// profile that is missing), in words for the user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    pub stores: Vec<DiscoveredStore>,
    pub notes: Vec<String>,
}

/// Looks in the usual places of the current user.
pub fn discover() -> Discovery {
    discover_in(&SearchRoots::of_current_user())
}

/// One place where an application keeps its profiles.
struct AppRoot {
    kind: StoreKind,
    /// "Thunderbird", "Thunderbird (Snap)", "Postbox".
    label: &'static str,
    path: PathBuf,
}

fn app_roots(roots: &SearchRoots) -> Vec<AppRoot> {
    let mut candidates = Vec::new();
    let mut add = |kind, label, path: PathBuf| candidates.push(AppRoot { kind, label, path });
    if let Some(app_data) = &roots.app_data {
        add(
            StoreKind::Thunderbird,
            "Thunderbird",
            app_data.join("Thunderbird"),
        );
        add(StoreKind::Postbox, "Postbox", app_data.join("Postbox"));
        add(StoreKind::Postbox, "Postbox", app_data.join("PostboxApp"));
    }
    if let Some(home) = &roots.home {
        let mac_support = home.join("Library").join("Application Support");
        add(
            StoreKind::Thunderbird,
            "Thunderbird",
            home.join("Library").join("Thunderbird"),
        );
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
        add(
            StoreKind::Thunderbird,
            "Thunderbird (Flatpak)",
            home.join(".var")
                .join("app")
                .join("org.mozilla.Thunderbird")
                .join(".thunderbird"),
        );
        add(StoreKind::Postbox, "Postbox", mac_support.join("Postbox"));
        add(
            StoreKind::Postbox,
            "Postbox",
            mac_support.join("PostboxApp"),
        );
    }
    candidates
}

/// Looks in the usual places under `roots`.
pub fn discover_in(roots: &SearchRoots) -> Discovery {
    let mut discovery = Discovery::default();
    let mut seen_roots = BTreeSet::new();
    let mut seen_profiles = BTreeSet::new();
    for root in app_roots(roots) {
        if !root.path.is_dir() {
            continue;
        }
        let canonical = root
            .path
            .canonicalize()
            .unwrap_or_else(|_| root.path.clone());
        if !seen_roots.insert(canonical) {
            continue;
        }
        for (entry, name) in profiles_of(&root, &mut discovery.notes) {
            let canonical = entry
                .path
                .canonicalize()
                .unwrap_or_else(|_| entry.path.clone());
            if !seen_profiles.insert(canonical) {
                continue;
            }
            discovery.stores.push(DiscoveredStore {
                kind: root.kind,
                name: format!("{} — {name}", root.label),
                path: entry.path,
                profile_name: Some(name),
                is_default: entry.is_default,
            });
        }
    }
    if let Some(home) = &roots.home {
        add_apple_mail(&home.join("Library").join("Mail"), &mut discovery);
    }
    discovery
}

/// The Apple Mail libraries in a Mail folder. A folder macOS will not list (Full Disk Access
/// missing) becomes a note that says how to grant access.
fn add_apple_mail(mail_dir: &Path, discovery: &mut Discovery) {
    for found in apple_mail::discover_in(mail_dir) {
        match found {
            Ok(store) => discovery.stores.push(DiscoveredStore {
                kind: store.kind(),
                path: store.root().to_path_buf(),
                name: store.display_name(),
                profile_name: None,
                is_default: false,
            }),
            Err(error) => discovery.notes.push(error.to_string()),
        }
    }
}

/// The profiles with mail under one application root, with their names. Uses
/// `profiles.ini`; when it is missing or unreadable, says so and looks for profile folders.
fn profiles_of(root: &AppRoot, notes: &mut Vec<String>) -> Vec<(ProfileEntry, String)> {
    match profile::read_profiles_ini(&root.path) {
        Ok(entries) => entries
            .into_iter()
            .filter(|entry| {
                if !entry.exists {
                    notes.push(format!(
                        "{}: profile \"{}\" is listed in profiles.ini but its folder {} is missing",
                        root.label,
                        entry.name,
                        entry.path.display()
                    ));
                }
                entry.exists && profile::has_mail(&entry.path)
            })
            .map(|entry| {
                let name = entry.name.clone();
                (entry, name)
            })
            .collect(),
        Err(error) => {
            notes.push(format!(
                "{}: {error}; looking for profile folders instead",
                root.label
            ));
            scan_for_profiles(&root.path)
        }
    }
}

/// Profile folders directly in `root` or in `root/Profiles`, by name.
fn scan_for_profiles(root: &Path) -> Vec<(ProfileEntry, String)> {
    let mut found = Vec::new();
    for dir in [root.to_path_buf(), root.join("Profiles")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_dir() && profile::has_mail(path))
            .collect();
        paths.sort();
        for path in paths {
            let leaf = path
                .file_name()
                .map(|leaf| leaf.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Profile folders are named `<salt>.<name>`.
            let name = leaf
                .split_once('.')
                .map(|(_, name)| name.to_owned())
                .filter(|name| !name.is_empty())
                .unwrap_or(leaf);
            found.push((
                ProfileEntry {
                    name: name.clone(),
                    path,
                    is_default: false,
                    is_install_default: false,
                    exists: true,
                },
                name,
            ));
        }
    }
    found
}
