//! The conversion: starting it (after asking before replacing an output), taking in its events
//! while it runs, cancelling it, and how it ended.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::TryRecvError;

use crate::engine::{self, Event, Job, JobSpec, Progress, Report};

use crate::gui::tree::Check;

use super::{AppState, Screen, free_name};

/// What the job said it will do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    pub stores: usize,
    pub folders: usize,
    pub messages: u64,
}

/// The conversion while it runs.
#[derive(Debug)]
pub struct Running {
    job: Job,
    pub output: PathBuf,
    pub started: Instant,
    pub planned: Option<Planned>,
    pub progress: Option<Progress>,
    /// The PST being read back, once writing is done.
    pub verifying: Option<PathBuf>,
    /// PST files finished so far, with their sizes.
    pub files: Vec<(PathBuf, u64)>,
    /// The "stop converting?" question is shown.
    pub confirm_cancel: bool,
    /// When the person confirmed the cancel.
    pub cancelled_at: Option<Instant>,
}

impl Running {
    fn take(&mut self, event: Event) {
        match event {
            Event::Planned {
                stores,
                folders,
                messages,
            } => {
                self.planned = Some(Planned {
                    stores,
                    folders,
                    messages,
                });
            }
            Event::Progress(progress) => self.progress = Some(progress),
            Event::FileFinished { path, bytes } => self.files.push((path, bytes)),
            Event::Verifying { path } => self.verifying = Some(path),
        }
    }

    /// Messages skipped so far.
    pub fn skipped(&self) -> u64 {
        self.progress.as_ref().map_or(0, |p| p.skipped.total())
    }
}

/// How the last conversion ended.
#[derive(Debug)]
pub enum Outcome {
    /// It ran to its end or was cancelled; the report says which.
    Finished(Box<Report>),
    /// It could not run, or stopped on something that concerns it as a whole.
    Failed(String),
}

impl AppState {
    pub fn is_converting(&self) -> bool {
        self.running.is_some()
    }

    pub fn running(&self) -> Option<&Running> {
        self.running.as_ref()
    }

    /// "Convert": checks the options and starts, unless the output exists and the person has
    /// not agreed to replace it (then the window asks first).
    pub fn convert(&mut self) {
        let output = match self.options.output_path() {
            Ok(output) => output,
            Err(error) => {
                self.options_error = Some(error);
                return;
            }
        };
        let exists = !engine::existing_outputs(&output).is_empty();
        if exists && self.overwrite_agreed.as_ref() != Some(&output) {
            self.confirm_overwrite = Some(output);
            return;
        }
        self.start(exists);
    }

    /// The person agreed to replace the existing output.
    pub fn replace_output(&mut self) {
        if let Some(output) = self.confirm_overwrite.take() {
            self.overwrite_agreed = Some(output);
            self.start(true);
        }
    }

    pub fn keep_output(&mut self) {
        self.confirm_overwrite = None;
    }

    /// Starts the job on its own thread and shows its progress.
    pub fn start(&mut self, overwrite: bool) {
        if self.is_converting() {
            return;
        }
        let (options, output) = match (self.options.to_options(), self.options.output_path()) {
            (Ok(options), Ok(output)) => (options, output),
            (Err(error), _) | (_, Err(error)) => {
                self.options_error = Some(error);
                self.screen = Screen::Options;
                return;
            }
        };
        self.options_error = None;
        let stores = self
            .ready_sources()
            .filter(|(_, ready)| ready.tree.check_all() != Check::Unchecked)
            .map(|(_, ready)| engine::StoreSelection {
                source: ready.source.clone(),
                folders: ready.tree.selection(),
            })
            .collect();
        let mut spec = JobSpec::new(Vec::new(), output.clone());
        spec.stores = stores;
        spec.options = options;
        spec.overwrite = overwrite;
        spec.license = Some(self.license_status.clone());
        self.remember_folder_of(&output);
        tracing::info!("converting into {}", output.display());
        let waker = self.workers.waker();
        let job = Job::start(spec, move || waker());
        self.running = Some(Running {
            job,
            output,
            started: Instant::now(),
            planned: None,
            progress: None,
            verifying: None,
            files: Vec::new(),
            confirm_cancel: false,
            cancelled_at: None,
        });
        self.outcome = None;
        self.screen = Screen::Converting;
    }

