//! The app's state and everything it does, apart from drawing: the sources and their folder
//! trees, the options, the running job and how it ended, the license. Each button of the window
//! calls one method here; the tests call the same methods. Nothing here waits: stores are
//! opened and counted by [`Workers`], the conversion runs as an engine [`Job`], and
//! [`AppState::update`] takes in what they sent within a time budget.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};

use crate::engine::{
    self, Event, Job, JobSpec, Progress, Report, SearchRoots, Source, StoreListing, UsualPlace,
    capitalized,
};
use crate::license::{self, License, LicenseStatus, LicenseStore};

use super::options::OptionsForm;
use super::paths;
use super::platform;
use super::tree::{Check, FolderTree};
use super::workers::{Discover, FileDialogCheck, SourceId, Waker, WorkerEvent, Workers};

/// The steps of the window, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Screen {
    Sources,
    Folders,
    Options,
    Converting,
    Done,
}

impl Screen {
    pub const ALL: [Screen; 5] = [
        Screen::Sources,
        Screen::Folders,
        Screen::Options,
        Screen::Converting,
        Screen::Done,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Sources => "Sources",
            Screen::Folders => "Folders",
            Screen::Options => "Options",
            Screen::Converting => "Converting",
            Screen::Done => "Done",
        }
    }
}

/// What the app is started with; tests give their own stores, home folder, license folder and
/// log file.
#[derive(Clone)]
pub struct Config {
    /// Finds the stores on this machine.
    pub discover: Discover,
    /// The user's folders: `~` in a typed path, and the shortcuts to the usual places of mail
    /// clients' data.
    pub roots: Option<SearchRoots>,
    /// Says why no native file dialog can open, if none can.
    pub file_dialog_check: FileDialogCheck,
    /// Where the license key is kept, or why there is no such place.
    pub license_store: Result<LicenseStore, String>,
    /// The log file, shown in the About box.
    pub log_file: Option<PathBuf>,
    /// Where the PST goes unless the person chose a folder before.
    pub output_folder: PathBuf,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("roots", &self.roots)
            .field("license_store", &self.license_store)
            .field("log_file", &self.log_file)
            .field("output_folder", &self.output_folder)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The current user's stores, license and folders.
    pub fn for_user(log_file: Option<PathBuf>) -> Config {
        let output_folder = directories::UserDirs::new()
            .map(|dirs| {
                dirs.document_dir()
                    .unwrap_or_else(|| dirs.home_dir())
                    .to_path_buf()
            })
            .unwrap_or_else(|| PathBuf::from("."));
        let roots = SearchRoots::of_current_user();
        Config {
            discover: Config::discover_in(roots.clone()),
            roots,
            file_dialog_check: FileDialogCheck::new(platform::file_dialog_problem),
            license_store: LicenseStore::for_user().map_err(|e| e.to_string()),
            log_file,
            output_folder,
        }
    }
}

impl Config {
    /// Discovery in the usual places under `roots` (none without them); its remarks go to the
    /// log.
    pub fn discover_in(roots: Option<SearchRoots>) -> Discover {
        std::sync::Arc::new(move || {
            let Some(roots) = &roots else {
                return Vec::new();
            };
            let discovery = engine::discover_in(roots);
            for note in &discovery.notes {
                tracing::info!("discovery: {note}");
            }
            discovery.found
        })
    }
}

/// A store on the Sources screen.
#[derive(Debug)]
pub struct SourceEntry {
    pub id: SourceId,
    /// The path the person added; `None` for a store discovery found (its root is in the
    /// source once opened).
    pub path: Option<PathBuf>,
    /// Found in the usual places rather than added by the person.
    pub found_on_machine: bool,
    pub status: SourceStatus,
}

/// How far a store on the Sources screen has got.
#[derive(Debug)]
pub enum SourceStatus {
    Opening,
    /// Opened; its folders are being counted.
    Counting {
        source: Source,
    },
    Ready(Box<ReadySource>),
    /// It cannot be read; the text says why and what to do.
    Failed(String),
}

/// A store with its folders counted.
#[derive(Debug)]
pub struct ReadySource {
    pub source: Source,
    pub listing: StoreListing,
    pub tree: FolderTree,
}

