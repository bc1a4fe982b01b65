//! The pipeline of a job (docs/design.md §3.2–3.3): one thread reads the stores in order and
//! numbers what it finds; rayon's threads convert the messages in parallel, each as soon as it
//! is read; a sequencing thread puts them back in the stores' order and decides what is
//! written and what is skipped; the calling thread writes the PST. The mail between reading and
//! writing is bounded in bytes ([`IN_FLIGHT_BYTES`]), whatever the mailbox size.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use rayon::prelude::*;

use crate::convert::{self, Converted};
use crate::license::LicenseStatus;
use crate::model::{FolderKind, Found, Origin, RawMessage, SkipReason, StoreKind};
use crate::pst;
use crate::reading;

use super::error::Error;
use super::filter::{SeenMessages, compact_key};
use super::memory;
use super::output::{Added, OutputPaths, Parts};
use super::plan::{FolderRole, Plan};
use super::progress::{CancelToken, Event, Meter, Progress};
use super::read_back::{Expected, Facts};
use super::report::{ConvertedWithWarnings, DeletedCopy, Report, SkipCounts, SkippedItem};
use super::spec::{DateRange, JobSpec};

/// Messages the demo writes per folder.
pub const DEMO_MESSAGES_PER_FOLDER: u64 = 10;

/// Bytes of mail read but not yet written. A message is held whole while it is converted, with
/// its decoded parts beside it; once converted, only the conversion waits for its turn. 16 MiB
/// keeps hundreds of ordinary messages in flight, enough to keep every core busy, and the
/// pipeline's memory well under a hundred megabytes; a larger message goes through alone.
pub(super) const IN_FLIGHT_BYTES: u64 = 16 * 1024 * 1024;

/// The room the reading thread waits for before it reads the next message (which it holds
/// before knowing its size): half the budget.
const READ_AHEAD_ROOM: u64 = IN_FLIGHT_BYTES / 2;

/// Items waiting for a converting thread, and outcomes waiting for the writer.
pub(super) const QUEUE: usize = 64;

/// What the reading thread found, in the stores' order.
#[derive(Debug)]
pub(super) enum Item {
    Found {
        folder: usize,
        found: Found,
    },
    /// The folder (or its rest) could not be read.
    FolderError {
        folder: usize,
        error: String,
    },
    /// The rest of the folder was not read: the demo's quota of the folder is used up, and
    /// reading more would download mail the demo does not write.
    DemoRest {
        folder: usize,
    },
}

