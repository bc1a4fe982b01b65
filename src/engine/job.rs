//! Running a job: the pipeline of docs/design.md §3. One thread reads the stores in order and
//! numbers what it finds; rayon's threads convert the messages in parallel, each as soon as it is
//! read; a sequencing thread puts them back in the stores' order and decides what is written and
//! what is skipped; the calling thread writes the PST. The mail between reading and writing is
//! bounded in bytes ([`IN_FLIGHT_BYTES`]), whatever the mailbox size.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use rayon::prelude::*;

use crate::convert::{self, Converted};
use crate::license::{self, LicenseStatus};
use crate::model::{FolderKind, Found, Origin, RawMessage, SkipReason};
use crate::pst;
use crate::reading;

use super::claim;
use super::error::Error;
use super::filter::{SeenMessages, compact_key};
use super::output::{Added, FinishedPart, OutputPaths, Parts};
use super::plan::{FolderRole, Plan};
use super::progress::{CancelToken, Event, Meter, Progress};
use super::report::{
    ConvertedWithWarnings, DeletedCopy, LicenseInfo, OutputFile, Report, SkipCounts, SkippedItem,
    Status,
};
use super::spec::{DateRange, JobSpec};
use super::verify::{self, Expected, Facts};

/// The report's note when a PST failed the job's checks.
const NOT_KEPT: &str =
    "the PST did not pass the job's checks (see the problems), so it was not kept";

/// Messages the demo writes per folder.
pub const DEMO_MESSAGES_PER_FOLDER: u64 = 10;

/// Bytes of mail read but not yet written. A message takes about twice its size while it is
/// converted, so this keeps the pipeline's memory under a hundred megabytes; a larger message
/// goes through alone.
const IN_FLIGHT_BYTES: u64 = 32 * 1024 * 1024;
/// Items waiting for a converting thread, and outcomes waiting for the writer.
const QUEUE: usize = 64;

/// What the reading thread found, in the stores' order.
#[derive(Debug)]
enum Item {
    Found {
        folder: usize,
        found: Found,
    },
    /// The folder (or its rest) could not be read.
    FolderError {
        folder: usize,
        error: String,
    },
}

/// What the writing side does with one item, decided in order.
#[derive(Debug)]
enum Outcome {
    Write {
        folder: usize,
        origin: Origin,
        converted: Box<Converted>,
        /// What the read-back is to find, as the independent reading saw the message.
        facts: Option<Box<Facts>>,
        source_warnings: Vec<String>,
        bytes: u64,
    },
    Skip {
        folder: usize,
        origin: Option<Origin>,
        reason: SkipReason,
        bytes: u64,
    },
    /// A copy the mail client had deleted: left out, listed, not counted as found.
    Deleted {
        folder: usize,
        origin: Origin,
        client: String,
    },
    FolderError {
        folder: usize,
        error: String,
    },
}

