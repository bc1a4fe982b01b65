//! Step 5: what the conversion did, folder by folder (found, written, skipped and why), the
//! totals, the files, how to open the PST in each Outlook (and a button that hands it to Outlook
//! where the system can), and in demo mode how much more a license would convert.

use egui::accesskit::Role;
use egui::{RichText, Ui};

use crate::engine::{FolderRole, Report, Status, capitalized, format_size};
use crate::gui::state::{AppState, Outcome};

use super::{Action, count, error_text, messages, name, purchase_link};

/// `n` of the job's items, as the job calls them ("1,200 messages", "3 contacts", "18 items").
fn items(report: &Report, n: u64) -> String {
    let (one, many) = report.item_words();
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

pub fn show(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    let report = match &state.outcome {
        Some(Outcome::Finished(report)) => report,
        Some(Outcome::Failed(error)) => {
            ui.heading("The conversion stopped");
            ui.label(error_text(ui, capitalized(error)));
            ui.label("Nothing was kept. Go back to the options to change them and try again.");
            return;
        }
        None => {
            ui.heading("Nothing converted yet");
            return;
        }
    };
    let mut convert_more = false;
    let mut enter_key = false;
    let links = Links {
        purchase_url: state.purchase_url.as_deref(),
        pst_opener: state.pst_opener.as_deref(),
    };
    summary(
        ui,
        report,
        links,
        actions,
        &mut convert_more,
        &mut enter_key,
    );
    if convert_more {
        state.convert_more();
    }
    if enter_key {
        state.open_license_dialog();
    }
}

/// What the system and the build offer beside the report.
#[derive(Clone, Copy, Debug)]
struct Links<'a> {
    purchase_url: Option<&'a str>,
    pst_opener: Option<&'a str>,
}

fn summary(
    ui: &mut Ui,
    report: &Report,
    links: Links<'_>,
    actions: &mut Vec<Action>,
    convert_more: &mut bool,
    enter_key: &mut bool,
) {
    headline(ui, report);
    if report.status == Status::Cancelled {
        ui.label("Nothing was kept, and your mail was not changed.");
        ui.add_space(8.0);
        *convert_more = ui.button("Convert more").clicked();
        return;
    }
    for file in &report.outputs {
        ui.label(format!(
            "PST: {} ({}, {})",
            file.path.display(),
            format_size(file.bytes),
            items(report, file.messages)
        ));
    }
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        if let Some(first) = report.outputs.first() {
            if links.pst_opener.is_some()
                && ui
                    .button(RichText::new("Open in Outlook").strong())
                    .clicked()
            {
                actions.push(Action::Open(first.path.clone()));
            }
            if ui.button("Open folder").clicked() {
                actions.push(Action::Reveal(first.path.clone()));
            }
        }
        let html = report
            .report_files
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "html"));
        if let Some(html) = html
            && ui.button("Open report").clicked()
        {
            actions.push(Action::Open(html.clone()));
        }
        *convert_more = ui.button("Convert more").clicked();
    });

    if !report.license.licensed && report.more_with_license() > 0 {
        ui.add_space(8.0);
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "Demo mode: a license would convert {} more.",
                    items(report, report.more_with_license())
                ))
                .strong(),
            );
            ui.horizontal_wrapped(|ui| {
                *enter_key = ui.button("Enter license key…").clicked();
                purchase_link(ui, links.purchase_url);
            });
        });
    }
    if !report.outputs.is_empty() {
        ui.add_space(8.0);
        how_to_open_in_outlook(ui, report.outputs.len() > 1);
    }
    for problem in &report.problems {
        ui.label(error_text(ui, format!("Problem: {problem}")));
    }
    for note in &report.notes {
        ui.label(format!("Note: {note}"));
    }
    for store in &report.stores {
        if let Some(error) = &store.error {
            ui.label(error_text(ui, format!("{}: {error}", store.name)));
        }
        for warning in &store.warnings {
            ui.label(format!("{}: {warning}", store.name));
        }
    }
    ui.add_space(10.0);
    table(ui, report);
    if report.totals.converted_with_warnings > 0 {
        ui.add_space(6.0);
        ui.label(format!(
            "{} were converted with warnings ({} not as faithful copies); the report lists them.",
            messages(report.totals.converted_with_warnings),
            count(report.totals.degraded)
        ));
    }
    if report.totals.folder_errors > 0 {
        ui.add_space(6.0);
        ui.label(error_text(
            ui,
            format!(
                "{} could not be read; the table says why.",
                folders(report.totals.folder_errors)
            ),
        ));
    }
    if report.totals.read_back_differences > 0 {
        ui.add_space(6.0);
        ui.label(error_text(
            ui,
            format!(
                "{} in the PST {} from an independent reading of the source; the report lists \
                 them.",
                messages(report.totals.read_back_differences),
                if report.totals.read_back_differences == 1 {
                    "differs"
                } else {
                    "differ"
                }
            ),
        ));
    }
}

