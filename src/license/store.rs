//! Where the license key is kept and which license this process runs under.
//!
//! [`activate`] stores the key in `license.key` in the platform's config folder for mail2pst
//! (Linux: `$XDG_CONFIG_HOME/mail2pst`, macOS: `~/Library/Application Support/mail2pst`, Windows:
//! `%APPDATA%\\mail2pst\\config`). The environment variable `MAIL2PST_LICENSE_KEY`, holding a key's
//! text, takes precedence over the stored key, for scripts and benchmarks.

use std::fmt;
use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use super::key::{self, KeyError, License, MAX_KEY_CHARS};

/// Environment variable holding a key's text; it takes precedence over the stored key.
pub const LICENSE_KEY_VAR: &str = "MAIL2PST_LICENSE_KEY";

/// The name of the stored key in the config folder.
pub const LICENSE_FILE_NAME: &str = "license.key";

/// What can stop reading, storing or removing the license key.
#[derive(Debug, thiserror::Error)]
pub enum LicenseError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("no config folder was found for this user, so the license key cannot be stored")]
    NoConfigFolder,
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot store the license key in {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot remove the stored license key {path}: {source}")]
    Remove { path: PathBuf, source: io::Error },
}

/// Where the license in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The environment variable [`LICENSE_KEY_VAR`].
    Environment,
    /// The stored key file.
    File(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Environment => write!(f, "the environment variable {LICENSE_KEY_VAR}"),
            KeySource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Whether the app runs licensed or in demo mode, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseStatus {
    Licensed {
        license: License,
        source: KeySource,
    },
    /// No license: at most ten messages per folder are written. `reason` says why a key that was
    /// found is not used (`None` when there simply is none), for the person to fix it.
    Demo {
        reason: Option<String>,
    },
}

impl LicenseStatus {
    pub fn is_licensed(&self) -> bool {
        matches!(self, LicenseStatus::Licensed { .. })
    }

    pub fn license(&self) -> Option<&License> {
        match self {
            LicenseStatus::Licensed { license, .. } => Some(license),
            LicenseStatus::Demo { .. } => None,
        }
    }
}

/// Where a license key is kept, and which key text and public key decide the status. The
/// default, [`LicenseStore::for_user`], is the user's config folder and the process environment;
/// tests point it at a temporary folder.
#[derive(Debug, Clone)]
pub struct LicenseStore {
    dir: PathBuf,
    env_key: Option<String>,
    public_key: Option<VerifyingKey>,
}

impl LicenseStore {
    /// A store in `dir`, with no environment key, checking against the built-in public key.
    pub fn new(dir: impl Into<PathBuf>) -> LicenseStore {
        LicenseStore {
            dir: dir.into(),
            env_key: None,
            public_key: None,
        }
    }

    /// The user's config folder for mail2pst, and the key text in [`LICENSE_KEY_VAR`] if set.
    pub fn for_user() -> Result<LicenseStore, LicenseError> {
        let dir = default_dir().ok_or(LicenseError::NoConfigFolder)?;
        Ok(LicenseStore::new(dir).with_env_key(env_key_text()))
    }

    /// Key text that takes precedence over the stored key, as [`LICENSE_KEY_VAR`] does; blank
    /// text counts as none.
    pub fn with_env_key(mut self, key_text: Option<String>) -> LicenseStore {
        self.env_key = key_text.filter(|text| !text.trim().is_empty());
        self
    }

    /// Checks keys against `public_key` instead of the built-in one.
    pub fn with_public_key(mut self, public_key: VerifyingKey) -> LicenseStore {
        self.public_key = Some(public_key);
        self
    }

    /// The stored key's file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(LICENSE_FILE_NAME)
    }

    /// Whether a key text from the environment overrides the stored key.
    pub fn has_env_key(&self) -> bool {
        self.env_key.is_some()
    }

    fn verify(&self, key_text: &str) -> Result<License, KeyError> {
        match &self.public_key {
            Some(public_key) => key::verify_with(key_text, public_key),
            None => key::verify(key_text),
        }
    }

    /// Verifies `key_text` and, only if it is valid, stores it (atomically: a temporary file in
    /// the same folder, renamed over the old key). The environment key, if any, still takes
    /// precedence afterwards.
    pub fn activate(&self, key_text: &str) -> Result<License, LicenseError> {
        let license = self.verify(key_text)?;
        let compact = key::compact_key_text(key_text);
        let path = self.path();
        let write_error = |source| LicenseError::Write {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(&self.dir).map_err(write_error)?;
        let mut file = tempfile::Builder::new()
            .prefix(".license-")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(write_error)?;
        file.write_all(format!("{compact}\n").as_bytes())
            .and_then(|()| file.as_file().sync_all())
            .map_err(write_error)?;
        file.persist(&path)
            .map_err(|error| write_error(error.error))?;
        Ok(license)
    }

    /// The license in use: the environment key if set, otherwise the stored key, otherwise
    /// demo mode. An invalid key means demo mode, with the reason.
    pub fn status(&self) -> LicenseStatus {
        if let Some(text) = &self.env_key {
            return judge(self.verify(text), KeySource::Environment);
        }
        let path = self.path();
        match read_stored(&path) {
            Ok(None) => LicenseStatus::Demo { reason: None },
            Ok(Some(text)) => judge(self.verify(&text), KeySource::File(path)),
            Err(error) => LicenseStatus::Demo {
                reason: Some(error.to_string()),
            },
        }
    }

    /// Deletes the stored key; `false` if there was none. The environment key is not affected.
    pub fn remove(&self) -> Result<bool, LicenseError> {
        let path = self.path();
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(LicenseError::Remove { path, source }),
        }
    }
}

