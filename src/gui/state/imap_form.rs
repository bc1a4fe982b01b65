//! The "Add an IMAP account" form: a provider's server filled in (every field stays editable),
//! the user name and password typed by the person. The password lives in this form, then in
//! the opened account, in memory only, unless the person ticks "Remember the password in this
//! computer's keychain": then it is stored there once the server accepts it, and filled in
//! from there when the form names the same account again.

use std::path::PathBuf;

use crate::engine::{ImapAccount, Password, Security, default_port, keychain_entry_name};
use crate::gui::workers::{AfterLogin, KeychainChoice};

use super::AppState;
use super::sources::{SourceEntry, SourceStatus};

/// Mail providers whose servers the form knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    ICloud,
    Gmail,
    Yahoo,
    OutlookCom,
    Fastmail,
    /// Any other server: the person types its name.
    Other,
}

impl Provider {
    pub const ALL: [Provider; 6] = [
        Provider::ICloud,
        Provider::Gmail,
        Provider::Yahoo,
        Provider::OutlookCom,
        Provider::Fastmail,
        Provider::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Provider::ICloud => "iCloud",
            Provider::Gmail => "Gmail",
            Provider::Yahoo => "Yahoo",
            Provider::OutlookCom => "Outlook.com",
            Provider::Fastmail => "Fastmail",
            Provider::Other => "Another server",
        }
    }

    /// The provider's IMAP server (all of them use TLS on port 993).
    pub fn server(self) -> Option<&'static str> {
        match self {
            Provider::ICloud => Some("imap.mail.me.com"),
            Provider::Gmail => Some("imap.gmail.com"),
            Provider::Yahoo => Some("imap.mail.yahoo.com"),
            Provider::OutlookCom => Some("outlook.office365.com"),
            Provider::Fastmail => Some("imap.fastmail.com"),
            Provider::Other => None,
        }
    }

    /// The provider's page on app passwords, which these providers ask for instead of the
    /// account's own password.
    pub fn app_password_page(self) -> Option<&'static str> {
        match self {
            Provider::ICloud => Some("https://support.apple.com/en-us/102654"),
            Provider::Gmail => Some("https://support.google.com/accounts/answer/185833"),
            Provider::Yahoo => Some("https://help.yahoo.com/kb/SLN15241.html"),
            Provider::OutlookCom => Some(
                "https://support.microsoft.com/en-us/account-billing/\
                 manage-app-passwords-for-two-step-verification-\
                 d6dc8c6d-4bf7-4851-ad95-6d07799387e9",
            ),
            Provider::Fastmail => {
                Some("https://www.fastmail.help/hc/en-us/articles/360058752854-App-passwords")
            }
            Provider::Other => None,
        }
    }
}

/// What the form holds.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapForm {
    pub provider: Provider,
    pub server: String,
    pub port: String,
    pub security: Security,
    pub user: String,
    pub password: String,
    /// A certificate file to trust (a self-hosted server's).
    pub certificate: String,
    /// What is wrong with the fields, once "Add" was pressed.
    pub error: Option<String>,
    pub keychain: KeychainField,
}

/// The keychain's part of a password form: the "Remember the password" box and what the
/// keychain said of the account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeychainField {
    /// "Remember the password in this computer's keychain" is ticked.
    pub remember: bool,
    /// The account (its keychain entry name) the keychain was last asked about.
    pub asked_for: Option<String>,
    /// The password the keychain holds for that account, once it answered, when it was
    /// filled in (a password the person typed first is left alone, and so is the keychain).
    pub stored: Option<Password>,
    /// Why the keychain could not be read, shown while the box is ticked.
    pub problem: Option<String>,
}

impl KeychainField {
    /// What the keychain answered for the account `entry`; fills `password` with the stored
    /// one (and ticks the box) while the person has typed none.
    pub fn answered(
        &mut self,
        entry: &str,
        result: Result<Option<Password>, String>,
        password: &mut String,
    ) {
        if self.asked_for.as_deref() != Some(entry) {
            return;
        }
        match result {
            Ok(Some(stored)) => {
                if password.is_empty() {
                    stored.reveal().clone_into(password);
                    self.remember = true;
                    self.stored = Some(stored);
                }
                self.problem = None;
            }
            Ok(None) => self.problem = None,
            Err(why) => self.problem = Some(why),
        }
    }