/// What the writing side does with one item, decided in order.
#[derive(Debug)]
pub(super) enum Outcome {
    Write {
        folder: usize,
        origin: Origin,
        conversion: Box<Conversion>,
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
    /// The rest of the folder is left out by the demo's limit without being read.
    DemoRest {
        folder: usize,
    },
}

/// Reads, converts and writes every message of the plan, and returns what the read-back is to
/// find. Returns early, without error, when cancelled.
pub(super) fn pipeline(
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
    let (prepared_tx, prepared_rx) = unbounded::<(u64, Item, Option<Ready>)>();
    let (outcome_tx, outcome_rx) = bounded::<Outcome>(QUEUE);
    let budget = Budget::new(IN_FLIGHT_BYTES);
    let quota = DemoQuota {
        demo: !license.is_licensed(),
        admitted: plan.folders.iter().map(|_| AtomicU64::new(0)).collect(),
    };
    let sequencer = Sequencer {
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
        message_time: parts.message_time(),
    };
    // Which messages a demo leaves out depends on their dates and on duplicates when the job
    // filters by either: then every message is read.
    let stop_when_quota_full =
        spec.options.date_range.is_unbounded() && !spec.options.skip_duplicates;
    thread::scope(|scope| {
        let budget = &budget;
        let quota = &quota;
        let reader = scope.spawn(move || {
            let demo = DemoStop {
                quota,
                allowed: stop_when_quota_full,
            };
            read_stores(spec, plan, cancel, budget, &demo, item_tx)
        });
        let converting = scope.spawn(move || converter.run(item_rx, prepared_tx, cancel));
        let sequencing = scope.spawn(move || sequencer.run(prepared_rx, outcome_tx, cancel));
        // Freeing a written message (its attachments can be tens of megabytes) is left to a
        // thread of its own, which then gives the message's bytes back to the budget: the
        // writing thread is the one more cores cannot speed up.
        let (written_tx, written_rx) = bounded::<(Box<Conversion>, u64)>(QUEUE);
        let freeing = scope.spawn(move || {
            for (conversion, held) in written_rx {
                drop(conversion);
                budget.give_back(held);
            }
        });
        let give_back = GiveBack {
            budget,
            freeing: written_tx,
        };
        let written = write_outcomes(plan, cancel, parts, report, give_back, outcome_rx, on_event);
        // A writer that stopped early drops its receiver and closes the budget, which ends
        // the other threads.
        budget.close();
        let reader = reader.join();
        let converting = converting.join();
        let sequencing = sequencing.join();
        let freeing = freeing.join();
        let expected = written?;
        reader.map_err(|_| Error::Internal("reading thread"))?;
        converting.map_err(|_| Error::Internal("converting thread"))?;
        sequencing.map_err(|_| Error::Internal("sequencing thread"))?;
        freeing.map_err(|_| Error::Internal("freeing thread"))?;
        Ok(expected)
    })
}

/// Bytes of mail the pipeline may hold: the reader takes a message's share before passing it
/// on, the writer gives it back once the message is written or skipped.
#[derive(Debug)]
pub(super) struct Budget {
    limit: u64,
    state: Mutex<BudgetState>,
    freed: Condvar,
}

#[derive(Debug, Default)]
pub(super) struct BudgetState {
    taken: u64,
    /// What each waiting thread waits to fit: bytes are given back once per message, and
    /// waking nobody (or a thread whose message still does not fit) costs a system call.
    wanted: Vec<u64>,
    /// The writer is done: nobody waits any more.
    closed: bool,
}

impl BudgetState {
    fn fits(&self, bytes: u64, limit: u64) -> bool {
        self.taken == 0 || self.taken + bytes <= limit
    }
}

impl Budget {
    pub(super) fn new(limit: u64) -> Budget {
        Budget {
            limit,
            state: Mutex::new(BudgetState::default()),
            freed: Condvar::new(),
        }
    }

    /// Waits until `bytes` fit (or nothing else is held: a message larger than the limit
    /// goes alone). False when the budget was closed.
    pub(super) fn take(&self, bytes: u64) -> bool {
        let mut state = self.room_for(bytes);
        state.taken += bytes;
        !state.closed
    }

    /// Waits until `bytes` would fit (or nothing is held), without taking them. False when the
    /// budget was closed.
    pub(super) fn wait_for_room(&self, bytes: u64) -> bool {
        !self.room_for(bytes).closed
    }

    /// The state once `bytes` fit, nothing is held, or the budget is closed.
    fn room_for(&self, bytes: u64) -> std::sync::MutexGuard<'_, BudgetState> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closed || state.fits(bytes, self.limit) {
            return state;
        }
        state.wanted.push(bytes);
        while !state.closed && !state.fits(bytes, self.limit) {
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if let Some(at) = state.wanted.iter().position(|&wanted| wanted == bytes) {
            state.wanted.swap_remove(at);
        }
        state
    }

    pub(super) fn give_back(&self, bytes: u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.taken = state.taken.saturating_sub(bytes);
        let limit = self.limit;
        if state.wanted.iter().any(|&wanted| state.fits(wanted, limit)) {
            self.freed.notify_all();
        }
    }

    pub(super) fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.closed = true;
        self.freed.notify_all();
    }
}

/// When the reading thread stops reading a folder of a store that downloads its mail: once
/// the demo has written the folder's ten messages, unless the job filters by date or
/// duplicates.
#[derive(Debug)]
pub(super) struct DemoStop<'a> {
    pub(super) quota: &'a DemoQuota,
    pub(super) allowed: bool,
}

