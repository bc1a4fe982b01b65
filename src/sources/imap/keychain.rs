//! IMAP passwords remembered in this computer's keychain, when the person asks for it: Keychain
//! Services on macOS, the Credential Manager on Windows, the Secret Service (GNOME Keyring,
//! KWallet) on Linux and the BSDs.
//!
//! Each password is one entry of the service [`SERVICE`] (`mail2pst`) under the name
//! `USER@SERVER:PORT` ([`entry_name`]), e.g. `alice@example.com@imap.example.com:993`: on
//! Linux an item of the default collection with the attributes `service` and `username`, as
//! the `keyring` crate writes them (`secret-tool search service mail2pst` lists them); on macOS
//! a generic password; on Windows a generic credential. A keychain that cannot be reached
//! (none running, locked, refused) is a [`KeychainError`] that says so in words; callers go on
//! without it.

use std::fmt;

use super::{ImapAccount, Password};

/// The service name every entry of this app is stored under.
pub const SERVICE: &str = "mail2pst";

/// The name of `account`'s entry: `USER@SERVER:PORT`. The connection's protection is not part
/// of it: the same account on the same port has the same password.
pub fn entry_name(account: &ImapAccount) -> String {
    format!("{}@{}:{}", account.user, account.host, account.port)
}

/// Why the keychain could not be used, in words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeychainError(String);

/// The computer's keychain, or (on Linux and the BSDs) the Secret Service on a session bus
/// named by its address.
#[derive(Clone, PartialEq, Eq)]
pub struct Keychain {
    /// The D-Bus address of the session bus the Secret Service is on; `None` for the user's
    /// own session bus (`DBUS_SESSION_BUS_ADDRESS`).
    #[cfg(all(unix, not(target_os = "macos")))]
    bus: Option<String>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(all(unix, not(target_os = "macos")))]
        if let Some(bus) = &self.bus {
            return write!(f, "Keychain(Secret Service on {bus})");
        }
        f.write_str("Keychain(this computer's)")
    }
}

impl Keychain {
    /// This computer's keychain, as the person's session sees it.
    pub fn system() -> Keychain {
        Keychain {
            #[cfg(all(unix, not(target_os = "macos")))]
            bus: None,
        }
    }

    /// The Secret Service on the D-Bus session bus at `address` (`unix:path=…`), instead of
    /// the session's own: a keyring daemon started on a bus of its own (the tests do).
    #[cfg(all(unix, not(target_os = "macos")))]
    pub fn secret_service_on(address: impl Into<String>) -> Keychain {
        Keychain {
            bus: Some(address.into()),
        }
    }

    /// The password stored for `account` (its password field is not read), or `None`.
    pub fn password(&self, account: &ImapAccount) -> Result<Option<Password>, KeychainError> {
        self.read(&entry_name(account))
            .map(|found| found.map(Password::new))
    }

    /// Stores `account`'s password, replacing the one stored before.
    pub fn remember(&self, account: &ImapAccount) -> Result<(), KeychainError> {
        self.write(&entry_name(account), account.password.expose())
    }

    /// Removes the password stored for `account`; false when there was none.
    pub fn forget(&self, account: &ImapAccount) -> Result<bool, KeychainError> {
        self.delete(&entry_name(account))
    }
}

/// The Secret Service, through the `secret-service` crate on a bus this module connects to.
#[cfg(all(unix, not(target_os = "macos")))]
mod store {
    use std::collections::HashMap;

    use secret_service::blocking::SecretService;
    use secret_service::{EncryptionType, Error};

    use super::{Keychain, KeychainError, SERVICE};

    impl Keychain {
        fn connect(&self) -> Result<SecretService<'static>, KeychainError> {
            let connection = match &self.bus {
                None => zbus::blocking::Connection::session(),
                Some(address) => zbus::blocking::connection::Builder::address(address.as_str())
                    .and_then(zbus::blocking::connection::Builder::build),
            }
            .map_err(|_| unreachable())?;
            SecretService::connect_with_existing(EncryptionType::Dh, connection).map_err(explain)
        }

        pub(super) fn read(&self, name: &str) -> Result<Option<String>, KeychainError> {
            let service = self.connect()?;
            let found = service.search_items(attributes(name)).map_err(explain)?;
            let Some(item) = found.unlocked.first().or(found.locked.first()) else {
                return Ok(None);
            };
            item.ensure_unlocked().map_err(explain)?;
            let secret = item.get_secret().map_err(explain)?;
            String::from_utf8(secret).map(Some).map_err(|_| {
                KeychainError(format!(
                    "the keychain's entry {SERVICE} / {name} is not a password this app stored"
                ))
            })
        }

