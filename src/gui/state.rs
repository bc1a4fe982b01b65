//! The app's state and everything it does, apart from drawing: the sources and their folder
//! trees, the options, the running job and how it ended, the license. Each button of the window
//! calls one method here; the tests call the same methods. Nothing here waits: stores are
//! opened and counted by [`Workers`], the conversion runs as an engine [`Job`](crate::engine::Job),
//! and [`AppState::update`] takes in what they sent within a time budget.
//!
//! Here: the screens, the state as a whole, moving between screens and the options. The rest
//! of [`AppState`]'s methods are in child modules, each an `impl AppState` of its own:
//! `sources` (the Sources and Folders screens), `running` (the conversion and how it ended)
//! and `license_dialog` (demo or licensed, and the key dialog).

use std::path::{Path, PathBuf};

use crossbeam_channel::Receiver;

use crate::engine::{self, Keychain, SearchRoots, UsualPlace};
use crate::license::{self, LicenseStatus, LicenseStore};

use super::options::OptionsForm;
use super::platform;
use super::workers::{Discover, FileDialogCheck, SourceId, Waker, WorkerEvent, Workers};

mod gap_form;
mod imap_form;
mod license_dialog;
mod running;
mod sources;

pub use gap_form::GapForm;
pub use imap_form::{ImapForm, KeychainField, Provider};
pub use license_dialog::{LicenseDialog, Verdict};
pub use running::{Outcome, Planned, Running};
pub use sources::{ReadySource, SourceEntry, SourceStatus};

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
    /// Where IMAP passwords are kept when the person asks: this computer's keychain.
    pub keychain: Keychain,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("roots", &self.roots)
            .field("license_store", &self.license_store)
            .field("log_file", &self.log_file)
            .field("output_folder", &self.output_folder)
            .field("keychain", &self.keychain)
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
            keychain: Keychain::system(),
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
    /// The "Add an IMAP account" form, while it is open.
    pub imap_form: Option<ImapForm>,
    /// The password form for fetching a store's messages from their server, while it is open.
    pub gap_form: Option<GapForm>,
    /// Where IMAP passwords are kept when the person asks.
    keychain: Keychain,
    /// What the keychain did after a login (kept a password, removed one), or why it could
    /// not: said under the Sources and Folders steps.
    pub keychain_notice: Option<Result<String, String>>,
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
            imap_form: None,
            gap_form: None,
            keychain: config.keychain,
            keychain_notice: None,
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
    use crate::engine::Source;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

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
            keychain: Keychain::system(),
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
