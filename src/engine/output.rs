//! The files a job writes: the PST and its split parts (`out.pst`, `out-2.pst`, …), each first
//! written under a hidden pending name and given its real name only when the whole job has
//! succeeded, so that a cancelled or failed job leaves nothing behind and replaces nothing.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::pst::{self, FileTime, FolderClass, FolderId, PstWriter, WriterOptions};

use super::claim::check_outside_sources;
use super::error::Error;
use super::plan::Plan;
use super::report::report_paths;
use super::spec::JobSpec;
use super::text::format_size;
use crate::model::{FolderKind, SkipReason};

/// The files a job writing `output` would replace that exist now: the PST, its report files
/// and its split parts. Without being told to replace them, a job refuses to start over them;
/// the window asks first.
pub fn existing_outputs(output: &Path) -> Vec<PathBuf> {
    OutputPaths::new(output).existing()
}

/// The names of a job's output files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OutputPaths {
    first: PathBuf,
    dir: PathBuf,
    /// The file name without its extension: `out` for `out.pst`.
    stem: OsString,
    /// `.pst` (or whatever extension the user gave, or none).
    extension: OsString,
}

impl OutputPaths {
    pub fn new(output: &Path) -> OutputPaths {
        let dir = match output.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stem = output.file_stem().map(OsString::from).unwrap_or_default();
        let extension = match output.extension() {
            Some(ext) => {
                let mut dotted = OsString::from(".");
                dotted.push(ext);
                dotted
            }
            None => OsString::new(),
        };
        OutputPaths {
            first: output.to_path_buf(),
            dir,
            stem,
            extension,
        }
    }

    /// Part `index` (1-based): the output itself, then `stem-2.pst`, `stem-3.pst`, …
    pub fn part(&self, index: usize) -> PathBuf {
        if index <= 1 {
            return self.first.clone();
        }
        let mut name = self.stem.clone();
        name.push(format!("-{index}"));
        name.push(&self.extension);
        self.dir.join(name)
    }

    /// Where part `index` is written until the job succeeds: a hidden file beside it.
    pub fn pending(&self, index: usize) -> PathBuf {
        let mut name = OsString::from(".");
        name.push(self.part(index).file_name().unwrap_or_default());
        name.push(".pending");
        self.dir.join(name)
    }

    /// The folder every file of the job goes into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The lock file that tells whether a job is writing this output: `.OUT.pst.lock`.
    pub fn lock_file(&self) -> PathBuf {
        let mut name = OsString::from(".");
        name.push(self.first.file_name().unwrap_or_default());
        name.push(".lock");
        self.dir.join(name)
    }

    /// The names the job gives its files in the end: the first part and the reports (split
    /// parts follow the first's name, see [`OutputPaths::part_number`]).
    pub fn final_names(&self) -> Vec<PathBuf> {
        let (json, html) = report_paths(&self.first);
        vec![self.first.clone(), json, html]
    }

    /// The number of the part a file name is (1 for the output itself), in any case when
    /// `fold`.
    fn part_number(&self, name: &OsStr, fold: bool) -> Option<usize> {
        self.part_of(&name_bytes(name, fold), fold)
    }

    /// [`OutputPaths::part_number`] of a name's bytes ([`name_bytes`]).
    fn part_of(&self, name: &[u8], fold: bool) -> Option<usize> {
        let stem = name_bytes(&self.stem, fold);
        let extension = name_bytes(&self.extension, fold);
        let rest = name
            .strip_prefix(stem.as_slice())?
            .strip_suffix(extension.as_slice())?;
        if rest.is_empty() {
            return Some(1);
        }
        let digits = rest.strip_prefix(b"-")?;
        if digits.first() == Some(&b'0') || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let number: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
        (number >= 2).then_some(number)
    }

    /// True for a name of a file the job writes before it commits: a pending part, the PST
    /// writer's temporary file of one, or a report being written.
    pub fn is_staging_name(&self, name: &OsStr) -> bool {
        self.staging_name(name, false)
    }

