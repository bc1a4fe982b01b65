//! Small helpers shared by the integration tests: where the corpus is, temp dirs, running the CLI.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};

use mail2pst::sources::mbox::MboxReader;

/// The project's root folder.
pub fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The real mail written by others that comes with the project (`tests/corpus`, with its SOURCES.md).
pub fn corpus() -> PathBuf {
    project_root().join("tests/corpus")
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

/// Every mbox file of the corpus and its message count (`SOURCES.md`).
pub const CORPUS_MBOXES: &[(&str, u64)] = &[
    ("mbox/perl5-Mail-Box/t/folders/mbox.src", 45),
    ("mbox/perl5-Mail-Box/t/folders/mbox.win", 45),
    ("mbox/gnu-mailutils/testsuite/spool/teaparty.mbox", 95),
    ("mbox/gnu-mailutils/testsuite/spool/relational.mbox", 9),
    ("mbox/gnu-mailutils/testsuite/spool/search.mbox", 8),
    ("mbox/gnu-mailutils/testsuite/spool/mbox1", 5),
    ("mbox/gnu-mailutils/testsuite/spool/mbox2", 5),
    ("mbox/gnu-mailutils/testsuite/spool/search2.mbox", 5),
    ("mbox/gnu-mailutils/testsuite/spool/msg.mbox", 4),
    ("mbox/gnu-mailutils/testsuite/spool/sieve.mbox", 3),
    ("mbox/gnu-mailutils/testsuite/spool/mime.mbox", 2),
    ("mbox/gnu-mailutils/testsuite/spool/mbox", 1),
    ("mbox/gnu-mailutils/testsuite/spool/bigto.mbox", 1),
    ("mbox/gnu-mailutils/testsuite/spool/mime.msg", 1),
    ("mbox/gnu-mailutils/testsuite/folder/one", 1),
    ("mbox/gnu-mailutils/testsuite/folder/two", 1),
    ("mbox/gnu-mailutils/sieve/tests/moderator.mbox", 1),
    ("thunderbird/comm-central/mailnews/test/data/bugmail-1", 1),
    (
        "thunderbird/comm-central/mailnews/db/panorama/test/xpcshell/data/migration",
        3,
    ),
    ("thunderbird/comm-central/mailnews/test/data/mbox_mboxrd", 2),
    ("thunderbird/comm-central/mailnews/test/data/mbox_modern", 2),
];

/// The messages of a corpus mbox file, as the mbox reader gives them.
pub fn mbox_messages(path: &Path) -> Vec<Vec<u8>> {
    MboxReader::new(File::open(path).unwrap())
        .map(|entry| entry.unwrap().bytes)
        .collect()
}

/// Starts `command` with `input` on its standard input, which is then closed.
pub fn spawn_with_input(command: &mut std::process::Command, input: &[u8]) -> std::process::Child {
    use std::io::Write as _;
    let mut child = command.stdin(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child
}