fn folders(n: u64) -> String {
    if n == 1 {
        "1 folder".to_owned()
    } else {
        format!("{} folders", count(n))
    }
}

/// Each Outlook takes a PST its own way; the one of this computer's system comes first.
fn how_to_open_in_outlook(ui: &mut Ui, several_parts: bool) {
    egui::CollapsingHeader::new("How to open the PST in Outlook")
        .default_open(true)
        .show(ui, |ui| {
            let mut ways = OUTLOOK_WAYS.to_vec();
            if cfg!(target_os = "macos") {
                ways.rotate_right(1);
            }
            for (outlook, how) in ways {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(outlook).strong());
                    ui.label(how);
                });
            }
            if several_parts {
                ui.label("Open or import each part the same way.");
            }
        });
}

/// How each Outlook opens a PST, with its own menu names; README.md says the same.
const OUTLOOK_WAYS: [(&str, &str); 3] = [
    (
        "Classic Outlook for Windows:",
        "double-click the PST file, or choose File › Open & Export › Open Outlook Data File and \
         pick it. Its folders appear in the folder pane under their own name; drag any of them \
         into your mailbox to keep them there.",
    ),
    (
        "New Outlook for Windows:",
        "it opens a PST only where classic Outlook is installed too: Settings › Data files, then \
         add the PST. If that is missing, switch off \"New Outlook\" at the top of the window and \
         use classic Outlook as above.",
    ),
    (
        "Outlook for Mac:",
        "choose File › Import, then \"Outlook for Windows archive file (.pst)\", and pick the \
         file. The mail appears under \"On My Computer\".",
    ),
];

fn headline(ui: &mut Ui, report: &Report) {
    let totals = &report.totals;
    let (heading, detail) = match report.status {
        Status::Complete => (
            "Done".to_owned(),
            match report.found_by_kind() {
                Some(by_kind) => format!(
                    "All {} were converted: {by_kind}.",
                    items(report, totals.found)
                ),
                None => format!("All {} were converted.", items(report, totals.found)),
            },
        ),
        Status::Incomplete => (
            format!("Done, with {} left out", report.item_words().1),
            format!(
                "{} of {} were written; {} skipped — the table says why.",
                count(totals.written),
                items(report, totals.found),
                count(totals.skipped.total())
            ),
        ),
        Status::Cancelled => ("Cancelled".to_owned(), String::new()),
        Status::Failed => (
            "No PST was kept".to_owned(),
            "It did not pass the job's checks; the problems are listed below and in the report."
                .to_owned(),
        ),
    };
    ui.heading(heading);
    if !detail.is_empty() {
        ui.label(detail);
    }
    ui.weak(format!("Took {:.1} s.", report.seconds));
}