/// Runs a job on the calling thread (it starts its own helper threads) and returns its report.
/// `on_event` is called on this thread with the plan, progress (at most 20 times a second) and
/// the files as they are finished.
///
/// An `Err` means the job could not run or stopped on something that concerns it as a whole
/// (no room on the disk, the output cannot be written); nothing it wrote is left. Cancelling
/// returns a report whose status is [`super::Status::Cancelled`], also with nothing left.
pub fn run(
    spec: &JobSpec,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(Event),
) -> Result<Report, Error> {
    let started_at = Instant::now();
    let started = Utc::now();
    spec.options.validate()?;
    if spec.stores.is_empty() {
        return Err(Error::NoSources);
    }
    let paths = OutputPaths::new(&spec.output);
    paths.check(spec)?;
    // Held to the end of the job; dropping it removes the lock file.
    let _lock = claim::lock(&paths)?;
    claim::remove_stale_files(&paths);
    paths.check_free(spec.overwrite)?;
    let license = spec.license.clone().unwrap_or_else(license::current);
    let now = spec.now.unwrap_or_else(|| started.timestamp());

    let plan = Plan::build(&spec.stores, &spec.options);
    on_event(Event::Planned {
        stores: plan.stores.len(),
        folders: plan.folders.iter().filter(|f| f.in_pst()).count(),
        messages: plan.messages_to_read(),
    });
    let mut report = Report::for_plan(
        &plan,
        &spec.options,
        license_info(&license),
        started.to_rfc3339_opts(SecondsFormat::Secs, true),
    );

    let mut parts = Parts::start(&plan, &paths, spec.options.split_size, now)?;
    let written = pipeline(
        spec,
        &plan,
        &license,
        cancel,
        &mut parts,
        &mut report,
        on_event,
    );
    let part_count = parts.count();
    let mut expected = Expected::default();
    let finished = match written {
        Ok(written) if !cancel.is_cancelled() => {
            expected = written;
            parts.finish()
        }
        Ok(_) => {
            drop(parts);
            paths.discard(part_count);
            return Ok(cancelled(report, started_at));
        }
        Err(error) => Err(error),
    };
    let finished = match finished {
        Ok(finished) => finished,
        Err(error) => {
            paths.discard(part_count);
            return Err(error);
        }
    };
    for part in &finished {
        on_event(Event::FileFinished {
            path: paths.part(part.index),
            bytes: part.bytes,
        });
    }

    if spec.options.verify {
        check_parts(
            &plan,
            &finished,
            &paths,
            expected,
            cancel,
            &mut report,
            on_event,
        );
    }
    if cancel.is_cancelled() {
        paths.discard(finished.len());
        return Ok(cancelled(report, started_at));
    }
    report.seconds = started_at.elapsed().as_secs_f64();
    report.finalize(false);
    if report.status == Status::Failed {
        // A PST that does not read back as written, or whose numbers do not add up, is not
        // given its name: only the reports are kept, saying why.
        paths.discard(finished.len());
        report.notes.push(NOT_KEPT.to_owned());
    } else {
        if let Err(error) = paths.commit(finished.len(), spec.overwrite) {
            paths.discard(finished.len());
            return Err(error);
        }
        report.outputs = finished
            .iter()
            .map(|part| OutputFile {
                path: paths.part(part.index),
                bytes: part.bytes,
                messages: part.messages,
            })
            .collect();
    }
    if let Err(error) = report.save_beside(&spec.output) {
        report.report_files.clear();
        report
            .notes
            .push(format!("the report could not be saved: {error}"));
    }
    Ok(report)
}

fn cancelled(mut report: Report, started_at: Instant) -> Report {
    report.seconds = started_at.elapsed().as_secs_f64();
    report.finalize(true);
    report
}

fn license_info(status: &LicenseStatus) -> LicenseInfo {
    match status {
        LicenseStatus::Licensed { license, .. } => LicenseInfo {
            licensed: true,
            licensee: Some(license.to_string()),
            note: None,
        },
        LicenseStatus::Demo { reason } => LicenseInfo {
            licensed: false,
            licensee: None,
            note: reason.clone(),
        },
    }
}

/// Reads, converts and writes every message of the plan, and returns what the read-back is to
/// find. Returns early, without error, when cancelled.
fn pipeline(
    spec: &JobSpec,
    plan: &Plan,
    license: &LicenseStatus,
    cancel: &CancelToken,
    parts: &mut Parts<'_>,
    report: &mut Report,
    on_event: &mut dyn FnMut(Event),
) -> Result<Expected, Error> {
    let (item_tx, item_rx) = bounded::<(u64, Item)>(QUEUE);
    // Unbounded on purpose: every message in it already holds its share of the byte budget,
    // and the sequencer must take in later messages while it waits for the one whose turn it
    // is (docs/design.md §3.3).
    #[allow(clippy::disallowed_methods)]
    let (prepared_tx, prepared_rx) = unbounded::<(u64, Item, Option<Prepared>)>();
    let (outcome_tx, outcome_rx) = bounded::<Outcome>(QUEUE);
    let budget = Budget::new(IN_FLIGHT_BYTES);
    let quota = DemoQuota {
        demo: !license.is_licensed(),
        admitted: plan.folders.iter().map(|_| AtomicU64::new(0)).collect(),
    };
    let decider = Decider {
        date_range: spec.options.date_range,
        quota: &quota,
        seen: SeenMessages::default(),
    };
    let output = OutputPaths::new(&spec.output);
    let converter = Converter {
        spill_dir: output.dir(),
        dates_needed: !spec.options.date_range.is_unbounded(),
        skip_duplicates: spec.options.skip_duplicates,
        read_back: spec.options.verify,
        quota: &quota,
        kinds: plan.folders.iter().map(|f| f.kind).collect(),
        time_zone: super::local_time_zone(),
    };
    thread::scope(|scope| {
        let budget = &budget;
        let reader = scope.spawn(move || read_stores(spec, plan, cancel, budget, item_tx));
        let converting = scope.spawn(move || converter.run(item_rx, prepared_tx, cancel));
        let sequencer = scope.spawn(move || decider.run(prepared_rx, outcome_tx, cancel));
        let written = write_outcomes(plan, cancel, parts, report, budget, outcome_rx, on_event);
        // A writer that stopped early drops its receiver and closes the budget, which ends
        // the other threads.
        budget.close();
        let reader = reader.join();
        let converting = converting.join();
        let sequencer = sequencer.join();
        let expected = written?;
        reader.map_err(|_| Error::Internal("reading thread"))?;
        converting.map_err(|_| Error::Internal("converting thread"))?;
        sequencer.map_err(|_| Error::Internal("sequencing thread"))?;
        Ok(expected)
    })
}

