//! The job's report: for every folder what was found, written and skipped (with reasons), what
//! was converted with warnings, and whether the numbers add up. Saved beside the PST as JSON
//! (for programs) and as a self-contained HTML page (for people); the CLI prints
//! [`Report::summary_table`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{FolderKind, FolderPath, Origin, SkipReason, StoreKind, path_json};

use super::error::Error;
use super::plan::{FolderRole, Plan};
use super::spec::Options;
use super::text::capitalized;

mod html;

/// The version of the report's JSON layout (2: deleted copies apart from skips).
pub const REPORT_FORMAT: u32 = 2;

/// How a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every message found was written, and the PST holds them.
    Complete,
    /// The PST holds what was written, but some messages were skipped or some folders could
    /// not be read; the report says which and why.
    Incomplete,
    /// Stopped on request; nothing was kept.
    Cancelled,
    /// The numbers do not add up (found ≠ written + skipped, or the PST holds something else
    /// than was written, or cannot be read back). The report lists the problems; no PST was
    /// kept.
    Failed,
}

impl Status {
    pub fn describe(self) -> &'static str {
        match self {
            Status::Complete => "complete: every message found was written",
            Status::Incomplete => "finished; some messages were not written (see the report)",
            Status::Cancelled => "cancelled; nothing was kept",
            Status::Failed => "failed: the PST did not pass the job's checks and was not kept",
        }
    }

    /// [`Status::describe`] as a sentence of its own, for the end of a summary.
    pub fn sentence(self) -> String {
        capitalized(self.describe())
    }
}

/// Counts of skipped messages by reason. Copies the mail client had deleted are no skips:
/// [`FolderReport::deleted`] lists them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipCounts {
    pub not_downloaded: u64,
    pub unreadable: u64,
    pub not_a_message: u64,
    pub duplicate: u64,
    pub demo_limit: u64,
    pub outside_date_range: u64,
    pub folder_excluded: u64,
}

impl SkipCounts {
    /// Counts `count` messages skipped for `reason`. A copy the mail client deleted is not a
    /// skip and is not counted here: the job lists it as a [`DeletedCopy`].
    pub fn add(&mut self, reason: &SkipReason, count: u64) {
        let slot = match reason {
            SkipReason::DeletedInSource(_) => return,
            SkipReason::NotDownloaded | SkipReason::NotFetched(_) => &mut self.not_downloaded,
            SkipReason::Unreadable(_) => &mut self.unreadable,
            SkipReason::NotAMessage(_) => &mut self.not_a_message,
            SkipReason::Duplicate => &mut self.duplicate,
            SkipReason::DemoLimit => &mut self.demo_limit,
            SkipReason::OutsideDateRange => &mut self.outside_date_range,
            SkipReason::FolderExcluded => &mut self.folder_excluded,
        };
        *slot += count;
    }

    /// The counts with a label each, in a fixed order, leaving out zeros.
    pub fn labelled(&self) -> Vec<(&'static str, u64)> {
        [
            ("not downloaded from the server", self.not_downloaded),
            ("unreadable", self.unreadable),
            ("not a mail message", self.not_a_message),
            ("duplicates", self.duplicate),
            ("more with a license", self.demo_limit),
            ("outside the date range", self.outside_date_range),
            ("folder left out", self.folder_excluded),
        ]
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .collect()
    }

    pub fn total(&self) -> u64 {
        self.labelled().iter().map(|(_, count)| count).sum()
    }

    fn merge(&mut self, other: &SkipCounts) {
        self.not_downloaded += other.not_downloaded;
        self.unreadable += other.unreadable;
        self.not_a_message += other.not_a_message;
        self.duplicate += other.duplicate;
        self.demo_limit += other.demo_limit;
        self.outside_date_range += other.outside_date_range;
        self.folder_excluded += other.folder_excluded;
    }
}

/// A copy the mail client had deleted but not yet removed from its files (Thunderbird's
/// expunged messages before a compaction, Apple Mail's and maildir's deleted flags, `D` in an
/// mbox's `X-Status`). It is not the user's mail, as the client does not show it: it is left
/// out and not counted as found, but listed, so that nothing disappears without a word.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedCopy {
    pub origin: Origin,
    /// The mail client that deleted it ("Thunderbird", "Apple Mail", "the mail client").
    pub client: String,
}

