//! The license: whether the app runs as a demo, and the dialog that checks a pasted key as it is
//! typed and stores it.

use crate::engine::capitalized;
use crate::license::{self, License};

use super::AppState;

/// What the license dialog thinks of the text pasted so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Empty,
    Valid(License),
    /// What is wrong with it, in words for the person.
    Invalid(String),
}

/// The "Enter license key" dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseDialog {
    pub text: String,
    pub verdict: Verdict,
    /// Why a valid key could not be stored.
    pub error: Option<String>,
}

impl AppState {
    pub fn is_demo(&self) -> bool {
        !self.license_status.is_licensed()
    }

    pub fn open_license_dialog(&mut self) {
        self.license_dialog = Some(LicenseDialog {
            text: String::new(),
            verdict: Verdict::Empty,
            error: None,
        });
    }

    pub fn close_license_dialog(&mut self) {
        self.license_dialog = None;
    }

    /// The pasted text changed: check it at once.
    pub fn set_license_text(&mut self, text: String) {
        let verdict = if text.trim().is_empty() {
            Verdict::Empty
        } else {
            match license::verify(&text) {
                Ok(license) => Verdict::Valid(license),
                Err(error) => Verdict::Invalid(capitalized(&error.to_string())),
            }
        };
        if let Some(dialog) = &mut self.license_dialog {
            dialog.text = text;
            dialog.verdict = verdict;
            dialog.error = None;
        }
    }

    /// Stores a valid key and runs licensed from now on.
    pub fn activate_license(&mut self) {
        let Some(dialog) = &mut self.license_dialog else {
            return;
        };
        let stored = match &self.license_store {
            Ok(store) => store.activate(&dialog.text).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.clone()),
        };
        match stored {
            Ok(license) => {
                tracing::info!("license activated for {license}");
                if let Ok(store) = &self.license_store {
                    self.license_status = store.status();
                }
                self.license_dialog = None;
            }
            Err(error) => dialog.error = Some(capitalized(&error)),
        }
    }

    /// The window's title: the app's name, and the demo state.
    pub fn title(&self) -> String {
        if self.is_demo() {
            "mail2pst — demo".to_owned()
        } else {
            "mail2pst".to_owned()
        }
    }
}