impl SourceEntry {
    /// The name shown for the store.
    pub fn title(&self) -> String {
        match &self.status {
            SourceStatus::Ready(ready) => ready.listing.name.clone(),
            SourceStatus::Counting { source } => source.name(),
            SourceStatus::Opening | SourceStatus::Failed(_) => match &self.path {
                Some(path) => path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string()),
                None => "A mail store on this computer".to_owned(),
            },
        }
    }

    /// Where the store is on disk, as far as known.
    pub fn location(&self) -> Option<PathBuf> {
        match &self.status {
            SourceStatus::Ready(ready) => Some(ready.source.root()),
            SourceStatus::Counting { source } => Some(source.root()),
            _ => self.path.clone(),
        }
    }

    /// Still being opened or counted.
    pub fn is_busy(&self) -> bool {
        matches!(
            self.status,
            SourceStatus::Opening | SourceStatus::Counting { .. }
        )
    }

    pub fn ready(&self) -> Option<&ReadySource> {
        match &self.status {
            SourceStatus::Ready(ready) => Some(ready),
            _ => None,
        }
    }

    fn ready_mut(&mut self) -> Option<&mut ReadySource> {
        match &mut self.status {
            SourceStatus::Ready(ready) => Some(ready),
            _ => None,
        }
    }
}

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

/// What the license dialog thinks of the text pasted so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Empty,
    Valid(License),
    /// What is wrong with it, in words for the person.
    Invalid(String),
}

/// The "Enter license key" dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseDialog {
    pub text: String,
    pub verdict: Verdict,
    /// Why a valid key could not be stored.
    pub error: Option<String>,
}

/// Everything the window shows, and what it does.
#[derive(Debug)]
pub struct AppState {
    pub screen: Screen,
    pub sources: Vec<SourceEntry>,
    /// Discovery is still looking.
    pub discovering: bool,
    /// A passing remark on the Sources screen (e.g. a path that was already in the list).
    pub notice: Option<String>,
    /// The text of the Sources screen's path field.
    pub path_text: String,
    /// Ways to finish the path being typed.
    pub completions: Vec<String>,
    /// The usual places of mail clients' data that exist here, offered as shortcuts.
    pub places: Vec<UsualPlace>,
    /// Why no file dialog can open, once one was asked for and could not.
    pub file_dialog_problem: Option<String>,
    home: Option<PathBuf>,
    file_dialog_check: FileDialogCheck,
    /// Entries the person removed (a store found later in the same folder is not added).
    removed: Vec<SourceId>,
    pub folder_filter: String,
    pub options: OptionsForm,
    /// Why the options cannot be used, shown on the Options screen.
    pub options_error: Option<String>,
    /// The output exists; the window asks whether to replace it.
    pub confirm_overwrite: Option<PathBuf>,
    /// The output the person already agreed to replace (picked in the save dialog, which asks).
    overwrite_agreed: Option<PathBuf>,
    running: Option<Running>,
    /// The window was asked to close while a job ran: it closes once the job has stopped.
    closing: bool,
    pub outcome: Option<Outcome>,
    pub license_status: LicenseStatus,
    license_store: Result<LicenseStore, String>,
    pub license_dialog: Option<LicenseDialog>,
    /// Where a license can be bought (set when the app was built); no link without it.
    pub purchase_url: Option<String>,
    /// The program the system opens a PST with, when there is one that is Outlook's (Windows
    /// with classic Outlook); the Done screen then offers "Open in Outlook".
    pub pst_opener: Option<String>,
    pub show_about: bool,
    pub log_file: Option<PathBuf>,
    /// The folder of the last PST written or chosen, remembered between runs.
    pub last_output_folder: Option<PathBuf>,
    default_output_folder: PathBuf,
    workers: Workers,
    events: Receiver<WorkerEvent>,
}

