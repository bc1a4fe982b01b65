//! Profiles: `profiles.ini` in the application's folder lists them (every section with a
//! `Path`, relative to the ini or absolute; the sections are not numbered contiguously), and a
//! profile folder holds `prefs.js` and the mail under `Mail/` and `ImapMail/`.

use std::fs;
use std::path::{Path, PathBuf};

/// One profile listed in `profiles.ini`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileEntry {
    /// The profile's name (`default-release`).
    pub name: String,
    /// The profile folder, resolved.
    pub path: PathBuf,
    /// Marked `Default=1` (often an empty leftover of old versions).
    pub is_default: bool,
    /// Named by an `[Install…]` section: the profile that installation actually uses.
    pub is_install_default: bool,
    /// The folder exists on disk.
    pub exists: bool,
}

/// Why `profiles.ini` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfilesIniError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: line {line}: {what}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        what: String,
    },
    #[error("{}: no profile section with a Path", path.display())]
    NoProfiles { path: PathBuf },
}

/// One `[section]` of an INI file with its `key=value` pairs in order.
#[derive(Debug, Default)]
struct Section {
    name: String,
    entries: Vec<(String, String)>,
}

impl Section {
    fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.as_str())
    }
}

fn parse_ini(text: &str) -> Result<Vec<Section>, (usize, String)> {
    let mut sections: Vec<Section> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err((index + 1, format!("section header without ']': {line}")));
            };
            sections.push(Section {
                name: name.trim().to_owned(),
                entries: Vec::new(),
            });
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err((
                index + 1,
                format!("neither a [section] nor key=value: {line}"),
            ));
        };
        let Some(section) = sections.last_mut() else {
            return Err((index + 1, format!("key=value before any [section]: {line}")));
        };
        section
            .entries
            .push((key.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(sections)
}

/// Resolves a profile `Path` value: relative ones use `/` and are relative to the ini's folder.
fn resolve_profile_path(root: &Path, value: &str, is_relative: Option<bool>) -> PathBuf {
    let relative = is_relative.unwrap_or_else(|| !Path::new(value).is_absolute());
    if relative {
        let mut path = root.to_path_buf();
        for part in value.split(['/', '\\']).filter(|part| !part.is_empty()) {
            path.push(part);
        }
        path
    } else {
        PathBuf::from(value)
    }
}

/// The profiles that `<root>/profiles.ini` lists, in the file's order.
pub fn read_profiles_ini(root: &Path) -> Result<Vec<ProfileEntry>, ProfilesIniError> {
    let path = root.join("profiles.ini");
    let bytes = fs::read(&path).map_err(|source| ProfilesIniError::Io {
        path: path.clone(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let sections = parse_ini(&text).map_err(|(line, what)| ProfilesIniError::Malformed {
        path: path.clone(),
        line,
        what,
    })?;
    let install_defaults: Vec<PathBuf> = sections
        .iter()
        .filter(|section| section.get("Path").is_none())
        .filter(|section| section.name != "General")
        .filter_map(|section| section.get("Default"))
        .map(|value| resolve_profile_path(root, value, None))
        .collect();
    let profiles: Vec<ProfileEntry> = sections
        .iter()
        .filter_map(|section| {
            let value = section.get("Path").filter(|value| !value.is_empty())?;
            let is_relative = section.get("IsRelative").map(|flag| flag == "1");
            let path = resolve_profile_path(root, value, is_relative);
            let name = section
                .get("Name")
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .or_else(|| {
                    path.file_name()
                        .map(|leaf| leaf.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| section.name.clone());
            Some(ProfileEntry {
                name,
                is_default: section.get("Default") == Some("1"),
                is_install_default: install_defaults.contains(&path),
                exists: path.is_dir(),
                path,
            })
        })
        .collect();
    if profiles.is_empty() {
        return Err(ProfilesIniError::NoProfiles { path });
    }
    Ok(profiles)
}

/// True when a folder looks like a mail profile: it has `Mail/` or `ImapMail/`. Cheap: two
/// `stat` calls.
pub fn has_mail(profile: &Path) -> bool {
    profile.join("Mail").is_dir() || profile.join("ImapMail").is_dir()
}

/// True when `dir` directly holds a `.msf` summary (it is an account's or a folder's folder).
pub fn has_summaries(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().ends_with(".msf"))
    })
}

/// True when `dir` (a `Mail/` or `ImapMail/` folder) holds an account folder with summaries.
pub fn has_account_folders(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.path().is_dir() && has_summaries(&entry.path()))
    })
}