    /// "Cancel": asks first.
    pub fn ask_cancel(&mut self) {
        if let Some(running) = &mut self.running
            && running.cancelled_at.is_none()
        {
            running.confirm_cancel = true;
        }
    }

    pub fn keep_converting(&mut self) {
        if let Some(running) = &mut self.running {
            running.confirm_cancel = false;
        }
    }

    /// The person confirmed: the job stops at the next message and removes what it wrote.
    pub fn confirm_cancel(&mut self) {
        if let Some(running) = &mut self.running {
            running.confirm_cancel = false;
            if running.cancelled_at.is_none() {
                tracing::info!("cancelling the conversion");
                running.cancelled_at = Some(Instant::now());
                running.job.cancel();
            }
        }
    }

    /// The window is asked to close. A running job is cancelled as Cancel does (without
    /// asking: closing the window says it), and the window waits for it to remove what it
    /// wrote. True while the window must stay open for that.
    pub fn close_requested(&mut self) -> bool {
        let Some(running) = &mut self.running else {
            return false;
        };
        running.confirm_cancel = false;
        if running.cancelled_at.is_none() {
            tracing::info!("the window is closing: cancelling the conversion");
            running.cancelled_at = Some(Instant::now());
            running.job.cancel();
        }
        self.closing = true;
        true
    }

    /// The window was asked to close during a job, and that job has now stopped.
    pub fn may_close_now(&self) -> bool {
        self.closing && self.running.is_none()
    }

    /// The app is ending: a job still running is cancelled and waited for, so that it
    /// removes what it wrote before the process ends.
    pub fn stop_job_and_wait(&mut self) {
        if let Some(running) = self.running.take() {
            running.job.cancel();
            let _ = running.job.wait();
        }
    }

    /// Takes in what the workers and the job sent, for at most `budget`. Returns true when
    /// something is left for the next frame.
    pub fn update(&mut self, budget: Duration) -> bool {
        let deadline = Instant::now() + budget;
        while Instant::now() < deadline {
            match self.events.try_recv() {
                Ok(event) => self.take_worker_event(event),
                Err(_) => break,
            }
        }
        let Some(running) = &mut self.running else {
            return !self.events.is_empty();
        };
        let finished = running.job.is_finished();
        loop {
            if Instant::now() >= deadline {
                return true;
            }
            match running.job.events().try_recv() {
                Ok(event) => running.take(event),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        if finished {
            self.finish();
        }
        !self.events.is_empty()
    }

    /// The job's thread has ended: keep its report (or error) and show the Done screen.
    fn finish(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        let output = running.output.clone();
        match running.job.wait() {
            Ok(report) => {
                tracing::info!("conversion ended: {}", report.status.describe());
                self.outcome = Some(Outcome::Finished(Box::new(report)));
                self.screen = Screen::Done;
            }
            Err(engine::Error::OutputExists { path }) => {
                // Files of an earlier job the first check did not see (its split parts).
                self.overwrite_agreed = None;
                self.confirm_overwrite = Some(output);
                self.options_error = Some(format!("{} already exists.", path.display()));
                self.screen = Screen::Options;
            }
            Err(error) => {
                tracing::error!("conversion failed: {error}");
                self.outcome = Some(Outcome::Failed(error.to_string()));
                self.screen = Screen::Done;
            }
        }
    }

    /// The report of the last conversion, when it ran.
    pub fn report(&self) -> Option<&Report> {
        match &self.outcome {
            Some(Outcome::Finished(report)) => Some(report),
            _ => None,
        }
    }

    /// "Convert more": back to the sources, with a fresh output name in the same folder.
    pub fn convert_more(&mut self) {
        self.outcome = None;
        self.overwrite_agreed = None;
        let folder = self.output_folder();
        self.options.output = free_name(&folder).display().to_string();
        self.screen = Screen::Sources;
    }
}