/// The folder table. Each number cell tells a screen reader which folder and column it is.
fn table(ui: &mut Ui, report: &Report) {
    egui::Grid::new("folders")
        .num_columns(5)
        .striped(true)
        .spacing([18.0, 6.0])
        .show(ui, |ui| {
            ui.label(RichText::new("Folder").strong());
            for title in ["Found", "Written", "Skipped"] {
                right_aligned(ui, |ui| ui.label(RichText::new(title).strong()));
            }
            ui.label(RichText::new("Why skipped").strong());
            ui.end_row();
            for folder in &report.folders {
                let path = folder.display_path();
                ui.label(&path);
                number(ui, folder.found, &path, "found");
                number(ui, folder.written, &path, "written");
                number(ui, folder.skipped.total(), &path, "skipped");
                let mut why: Vec<String> = folder
                    .skipped
                    .labelled()
                    .iter()
                    .map(|(label, n)| format!("{} {label}", count(*n)))
                    .collect();
                if folder.role == FolderRole::Excluded {
                    why = vec!["left out (Trash or Junk)".to_owned()];
                }
                if let Some(error) = &folder.read_error {
                    why.push(format!("read error: {error}"));
                }
                ui.add(egui::Label::new(why.join(", ")).wrap());
                ui.end_row();
            }
            ui.label(RichText::new("Total").strong());
            number(ui, report.totals.found, "Total", "found");
            number(ui, report.totals.written, "Total", "written");
            number(ui, report.totals.skipped.total(), "Total", "skipped");
            ui.label("");
            ui.end_row();
        });
}

fn number(ui: &mut Ui, n: u64, row: &str, column: &str) {
    right_aligned(ui, |ui| {
        let response = ui.label(count(n));
        name(&response, Role::Label, format!("{row}: {n} {column}"));
        response
    });
}

/// A cell whose content sits at its right edge, as numbers in a table do.
fn right_aligned(ui: &mut Ui, content: impl FnOnce(&mut Ui) -> egui::Response) {
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), content);
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    use super::*;

    /// A report of a job that met an unreadable folder and a message the read-back found
    /// different from its source.
    fn report() -> Report {
        let skipped = r#"{"not_downloaded":0,"unreadable":0,"not_a_message":0,
            "duplicate":0,"demo_limit":0,"outside_date_range":0,"folder_excluded":0}"#;
        let json = format!(
            r#"{{"format":2,"app_version":"0","status":"incomplete","started":"2026-01-01T00:00:00Z",
            "seconds":1.0,"license":{{"licensed":true,"licensee":"A","note":null}},
            "options":{{"split_size":1,"date_from":null,"date_to":null,"skip_duplicates":false,
            "include_trash_junk":true,"verify":true}},"outputs":[],"report_files":[],"stores":[],
            "folders":[{{"store":0,"source_path":["Locked"],"pst_path":["mail","Locked"],
            "role":"convert","found":0,"written":0,"skipped":{skipped},"skipped_items":[],
            "deleted":[],"converted_with_warnings":[],"read_error":"/m/Locked: permission denied",
            "read_back_differences":["\"Hi\" (/m/a.eml): body differs"],"notes":[]}}],
            "totals":{{"found":0,"written":0,"skipped":{skipped},"converted_with_warnings":0,
            "degraded":0,"folder_errors":1,"read_back_differences":1,"deleted":0}},"verified":true,
            "problems":[],"notes":[]}}"#
        );
        Report::from_json(&json).unwrap()
    }

    #[test]
    fn folder_errors_and_read_back_differences_are_on_the_done_screen() {
        let report = report();
        let harness = Harness::new_ui(|ui| {
            let links = Links {
                purchase_url: None,
                pst_opener: None,
            };
            summary(ui, &report, links, &mut Vec::new(), &mut false, &mut false);
        });
        for text in [
            "read error: /m/Locked: permission denied",
            "1 folder could not be read; the table says why.",
            "1 message in the PST differs from an independent reading of the source",
        ] {
            assert!(
                harness.query_all_by_label_contains(text).next().is_some(),
                "{text:?} is not on the screen"
            );
        }
    }
}
