//! The `mail2pst` program end to end: convert, scan, verify and license, the exit codes, the
//! JSON report, the one-line errors and Ctrl-C.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use mail2pst::engine::{Report, Status};

use crate::engine_common::{
    corpus_path, fingerprint, key_text, known_differences, listing, read_with,
    status_apart_from_known_differences,
};
use crate::util::{corpus, fixtures, project_root, temp_dir};

/// The program, run in the project folder with its own empty config folder, and with the
/// license key `key` (from `fixtures/licenses`) in the environment, or none.
pub(crate) struct Program {
    config: TempDir,
    key: Option<String>,
}

impl Program {
    pub(crate) fn demo() -> Program {
        Program {
            config: temp_dir(),
            key: None,
        }
    }

    pub(crate) fn licensed() -> Program {
        Program {
            config: temp_dir(),
            key: Some(key_text("valid.key")),
        }
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mail2pst"));
        command
            .args(args)
            .current_dir(project_root())
            .env("XDG_CONFIG_HOME", self.config.path())
            .env("HOME", self.config.path())
            .env_remove("MAIL2PST_LOG");
        match &self.key {
            Some(key) => command.env("MAIL2PST_LICENSE_KEY", key),
            None => command.env_remove("MAIL2PST_LICENSE_KEY"),
        };
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

pub(crate) fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// An error: exit 1 and exactly one line on standard error naming `words`.
pub(crate) fn assert_one_line_error(output: &Output, words: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(code(output), 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.starts_with("mail2pst: "), "{stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word:?} not in {stderr:?}");
    }
}

#[test]
fn the_readme_quick_start_converts_the_sample() {
    let out = temp_dir();
    let pst = out.path().join("sample.pst");
    // As the README does it, in demo mode on a fresh machine.
    let output = Program::demo().run(&["convert", "fixtures/sample", "-o", arg(&pst), "--force"]);
    let stdout = text(&output.stdout);
    assert_eq!(code(&output), 0, "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("sample › Projects › 2024"), "{stdout}");
    assert!(
        stdout.contains("Complete: every message found was written"),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("Demo mode"));
    assert_eq!(
        listing(out.path()),
        vec!["sample.pst", "sample.report.html", "sample.report.json"]
    );
}

#[test]
fn corpus_mbox_and_eml_folders_convert_with_a_json_report() {
    let out = temp_dir();
    for (store, messages) in [("mbox", 232), ("eml", 539)] {
        let pst = out.path().join(format!("{store}.pst"));
        let output = Program::licensed().run(&[
            "convert",
            arg(&corpus_path(store)),
            "-o",
            arg(&pst),
            "--json",
        ]);
        // The corpus holds messages on which the converter and the independent reading
        // disagree; the read-back reports them (exit 2), and each must be a known one.
        let parsed = Report::from_json(&text(&output.stdout)).unwrap();
        assert_eq!(
            status_apart_from_known_differences(&parsed),
            Status::Complete,
            "{}",
            text(&output.stderr)
        );
        let expected_code = if parsed.totals.read_back_differences > 0 {
            2
        } else {
            0
        };
        assert_eq!(code(&output), expected_code, "{}", text(&output.stderr));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["totals"]["found"], messages);
        assert_eq!(report["totals"]["written"], messages);
        assert_eq!(report["verified"], true);
        assert_eq!(report["license"]["licensed"], true);
        assert_eq!(report["outputs"][0]["path"], arg(&pst));
        // Every independent reader opens the PST and sees every message; attachments are
        // counted alike by the readers that name embedded messages as files.
        let readers = read_with(&pst, &["readpst", "pffexport", "pypff", "outlook-pst"]);
        for (reader, json) in &readers {
            assert_eq!(json["ok"], true, "{reader}: {}", json["error"]);
            assert_eq!(json["totals"]["messages"], messages, "{reader}");
        }
        assert_eq!(
            readers["pypff"]["totals"]["attachments"],
            readers["pffexport"]["totals"]["attachments"]
        );
        // Message by message (subject, sender, date, Message-ID, bodies, attachment names
        // and bytes), read with outlook-pst, against the independent reading of the sources:
        // what differs is what the read-back found, and only known differences.
        let against = corpus_path(store);
        let output =
            Program::licensed().run(&["verify", arg(&pst), "--against", arg(&against), "--json"]);
        let comparison: Value = serde_json::from_slice(&output.stdout).unwrap();
        let known = known_differences();
        let corpus_root = format!("{}/", corpus().display());
        let mut differing = 0;
        for folder in comparison["folders"].as_array().unwrap() {
            // A message the two readings see too differently to pair is missing on one side
            // and extra on the other; the missing one must be known.
            for missing in folder["missing_messages"].as_array().unwrap() {
                let missing = missing.as_str().unwrap().replace(&corpus_root, "");
                assert!(
                    known.iter().any(|o| missing.contains(&format!("({o})"))),
                    "not a known difference: {missing}"
                );
            }
            assert!(
                folder["extra"].as_u64() <= folder["missing"].as_u64(),
                "{folder:#}"
            );
            for difference in folder["differences"].as_array().unwrap() {
                let origin = difference["origin"]
                    .as_str()
                    .unwrap()
                    .replace(&corpus_root, "");
                assert!(
                    known.contains(&origin),
                    "not a known difference: {difference:#}"
                );
                differing += 1;
            }
        }
        let unpaired: u64 = comparison["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["missing"].as_u64().unwrap() + f["extra"].as_u64().unwrap())
            .sum();
        assert_eq!(differing + unpaired, parsed.totals.read_back_differences);
        assert_eq!(code(&output), if differing > 0 { 2 } else { 0 });
    }
}

/// The same mail converted twice with `SOURCE_DATE_EPOCH` set gives the same PST, byte for
/// byte, however the converting threads ran: 539 messages in many folders, converted in
/// parallel and put back in order.
#[test]
fn source_date_epoch_gives_byte_identical_psts() {
    let program = Program::licensed();
    let convert = |at: &Path, epoch: &str| {
        // The same file name each time: the store is named after the file.
        let pst = at.join("mail.pst");
        let output = program
            .command(&[
                "convert",
                arg(&corpus_path("eml")),
                "-o",
                arg(&pst),
                "--quiet",
            ])
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap();
        (output, pst)
    };
    let (first, second) = (temp_dir(), temp_dir());
    let (output, first_pst) = convert(first.path(), "1700000000");
    // Exit 2: the corpus's known read-back differences (see the test above).
    assert!(matches!(code(&output), 0 | 2), "{}", text(&output.stderr));
    let (again, second_pst) = convert(second.path(), "1700000000");
    assert_eq!(code(&again), code(&output), "{}", text(&again.stderr));
    let first_bytes = fs::read(&first_pst).unwrap();
    assert!(first_bytes.len() > 1_000_000, "{}", first_bytes.len());
    assert!(
        first_bytes == fs::read(&second_pst).unwrap(),
        "the two PSTs differ"
    );

    // Another time is recorded: another PST.
    let third = temp_dir();
    let (output, third_pst) = convert(third.path(), "1600000000");
    assert_eq!(code(&output), code(&again), "{}", text(&output.stderr));
    assert!(first_bytes != fs::read(&third_pst).unwrap());

    let (output, _) = convert(temp_dir().path(), "yesterday");
    assert_one_line_error(&output, &["SOURCE_DATE_EPOCH", "seconds since 1970"]);
}

#[test]
fn skipped_messages_exit_with_2_and_quiet_prints_nothing() {
    let out = temp_dir();
    let pst = out.path().join("demo.pst");
    let spool = corpus_path("mbox/gnu-mailutils/testsuite/spool");
    let output = Program::demo().run(&["convert", arg(&spool), "-o", arg(&pst), "--quiet"]);
    assert_eq!(code(&output), 2);
    assert_eq!(text(&output.stdout), "");
    assert_eq!(text(&output.stderr), "");
    let report: Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("demo.report.json")).unwrap())
            .unwrap();
    assert_eq!(report["status"], "incomplete");
    assert_eq!(report["totals"]["skipped"]["demo_limit"], 85);
}