    fn staging_name(&self, name: &OsStr, fold: bool) -> bool {
        let name = name_bytes(name, fold);
        let Some(hidden) = name.strip_prefix(b".") else {
            return false;
        };
        // `.out.pst.pending`, and the writer's `..out.pst.pending.a1B2c3.tmp`.
        let pending = hidden
            .strip_prefix(b".")
            .and_then(|inner| inner.strip_suffix(b".tmp"))
            .and_then(|inner| memchr::memmem::rfind(inner, b".pending.").map(|at| &inner[..at]))
            .or_else(|| hidden.strip_suffix(b".pending"));
        if pending.is_some_and(|part| self.part_of(part, fold).is_some()) {
            return true;
        }
        // `.out.report.json.a1B2c3.tmp`
        let Some(base) = hidden
            .strip_suffix(b".tmp")
            .and_then(|inner| memchr::memrchr(b'.', inner).map(|at| &inner[..at]))
        else {
            return false;
        };
        let (json, html) = report_paths(&self.first);
        [json, html]
            .iter()
            .any(|report| name_bytes(report.file_name().unwrap_or_default(), fold) == base)
    }

    /// True for any name the job writes: parts, reports, their staging names and the lock.
    pub fn is_own_name(&self, name: &OsStr, fold: bool) -> bool {
        if self.part_number(name, fold).is_some() || self.staging_name(name, fold) {
            return true;
        }
        let name = name_bytes(name, fold);
        self.final_names()
            .iter()
            .skip(1)
            .chain(std::iter::once(&self.lock_file()))
            .any(|own| name_bytes(own.file_name().unwrap_or_default(), fold) == name)
    }

    /// The name Outlook shows for part `index`: its file name without the extension.
    pub fn store_name(&self, index: usize) -> String {
        self.part(index)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "mail2pst".to_owned())
    }

    /// Split parts beside the output, `stem-N.pst` for N ≥ 2, that exist now.
    pub fn existing_parts(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return found;
        };
        for entry in entries.flatten() {
            if self
                .part_number(&entry.file_name(), false)
                .is_some_and(|n| n >= 2)
            {
                found.push(entry.path());
            }
        }
        found.sort();
        found
    }

    /// Checks before anything is written: the output names a file in a folder that exists, and
    /// neither it nor anything written beside it is, or lies inside, what the job reads.
    pub fn check(&self, spec: &JobSpec) -> Result<(), Error> {
        if self.first.is_dir() {
            return Err(Error::InvalidOption(format!(
                "{} is a folder: give the name of the PST file to write",
                self.first.display()
            )));
        }
        if !self.dir.is_dir() {
            return Err(Error::OutputFolderMissing {
                path: self.dir.clone(),
            });
        }
        let output = canonical(&self.first);
        for store in &spec.stores {
            if canonical(&store.source.root()) == output {
                return Err(Error::OutputIsSource {
                    path: self.first.clone(),
                });
            }
        }
        let reads: Vec<PathBuf> = spec
            .stores
            .iter()
            .flat_map(|store| store.source.reads())
            .collect();
        check_outside_sources(self, &reads)
    }

    /// Without `overwrite`, nothing the job would write may exist yet.
    pub fn check_free(&self, overwrite: bool) -> Result<(), Error> {
        if overwrite {
            return Ok(());
        }
        match self.existing().into_iter().next() {
            Some(path) => Err(Error::OutputExists { path }),
            None => Ok(()),
        }
    }

    /// The files of this output that exist now: the PST, its reports, its split parts.
    fn existing(&self) -> Vec<PathBuf> {
        let mut taken = self.final_names();
        taken.extend(self.existing_parts());
        taken.retain(|p| p.symlink_metadata().is_ok());
        taken
    }

    /// Gives the pending parts `1..=count` their real names. With `overwrite`, split parts of an
    /// earlier job that follow the last new one are removed, so the set on disk is this job's.
    pub fn commit(&self, count: usize, overwrite: bool) -> Result<Vec<PathBuf>, Error> {
        let mut finals = Vec::new();
        for index in 1..=count {
            let target = self.part(index);
            if !overwrite && target.exists() {
                return Err(Error::OutputExists { path: target });
            }
            let pending = self.pending(index);
            fs::rename(&pending, &target).map_err(|source| Error::output_io(&target, source, 0))?;
            finals.push(target);
        }
        if overwrite {
            let mut index = count.max(1) + 1;
            while self.part(index).is_file() {
                let stale = self.part(index);
                fs::remove_file(&stale).map_err(|source| Error::output_io(&stale, source, 0))?;
                index += 1;
            }
        }
        Ok(finals)
    }

    /// Removes pending parts `1..=count` (a cancelled or failed job).
    pub fn discard(&self, count: usize) {
        for index in 1..=count {
            let _ = fs::remove_file(self.pending(index));
        }
    }
}