/// The status a key's verification gives.
fn judge(verified: Result<License, KeyError>, source: KeySource) -> LicenseStatus {
    match verified {
        Ok(license) => LicenseStatus::Licensed { license, source },
        Err(error) => LicenseStatus::Demo {
            reason: Some(format!("the license key in {source} is not valid: {error}")),
        },
    }
}

/// The stored key text, `None` when no key is stored. Reads at most a little more than the
/// longest key, so a wrong file is rejected without reading it whole.
fn read_stored(path: &Path) -> Result<Option<String>, LicenseError> {
    let read_error = |source| LicenseError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_error(source)),
    };
    let mut bytes = Vec::new();
    file.take(4 * MAX_KEY_CHARS as u64)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The user's config folder for mail2pst, if the platform has one for this user.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "mail2pst").map(|dirs| dirs.config_dir().to_path_buf())
}

/// The key text in [`LICENSE_KEY_VAR`], if set and not blank.
fn env_key_text() -> Option<String> {
    std::env::var_os(LICENSE_KEY_VAR)
        .map(|value| value.to_string_lossy().into_owned())
        .filter(|text| !text.trim().is_empty())
}

/// Verifies `key_text` against the built-in public key and stores it in the user's config
/// folder. A key that does not verify is never stored.
pub fn activate(key_text: &str) -> Result<License, LicenseError> {
    // Verify first, so that a bad key is reported as such even where nothing can be stored.
    key::verify(key_text)?;
    LicenseStore::for_user()?.activate(key_text)
}

/// The license this process runs under: [`LICENSE_KEY_VAR`], else the stored key, else demo.
pub fn current() -> LicenseStatus {
    match LicenseStore::for_user() {
        Ok(store) => store.status(),
        Err(error) => match env_key_text() {
            Some(text) => judge(key::verify(&text), KeySource::Environment),
            None => LicenseStatus::Demo {
                reason: Some(error.to_string()),
            },
        },
    }
}

