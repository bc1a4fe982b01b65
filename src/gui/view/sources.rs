//! Step 1: the stores found on this machine and those the person added, each with a spinner
//! while it is counted, its numbers once it is, or what is wrong with it and what to do.

use egui::accesskit::Role;
use egui::{RichText, Ui};

use crate::gui::state::{AppState, SourceStatus};
use crate::gui::tree::Check;
use crate::gui::workers::SourceId;

use super::{Action, count, error_text, messages, name};

pub fn show(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    ui.heading("Where is your mail?");
    ui.label(
        "mail2pst has looked in the usual places on this computer. Add anything else: an .mbox \
         file, a folder of .eml files, a mail profile folder or an Apple Mail export — or drop \
         it onto this window. Your mail is only read, never changed.",
    );
    ui.add_space(4.0);
    ui.horizontal(|ui| {
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
        if state.discovering {
            ui.spinner();
            ui.label("Looking for mail on this computer…");
        }
    });
    if let Some(notice) = &state.notice {
        ui.label(RichText::new(notice).color(ui.visuals().warn_fg_color));
    }
    ui.add_space(6.0);

    if state.sources.is_empty() && !state.discovering {
        ui.label(
            "No mail was found in the usual places. Add files or folders, or drop them onto \
             this window.",
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
                    .map(|p| p.display().to_string())
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
                        ui.label(
                            "Check the path and that mail2pst may read it, then add it again; \
                             or remove it from the list.",
                        );
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