impl AppState {
    /// The state of a new window: discovery starts at once on a worker.
    pub fn new(config: Config, last_output_folder: Option<PathBuf>, waker: Waker) -> AppState {
        let (workers, events) = Workers::new(waker);
        let license_status = match &config.license_store {
            Ok(store) => store.status(),
            Err(reason) => LicenseStatus::Demo {
                reason: Some(reason.clone()),
            },
        };
        let folder = last_output_folder
            .clone()
            .unwrap_or_else(|| config.output_folder.clone());
        let mut state = AppState {
            screen: Screen::Sources,
            sources: Vec::new(),
            discovering: true,
            notice: None,
            path_text: String::new(),
            completions: Vec::new(),
            places: Vec::new(),
            file_dialog_problem: None,
            home: config.roots.as_ref().map(|roots| roots.home.clone()),
            file_dialog_check: config.file_dialog_check,
            removed: Vec::new(),
            folder_filter: String::new(),
            options: OptionsForm::new(free_name(&folder)),
            options_error: None,
            confirm_overwrite: None,
            overwrite_agreed: None,
            running: None,
            closing: false,
            outcome: None,
            license_status,
            license_store: config.license_store,
            license_dialog: None,
            purchase_url: license::purchase_url().map(str::to_owned),
            pst_opener: None,
            show_about: false,
            log_file: config.log_file,
            last_output_folder,
            default_output_folder: config.output_folder,
            workers,
            events,
        };
        if let Err(error) = state.workers.discover(config.discover, config.roots) {
            state.discovering = false;
            state.notice = Some(error);
        }
        state
    }

    /// Starts background work (native dialogs wait on these).
    pub fn workers(&self) -> &Workers {
        &self.workers
    }

    // ----- Sources -----

    /// Adds stores the person picked or dropped; each is opened and counted on a worker.
    pub fn add_paths(&mut self, paths: Vec<PathBuf>) {
        let mut items = Vec::new();
        let mut already = Vec::new();
        for path in paths {
            let known = self.sources.iter().any(|entry| {
                entry.path.as_ref() == Some(&path) || entry.location() == Some(path.clone())
            });
            if known || items.iter().any(|(_, p)| p == &path) {
                already.push(path.display().to_string());
                continue;
            }
            let id = self.workers.next_id();
            tracing::info!("adding {}", path.display());
            self.sources.push(SourceEntry {
                id,
                path: Some(path.clone()),
                found_on_machine: false,
                status: SourceStatus::Opening,
            });
            items.push((id, path));
        }
        self.notice =
            (!already.is_empty()).then(|| format!("Already in the list: {}", already.join(", ")));
        if items.is_empty() {
            return;
        }
        let ids: Vec<SourceId> = items.iter().map(|(id, _)| *id).collect();
        if let Err(error) = self.workers.open(items) {
            for entry in self.sources.iter_mut().filter(|e| ids.contains(&e.id)) {
                entry.status = SourceStatus::Failed(error.clone());
            }
        }
    }

    /// The path field changed; ways to finish it are looked up on a worker.
    pub fn set_path_text(&mut self, text: String) {
        if text == self.path_text {
            return;
        }
        self.path_text = text;
        self.completions.clear();
        if self.path_text.trim().is_empty() {
            return;
        }
        if let Err(error) = self
            .workers
            .complete(self.path_text.clone(), self.home.clone())
        {
            tracing::warn!("{error}");
        }
    }

    /// "Add" (or Enter) in the path field: the typed path, `~` expanded, is added.
    pub fn add_typed_path(&mut self) {
        match paths::expand(&self.path_text, self.home.as_deref()) {
            Some(path) => {
                self.path_text.clear();
                self.completions.clear();
                self.add_paths(vec![path]);
            }
            None => {
                self.notice = Some(
                    "Type or paste the path of a mail file or folder first, e.g. ~/.thunderbird"
                        .to_owned(),
                );
            }
        }
    }

    /// The home folder, for `~` in typed paths.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// What tells whether a native file dialog can open.
    pub fn file_dialog_check(&self) -> FileDialogCheck {
        self.file_dialog_check.clone()
    }

    /// The title of another entry that already shows the store at `root` (a folder added
    /// twice over, or a data folder whose profile discovery found).
    fn listed_elsewhere(&self, id: SourceId, root: &Path) -> Option<String> {
        self.sources
            .iter()
            .filter(|entry| entry.id != id)
            .find(|entry| entry.location().as_deref() == Some(root))
            .map(SourceEntry::title)
    }

    pub fn remove_source(&mut self, id: SourceId) {
        self.sources.retain(|entry| entry.id != id);
        self.removed.push(id);
    }

    fn entry_mut(&mut self, id: SourceId) -> Option<&mut SourceEntry> {
        self.sources.iter_mut().find(|entry| entry.id == id)
    }

    /// Stores being opened or counted, discovery included.
    pub fn busy(&self) -> bool {
        self.discovering || self.sources.iter().any(SourceEntry::is_busy)
    }