/// Bytes of mail the pipeline may hold: the reader takes a message's share before passing it
/// on, the writer gives it back once the message is written or skipped.
#[derive(Debug)]
struct Budget {
    limit: u64,
    state: Mutex<BudgetState>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct BudgetState {
    taken: u64,
    /// The writer is done: nobody waits any more.
    closed: bool,
}

impl Budget {
    fn new(limit: u64) -> Budget {
        Budget {
            limit,
            state: Mutex::new(BudgetState::default()),
            freed: Condvar::new(),
        }
    }

    /// Waits until `bytes` fit (or nothing else is held: a message larger than the limit
    /// goes alone). False when the budget was closed.
    fn take(&self, bytes: u64) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !state.closed && state.taken > 0 && state.taken + bytes > self.limit {
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.taken += bytes;
        !state.closed
    }

    fn give_back(&self, bytes: u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.taken = state.taken.saturating_sub(bytes);
        self.freed.notify_all();
    }

    fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        self.freed.notify_all();
    }
}

/// The reading thread: every folder to convert, in plan order, each item numbered.
fn read_stores(
    spec: &JobSpec,
    plan: &Plan,
    cancel: &CancelToken,
    budget: &Budget,
    out: Sender<(u64, Item)>,
) {
    let mut seq = 0u64;
    let mut send = |item: Item| {
        if let Item::Found {
            found: Found::Message(raw),
            ..
        } = &item
            && !budget.take(held_bytes(raw))
        {
            return false;
        }
        let sent = out.send((seq, item)).is_ok();
        seq += 1;
        sent
    };
    for (index, folder) in plan.folders.iter().enumerate() {
        if folder.role != FolderRole::Convert {
            continue;
        }
        let Some(selection) = spec.stores.get(folder.store) else {
            continue;
        };
        let store = selection.source.store();
        let messages = match store.messages(&folder.source_path) {
            Ok(messages) => messages,
            Err(error) => {
                let error = error.to_string();
                if !send(Item::FolderError {
                    folder: index,
                    error,
                }) {
                    return;
                }
                continue;
            }
        };
        for item in messages {
            if cancel.is_cancelled() {
                return;
            }
            let (item, last) = match item {
                Ok(found) => (
                    Item::Found {
                        folder: index,
                        found,
                    },
                    false,
                ),
                Err(error) => (
                    Item::FolderError {
                        folder: index,
                        error: error.to_string(),
                    },
                    true,
                ),
            };
            if !send(item) {
                return;
            }
            if last {
                break;
            }
        }
    }
}

/// The demo's limit: messages admitted for writing per plan folder, counted by the sequencer
/// and read by the converting threads.
#[derive(Debug)]
struct DemoQuota {
    demo: bool,
    admitted: Vec<AtomicU64>,
}

impl DemoQuota {
    /// The folder's quota is used up. The count only grows, so once true, it stays true.
    fn full(&self, folder: usize) -> bool {
        self.demo
            && self
                .admitted
                .get(folder)
                .is_some_and(|n| n.load(Ordering::Relaxed) >= DEMO_MESSAGES_PER_FOLDER)
    }

