//! Step 4: the conversion as it runs: how far, how fast, how long still, which folder, and how
//! many messages were skipped so far and why.

use egui::{RichText, Ui};

use crate::engine::format_size;
use crate::gui::state::AppState;

use super::{count, duration, messages};

pub fn show(ui: &mut Ui, state: &mut AppState) {
    let Some(running) = state.running() else {
        ui.spinner();
        return;
    };
    let heading = if running.cancelled_at.is_some() {
        "Stopping…"
    } else if running.verifying.is_some() {
        "Checking the PST…"
    } else {
        "Converting…"
    };
    ui.heading(heading);
    ui.label(format!("Into {}", running.output.display()));
    ui.add_space(8.0);

    let Some(progress) = &running.progress else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(match running.planned {
                Some(planned) => format!(
                    "Starting: {} in {} {}…",
                    messages(planned.messages),
                    count(planned.folders as u64),
                    if planned.folders == 1 {
                        "folder"
                    } else {
                        "folders"
                    }
                ),
                None => "Counting the messages to convert…".to_owned(),
            });
        });
        return;
    };
    let total = progress.messages_total.max(1);
    let fraction = (progress.messages_done as f64 / total as f64).clamp(0.0, 1.0) as f32;
    ui.add(
        egui::ProgressBar::new(fraction)
            .text(format!(
                "{} of {} ({:.0} %)",
                count(progress.messages_done),
                messages(progress.messages_total),
                fraction * 100.0
            ))
            .animate(running.cancelled_at.is_none()),
    );
    ui.add_space(4.0);
    let mut speed = format!(
        "{} messages/s",
        count(progress.messages_per_second.round() as u64)
    );
    if let Some(eta) = progress.eta
        && running.verifying.is_none()
    {
        speed.push_str(&format!(" · {} left", duration(eta)));
    }
    ui.label(speed);
    match &running.verifying {
        Some(path) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Reading {} back to check it", path.display()));
            });
        }
        None => {
            ui.label(format!("Writing: {}", progress.folder));
        }
    }
    ui.label(format!(
        "{} of mail read · {} of PST written",
        format_size(progress.bytes_read),
        format_size(progress.bytes_written)
    ));
    for (path, bytes) in &running.files {
        ui.label(format!(
            "Finished {} ({})",
            path.display(),
            format_size(*bytes)
        ));
    }

    ui.add_space(6.0);
    let skipped = running.skipped();
    ui.label(RichText::new(format!("Skipped so far: {}", count(skipped))).strong());
    if skipped > 0 {
        egui::CollapsingHeader::new("Why were messages skipped?")
            .id_salt("skip reasons")
            .show(ui, |ui| {
                for (reason, n) in progress.skipped.labelled() {
                    ui.label(format!("{}: {}", count(n), reason));
                }
                ui.weak("The report lists every skipped message with its reason.");
            });
    }
    if running.cancelled_at.is_some() {
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Stopping at the next message and removing what was written…");
        });
    }
}