/// A file name's bytes to compare with another's: as the system keeps them, or, when `fold`
/// (the file system ignores case), its text in lower case.
fn name_bytes(name: &OsStr, fold: bool) -> Vec<u8> {
    if fold {
        name.to_string_lossy().to_lowercase().into_bytes()
    } else {
        name.as_encoded_bytes().to_vec()
    }
}

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A PST file being written and the plan's folders in it.
#[derive(Debug)]
struct Part {
    index: usize,
    writer: PstWriter,
    /// The PST folder of each plan folder (`None` for folders not in the PST).
    folders: Vec<Option<FolderId>>,
    /// Messages written per plan folder.
    counts: Vec<u64>,
    messages: u64,
}

/// A PST file that is complete under its pending name.
#[derive(Debug)]
pub(crate) struct FinishedPart {
    pub index: usize,
    pub pending: PathBuf,
    pub bytes: u64,
    /// Messages written per plan folder.
    pub counts: Vec<u64>,
    pub messages: u64,
    /// The file on its way to the disk; it must be there before it gets its name.
    pub syncing: Syncing,
}

/// A file being synced to disk on a thread of its own, so that the job reads it back meanwhile
/// instead of waiting (the wait is a tenth of a gigabyte's conversion on a fast disk).
#[derive(Debug)]
pub(crate) struct Syncing(Option<std::thread::JoinHandle<std::io::Result<()>>>);

impl Syncing {
    fn start(path: PathBuf) -> Syncing {
        Syncing(Some(std::thread::spawn(move || {
            fs::OpenOptions::new().write(true).open(&path)?.sync_all()
        })))
    }

    /// Waits until the file is on disk.
    pub fn wait(&mut self) -> std::io::Result<()> {
        match self.0.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("syncing the file failed"))),
            None => Ok(()),
        }
    }
}

/// What became of a message handed to [`Parts::add`].
#[derive(Debug)]
pub(crate) enum Added {
    Written,
    /// Nothing was written; the message is reported as skipped.
    Skipped(SkipReason),
}

/// Writes the job's PST files: opens the next part when one is full.
#[derive(Debug)]
pub(crate) struct Parts<'a> {
    plan: &'a Plan,
    paths: &'a OutputPaths,
    split_size: u64,
    now: i64,
    current: Option<Part>,
    finished: Vec<FinishedPart>,
    /// Bytes in finished parts.
    finished_bytes: u64,
}

impl<'a> Parts<'a> {
    /// The folder the PST files are written in, where temporary files of the job go too.
    pub(crate) fn dir(&self) -> &Path {
        self.paths.dir()
    }

    /// What the PST writer dates undated messages with: messages built for these parts
    /// ([`pst::ReadyMessage::new`]) are built with it.
    pub fn message_time(&self) -> FileTime {
        FileTime::from_unix(self.now).unwrap_or(FileTime(0))
    }

