//! The desktop app in a real window, drawn by its real renderer: the test walks through every
//! screen and saves a PNG of each under `target/gui-screenshots/` for a person to look at.
//!
//! It needs a display. On Linux without one it runs itself again under `xvfb-run -a` (CI runs
//! the whole suite under `xvfb-run -a`; `scripts/test-setup.sh` installs Xvfb). A window must be
//! opened on the main thread on some systems, so this test has a `main` of its own
//! (`harness = false`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

mod generated_mail;

use generated_mail::meetings_mbox;
use mail2pst::engine::{self, SearchRoots, Status, SystemLayout};
use mail2pst::gui::{App, AppState, Config, FileDialogCheck, Screen};
use mail2pst::license::LicenseStore;

/// Set in the copy of this test that runs under Xvfb.
const UNDER_XVFB: &str = "MAIL2PST_SCREENSHOTS_UNDER_XVFB";

/// The longest the whole walk may take.
const PATIENCE: Duration = Duration::from_secs(300);

/// The screens saved, in order.
const SHOTS: &[&str] = &[
    "1-sources",
    "2-folders",
    "3-options",
    "4-converting",
    "5-done",
    "license-key",
    "about",
    "imap-account",
    "5-done-dark",
    "1-sources-200-percent",
];

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("screenshots: test");
        return ExitCode::SUCCESS;
    }
    // `cargo test NAME` passes NAME to every test binary: run only when it names this one.
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "screenshots".contains(f.as_str())) {
        return ExitCode::SUCCESS;
    }
    if needs_xvfb() {
        return rerun_under_xvfb(&args);
    }
    match walk_through_screens() {
        Ok(dir) => {
            println!("test screenshots ... ok ({})", dir.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("test screenshots ... FAILED\n{error}");
            ExitCode::FAILURE
        }
    }
}

fn needs_xvfb() -> bool {
    cfg!(all(unix, not(target_os = "macos")))
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
        && std::env::var_os(UNDER_XVFB).is_none()
}

fn rerun_under_xvfb(args: &[String]) -> ExitCode {
    let me = std::env::current_exe().unwrap();
    let status = Command::new("xvfb-run")
        .arg("-a")
        .arg(me)
        .args(args)
        .env(UNDER_XVFB, "1")
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("test screenshots ... FAILED under xvfb-run ({status})");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!(
                "test screenshots ... FAILED: there is no display and xvfb-run cannot be started \
                 ({error}); install Xvfb (scripts/test-setup.sh) or run the tests under \
                 `xvfb-run -a`"
            );
            ExitCode::FAILURE
        }
    }
}

