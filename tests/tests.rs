//! One integration-test binary; each module covers one capability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apple_mail_fixtures;
mod architecture;
mod convert_corpus;
mod gui;
mod license;
mod pst_oracle;
mod pst_writer;
mod source_apple_mail;
mod source_eml;
mod source_maildir;
mod source_mbox;
mod util;
