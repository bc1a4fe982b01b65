//! The "Add an IMAP account" box: a provider to fill in the server, the server's fields (all
//! editable), the user name and the password, with a link to the provider's page on app
//! passwords. The password is shown as dots and kept in memory only, unless the person ticks
//! "Remember the password in this computer's keychain".

use egui::{RichText, Ui};

use crate::engine::{Security, capitalized};
use crate::gui::state::{AppState, KeychainField, Provider};

use super::error_text;

pub fn show(ctx: &egui::Context, state: &mut AppState) {
    let Some(mut form) = state.imap_form.clone() else {
        return;
    };
    let mut add = false;
    let mut cancel = false;
    // The person is still typing the server or the user name: the keychain is asked once
    // they are done.
    let mut naming = false;
    let closed = egui::Modal::new(egui::Id::unique("imap account"))
        .show(ctx, |ui| {
            ui.set_max_width(560.0);
            ui.heading("Add an IMAP account");
            ui.label(
                "mail2pst reads the account's mail straight from its server, leaving it as it \
                 is there: nothing is marked read, moved or deleted. The password is used for \
                 this session only, unless you ask for it to be kept in this computer's \
                 keychain.",
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
                    naming |= field(ui, "Server:", &mut form.server, "imap.example.com", false)
                        .has_focus();
                    naming |= field(ui, "Port:", &mut form.port, "993", false).has_focus();
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
                    naming |= field(
                        ui,
                        "User name:",
                        &mut form.user,
                        "usually your e-mail address",
                        false,
                    )
                    .has_focus();
                    field(ui, "Password:", &mut form.password, "", true);
                    field(
                        ui,
                        "Trusted certificate:",
                        &mut form.certificate,
                        "only for a self-hosted server: its certificate file (PEM)",
                        false,
                    );
                });
            keychain_box(ui, &mut form.keychain, &form.password);
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
    } else if !naming {
        state.recall_imap_password();
    }
}

/// "Remember the password in this computer's keychain", and what the keychain said: the
/// password filled in from it, or why it cannot be reached (while the box is ticked).
pub(super) fn keychain_box(ui: &mut Ui, keychain: &mut KeychainField, password: &str) {
    ui.checkbox(
        &mut keychain.remember,
        "Remember the password in this computer's keychain",
    );
    let filled_in = keychain
        .stored
        .as_ref()
        .is_some_and(|stored| stored.reveal() == password);
    if let Some(problem) = keychain.problem.as_ref().filter(|_| keychain.remember) {
        ui.label(error_text(
            ui,
            format!(
                "{}. The password will be used for this session only.",
                capitalized(problem)
            ),
        ));
    } else if filled_in && keychain.remember {
        ui.weak(
            "The password was filled in from this computer's keychain. Untick the box to \
             remove it from there when you log in.",
        );
    } else if keychain.stored.is_some() && !keychain.remember {
        ui.weak("The password kept in this computer's keychain will be removed when you log in.");
    }
}

/// A labelled single-line field; `secret` shows dots.
pub(super) fn field(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    secret: bool,
) -> egui::Response {
    let label = ui.label(label);
    let response = ui
        .add(
            egui::TextEdit::singleline(text)
                .hint_text(hint)
                .password(secret)
                .desired_width(340.0),
        )
        .labelled_by(label.id);
    ui.end_row();
    response
}