/// Copies a folder tree, leaving out the corpus's own notes (`MANIFEST.md`).
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if entry.file_name() != "MANIFEST.md" {
            let bytes = fs::read(entry.path()).map_err(|e| e.to_string())?;
            fs::write(&target, bytes).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// A change to the app (what a click would do) and to the window's settings.
type Change = Box<dyn FnOnce(&mut AppState, &egui::Context)>;

/// What the walk does next.
enum Step {
    Do(Change),
    /// Waits until the app is in this state.
    Until(&'static str, Box<dyn Fn(&AppState) -> bool>),
    /// Ends the walk as failed unless the app is in this state.
    Check(&'static str, Box<dyn Fn(&AppState) -> bool>),
    /// Saves the window as it is now.
    Shot(&'static str),
}

/// The app, walked through its screens by a script.
struct Walk {
    app: App,
    steps: VecDeque<Step>,
    /// Frames drawn since the app last changed; a shot waits until the layout has settled.
    quiet_frames: u32,
    /// A screenshot was asked for and has not arrived yet.
    waiting_for: Option<&'static str>,
    /// When the screenshot waited for was asked for: a request the renderer drops is asked again.
    asked_at: Instant,
    shots: Sender<(&'static str, Arc<egui::ColorImage>)>,
    started: Instant,
    result: Arc<std::sync::Mutex<Option<Result<(), String>>>>,
}

impl eframe::App for Walk {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        let ctx = ui.ctx().clone();
        ctx.request_repaint();
        self.quiet_frames += 1;
        if self.started.elapsed() > PATIENCE {
            self.end(&ctx, Err(format!("the walk took longer than {PATIENCE:?}")));
            return;
        }
        if let Some(name) = self.waiting_for {
            if self.asked_at.elapsed() > Duration::from_secs(10) {
                self.ask_for_shot(&ctx, name);
            }
            return;
        }
        let Some(step) = self.steps.pop_front() else {
            self.end(&ctx, Ok(()));
            return;
        };
        match step {
            Step::Do(change) => {
                change(self.app.state_mut(), &ctx);
                self.quiet_frames = 0;
            }
            Step::Until(what, ready) => {
                if !ready(self.app.state()) {
                    self.steps.push_front(Step::Until(what, ready));
                }
            }
            Step::Check(what, holds) => {
                if !holds(self.app.state()) {
                    self.end(&ctx, Err(format!("the app does not show {what}")));
                }
            }
            Step::Shot(name) => {
                if self.quiet_frames < 4 {
                    self.steps.push_front(Step::Shot(name));
                    return;
                }
                self.ask_for_shot(&ctx, name);
            }
        }
    }
}

impl Walk {
    fn ask_for_shot(&mut self, ctx: &egui::Context, name: &'static str) {
        self.waiting_for = Some(name);
        self.asked_at = Instant::now();
        let shots = self.shots.clone();
        let repaint = ctx.clone();
        ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
            egui::ScreenshotCallback::new(move |image| {
                let _ = shots.send((name, image));
                repaint.request_repaint();
            }),
        ));
    }

    fn end(&mut self, ctx: &egui::Context, result: Result<(), String>) {
        *self.result.lock().unwrap() = Some(result);
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

fn script(archive: PathBuf, pst: PathBuf) -> VecDeque<Step> {
    let key = fs::read_to_string(project_root().join("fixtures/licenses/truncated.key")).unwrap();
    VecDeque::from(vec![
        Step::Do(Box::new(|_, ctx| ctx.set_theme(egui::Theme::Light))),
        Step::Until(
            "the stores on this computer to be found",
            Box::new(|state| !state.discovering),
        ),
        Step::Do(Box::new(move |state, _| state.add_paths(vec![archive]))),
        Step::Until("the stores to be counted", Box::new(|state| !state.busy())),
        Step::Check(
            "the Thunderbird profile it found",
            Box::new(|state| {
                state.sources.iter().any(|entry| {
                    entry.found_on_machine && entry.title() == "Thunderbird — default-default"
                })
            }),
        ),
        Step::Shot("1-sources"),
        Step::Do(Box::new(|state, _| {
            state.next();
            // Leave one folder of the first store out, to show a partly ticked store.
            let first = state.ready_sources().next().map(|(id, ready)| {
                let leaf = ready
                    .tree
                    .nodes()
                    .iter()
                    .rposition(|n| n.children.is_empty() && n.name.is_ascii());
                (id, leaf)
            });
            if let Some((id, Some(leaf))) = first {
                state.toggle_folder(id, leaf);
            }
        })),
        Step::Shot("2-folders"),
        Step::Do(Box::new(move |state, _| {
            state.next();
            state.options.output = pst.display().to_string();
            // A date range makes the demo read every message's date: the job takes long
            // enough to be seen.
            state.options.date_from = "2000-01-01".to_owned();
        })),
        Step::Shot("3-options"),
        Step::Do(Box::new(|state, _| state.next())),
        Step::Until(
            "the conversion to be under way",
            Box::new(|state| {
                state
                    .running()
                    .and_then(|r| r.progress.as_ref())
                    .is_some_and(|p| p.messages_done > 0 && p.eta.is_some())
            }),
        ),
        Step::Shot("4-converting"),
        Step::Until(
            "the conversion to end",
            Box::new(|state| !state.is_converting()),
        ),
        Step::Shot("5-done"),
        Step::Do(Box::new(move |state, _| {
            state.open_license_dialog();
            state.set_license_text(key);
        })),
        Step::Shot("license-key"),
        Step::Do(Box::new(|state, _| {
            state.close_license_dialog();
            state.show_about = true;
        })),
        Step::Shot("about"),
        Step::Do(Box::new(|state, _| {
            state.show_about = false;
            state.open_imap_form();
            if let Some(form) = &mut state.imap_form {
                form.choose(mail2pst::gui::state::Provider::Gmail);
                form.user = "ada@gmail.com".to_owned();
                form.password = "app password".to_owned();
            }
        })),
        Step::Shot("imap-account"),
        Step::Do(Box::new(|state, ctx| {
            state.close_imap_form();
            ctx.set_theme(egui::Theme::Dark);
        })),
        Step::Shot("5-done-dark"),
        Step::Do(Box::new(|state, ctx| {
            ctx.set_theme(egui::Theme::Light);
            ctx.set_zoom_factor(2.0);
            state.go_to(Screen::Sources);
        })),
        Step::Shot("1-sources-200-percent"),
    ])
}

fn walk_through_screens() -> Result<PathBuf, String> {
    let shots_dir = project_root().join("target").join("gui-screenshots");
    fs::create_dir_all(&shots_dir).map_err(|e| e.to_string())?;
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let archive = meetings_mbox(work.path(), "Archive 2019.mbox", 20_000);
    let out = work.path().join("out");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let pst = out.join("My mail.pst");
    // A home folder holding the real Thunderbird profile where Thunderbird keeps it on Linux:
    // the app finds it on its own.
    let home = work.path().join("home");
    copy_tree(
        &project_root().join("tests/corpus/thunderbird-profile"),
        &home.join(".thunderbird"),
    )?;
    let roots = SearchRoots::for_home(SystemLayout::Unix, &home);
    let config = Config {
        discover: Config::discover_in(Some(roots.clone())),
        roots: Some(roots),
        file_dialog_check: FileDialogCheck::always_available(),
        license_store: Ok(LicenseStore::new(work.path().join("license"))),
        log_file: Some(work.path().join("logs")),
        output_folder: out.clone(),
        keychain: mail2pst::engine::Keychain::system(),
    };
    let (shots, received): (Sender<_>, Receiver<_>) = channel();
    let result = Arc::new(std::sync::Mutex::new(None));
    let mut options = mail2pst::gui::native_options();
    options.viewport = options.viewport.with_inner_size([1000.0, 760.0]);
    options.persist_window = false;
    options.persistence_path = Some(work.path().join("app.ron"));
    let steps = script(archive, pst.clone());
    let walk_result = Arc::clone(&result);
    let saved_dir = shots_dir.clone();
    let ran = eframe::run_native(
        mail2pst::gui::APP_ID,
        options,
        Box::new(move |cc| {
            let app = App::new(cc, config);
            Ok(Box::new(Saver {
                walk: Walk {
                    app,
                    steps,
                    quiet_frames: 0,
                    waiting_for: None,
                    asked_at: Instant::now(),
                    shots,
                    started: Instant::now(),
                    result: walk_result,
                },
                received,
                dir: saved_dir,
                saved: Vec::new(),
            }))
        }),
    );
    ran.map_err(|e| format!("the window could not be opened: {e}"))?;
    let outcome = result
        .lock()
        .unwrap()
        .take()
        .unwrap_or_else(|| Err("the window closed before the walk ended".to_owned()));
    outcome?;
    for name in SHOTS {
        let path = shots_dir.join(format!("{name}.png"));
        let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if size < 10_000 {
            return Err(format!("{} is missing or nearly empty", path.display()));
        }
    }
    let report = engine::report_paths(&pst).0;
    let report = engine::Report::from_json(&fs::read_to_string(report).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    if report.status == Status::Cancelled || report.more_with_license() == 0 {
        return Err(format!("the demo conversion ended as {:?}", report.status));
    }
    Ok(shots_dir)
}

/// Saves the screenshots as they arrive and lets the walk go on.
struct Saver {
    walk: Walk,
    received: Receiver<(&'static str, Arc<egui::ColorImage>)>,
    dir: PathBuf,
    saved: Vec<&'static str>,
}

impl eframe::App for Saver {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.walk.logic(ctx, frame);
        while let Ok((name, image)) = self.received.try_recv() {
            if self.walk.waiting_for != Some(name) {
                continue; // a shot asked for twice
            }
            let path = self.dir.join(format!("{name}.png"));
            let [width, height] = image.size;
            let saved = image::save_buffer(
                &path,
                image.as_raw(),
                width as u32,
                height as u32,
                image::ExtendedColorType::Rgba8,
            );
            if let Err(error) = saved {
                let message = format!("cannot save {}: {error}", path.display());
                self.walk.end(ctx, Err(message));
            }
            self.saved.push(name);
            self.walk.waiting_for = None;
            self.walk.quiet_frames = 0;
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.walk.ui(ui, frame);
    }
}