    fn admit(&self, folder: usize) {
        if let Some(count) = self.admitted.get(folder) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The converting side: rayon's threads prepare messages as they come, in any order.
#[derive(Debug)]
struct Converter<'a> {
    /// Where the large parts of a large message wait to be written (beside the PST).
    spill_dir: &'a Path,
    /// A date range needs the dates of messages the demo will not write (to report them as
    /// outside it, not as demo-limited).
    dates_needed: bool,
    skip_duplicates: bool,
    /// The job reads the PST back: keep the independent reading's facts of each message.
    read_back: bool,
    quota: &'a DemoQuota,
    /// What each plan folder holds: mail, contacts, events or tasks.
    kinds: Vec<FolderKind>,
    /// The zone of calendar times that name none (this computer's).
    time_zone: String,
}

impl Converter<'_> {
    fn run(
        &self,
        input: Receiver<(u64, Item)>,
        out: Sender<(u64, Item, Option<Prepared>)>,
        cancel: &CancelToken,
    ) {
        input
            .into_iter()
            .par_bridge()
            .try_for_each_with(out, |out, (seq, item)| {
                let prepared = match &item {
                    Item::Found {
                        folder,
                        found: Found::Message(raw),
                    } if self.worth_converting(*folder) && !cancel.is_cancelled() => {
                        let kind = self.kinds.get(*folder).copied().unwrap_or_default();
                        Some(prepare(
                            raw,
                            kind,
                            &self.time_zone,
                            self.skip_duplicates,
                            self.read_back,
                            self.spill_dir,
                        ))
                    }
                    _ => None,
                };
                // A closed channel means the sequencer stopped: stop converting.
                out.send((seq, item, prepared)).map_err(|_| ())
            })
            .ok();
    }

    /// Messages of folders whose demo quota is used up are not even converted: a folder seen
    /// full here is full when its message's turn comes.
    fn worth_converting(&self, folder: usize) -> bool {
        self.dates_needed || !self.quota.full(folder)
    }
}

/// The sequencing thread's state: what it decided so far, for the decisions that depend on
/// the messages before (demo limit, duplicates).
#[derive(Debug)]
struct Decider<'a> {
    date_range: DateRange,
    quota: &'a DemoQuota,
    seen: SeenMessages,
}

/// A message after the parallel step.
#[derive(Debug)]
struct Prepared {
    converted: Converted,
    /// The independent reading's facts, for the read-back (when the job reads back).
    facts: Option<Box<Facts>>,
    /// When the message was sent or received, as Unix seconds.
    date: Option<i64>,
    duplicate_key: Option<u128>,
}

impl Decider<'_> {
    /// Puts the prepared items back in order and decides each in turn.
    fn run(
        mut self,
        input: Receiver<(u64, Item, Option<Prepared>)>,
        out: Sender<Outcome>,
        cancel: &CancelToken,
    ) {
        let mut waiting: BTreeMap<u64, (Item, Option<Prepared>)> = BTreeMap::new();
        let mut next = 0u64;
        for (seq, item, prepared) in input {
            if cancel.is_cancelled() {
                return;
            }
            waiting.insert(seq, (item, prepared));
            while let Some((item, prepared)) = waiting.remove(&next) {
                next += 1;
                if out.send(self.decide(item, prepared)).is_err() {
                    return;
                }
            }
        }
    }

    fn decide(&mut self, item: Item, prepared: Option<Prepared>) -> Outcome {
        let (folder, found) = match item {
            Item::FolderError { folder, error } => return Outcome::FolderError { folder, error },
            Item::Found { folder, found } => (folder, found),
        };
        let raw = match found {
            Found::Skipped {
                origin,
                reason: SkipReason::DeletedInSource(client),
            } => {
                return Outcome::Deleted {
                    folder,
                    origin,
                    client,
                };
            }
            Found::Skipped { origin, reason } => {
                return Outcome::Skip {
                    folder,
                    origin: Some(origin),
                    reason,
                    bytes: 0,
                };
            }
            Found::Message(raw) => raw,
        };
        let bytes = held_bytes(&raw);
        let skip = |reason| Outcome::Skip {
            folder,
            origin: Some(raw.origin.clone()),
            reason,
            bytes,
        };
        let Some(prepared) = prepared else {
            // Not converted: the folder's demo quota was used up, or the job is cancelled.
            return skip(SkipReason::DemoLimit);
        };
        if let Some(date) = prepared.date
            && !self.date_range.contains(date)
        {
            return skip(SkipReason::OutsideDateRange);
        }
        if let Some(key) = prepared.duplicate_key
            && self.seen.contains(key)
        {
            return skip(SkipReason::Duplicate);
        }
        if self.quota.full(folder) {
            return skip(SkipReason::DemoLimit);
        }
        self.quota.admit(folder);
        if let Some(key) = prepared.duplicate_key {
            self.seen.insert(key);
        }
        let RawMessage {
            origin, warnings, ..
        } = raw;
        Outcome::Write {
            folder,
            origin,
            converted: Box::new(prepared.converted),
            facts: prepared.facts,
            source_warnings: warnings,
            bytes,
        }
    }
}

