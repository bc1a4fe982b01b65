//! The mail stores of this machine's user, found in their usual places before the user picks
//! anything: the desktop app lists them when it starts.

use std::path::Path;

use crate::sources;

use super::error::Error;
use super::spec::Source;

/// The stores in the usual places of the user whose home folder is `home`, each opened
/// read-only or with why it cannot be (a folder macOS protects says how to grant access).
/// Cheap: nothing is counted until [`Source::folders`] is asked.
pub fn discover_in(home: &Path) -> Vec<Result<Source, Error>> {
    sources::apple_mail::discover(home)
        .into_iter()
        .map(|found| found.map(Source::from_store).map_err(Error::from))
        .collect()
}

/// The stores of the current user; none when the system names no home folder.
pub fn discover() -> Vec<Result<Source, Error>> {
    match directories::BaseDirs::new() {
        Some(dirs) => discover_in(dirs.home_dir()),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_without_mail_has_no_stores() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("Library/Mail")).unwrap();
        assert!(discover_in(home.path()).is_empty());
    }
}
