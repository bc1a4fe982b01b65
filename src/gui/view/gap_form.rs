//! The box that fetches a store's messages from their server: which account and server, the
//! password (shown as dots, kept in memory only unless the person asks for the keychain) and,
//! for a self-hosted server, the certificate to trust, as in the "Add an IMAP account" box.

use egui::RichText;

use crate::gui::state::AppState;

use super::imap_form::{field, keychain_box};
use super::{error_text, messages};

pub fn show(ctx: &egui::Context, state: &mut AppState) {
    let Some(mut form) = state.gap_form.clone() else {
        return;
    };
    let mut fetch = false;
    let mut cancel = false;
    let closed = egui::Modal::new(egui::Id::unique("fetch missing messages"))
        .show(ctx, |ui| {
            ui.set_max_width(560.0);
            ui.heading(format!(
                "Fetch {} from {}",
                messages(form.messages),
                form.server.host
            ));
            ui.label(format!(
                "The mail client never downloaded these messages of {}. mail2pst takes them \
                 from the server during the conversion and writes them into their folders, \
                 leaving the server as it is: nothing is marked read, moved or deleted. The \
                 password is used for this session only, unless you ask for it to be kept in \
                 this computer's keychain.",
                form.name
            ));
            ui.add_space(6.0);
            egui::Grid::new("gap fields")
                .num_columns(2)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    ui.label("Server:");
                    ui.label(format!("{}:{}", form.server.host, form.server.port));
                    ui.end_row();
                    ui.label("User name:");
                    ui.label(&form.server.user);
                    ui.end_row();
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
            ui.add_space(4.0);
            ui.label(
                "iCloud, Gmail, Yahoo and Outlook.com ask for an app password, made on the \
                 account's security page, instead of the account's own password.",
            );
            if let Some(error) = &form.error {
                ui.label(error_text(ui, error));
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if form.connecting {
                    ui.spinner();
                    ui.label("Logging in…");
                } else {
                    fetch = ui.button(RichText::new("Fetch").strong()).clicked();
                }
                cancel = ui.button("Cancel").clicked();
            });
        })
        .should_close();
    state.gap_form = Some(form);
    if fetch {
        state.fetch_gaps();
    } else if cancel || closed {
        state.close_gap_form();
    }
}