/// The parallel step for one message: convert it, check the conversion against the
/// independent reading, and read what the in-order decisions need.
fn prepare(
    raw: &RawMessage,
    kind: FolderKind,
    zone: &str,
    skip_duplicates: bool,
    read_back: bool,
    spill_dir: &Path,
) -> Prepared {
    prepare_with(raw, kind, skip_duplicates, read_back, |raw| {
        convert::convert_item(raw, kind, zone, spill_dir)
    })
}

/// What converting a large message holds in memory at most (its headers and small parts, and
/// buffers): its large parts wait on disk.
const LARGE_MESSAGE_HELD: u64 = 8 * 1024 * 1024;

/// The bytes a message takes from the budget of mail in flight.
fn held_bytes(raw: &RawMessage) -> u64 {
    match raw.large {
        Some(_) => LARGE_MESSAGE_HELD,
        None => raw.bytes.len() as u64,
    }
}

fn prepare_with(
    raw: &RawMessage,
    kind: FolderKind,
    skip_duplicates: bool,
    read_back: bool,
    convert: impl Fn(&RawMessage) -> Converted,
) -> Prepared {
    let (mut converted, converter_failed) =
        match panic::catch_unwind(AssertUnwindSafe(|| convert(raw))) {
            Ok(converted) => (converted, false),
            // Written as the converter writes a message it cannot read: its bytes attached
            // (when a PST can hold them), with the store's flags, received time and tags.
            Err(_) => (
                convert::unparseable(raw, "the converter failed on it"),
                true,
            ),
        };
    let facts = if kind != FolderKind::Mail {
        // Contacts, events and tasks are not MIME: the read-back counts them.
        None
    } else if raw.large.is_some() {
        // A large message waits on disk, and the second reading would need it whole in
        // memory: the read-back compares it with what the converter made of it.
        read_back.then(|| Box::new(Facts::of_message(&converted.message)))
    } else {
        match panic::catch_unwind(AssertUnwindSafe(|| reading::read(&raw.bytes))) {
            Ok(second) => {
                if !converter_failed {
                    convert::consult(&mut converted, &second);
                }
                read_back.then(|| Box::new(Facts::of_reading(&second)))
            }
            Err(_) => {
                converted.warnings.push(
                    "the second reading failed on this message; it was not cross-checked"
                        .to_owned(),
                );
                None
            }
        }
    };
    let message = &converted.message;
    let date = message
        .submit_time
        .or(message.delivery_time)
        .map(pst::FileTime::to_unix)
        .or(raw.received);
    let duplicate_key = skip_duplicates.then(|| compact_key(&convert::duplicate_key(raw)));
    Prepared {
        converted,
        facts,
        date,
        duplicate_key,
    }
}