/// True when a folder is a mail profile: it has `Mail/` or `ImapMail/`, and either `prefs.js`
/// or an account folder with summaries in them. (A folder that merely contains a maildir
/// named `Mail` is not one.)
pub fn looks_like_profile(path: &Path) -> bool {
    let mail_roots = [path.join("Mail"), path.join("ImapMail")];
    mail_roots.iter().any(|root| root.is_dir())
        && (path.join("prefs.js").is_file()
            || mail_roots.iter().any(|root| has_account_folders(root)))
}

/// The profiles with mail of an application's data folder, and what was odd about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataFolder {
    /// Profiles that hold mail, the one the installation uses first (`[Install…]` in
    /// `profiles.ini`), then in the order `profiles.ini` lists them (or by folder name).
    pub profiles: Vec<ProfileEntry>,
    /// A listed profile whose folder is missing, an unreadable `profiles.ini`, in words.
    pub notes: Vec<String>,
}

/// True when `dir` is a Thunderbird or Postbox data folder or its `Profiles/` folder: it holds
/// `profiles.ini`, is the `Profiles` folder beside one, or holds profile folders (directly or
/// in `Profiles/`; the old `~/.mozilla-thunderbird` and copies may have no `profiles.ini`).
pub fn is_data_folder(dir: &Path) -> bool {
    dir.join("profiles.ini").is_file()
        || is_profiles_folder_of(dir).is_some()
        || [dir.to_path_buf(), dir.join("Profiles")]
            .iter()
            .any(|dir| !profile_folders_in(dir).is_empty())
}

/// The data folder above `dir` when `dir` is its `Profiles` folder.
fn is_profiles_folder_of(dir: &Path) -> Option<&Path> {
    let parent = dir.parent()?;
    (dir.file_name()? == "Profiles" && parent.join("profiles.ini").is_file()).then_some(parent)
}

/// Folders directly in `dir` that look like profiles ([`looks_like_profile`]), by name.
fn profile_folders_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    // The entry's own type first: a large folder of mail files costs no extra `stat` per file.
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            entry
                .file_type()
                .is_ok_and(|kind| kind.is_dir() || kind.is_symlink())
        })
        .map(|entry| entry.path())
        .filter(|path| path.is_dir() && looks_like_profile(path))
        .collect();
    paths.sort();
    paths
}

