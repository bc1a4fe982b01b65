//! The desktop app: one window that finds the user's mail, lets them pick folders and options,
//! converts with live progress and shows what happened — a step at a time, always able to go
//! back. It holds no conversion logic: it builds an engine job, runs it on its own thread and
//! shows its events. The window never waits: workers send events, wake the window, and each
//! frame takes them in within a small time budget before it draws.
//!
//! * [`state`] — the app's state and what each button does, without drawing ([`AppState`]).
//! * [`app`] — the eframe app around it ([`App`]); `view` draws.
//! * [`run`] opens the window (`mail2pst` with no arguments).

pub mod app;
mod logging;
pub mod options;
pub mod paths;
mod platform;
pub mod state;
pub mod tree;
mod view;
pub mod workers;

use anyhow::{Result, anyhow};

pub use app::App;
pub use logging::{LOG_FILTER_VAR, log_folder};
pub use state::{AppState, Config, Outcome, Screen, SourceStatus, Verdict};
pub use workers::{Discover, FileDialogCheck};

/// The app's icon, drawn by `assets/make_icon.py`.
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// The name eframe keeps the window's size and the app's settings under.
pub const APP_ID: &str = "mail2pst";

/// The window's options: title, size, icon. The size and place are remembered between runs.
pub fn native_options() -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("mail2pst")
        .with_app_id(APP_ID)
        .with_inner_size([980.0, 720.0])
        .with_min_inner_size([640.0, 480.0]);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(error) => tracing::warn!("the app icon cannot be read: {error}"),
    }
    eframe::NativeOptions {
        viewport,
        ..eframe::NativeOptions::default()
    }
}

/// Opens the window and returns when it is closed.
pub fn run() -> Result<()> {
    let log = log_folder().map(logging::start).transpose();
    let (log, log_problem) = match log {
        Ok(log) => (log, None),
        Err(error) => (None, Some(error)),
    };
    let config = Config::for_user(log.as_ref().map(|log| log.folder.clone()));
    let result = eframe::run_native(
        APP_ID,
        native_options(),
        Box::new(move |cc| {
            let mut app = App::new(cc, config);
            if let Some(problem) = log_problem {
                app.state_mut().notice = Some(format!("{problem:#}"));
            }
            Ok(Box::new(app))
        }),
    );
    drop(log);
    result.map_err(|e| anyhow!("cannot open the window: {e}"))
}