/// The writing side, on the calling thread: writes, counts and reports progress. Returns what
/// the read-back is to find.
fn write_outcomes(
    plan: &Plan,
    cancel: &CancelToken,
    parts: &mut Parts<'_>,
    report: &mut Report,
    budget: &Budget,
    input: Receiver<Outcome>,
    on_event: &mut dyn FnMut(Event),
) -> Result<Expected, Error> {
    let mut expected = Expected::new(plan.folders.len());
    let total = plan.messages_to_read();
    let mut meter = Meter::start();
    let mut tally = Tally {
        skipped: report.skipped_so_far(),
        ..Tally::default()
    };
    // Items the store yielded per folder, to count what a folder error kept from being read.
    let mut yielded = vec![0u64; plan.folders.len()];
    for outcome in &input {
        if cancel.is_cancelled() {
            return Ok(expected);
        }
        // `held`: the bytes the reader took from the budget for this item.
        let (folder, held) = match &outcome {
            Outcome::Write { folder, bytes, .. } | Outcome::Skip { folder, bytes, .. } => {
                (*folder, *bytes)
            }
            Outcome::Deleted { folder, .. } | Outcome::FolderError { folder, .. } => (*folder, 0),
        };
        let Some(entry) = report.folders.get_mut(folder) else {
            return Err(Error::Internal("folder plan"));
        };
        tally.folder = folder;
        if !matches!(outcome, Outcome::FolderError { .. }) {
            // An item the store yielded: a message found (written or skipped) or a deleted
            // copy. Both count for progress, which the store's counts measure.
            if !matches!(outcome, Outcome::Deleted { .. }) {
                entry.found += 1;
            }
            tally.done += 1;
            tally.bytes_read += held;
            if let Some(count) = yielded.get_mut(folder) {
                *count += 1;
            }
        }
        match outcome {
            Outcome::Write {
                origin,
                converted,
                facts,
                source_warnings,
                ..
            } => {
                let remaining = estimate_remaining(parts.bytes_written(), tally.done, total);
                match parts.add(folder, &converted.message, remaining)? {
                    Added::Written => {
                        entry.written += 1;
                        if let Some(facts) = facts {
                            expected.push(folder, *facts, &origin);
                        }
                        let mut warnings = source_warnings;
                        warnings.extend(converted.warnings.iter().cloned());
                        if !warnings.is_empty() || converted.degraded {
                            entry.converted_with_warnings.push(ConvertedWithWarnings {
                                origin,
                                subject: converted.message.subject.clone(),
                                degraded: converted.degraded,
                                warnings,
                            });
                        }
                    }
                    Added::Skipped(reason) => {
                        entry.skipped.add(&reason, 1);
                        tally.skipped.add(&reason, 1);
                        entry.skipped_items.push(SkippedItem {
                            origin: Some(origin),
                            count: 1,
                            reason,
                        });
                    }
                }
            }
            Outcome::Skip { origin, reason, .. } => {
                entry.skipped.add(&reason, 1);
                tally.skipped.add(&reason, 1);
                if reason != SkipReason::DemoLimit {
                    entry.skipped_items.push(SkippedItem {
                        origin,
                        count: 1,
                        reason,
                    });
                }
            }
            Outcome::Deleted { origin, client, .. } => {
                entry.deleted.push(DeletedCopy { origin, client });
            }
            Outcome::FolderError { error, .. } => {
                let planned = plan.folders.get(folder).map_or(0, |f| f.count);
                let seen = yielded.get(folder).copied().unwrap_or(0);
                let unread = planned.saturating_sub(seen);
                if unread > 0 {
                    let reason = SkipReason::Unreadable(error.clone());
                    entry.found += unread;
                    entry.skipped.add(&reason, unread);
                    tally.skipped.add(&reason, unread);
                    entry.skipped_items.push(SkippedItem {
                        origin: None,
                        count: unread,
                        reason,
                    });
                    tally.done += unread;
                }
                entry.read_error = Some(error);
            }
        }
        if meter.due() {
            on_event(Event::Progress(tally.progress(
                plan,
                &meter,
                total,
                parts.bytes_written(),
            )));
        }
        budget.give_back(held);
    }
    on_event(Event::Progress(tally.progress(
        plan,
        &meter,
        total,
        parts.bytes_written(),
    )));
    Ok(expected)
}

/// What the writer has counted so far, for progress events.
#[derive(Debug, Default)]
struct Tally {
    /// Messages found, whether written or skipped.
    done: u64,
    bytes_read: u64,
    /// The plan folder being written.
    folder: usize,
    skipped: SkipCounts,
}

impl Tally {
    /// A progress event; `total` is the plan's estimate, never less than what is done.
    fn progress(&self, plan: &Plan, meter: &Meter, total: u64, bytes_written: u64) -> Progress {
        meter.stamp(Progress {
            messages_done: self.done,
            messages_total: total.max(self.done),
            bytes_read: self.bytes_read,
            bytes_written,
            skipped: self.skipped,
            folder: plan
                .folders
                .get(self.folder)
                .map(|f| f.display_path())
                .unwrap_or_default(),
            elapsed: Default::default(),
            messages_per_second: 0.0,
            eta: None,
        })
    }
}

/// Bytes the job will still write, at the size per message so far (for "free N MB").
fn estimate_remaining(written: u64, done: u64, total: u64) -> u64 {
    let per_message = written / done.max(1);
    per_message.saturating_mul(total.saturating_sub(done)) + 1024 * 1024
}

