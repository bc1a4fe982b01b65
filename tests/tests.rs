//! One integration-test binary; each module covers one capability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apple_mail_fixtures;
mod architecture;
mod source_apple_mail;
mod util;