#[test]
fn invalid_license_keys_run_the_demo_and_say_why() {
    let out = temp_dir();
    let spool = corpus_path("mbox/gnu-mailutils/testsuite/spool");
    for key in [
        "tampered.key",
        "truncated.key",
        "foreign.key",
        "garbage.key",
    ] {
        let program = Program {
            config: temp_dir(),
            key: Some(key_text(key)),
        };
        let pst = out.path().join(format!("{key}.pst"));
        let output = program.run(&["convert", arg(&spool), "-o", arg(&pst)]);
        assert_eq!(code(&output), 2, "{key}: {}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(stderr.contains("Demo mode"), "{key}: {stderr}");
        assert!(stderr.contains("is not valid"), "{key}: {stderr}");
    }
}

#[test]
fn errors_are_one_line_that_says_what_to_do() {
    let out = temp_dir();
    let program = Program::licensed();
    let sample = fixtures().join("sample");
    let pst = out.path().join("out.pst");

    let missing = out.path().join("no-such.mbox");
    let output = program.run(&["convert", arg(&missing), "-o", arg(&pst)]);
    assert_one_line_error(&output, &["no-such.mbox", "no such file or folder"]);

    let through_a_file = sample.join("Inbox.mbox").join("x");
    let output = program.run(&["convert", arg(&through_a_file), "-o", arg(&pst)]);
    assert_one_line_error(&output, &["Inbox.mbox/x"]);

    let not_mail = project_root().join("Cargo.toml");
    let output = program.run(&["convert", arg(&not_mail), "-o", arg(&pst)]);
    assert_one_line_error(&output, &["Cargo.toml", "not a mail store"]);

    let no_folder = out.path().join("missing-folder").join("out.pst");
    let output = program.run(&["convert", arg(&sample), "-o", arg(&no_folder)]);
    assert_one_line_error(&output, &["missing-folder", "does not exist"]);

    fs::write(&pst, b"keep me").unwrap();
    let output = program.run(&["convert", arg(&sample), "-o", arg(&pst)]);
    assert_one_line_error(&output, &["out.pst", "already exists", "--force"]);
    assert_eq!(fs::read(&pst).unwrap(), b"keep me");

    let output = program.run(&[
        "convert",
        arg(&sample),
        "-o",
        arg(&pst),
        "--split-size",
        "99GB",
    ]);
    assert_eq!(code(&output), 1);
    assert!(text(&output.stderr).contains("outside 2 MB to 50 GB"));
    assert_eq!(listing(out.path()), vec!["out.pst".to_owned()]);
}

#[test]
fn scan_lists_folders_and_counts_without_writing() {
    let program = Program::demo();
    let spool = corpus_path("mbox/gnu-mailutils/testsuite/spool");
    let before = fingerprint(&spool);
    let output = program.run(&["scan", arg(&spool)]);
    assert_eq!(code(&output), 0);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("teaparty"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("teaparty") && l.trim_end().ends_with(" 95")),
        "{stdout}"
    );
    assert!(stdout.contains("11 folders, 139 messages"), "{stdout}");

    let output = program.run(&["scan", arg(&spool), "--json"]);
    let listing: Value = serde_json::from_slice(&output.stdout).unwrap();
    let folders = listing[0]["folders"].as_array().unwrap();
    let teaparty = folders
        .iter()
        .find(|f| f["path"].as_array().unwrap().last().unwrap() == "teaparty")
        .unwrap();
    assert_eq!(teaparty["count"], 95);
    assert_eq!(fingerprint(&spool), before);
}