/// Reads every part back and replaces the writer's counts by what the PST holds. A part that
/// cannot be read, or holds other numbers than were written, is a problem of the report (the
/// files are kept for the user to look at; the job is not called successful).
fn check_parts(
    plan: &Plan,
    finished: &[FinishedPart],
    paths: &OutputPaths,
    expected: Expected,
    cancel: &CancelToken,
    report: &mut Report,
    on_event: &mut dyn FnMut(Event),
) {
    let mut in_pst = vec![0u64; plan.folders.len()];
    let mut all_read = true;
    for part in finished {
        if cancel.is_cancelled() {
            return;
        }
        let shown = paths.part(part.index);
        on_event(Event::Verifying {
            path: shown.clone(),
        });
        let counts = match verify::folder_counts(&part.pending) {
            Ok(counts) => counts,
            Err(reason) => {
                all_read = false;
                report
                    .problems
                    .push(format!("{} cannot be read back: {reason}", shown.display()));
                for (total, written) in in_pst.iter_mut().zip(&part.counts) {
                    *total += written;
                }
                continue;
            }
        };
        for (index, folder) in plan.folders.iter().enumerate() {
            if !folder.in_pst() {
                continue;
            }
            let expected = part.counts.get(index).copied().unwrap_or(0);
            match counts.get(&folder.pst_path).copied() {
                Some(found) => {
                    if let Some(total) = in_pst.get_mut(index) {
                        *total += found;
                    }
                    if found != expected {
                        report.problems.push(format!(
                            "{}: {expected} messages were written to {}, but it holds {found}",
                            folder.display_path(),
                            shown.display()
                        ));
                    }
                }
                None => report.problems.push(format!(
                    "{}: the folder is missing from {}",
                    folder.display_path(),
                    shown.display()
                )),
            }
        }
    }
    for (entry, count) in report.folders.iter_mut().zip(in_pst) {
        if entry.role != FolderRole::Excluded {
            entry.written = count;
        }
    }
    if all_read {
        compare_messages(plan, finished, expected, cancel, report);
    }
    report.verified = all_read;
}

/// The read-back of every message: what the PST holds compared with what the independent
/// reading saw in each source message written. Each message that differs is listed in its
/// folder, with what each side holds.
fn compare_messages(
    plan: &Plan,
    finished: &[FinishedPart],
    expected: Expected,
    cancel: &CancelToken,
    report: &mut Report,
) {
    let files: Vec<std::path::PathBuf> = finished.iter().map(|p| p.pending.clone()).collect();
    let comparisons = match verify::read_back(&files, plan, expected, cancel) {
        Ok(comparisons) => comparisons,
        Err(reason) => {
            report.problems.push(format!(
                "the PST cannot be read back message by message: {reason}"
            ));
            return;
        }
    };
    for (entry, comparison) in report.folders.iter_mut().zip(comparisons) {
        if let Some(comparison) = comparison {
            entry.read_back_differences = comparison.lines();
        }
    }
}

/// A job running on its own thread, for a window that must never wait.
#[derive(Debug)]
pub struct Job {
    events: Receiver<Event>,
    cancel: CancelToken,
    handle: Option<thread::JoinHandle<Result<Report, Error>>>,
}

/// Events waiting for the window. Progress events are dropped when the window is behind, and
/// leave [`FINAL_EVENT_ROOM`] places free for the events that are never dropped.
const EVENT_QUEUE: usize = 256;
/// Places of the event queue kept for events other than progress (the plan, each finished
/// file, each read-back): a few per PST part.
const FINAL_EVENT_ROOM: usize = 64;

/// Hands an event to the window. Progress says where the job stands now, so a window that is
/// behind may miss one; the others are what the window builds its list of files and its
/// summary from, so the job waits for room rather than drop one (the window takes events every
/// frame, so the wait is short). A window that is gone takes nothing.
fn deliver(events: &Sender<Event>, event: Event, capacity: usize) {
    match event {
        Event::Progress(_) => {
            if events.len() + FINAL_EVENT_ROOM.min(capacity / 2) < capacity {
                let _ = events.try_send(event);
            }
        }
        other => {
            let _ = events.send(other);
        }
    }
}

impl Job {
    /// Starts `spec` on a new thread. `wake` is called after each event and when the job ends,
    /// e.g. to ask the window to repaint.
    pub fn start(spec: JobSpec, wake: impl Fn() + Send + 'static) -> Job {
        let (tx, rx) = bounded(EVENT_QUEUE);
        let cancel = CancelToken::new();
        let token = cancel.clone();
        let handle = thread::Builder::new()
            .name("mail2pst job".to_owned())
            .spawn(move || {
                let result = run(&spec, &token, &mut |event| {
                    deliver(&tx, event, EVENT_QUEUE);
                    wake();
                });
                wake();
                result
            })
            .ok();
        Job {
            events: rx,
            cancel,
            handle,
        }
    }