/// One message that is not in the PST, and why. Demo-limited messages and those of excluded
/// folders are only counted, not listed one by one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    /// Where it is in the source; `None` for messages a folder error kept from being reached.
    pub origin: Option<Origin>,
    /// How many messages this line stands for (more than one only for a folder error).
    pub count: u64,
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// A message that was written, but not as a perfect copy or with something the source had to
/// repair: what was done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvertedWithWarnings {
    pub origin: Origin,
    pub subject: Option<String>,
    /// The PST message is not a faithful copy (e.g. an unreadable message kept as an
    /// attachment).
    pub degraded: bool,
    pub warnings: Vec<String>,
}

/// One folder of the PST (or of the plan, when excluded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderReport {
    /// Index into [`Report::stores`].
    pub store: usize,
    pub source_path: FolderPath,
    pub pst_path: Vec<String>,
    pub role: FolderRole,
    /// Messages found: written + skipped. Deleted copies are not messages found.
    pub found: u64,
    /// Messages in the PST: what the read-back found when the job verified, else what the
    /// writer wrote.
    pub written: u64,
    /// Of those written, messages the local store never downloaded, fetched from its server.
    #[serde(default)]
    pub from_server: u64,
    pub skipped: SkipCounts,
    pub skipped_items: Vec<SkippedItem>,
    /// Copies the mail client had deleted, left out (not counted in `found`).
    pub deleted: Vec<DeletedCopy>,
    pub converted_with_warnings: Vec<ConvertedWithWarnings>,
    /// Why the folder (or its rest) could not be read.
    pub read_error: Option<String>,
    /// What the read-back found in the PST that is not what the independent reading saw in the
    /// source: one line per message, with what each side holds.
    #[serde(default)]
    pub read_back_differences: Vec<String>,
    pub notes: Vec<String>,
    /// Mail, contacts, events or tasks.
    #[serde(default)]
    pub kind: FolderKind,
}

impl FolderReport {
    /// True when found = written + skipped.
    pub fn reconciles(&self) -> bool {
        self.found == self.written + self.skipped.total()
    }

    /// Messages a license would add to this folder.
    pub fn more_with_license(&self) -> u64 {
        self.skipped.demo_limit
    }