#[test]
fn verify_matches_a_pst_with_its_sources() {
    let out = temp_dir();
    let program = Program::licensed();
    let pst = out.path().join("sample.pst");
    let sample = fixtures().join("sample");
    let output = program.run(&["convert", arg(&sample), "-o", arg(&pst), "--quiet"]);
    assert_eq!(code(&output), 0);

    let output = program.run(&["verify", arg(&pst), "--against", arg(&sample)]);
    let stdout = text(&output.stdout);
    assert_eq!(code(&output), 0, "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("The PST holds every message of the sources, unchanged."));

    // Against other mail it lists what is missing and exits with 2.
    let other = corpus_path("mbox/gnu-mailutils/testsuite/spool/relational.mbox");
    let output = program.run(&["verify", arg(&pst), "--against", arg(&other), "--json"]);
    assert_eq!(code(&output), 2);
    let comparison: Value = serde_json::from_slice(&output.stdout).unwrap();
    let folders = comparison["folders"].as_array().unwrap();
    assert!(folders.iter().any(|f| f["missing"] == 9));
    assert!(folders.iter().any(|f| f["extra"].as_u64().unwrap() > 0));
}

#[test]
fn license_activate_show_and_remove() {
    let program = Program::demo();
    let output = program.run(&["license", "show"]);
    assert_eq!(code(&output), 0);
    assert!(text(&output.stdout).starts_with("Demo mode"));

    let output = program.run(&["license", "activate", &key_text("tampered.key")]);
    assert_one_line_error(&output, &["does not match its signature"]);

    let output = program.run(&["license", "activate", &key_text("valid.key")]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("Ada Lovelace"));

    let output = program.run(&["license", "show"]);
    assert!(text(&output.stdout).starts_with("Licensed to Ada Lovelace"));

    let output = program.run(&["license", "remove"]);
    assert!(text(&output.stdout).contains("was removed"));
    let output = program.run(&["license", "show"]);
    assert!(text(&output.stdout).starts_with("Demo mode"));
}

/// `license show` says where the license in force comes from (the environment before the stored
/// key, even when the environment's key is not valid) and which key this build trusts.
#[test]
fn license_show_prefers_the_environment_and_names_the_trusted_key() {
    let trusted = format!(
        "License keys are checked against key {}",
        mail2pst::license::built_in_key_id()
    );
    let program = Program {
        config: temp_dir(),
        key: Some(key_text("valid.key")),
    };
    let output = program.run(&["license", "show"]);
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with(
            "Licensed to Ada Lovelace <ada@example.com>, Personal edition, issued 2025-01-15 \
             (key from the environment variable MAIL2PST_LICENSE_KEY)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains(&trusted), "{stdout}");

    let stored = Program {
        config: temp_dir(),
        key: None,
    };
    let output = stored.run(&["license", "activate", &key_text("valid.key")]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let foreign_env = Program {
        config: stored.config,
        key: Some(key_text("foreign.key")),
    };
    let stdout = text(&foreign_env.run(&["license", "show"]).stdout);
    assert!(stdout.starts_with("Demo mode"), "{stdout}");
    assert!(
        stdout.contains("MAIL2PST_LICENSE_KEY is not valid"),
        "{stdout}"
    );
}

#[test]
fn help_lists_the_commands() {
    let output = Program::demo().run(&["--help"]);
    assert_eq!(code(&output), 0);
    let stdout = text(&output.stdout);
    for command in ["convert", "scan", "verify", "license"] {
        assert!(stdout.contains(command), "{stdout}");
    }
    let output = Program::demo().run(&["convert"]);
    assert_eq!(code(&output), 1);
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_and_leaves_no_file() {
    let out = temp_dir();
    let source = corpus_path("eml");
    let before = fingerprint(&source);
    let pst: PathBuf = out.path().join("mail.pst");
    let mut child = Program::licensed()
        .command(&["convert", arg(&source), "-o", arg(&pst)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the PST is being written (its temporary file exists), then interrupt.
    let deadline = Instant::now() + Duration::from_secs(60);
    while listing(out.path()).is_empty() {
        assert!(Instant::now() < deadline, "no file was started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended before it was interrupted"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 130, "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("Cancelled"));
    assert_eq!(listing(out.path()), Vec::<String>::new());
    assert_eq!(fingerprint(&source), before);
}

/// A folder of `.vcf` and `.ics` files from the command line: `scan` names what each folder
/// holds, `convert` writes them all, and `verify` counts them back.
#[test]
fn contacts_and_calendars_scan_convert_and_verify() {
    let out = temp_dir();
    let program = Program::demo();
    let files = corpus_path("pim/calcard");
    let output = program.run(&["scan", arg(&files)]);
    assert_eq!(code(&output), 0);
    let stdout = text(&output.stdout);
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .trim_end()
            .to_owned()
    };
    assert!(line("001 ").ends_with(" 1 contacts"), "{stdout}");
    assert!(line("025 ").ends_with(" 3 events"), "{stdout}");
    assert!(line("025 Tasks").ends_with(" 1 tasks"), "{stdout}");
    assert!(stdout.contains("11 items"), "{stdout}");

    let pst = out.path().join("pim.pst");
    let output = program.run(&["convert", arg(&files), "-o", arg(&pst), "--quiet"]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let output = program.run(&["verify", arg(&pst), "--against", arg(&files)]);
    let stdout = text(&output.stdout);
    assert_eq!(code(&output), 0, "{stdout}{}", text(&output.stderr));
}