/// Deletes the key stored in the user's config folder; `false` if there was none.
pub fn remove() -> Result<bool, LicenseError> {
    LicenseStore::for_user()?.remove()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::key::Edition;
    use crate::license::key::tests::{ada, dev_public_key, dev_signing_key, fixture, sign};

    fn store_in(dir: &Path) -> LicenseStore {
        LicenseStore::new(dir.join("mail2pst")).with_public_key(dev_public_key())
    }

    #[test]
    fn an_activated_key_is_stored_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        assert_eq!(store.status(), LicenseStatus::Demo { reason: None });

        // Pasted wrapped and quoted; stored as one line.
        let pasted = format!(
            "> {}",
            fixture("valid.key").trim().replacen('K', "\n> K", 1)
        );
        let license = store.activate(&pasted).unwrap();
        assert_eq!(license, ada(Edition::Personal));
        assert_eq!(
            fs::read_to_string(store.path()).unwrap(),
            format!("{}\n", fixture("valid.key").trim())
        );
        assert_eq!(
            store.status(),
            LicenseStatus::Licensed {
                license,
                source: KeySource::File(store.path()),
            }
        );
        // Only the key is left in the folder: the temporary file was renamed.
        let names: Vec<_> = fs::read_dir(dir.path().join("mail2pst"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [LICENSE_FILE_NAME]);
    }

    #[test]
    fn a_bad_key_is_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        for name in [
            "tampered.key",
            "truncated.key",
            "foreign.key",
            "garbage.key",
        ] {
            assert!(store.activate(&fixture(name)).is_err(), "{name}");
            assert!(!store.path().exists(), "{name} was stored");
        }
        // Nor does it replace a good one.
        store.activate(&fixture("valid.key")).unwrap();
        assert!(store.activate(&fixture("tampered.key")).is_err());
        assert_eq!(
            fs::read_to_string(store.path()).unwrap().trim(),
            fixture("valid.key").trim()
        );
    }

    #[test]
    fn activating_again_replaces_the_stored_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        store.activate(&fixture("valid.key")).unwrap();
        let business = sign(&ada(Edition::Business), &dev_signing_key());
        store.activate(&business).unwrap();
        assert_eq!(store.status().license().unwrap().edition, Edition::Business);
    }

    #[test]
    fn an_invalid_stored_key_means_demo_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        fs::create_dir_all(dir.path().join("mail2pst")).unwrap();
        fs::write(store.path(), fixture("tampered.key")).unwrap();
        let LicenseStatus::Demo {
            reason: Some(reason),
        } = store.status()
        else {
            panic!("expected demo with a reason");
        };
        assert!(
            reason.contains(&store.path().display().to_string()),
            "{reason}"
        );
        assert!(reason.contains("does not match its signature"), "{reason}");
    }

    #[test]
    fn the_environment_key_takes_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let business = sign(&ada(Edition::Business), &dev_signing_key());
        store_in(dir.path())
            .activate(&fixture("valid.key"))
            .unwrap();

        let with_env = store_in(dir.path()).with_env_key(Some(business));
        assert!(with_env.has_env_key());
        let LicenseStatus::Licensed { license, source } = with_env.status() else {
            panic!("expected licensed");
        };
        assert_eq!(license.edition, Edition::Business);
        assert_eq!(source, KeySource::Environment);

        // An invalid environment key is not silently replaced by the stored one.
        let bad_env = store_in(dir.path()).with_env_key(Some(fixture("foreign.key")));
        let LicenseStatus::Demo {
            reason: Some(reason),
        } = bad_env.status()
        else {
            panic!("expected demo with a reason");
        };
        assert!(reason.contains(LICENSE_KEY_VAR), "{reason}");

        // A blank variable counts as unset.
        let blank_env = store_in(dir.path()).with_env_key(Some("  \n".to_string()));
        assert!(!blank_env.has_env_key());
        assert_eq!(
            blank_env.status().license().unwrap().edition,
            Edition::Personal
        );
    }

    #[test]
    fn remove_deletes_the_stored_key_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        assert!(!store.remove().unwrap());
        store.activate(&fixture("valid.key")).unwrap();
        assert!(store.remove().unwrap());
        assert!(!store.remove().unwrap());
        assert_eq!(store.status(), LicenseStatus::Demo { reason: None });
    }

    #[test]
    fn an_oversized_stored_file_is_read_only_in_part() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        fs::create_dir_all(dir.path().join("mail2pst")).unwrap();
        fs::write(store.path(), "A".repeat(1 << 20)).unwrap();
        assert!(!store.status().is_licensed());
    }
}