    pub fn display_path(&self) -> String {
        self.pst_path.join(" › ")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreReport {
    pub name: String,
    pub kind: StoreKind,
    #[serde(with = "path_json")]
    pub root: PathBuf,
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

/// One PST file the job wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    #[serde(with = "path_json")]
    pub path: PathBuf,
    pub bytes: u64,
    pub messages: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseInfo {
    pub licensed: bool,
    /// `Name <e-mail>, Personal edition` when licensed.
    pub licensee: Option<String>,
    /// Why a key that was found is not used.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionsInfo {
    pub split_size: u64,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub skip_duplicates: bool,
    pub include_trash_junk: bool,
    pub verify: bool,
}

impl From<&Options> for OptionsInfo {
    fn from(options: &Options) -> Self {
        OptionsInfo {
            split_size: options.split_size,
            date_from: options.date_range.from.map(|d| d.to_string()),
            date_to: options.date_range.to.map(|d| d.to_string()),
            skip_duplicates: options.skip_duplicates,
            include_trash_junk: options.include_trash_junk,
            verify: options.verify,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub found: u64,
    pub written: u64,
    /// Of those written, messages fetched from a server in place of a local store's gaps.
    #[serde(default)]
    pub from_server: u64,
    pub skipped: SkipCounts,
    pub converted_with_warnings: u64,
    pub degraded: u64,
    /// Folders whose reading stopped on an error.
    pub folder_errors: u64,
    /// Messages the read-back found different from the independent reading of their source.
    #[serde(default)]
    pub read_back_differences: u64,
    /// Copies the mail clients had deleted, left out (not in `found`).
    pub deleted: u64,
}

/// The whole report of a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: u32,
    pub app_version: String,
    pub status: Status,
    /// When the job started, RFC 3339 in UTC.
    pub started: String,
    pub seconds: f64,
    pub license: LicenseInfo,
    pub options: OptionsInfo,
    pub outputs: Vec<OutputFile>,
    /// The JSON and HTML files of this report, once saved.
    #[serde(with = "path_json::list")]
    pub report_files: Vec<PathBuf>,
    pub stores: Vec<StoreReport>,
    pub folders: Vec<FolderReport>,
    pub totals: Totals,
    /// Whether the PST was read back and compared with what was written.
    pub verified: bool,
    /// Whatever makes the job's numbers untrustworthy: a folder that does not reconcile, a
    /// read-back that disagrees with the writer. Empty for a good job.
    pub problems: Vec<String>,
    /// Things worth knowing that do not change the numbers (a report that could not be saved).
    pub notes: Vec<String>,
}

impl Report {
    /// An empty report for `plan`: one row per folder, nothing counted yet. Excluded folders
    /// are counted as skipped at once.
    pub(crate) fn for_plan(
        plan: &Plan,
        options: &Options,
        license: LicenseInfo,
        started: String,
    ) -> Report {
        let stores = plan
            .stores
            .iter()
            .map(|s| StoreReport {
                name: s.name.clone(),
                kind: s.kind,
                root: s.root.clone(),
                warnings: s.warnings.clone(),
                error: s.error.clone(),
            })
            .collect();
        let folders = plan
            .folders
            .iter()
            .map(|f| {
                let mut folder = FolderReport {
                    store: f.store,
                    source_path: f.source_path.clone(),
                    pst_path: f.pst_path.clone(),
                    role: f.role,
                    found: 0,
                    written: 0,
                    from_server: 0,
                    skipped: SkipCounts::default(),
                    skipped_items: Vec::new(),
                    deleted: Vec::new(),
                    converted_with_warnings: Vec::new(),
                    read_error: None,
                    read_back_differences: Vec::new(),
                    notes: f.notes.clone(),
                    kind: f.kind,
                };
                if f.role == FolderRole::Excluded {
                    folder.found = f.count;
                    folder.skipped.add(&SkipReason::FolderExcluded, f.count);
                }
                folder
            })
            .collect();
        Report {
            format: REPORT_FORMAT,
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            status: Status::Complete,
            started,
            seconds: 0.0,
            license,
            options: OptionsInfo::from(options),
            outputs: Vec::new(),
            report_files: Vec::new(),
            stores,
            folders,
            totals: Totals::default(),
            verified: false,
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Sums the folders, checks that every folder reconciles, notes the deleted copies left
    /// out and sets the status. Deleted copies do not make a job incomplete.
    pub(crate) fn finalize(&mut self, cancelled: bool) {
        let mut totals = Totals::default();
        let mut deleted_by_client: BTreeMap<&str, u64> = BTreeMap::new();
        for folder in &self.folders {
            totals.deleted += folder.deleted.len() as u64;
            for copy in &folder.deleted {
                *deleted_by_client.entry(copy.client.as_str()).or_default() += 1;
            }
            totals.found += folder.found;
            totals.written += folder.written;
            totals.from_server += folder.from_server;
            totals.skipped.merge(&folder.skipped);
            totals.converted_with_warnings += folder.converted_with_warnings.len() as u64;
            totals.degraded += folder
                .converted_with_warnings
                .iter()
                .filter(|w| w.degraded)
                .count() as u64;
            totals.folder_errors += u64::from(folder.read_error.is_some());
            totals.read_back_differences += folder.read_back_differences.len() as u64;
            if !cancelled && !folder.reconciles() {
                self.problems.push(format!(
                    "{}: {} found, but {} written and {} skipped",
                    folder.display_path(),
                    folder.found,
                    folder.written,
                    folder.skipped.total()
                ));
            }
        }
        let not_fetched: u64 = self
            .folders
            .iter()
            .flat_map(|folder| &folder.skipped_items)
            .filter(|item| matches!(item.reason, SkipReason::NotFetched(_)))
            .map(|item| item.count)
            .sum();
        if totals.from_server > 0 || not_fetched > 0 {
            let messages =
                |count: u64| format!("{count} message{}", if count == 1 { "" } else { "s" });
            let mut note = format!(
                "{} the mail client never downloaded came from the server",
                messages(totals.from_server)
            );
            if not_fetched > 0 {
                note.push_str(&format!(
                    "; {} could not be fetched (the folders' details say why)",
                    messages(not_fetched)
                ));
            }
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        for (client, count) in deleted_by_client {
            let note = deleted_note(client, count);
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        self.totals = totals;
        let store_errors = self.stores.iter().any(|s| s.error.is_some());
        self.status = if cancelled {
            Status::Cancelled
        } else if !self.problems.is_empty() {
            Status::Failed
        } else if totals.skipped.total() > 0
            || totals.folder_errors > 0
            || totals.read_back_differences > 0
            || store_errors
        {
            Status::Incomplete
        } else {
            Status::Complete
        };
    }

    /// The skip counts of all folders as they stand, for progress while the job runs.
    pub(crate) fn skipped_so_far(&self) -> SkipCounts {
        let mut counts = SkipCounts::default();
        for folder in &self.folders {
            counts.merge(&folder.skipped);
        }
        counts
    }

    /// Messages a license would add, over all folders.
    pub fn more_with_license(&self) -> u64 {
        self.totals.skipped.demo_limit
    }

    pub fn to_json(&self) -> String {
        // A report is plain data, and its paths are written whatever their bytes (see
        // `path_json`): serialising it does not fail. Were it to, the file still says so.
        serde_json::to_string_pretty(self).unwrap_or_else(|error| {
            serde_json::json!({
                "format": REPORT_FORMAT,
                "status": self.status,
                "error": format!("the report could not be written: {error}"),
            })
            .to_string()
        })
    }

    pub fn from_json(text: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Writes `OUT.report.json` and `OUT.report.html` beside the first PST and lists them in
    /// [`Report::report_files`]. Each is written under a temporary name and then renamed, so a
    /// report is whole or absent, and a link at its name is replaced, never written through.
    pub fn save_beside(&mut self, output: &Path) -> Result<(), Error> {
        let (json_path, html_path) = report_paths(output);
        self.report_files = vec![json_path.clone(), html_path.clone()];
        write_replacing(&json_path, self.to_json().as_bytes())?;
        write_replacing(&html_path, html::render(self).as_bytes())?;
        Ok(())
    }

    /// The kinds of item the job found (of the folders it converted when it found none).
    fn kinds(&self) -> Vec<FolderKind> {
        let converted = || {
            self.folders
                .iter()
                .filter(|f| f.role == FolderRole::Convert)
        };
        let mut kinds: Vec<FolderKind> = converted()
            .filter(|f| f.found > 0)
            .map(|f| f.kind)
            .collect();
        if kinds.is_empty() {
            kinds = converted().map(|f| f.kind).collect();
        }
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }

    /// What the job's items are called, singular and plural: "message"/"messages" for mail,
    /// "contact"/"contacts" for an address book, …; "item"/"items" when it held several kinds.
    pub fn item_words(&self) -> (&'static str, &'static str) {
        match self.kinds().as_slice() {
            [] => (FolderKind::Mail.item(), FolderKind::Mail.items()),
            [kind] => (kind.item(), kind.items()),
            _ => ("item", "items"),
        }
    }

    /// `count` of the job's items in words: "1 contact", "18 items".
    pub fn items(&self, count: u64) -> String {
        let (one, many) = self.item_words();
        format!("{count} {}", if count == 1 { one } else { many })
    }

    /// The items found, kind by kind, when the job held several kinds: "12 messages,
    /// 3 contacts and 5 events"; `None` for one kind.
    pub fn found_by_kind(&self) -> Option<String> {
        let kinds = self.kinds();
        if kinds.len() < 2 {
            return None;
        }
        let parts: Vec<String> = kinds
            .iter()
            .map(|kind| {
                let found: u64 = self
                    .folders
                    .iter()
                    .filter(|f| f.role == FolderRole::Convert && f.kind == *kind)
                    .map(|f| f.found)
                    .sum();
                format!(
                    "{found} {}",
                    if found == 1 {
                        kind.item()
                    } else {
                        kind.items()
                    }
                )
            })
            .collect();
        Some(match parts.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        })
    }

    /// How the job ended, as the last sentence of a summary, in the words of its items.
    pub fn status_sentence(&self) -> String {
        let (one, many) = self.item_words();
        if one == FolderKind::Mail.item() {
            return self.status.sentence();
        }
        capitalized(&match self.status {
            Status::Complete => format!("complete: every {one} found was written"),
            Status::Incomplete => {
                format!("finished; some {many} were not written (see the report)")
            }
            other => other.describe().to_owned(),
        })
    }

    /// The CLI's summary: one line per folder with its numbers and why messages were skipped,
    /// then the totals.
    pub fn summary_table(&self) -> String {
        let header = ["Folder", "Found", "Written", "Skipped", "Why skipped"];
        let mut rows: Vec<[String; 5]> = Vec::new();
        for folder in &self.folders {
            let why = folder
                .skipped
                .labelled()
                .iter()
                .map(|(label, count)| format!("{count} {label}"))
                .collect::<Vec<_>>()
                .join(", ");
            let why = match &folder.read_error {
                Some(error) if why.is_empty() => format!("read error: {error}"),
                Some(error) => format!("{why}; read error: {error}"),
                None => why,
            };
            rows.push([
                folder.display_path(),
                folder.found.to_string(),
                folder.written.to_string(),
                folder.skipped.total().to_string(),
                why,
            ]);
        }
        rows.push([
            "Total".to_owned(),
            self.totals.found.to_string(),
            self.totals.written.to_string(),
            self.totals.skipped.total().to_string(),
            String::new(),
        ]);
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: [&str; 5]| {
            let mut text = String::new();
            for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
                let pad = width.saturating_sub(cell.chars().count());
                match index {
                    0 | 4 => {
                        text.push_str(cell);
                        if index == 0 {
                            text.push_str(&" ".repeat(pad));
                        }
                    }
                    _ => {
                        text.push_str(&" ".repeat(pad));
                        text.push_str(cell);
                    }
                }
                if index < 4 {
                    text.push_str("  ");
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut out, header);
        let rule = widths.map(|w| "-".repeat(w));
        line(&mut out, [&rule[0], &rule[1], &rule[2], &rule[3], &rule[4]]);
        let count = rows.len();
        for (index, row) in rows.iter().enumerate() {
            if index + 1 == count {
                line(&mut out, [&rule[0], &rule[1], &rule[2], &rule[3], &rule[4]]);
            }
            line(&mut out, [&row[0], &row[1], &row[2], &row[3], &row[4]]);
        }
        if self.totals.converted_with_warnings > 0 {
            let _ = writeln!(
                out,
                "{} messages were converted with warnings ({} of them not as faithful copies); \
                 the report lists them.",
                self.totals.converted_with_warnings, self.totals.degraded
            );
        }
        for folder in &self.folders {
            for difference in &folder.read_back_differences {
                let _ = writeln!(out, "{}: {difference}", folder.display_path());
            }
        }
        if self.totals.read_back_differences > 0 {
            let _ = writeln!(
                out,
                "{} messages in the PST are not what an independent reading of their source \
                 sees (listed above and in the report).",
                self.totals.read_back_differences
            );
        }
        if !self.license.licensed && self.more_with_license() > 0 {
            let _ = writeln!(
                out,
                "Demo mode: at most ten {} per folder were written; a license would convert \
                 {} more.",
                self.item_words().1,
                self.more_with_license()
            );
        }
        for problem in &self.problems {
            let _ = writeln!(out, "Problem: {problem}");
        }
        out
    }
}

/// "3 deleted copies left out, as Thunderbird shows them".
fn deleted_note(client: &str, count: u64) -> String {
    if count == 1 {
        format!("1 deleted copy left out, as {client} shows it")
    } else {
        format!("{count} deleted copies left out, as {client} shows them")
    }
}

/// Writes `bytes` to a hidden temporary file beside `path` (`.NAME.XXXXXX.tmp`) and renames it
/// to `path`.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io_error = |source| Error::output_io(path, source, 0);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    let mut file = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_error)?;
    file.write_all(bytes).map_err(io_error)?;
    file.persist(path).map_err(|e| io_error(e.error))?;
    Ok(())
}

/// `OUT.report.json` and `OUT.report.html` for the PST `OUT.pst`.
pub fn report_paths(output: &Path) -> (PathBuf, PathBuf) {
    let stem = match output.extension() {
        Some(ext) if ext.eq_ignore_ascii_case("pst") => output.with_extension(""),
        _ => output.to_path_buf(),
    };
    let with = |suffix: &str| {
        let mut name = stem.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    (with(".report.json"), with(".report.html"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::{PlannedFolder, PlannedStore};

    pub(crate) fn sample_plan() -> Plan {
        let folder = |path: &[&str], count, role| PlannedFolder {
            store: 0,
            source_path: FolderPath::new(path.iter().copied()),
            parent: None,
            name: path.last().unwrap().to_string(),
            pst_path: path.iter().map(|s| s.to_string()).collect(),
            count,
            role,
            notes: Vec::new(),
            kind: crate::model::FolderKind::Mail,
        };
        Plan {
            stores: vec![PlannedStore {
                name: "Thunderbird — default".into(),
                kind: StoreKind::Thunderbird,
                root: PathBuf::from("profile"),
                warnings: Vec::new(),
                error: None,
            }],
            folders: vec![
                folder(&["alice"], 0, FolderRole::Convert),
                folder(&["alice", "Inbox"], 14, FolderRole::Convert),
                folder(&["alice", "Junk"], 5, FolderRole::Excluded),
            ],
        }
    }

    fn license(licensed: bool) -> LicenseInfo {
        LicenseInfo {
            licensed,
            licensee: None,
            note: None,
        }
    }

    #[test]
    fn excluded_folders_are_counted_as_skipped_from_the_start() {
        let report = Report::for_plan(
            &sample_plan(),
            &Options::default(),
            license(true),
            String::new(),
        );
        let junk = &report.folders[2];
        assert_eq!(junk.found, 5);
        assert_eq!(junk.skipped.folder_excluded, 5);
        assert!(junk.reconciles());
    }

    #[test]
    fn status_follows_the_numbers() {
        let mut report = Report::for_plan(
            &sample_plan(),
            &Options::default(),
            license(false),
            String::new(),
        );
        report.folders[1].found = 14;
        report.folders[1].written = 10;
        report.folders[1].skipped.add(&SkipReason::DemoLimit, 4);
        report.finalize(false);
        assert_eq!(report.status, Status::Incomplete);
        assert_eq!(report.totals.found, 19);
        assert_eq!(report.totals.written, 10);
        assert_eq!(report.more_with_license(), 4);
        assert!(report.problems.is_empty());

        report.folders[1].written = 9;
        report.problems.clear();
        report.finalize(false);
        assert_eq!(report.status, Status::Failed);
        assert_eq!(
            report.problems,
            vec!["alice › Inbox: 14 found, but 9 written and 4 skipped".to_owned()]
        );

        report.problems.clear();
        report.finalize(true);
        assert_eq!(report.status, Status::Cancelled);
    }

    #[test]
    fn a_job_that_wrote_everything_is_complete() {
        let mut plan = sample_plan();
        plan.folders.pop();
        let mut report = Report::for_plan(&plan, &Options::default(), license(true), String::new());
        report.folders[1].found = 14;
        report.folders[1].written = 14;
        report.finalize(false);
        assert_eq!(report.status, Status::Complete);
    }

    #[test]
    fn a_job_of_contacts_and_events_says_so() {
        let mut plan = sample_plan();
        plan.folders.pop();
        let mut report = Report::for_plan(&plan, &Options::default(), license(true), String::new());
        assert_eq!(report.items(14), "14 messages");
        report.folders[1].kind = FolderKind::Contacts;
        report.folders[1].found = 3;
        report.folders[1].written = 3;
        report.finalize(false);
        assert_eq!(report.items(1), "1 contact");
        assert_eq!(report.found_by_kind(), None);
        assert_eq!(
            report.status_sentence(),
            "Complete: every contact found was written"
        );
        report.folders[0].kind = FolderKind::Calendar;
        report.folders[0].found = 1;
        report.folders[0].written = 1;
        report.finalize(false);
        assert_eq!(report.items(4), "4 items");
        assert_eq!(
            report.found_by_kind().as_deref(),
            Some("3 contacts and 1 event")
        );
        assert_eq!(
            report.status_sentence(),
            "Complete: every item found was written"
        );
    }

    #[test]
    fn deleted_copies_are_a_note_not_a_skip() {
        let mut plan = sample_plan();
        plan.folders.pop();
        let mut report = Report::for_plan(&plan, &Options::default(), license(true), String::new());
        let inbox = &mut report.folders[1];
        inbox.found = 12;
        inbox.written = 12;
        for offset in [10, 20] {
            inbox.deleted.push(DeletedCopy {
                origin: Origin::FileOffset {
                    path: PathBuf::from("Inbox"),
                    offset,
                },
                client: "Thunderbird".into(),
            });
        }
        report.folders[0].deleted.push(DeletedCopy {
            origin: Origin::File {
                path: PathBuf::from("x.emlx"),
            },
            client: "Apple Mail".into(),
        });
        report.finalize(false);
        assert_eq!(report.status, Status::Complete);
        assert_eq!(report.totals.deleted, 3);
        assert_eq!(report.totals.skipped.total(), 0);
        assert!(report.folders.iter().all(FolderReport::reconciles));
        let notes = [
            "1 deleted copy left out, as Apple Mail shows it",
            "2 deleted copies left out, as Thunderbird shows them",
        ];
        assert_eq!(report.notes, notes);
        // Finalizing again does not repeat the notes.
        report.finalize(false);
        assert_eq!(report.notes, notes);
        let json = report.to_json();
        assert_eq!(Report::from_json(&json).unwrap(), report);
    }

    #[test]
    fn the_summary_table_lines_up_and_explains_skips() {
        let mut report = Report::for_plan(
            &sample_plan(),
            &Options::default(),
            license(false),
            String::new(),
        );
        report.folders[1].found = 14;
        report.folders[1].written = 10;
        report.folders[1].skipped.add(&SkipReason::DemoLimit, 4);
        report.finalize(false);
        let table = report.summary_table();
        let expected = "\
Folder         Found  Written  Skipped  Why skipped
-------------  -----  -------  -------  ---------------------
alice              0        0        0
alice › Inbox     14       10        4  4 more with a license
alice › Junk       5        0        5  5 folder left out
-------------  -----  -------  -------  ---------------------
Total             19       10        9
Demo mode: at most ten messages per folder were written; a license would convert 4 more.
";
        assert_eq!(table, expected);
    }

    #[test]
    fn the_json_report_reads_back_the_same() {
        let mut report = Report::for_plan(
            &sample_plan(),
            &Options::default(),
            license(true),
            "2024-01-01T00:00:00Z".into(),
        );
        report.folders[1].skipped_items.push(SkippedItem {
            origin: Some(Origin::FileOffset {
                path: PathBuf::from("Inbox"),
                offset: 42,
            }),
            count: 1,
            reason: SkipReason::Unreadable("truncated".into()),
        });
        report.finalize(false);
        let json = report.to_json();
        assert!(json.contains("\"reason\": \"unreadable\""), "{json}");
        assert_eq!(Report::from_json(&json).unwrap(), report);
    }

    #[test]
    fn report_files_sit_beside_the_pst() {
        let (json, html) = report_paths(Path::new("out/mail.pst"));
        assert_eq!(json, PathBuf::from("out/mail.report.json"));
        assert_eq!(html, PathBuf::from("out/mail.report.html"));
        let (json, _) = report_paths(Path::new("backup.PST"));
        assert_eq!(json, PathBuf::from("backup.report.json"));
        let (json, _) = report_paths(Path::new("archive"));
        assert_eq!(json, PathBuf::from("archive.report.json"));
    }
}