/// The reading thread: every folder to convert, in plan order, each item numbered.
pub(super) fn read_stores(
    spec: &JobSpec,
    plan: &Plan,
    cancel: &CancelToken,
    budget: &Budget,
    demo: &DemoStop<'_>,
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
        let stop_early = demo.allowed && store.downloads();
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
        let mut messages = messages;
        loop {
            // A message being read is held before it takes its share of the budget: it waits
            // for room first, so that it and the mail in flight stay near the budget.
            if !budget.wait_for_room(READ_AHEAD_ROOM) {
                return;
            }
            let Some(item) = messages.next() else {
                break;
            };
            if cancel.is_cancelled() {
                return;
            }
            if stop_early && demo.quota.full(index) {
                if !send(Item::DemoRest { folder: index }) {
                    return;
                }
                break;
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
pub(super) struct DemoQuota {
    demo: bool,
    admitted: Vec<AtomicU64>,
}

impl DemoQuota {
    /// The folder's quota is used up. The count only grows, so once true, it stays true.
    pub(super) fn full(&self, folder: usize) -> bool {
        self.demo
            && self
                .admitted
                .get(folder)
                .is_some_and(|n| n.load(Ordering::Relaxed) >= DEMO_MESSAGES_PER_FOLDER)
    }

    pub(super) fn admit(&self, folder: usize) {
        if let Some(count) = self.admitted.get(folder) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The converting side: rayon's threads prepare messages as they come, in any order.
#[derive(Debug)]
pub(super) struct Converter<'a> {
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
    /// What the PST writer dates undated messages with.
    message_time: pst::FileTime,
}

impl Converter<'_> {
    pub(super) fn run(
        &self,
        input: Receiver<(u64, Item)>,
        out: Sender<(u64, Item, Option<Ready>)>,
        cancel: &CancelToken,
    ) {
        input
            .into_iter()
            .par_bridge()
            .try_for_each_with(out, |out, (seq, mut item)| {
                let prepared = match &mut item {
                    Item::Found {
                        folder,
                        found: Found::Message(raw),
                    } if self.worth_converting(*folder) && !cancel.is_cancelled() => {
                        if held_bytes(raw) > IN_FLIGHT_BYTES {
                            // It goes alone: what the messages before it held is free now.
                            memory::give_back_free_memory();
                        }
                        let kind = self.kinds.get(*folder).copied().unwrap_or_default();
                        let prepared = prepare(
                            raw,
                            kind,
                            &self.time_zone,
                            self.skip_duplicates,
                            self.read_back,
                            self.spill_dir,
                        );
                        // What is written is in the conversion now: the message's bytes
                        // are let go of while it waits for its turn.
                        raw.bytes = Vec::new();
                        Some(prepared.build(self.message_time))
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
    pub(super) fn worth_converting(&self, folder: usize) -> bool {
        self.dates_needed || !self.quota.full(folder)
    }
}

/// The sequencing thread's state: what it decided so far, for the decisions that depend on
/// the messages before (demo limit, duplicates).
#[derive(Debug)]
pub(super) struct Sequencer<'a> {
    date_range: DateRange,
    quota: &'a DemoQuota,
    seen: SeenMessages,
}

/// A message after the parallel step.
#[derive(Debug)]
pub(super) struct Prepared {
    converted: Converted,
    /// The independent reading's facts, for the read-back (when the job reads back).
    facts: Option<Box<Facts>>,
    /// When the message was sent or received, as Unix seconds.
    date: Option<i64>,
    duplicate_key: Option<u128>,
    /// The bytes the message holds of the budget of mail in flight.
    held: u64,
}

impl Prepared {
    /// Builds the conversion for the PST (see [`pst::ReadyMessage`]), here rather than on the
    /// writing thread.
    fn build(self, message_time: pst::FileTime) -> Ready {
        let Converted {
            message,
            warnings,
            degraded,
        } = self.converted;
        let subject = message.subject.clone();
        Ready {
            conversion: Box::new(Conversion {
                message: pst::ReadyMessage::new(message, message_time),
                subject,
                warnings,
                degraded,
            }),
            facts: self.facts,
            date: self.date,
            duplicate_key: self.duplicate_key,
            held: self.held,
        }
    }
}

/// A message converted and built for the PST, waiting for its turn.
#[derive(Debug)]
pub(super) struct Ready {
    conversion: Box<Conversion>,
    facts: Option<Box<Facts>>,
    date: Option<i64>,
    duplicate_key: Option<u128>,
    held: u64,
}

/// What the writing thread needs of a converted message.
#[derive(Debug)]
pub(super) struct Conversion {
    /// The message built for the PST, or why it cannot be.
    message: Result<pst::ReadyMessage, pst::Error>,
    subject: Option<String>,
    /// What the conversion repaired or assumed (see [`Converted::warnings`]).
    warnings: Vec<String>,
    degraded: bool,
}

impl Sequencer<'_> {
    /// Puts the prepared items back in order and decides each in turn.
    pub(super) fn run(
        mut self,
        input: Receiver<(u64, Item, Option<Ready>)>,
        out: Sender<Outcome>,
        cancel: &CancelToken,
    ) {
        let mut waiting: BTreeMap<u64, (Item, Option<Ready>)> = BTreeMap::new();
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

    pub(super) fn decide(&mut self, item: Item, prepared: Option<Ready>) -> Outcome {
        let (folder, found) = match item {
            Item::FolderError { folder, error } => return Outcome::FolderError { folder, error },
            Item::DemoRest { folder } => return Outcome::DemoRest { folder },
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
        let bytes = prepared.as_ref().map_or(held_bytes(&raw), |p| p.held);
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
            conversion: prepared.conversion,
            facts: prepared.facts,
            source_warnings: warnings,
            bytes,
        }
    }
}

/// The parallel step for one message: convert it, check the conversion against the
/// independent reading, and read what the in-order decisions need.
pub(super) fn prepare(
    raw: &mut RawMessage,
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
pub(super) const LARGE_MESSAGE_HELD: u64 = 8 * 1024 * 1024;

/// What a message holds in memory besides its bytes, from its reading to its writing: its
/// node's blocks and contents row once converted, its facts for the read-back, and the
/// structures around them (about 3 KiB for a message of a few hundred bytes). Without it, the
/// budget would let tens of thousands of small messages be in flight, each holding several
/// times its size.
pub(super) const MESSAGE_OVERHEAD: u64 = 4 * 1024;

/// Messages in flight at most, however small: hundreds keep every core busy, and a mailbox of
/// small messages (a few kilobytes each, as most mail without attachments) would otherwise
/// have thousands in flight, whose allocations spread the heaps the longer the job runs.
const MESSAGES_IN_FLIGHT: u64 = 512;

/// The bytes a message takes from the budget of mail in flight: at least its share of
/// [`MESSAGES_IN_FLIGHT`].
pub(super) fn held_bytes(raw: &RawMessage) -> u64 {
    match raw.large {
        Some(_) => LARGE_MESSAGE_HELD,
        None => {
            (raw.bytes.len() as u64 + MESSAGE_OVERHEAD).max(IN_FLIGHT_BYTES / MESSAGES_IN_FLIGHT)
        }
    }
}

/// Messages this large are read a second time beside their conversion, on another core: such a
/// message holds much of the budget of mail in flight (one larger than the budget goes through
/// alone), so that the other cores run out of messages while it is read twice in turn.
const READ_BESIDE_FROM: usize = 2 * 1024 * 1024;

pub(super) fn prepare_with(
    raw: &mut RawMessage,
    kind: FolderKind,
    skip_duplicates: bool,
    read_back: bool,
    convert: impl Fn(&RawMessage) -> Converted,
) -> Prepared {
    // Contacts, events and tasks are not MIME: the read-back counts them. A large message
    // waits on disk, and the second reading would need it whole in memory. The second reading
    // of a smaller message comes first: its working copies are gone before the converter
    // makes its own. It reads the message where it lies (see `reading::read_digests_in_place`).
    let reads_twice = kind == FolderKind::Mail && raw.large.is_none();
    let (second, converted) = if reads_twice && raw.bytes.len() >= READ_BESIDE_FROM {
        // The second reading takes a core the others would leave idle.
        let (second, converted) = thread::scope(|scope| {
            let second = thread::Builder::new()
                .spawn_scoped(scope, || reading::read_digests_shared(&raw.bytes));
            let converted = panic::catch_unwind(AssertUnwindSafe(|| convert(raw)));
            // A thread the system would not give: read here, after the conversion.
            let second = match second {
                Ok(second) => second.join(),
                Err(_) => panic::catch_unwind(|| reading::read_digests_shared(&raw.bytes)),
            };
            (second, converted)
        });
        let second = match second {
            Ok(Ok(second)) => Ok(second),
            // Its boundaries must be renamed where it lies: read after the conversion.
            Ok(Err(renames)) => panic::catch_unwind(AssertUnwindSafe(|| {
                reading::read_digests_renamed(&mut raw.bytes, renames)
            })),
            Err(panicked) => Err(panicked),
        };
        (Some(second), converted)
    } else {
        let second = reads_twice.then(|| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                reading::read_digests_in_place(&mut raw.bytes)
            }))
        });
        let raw = &*raw;
        (
            second,
            panic::catch_unwind(AssertUnwindSafe(|| convert(raw))),
        )
    };
    let raw = &*raw;
    let (mut converted, converter_failed) = match converted {
        Ok(converted) => (converted, false),
        // Written as the converter writes a message it cannot read: its bytes attached (when
        // a PST can hold them), with the store's flags, received time and tags.
        Err(_) => (
            convert::unparseable(raw, "the converter failed on it"),
            true,
        ),
    };
    let facts = match second {
        None if kind != FolderKind::Mail => None,
        // The read-back compares a large message with what the converter made of it.
        None => read_back.then(|| Box::new(Facts::of_message(&converted.message))),
        Some(Ok(second)) => {
            if !converter_failed && convert::consult(&mut converted, &second).is_err() {
                // The readings disagree on an attachment: read again, keeping the parts' bytes
                // (rare; the first reading keeps only sizes and hashes, to hold less).
                match panic::catch_unwind(AssertUnwindSafe(|| reading::read(&raw.bytes))) {
                    Ok(full) => {
                        let consulted = convert::consult(&mut converted, &full);
                        debug_assert!(consulted.is_ok(), "a full reading keeps every part");
                    }
                    Err(_) => converted.warnings.push(
                        "the second reading failed on this message; it was not cross-checked"
                            .to_owned(),
                    ),
                }
            }
            read_back.then(|| Box::new(Facts::of_reading(&second)))
        }
        Some(Err(_)) => {
            converted.warnings.push(
                "the second reading failed on this message; it was not cross-checked".to_owned(),
            );
            None
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
        held: held_bytes(raw),
    }
}

/// The writing side, on the calling thread: writes, counts and reports progress. Returns what
/// the read-back is to find.
pub(super) fn write_outcomes(
    plan: &Plan,
    cancel: &CancelToken,
    parts: &mut Parts<'_>,
    report: &mut Report,
    give_back: GiveBack<'_>,
    input: Receiver<Outcome>,
    on_event: &mut dyn FnMut(Event),
) -> Result<Expected, Error> {
    let mut expected = Expected::new(plan.folders.len(), parts.dir());
    let total = plan.messages_to_read();
    let mut meter = Meter::start();
    let mut tally = Tally {
        skipped: report.skipped_so_far(),
        ..Tally::default()
    };
    // Items the store yielded per folder, to count what a folder error or the demo's stop kept
    // from being read: the rest of the plan's count.
    let mut yielded = vec![0u64; plan.folders.len()];
    for outcome in &input {
        if cancel.is_cancelled() {
            return Ok(expected);
        }
        // `held`: the bytes the reader took from the budget for this item.
        let mut held_by_freeing = false;
        let (folder, held) = match &outcome {
            Outcome::Write { folder, bytes, .. } | Outcome::Skip { folder, bytes, .. } => {
                (*folder, *bytes)
            }
            Outcome::Deleted { folder, .. }
            | Outcome::FolderError { folder, .. }
            | Outcome::DemoRest { folder } => (*folder, 0),
        };
        let Some(entry) = report.folders.get_mut(folder) else {
            return Err(Error::Internal("folder plan"));
        };
        tally.folder = folder;
        if !matches!(
            outcome,
            Outcome::FolderError { .. } | Outcome::DemoRest { .. }
        ) {
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
                conversion,
                facts,
                source_warnings,
                ..
            } => {
                let remaining = estimate_remaining(parts.bytes_written(), tally.done, total);
                let added = match &conversion.message {
                    Ok(message) => parts.add(folder, message, remaining)?,
                    Err(error) => Added::Skipped(parts.refused(error)),
                };
                match added {
                    Added::Written => {
                        entry.written += 1;
                        // A local store's message fetched from its server in place of a gap.
                        let store = plan.folders.get(folder).map(|f| f.store);
                        if matches!(origin, Origin::Imap { .. })
                            && store.and_then(|s| plan.stores.get(s)).map(|s| s.kind)
                                != Some(StoreKind::Imap)
                        {
                            entry.from_server += 1;
                        }
                        if let Some(facts) = facts {
                            expected.push(folder, *facts, &origin);
                        }
                        let mut warnings = source_warnings;
                        warnings.extend(conversion.warnings.iter().cloned());
                        if !warnings.is_empty() || conversion.degraded {
                            entry.converted_with_warnings.push(ConvertedWithWarnings {
                                origin,
                                subject: conversion.subject.clone(),
                                degraded: conversion.degraded,
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
                give_back.written(conversion, held);
                held_by_freeing = true;
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
                let unread = unread(plan, &yielded, folder);
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
            Outcome::DemoRest { .. } => {
                // Counted as found and left out by the demo, as if read: the plan's count
                // comes from the store.
                let unread = unread(plan, &yielded, folder);
                entry.found += unread;
                entry.skipped.add(&SkipReason::DemoLimit, unread);
                tally.skipped.add(&SkipReason::DemoLimit, unread);
                tally.done += unread;
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
        if !held_by_freeing {
            give_back.bytes(held);
        }
    }
    on_event(Event::Progress(tally.progress(
        plan,
        &meter,
        total,
        parts.bytes_written(),
    )));
    Ok(expected)
}

/// Where the writer hands back what an item held: its bytes to the budget at once, or a
/// written message to the freeing thread, which frees it and then gives its bytes back.
pub(super) struct GiveBack<'a> {
    budget: &'a Budget,
    freeing: Sender<(Box<Conversion>, u64)>,
}

impl GiveBack<'_> {
    fn bytes(&self, held: u64) {
        self.budget.give_back(held);
    }

    fn written(&self, conversion: Box<Conversion>, held: u64) {
        // Freed here when the freeing thread is gone.
        if let Err(unsent) = self.freeing.send((conversion, held)) {
            drop(unsent);
            self.budget.give_back(held);
        }
    }
}

/// Messages of a plan folder its store did not yield: the rest of the plan's count.
fn unread(plan: &Plan, yielded: &[u64], folder: usize) -> u64 {
    let planned = plan.folders.get(folder).map_or(0, |f| f.count);
    planned.saturating_sub(yielded.get(folder).copied().unwrap_or(0))
}

/// What the writer has counted so far, for progress events.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Messages found, whether written or skipped.
    done: u64,
    bytes_read: u64,
    /// The plan folder being written.
    folder: usize,
    skipped: SkipCounts,
}

impl Tally {
    /// A progress event; `total` is the plan's estimate, never less than what is done.
    pub(super) fn progress(
        &self,
        plan: &Plan,
        meter: &Meter,
        total: u64,
        bytes_written: u64,
    ) -> Progress {
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
pub(super) fn estimate_remaining(written: u64, done: u64, total: u64) -> u64 {
    let per_message = written / done.max(1);
    per_message.saturating_mul(total.saturating_sub(done)) + 1024 * 1024
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::run;

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
    fn a_waiting_reader_goes_on_once_its_message_fits_and_only_then() {
        let budget = Budget::new(100);
        assert!(budget.take(90));
        thread::scope(|scope| {
            let waiting = scope.spawn(|| budget.take(50));
            thread::sleep(Duration::from_millis(50));
            budget.give_back(20);
            thread::sleep(Duration::from_millis(50));
            assert!(!waiting.is_finished(), "70 + 50 is still over the limit");
            budget.give_back(30);
            assert!(waiting.join().unwrap(), "40 + 50 fit");
        });
        let state = budget.state.lock().unwrap();
        assert_eq!((state.taken, state.wanted.len()), (90, 0));
    }

    #[test]
    fn the_reader_waits_for_room_before_it_reads_and_takes_nothing() {
        let budget = Budget::new(100);
        assert!(
            budget.wait_for_room(500),
            "nothing held: any message may be read"
        );
        assert!(budget.take(70));
        thread::scope(|scope| {
            let waiting = scope.spawn(|| budget.wait_for_room(50));
            thread::sleep(Duration::from_millis(50));
            assert!(!waiting.is_finished(), "70 + 50 is over the limit");
            budget.give_back(40);
            assert!(waiting.join().unwrap());
        });
        // Waiting took nothing: 30 are held, so 70 more fit at once.
        assert!(budget.take(70));
        budget.close();
        assert!(
            !budget.wait_for_room(1),
            "a closed budget lets the reader stop"
        );
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
        let prepared = prepare_with(&mut raw, FolderKind::Mail, false, false, |_| {
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

    /// A message large enough to be read a second time beside its conversion gives the facts
    /// of a reading before it, whether its boundaries must be renamed for that reading or not,
    /// and is left as it was.
    #[test]
    fn a_large_message_read_beside_its_conversion_reads_as_one_read_before_it() {
        use base64::Engine as _;
        let data: Vec<u8> = (0..2_500_000u32).map(|n| (n * 7 + n / 251) as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        let lines: String = encoded
            .as_bytes()
            .chunks(76)
            .map(|line| format!("{}\n", std::str::from_utf8(line).unwrap()))
            .collect();
        let spill = tempfile::tempdir().unwrap();
        // "outer-alt" begins with "outer": the second reading renames it where it lies.
        for inner in ["inner", "outer-alt"] {
            let bytes = format!(
                "From: a@example.com\nSubject: large\nMessage-ID: <large@example.com>\n\
                 Content-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\n\
                 Content-Type: multipart/alternative; boundary=\"{inner}\"\n\n--{inner}\n\
                 Content-Type: text/plain\n\nhello\n--{inner}\nContent-Type: text/html\n\n\
                 <p>hello</p>\n--{inner}--\n--outer\n\
                 Content-Type: application/octet-stream; name=\"a.bin\"\n\
                 Content-Transfer-Encoding: base64\n\n{lines}--outer--\n"
            )
            .into_bytes();
            assert!(bytes.len() >= READ_BESIDE_FROM);
            let mut raw = RawMessage::new(
                crate::model::FolderPath::root(),
                bytes.clone(),
                Origin::File {
                    path: "large.eml".into(),
                },
            );
            let prepared = prepare(&mut raw, FolderKind::Mail, "UTC", false, true, spill.path());
            assert_eq!(raw.bytes, bytes, "{inner}");
            let before = reading::read_digests(&bytes);
            assert_eq!(before.attachments.len(), 1, "{inner}");
            assert_eq!(before.attachments[0].size, data.len() as u64, "{inner}");
            assert_eq!(
                before.notes.is_empty(),
                inner == "inner",
                "{:?}",
                before.notes
            );
            let before = Facts::of_reading(&before);
            assert_eq!(prepared.facts.as_deref(), Some(&before), "{inner}");
            assert!(
                prepared.converted.warnings.is_empty(),
                "{inner}: {:?}",
                prepared.converted.warnings
            );
        }
    }

    /// Small messages take a share of the budget by their number, not only by their bytes: at
    /// most [`MESSAGES_IN_FLIGHT`] of them are in flight; larger ones by their size.
    #[test]
    fn small_messages_in_flight_are_counted() {
        let message = |len: usize| {
            RawMessage::new(
                crate::model::FolderPath::root(),
                vec![b'a'; len],
                Origin::File {
                    path: "m.eml".into(),
                },
            )
        };
        let small = held_bytes(&message(2_000));
        let budget = Budget::new(IN_FLIGHT_BYTES);
        for _ in 0..MESSAGES_IN_FLIGHT {
            assert!(budget.take(small));
        }
        thread::scope(|scope| {
            let waiting = scope.spawn(|| budget.take(small));
            thread::sleep(Duration::from_millis(50));
            assert!(!waiting.is_finished(), "one message more than the limit");
            budget.give_back(small);
            assert!(waiting.join().unwrap());
        });
        assert_eq!(
            held_bytes(&message(100_000)),
            100_000 + MESSAGE_OVERHEAD,
            "a larger message takes its size"
        );
    }

    #[test]
    fn remaining_bytes_follow_the_size_per_message() {
        assert_eq!(estimate_remaining(1000, 10, 20), 1000 + 1024 * 1024);
        assert_eq!(estimate_remaining(0, 0, 0), 1024 * 1024);
    }
}