    /// What to do with the keychain once the server accepts `password`: store it when the box
    /// is ticked, remove the stored one when the box was unticked.
    pub fn after_login(&self, keychain: &crate::engine::Keychain, password: &str) -> AfterLogin {
        let choice = if self.remember {
            KeychainChoice::Remember
        } else if self.stored.is_some() {
            KeychainChoice::Forget
        } else {
            KeychainChoice::Leave
        };
        AfterLogin {
            keychain: keychain.clone(),
            choice,
            from_keychain: self
                .stored
                .as_ref()
                .is_some_and(|stored| stored.reveal() == password),
        }
    }
}

/// Everything but the password, which is never printed (nor logged).
impl std::fmt::Debug for ImapForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapForm")
            .field("provider", &self.provider)
            .field("server", &self.server)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("certificate", &self.certificate)
            .field("error", &self.error)
            .field("keychain", &self.keychain)
            .finish_non_exhaustive()
    }
}

impl ImapForm {
    pub fn new() -> ImapForm {
        let mut form = ImapForm {
            provider: Provider::ICloud,
            server: String::new(),
            port: String::new(),
            security: Security::Tls,
            user: String::new(),
            password: String::new(),
            certificate: String::new(),
            error: None,
            keychain: KeychainField::default(),
        };
        form.choose(Provider::ICloud);
        form
    }

    /// Fills in the provider's server; "Another server" clears it for the person to type.
    pub fn choose(&mut self, provider: Provider) {
        self.provider = provider;
        self.server = provider.server().unwrap_or_default().to_owned();
        self.security = Security::Tls;
        self.port = default_port(Security::Tls).to_string();
    }

    /// Sets how the connection is protected, with that way's usual port.
    pub fn set_security(&mut self, security: Security) {
        if self.port.trim() == default_port(self.security).to_string() {
            self.port = default_port(security).to_string();
        }
        self.security = security;
    }

    /// The account the fields describe, or what is missing.
    pub fn account(&self) -> Result<ImapAccount, String> {
        let mut account = self.address()?;
        if self.password.is_empty() {
            return Err("Type the password (or the app password).".to_owned());
        }
        account.password = Password::new(self.password.clone());
        Ok(account)
    }

    /// The server and user the fields name, without the password, or what is missing.
    fn address(&self) -> Result<ImapAccount, String> {
        let server = self.server.trim();
        if server.is_empty() {
            return Err("Type the name of the mail server, e.g. imap.example.com.".to_owned());
        }
        let Ok(port) = self.port.trim().parse::<u16>() else {
            return Err(format!(
                "The port must be a number, usually {} (or {} with STARTTLS).",
                default_port(Security::Tls),
                default_port(Security::StartTls)
            ));
        };
        let user = self.user.trim();
        if user.is_empty() {
            return Err("Type the user name, usually the full e-mail address.".to_owned());
        }
        let certificate = self.certificate.trim();
        Ok(ImapAccount {
            host: server.to_owned(),
            port,
            user: user.to_owned(),
            password: Password::new(""),
            security: self.security,
            trusted_certificate: (!certificate.is_empty()).then(|| PathBuf::from(certificate)),
        })
    }
}

impl Default for ImapForm {
    fn default() -> Self {
        ImapForm::new()
    }
}

impl AppState {
    pub fn open_imap_form(&mut self) {
        self.keychain_notice = None;
        self.imap_form = Some(ImapForm::new());
    }

    /// Closes the form; the password typed goes with it.
    pub fn close_imap_form(&mut self) {
        self.imap_form = None;
    }

    /// Asks the keychain for the password of the account the form names, once per account,
    /// while the person has typed no password; called when no field naming the account is
    /// being edited. A password filled in from the keychain for another account is cleared.
    pub fn recall_imap_password(&mut self) {
        let Some(form) = &mut self.imap_form else {
            return;
        };
        let Ok(account) = form.address() else {
            return;
        };
        let entry = keychain_entry_name(&account);
        if form.keychain.asked_for.as_ref() == Some(&entry) {
            return;
        }
        if let Some(stored) = form.keychain.stored.take()
            && stored.reveal() == form.password
        {
            form.password.clear();
        }
        form.keychain.problem = None;
        if !form.password.is_empty() {
            return;
        }
        form.keychain.asked_for = Some(entry);
        if let Err(error) = self
            .workers
            .look_up_password(self.keychain.clone(), account)
        {
            form.keychain.problem = Some(error);
        }
    }

