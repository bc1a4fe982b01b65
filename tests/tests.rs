//! One integration-test binary; each module covers one capability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apple_mail_fixtures;
mod architecture;
mod cli;
mod convert_corpus;
mod engine_cancel;
mod engine_common;
mod engine_demo;
mod engine_run;
mod engine_split;
mod flag_readers;
mod generated_mail;
mod gui;
mod imap_server;
mod interrupted;
mod large_messages;
mod large_pst;
mod layouts;
mod license_release_key;
mod loose_mail;
mod oracle;
mod oracle_corpus;
mod output_guard;
mod pst_oracle;
mod pst_skeleton;
mod pst_writer;
mod source_apple_mail;
mod source_apple_pim;
mod source_eml;
mod source_imap;
mod source_maildir;
mod source_mbox;
mod source_pim;
mod source_thunderbird;
mod util;
