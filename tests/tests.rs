//! One integration-test binary; each module covers one capability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod convert_corpus;
mod license;
mod source_eml;
mod source_maildir;
mod source_mbox;
mod util;
