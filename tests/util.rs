//! Small helpers shared by the integration tests: where the corpus is, temp dirs, running the CLI.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The project's root folder.
pub fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The real mail written by others that comes with the project (`../shared/corpus`).
pub fn corpus() -> PathBuf {
    project_root().join("../shared/corpus")
}

/// Small inputs the project wrote itself.
pub fn fixtures() -> PathBuf {
    project_root().join("fixtures")
}

/// A fresh temporary folder, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mail2pst-test-")
        .tempdir()
        .expect("create a temporary folder")
}