    fn take_worker_event(&mut self, event: WorkerEvent) {
        match event {
            WorkerEvent::Found { id, result } => {
                if let Ok(source) = &result
                    && self.listed_elsewhere(id, &source.root()).is_some()
                {
                    return;
                }
                let status = match result {
                    Ok(source) => SourceStatus::Counting { source },
                    Err(error) => {
                        tracing::warn!("discovery: {error}");
                        SourceStatus::Failed(error)
                    }
                };
                self.sources.push(SourceEntry {
                    id,
                    path: None,
                    found_on_machine: true,
                    status,
                });
            }
            WorkerEvent::DiscoveryFinished => self.discovering = false,
            WorkerEvent::Opened {
                id,
                path,
                along_with,
                result,
            } => {
                if let Ok(source) = &result
                    && let Some(title) = self.listed_elsewhere(id, &source.root())
                {
                    self.sources.retain(|entry| entry.id != id);
                    self.notice = Some(format!("Already in the list: {title}"));
                    return;
                }
                let status = match result {
                    Ok(source) => SourceStatus::Counting { source },
                    Err(error) => {
                        tracing::warn!("cannot open a source: {error}");
                        SourceStatus::Failed(error)
                    }
                };
                if let Some(entry) = self.entry_mut(id) {
                    entry.status = status;
                } else if along_with.is_some_and(|first| !self.removed.contains(&first)) {
                    // Another store of the same folder, listed after the first.
                    let at = self
                        .sources
                        .iter()
                        .rposition(|entry| entry.path.as_ref() == Some(&path))
                        .map_or(self.sources.len(), |at| at + 1);
                    self.sources.insert(
                        at,
                        SourceEntry {
                            id,
                            path: Some(path),
                            found_on_machine: false,
                            status,
                        },
                    );
                }
            }
            WorkerEvent::Places(places) => self.places = places,
            WorkerEvent::Completions { text, options } => {
                if text == self.path_text {
                    self.completions = options;
                }
            }
            WorkerEvent::NoFileDialog {
                problem,
                for_output,
            } => {
                if for_output {
                    self.options_error = Some(format!(
                        "{}. Type the PST file's path in the field instead.",
                        capitalized(&problem)
                    ));
                } else {
                    self.file_dialog_problem = Some(problem);
                }
            }
            WorkerEvent::Listed { id, listing } => {
                if let Some(entry) = self.entry_mut(id) {
                    let SourceStatus::Counting { source } = &entry.status else {
                        return;
                    };
                    entry.status = match &listing.error {
                        Some(error) => SourceStatus::Failed(error.clone()),
                        None => SourceStatus::Ready(Box::new(ReadySource {
                            source: source.clone(),
                            tree: FolderTree::new(&listing.folders),
                            listing,
                        })),
                    };
                }
            }
            WorkerEvent::PickedSources(paths) => self.add_paths(paths),
            WorkerEvent::PickedOutput(path) => self.set_output_picked(path),
        }
    }

    // ----- Folders -----

    /// Ticks or clears every folder of one store.
    pub fn set_store_selected(&mut self, id: SourceId, selected: bool) {
        if let Some(ready) = self.entry_mut(id).and_then(SourceEntry::ready_mut) {
            ready.tree.set_all(selected);
        }
    }

    /// A click on a folder's box.
    pub fn toggle_folder(&mut self, id: SourceId, folder: usize) {
        if let Some(ready) = self.entry_mut(id).and_then(SourceEntry::ready_mut) {
            ready.tree.toggle(folder);
        }
    }

    pub fn set_folder_expanded(&mut self, id: SourceId, folder: usize, expanded: bool) {
        if let Some(ready) = self.entry_mut(id).and_then(SourceEntry::ready_mut) {
            ready.tree.set_expanded(folder, expanded);
        }
    }

    /// Ticks or clears every folder of every store.
    pub fn select_all(&mut self, selected: bool) {
        for entry in &mut self.sources {
            if let Some(ready) = entry.ready_mut() {
                ready.tree.set_all(selected);
            }
        }
    }

    /// Stores whose folders are counted.
    pub fn ready_sources(&self) -> impl Iterator<Item = (SourceId, &ReadySource)> {
        self.sources
            .iter()
            .filter_map(|entry| entry.ready().map(|ready| (entry.id, ready)))
    }

    pub fn selected_folders(&self) -> usize {
        self.ready_sources()
            .map(|(_, ready)| ready.tree.selected_folders())
            .sum()
    }

    pub fn selected_messages(&self) -> u64 {
        self.ready_sources()
            .map(|(_, ready)| ready.tree.selected_messages())
            .sum()
    }