    /// Starts the first part (so that even an empty job gives a PST with the folder tree).
    pub fn start(
        plan: &'a Plan,
        paths: &'a OutputPaths,
        split_size: u64,
        now: i64,
    ) -> Result<Parts<'a>, Error> {
        let mut parts = Parts {
            plan,
            paths,
            split_size,
            now,
            current: None,
            finished: Vec::new(),
            finished_bytes: 0,
        };
        parts.current = Some(parts.open(1)?);
        Ok(parts)
    }

    fn open(&self, index: usize) -> Result<Part, Error> {
        let pending = self.paths.pending(index);
        let store_name = self.paths.store_name(index);
        let options = WriterOptions {
            store_uid: store_uid(&store_name, index, self.now),
            store_name,
            max_file_size: self.split_size,
            now: self.message_time(),
            // Synced by `Syncing` while the part is read back.
            sync: false,
        };
        let mut writer = PstWriter::create(&pending, options)
            .map_err(|e| writer_error(&self.paths.part(index), &e, 0))?;
        let top = writer.top_folder();
        let mut folders: Vec<Option<FolderId>> = Vec::with_capacity(self.plan.folders.len());
        for folder in &self.plan.folders {
            let id = if folder.in_pst() {
                let parent = match folder.parent {
                    Some(parent) => folders.get(parent).copied().flatten().unwrap_or(top),
                    None => top,
                };
                Some(
                    writer
                        .add_folder_of(parent, &folder.name, folder_class(folder.kind))
                        .map_err(|e| writer_error(&self.paths.part(index), &e, 0))?,
                )
            } else {
                None
            };
            folders.push(id);
        }
        Ok(Part {
            index,
            writer,
            counts: vec![0; folders.len()],
            folders,
            messages: 0,
        })
    }

    /// Bytes of PST written so far, over all parts.
    pub fn bytes_written(&self) -> u64 {
        self.finished_bytes
            + self
                .current
                .as_ref()
                .map_or(0, |p| p.writer.bytes_written())
    }

    /// Writes `message` into plan folder `folder`, starting a new part when the current one is
    /// full. `remaining` estimates the bytes the job still has to write, for "disk full".
    pub fn add(
        &mut self,
        folder: usize,
        message: &pst::ReadyMessage,
        remaining: u64,
    ) -> Result<Added, Error> {
        let first_try = self.try_add(folder, message, remaining)?;
        let Some(error) = first_try else {
            return Ok(Added::Written);
        };
        let part_has_messages = self.current.as_ref().is_some_and(|p| p.messages > 0);
        match error {
            pst::Error::SizeLimit { .. } if part_has_messages => {
                self.next_part(remaining)?;
                match self.try_add(folder, message, remaining)? {
                    None => Ok(Added::Written),
                    Some(error) => Ok(Added::Skipped(self.refused(&error))),
                }
            }
            error => Ok(Added::Skipped(self.refused(&error))),
        }
    }

    /// `Ok(None)` when written; `Ok(Some(error))` when the writer refused the message without
    /// writing anything (too large for the part or the format); `Err` when writing failed.
    fn try_add(
        &mut self,
        folder: usize,
        message: &pst::ReadyMessage,
        remaining: u64,
    ) -> Result<Option<pst::Error>, Error> {
        let part = self.current.as_mut().ok_or(Error::Internal("PST writer"))?;
        let Some(Some(id)) = part.folders.get(folder).copied() else {
            return Err(Error::Internal("folder plan"));
        };
        match part.writer.add_ready(id, message) {
            Ok(()) => {
                if let Some(count) = part.counts.get_mut(folder) {
                    *count += 1;
                }
                part.messages += 1;
                Ok(None)
            }
            Err(
                error @ (pst::Error::SizeLimit { .. }
                | pst::Error::AttachmentTooLarge { .. }
                | pst::Error::MessageTooLarge { .. }),
            ) => Ok(Some(error)),
            Err(error) => Err(writer_error(
                &self.paths.part(part.index),
                &error,
                remaining,
            )),
        }
    }

    /// Why a message the writer refused, or could not be built for it, is left out.
    pub fn refused(&self, error: &pst::Error) -> SkipReason {
        match error {
            pst::Error::SizeLimit { .. } => SkipReason::Unreadable(format!(
                "the message is too large for a PST file of at most {} (the split size)",
                format_size(self.split_size)
            )),
            other => SkipReason::Unreadable(other.to_string()),
        }
    }

    fn next_part(&mut self, remaining: u64) -> Result<(), Error> {
        let index = self.finish_current(remaining)?;
        self.current = Some(self.open(index + 1)?);
        Ok(())
    }

    /// Finishes the current part; returns its index.
    fn finish_current(&mut self, remaining: u64) -> Result<usize, Error> {
        let part = self.current.take().ok_or(Error::Internal("PST writer"))?;
        let path = self.paths.part(part.index);
        let summary = part
            .writer
            .finish()
            .map_err(|e| writer_error(&path, &e, remaining))?;
        self.finished_bytes += summary.bytes;
        self.finished.push(FinishedPart {
            index: part.index,
            syncing: Syncing::start(summary.path.clone()),
            pending: summary.path,
            bytes: summary.bytes,
            counts: part.counts,
            messages: part.messages,
        });
        Ok(part.index)
    }

    /// Finishes the last part and returns every part, first to last.
    pub fn finish(mut self) -> Result<Vec<FinishedPart>, Error> {
        if self.current.is_some() {
            self.finish_current(0)?;
        }
        Ok(std::mem::take(&mut self.finished))
    }

    /// How many parts exist so far (finished or being written).
    pub fn count(&self) -> usize {
        self.finished.len() + usize::from(self.current.is_some())
    }
}

