//! The window: an [`eframe::App`] around [`AppState`]. Each frame first takes in what the workers
//! and the job sent (within [`FRAME_BUDGET`]), then draws; native dialogs and the system's file
//! manager are started from here and never waited for.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::platform;
use super::state::{AppState, Config};
use super::view::{self, Action};
use super::workers::{Waker, WorkerEvent};

/// The longest a frame spends taking in events before it draws.
pub const FRAME_BUDGET: Duration = Duration::from_millis(4);

/// The key of the app's settings in eframe's storage.
const SETTINGS_KEY: &str = "mail2pst";

/// What the app remembers between runs (eframe keeps the window's size and place itself).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Settings {
    last_output_folder: Option<PathBuf>,
}

/// The desktop app.
#[derive(Debug)]
pub struct App {
    state: AppState,
    /// The title last given to the window.
    title: String,
}

impl App {
    /// The app in the window eframe created; settings come from eframe's storage.
    pub fn new(cc: &eframe::CreationContext<'_>, config: Config) -> App {
        let settings: Settings = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, SETTINGS_KEY))
            .unwrap_or_default();
        view::set_up_style(&cc.egui_ctx);
        let ctx = cc.egui_ctx.clone();
        let waker: Waker = Arc::new(move || ctx.request_repaint());
        let mut state = AppState::new(config, settings.last_output_folder, waker);
        state.pst_opener = platform::pst_opener();
        App {
            state,
            title: String::new(),
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn state_mut(&mut self) -> &mut AppState {
        &mut self.state
    }

    fn act(&mut self, action: Action, frame: &eframe::Frame) {
        let result = match action {
            Action::PickSources { folder } => self.pick_sources(folder, frame),
            Action::PickOutput => self.pick_output(frame),
            Action::Reveal(path) => platform::spawn(platform::reveal_command(&path)),
            Action::Open(path) => platform::spawn(platform::open_command(&path)),
        };
        if let Err(error) = result {
            tracing::warn!("{error}");
            self.state.notice = Some(error);
        }
    }

    /// The native dialog for adding stores; the paths arrive later as a worker event.
    fn pick_sources(&self, folder: bool, frame: &eframe::Frame) -> Result<(), String> {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(if folder {
                "Add a mail folder or profile"
            } else {
                "Add mail files"
            })
            .set_parent(frame);
        let check = self.state.file_dialog_check();
        let picked = |picked: Option<Vec<rfd::FileHandle>>| {
            let paths: Vec<PathBuf> = picked?.iter().map(|h| h.path().to_path_buf()).collect();
            Some(WorkerEvent::PickedSources(paths))
        };
        let workers = self.state.workers();
        if folder {
            let future = dialog.pick_folders();
            workers.wait_for_dialog(check, false, future, picked)
        } else {
            let future = dialog
                .add_filter("Mail files", &["mbox", "mbx", "eml", "emlx", "msg", "txt"])
                .add_filter("All files", &["*"])
                .pick_files();
            workers.wait_for_dialog(check, false, future, picked)
        }
    }

    /// The native save dialog for the PST; it asks itself before replacing a file.
    fn pick_output(&self, frame: &eframe::Frame) -> Result<(), String> {
        let name = self
            .state
            .options
            .output_path()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "mail.pst".to_owned());
        let future = rfd::AsyncFileDialog::new()
            .set_title("Save the PST file as")
            .set_directory(self.state.output_folder())
            .set_file_name(name)
            .add_filter("Outlook data file", &["pst"])
            .set_parent(frame)
            .save_file();
        let check = self.state.file_dialog_check();
        self.state
            .workers()
            .wait_for_dialog(check, true, future, |picked| {
                let mut path = picked?.path().to_path_buf();
                if path.extension().is_none() {
                    path.set_extension("pst");
                }
                Some(WorkerEvent::PickedOutput(path))
            })
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if ctx.input(|input| input.viewport().close_requested()) && self.state.close_requested() {
            // The job stops and removes what it wrote; the window closes after that.
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        if self.state.update(FRAME_BUDGET) {
            ctx.request_repaint();
        }
        if self.state.may_close_now() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        let title = self.state.title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let dropped: Vec<PathBuf> = ui.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .collect()
        });
        if !dropped.is_empty() && !self.state.is_converting() {
            self.state.add_paths(dropped);
            self.state.screen = super::state::Screen::Sources;
        }
        let actions = view::show(ui, &mut self.state);
        for action in actions {
            self.act(action, frame);
        }
    }

    /// The window is gone however it was closed: a job still running must not be cut off
    /// half-way by the end of the process.
    fn on_exit(&mut self) {
        self.state.stop_job_and_wait();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let settings = Settings {
            last_output_folder: self.state.last_output_folder.clone(),
        };
        eframe::set_value(storage, SETTINGS_KEY, &settings);
    }
}