    /// The job's events; drain them with `try_iter()` each frame.
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// Asks the job to stop; [`Job::wait`] then returns a cancelled report.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// True once the job's thread has ended ([`Job::wait`] then returns at once).
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Waits for the job to end and returns its report. Events not taken yet are dropped.
    pub fn wait(self) -> Result<Report, Error> {
        let Job { events, handle, .. } = self;
        // A job waiting for room in the queue gives up on a queue nobody reads.
        drop(events);
        let Some(handle) = handle else {
            return Err(Error::Internal("job thread (it could not be started)"));
        };
        handle.join().unwrap_or(Err(Error::Internal("job thread")))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The reader waits while the pipeline holds its share of mail, a message larger than the
    /// whole budget goes alone, and closing the budget frees a waiting reader.
    #[test]
    fn the_budget_bounds_the_mail_in_flight() {
        let budget = Budget::new(100);
        assert!(budget.take(60));
        thread::scope(|scope| {
            let waiting = scope.spawn(|| budget.take(50));
            thread::sleep(Duration::from_millis(50));
            assert!(!waiting.is_finished(), "60 + 50 is over the limit");
            budget.give_back(60);
            assert!(waiting.join().unwrap());
        });
        budget.give_back(50);
        assert!(budget.take(500), "alone, a large message goes through");
        thread::scope(|scope| {
            let waiting = scope.spawn(|| budget.take(1));
            thread::sleep(Duration::from_millis(50));
            assert!(!waiting.is_finished());
            budget.close();
            assert!(
                !waiting.join().unwrap(),
                "a closed budget lets the reader stop"
            );
        });
    }

    #[test]
    fn progress_counts_skipped_messages_as_the_report_does() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let out = tempfile::tempdir().unwrap();
        let source = super::super::Source::open(corpus.join("mbox")).unwrap();
        let mut spec = JobSpec::new(vec![source], out.path().join("mail.pst"));
        spec.license = Some(LicenseStatus::Demo { reason: None });
        spec.options.verify = false;
        let mut last = None;
        let report = run(&spec, &CancelToken::new(), &mut |event| {
            if let Event::Progress(progress) = event {
                last = Some(progress);
            }
        })
        .unwrap();
        let last = last.unwrap();
        assert!(report.totals.skipped.demo_limit > 0);
        assert_eq!(last.skipped, report.totals.skipped);
    }

    /// A window that is behind misses progress events, never the others: they are what it
    /// builds its list of written files from.
    #[test]
    fn a_full_event_queue_drops_progress_but_never_final_events() {
        let (tx, rx) = bounded(8);
        let progress = Event::Progress(Progress {
            messages_done: 1,
            messages_total: 2,
            bytes_read: 0,
            bytes_written: 0,
            skipped: SkipCounts::default(),
            folder: String::new(),
            elapsed: Duration::ZERO,
            messages_per_second: 0.0,
            eta: None,
        });
        for _ in 0..10 {
            deliver(&tx, progress.clone(), 8);
        }
        for index in 0..4 {
            deliver(
                &tx,
                Event::FileFinished {
                    path: format!("out-{index}.pst").into(),
                    bytes: 1,
                },
                8,
            );
        }
        let events: Vec<Event> = rx.try_iter().collect();
        let finished = events
            .iter()
            .filter(|e| matches!(e, Event::FileFinished { .. }))
            .count();
        assert_eq!(finished, 4, "{events:?}");
        assert_eq!(events.len(), 8);
    }

    /// A converter that panics costs the message its conversion, not its flags, received time,
    /// tags or the size check.
    #[test]
    fn a_message_the_converter_panics_on_keeps_what_the_store_knew() {
        let mut raw = RawMessage::new(
            crate::model::FolderPath::root(),
            b"Subject: x\n\nbody\n".to_vec(),
            Origin::File {
                path: "x.eml".into(),
            },
        );
        raw.flags.read = true;
        raw.flags.flagged = true;
        raw.received = Some(1_100_000_000);
        raw.keywords = vec!["Work".to_owned()];
        let prepared = prepare_with(&raw, FolderKind::Mail, false, false, |_| {
            panic!("a converter bug")
        });
        let message = &prepared.converted.message;
        assert!(prepared.converted.degraded);
        assert!(message.state.read && message.state.flagged);
        assert_eq!(message.categories, ["Work"]);
        assert_eq!(
            message.delivery_time.map(pst::FileTime::to_unix),
            Some(1_100_000_000)
        );
        assert_eq!(prepared.date, Some(1_100_000_000));
        assert_eq!(message.attachments.len(), 1);
        assert_eq!(
            prepared.converted.message.subject.as_deref(),
            Some(convert::UNPARSEABLE_SUBJECT)
        );
    }

    #[test]
    fn remaining_bytes_follow_the_size_per_message() {
        assert_eq!(estimate_remaining(1000, 10, 20), 1000 + 1024 * 1024);
        assert_eq!(estimate_remaining(0, 0, 0), 1024 * 1024);
    }
}
