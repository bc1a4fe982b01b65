//! The desktop app driven as a person drives it: through its accessibility tree (egui_kittest
//! finds widgets by the names a screen reader says, clicks and types), with real stores, a real
//! conversion into a temporary folder, and a license folder of its own.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::{Role, Toggled};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use mail2pst::engine::{self, Keychain, Report, SearchRoots, Source, Status, SystemLayout};
use mail2pst::gui::{App, Config, FileDialogCheck, Screen, SourceStatus};
use mail2pst::license::{self, LicenseStore};
use mail2pst::model::FolderKind;
use mail2pst::sources;

use crate::generated_mail::meetings_mbox;
use crate::util::{corpus, fixtures, temp_dir};

/// The longest a test waits for the app's workers or its job.
const PATIENCE: Duration = Duration::from_secs(180);

/// The app in a test window, with its own output and license folders.
struct Window {
    harness: Harness<'static, App>,
    out: tempfile::TempDir,
    license_dir: tempfile::TempDir,
}

/// What discovery "finds on this machine" in a test: these stores, and these errors.
fn window_with(
    found: Vec<PathBuf>,
    discovery_errors: Vec<sources::Error>,
    key: Option<&str>,
) -> Window {
    window_built(
        found,
        discovery_errors,
        key,
        Keychain::system(),
        Harness::builder(),
    )
}

fn window_built(
    found: Vec<PathBuf>,
    discovery_errors: Vec<sources::Error>,
    key: Option<&str>,
    keychain: Keychain,
    builder: egui_kittest::HarnessBuilder<App>,
) -> Window {
    let out = temp_dir();
    let license_dir = temp_dir();
    let store = LicenseStore::new(license_dir.path()).with_env_key(key.map(key_text));
    let errors = Arc::new(std::sync::Mutex::new(Some(discovery_errors)));
    let config = Config {
        discover: Arc::new(move || {
            let mut results: Vec<Result<Source, engine::Error>> =
                found.iter().map(Source::open).collect();
            if let Some(errors) = errors.lock().unwrap().take() {
                results.extend(errors.into_iter().map(|e| Err(engine::Error::from(e))));
            }
            results
        }),
        roots: None,
        file_dialog_check: FileDialogCheck::always_available(),
        license_store: Ok(store),
        log_file: Some(out.path().join("logs")),
        output_folder: out.path().to_path_buf(),
        keychain,
    };
    let mut harness = builder
        .with_size([1100.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config));
    // What the build and the system offer is the test's to choose, whatever they are here.
    let state = harness.state_mut().state_mut();
    state.purchase_url = None;
    state.pst_opener = None;
    Window {
        harness,
        out,
        license_dir,
    }
}

/// The app as started by a person whose home folder is `home` (the Linux layout), on a
/// computer where no file dialog can open (no desktop portal, no zenity).
fn window_at_home(home: &Path) -> Window {
    let out = temp_dir();
    let license_dir = temp_dir();
    let roots = SearchRoots::for_home(SystemLayout::Unix, home);
    let config = Config {
        discover: Config::discover_in(Some(roots.clone())),
        roots: Some(roots),
        file_dialog_check: FileDialogCheck::new(|| Some(NO_FILE_DIALOG.to_owned())),
        license_store: Ok(LicenseStore::new(license_dir.path())),
        log_file: Some(out.path().join("logs")),
        output_folder: out.path().to_path_buf(),
        keychain: Keychain::system(),
    };
    let harness = Harness::builder()
        .with_size([1100.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config));
    Window {
        harness,
        out,
        license_dir,
    }
}

/// What the platform's check says on a computer without a file dialog.
const NO_FILE_DIALOG: &str = "no file dialog can open on this computer";

fn window(found: Vec<PathBuf>, key: Option<&str>) -> Window {
    window_with(found, Vec::new(), key)
}

fn key_text(name: &str) -> String {
    fs::read_to_string(fixtures().join("licenses").join(name)).unwrap()
}

impl Window {
    fn app(&self) -> &App {
        self.harness.state()
    }

    fn app_mut(&mut self) -> &mut App {
        self.harness.state_mut()
    }

    /// The links named `label` the window shows.
    fn links(&self, label: &str) -> usize {
        self.harness
            .query_all_by_role_and_label(Role::Link, label)
            .count()
    }

    /// The addresses the window asked the system to open in the last frame.
    fn opened_urls(&self) -> Vec<String> {
        self.harness
            .output()
            .platform_output
            .commands
            .iter()
            .filter_map(|command| match command {
                egui::OutputCommand::OpenUrl(open) => Some(open.url.clone()),
                _ => None,
            })
            .collect()
    }

    /// Steps frames (in real time: the workers run meanwhile) until `done` holds.
    fn wait_for(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(self.harness.state()) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.harness.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        self.harness.step();
    }

    /// Waits until every store is opened and counted, then lets the window settle.
    fn wait_for_sources(&mut self) {
        self.wait_for("the stores to be counted", |app| !app.state().busy());
        self.harness.run();
    }

