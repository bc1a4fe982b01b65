//! What a job is asked to do: which stores and folders, where the PST goes, and the options.
//! The GUI and the CLI build a [`JobSpec`]; nothing here touches the disk.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};

use crate::license::LicenseStatus;
use crate::model::{FolderPath, StoreKind};
use crate::sources::{self, FolderInfo, MailStore};

use super::error::Error;
use super::text::{GIB, MIB, format_size};

/// The default size at which the PST is split: 20 GB, the limit of Outlook 2003 and 2007.
pub const DEFAULT_SPLIT_SIZE: u64 = 20 * GIB;
/// The largest PST Outlook 2010 and later open without a registry change (51,200 MB).
pub const MAX_SPLIT_SIZE: u64 = 50 * GIB;
/// The smallest split size: a PST with its folders and one small message needs about this much.
pub const MIN_SPLIT_SIZE: u64 = 2 * MIB;

/// A mail store opened read-only, shared between the job and whoever shows its folders.
#[derive(Clone, Debug)]
pub struct Source {
    store: Arc<dyn MailStore>,
}

impl Source {
    /// Opens the mail store at `path`, whatever kind it is (mbox file, folder of .eml files,
    /// maildir, mail client profile). Nothing is read beyond what telling the kind needs.
    pub fn open(path: impl Into<PathBuf>) -> Result<Source, Error> {
        let path = path.into();
        let store = sources::open(&path)?;
        Ok(Source::from_store(store))
    }

    /// Opens every mail store at `path`: each profile with mail of a Thunderbird or Postbox
    /// data folder, each library of an Apple Mail folder holding several, else the one store
    /// [`Source::open`] opens. What a path a person gives becomes.
    pub fn open_all(path: impl Into<PathBuf>) -> Result<Vec<Source>, Error> {
        let path = path.into();
        Ok(sources::open_all(&path)?
            .into_iter()
            .map(Source::from_store)
            .collect())
    }

    /// An IMAP account: connects and logs in now, so that a refused password or an
    /// untrusted certificate is said before anything else happens.
    pub fn imap(account: sources::imap::ImapAccount) -> Result<Source, Error> {
        let store = sources::imap::ImapStore::open(account)?;
        Ok(Source::from_store(Box::new(store)))
    }

    /// A store another part of the app already opened.
    pub fn from_store(store: Box<dyn MailStore>) -> Source {
        Source {
            store: Arc::from(store),
        }
    }

    /// The name shown to the user, e.g. "MBOX file — archive.mbox".
    pub fn name(&self) -> String {
        self.store.display_name()
    }

    pub fn kind(&self) -> StoreKind {
        self.store.kind()
    }

    /// Where the store lives on disk.
    pub fn root(&self) -> PathBuf {
        self.store.root().to_path_buf()
    }

    /// The folder tree with message counts, parents before children. Counting may read every
    /// mailbox file once, so call it off the GUI's thread.
    pub fn folders(&self) -> Result<Vec<FolderInfo>, Error> {
        Ok(self.store.folders()?)
    }

    /// Things the user should know about the store as a whole.
    pub fn warnings(&self) -> Vec<String> {
        self.store.warnings()
    }

    /// The folders and files the store reads.
    pub fn reads(&self) -> Vec<PathBuf> {
        self.store.reads()
    }

    /// Accounts of the store with messages only on their server (never downloaded), and
    /// where that server is. Counting may read every mailbox file once (as
    /// [`Source::folders`] does, whose counts it reuses), so call it off the GUI's thread.
    pub fn gaps(&self) -> Vec<sources::ServerGap> {
        self.store.gaps()
    }

    /// Fetches those messages of `account` (a [`sources::ServerGap::account`]) from its server
    /// during the job, logged in as `server` says (the gap's server with the password the
    /// user gave). Logs in now; on an error (a refused password, an untrusted certificate)
    /// the job still runs, and the messages are listed as not fetched, with the reason.
    pub fn fill_gaps(
        &self,
        account: &str,
        server: sources::imap::ImapAccount,
    ) -> Result<(), Error> {
        Ok(self.store.fill_gaps(account, server)?)
    }

    pub(crate) fn store(&self) -> &dyn MailStore {
        self.store.as_ref()
    }
}

/// Which folders of a store are converted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FolderSelection {
    /// Every folder of the store.
    #[default]
    All,
    /// Exactly these folders (a folder's subfolders are not implied). Their parent folders
    /// appear in the PST so the tree keeps its shape, without their own messages.
    Only(Vec<FolderPath>),
}

impl FolderSelection {
    pub fn contains(&self, folder: &FolderPath) -> bool {
        match self {
            FolderSelection::All => true,
            FolderSelection::Only(folders) => folders.contains(folder),
        }
    }
}

/// One store of the job and the folders taken from it.
#[derive(Clone, Debug)]
pub struct StoreSelection {
    pub source: Source,
    pub folders: FolderSelection,
}

impl StoreSelection {
    /// Every folder of `source`.
    pub fn all(source: Source) -> StoreSelection {
        StoreSelection {
            source,
            folders: FolderSelection::All,
        }
    }
}

