//! Drawing: the window's frame (step list, demo banner, navigation) around the current screen,
//! and the dialogs. Drawing only reads the state and calls its methods; what needs the platform
//! (native dialogs, the file manager) comes back as [`Action`]s for the app to carry out.

mod converting;
mod dialogs;
mod done;
mod folders;
mod gap_form;
mod imap_form;
mod options;
mod sources;

use std::path::PathBuf;
use std::time::Duration;

use egui::accesskit::Role;
use egui::{Color32, FontFamily, FontId, RichText, TextStyle, Ui, WidgetInfo};

use super::state::{AppState, Screen};

/// What the window asks the app to do outside egui.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The native dialog for adding stores: files, or a folder.
    PickSources { folder: bool },
    /// The native save dialog for the PST.
    PickOutput,
    /// Show this file in the file manager.
    Reveal(PathBuf),
    /// Open this file with its program.
    Open(PathBuf),
}

/// Text sizes that read well at 100 % and scale with the system (egui follows its factor).
pub fn set_up_style(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(22.0, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(15.0, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(15.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Small,
                FontId::new(12.5, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(14.0, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 7.0);
        style.spacing.button_padding = egui::vec2(10.0, 4.0);
        style.spacing.interact_size.y = 24.0;
        style.spacing.icon_width = 17.0;
        style.spacing.icon_width_inner = 11.0;
    });
}

/// Draws the window; returns what the app has to do.
pub fn show(ui: &mut Ui, state: &mut AppState) -> Vec<Action> {
    let mut actions = Vec::new();
    egui::Panel::top("steps").show(ui, |ui| top_bar(ui, state));
    if state.is_demo() {
        egui::Panel::top("demo banner")
            .frame(
                egui::Frame::new()
                    .fill(banner_fill(ui))
                    .inner_margin(egui::Margin::symmetric(12, 8)),
            )
            .show(ui, |ui| demo_banner(ui, state));
    }
    egui::Panel::bottom("navigation")
        .frame(
            egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(12, 10)),
        )
        .show(ui, |ui| navigation(ui, state));
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                ui.set_max_width(ui.available_width().min(980.0));
                match state.screen {
                    Screen::Sources => sources::show(ui, state, &mut actions),
                    Screen::Folders => folders::show(ui, state),
                    Screen::Options => options::show(ui, state, &mut actions),
                    Screen::Converting => converting::show(ui, state),
                    Screen::Done => done::show(ui, state, &mut actions),
                }
            });
    });
    dialogs::show(ui.ctx(), state, &mut actions);
    drop_hint(ui.ctx());
    actions
}

fn top_bar(ui: &mut Ui, state: &mut AppState) {
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.heading(RichText::new("mail2pst").strong());
        ui.add_space(12.0);
        for (index, screen) in Screen::ALL.into_iter().enumerate() {
            if index > 0 {
                ui.weak("›");
            }
            let current = state.screen == screen;
            let reachable = !state.is_converting()
                && match screen {
                    Screen::Sources => true,
                    Screen::Folders => state.blocker(Screen::Sources).is_none(),
                    Screen::Options => {
                        state.blocker(Screen::Sources).is_none()
                            && state.blocker(Screen::Folders).is_none()
                    }
                    Screen::Converting | Screen::Done => false,
                };
            let text = format!("{}. {}", index + 1, screen.title());
            let response = ui.add_enabled(
                current || reachable,
                egui::Button::selectable(current, text),
            );
            if response.clicked() {
                state.go_to(screen);
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("About").clicked() {
                state.show_about = true;
            }
            match state.license_status.license() {
                Some(license) => {
                    ui.label(format!("Licensed to {}", license.name));
                }
                None => {
                    ui.label(
                        RichText::new("Demo")
                            .strong()
                            .color(ui.visuals().warn_fg_color),
                    );
                }
            }
        });
    });
    ui.add_space(2.0);
}

fn banner_fill(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(74, 56, 12)
    } else {
        Color32::from_rgb(255, 243, 205)
    }
}