    // ----- Moving between screens -----

    /// Why the person cannot go on from `screen` yet; `None` when they can.
    pub fn blocker(&self, screen: Screen) -> Option<String> {
        match screen {
            Screen::Sources => {
                if self.ready_sources().next().is_none() {
                    Some(if self.busy() {
                        "Wait until the stores are counted, or add one.".to_owned()
                    } else {
                        "Add a mail store first.".to_owned()
                    })
                } else if self.selected_folders() == 0 {
                    Some("Tick at least one store.".to_owned())
                } else {
                    None
                }
            }
            Screen::Folders => {
                (self.selected_folders() == 0).then(|| "Tick at least one folder.".to_owned())
            }
            Screen::Options => self
                .options
                .to_options()
                .and(self.options.output_path().map(|_| ()))
                .err(),
            Screen::Converting | Screen::Done => None,
        }
    }

    /// Goes to the next step when the current one allows it.
    pub fn next(&mut self) {
        if self.blocker(self.screen).is_some() {
            return;
        }
        match self.screen {
            Screen::Sources => self.screen = Screen::Folders,
            Screen::Folders => self.screen = Screen::Options,
            Screen::Options => self.convert(),
            Screen::Converting | Screen::Done => {}
        }
    }

    /// Goes one step back (not while converting).
    pub fn back(&mut self) {
        self.screen = match self.screen {
            Screen::Sources | Screen::Folders => Screen::Sources,
            Screen::Options => Screen::Folders,
            Screen::Converting => Screen::Converting,
            Screen::Done => Screen::Options,
        };
    }

    /// Jumps to an earlier step from the step list (not while converting).
    pub fn go_to(&mut self, screen: Screen) {
        let reachable = match screen {
            Screen::Sources => true,
            Screen::Folders => self.blocker(Screen::Sources).is_none(),
            Screen::Options => {
                self.blocker(Screen::Sources).is_none() && self.blocker(Screen::Folders).is_none()
            }
            Screen::Converting | Screen::Done => false,
        };
        if reachable && !self.is_converting() {
            self.screen = screen;
        }
    }

    // ----- Options -----

    /// The output file chosen in the native save dialog, which has already asked about
    /// replacing it.
    pub fn set_output_picked(&mut self, path: PathBuf) {
        self.options.output = path.display().to_string();
        self.overwrite_agreed = Some(path.clone());
        self.remember_folder_of(&path);
    }

    fn remember_folder_of(&mut self, output: &Path) {
        if let Some(folder) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
            self.last_output_folder = Some(folder.to_path_buf());
        }
    }

    /// The folder the save dialog opens in.
    pub fn output_folder(&self) -> PathBuf {
        self.options
            .output_path()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .filter(|p| p.is_dir())
            .or_else(|| self.last_output_folder.clone())
            .unwrap_or_else(|| self.default_output_folder.clone())
    }

    // ----- Converting -----

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

    // ----- License -----

    pub fn is_demo(&self) -> bool {
        !self.license_status.is_licensed()
    }

    pub fn open_license_dialog(&mut self) {
        self.license_dialog = Some(LicenseDialog {
            text: String::new(),
            verdict: Verdict::Empty,
            error: None,
        });
    }

    pub fn close_license_dialog(&mut self) {
        self.license_dialog = None;
    }

    /// The pasted text changed: check it at once.
    pub fn set_license_text(&mut self, text: String) {
        let verdict = if text.trim().is_empty() {
            Verdict::Empty
        } else {
            match license::verify(&text) {
                Ok(license) => Verdict::Valid(license),
                Err(error) => Verdict::Invalid(capitalized(&error.to_string())),
            }
        };
        if let Some(dialog) = &mut self.license_dialog {
            dialog.text = text;
            dialog.verdict = verdict;
            dialog.error = None;
        }
    }

    /// Stores a valid key and runs licensed from now on.
    pub fn activate_license(&mut self) {
        let Some(dialog) = &mut self.license_dialog else {
            return;
        };
        let stored = match &self.license_store {
            Ok(store) => store.activate(&dialog.text).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.clone()),
        };
        match stored {
            Ok(license) => {
                tracing::info!("license activated for {license}");
                if let Ok(store) = &self.license_store {
                    self.license_status = store.status();
                }
                self.license_dialog = None;
            }
            Err(error) => dialog.error = Some(capitalized(&error)),
        }
    }

    /// The window's title: the app's name, and the demo state.
    pub fn title(&self) -> String {
        if self.is_demo() {
            "mail2pst — demo".to_owned()
        } else {
            "mail2pst".to_owned()
        }
    }
}

