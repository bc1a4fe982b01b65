//! Step 1: the stores found on this machine and those the person added, each with a spinner
//! while it is counted, its numbers once it is, or what is wrong with it and what to do. A
//! store is added by typing or pasting its path (completed as it is typed), from a shortcut to
//! the usual hidden places, with the native dialog, or by dropping it onto the window; when no
//! dialog can open, the screen says so and points to the other ways.

use egui::accesskit::Role;
use egui::{RichText, Ui};

use crate::engine::capitalized;
use crate::gui::paths;
use crate::gui::state::{AppState, SourceStatus};
use crate::gui::tree::Check;
use crate::gui::workers::SourceId;

use super::{Action, count, error_text, messages, name};

pub fn show(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    ui.heading("Where is your mail?");
    ui.label(
        "mail2pst has looked in the usual places on this computer. Add anything else — an \
         .mbox file, a folder of .eml files, a mail profile folder or an Apple Mail export: \
         type or paste its path, pick it, or drop it onto this window; or add an IMAP account \
         to take the mail straight from its server. Your mail is only read, never changed.",
    );
    ui.add_space(4.0);
    path_field(ui, state);
    ui.horizontal_wrapped(|ui| {
        ui.menu_button("Add files or folders…", |ui| {
            if ui.button("Mail files (.mbox, .eml)…").clicked() {
                actions.push(Action::PickSources { folder: false });
                ui.close();
            }
            if ui
                .button("A folder (mail folder, profile, Apple Mail library)…")
                .clicked()
            {
                actions.push(Action::PickSources { folder: true });
                ui.close();
            }
        });
        if ui.button("Add an IMAP account…").clicked() {
            state.open_imap_form();
        }
        if state.discovering {
            ui.spinner();
            ui.label("Looking for mail on this computer…");
        }
    });
    usual_places(ui, state);
    if let Some(problem) = &state.file_dialog_problem {
        ui.label(error_text(
            ui,
            format!(
                "{}. Type or paste the path in the field above, or drag the file or folder \
                 from your file manager onto this window.",
                capitalized(problem)
            ),
        ));
    }
    if let Some(notice) = &state.notice {
        ui.label(RichText::new(notice).color(ui.visuals().warn_fg_color));
    }
    super::keychain_notice(ui, state);
    ui.add_space(6.0);

    if state.sources.is_empty() && !state.discovering {
        ui.label(
            "No mail was found in the usual places. Type the path of your mail above, add files \
             or folders, or drop them onto this window.",
        );
        return;
    }
    let mut select: Vec<(SourceId, bool)> = Vec::new();
    let mut remove: Vec<SourceId> = Vec::new();
    for entry in &state.sources {
        egui::Frame::group(ui.style())
            .inner_margin(egui::Margin::same(10))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                let title = entry.title();
                ui.horizontal(|ui| {
                    match &entry.status {
                        SourceStatus::Ready(ready) => {
                            let check = ready.tree.check_all();
                            let mut checked = check == Check::Checked;
                            let response = ui.add(
                                egui::Checkbox::new(&mut checked, RichText::new(&title).strong())
                                    .indeterminate(check == Check::Mixed),
                            );
                            if response.clicked() {
                                select.push((entry.id, check != Check::Checked));
                            }
                        }
                        SourceStatus::Opening | SourceStatus::Counting { .. } => {
                            ui.spinner();
                            ui.label(RichText::new(&title).strong());
                        }
                        SourceStatus::Failed(_) => {
                            ui.label(error_text(ui, title.as_str()).strong());
                        }
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        let response = ui.small_button("Remove");
                        name(&response, Role::Button, format!("Remove {title}"));
                        if response.clicked() {
                            remove.push(entry.id);
                        }
                    });
                });
                let origin = if entry.found_on_machine {
                    "found on this computer"
                } else {
                    "added by you"
                };
                let place = entry
                    .location()
                    .map(|p| paths::shown(&p, state.home()))
                    .unwrap_or_default();
                ui.weak(format!("{place} · {origin}"));
                match &entry.status {
                    SourceStatus::Opening => {
                        ui.weak("Opening…");
                    }
                    SourceStatus::Counting { .. } => {
                        ui.weak("Counting messages…");
                    }
                    SourceStatus::Ready(ready) => {
                        let folders = ready.tree.nodes().len();
                        ui.label(format!(
                            "{} {} · {}",
                            count(folders as u64),
                            if folders == 1 { "folder" } else { "folders" },
                            messages(ready.listing.messages())
                        ));
                        for warning in &ready.listing.warnings {
                            ui.label(
                                RichText::new(format!("Note: {warning}"))
                                    .color(ui.visuals().warn_fg_color),
                            );
                        }
                    }
                    SourceStatus::Failed(error) => {
                        ui.label(error_text(
                            ui,
                            format!("This store cannot be read: {error}"),
                        ));
                        ui.label(if entry.is_imap() {
                            "Check the server, the user name and the password, then add the \
                             account again; or remove it from the list."
                        } else {
                            "Check the path and that mail2pst may read it, then add it again; \
                             or remove it from the list."
                        });
                    }
                }
            });
        ui.add_space(4.0);
    }
    for (id, selected) in select {
        state.set_store_selected(id, selected);
    }
    for id in remove {
        state.remove_source(id);
    }
}

/// The path field: type or paste a path (`~` is the home folder), pick a completion, add it.
fn path_field(ui: &mut Ui, state: &mut AppState) {
    let mut text = state.path_text.clone();
    let mut add = false;
    ui.horizontal(|ui| {
        let label = ui.label("Path:");
        let width = (ui.available_width() - 80.0).max(200.0);
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("type or paste a path, e.g. ~/.thunderbird")
                    .desired_width(width),
            )
            .labelled_by(label.id);
        if response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
            add = true;
        }
        if ui.button("Add").clicked() {
            add = true;
        }
    });
    state.set_path_text(text);
    if !state.completions.is_empty() {
        let mut chosen = None;
        ui.horizontal_wrapped(|ui| {
            ui.weak("Complete:");
            for option in &state.completions {
                let finish = last_name(option);
                let response = ui.small_button(finish);
                name(&response, Role::Button, format!("Complete with {finish}"));
                if response.clicked() {
                    chosen = Some(option.clone());
                }
            }
        });
        if let Some(option) = chosen {
            state.set_path_text(option);
        }
    }
    if add {
        state.add_typed_path();
    }
}

/// The last name of a completion, with the separator a folder ends with.
fn last_name(option: &str) -> &str {
    let trimmed = option.trim_end_matches(['/', '\\']);
    let start = trimmed.rfind(['/', '\\']).map_or(0, |at| at + 1);
    &option[start..]
}

/// Shortcuts to the places mail clients keep their data, most of them hidden from file dialogs.
fn usual_places(ui: &mut Ui, state: &mut AppState) {
    if state.places.is_empty() {
        return;
    }
    let mut add = None;
    ui.horizontal_wrapped(|ui| {
        ui.weak("Usual places:");
        for place in &state.places {
            let shown = paths::shown(&place.path, state.home());
            let response = ui
                .small_button(format!("{} · {shown}", place.label))
                .on_hover_text(place.path.display().to_string());
            name(
                &response,
                Role::Button,
                format!("Add {} {shown}", place.label),
            );
            if response.clicked() {
                add = Some(place.path.clone());
            }
        }
    });
    if let Some(path) = add {
        state.add_paths(vec![path]);
    }
}