        pub(super) fn write(&self, name: &str, password: &str) -> Result<(), KeychainError> {
            let service = self.connect()?;
            let collection = service.get_default_collection().map_err(explain)?;
            collection.ensure_unlocked().map_err(explain)?;
            collection
                .create_item(
                    &format!("mail2pst: IMAP password of {name}"),
                    attributes(name),
                    password.as_bytes(),
                    true,
                    "text/plain",
                )
                .map_err(explain)?;
            Ok(())
        }

        pub(super) fn delete(&self, name: &str) -> Result<bool, KeychainError> {
            let service = self.connect()?;
            let found = service.search_items(attributes(name)).map_err(explain)?;
            let mut deleted = false;
            for item in found.unlocked.iter().chain(&found.locked) {
                item.delete().map_err(explain)?;
                deleted = true;
            }
            Ok(deleted)
        }
    }

    /// The attributes an entry is found by: the ones the `keyring` crate gives its entries.
    fn attributes(name: &str) -> HashMap<&str, &str> {
        HashMap::from([("service", SERVICE), ("username", name)])
    }

    fn unreachable() -> KeychainError {
        KeychainError(
            "this computer's keychain cannot be reached: no Secret Service (GNOME Keyring or \
             KWallet) is running in this session"
                .to_owned(),
        )
    }

    fn explain(error: Error) -> KeychainError {
        match error {
            Error::Unavailable => unreachable(),
            Error::Zbus(zbus::Error::MethodError(name, _, _))
                if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown" =>
            {
                unreachable()
            }
            Error::Locked | Error::Prompt | Error::PromptDisconnected => {
                KeychainError("this computer's keychain is locked, and was not unlocked".to_owned())
            }
            Error::NoResult => KeychainError(
                "this computer's keychain has no default collection to keep passwords in"
                    .to_owned(),
            ),
            other => KeychainError(format!("this computer's keychain refused: {other}")),
        }
    }
}

/// Keychain Services on macOS, the Credential Manager on Windows, through the `keyring` crate.
#[cfg(any(target_os = "macos", windows))]
mod store {
    use keyring::{Entry, Error};

    use super::{Keychain, KeychainError, SERVICE};

    impl Keychain {
        pub(super) fn read(&self, name: &str) -> Result<Option<String>, KeychainError> {
            match Entry::new(SERVICE, name).and_then(|entry| entry.get_password()) {
                Ok(password) => Ok(Some(password)),
                Err(Error::NoEntry) => Ok(None),
                Err(error) => Err(explain(error)),
            }
        }

        pub(super) fn write(&self, name: &str, password: &str) -> Result<(), KeychainError> {
            Entry::new(SERVICE, name)
                .and_then(|entry| entry.set_password(password))
                .map_err(explain)
        }

        pub(super) fn delete(&self, name: &str) -> Result<bool, KeychainError> {
            match Entry::new(SERVICE, name).and_then(|entry| entry.delete_credential()) {
                Ok(()) => Ok(true),
                Err(Error::NoEntry) => Ok(false),
                Err(error) => Err(explain(error)),
            }
        }
    }

    fn explain(error: Error) -> KeychainError {
        match error {
            Error::NoStorageAccess(why) => KeychainError(format!(
                "this computer's keychain is locked or refused access: {why}"
            )),
            Error::NoDefaultStore => {
                KeychainError("this computer's keychain cannot be reached".to_owned())
            }
            other => KeychainError(format!("this computer's keychain refused: {other}")),
        }
    }
}

/// No keychain this app knows on other systems.
#[cfg(not(any(unix, windows)))]
mod store {
    use super::{Keychain, KeychainError};

    fn none() -> KeychainError {
        KeychainError("this system has no keychain this app can use".to_owned())
    }

    impl Keychain {
        pub(super) fn read(&self, _name: &str) -> Result<Option<String>, KeychainError> {
            Err(none())
        }

        pub(super) fn write(&self, _name: &str, _password: &str) -> Result<(), KeychainError> {
            Err(none())
        }

        pub(super) fn delete(&self, _name: &str) -> Result<bool, KeychainError> {
            Err(none())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_named_by_user_server_and_port_and_never_shows_the_password() {
        let account = ImapAccount::from_url(
            "imaps://bob%40icloud.com@imap.mail.me.com/",
            Password::new("pw"),
        )
        .unwrap();
        assert_eq!(entry_name(&account), "bob@icloud.com@imap.mail.me.com:993");
        #[cfg(all(unix, not(target_os = "macos")))]
        assert!(
            Keychain::secret_service_on("unix:path=/nonexistent/bus")
                .password(&account)
                .unwrap_err()
                .to_string()
                .contains("cannot be reached")
        );
    }
}
