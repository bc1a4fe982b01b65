//! "Fetch N messages from imap.example.com…": where a store lists messages its mail client never
//! downloaded (Thunderbird's IMAP folders without offline copies, Apple Mail's messages not
//! downloaded) and knows their server, the person gives the account's password (held in
//! memory only, or kept in this computer's keychain when the person ticks the box; a password
//! kept there is filled in when the form opens) and, for a self-hosted server, the
//! certificate to trust; the store logs in on a worker, and the job fetches those messages
//! into their folders.

use std::path::PathBuf;

use crate::engine::{ImapAccount, Password, keychain_entry_name};
use crate::gui::workers::SourceId;

use super::imap_form::KeychainField;
use super::{AppState, SourceStatus};

/// The form, while it is open.
#[derive(Clone, PartialEq, Eq)]
pub struct GapForm {
    pub source: SourceId,
    /// The account's key in the store.
    pub account: String,
    /// The account's name, as its mail client shows it.
    pub name: String,
    pub messages: u64,
    /// The server and user name the store records (no password).
    pub server: ImapAccount,
    pub password: String,
    /// A certificate file to trust (a self-hosted server's).
    pub certificate: String,
    /// Logging in, on a worker.
    pub connecting: bool,
    /// Why it did not work, or what is missing.
    pub error: Option<String>,
    pub keychain: KeychainField,
}

/// Everything but the password, which is never printed (nor logged).
impl std::fmt::Debug for GapForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GapForm")
            .field("source", &self.source)
            .field("account", &self.account)
            .field("server", &self.server)
            .field("certificate", &self.certificate)
            .field("connecting", &self.connecting)
            .field("error", &self.error)
            .field("keychain", &self.keychain)
            .finish_non_exhaustive()
    }
}

impl GapForm {
    /// The server with the password and certificate typed, or what is missing.
    fn account(&self) -> Result<ImapAccount, String> {
        if self.password.is_empty() {
            return Err("Type the account's password (or its app password).".to_owned());
        }
        let mut account = self.server.clone();
        account.password = Password::new(self.password.clone());
        let certificate = self.certificate.trim();
        account.trusted_certificate = (!certificate.is_empty()).then(|| PathBuf::from(certificate));
        Ok(account)
    }
}

impl AppState {
    /// Opens the form for the account `account` of the store `source`.
    pub fn open_gap_form(&mut self, source: SourceId, account: &str) {
        let Some(gap) = self
            .sources
            .iter()
            .find(|entry| entry.id == source)
            .and_then(|entry| entry.ready())
            .and_then(|ready| ready.listing.gaps.iter().find(|g| g.gap.account == account))
        else {
            return;
        };
        let Ok(server) = gap.gap.server.clone() else {
            return;
        };
        self.keychain_notice = None;
        let entry = keychain_entry_name(&server);
        let keychain = match self
            .workers
            .look_up_password(self.keychain.clone(), server.clone())
        {
            Ok(()) => KeychainField {
                asked_for: Some(entry),
                ..KeychainField::default()
            },
            Err(error) => KeychainField {
                problem: Some(error),
                ..KeychainField::default()
            },
        };
        self.gap_form = Some(GapForm {
            source,
            account: account.to_owned(),
            name: gap.account.clone(),
            messages: gap.messages,
            server,
            password: String::new(),
            certificate: String::new(),
            connecting: false,
            error: None,
            keychain,
        });
    }

    /// Closes the form; the password typed goes with it.
    pub fn close_gap_form(&mut self) {
        self.gap_form = None;
    }

    /// "Fetch" in the form: the store logs in on a worker.
    pub fn fetch_gaps(&mut self) {
        let Some(form) = &mut self.gap_form else {
            return;
        };
        if form.connecting {
            return;
        }
        let account = match form.account() {
            Ok(account) => account,
            Err(error) => {
                form.error = Some(error);
                return;
            }
        };
        let Some(source) = self
            .sources
            .iter()
            .find(|entry| entry.id == form.source)
            .and_then(|entry| entry.ready())
            .map(|ready| ready.source.clone())
        else {
            self.gap_form = None;
            return;
        };
        let after = form.keychain.after_login(&self.keychain, &form.password);
        form.connecting = true;
        form.error = None;
        tracing::info!(
            "logging in to {} to fetch missing messages",
            account.label()
        );
        if let Err(error) =
            self.workers
                .fill_gaps(form.source, source, form.account.clone(), account, after)
            && let Some(form) = &mut self.gap_form
        {
            form.connecting = false;
            form.error = Some(error);
        }
    }

    /// The store logged in (the form closes; the messages will be fetched), or could not.
    pub(super) fn gaps_filled(
        &mut self,
        id: SourceId,
        account: String,
        result: Result<String, String>,
    ) {
        match result {
            Ok(server) => {
                if let Some(SourceStatus::Ready(ready)) = self
                    .sources
                    .iter_mut()
                    .find(|entry| entry.id == id)
                    .map(|entry| &mut entry.status)
                {
                    ready.fetching.insert(account, server);
                }
                if self.gap_form.as_ref().is_some_and(|form| form.source == id) {
                    self.gap_form = None;
                }
            }
            Err(error) => {
                if let Some(form) = &mut self.gap_form
                    && form.source == id
                {
                    form.connecting = false;
                    form.error = Some(error);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Security;

    #[test]
    fn the_password_is_asked_for_and_never_printed() {
        let mut form = GapForm {
            source: SourceId(0),
            account: "server4".to_owned(),
            name: "alice@example.org".to_owned(),
            messages: 5,
            server: ImapAccount {
                host: "imap.example.org".to_owned(),
                port: 993,
                user: "alice".to_owned(),
                password: Password::new(""),
                security: Security::Tls,
                trusted_certificate: None,
            },
            password: String::new(),
            certificate: " ".to_owned(),
            connecting: false,
            error: None,
            keychain: KeychainField::default(),
        };
        assert!(form.account().unwrap_err().contains("password"));
        form.password = "s3cret".to_owned();
        let account = form.account().unwrap();
        assert_eq!(account.password, Password::new("s3cret"));
        assert_eq!(
            account.trusted_certificate, None,
            "a blank field trusts nothing"
        );
        assert!(!format!("{form:?}").contains("s3cret"));
    }
}