fn demo_banner(ui: &mut Ui, state: &mut AppState) {
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "Demo mode: at most {} messages per folder are converted.",
                crate::engine::DEMO_MESSAGES_PER_FOLDER
            ))
            .strong(),
        );
        ui.label("A license converts everything.");
        if ui.button("Enter license key…").clicked() {
            state.open_license_dialog();
        }
        purchase_link(ui, state.purchase_url.as_deref());
    });
    if let crate::license::LicenseStatus::Demo {
        reason: Some(reason),
    } = &state.license_status
    {
        ui.small(crate::engine::capitalized(reason));
    }
}

fn navigation(ui: &mut Ui, state: &mut AppState) {
    ui.horizontal(|ui| {
        let can_go_back = matches!(
            state.screen,
            Screen::Folders | Screen::Options | Screen::Done
        ) && !state.is_converting();
        if can_go_back && ui.button("Back").clicked() {
            state.back();
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let next = match state.screen {
                Screen::Sources => Some("Next: choose folders"),
                Screen::Folders => Some("Next: options"),
                Screen::Options => Some("Convert"),
                Screen::Converting => None,
                Screen::Done => None,
            };
            if let Some(next) = next {
                let blocker = state.blocker(state.screen);
                let button = egui::Button::new(RichText::new(next).strong());
                if ui.add_enabled(blocker.is_none(), button).clicked() {
                    state.next();
                }
                if let Some(blocker) = blocker {
                    ui.weak(blocker);
                }
            }
            if state.screen == Screen::Converting
                && let Some(running) = state.running()
            {
                let stopping = running.cancelled_at.is_some();
                if ui
                    .add_enabled(!stopping, egui::Button::new("Cancel"))
                    .clicked()
                {
                    state.ask_cancel();
                }
            }
        });
    });
}

/// A hint over the whole window while files are dragged over it.
fn drop_hint(ctx: &egui::Context) {
    let hovering = ctx.input(|input| !input.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop hint"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, Color32::from_black_alpha(160));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop to add these to the sources",
        FontId::proportional(24.0),
        Color32::WHITE,
    );
}

/// Gives a widget the name a screen reader says (and tests look it up by).
fn name(response: &egui::Response, role: Role, label: impl ToString) {
    let label = label.to_string();
    let enabled = response.enabled();
    response.widget_info(|| WidgetInfo::labeled(role, enabled, &label));
}

/// A count with thousands separated: 12,345.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "1 message", "2 messages".
pub fn messages(n: u64) -> String {
    if n == 1 {
        "1 message".to_owned()
    } else {
        format!("{} messages", count(n))
    }
}

/// A time left, rounded the way people say it.
pub fn duration(d: Duration) -> String {
    let seconds = d.as_secs();
    match seconds {
        0..5 => "a few seconds".to_owned(),
        5..60 => format!("about {seconds} s"),
        60..3600 => format!("about {} min", seconds.div_ceil(60)),
        _ => format!(
            "about {} h {:02} min",
            seconds / 3600,
            (seconds % 3600) / 60
        ),
    }
}

/// "Buy a license", to the page this build was given; nothing when it was given none.
fn purchase_link(ui: &mut Ui, url: Option<&str>) {
    if let Some(url) = url {
        ui.hyperlink_to("Buy a license", url);
    }
}

/// Text in the colour of errors.
fn error_text(ui: &Ui, text: impl Into<String>) -> RichText {
    RichText::new(text.into()).color(ui.visuals().error_fg_color)
}

/// What the keychain did after a login, or why it could not, until the person goes on.
fn keychain_notice(ui: &mut Ui, state: &AppState) {
    match &state.keychain_notice {
        Some(Ok(done)) => {
            ui.label(done);
        }
        Some(Err(why)) => {
            ui.label(RichText::new(why).color(ui.visuals().warn_fg_color));
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_times_read_naturally() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(messages(1), "1 message");
        assert_eq!(messages(1200), "1,200 messages");
        assert_eq!(duration(Duration::from_secs(3)), "a few seconds");
        assert_eq!(duration(Duration::from_secs(42)), "about 42 s");
        assert_eq!(duration(Duration::from_secs(61)), "about 2 min");
        assert_eq!(
            duration(Duration::from_secs(3 * 3600 + 5 * 60)),
            "about 3 h 05 min"
        );
    }
}
