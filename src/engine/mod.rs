//! The job engine: everything a conversion does between "these stores, this PST" and the
//! report, for the CLI and the desktop app alike. Both only build a [`JobSpec`], run it and
//! show its [`Event`]s; nothing here knows about terminals or windows.
//!
//! ```text
//!  reading thread ──items──► rayon threads ──converted──► sequencing thread ──outcomes──► writing
//!  (stores, in order,         (convert, in              (back in order; demo    (caller's thread:
//!   numbered; ≤ 16 MiB         any order)                limit, dates,           PST parts, counts,
//!   of mail in flight)                                   duplicates)             progress events)
//! ```
//!
//! * [`Source::open`] opens a store, [`Source::open_all`] every store a path holds (each
//!   profile of a Thunderbird folder); [`Source::folders`] lists its folders with counts
//!   ([`list_store`] for `scan`); [`discover()`] finds the stores in their usual places.
//! * [`run`] converts on the calling thread; [`Job::start`] on a thread of its own, for a window
//!   that must never wait. Either way a [`CancelToken`] stops the job between two messages, and
//!   a stopped job leaves no file behind.
//! * Without a valid license ([`crate::license::current`]) at most
//!   [`DEMO_MESSAGES_PER_FOLDER`] messages per folder are written — the first ones in the
//!   folder's order — and the [`Report`] says per folder how many more a license would convert.
//!   Listing and verifying are never limited.
//! * The [`Report`] reconciles every folder (found = written + skipped, with reasons) and is
//!   saved beside the PST as `OUT.report.json` and `OUT.report.html`.
//! * [`compare`] reads a PST back and matches it message by message with its sources
//!   (`mail2pst verify`).

mod claim;
mod discover;
mod error;
mod filter;
mod job;
mod memory;
mod output;
mod pipeline;
mod plan;
mod progress;
mod read_back;
mod report;
mod spec;
mod text;
mod zone;

use std::path::PathBuf;

use serde::Serialize;

pub use crate::sources::ServerGap;
pub use crate::sources::imap::{
    DEFAULT_IMAP_PORT, DEFAULT_IMAPS_PORT, ImapAccount, KEYCHAIN_SERVICE, Keychain, KeychainError,
    Password, Security, default_port, entry_name as keychain_entry_name,
};
pub use discover::{
    Discovery, SearchRoots, SystemLayout, UsualPlace, discover, discover_in, usual_places,
};
pub use error::Error;
pub use filter::is_trash_or_junk;
pub use job::{Job, run};
pub use memory::give_back_free_memory;
pub use output::existing_outputs;
pub use pipeline::DEMO_MESSAGES_PER_FOLDER;
pub use plan::{FolderRole, Plan, PlannedFolder, PlannedStore};
pub use progress::{CancelToken, Event, PROGRESS_INTERVAL, Progress};
pub use read_back::{
    Comparison, FieldDifference, FolderComparison, MessageDifference, compare, folder_counts,
    pst_parts,
};
pub use report::{
    ConvertedWithWarnings, DeletedCopy, FolderReport, LicenseInfo, OptionsInfo, OutputFile,
    REPORT_FORMAT, Report, SkipCounts, SkippedItem, Status, StoreReport, Totals, report_paths,
};
pub use spec::{
    DEFAULT_SPLIT_SIZE, DateRange, FolderSelection, JobSpec, MAX_SPLIT_SIZE, MIN_SPLIT_SIZE,
    Options, Source, StoreSelection,
};
pub use text::{capitalized, format_size, parse_day, parse_size};
pub use zone::local_time_zone;

use crate::model::{FolderKind, FolderPath, StoreKind};

/// One folder of a store, as `scan` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FolderListing {
    pub path: FolderPath,
    pub count: u64,
    pub notes: Vec<String>,
    /// Mail, contacts, events or tasks.
    pub kind: FolderKind,
}

/// An account of a store whose messages are partly only on its server, as `scan` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GapListing {
    /// The account's name, as the mail client shows it.
    pub account: String,
    /// Messages the store lists but never downloaded.
    pub messages: u64,
    /// The server's address (`imaps://user@host:993/`), when the store says which it is.
    pub server: Option<String>,
    /// Why the server is not known; the messages then cannot be fetched.
    pub unknown_server: Option<String>,
    /// The gap itself, to fill with [`Source::fill_gaps`].
    #[serde(skip)]
    pub gap: ServerGap,
}

impl GapListing {
    fn new(gap: ServerGap) -> GapListing {
        GapListing {
            account: gap.name.clone(),
            messages: gap.messages,
            server: gap.server.as_ref().ok().map(ImapAccount::url),
            unknown_server: gap.server.as_ref().err().cloned(),
            gap,
        }
    }
}

/// A store and its folders, as `scan` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoreListing {
    pub name: String,
    pub kind: StoreKind,
    #[serde(with = "crate::model::path_json")]
    pub root: PathBuf,
    pub folders: Vec<FolderListing>,
    pub warnings: Vec<String>,
    /// Why the folders could not be listed.
    pub error: Option<String>,
    /// Accounts with messages only on their server (never downloaded).
    pub gaps: Vec<GapListing>,
}

impl StoreListing {
    /// Messages in all folders.
    pub fn messages(&self) -> u64 {
        self.folders.iter().map(|f| f.count).sum()
    }
}

/// Lists a store's folders with their message counts (reads the store; never limited).
pub fn list_store(source: &Source) -> StoreListing {
    let (folders, error) = match source.folders() {
        Ok(folders) => (
            folders
                .into_iter()
                .map(|f| FolderListing {
                    path: f.path,
                    count: f.count,
                    notes: f.notes,
                    kind: f.kind,
                })
                .collect(),
            None,
        ),
        Err(error) => (Vec::new(), Some(error.to_string())),
    };
    // After `folders()`, which counted them.
    let gaps = if error.is_none() {
        source.gaps().into_iter().map(GapListing::new).collect()
    } else {
        Vec::new()
    };
    StoreListing {
        name: source.name(),
        kind: source.kind(),
        root: source.root(),
        folders,
        warnings: source.warnings(),
        error,
        gaps,
    }
}
