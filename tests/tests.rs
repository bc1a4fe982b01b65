//! One integration-test binary; each module covers one capability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod license;
mod pst_oracle;
mod pst_writer;
mod util;
