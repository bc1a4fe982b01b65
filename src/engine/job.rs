//! Running a job (docs/design.md §3): check and claim the output, plan, run the pipeline
//! (`engine/pipeline.rs`), read every part back, give the parts their names and save the
//! report; or remove everything when the job fails or is cancelled. [`Job`] runs it on a thread
//! of its own, for a window that must never wait.

use std::thread;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use crossbeam_channel::{Receiver, Sender, bounded};

use crate::license::{self, LicenseStatus};

use super::claim;
use super::error::Error;
use super::memory;
use super::output::{FinishedPart, OutputPaths, Parts};
use super::pipeline::pipeline;
use super::plan::{FolderRole, Plan};
use super::progress::{CancelToken, Event};
use super::read_back::{self, Expected};
use super::report::{LicenseInfo, OutputFile, Report, Status};
use super::spec::JobSpec;

/// The report's note when a PST failed the job's checks.
const NOT_KEPT: &str =
    "the PST did not pass the job's checks (see the problems), so it was not kept";

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
            // The mail of the pipeline is gone; the contents tables are built next, then the
            // PST is read back: each stretch frees what it used before the next one starts.
            memory::give_back_free_memory();
            let finished = parts.finish();
            memory::give_back_free_memory();
            finished
        }
        Ok(_) => {
            drop(parts);
            paths.discard(part_count);
            return Ok(cancelled(report, started_at));
        }
        Err(error) => Err(error),
    };
    let mut finished = match finished {
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
        // Each part was synced to disk while it was read back; it is named once it is there.
        let on_disk = finished.iter_mut().try_for_each(|part| {
            part.syncing
                .wait()
                .map_err(|source| Error::output_io(&paths.part(part.index), source, 0))
        });
        if let Err(error) = on_disk.and_then(|()| paths.commit(finished.len(), spec.overwrite)) {
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
    // Each part's folders and messages are listed once, for the counts here and for the
    // read-back of every message after.
    let mut listed = Vec::with_capacity(finished.len());
    for part in finished {
        if cancel.is_cancelled() {
            return;
        }
        let shown = paths.part(part.index);
        on_event(Event::Verifying {
            path: shown.clone(),
        });
        let listing = read_back::PstMessages::list(&part.pending);
        // Listing reads the small contents tables whole.
        memory::give_back_free_memory();
        let counts = match listing {
            Ok(messages) => {
                let counts = messages.counts();
                listed.push(messages);
                counts
            }
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
        compare_messages(plan, &listed, expected, cancel, report);
    }
    report.verified = all_read;
}

/// The read-back of every message: what the PST holds compared with what the independent
/// reading saw in each source message written. Each message that differs is listed in its
/// folder, with what each side holds.
fn compare_messages(
    plan: &Plan,
    listed: &[read_back::PstMessages],
    expected: Expected,
    cancel: &CancelToken,
    report: &mut Report,
) {
    let comparisons = match read_back::read_back(listed, plan, expected, cancel) {
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
    use crate::engine::progress::Progress;
    use crate::engine::report::SkipCounts;

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
}