/// A writer failure as the job's error, finding full disks and permission problems below it.
fn writer_error(path: &Path, error: &pst::Error, remaining: u64) -> Error {
    if let pst::Error::Spill(source) = error {
        let copy = std::io::Error::new(source.kind(), source.to_string());
        return Error::output_io(path, copy, remaining);
    }
    Error::from_writer(path, error, remaining)
}

/// A store record key for part `index`: different for each part and each job, the same when a
/// job is repeated with the same clock.
/// The kind of PST folder a plan folder becomes.
fn folder_class(kind: FolderKind) -> FolderClass {
    match kind {
        FolderKind::Mail => FolderClass::Mail,
        FolderKind::Contacts => FolderClass::Contacts,
        FolderKind::Calendar => FolderClass::Calendar,
        FolderKind::Tasks => FolderClass::Tasks,
    }
}

fn store_uid(store_name: &str, index: usize, now: i64) -> [u8; 16] {
    let mut hash = Sha256::new();
    hash.update(b"mail2pst store\0");
    hash.update(store_name.as_bytes());
    hash.update((index as u64).to_le_bytes());
    hash.update(now.to_le_bytes());
    let digest = hash.finalize();
    let mut uid = [0u8; 16];
    uid.copy_from_slice(&digest[..16]);
    uid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_numbered_beside_the_first() {
        let paths = OutputPaths::new(Path::new("out/mail.pst"));
        assert_eq!(paths.part(1), PathBuf::from("out/mail.pst"));
        assert_eq!(paths.part(2), PathBuf::from("out/mail-2.pst"));
        assert_eq!(paths.part(12), PathBuf::from("out/mail-12.pst"));
        assert_eq!(paths.pending(2), PathBuf::from("out/.mail-2.pst.pending"));
        assert_eq!(paths.store_name(1), "mail");
        assert_eq!(paths.store_name(3), "mail-3");
        let bare = OutputPaths::new(Path::new("archive"));
        assert_eq!(bare.part(2), PathBuf::from("./archive-2"));
    }

    #[test]
    fn staging_names_are_told_from_every_other_file() {
        let paths = OutputPaths::new(Path::new("out/mail.pst"));
        for name in [
            ".mail.pst.pending",
            "..mail.pst.pending.a1B2c3.tmp",
            ".mail-2.pst.pending",
            "..mail-12.pst.pending.x.tmp",
            ".mail.report.json.q1w2e3.tmp",
            ".mail.report.html.abc.tmp",
        ] {
            assert!(paths.is_staging_name(OsStr::new(name)), "{name}");
        }
        for name in [
            "mail.pst",
            "mail-2.pst",
            ".mail.pst.lock",
            ".other.pst.pending",
            ".mail-1.pst.pending",
            ".mail-02.pst.pending",
            "..mail.pst.pendingX.tmp",
            ".mail.report.json",
            ".Mail.pst.pending",
        ] {
            assert!(!paths.is_staging_name(OsStr::new(name)), "{name}");
        }
        assert!(paths.is_own_name(OsStr::new("MAIL.report.HTML"), true));
        assert!(!paths.is_own_name(OsStr::new("MAIL.report.HTML"), false));
    }

    #[cfg(unix)]
    #[test]
    fn staging_names_of_an_output_that_is_not_unicode_are_its_own() {
        use std::os::unix::ffi::OsStrExt as _;
        let paths = OutputPaths::new(Path::new(OsStr::from_bytes(b"out/caf\xe9.pst")));
        assert!(paths.is_staging_name(OsStr::from_bytes(b".caf\xe9.pst.pending")));
        assert!(paths.is_staging_name(OsStr::from_bytes(b"..caf\xe9-2.pst.pending.Ab12.tmp")));
        assert!(!paths.is_staging_name(OsStr::from_bytes(b".caf\xff.pst.pending")));
    }

    #[cfg(unix)]
    #[test]
    fn what_the_writer_leaves_for_an_output_that_is_not_unicode_is_found_and_removed() {
        use std::os::unix::ffi::OsStrExt as _;
        let dir = tempfile::tempdir().unwrap();
        let paths = OutputPaths::new(&dir.path().join(OsStr::from_bytes(b"caf\xe9.pst")));
        for index in [1, 2] {
            let options = WriterOptions::new("caf", FileTime(0));
            let writer = PstWriter::create(paths.pending(index), options).unwrap();
            // A killed job drops nothing: its temporary file stays.
            std::mem::forget(writer);
        }
        let names: Vec<OsString> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        for name in &names {
            assert!(paths.is_staging_name(name), "{name:?}");
        }
        assert_eq!(super::super::claim::remove_stale_files(&paths).len(), 2);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn existing_parts_are_found_by_their_numbers() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "mail.pst",
            "mail-2.pst",
            "mail-10.pst",
            "mail-x.pst",
            "mail-1.pst",
            "other-2.pst",
        ] {
            fs::write(dir.path().join(name), b"").unwrap();
        }
        let paths = OutputPaths::new(&dir.path().join("mail.pst"));
        assert_eq!(
            paths.existing_parts(),
            vec![
                dir.path().join("mail-10.pst"),
                dir.path().join("mail-2.pst")
            ]
        );
    }

    #[test]
    fn commit_renames_pending_parts_and_removes_stale_ones_when_replacing() {
        let dir = tempfile::tempdir().unwrap();
        let paths = OutputPaths::new(&dir.path().join("mail.pst"));
        fs::write(paths.part(1), b"old 1").unwrap();
        fs::write(paths.part(2), b"old 2").unwrap();
        fs::write(paths.part(3), b"old 3").unwrap();
        fs::write(paths.pending(1), b"new 1").unwrap();
        assert!(matches!(
            paths.commit(1, false),
            Err(Error::OutputExists { .. })
        ));
        let finals = paths.commit(1, true).unwrap();
        assert_eq!(finals, vec![paths.part(1)]);
        assert_eq!(fs::read(paths.part(1)).unwrap(), b"new 1");
        assert!(!paths.part(2).exists());
        assert!(!paths.part(3).exists());
        assert!(!paths.pending(1).exists());
    }

    #[test]
    fn discard_removes_pending_parts_only() {
        let dir = tempfile::tempdir().unwrap();
        let paths = OutputPaths::new(&dir.path().join("mail.pst"));
        fs::write(paths.part(1), b"kept").unwrap();
        fs::write(paths.pending(1), b"").unwrap();
        fs::write(paths.pending(2), b"").unwrap();
        paths.discard(2);
        assert!(paths.part(1).exists());
        assert!(!paths.pending(1).exists());
        assert!(!paths.pending(2).exists());
    }

    #[test]
    fn store_ids_differ_per_part_and_per_clock() {
        assert_ne!(store_uid("mail", 1, 0), store_uid("mail", 2, 0));
        assert_ne!(store_uid("mail", 1, 0), store_uid("mail", 1, 1));
        assert_eq!(store_uid("mail", 1, 5), store_uid("mail", 1, 5));
    }
}
