//! Step 3: where the PST goes and how to convert. What is wrong with a field is said at once.

use egui::{RichText, Ui};

use crate::engine::{MAX_SPLIT_SIZE, MIN_SPLIT_SIZE, capitalized, format_size};
use crate::gui::state::AppState;

use super::{Action, count, error_text, messages};

pub fn show(ui: &mut Ui, state: &mut AppState, actions: &mut Vec<Action>) {
    ui.heading("Where should the PST go?");
    ui.add_space(4.0);
    egui::Grid::new("options")
        .num_columns(2)
        .spacing([12.0, 10.0])
        .show(ui, |ui| {
            let label = ui.label("PST file:");
            ui.horizontal(|ui| {
                let width = (ui.available_width() - 110.0).max(200.0);
                ui.add(egui::TextEdit::singleline(&mut state.options.output).desired_width(width))
                    .labelled_by(label.id);
                if ui.button("Choose…").clicked() {
                    actions.push(Action::PickOutput);
                }
            });
            ui.end_row();

            ui.label("Split:");
            ui.horizontal_wrapped(|ui| {
                let split = ui.checkbox(
                    &mut state.options.split,
                    "Start a new PST file when one reaches",
                );
                let size = ui.add_enabled(
                    state.options.split,
                    egui::TextEdit::singleline(&mut state.options.split_size).desired_width(80.0),
                );
                size.on_hover_text(format!(
                    "Between {} and {}; Outlook 2010 and later open files up to {}",
                    format_size(MIN_SPLIT_SIZE),
                    format_size(MAX_SPLIT_SIZE),
                    format_size(MAX_SPLIT_SIZE)
                ))
                .labelled_by(split.id);
            });
            ui.end_row();

            ui.label("Dates:");
            ui.horizontal_wrapped(|ui| {
                let from = ui.label("from");
                ui.add(
                    egui::TextEdit::singleline(&mut state.options.date_from)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(110.0),
                )
                .labelled_by(from.id);
                let to = ui.label("to");
                ui.add(
                    egui::TextEdit::singleline(&mut state.options.date_to)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(110.0),
                )
                .labelled_by(to.id);
                ui.weak("leave empty for all dates; messages without a date are always kept");
            });
            ui.end_row();

            ui.label("Also:");
            ui.vertical(|ui| {
                ui.checkbox(
                    &mut state.options.skip_duplicates,
                    "Skip duplicates (the same message in several folders or stores)",
                );
                ui.checkbox(
                    &mut state.options.include_trash_junk,
                    "Include the Trash and Junk folders",
                );
            });
            ui.end_row();
        });
    ui.add_space(8.0);
    let problem = state
        .options
        .output_path()
        .err()
        .or_else(|| state.options.to_options().err());
    match problem {
        Some(problem) => {
            ui.label(error_text(ui, capitalized(&problem)));
        }
        None => {
            if let Some(error) = &state.options_error {
                ui.label(error_text(ui, error));
            }
            ui.label(format!(
                "Ready to convert {} from {} {}.",
                messages(state.selected_messages()),
                count(state.selected_folders() as u64),
                if state.selected_folders() == 1 {
                    "folder"
                } else {
                    "folders"
                },
            ));
            if state.is_demo() {
                ui.label(
                    RichText::new(format!(
                        "In demo mode only the first {} messages of each folder are written.",
                        crate::engine::DEMO_MESSAGES_PER_FOLDER
                    ))
                    .color(ui.visuals().warn_fg_color),
                );
            }
            ui.weak("A report (HTML and JSON) is saved beside the PST.");
        }
    }
}
