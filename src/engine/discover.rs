//! The mail stores of this machine's user, found in their usual places before the user picks
//! anything: the desktop app lists them when it starts, `mail2pst scan` without a path prints
//! them. Where discovery looks is [`crate::sources::discover`]'s to say.

use crate::sources::discover as places;
pub use crate::sources::discover::{SearchRoots, SystemLayout, UsualPlace, usual_places};

use super::error::Error;
use super::spec::Source;

/// What discovery found: each store opened read-only, or why a place cannot be read (a folder
/// macOS protects says how to grant access); and remarks in words (a profile `profiles.ini`
/// lists whose folder is gone).
#[derive(Debug, Default)]
pub struct Discovery {
    pub found: Vec<Result<Source, Error>>,
    pub notes: Vec<String>,
}

/// The stores in the usual places under `roots`, for `roots.layout`. Cheap: nothing is counted
/// until [`Source::folders`] is asked.
pub fn discover_in(roots: &SearchRoots) -> Discovery {
    let discovery = places::discover_in(roots);
    let mut found: Vec<Result<Source, Error>> = discovery
        .stores
        .iter()
        .map(|store| store.open().map(Source::from_store).map_err(Error::from))
        .collect();
    found.extend(discovery.errors.into_iter().map(|e| Err(Error::from(e))));
    Discovery {
        found,
        notes: discovery.notes,
    }
}

/// The stores of the current user; none when the system names no home folder.
pub fn discover() -> Discovery {
    match SearchRoots::of_current_user() {
        Some(roots) => discover_in(&roots),
        None => Discovery::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_without_mail_has_no_stores() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("Library/Mail")).unwrap();
        std::fs::create_dir_all(home.path().join(".thunderbird")).unwrap();
        for layout in [
            SystemLayout::MacOs,
            SystemLayout::Unix,
            SystemLayout::Windows,
        ] {
            let discovery = discover_in(&SearchRoots::for_home(layout, home.path()));
            assert!(discovery.found.is_empty(), "{layout:?}");
            assert!(discovery.notes.is_empty(), "{layout:?}");
        }
    }
}