    fn drop_files(&mut self, paths: &[PathBuf]) {
        #[derive(Debug)]
        struct Dropped(PathBuf);
        impl egui::DroppedFile for Dropped {
            fn path(&self) -> &Path {
                &self.0
            }
            fn bytes(&self) -> Result<Vec<u8>, String> {
                fs::read(&self.0).map_err(|e| e.to_string())
            }
        }
        for path in paths {
            self.harness
                .input_mut()
                .dropped_files
                .push(Arc::new(Dropped(path.clone())));
        }
        self.harness.step();
    }

    /// Clicks the widget named `label` where it is drawn, once the layout has settled (a
    /// dialog that grew is centred again a frame later).
    fn click(&mut self, label: &str) {
        self.harness.run_ok();
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    /// Replaces the text of the field named `label`.
    fn type_into(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.step();
        self.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
        self.harness.key_press(Key::Backspace);
        self.harness.step();
        self.harness.get_by_label(label).type_text(text);
        self.harness.step();
        self.harness.step();
    }

    fn has_label(&self, label: &str) -> bool {
        self.harness.query_all_by_label(label).next().is_some()
    }

    fn has_label_containing(&self, text: &str) -> bool {
        self.harness
            .query_all_by_label_contains(text)
            .next()
            .is_some()
    }

    fn toggled(&self, label: &str) -> Option<Toggled> {
        self.harness
            .get_by_role_and_label(Role::CheckBox, label)
            .accesskit_node()
            .toggled()
    }

    /// Converts what is selected (from the Options screen) and waits for the Done screen.
    fn convert_and_wait(&mut self) -> Report {
        self.click("Convert");
        assert_eq!(self.app().state().screen, Screen::Converting);
        self.wait_for("the conversion", |app| !app.state().is_converting());
        self.harness.run();
        assert_eq!(self.app().state().screen, Screen::Done);
        self.app().state().report().unwrap().clone()
    }
}

/// The report the job saved beside `pst`.
fn saved_report(pst: &Path) -> Report {
    let (json, _) = engine::report_paths(pst);
    Report::from_json(&fs::read_to_string(json).unwrap()).unwrap()
}

#[test]
fn a_conversion_from_sources_to_done_shows_the_reports_numbers() {
    let mut w = window(vec![fixtures().join("sample")], Some("valid.key"));
    assert!(!w.has_label_containing("Demo mode"));
    assert!(w.has_label("Licensed to Ada Lovelace"));
    // The person drops a folder once the first screen lists what was found on the machine
    // (dropped before that, it would be listed first).
    w.wait_for_sources();
    let dropped = corpus().join("mbox");
    w.drop_files(std::slice::from_ref(&dropped));
    w.wait_for_sources();
    let state = w.app().state();
    assert_eq!(state.sources.len(), 2);
    assert!(state.sources[0].found_on_machine && !state.sources[1].found_on_machine);
    for entry in &state.sources {
        let ready = entry.ready().unwrap();
        assert_eq!(w.toggled(&ready.listing.name), Some(Toggled::True));
        let summary = format!("{} messages", mail2pst_count(ready.listing.messages()));
        assert!(w.has_label_containing(&summary), "{summary}");
    }

    w.click("Next: choose folders");
    assert_eq!(w.app().state().screen, Screen::Folders);
    // Find the biggest folder of the dropped store through the filter, and untick it.
    let (store_name, folder, other) = {
        let state = w.app().state();
        let all_names: Vec<&str> = state
            .ready_sources()
            .flat_map(|(_, r)| r.tree.nodes().iter().map(|n| n.name.as_str()))
            .collect();
        let ready = state.sources[1].ready().unwrap();
        let mut leaves: Vec<_> = ready
            .tree
            .nodes()
            .iter()
            .filter(|n| n.children.is_empty() && n.count > 0)
            .filter(|n| all_names.iter().filter(|&&name| name == n.name).count() == 1)
            .collect();
        leaves.sort_by_key(|n| std::cmp::Reverse(n.count));
        let [folder, other, ..] = leaves.as_slice() else {
            panic!("the corpus has two folders with names of their own");
        };
        (
            ready.listing.name.clone(),
            (*folder).clone(),
            other.name.clone(),
        )
    };
    let selected_before = w.app().state().selected_messages();
    w.type_into("Filter:", &folder.name);
    assert!(w.has_label(&folder.name));
    assert!(!w.has_label(&other), "{other} does not match the filter");
    w.click(&folder.name);
    assert_eq!(w.toggled(&folder.name), Some(Toggled::False));
    assert_eq!(w.toggled(&store_name), Some(Toggled::Mixed));
    assert_eq!(
        w.app().state().selected_messages(),
        selected_before - folder.count
    );
    w.type_into("Filter:", "no folder is called this");
    assert!(w.has_label_containing("No folder matches the filter"));
    w.click("Clear filter");
    assert!(w.has_label(&store_name));
    // A closed folder opens and shows its subfolders.
    let (closed, child) = {
        let tree = &w.app().state().sources[1].ready().unwrap().tree;
        let index = (0..tree.nodes().len())
            .find(|&i| {
                let node = &tree.nodes()[i];
                let shown = node.parent.is_none_or(|p| tree.nodes()[p].expanded);
                shown && !node.expanded && !node.children.is_empty()
            })
            .expect("a closed folder");
        let node = &tree.nodes()[index];
        (
            node.name.clone(),
            tree.nodes()[node.children[0]].name.clone(),
        )
    };
    let was_shown = w.harness.query_all_by_label(&child).count();
    w.click(&format!("Expand {closed}"));
    assert!(w.harness.query_all_by_label(&child).count() > was_shown);
    assert!(w.has_label(&format!("Collapse {closed}")));

    w.click("Next: options");
    assert_eq!(w.app().state().screen, Screen::Options);
    let pst = w.out.path().join("converted.pst");
    w.type_into("PST file:", &pst.display().to_string());
    w.click("Skip duplicates (the same message in several folders or stores)");
    let expected = w.app().state().selected_messages();

    let report = w.convert_and_wait();
    let saved = saved_report(&pst);
    assert_eq!(report, saved);
    assert!(saved.options.skip_duplicates);
    assert_eq!(saved.totals.found, expected);
    assert!(
        saved.folders.iter().all(|f| f.source_path != folder.path),
        "the unticked folder was converted"
    );
    assert!(w.has_label_containing(&format!("{}", pst.display())));
    for folder in &saved.folders {
        let path = folder.display_path();
        for (n, column) in [
            (folder.found, "found"),
            (folder.written, "written"),
            (folder.skipped.total(), "skipped"),
        ] {
            let label = format!("{path}: {n} {column}");
            assert!(w.has_label(&label), "no cell {label:?}");
        }
    }
    for (n, column) in [
        (saved.totals.found, "found"),
        (saved.totals.written, "written"),
        (saved.totals.skipped.total(), "skipped"),
    ] {
        assert!(w.has_label(&format!("Total: {n} {column}")));
    }
    assert!(w.has_label("Open folder") && w.has_label("Open report"));
    // How to open it in each Outlook; the button only where the system can hand it to Outlook.
    for outlook in [
        "Classic Outlook for Windows:",
        "New Outlook for Windows:",
        "Outlook for Mac:",
    ] {
        assert!(w.has_label(outlook), "no word on {outlook}");
    }
    assert!(w.has_label_containing("File › Open & Export › Open Outlook Data File"));
    assert!(!w.has_label("Open in Outlook"));
    w.app_mut().state_mut().pst_opener = Some("Outlook.File.pst.15".to_owned());
    w.harness.run();
    assert!(w.has_label("Open in Outlook"));
    assert_eq!(
        w.app().state().last_output_folder.as_deref(),
        Some(w.out.path())
    );

    w.click("Convert more");
    assert_eq!(w.app().state().screen, Screen::Sources);
    assert_eq!(w.app().state().sources.len(), 2);
}

/// `1,234`, as the window writes counts.
fn mail2pst_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[test]
fn cancelling_asks_once_then_stops_within_a_second_and_leaves_nothing() {
    let input = temp_dir();
    let mbox = meetings_mbox(input.path(), "Large.mbox", 20_000);
    let mut w = window(Vec::new(), Some("valid.key"));
    w.drop_files(std::slice::from_ref(&mbox));
    w.wait_for_sources();
    w.click("Next: choose folders");
    w.click("Next: options");
    w.click("Convert");
    w.wait_for("the first messages to be written", |app| {
        app.state()
            .running()
            .and_then(|r| r.progress.as_ref())
            .is_some_and(|p| p.messages_done > 0)
    });
    w.click("Cancel");
    assert!(w.has_label("Stop converting?"));
    assert!(w.app().state().is_converting(), "cancelled without asking");
    w.click("Stop converting");
    let asked = Instant::now();
    w.wait_for("the job to stop", |app| !app.state().is_converting());
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
    w.harness.run();
    let report = w.app().state().report().unwrap();
    assert_eq!(report.status, Status::Cancelled);
    assert!(report.totals.written < 20_000);
    assert!(w.has_label("Cancelled"));
    assert!(w.has_label("Nothing was kept, and your mail was not changed."));
    let left: Vec<_> = fs::read_dir(w.out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn closing_the_window_mid_job_cancels_it_and_leaves_nothing() {
    let input = temp_dir();
    let mbox = meetings_mbox(input.path(), "Large.mbox", 20_000);
    let mut w = window(Vec::new(), Some("valid.key"));
    w.drop_files(std::slice::from_ref(&mbox));
    w.wait_for_sources();
    w.click("Next: choose folders");
    w.click("Next: options");
    w.click("Convert");
    w.wait_for("the first messages to be written", |app| {
        app.state()
            .running()
            .and_then(|r| r.progress.as_ref())
            .is_some_and(|p| p.messages_done > 0)
    });
    // The window's close button, as the window system reports it.
    w.harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    w.harness.step();
    let commands = |w: &Window| {
        w.harness.output().viewport_output[&egui::ViewportId::ROOT]
            .commands
            .clone()
    };
    assert!(
        commands(&w).contains(&egui::ViewportCommand::CancelClose),
        "the window closed under a running job"
    );
    let asked = Instant::now();
    let mut closed = false;
    while !closed {
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "the job did not stop"
        );
        w.harness.step();
        closed = commands(&w).contains(&egui::ViewportCommand::Close);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!w.app().state().is_converting());
    assert_eq!(w.app().state().report().unwrap().status, Status::Cancelled);
    let left: Vec<_> = fs::read_dir(w.out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != "logs")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn frames_keep_coming_while_a_large_mailbox_is_counted_and_converted() {
    /// The longest a frame may take; reading or writing mail on the window's thread would take
    /// far longer than this with a mailbox this size.
    const FRAME_LIMIT: Duration = Duration::from_millis(250);
    let input = temp_dir();
    let mbox = meetings_mbox(input.path(), "Large.mbox", 6_000);
    let mut w = window(Vec::new(), Some("valid.key"));
    let mut frames: Vec<Duration> = Vec::new();
    let mut step = |w: &mut Window| {
        let started = Instant::now();
        w.harness.step();
        frames.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    };
    w.drop_files(std::slice::from_ref(&mbox));
    let deadline = Instant::now() + PATIENCE;
    while w.app().state().busy() {
        step(&mut w);
        assert!(Instant::now() < deadline);
    }
    w.harness.run();
    w.click("Next: choose folders");
    w.click("Next: options");
    // Every frame from the click on Convert to the Done screen is timed.
    w.harness.run_ok();
    w.harness.get_by_label("Convert").click();
    let converting = Instant::now();
    step(&mut w);
    assert!(w.app().state().is_converting());
    while w.app().state().is_converting() {
        step(&mut w);
        assert!(Instant::now() < deadline);
    }
    let took = converting.elapsed();
    eprintln!("converting took {took:?} in {} frames", frames.len());
    assert_eq!(w.app().state().report().unwrap().totals.written, 6_000);
    let slowest = frames.iter().max().copied().unwrap_or_default();
    assert!(
        slowest < FRAME_LIMIT,
        "a frame took {slowest:?} (of {} frames)",
        frames.len()
    );
    // The job took many frames' time: the window kept drawing all along.
    assert!(
        took > FRAME_LIMIT * 2,
        "the job was too quick to tell: {took:?}"
    );
    assert!(frames.len() > 20, "only {} frames", frames.len());
}

#[test]
fn demo_mode_shows_everywhere_and_the_done_screen_says_how_many_more() {
    const SHOP: &str = "https://example.com/buy-mail2pst";
    let mut w = window(vec![corpus().join("mbox")], None);
    w.app_mut().state_mut().purchase_url = Some(SHOP.to_owned());
    w.wait_for_sources();
    assert_eq!(w.links("Buy a license"), 1, "the banner links to the shop");
    assert!(w.app().state().is_demo());
    assert_eq!(w.app().state().title(), "mail2pst — demo");
    assert!(w.has_label("Demo mode: at most 10 messages per folder are converted."));
    assert!(w.has_label("Demo"));
    w.click("Next: choose folders");
    assert!(w.has_label("Demo mode: at most 10 messages per folder are converted."));
    w.click("Next: options");
    assert!(w.has_label("In demo mode only the first 10 messages of each folder are written."));
    let report = w.convert_and_wait();
    assert!(report.more_with_license() > 0);
    let more = format!(
        "Demo mode: a license would convert {} messages more.",
        mail2pst_count(report.more_with_license())
    );
    assert!(w.has_label(&more), "{more}");
    assert_eq!(report, saved_report(&report.outputs[0].path));
    // Beside "a license would convert N more", the shop, which the system is asked to open.
    let links: Vec<_> = w
        .harness
        .query_all_by_role_and_label(Role::Link, "Buy a license")
        .collect();
    assert_eq!(links.len(), 2, "banner and Done screen");
    links[1].click();
    w.harness.step();
    assert_eq!(w.opened_urls(), [SHOP]);
    // The Done screen's "Enter license key…" opens the dialog, which links to the shop too.
    let buttons: Vec<_> = w.harness.query_all_by_label("Enter license key…").collect();
    assert_eq!(buttons.len(), 2);
    buttons[1].click();
    w.harness.run();
    assert!(w.app().state().license_dialog.is_some());
    assert!(w.has_label("No key yet?"));
    assert_eq!(w.links("Buy a license"), 3);
}

/// The copies Thunderbird itself deleted are no messages left out: the Done screen says
/// "Done", all live messages converted, and names the deleted copies in a note.
#[test]
fn the_done_screen_notes_deleted_copies_without_calling_them_skipped() {
    let profile = corpus().join("thunderbird-profile/ng5ko9yq.default-default");
    // The profile's folder "日本語" has no glyphs in the app's fonts: drawn as boxes.
    let builder = Harness::builder().allow_missing_glyphs();
    let mut w = window_built(
        vec![profile],
        Vec::new(),
        Some("valid.key"),
        Keychain::system(),
        builder,
    );
    w.wait_for_sources();
    w.click("Next: choose folders");
    w.click("Next: options");
    let report = w.convert_and_wait();
    assert_eq!(report.status, Status::Complete);
    assert!(w.has_label("Done"));
    assert!(w.has_label("All 46 messages were converted."));
    assert!(w.has_label("Note: 3 deleted copies left out, as Thunderbird shows them"));
    assert!(w.has_label("Total: 0 skipped"));
}

#[test]
fn license_keys_are_checked_as_they_are_pasted_and_a_valid_one_is_kept() {
    let mut w = window(Vec::new(), None);
    // The first screen looks for mail stores on a thread of its own, with a spinner.
    w.wait_for_sources();
    w.click("Enter license key…");
    assert!(w.has_label("Enter license key"));
    // A build given no shop shows no link to one.
    assert_eq!(w.links("Buy a license"), 0);
    assert!(!w.has_label("No key yet?"));
    let field = "Paste the key you received by e-mail. It starts with M2P1-.";
    for bad in [
        "garbage.key",
        "truncated.key",
        "tampered.key",
        "foreign.key",
    ] {
        let text = key_text(bad);
        let expected = license::verify(&text).unwrap_err().to_string();
        w.type_into(field, &text);
        let mut message = expected.clone();
        message[..1].make_ascii_uppercase();
        assert!(w.has_label(&message), "{bad}: no message {message:?}");
        let activate = w.harness.get_by_label("Activate");
        assert!(
            activate.accesskit_node().is_disabled(),
            "{bad} can be activated"
        );
    }
    w.type_into(field, &key_text("valid.key"));
    assert!(w.has_label_containing("Valid key: Ada Lovelace"));
    w.click("Activate");
    w.harness.run();
    assert!(w.app().state().license_dialog.is_none());
    assert!(!w.app().state().is_demo());
    assert_eq!(w.app().state().title(), "mail2pst");
    assert!(!w.has_label_containing("Demo mode"));
    assert!(w.has_label("Licensed to Ada Lovelace"));
    let stored = w.license_dir.path().join(license::LICENSE_FILE_NAME);
    assert!(
        stored.exists(),
        "the key was not stored in the test's folder"
    );
}

#[test]
fn stores_that_cannot_be_read_say_what_is_wrong_and_what_to_do() {
    let hint = sources::apple_mail::FULL_DISK_ACCESS_HINT;
    let protected = sources::Error::PermissionDenied {
        path: PathBuf::from("Library/Mail"),
        hint: Some(hint.to_owned()),
    };
    // The hint's "→" is not in the test's only font (the app also uses the system's fonts).
    let builder = Harness::builder().allow_missing_glyphs();
    let mut w = window_built(
        Vec::new(),
        vec![protected],
        None,
        Keychain::system(),
        builder,
    );
    let input = temp_dir();
    let garbage = input.path().join("notes.bin");
    fs::write(&garbage, [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    let missing = input.path().join("gone.mbox");
    w.drop_files(&[garbage, missing]);
    w.wait_for_sources();
    let failures = w
        .app()
        .state()
        .sources
        .iter()
        .filter(|e| matches!(e.status, SourceStatus::Failed(_)))
        .count();
    assert_eq!(failures, 3);
    assert!(w.has_label_containing("not a mail store this app can read"));
    assert!(w.has_label_containing("gone.mbox: no such file or folder"));
    assert!(w.has_label_containing("Full Disk Access"));
    assert!(w.has_label("Add a mail store first."));
    let next = w.harness.get_by_label("Next: choose folders");
    assert!(next.accesskit_node().is_disabled());
    w.click("Remove notes.bin");
    assert_eq!(w.app().state().sources.len(), 2);
}

#[test]
fn the_about_box_shows_where_the_log_is() {
    let mut w = window(Vec::new(), None);
    // The first screen looks for mail stores on a thread of its own, with a spinner.
    w.wait_for_sources();
    w.click("About");
    let log = w.out.path().join("logs");
    assert!(w.has_label(&format!("Log files: {}", log.display())));
    assert!(w.has_label("Open log folder"));
    let trusted = format!(
        "License keys are checked against key {}",
        license::built_in_key_id()
    );
    assert!(w.has_label_containing(&trusted), "{trusted}");
    // A build with a release key names that key instead; either way the box says which.
    if license::uses_development_key() {
        assert!(w.has_label_containing("2949225e16a6dc98, the development key"));
    } else {
        assert!(w.has_label_containing("this release's key"));
    }
    w.click("Close");
    w.harness.run();
    assert!(!w.app().state().show_about);
}

/// A person with Thunderbird opens the app: it has found the profile in `~/.thunderbird` on its
/// own and counted it. The usual place is offered as a shortcut, a path can be typed with `~`
/// and completed, and where no file dialog can open the window says so and what to do instead.
#[test]
fn at_start_up_the_app_lists_the_thunderbird_profile_found_at_home() {
    let home = temp_dir();
    crate::layouts::thunderbird(home.path(), ".thunderbird", "", SystemLayout::Unix);
    let mut w = window_at_home(home.path());
    w.wait_for_sources();
    let title = "Thunderbird — default-default";
    assert_eq!(w.toggled(title), Some(Toggled::True));
    assert!(w.has_label("~/.thunderbird/ng5ko9yq.default-default · found on this computer"));
    assert!(w.has_label("20 folders · 49 messages"));
    assert_eq!(w.app().state().sources.len(), 1);

    // The shortcut to ~/.thunderbird holds the same profile: not listed twice.
    w.click("Add Thunderbird ~/.thunderbird");
    w.wait_for_sources();
    assert_eq!(w.app().state().sources.len(), 1);
    assert!(w.has_label(&format!("Already in the list: {title}")));

    // A part of the profile, typed with `~` and completed: read as Thunderbird.
    w.type_into(
        "Path:",
        "~/.thunderbird/ng5ko9yq.default-default/Mail/Local F",
    );
    w.wait_for("the path to be completed", |app| {
        !app.state().completions.is_empty()
    });
    w.click("Complete with Local Folders/");
    assert!(w.app().state().path_text.ends_with("Mail/Local Folders/"));
    w.click("Add");
    w.wait_for_sources();
    let sources = &w.app().state().sources;
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[1].title(), "Thunderbird — Local Folders");
    assert!(w.has_label("9 folders · 19 messages"));
    assert!(w.app().state().path_text.is_empty());

    // No file dialog can open here: the window says so, and what to do.
    w.click("Add files or folders…");
    w.click("A folder (mail folder, profile, Apple Mail library)…");
    w.wait_for("the file dialog's answer", |app| {
        app.state().file_dialog_problem.is_some()
    });
    assert!(w.has_label_containing(
        "No file dialog can open on this computer. Type or paste the path in the field above, \
         or drag the file or folder from your file manager onto this window."
    ));
}

/// A dropped Thunderbird folder whose two profiles hold mail: both are listed, each counted.
#[test]
fn a_dropped_folder_holding_two_profiles_lists_both() {
    let home = temp_dir();
    crate::layouts::thunderbird(home.path(), ".thunderbird", "", SystemLayout::Unix);
    let data = home.path().join(".thunderbird");
    let profile = data.join("ng5ko9yq.default-default");
    let work = data.join("k3y4.work");
    for file in walkdir::WalkDir::new(&profile) {
        let file = file.unwrap();
        let target = work.join(file.path().strip_prefix(&profile).unwrap());
        if file.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(file.path(), &target).unwrap();
        }
    }
    let mut ini = fs::read_to_string(data.join("profiles.ini")).unwrap();
    ini.push_str("\n[Profile2]\nName=work\nIsRelative=1\nPath=k3y4.work\n");
    fs::write(data.join("profiles.ini"), ini).unwrap();

    let mut w = window(Vec::new(), None);
    w.drop_files(std::slice::from_ref(&data));
    w.wait_for_sources();
    let both = ["Thunderbird — default-default", "Thunderbird — work"];
    let titles: Vec<String> = w.app().state().sources.iter().map(|e| e.title()).collect();
    assert_eq!(titles, both);
    assert_eq!(w.toggled("Thunderbird — work"), Some(Toggled::True));
    assert_eq!(w.app().state().ready_sources().count(), 2);

    // One profile dropped first, then the folder: the other profile is added, not the same twice.
    w.click("Remove Thunderbird — default-default");
    w.click("Remove Thunderbird — work");
    assert!(w.app().state().sources.is_empty());
    w.drop_files(&[profile]);
    w.wait_for_sources();
    w.drop_files(&[data]);
    w.wait_for_sources();
    let titles: Vec<String> = w.app().state().sources.iter().map(|e| e.title()).collect();
    assert_eq!(titles, both);
    assert!(w.has_label("Already in the list: Thunderbird — default-default"));
    assert_eq!(w.app().state().ready_sources().count(), 2);
}

/// A folder of `.vcf` and `.ics` files dropped on the window is listed, converted and Done:
/// the contacts, events and tasks are each in a folder of their kind.
#[test]
fn a_dropped_folder_of_contacts_and_calendars_converts() {
    let mut w = window(Vec::new(), Some("valid.key"));
    w.wait_for_sources();
    w.drop_files(&[corpus().join("pim/calcard")]);
    w.wait_for_sources();
    w.click("Next: choose folders");
    w.click("Next: options");
    let report = w.convert_and_wait();
    assert_eq!(report.status, Status::Complete);
    assert_eq!(report.totals.written, 11);
    let kinds: Vec<FolderKind> = report
        .folders
        .iter()
        .filter(|f| f.written > 0)
        .map(|f| f.kind)
        .collect();
    for kind in [
        FolderKind::Contacts,
        FolderKind::Calendar,
        FolderKind::Tasks,
    ] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    assert!(w.has_label("Done"));
    // The Done screen names what the job held, kind by kind.
    let headline = "All 11 items were converted: 4 contacts, 6 events and 1 task.";
    assert!(w.has_label(headline), "no {headline:?}");
}

/// "Add an IMAP account…": a provider fills in its server and links its app-password page;
/// another server is typed in by hand (a real Dovecot, its certificate trusted by the form),
/// the account is listed with its folders and converts.
#[test]
fn an_imap_account_added_in_the_form_is_listed_and_converts() {
    let mut placed = 0;
    let server = crate::imap_server::Dovecot::start(|maildir| {
        let message =
            fs::read(corpus().join("maildir/notmuch/test/corpora/default/cur/29:2,")).unwrap();
        for n in 0..3 {
            fs::write(maildir.join(format!("cur/{n}.M{n}P1.test:2,S")), &message).unwrap();
            placed += 1;
        }
        fs::create_dir_all(maildir.join(".Sent/cur")).unwrap();
        fs::write(maildir.join(".Sent/cur/9.M9P1.test:2,S"), &message).unwrap();
        placed += 1;
    });
    let mut w = window(Vec::new(), Some("valid.key"));
    w.wait_for_sources();
    w.click("Add an IMAP account…");
    w.click("Gmail");
    let server_field = |w: &Window| {
        w.harness
            .get_by_label("Server:")
            .accesskit_node()
            .value()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(server_field(&w), "imap.gmail.com");
    assert_eq!(w.links("How to make a Gmail app password"), 1);
    w.click("Another server");
    assert_eq!(server_field(&w), "");
    w.type_into("Server:", "127.0.0.1");
    w.type_into("Port:", &server.imaps_port.to_string());
    w.type_into("User name:", crate::imap_server::USER);
    w.type_into("Password:", crate::imap_server::PASSWORD);
    w.type_into("Trusted certificate:", server.certificate.to_str().unwrap());
    w.click("Add account");
    assert!(w.app().state().imap_form.is_none(), "the form closes");
    w.wait_for_sources();
    let ready = w.app().state().sources[0]
        .ready()
        .expect("the account is read");
    assert_eq!(ready.listing.messages(), placed);
    assert!(w.has_label_containing("alice on 127.0.0.1"));
    w.click("Next: choose folders");
    w.click("Next: options");
    let report = w.convert_and_wait();
    assert_eq!(report.status, Status::Complete);
    assert_eq!(report.totals.written, placed);
    let sent = report
        .folders
        .iter()
        .find(|f| f.pst_path.last().is_some_and(|n| n == "Sent Items"))
        .expect("a Sent Items folder");
    assert_eq!(sent.written, 1);
}

/// A Thunderbird profile whose IMAP account lacks messages Thunderbird never downloaded
/// ([`crate::gap_filling::world`]): the Folders step offers to fetch them from the account's
/// server; with the password (and the test server's certificate) they are converted, and the
/// Done screen says how many came from the server.
#[test]
fn the_folders_step_offers_to_fetch_what_thunderbird_never_downloaded() {
    let world = crate::gap_filling::world();
    // The account's folder, read with its profile (the window's font has no glyphs for the
    // profile's Japanese folder name).
    let account = world.profile.join("ImapMail/127.0.0.1");
    let mut w = window(vec![account], Some("valid.key"));
    w.wait_for_sources();
    w.click("Next: choose folders");
    assert!(w.has_label_containing("5 messages of alice@example.org are only on its server"));
    w.click("Fetch 5 messages from 127.0.0.1…");
    w.click("Fetch");
    assert!(w.has_label_containing("Type the account's password"));
    w.type_into("Password:", crate::imap_server::PASSWORD);
    w.type_into(
        "Trusted certificate:",
        world.server.certificate.to_str().unwrap(),
    );
    w.click("Fetch");
    w.wait_for("the login", |app| app.state().gap_form.is_none());
    assert!(w.has_label_containing("will be fetched from alice on 127.0.0.1"));
    w.click("Next: options");
    let report = w.convert_and_wait();
    assert_eq!(report.totals.from_server, 4, "{:?}", report.notes);
    assert!(
        w.has_label_containing("4 messages the mail client never downloaded came from the server")
    );
}

/// The keychain box of the IMAP form and of the fetch box.
const REMEMBER: &str = "Remember the password in this computer's keychain";

/// A window whose keychain is `keychain` (a private GNOME Keyring, or none).
fn window_with_keychain(found: Vec<PathBuf>, keychain: Keychain) -> Window {
    window_built(
        found,
        Vec::new(),
        Some("valid.key"),
        keychain,
        Harness::builder(),
    )
}

/// "Remember the password in this computer's keychain" in the IMAP form, against a real GNOME
/// Keyring on a bus of its own ([`crate::keychain::PrivateKeyring`]): off by default; ticked,
/// the password is kept once the server accepts it; when the app is started again and the form
/// names the same account, the password is filled in and the box ticked; unticked, logging in
/// removes it. A keychain that cannot be reached is said in the form, and the account is still
/// added.
#[test]
fn the_imap_form_keeps_fills_in_and_forgets_a_password_in_the_keychain() {
    let server = crate::keychain::server_with_three_messages();
    let keyring = crate::keychain::PrivateKeyring::start();
    let entry = crate::keychain::entry(&server);
    let certificate = server.certificate.to_str().unwrap().to_owned();
    let name_the_account = |w: &mut Window| {
        w.click("Add an IMAP account…");
        w.click("Another server");
        w.type_into("Server:", "127.0.0.1");
        w.type_into("Port:", &server.imaps_port.to_string());
        w.type_into("User name:", crate::imap_server::USER);
        w.type_into("Trusted certificate:", &certificate);
    };
    let password_field = |app: &App| {
        app.state()
            .imap_form
            .as_ref()
            .map(|form| form.password.clone())
            .unwrap_or_default()
    };

    let mut w = window_with_keychain(Vec::new(), keyring.keychain());
    w.wait_for_sources();
    name_the_account(&mut w);
    assert_eq!(w.toggled(REMEMBER), Some(Toggled::False));
    w.type_into("Password:", crate::imap_server::PASSWORD);
    w.click(REMEMBER);
    w.click("Add account");
    w.wait_for("the keychain", |app| app.state().keychain_notice.is_some());
    assert!(w.has_label("The password of alice on 127.0.0.1 is kept in this computer's keychain."));
    assert_eq!(
        keyring.lookup(&entry).as_deref(),
        Some(crate::imap_server::PASSWORD)
    );
    drop(w);

    // The app started again.
    let mut w = window_with_keychain(Vec::new(), keyring.keychain());
    w.wait_for_sources();
    name_the_account(&mut w);
    w.wait_for("the keychain's password", |app| {
        !password_field(app).is_empty()
    });
    w.harness.run();
    assert_eq!(password_field(w.app()), crate::imap_server::PASSWORD);
    assert_eq!(w.toggled(REMEMBER), Some(Toggled::True));
    assert!(w.has_label_containing("filled in from this computer's keychain"));
    w.click(REMEMBER);
    assert!(w.has_label_containing("will be removed when you log in"));
    w.click("Add account");
    w.wait_for("the keychain", |app| app.state().keychain_notice.is_some());
    assert!(w.has_label(
        "The password of alice on 127.0.0.1 was removed from this computer's keychain."
    ));
    assert_eq!(keyring.lookup(&entry), None);
    w.wait_for_sources();
    let ready = w.app().state().sources[0]
        .ready()
        .expect("the account is read");
    assert_eq!(ready.listing.messages(), 3);
    drop(w);

    // No keychain at all.
    let nowhere = temp_dir();
    let mut w = window_with_keychain(
        Vec::new(),
        Keychain::secret_service_on(format!(
            "unix:path={}",
            nowhere.path().join("bus").display()
        )),
    );
    w.wait_for_sources();
    name_the_account(&mut w);
    w.click(REMEMBER);
    w.wait_for("the keychain's answer", |app| {
        app.state()
            .imap_form
            .as_ref()
            .is_some_and(|form| form.keychain.problem.is_some())
    });
    assert!(w.has_label_containing("keychain cannot be reached"));
    assert!(w.has_label_containing("used for this session only"));
    w.type_into("Password:", crate::imap_server::PASSWORD);
    w.click("Add account");
    w.wait_for_sources();
    assert!(w.app().state().sources[0].ready().is_some());
    w.wait_for("the keychain", |app| app.state().keychain_notice.is_some());
    assert!(w.has_label_containing("The keychain was not changed for alice on 127.0.0.1"));
}

/// The fetch box of a Thunderbird account's missing messages fills in the password the
/// keychain keeps for the account's server (stored by `secret-tool`, as the app names it),
/// with the box ticked, and logs in with it.
#[test]
fn the_fetch_box_fills_in_the_password_kept_in_the_keychain() {
    let world = crate::gap_filling::world();
    let keyring = crate::keychain::PrivateKeyring::start();
    keyring.store(
        &crate::keychain::entry(&world.server),
        crate::imap_server::PASSWORD,
    );
    let account = world.profile.join("ImapMail/127.0.0.1");
    let mut w = window_with_keychain(vec![account], keyring.keychain());
    w.wait_for_sources();
    w.click("Next: choose folders");
    w.click("Fetch 5 messages from 127.0.0.1…");
    w.wait_for("the keychain's password", |app| {
        app.state()
            .gap_form
            .as_ref()
            .is_some_and(|form| !form.password.is_empty())
    });
    w.harness.run();
    assert_eq!(w.toggled(REMEMBER), Some(Toggled::True));
    assert!(w.has_label_containing("filled in from this computer's keychain"));
    w.type_into(
        "Trusted certificate:",
        world.server.certificate.to_str().unwrap(),
    );
    w.click("Fetch");
    w.wait_for("the login", |app| app.state().gap_form.is_none());
    assert!(w.has_label_containing("will be fetched from alice on 127.0.0.1"));
}

/// The same for an Apple Mail library ([`crate::apple_mail_gaps::world`]): the messages Mail
/// never downloaded are offered too, and the partial message whose attachments Mail did not
/// download comes whole from the server besides.
#[test]
fn the_folders_step_offers_to_fetch_what_apple_mail_never_downloaded() {
    let world = crate::apple_mail_gaps::world();
    let mut w = window(vec![world.mail.clone()], Some("valid.key"));
    w.wait_for_sources();
    w.click("Next: choose folders");
    assert!(w.has_label_containing("5 messages of alice are only on its server"));
    w.click("Fetch 5 messages from 127.0.0.1…");
    w.type_into("Password:", crate::imap_server::PASSWORD);
    w.type_into(
        "Trusted certificate:",
        world.server.certificate.to_str().unwrap(),
    );
    w.click("Fetch");
    w.wait_for("the login", |app| app.state().gap_form.is_none());
    assert!(w.has_label_containing("will be fetched from alice on 127.0.0.1"));
    w.click("Next: options");
    let report = w.convert_and_wait();
    assert_eq!(report.totals.from_server, 5, "{:?}", report.notes);
    assert!(
        w.has_label_containing("5 messages the mail client never downloaded came from the server")
    );
}