/// `mail.pst` in `folder`, or `mail-2.pst`, … when that is taken.
fn free_name(folder: &Path) -> PathBuf {
    let first = folder.join("mail.pst");
    if !first.exists() {
        return first;
    }
    (2..1000)
        .map(|n| folder.join(format!("mail-{n}.pst")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
    }

    fn state_finding(paths: Vec<PathBuf>, license_dir: &Path) -> AppState {
        let config = Config {
            discover: Arc::new(move || paths.iter().map(Source::open).collect()),
            roots: None,
            file_dialog_check: FileDialogCheck::always_available(),
            license_store: Ok(LicenseStore::new(license_dir)),
            log_file: None,
            output_folder: license_dir.to_path_buf(),
        };
        AppState::new(config, None, Arc::new(|| {}))
    }

    fn settle(state: &mut AppState) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while state.busy() || state.is_converting() {
            state.update(Duration::from_millis(5));
            assert!(Instant::now() < deadline, "still busy: {state:?}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn found_and_added_stores_are_counted_and_converted() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = state_finding(vec![fixtures().join("sample")], dir.path());
        assert_eq!(
            state.blocker(Screen::Sources).as_deref(),
            Some("Wait until the stores are counted, or add one.")
        );
        settle(&mut state);
        assert_eq!(state.sources.len(), 1);
        assert!(state.sources[0].found_on_machine);
        let messages = state.selected_messages();
        assert!(messages > 0);
        state.add_paths(vec![fixtures().join("sample")]);
        assert!(
            state
                .notice
                .as_deref()
                .unwrap()
                .starts_with("Already in the list")
        );
        state.next();
        state.next();
        assert_eq!(state.screen, Screen::Options);
        state.options.output = dir.path().join("out.pst").display().to_string();
        state.next();
        assert_eq!(state.screen, Screen::Converting);
        settle(&mut state);
        assert_eq!(state.screen, Screen::Done);
        let report = state.report().unwrap();
        assert_eq!(report.totals.found, messages);
        assert_eq!(state.last_output_folder.as_deref(), Some(dir.path()));
        // Converting again into the same file asks first.
        state.convert();
        assert_eq!(state.confirm_overwrite, Some(dir.path().join("out.pst")));
        state.keep_output();
        assert!(!state.is_converting());
        state.convert_more();
        assert_eq!(state.screen, Screen::Sources);
        assert_eq!(
            state.options.output,
            dir.path().join("mail.pst").display().to_string()
        );
    }

    #[test]
    fn a_store_that_cannot_be_read_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = state_finding(Vec::new(), dir.path());
        let garbage = dir.path().join("notes.txt");
        std::fs::write(&garbage, [0u8, 159, 146, 150]).unwrap();
        state.add_paths(vec![garbage]);
        settle(&mut state);
        let SourceStatus::Failed(error) = &state.sources[0].status else {
            panic!("{:?}", state.sources[0]);
        };
        assert!(
            error.contains("not a mail store this app can read"),
            "{error}"
        );
        assert_eq!(
            state.blocker(Screen::Sources).as_deref(),
            Some("Add a mail store first.")
        );
    }

    #[test]
    fn license_keys_are_judged_as_they_are_pasted() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = state_finding(Vec::new(), dir.path());
        assert!(state.is_demo());
        assert_eq!(state.title(), "mail2pst — demo");
        state.open_license_dialog();
        let key = std::fs::read_to_string(fixtures().join("licenses/valid.key")).unwrap();
        state.set_license_text(key[..30].to_owned());
        let Some(LicenseDialog {
            verdict: Verdict::Invalid(why),
            ..
        }) = &state.license_dialog
        else {
            panic!("{:?}", state.license_dialog);
        };
        assert!(why.starts_with("The license key is incomplete"), "{why}");
        state.set_license_text(key);
        assert!(matches!(
            state.license_dialog.as_ref().unwrap().verdict,
            Verdict::Valid(_)
        ));
        state.activate_license();
        assert!(state.license_dialog.is_none());
        assert!(!state.is_demo());
        assert!(dir.path().join(license::LICENSE_FILE_NAME).exists());
    }
}