/// The name of a profile folder without `profiles.ini`: the part after Thunderbird's random
/// prefix (`ng5ko9yq.default-default` → `default-default`), else the whole name.
pub fn name_from_folder(path: &Path) -> String {
    let leaf = path
        .file_name()
        .map(|leaf| leaf.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    leaf.split_once('.')
        .map(|(_, name)| name.to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or(leaf)
}

/// The profiles with mail of a data folder (`dir` holds `profiles.ini`) or of its `Profiles/`
/// folder (then only the profiles inside it). `profiles.ini` names them; when it is missing or
/// cannot be read, the profile folders in `dir` and `dir/Profiles` are taken, named after their
/// folders. Cheap: it reads `profiles.ini` and looks at a few folders, it counts nothing.
pub fn profiles_with_mail(dir: &Path) -> DataFolder {
    let mut found = DataFolder::default();
    let (ini_dir, only_under) = match is_profiles_folder_of(dir) {
        Some(parent) => (parent.to_path_buf(), Some(dir)),
        None => (dir.to_path_buf(), None),
    };
    let listed = match read_profiles_ini(&ini_dir) {
        Ok(entries) => entries,
        Err(ProfilesIniError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Vec::new()
        }
        Err(error) => {
            found
                .notes
                .push(format!("{error}; looking for profile folders instead"));
            Vec::new()
        }
    };
    let mut profiles: Vec<ProfileEntry> = if listed.is_empty() {
        let scanned = [dir.to_path_buf(), dir.join("Profiles")];
        scanned
            .iter()
            .flat_map(|dir| profile_folders_in(dir))
            .map(|path| ProfileEntry {
                name: name_from_folder(&path),
                path,
                is_default: false,
                is_install_default: false,
                exists: true,
            })
            .collect()
    } else {
        listed
            .into_iter()
            .filter(|entry| only_under.is_none_or(|under| entry.path.starts_with(under)))
            .filter(|entry| {
                if !entry.exists {
                    found.notes.push(format!(
                        "{}: profile \"{}\" is listed in profiles.ini but its folder {} is missing",
                        ini_dir.display(),
                        entry.name,
                        entry.path.display()
                    ));
                }
                entry.exists && has_mail(&entry.path)
            })
            .collect()
    };
    profiles.sort_by_key(|entry| !entry.is_install_default);
    found.profiles = profiles;
    found
}

/// A warning when the mail client seems to have the profile open: the `lock` symlink (Linux,
/// macOS) or `parent.lock` (Windows keeps this file after exit, so there it counts only while
/// it is locked).
pub fn lock_warning(profile: &Path, client: &str) -> Option<String> {
    let lock = profile.join("lock");
    let parent_lock = profile.join("parent.lock");
    let locked = fs::symlink_metadata(&lock).is_ok()
        || (fs::symlink_metadata(&parent_lock).is_ok() && parent_lock_is_held(&parent_lock));
    locked.then(|| {
        format!(
            "{client} may be open (its profile lock is present): mail that arrives while \
             converting is not included; close {client} for exact counts"
        )
    })
}

#[cfg(windows)]
fn parent_lock_is_held(path: &Path) -> bool {
    // The running client holds the file open without sharing.
    fs::File::open(path).is_err()
}

#[cfg(not(windows))]
fn parent_lock_is_held(_path: &Path) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/thunderbird-profile")
    }

    #[test]
    fn corpus_profiles_ini_lists_both_profiles() {
        let root = corpus_root();
        let profiles = read_profiles_ini(&root).unwrap();
        let summary: Vec<_> = profiles
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.is_default,
                    p.is_install_default,
                    p.exists,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("default", true, false, true),
                ("default-default", false, true, true),
            ]
        );
        assert_eq!(profiles[1].path, root.join("ng5ko9yq.default-default"));
        assert!(!has_mail(&profiles[0].path));
        assert!(has_mail(&profiles[1].path));
    }

    #[test]
    fn sections_are_found_by_path_not_by_number() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("Profiles/b.work")).unwrap();
        let absolute = dir.path().join("elsewhere");
        fs::create_dir_all(&absolute).unwrap();
        let ini = format!(
            "[General]\nStartWithLastProfile=1\n\n[Profile7]\nName=work\nIsRelative=1\nPath=Profiles/b.work\n\n[Profile2]\nName=gone\nIsRelative=1\nPath=Profiles/missing\n\n[Profile0]\nName=abs\nIsRelative=0\nPath={}\nDefault=1\n",
            absolute.display()
        );
        fs::write(dir.path().join("profiles.ini"), ini).unwrap();
        let profiles = read_profiles_ini(dir.path()).unwrap();
        let names: Vec<_> = profiles
            .iter()
            .map(|p| (p.name.as_str(), p.exists))
            .collect();
        assert_eq!(names, vec![("work", true), ("gone", false), ("abs", true)]);
        assert_eq!(profiles[0].path, dir.path().join("Profiles").join("b.work"));
        assert_eq!(profiles[2].path, absolute);
        assert!(profiles[2].is_default);
    }

    #[test]
    fn malformed_and_missing_ini_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let error = read_profiles_ini(dir.path()).unwrap_err();
        assert!(matches!(error, ProfilesIniError::Io { .. }), "{error}");
        fs::write(dir.path().join("profiles.ini"), "Name=x\n").unwrap();
        let error = read_profiles_ini(dir.path()).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("line 1: key=value before any [section]: Name=x"),
            "{error}"
        );
        fs::write(dir.path().join("profiles.ini"), "[General]\nVersion=2\n").unwrap();
        let error = read_profiles_ini(dir.path()).unwrap_err();
        assert!(
            matches!(error, ProfilesIniError::NoProfiles { .. }),
            "{error}"
        );
    }

    #[test]
    fn a_lock_file_gives_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(lock_warning(dir.path(), "Thunderbird"), None);
        fs::write(dir.path().join("lock"), "").unwrap();
        let warning = lock_warning(dir.path(), "Thunderbird").unwrap();
        assert!(warning.starts_with("Thunderbird may be open"), "{warning}");
    }
}