    /// "Add" in the form: the account is logged in to and counted on a worker, shown in the
    /// list of stores meanwhile.
    pub fn add_imap_account(&mut self) {
        let Some(form) = &mut self.imap_form else {
            return;
        };
        let account = match form.account() {
            Ok(account) => account,
            Err(error) => {
                form.error = Some(error);
                return;
            }
        };
        let address = PathBuf::from(account.url());
        if self
            .sources
            .iter()
            .any(|entry| entry.location().as_ref() == Some(&address))
        {
            form.error = Some(format!("{} is in the list already.", account.label()));
            return;
        }
        let after = form.keychain.after_login(&self.keychain, &form.password);
        self.imap_form = None;
        let id = self.workers.next_id();
        tracing::info!("adding the IMAP account {}", account.label());
        self.sources.push(SourceEntry {
            id,
            path: Some(address),
            found_on_machine: false,
            status: SourceStatus::Opening,
        });
        if let Err(error) = self.workers.open_imap(id, account, after)
            && let Some(entry) = self.sources.iter_mut().find(|e| e.id == id)
        {
            entry.status = SourceStatus::Failed(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Keychain;

    /// The keychain's answer fills an empty password field only, for the account asked about;
    /// the login then keeps, removes or leaves the password as the box says.
    #[test]
    fn the_keychain_box_fills_in_and_decides_what_the_login_does() {
        let keychain = Keychain::system();
        let mut field = KeychainField::default();
        let mut password = String::new();
        let kept = || Ok(Some(Password::new("kept")));
        field.answered("alice@host:993", kept(), &mut password);
        assert!(
            password.is_empty(),
            "an answer for another account is ignored"
        );
        field.asked_for = Some("alice@host:993".to_owned());
        field.answered("alice@host:993", kept(), &mut password);
        assert_eq!((password.as_str(), field.remember), ("kept", true));
        let after = field.after_login(&keychain, &password);
        assert_eq!(after.choice, KeychainChoice::Remember);
        assert!(after.from_keychain);
        field.remember = false;
        let after = field.after_login(&keychain, "typed");
        assert_eq!(after.choice, KeychainChoice::Forget);
        assert!(!after.from_keychain);
        let mut typed = "typed".to_owned();
        let mut other = KeychainField {
            asked_for: Some("bob@host:993".to_owned()),
            ..KeychainField::default()
        };
        other.answered("bob@host:993", kept(), &mut typed);
        assert_eq!((typed.as_str(), other.remember), ("typed", false));
        assert_eq!(
            other.stored, None,
            "a typed password leaves the keychain alone"
        );
        assert_eq!(
            other.after_login(&keychain, "typed").choice,
            KeychainChoice::Leave
        );
        other.answered("bob@host:993", Err("locked".to_owned()), &mut typed);
        assert_eq!(other.problem.as_deref(), Some("locked"));
        assert!(!format!("{field:?}").contains("kept"), "never printed");
    }

    #[test]
    fn a_provider_fills_its_server_and_every_field_stays_editable() {
        let mut form = ImapForm::new();
        form.choose(Provider::Gmail);
        assert_eq!(
            (form.server.as_str(), form.port.as_str()),
            ("imap.gmail.com", "993")
        );
        form.set_security(Security::StartTls);
        assert_eq!(form.port, "143");
        form.port = "1143".to_owned();
        form.set_security(Security::Tls);
        assert_eq!(form.port, "1143", "a port the person typed stays");
        assert!(form.account().unwrap_err().contains("user name"));
        form.user = "alice@gmail.com".to_owned();
        assert!(form.account().unwrap_err().contains("password"));
        form.password = "app password".to_owned();
        assert!(!format!("{form:?}").contains("app password"));
        let account = form.account().unwrap();
        assert_eq!(account.port, 1143);
        assert_eq!(account.trusted_certificate, None);
        form.choose(Provider::Other);
        assert!(form.account().unwrap_err().contains("mail server"));
        for provider in Provider::ALL {
            assert_eq!(
                provider.server().is_some(),
                provider.app_password_page().is_some()
            );
        }
    }
}
