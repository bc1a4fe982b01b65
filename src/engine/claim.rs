//! Claiming an output name before anything is written: the output and every file written beside
//! it must lie outside whatever the job reads, one job at a time may write it (a lock beside
//! it), and what a killed job left under its staging names is removed by the next job that gets
//! the lock.
//!
//! The lock is an exclusive lock on `.OUT.pst.lock`, taken with the operating system's file
//! locks, so it goes away with the process that held it, however that process ended. The job
//! removes the lock file when it ends; a killed job leaves it, and the next job takes it over.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Component, Path, PathBuf};

use same_file::Handle;

use super::error::Error;
use super::output::OutputPaths;

/// How often taking the lock is tried when the lock file vanishes under us (its holder ended
/// and removed it between our opening and our locking it).
const LOCK_ATTEMPTS: usize = 5;

/// The right to write one output name, held until dropped. Dropping removes the lock file.
#[derive(Debug)]
pub(crate) struct OutputLock {
    path: PathBuf,
    // Closed after the file is removed (field order does not matter: `drop` removes first).
    file: Option<File>,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked, so no other job can be holding it; a job that opened
        // it meanwhile sees that its handle no longer names the file and tries again.
        let _ = fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

/// Takes the output's lock, or says that another job holds it. Creates the lock file when
/// none is there; touches nothing when another job holds it.
pub(crate) fn lock(paths: &OutputPaths) -> Result<OutputLock, Error> {
    let path = paths.lock_file();
    for _ in 0..LOCK_ATTEMPTS {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| Error::output_io(&path, source, 0))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::OutputBusy {
                    path: paths.part(1),
                });
            }
            Err(TryLockError::Error(source)) => return Err(Error::output_io(&path, source, 0)),
        }
        if names_file(&path, &file) {
            return Ok(OutputLock {
                path,
                file: Some(file),
            });
        }
    }
    Err(Error::OutputBusy {
        path: paths.part(1),
    })
}

/// True when `path` still names the open `file` (it was not removed and made anew).
fn names_file(path: &Path, file: &File) -> bool {
    let Ok(held) = file.try_clone().and_then(Handle::from_file) else {
        return false;
    };
    Handle::from_path(path).is_ok_and(|named| named == held)
}

/// Removes the files a job for this output writes before it commits (pending parts, the PST
/// writer's temporary files, half-written reports). Only called with the lock held: no job is
/// writing them, so they are what a killed job left.
pub(crate) fn remove_stale_files(paths: &OutputPaths) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(paths.dir()) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if paths.is_staging_name(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            if fs::remove_file(&path).is_ok() {
                tracing::info!(
                    "removed {}, left by a conversion that was killed",
                    path.display()
                );
                removed.push(path);
            }
        }
    }
    removed.sort();
    removed
}

/// Refuses an output that would be, or lie inside, anything a store of the job reads: the
/// folder the job writes into (PST, split parts, reports and their temporary files all go
/// there), and the names it writes, are compared with what the stores read, after symlinks and
/// `..` are resolved, and without regard to case where the file system ignores it.
pub(crate) fn check_outside_sources(paths: &OutputPaths, reads: &[PathBuf]) -> Result<(), Error> {
    let dir = resolved(paths.dir());
    for read in reads {
        let read = resolved(read);
        let fold = folds_case(&read);
        if read.is_dir() {
            if is_within(&dir, &read, fold) {
                return Err(Error::OutputInsideSource {
                    path: paths.part(1),
                    store: read,
                });
            }
            continue;
        }
        // A file a store reads: the job may not write a file of that name.
        let same_folder = read
            .parent()
            .is_some_and(|parent| same_path(parent, &dir, fold));
        let name = read.file_name().unwrap_or_default();
        if same_folder && paths.is_own_name(name, fold) {
            return Err(Error::OutputIsSource {
                path: dir.join(name),
            });
        }
    }
    // An output name that exists as a symlink: where it points must not be read either.
    for written in paths.final_names() {
        let Ok(meta) = fs::symlink_metadata(&written) else {
            continue;
        };
        if !meta.file_type().is_symlink() {
            continue;
        }
        let target = resolved(&written);
        for read in reads {
            let read = resolved(read);
            if is_within(&target, &read, folds_case(&read)) {
                return Err(Error::OutputIsSource { path: written });
            }
        }
    }
    Ok(())
}