/// Days whose messages are converted, both ends included. A day runs from midnight to
/// midnight UTC. A message with no date at all (no `Date:` header, no date from the store) is
/// always converted: leaving it out would lose mail the range cannot say anything about.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// True when the range lets every message through.
    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether a message dated `unix_seconds` lies in the range.
    pub fn contains(&self, unix_seconds: i64) -> bool {
        let after_start = self.from.is_none_or(|from| unix_seconds >= day_start(from));
        let before_end = self.to.is_none_or(|to| {
            to.succ_opt()
                .is_none_or(|next| unix_seconds < day_start(next))
        });
        after_start && before_end
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (None, None) => f.write_str("all dates"),
            (Some(from), None) => write!(f, "from {from}"),
            (None, Some(to)) => write!(f, "up to {to}"),
            (Some(from), Some(to)) => write!(f, "{from} to {to}"),
        }
    }
}

fn day_start(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp()
}

/// How a job converts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// A new PST file is started before one would grow past this many bytes: `out.pst`,
    /// `out-2.pst`, …, each with the whole folder tree. Between [`MIN_SPLIT_SIZE`] and
    /// [`MAX_SPLIT_SIZE`].
    pub split_size: u64,
    pub date_range: DateRange,
    /// Leave out a message when one with the same Message-ID and the same content was already
    /// written in this job (copies in several folders or stores).
    pub skip_duplicates: bool,
    /// Convert Trash and Junk folders too. On by default: nothing the user has is left out
    /// unless they ask.
    pub include_trash_junk: bool,
    /// Read the PST back after writing and compare its folder counts with what was written.
    pub verify: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            split_size: DEFAULT_SPLIT_SIZE,
            date_range: DateRange::default(),
            skip_duplicates: false,
            include_trash_junk: true,
            verify: true,
        }
    }
}

impl Options {
    /// Checks the options a person can get wrong.
    pub fn validate(&self) -> Result<(), Error> {
        if !(MIN_SPLIT_SIZE..=MAX_SPLIT_SIZE).contains(&self.split_size) {
            return Err(Error::InvalidOption(format!(
                "the split size {} is outside {} to {}",
                format_size(self.split_size),
                format_size(MIN_SPLIT_SIZE),
                format_size(MAX_SPLIT_SIZE)
            )));
        }
        if let (Some(from), Some(to)) = (self.date_range.from, self.date_range.to)
            && from > to
        {
            return Err(Error::InvalidOption(format!(
                "the date range starts on {from}, after its end on {to}"
            )));
        }
        Ok(())
    }
}

/// Everything a conversion needs.
#[derive(Clone, Debug)]
pub struct JobSpec {
    /// The stores, in the order their folders appear in the PST.
    pub stores: Vec<StoreSelection>,
    /// The PST to write (the first part when the job splits).
    pub output: PathBuf,
    /// Replace an existing output (and its split parts and reports).
    pub overwrite: bool,
    pub options: Options,
    /// The license to run under; `None` asks [`crate::license::current`] when the job starts.
    pub license: Option<LicenseStatus>,
    /// The time, as Unix seconds, stamped where the PST format needs a date the mail does not
    /// give (creation time of an undated message) and used for the store's identity; `None`
    /// takes the clock when the job starts. Fix it to get byte-identical PSTs from the same
    /// input.
    pub now: Option<i64>,
}

impl JobSpec {
    /// A job converting every folder of `sources` into `output` with the default options.
    pub fn new(sources: Vec<Source>, output: impl Into<PathBuf>) -> JobSpec {
        JobSpec {
            stores: sources.into_iter().map(StoreSelection::all).collect(),
            output: output.into(),
            overwrite: false,
            options: Options::default(),
            license: None,
            now: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_size_outside_outlooks_limits_is_refused() {
        let mut options = Options::default();
        assert_eq!(options.split_size, DEFAULT_SPLIT_SIZE);
        options.validate().unwrap();
        options.split_size = MAX_SPLIT_SIZE + 1;
        let error = options.validate().unwrap_err().to_string();
        assert!(error.contains("outside 2 MB to 50 GB"), "{error}");
        options.split_size = MIN_SPLIT_SIZE - 1;
        assert!(options.validate().is_err());
    }

    #[test]
    fn date_range_includes_both_days_in_utc() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let range = DateRange {
            from: Some(day("2024-03-01")),
            to: Some(day("2024-03-31")),
        };
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        assert!(!range.contains(at("2024-02-29T23:59:59Z")));
        assert!(range.contains(at("2024-03-01T00:00:00Z")));
        assert!(range.contains(at("2024-03-31T23:59:59Z")));
        assert!(!range.contains(at("2024-04-01T00:00:00Z")));
        // 00:30 on April 1st in Berlin is still March 31st in UTC.
        assert!(range.contains(at("2024-04-01T00:30:00+02:00")));
        assert!(DateRange::default().contains(i64::MIN));
        assert!(DateRange::default().is_unbounded());
    }

    #[test]
    fn a_range_that_ends_before_it_starts_is_refused() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let options = Options {
            date_range: DateRange {
                from: Some(day("2024-05-01")),
                to: Some(day("2024-04-01")),
            },
            ..Options::default()
        };
        let error = options.validate().unwrap_err().to_string();
        assert!(error.contains("2024-05-01"), "{error}");
    }

    #[test]
    fn an_explicit_folder_list_selects_only_those_folders() {
        let inbox = FolderPath::new(["a", "Inbox"]);
        let only = FolderSelection::Only(vec![inbox.clone()]);
        assert!(only.contains(&inbox));
        assert!(!only.contains(&FolderPath::new(["a"])));
        assert!(FolderSelection::All.contains(&FolderPath::new(["a"])));
    }
}
