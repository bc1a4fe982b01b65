//! The window's questions and boxes: the license key (checked as it is pasted), About (with the
//! log's place), "replace the existing PST?" and "stop converting?". Escape or a click outside
//! closes a box the way its safe button would.

use egui::{RichText, ThemePreference, Ui};

use crate::engine::capitalized;
use crate::gui::state::{AppState, Verdict};
use crate::license::{self, LicenseStatus};

use super::{Action, error_text, purchase_link};

pub fn show(ctx: &egui::Context, state: &mut AppState, actions: &mut Vec<Action>) {
    if state.license_dialog.is_some() {
        license_dialog(ctx, state);
    }
    if state.imap_form.is_some() {
        super::imap_form::show(ctx, state);
    }
    if state.gap_form.is_some() {
        super::gap_form::show(ctx, state);
    }
    if state.show_about {
        about(ctx, state, actions);
    }
    if state.confirm_overwrite.is_some() {
        confirm_overwrite(ctx, state);
    }
    if state.running().is_some_and(|r| r.confirm_cancel) {
        confirm_cancel(ctx, state);
    }
}

fn modal(ctx: &egui::Context, id: &str, content: impl FnOnce(&mut Ui)) -> bool {
    egui::Modal::new(egui::Id::unique(id))
        .show(ctx, |ui| {
            ui.set_max_width(520.0);
            content(ui);
        })
        .should_close()
}

fn license_dialog(ctx: &egui::Context, state: &mut AppState) {
    let Some(dialog) = state.license_dialog.clone() else {
        return;
    };
    let mut text = dialog.text.clone();
    let purchase_url = state.purchase_url.clone();
    let mut activate = false;
    let mut cancel = false;
    let closed = modal(ctx, "license", |ui| {
        ui.heading("Enter license key");
        let label = ui.label(format!(
            "Paste the key you received by e-mail. It starts with {}.",
            license::KEY_PREFIX
        ));
        let edit = ui.add(
            egui::TextEdit::multiline(&mut text)
                .desired_rows(4)
                .desired_width(f32::INFINITY)
                .font(egui::TextStyle::Monospace),
        );
        let edit = edit.labelled_by(label.id);
        if ui.memory(|memory| memory.focused().is_none()) {
            edit.request_focus();
        }
        match &dialog.verdict {
            Verdict::Empty => {}
            Verdict::Valid(license) => {
                ui.label(
                    RichText::new(format!("Valid key: {license}"))
                        .color(ui.visuals().widgets.active.fg_stroke.color),
                );
            }
            Verdict::Invalid(why) => {
                ui.label(error_text(ui, why));
            }
        }
        if let Some(error) = &dialog.error {
            ui.label(error_text(ui, error));
        }
        if license::uses_development_key() {
            ui.weak(
                "This build accepts keys signed with the development key; it is not a release \
                 build.",
            );
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let valid = matches!(dialog.verdict, Verdict::Valid(_));
            activate = ui
                .add_enabled(valid, egui::Button::new("Activate"))
                .clicked();
            cancel = ui.button("Cancel").clicked();
            if purchase_url.is_some() {
                ui.add_space(12.0);
                ui.label("No key yet?");
                purchase_link(ui, purchase_url.as_deref());
            }
        });
    });
    if text != dialog.text {
        state.set_license_text(text);
    }
    if activate {
        state.activate_license();
    } else if cancel || closed {
        state.close_license_dialog();
    }
}

fn about(ctx: &egui::Context, state: &mut AppState, actions: &mut Vec<Action>) {
    let mut close = false;
    let closed = modal(ctx, "about", |ui| {
        ui.heading("About mail2pst");
        ui.label(format!("Version {}", env!("CARGO_PKG_VERSION")));
        ui.label(
            "Moves mail out of Apple Mail, Thunderbird, Postbox, MBOX and EML files into an \
             Outlook PST file.",
        );
        ui.add_space(6.0);
        match &state.license_status {
            LicenseStatus::Licensed { license, source } => {
                ui.label(format!("Licensed to {license} (key in {source})."));
            }
            LicenseStatus::Demo { reason } => {
                ui.label(format!(
                    "Demo mode: at most {} messages per folder are converted.",
                    crate::engine::DEMO_MESSAGES_PER_FOLDER
                ));
                if let Some(reason) = reason {
                    ui.label(capitalized(reason));
                }
            }
        }
        ui.label(trusted_key());
        ui.add_space(6.0);
        match &state.log_file {
            Some(folder) => {
                ui.label(format!("Log files: {}", folder.display()));
                if ui.button("Open log folder").clicked() {
                    actions.push(Action::Open(folder.clone()));
                }
            }
            None => {
                ui.label("No log file is written.");
            }
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label("Theme:");
            let mut preference = ui.options(|options| options.theme_preference);
            let before = preference;
            ui.selectable_value(&mut preference, ThemePreference::System, "Like the system");
            ui.selectable_value(&mut preference, ThemePreference::Light, "Light");
            ui.selectable_value(&mut preference, ThemePreference::Dark, "Dark");
            if preference != before {
                ui.ctx().set_theme(preference);
            }
        });
        ui.add_space(6.0);
        close = ui.button("Close").clicked();
    });
    if close || closed {
        state.show_about = false;
    }
}

/// Which public key this build checks license keys against, by the id a key names.
fn trusted_key() -> String {
    let id = license::built_in_key_id();
    if license::uses_development_key() {
        format!(
            "License keys are checked against key {id}, the development key, whose private half \
             is public: this is not a release build."
        )
    } else {
        format!("License keys are checked against key {id}, this release's key.")
    }
}

fn confirm_overwrite(ctx: &egui::Context, state: &mut AppState) {
    let Some(output) = state.confirm_overwrite.clone() else {
        return;
    };
    let file_name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| output.display().to_string());
    let mut replace = false;
    let mut keep = false;
    let closed = modal(ctx, "overwrite", |ui| {
        ui.heading(format!("Replace {file_name}?"));
        ui.label(format!(
            "{} already exists. Converting replaces it, its split parts and its report.",
            output.display()
        ));
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            replace = ui.button("Replace").clicked();
            keep = ui.button("Keep it").clicked();
        });
    });
    if replace {
        state.replace_output();
    } else if keep || closed {
        state.keep_output();
    }
}

fn confirm_cancel(ctx: &egui::Context, state: &mut AppState) {
    let mut stop = false;
    let mut keep = false;
    let closed = modal(ctx, "cancel", |ui| {
        ui.heading("Stop converting?");
        ui.label(
            "The conversion stops at the next message and everything it wrote is removed. Your \
             mail is not touched.",
        );
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            stop = ui.button("Stop converting").clicked();
            keep = ui.button("Keep converting").clicked();
        });
    });
    if stop {
        state.confirm_cancel();
    } else if keep || closed {
        state.keep_converting();
    }
}
