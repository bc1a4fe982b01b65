//! The "Add an IMAP account" box: a provider to fill in the server, the server's fields (all
//! editable), the user name and the password, with a link to the provider's page on app
//! passwords. The password is shown as dots and kept in memory only.

use egui::{RichText, Ui};

use crate::engine::Security;
use crate::gui::state::{AppState, Provider};

use super::error_text;

pub fn show(ctx: &egui::Context, state: &mut AppState) {
    let Some(mut form) = state.imap_form.clone() else {
        return;
    };
    let mut add = false;
    let mut cancel = false;
    let closed = egui::Modal::new(egui::Id::unique("imap account"))
        .show(ctx, |ui| {
            ui.set_max_width(560.0);
            ui.heading("Add an IMAP account");
            ui.label(
                "mail2pst reads the account's mail straight from its server, leaving it as it \
                 is there: nothing is marked read, moved or deleted. The password is used for \
                 this session only and never saved.",
            );
            ui.add_space(6.0);
            ui.horizontal_wrapped(|ui| {
                ui.label("Provider:");
                for provider in Provider::ALL {
                    if ui
                        .selectable_label(form.provider == provider, provider.label())
                        .clicked()
                        && form.provider != provider
                    {
                        form.choose(provider);
                    }
                }
            });
            egui::Grid::new("imap fields")
                .num_columns(2)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    field(ui, "Server:", &mut form.server, "imap.example.com", false);
                    field(ui, "Port:", &mut form.port, "993", false);
                    ui.label("Security:");
                    ui.horizontal(|ui| {
                        let mut security = form.security;
                        ui.radio_value(&mut security, Security::Tls, "TLS");
                        ui.radio_value(&mut security, Security::StartTls, "STARTTLS");
                        if security != form.security {
                            form.set_security(security);
                        }
                    });
                    ui.end_row();
                    field(
                        ui,
                        "User name:",
                        &mut form.user,
                        "usually your e-mail address",
                        false,
                    );
                    field(ui, "Password:", &mut form.password, "", true);
                    field(
                        ui,
                        "Trusted certificate:",
                        &mut form.certificate,
                        "only for a self-hosted server: its certificate file (PEM)",
                        false,
                    );
                });
            if let Some(page) = form.provider.app_password_page() {
                ui.add_space(4.0);
                ui.label(format!(
                    "{} asks for an app password, made on your account's security page, \
                     instead of your own password.",
                    form.provider.label()
                ));
                ui.hyperlink_to(
                    format!("How to make a {} app password", form.provider.label()),
                    page,
                );
            }
            if let Some(error) = &form.error {
                ui.label(error_text(ui, error));
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                add = ui.button(RichText::new("Add account").strong()).clicked();
                cancel = ui.button("Cancel").clicked();
            });
        })
        .should_close();
    state.imap_form = Some(form);
    if add {
        state.add_imap_account();
    } else if cancel || closed {
        state.close_imap_form();
    }
}

/// A labelled single-line field; `secret` shows dots.
pub(super) fn field(ui: &mut Ui, label: &str, text: &mut String, hint: &str, secret: bool) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .password(secret)
            .desired_width(340.0),
    )
    .labelled_by(label.id);
    ui.end_row();
}