/// The path with symlinks and `..` resolved as far as it exists; the rest, which does not
/// exist yet, is appended with `.` and `..` worked out by name.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = fs::canonicalize(path) {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let components: Vec<Component<'_>> = absolute.components().collect();
    for split in (1..components.len()).rev() {
        let existing: PathBuf = components[..split].iter().collect();
        let Ok(mut out) = fs::canonicalize(&existing) else {
            continue;
        };
        for component in &components[split..] {
            match component {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other.as_os_str()),
            }
        }
        return out;
    }
    absolute
}

/// True when `inner` is `outer` or lies below it.
fn is_within(inner: &Path, outer: &Path, fold: bool) -> bool {
    let mut inner = inner.components();
    for part in outer.components() {
        match inner.next() {
            Some(other) if same_name(part.as_os_str(), other.as_os_str(), fold) => {}
            _ => return false,
        }
    }
    true
}

fn same_path(a: &Path, b: &Path, fold: bool) -> bool {
    a.components().count() == b.components().count() && is_within(a, b, fold)
}

/// Two names of one folder: equal, or equal but for case where the file system ignores case.
pub(crate) fn same_name(a: &OsStr, b: &OsStr, fold: bool) -> bool {
    a == b || (fold && a.to_string_lossy().to_lowercase() == b.to_string_lossy().to_lowercase())
}

/// Whether the file system holding `path` (which exists) ignores case: the same path with the
/// case of its last name changed names the same file. Found by asking the file system, since
/// macOS and Windows volumes can be either.
fn folds_case(path: &Path) -> bool {
    for ancestor in path.ancestors() {
        let Some(name) = ancestor.file_name() else {
            continue;
        };
        let text = name.to_string_lossy();
        let swapped: String = text
            .chars()
            .map(|c| {
                if c.is_lowercase() {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c.to_lowercase().next().unwrap_or(c)
                }
            })
            .collect();
        if swapped == text {
            continue;
        }
        let other = ancestor.with_file_name(OsString::from(swapped));
        return same_file::is_same_file(ancestor, &other).unwrap_or(false);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_a_folder_are_found_with_or_without_case() {
        let outer = Path::new("/home/ann/Mail");
        assert!(is_within(Path::new("/home/ann/Mail/a/b"), outer, false));
        assert!(is_within(outer, outer, false));
        assert!(!is_within(Path::new("/home/ann/Mailbox"), outer, false));
        assert!(!is_within(Path::new("/home/ann/mail/a"), outer, false));
        assert!(is_within(Path::new("/home/ann/mail/a"), outer, true));
        assert!(is_within(Path::new("/HOME/ANN/MAIL"), outer, true));
        assert!(!is_within(Path::new("/home"), outer, true));
        assert!(same_name(
            OsStr::new("Réunions"),
            OsStr::new("RÉUNIONS"),
            true
        ));
    }

    #[test]
    fn resolving_works_out_dot_dot_in_names_that_do_not_exist_yet() {
        let dir = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(real.join("tree")).unwrap();
        assert_eq!(
            resolved(&dir.path().join("tree/new/../out.pst")),
            real.join("tree/out.pst")
        );
        assert_eq!(
            resolved(&dir.path().join("tree/../out.pst")),
            real.join("out.pst")
        );
    }

    #[cfg(unix)]
    #[test]
    fn resolving_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(real.join("tree")).unwrap();
        std::os::unix::fs::symlink(real.join("tree"), real.join("link")).unwrap();
        assert_eq!(
            resolved(&real.join("link/out.pst")),
            real.join("tree/out.pst")
        );
    }

    #[test]
    fn one_job_at_a_time_holds_an_output_and_a_dead_jobs_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let paths = OutputPaths::new(&dir.path().join("mail.pst"));
        // A lock file nobody holds: what a killed job leaves.
        fs::write(paths.lock_file(), b"").unwrap();
        let held = lock(&paths).unwrap();
        let error = lock(&paths).unwrap_err();
        assert!(matches!(error, Error::OutputBusy { .. }), "{error}");
        drop(held);
        assert!(!paths.lock_file().exists());
        let again = lock(&paths).unwrap();
        assert!(paths.lock_file().exists());
        drop(again);
    }

    #[test]
    fn this_file_system_is_asked_about_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Mixed");
        fs::create_dir(&path).unwrap();
        let upper = dir.path().join("MIXED");
        let expected = upper.exists();
        assert_eq!(folds_case(&path), expected);
    }
}
