//! Where a job writes, and what it leaves: never inside what it reads, one job per output at a
//! time, nothing of a killed job left for good, no PST that failed its check, and reports and
//! printing that survive odd paths and a reader that went away.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use mail2pst::engine::{self, CancelToken, Error, Event, Job, Report, Status};

use crate::cli::{Program, arg, assert_one_line_error, code, text};
use crate::engine_common::{corpus_path, fingerprint, licensed, listing, run, spec};
use crate::util::{fixtures, temp_dir};

/// A copy of the sample tree (an mbox file and folders of .eml files) in a folder of its own.
fn sample_tree(dir: &Path) -> PathBuf {
    let tree = dir.join("TREE");
    for entry in walkdir::WalkDir::new(fixtures().join("sample")) {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(fixtures().join("sample"))
            .unwrap();
        let target = tree.join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
    tree
}

#[test]
fn an_output_inside_what_the_job_reads_is_refused_and_the_mail_is_unchanged() {
    let dir = temp_dir();
    let tree = sample_tree(dir.path());
    let before = fingerprint(&tree);
    let program = Program::licensed();
    let inside = [
        // Replacing an mbox of the tree (it used to be replaced by the PST).
        tree.join("Inbox.mbox"),
        // A new file in a folder the job reads: the next run would read it as mail.
        tree.join("Projects/out.pst"),
        // The same, spelt with `..`.
        tree.join("Projects/2024/../out.pst"),
    ];
    for output in &inside {
        let run = program.run(&["convert", arg(&tree), "-o", arg(output), "--force"]);
        assert_one_line_error(&run, &["inside", "which this job reads"]);
    }
    #[cfg(unix)]
    {
        // Through a symlink to the tree.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&tree, &link).unwrap();
        let run = program.run(&["convert", arg(&tree), "-o", arg(&link.join("out.pst"))]);
        assert_one_line_error(&run, &["inside", "which this job reads"]);
        // A report name that is a link to a source file.
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(tree.join("Inbox.mbox"), out.join("mail.report.json")).unwrap();
        let run = program.run(&[
            "convert",
            arg(&tree),
            "-o",
            arg(&out.join("mail.pst")),
            "--force",
        ]);
        assert_one_line_error(&run, &["mail.report.json", "would replace"]);
    }
    // One mbox file as the source: its own name is refused, a sibling is fine.
    let mbox = tree.join("Inbox.mbox");
    let run = program.run(&["convert", arg(&mbox), "-o", arg(&mbox), "--force"]);
    assert_one_line_error(&run, &["would replace"]);
    assert_eq!(fingerprint(&tree), before);

    let outside = dir.path().join("mail.pst");
    let run = program.run(&["convert", arg(&tree), "-o", arg(&outside), "--quiet"]);
    assert_eq!(code(&run), 0, "{}", text(&run.stderr));
    assert_eq!(fingerprint(&tree), before);
}

#[test]
fn a_second_job_for_the_same_output_is_told_and_touches_nothing() {
    let input = temp_dir();
    let mbox = crate::generated_mail::meetings_mbox(input.path(), "Archive.mbox", 6_000);
    let out = temp_dir();
    let pst = out.path().join("mail.pst");
    let first = Job::start(spec(vec![mbox.clone()], &pst, licensed()), || {});
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match first.events().recv_timeout(Duration::from_secs(120)) {
            Ok(Event::Progress(p)) if p.messages_done > 0 => break,
            Ok(_) => {}
            Err(error) => panic!("no progress: {error}"),
        }
        assert!(Instant::now() < deadline);
    }
    let during = listing(out.path());
    for overwrite in [false, true] {
        let mut second = spec(vec![mbox.clone()], &pst, licensed());
        second.overwrite = overwrite;
        let error = engine::run(&second, &CancelToken::new(), &mut |_| {}).unwrap_err();
        assert!(matches!(error, Error::OutputBusy { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "another conversion is writing {}; wait for it to end or choose another name",
                pst.display()
            )
        );
        assert_eq!(listing(out.path()), during);
    }
    let report = first.wait().unwrap();
    assert_eq!(report.status, Status::Complete);
    assert_eq!(
        listing(out.path()),
        vec!["mail.pst", "mail.report.html", "mail.report.json"]
    );
}

#[test]
fn staging_files_a_killed_job_left_are_removed_by_the_next_job_for_that_output() {
    let out = temp_dir();
    let stale = [
        ".mail.pst.pending",
        "..mail.pst.pending.a1B2c3.tmp",
        ".mail-2.pst.pending",
        "..mail-2.pst.pending.Zz9Yy8.tmp",
        ".mail.report.json.q1w2e3.tmp",
        // The lock file of the killed job: nobody holds its lock any more.
        ".mail.pst.lock",
    ];
    let unrelated = [
        ".other.pst.pending",
        "..other.pst.pending.a1B2c3.tmp",
        "mail-x.pst",
        "notes.txt",
    ];
    for name in stale.iter().chain(&unrelated) {
        fs::write(out.path().join(name), b"left behind").unwrap();
    }
    let (report, _) = run(&spec(
        vec![fixtures().join("sample")],
        &out.path().join("mail.pst"),
        licensed(),
    ));
    assert_eq!(report.status, Status::Complete);
    let mut expected: Vec<String> = ["mail.pst", "mail.report.html", "mail.report.json"]
        .iter()
        .chain(&unrelated)
        .map(|s| s.to_string())
        .collect();
    expected.sort();
    assert_eq!(listing(out.path()), expected);
}

#[test]
fn a_pst_that_fails_its_check_is_not_kept_and_the_reason_is_said() {
    let out = temp_dir();
    let pst = out.path().join("mail.pst");
    fs::write(&pst, b"an older PST").unwrap();
    let mut job = spec(vec![corpus_path("mbox")], &pst, licensed());
    job.overwrite = true;
    // The disk gives back something else than was written: the read-back sees half a file.
    let pending = out.path().join(".mail.pst.pending");
    let report: Report = engine::run(&job, &CancelToken::new(), &mut |event| {
        if let Event::Verifying { .. } = event {
            let bytes = fs::read(&pending).unwrap();
            fs::write(&pending, &bytes[..bytes.len() / 2]).unwrap();
        }
    })
    .unwrap();
    assert_eq!(report.status, Status::Failed);
    assert!(report.outputs.is_empty());
    assert!(!report.verified);
    assert!(
        report.problems[0].contains("cannot be read back"),
        "{:?}",
        report.problems
    );
    // The older PST stays; the reports say what happened.
    assert_eq!(fs::read(&pst).unwrap(), b"an older PST");
    assert_eq!(
        listing(out.path()),
        vec!["mail.pst", "mail.report.html", "mail.report.json"]
    );
    let saved =
        Report::from_json(&fs::read_to_string(out.path().join("mail.report.json")).unwrap())
            .unwrap();
    assert_eq!(saved.status, Status::Failed);
    assert!(saved.notes.iter().any(|n| n.contains("not kept")));
    // What the command line says, even with --quiet.
    let said = mail2pst::cli::not_kept(&report).unwrap();
    assert!(said.contains("was not kept"), "{said}");
    assert!(said.contains("cannot be read back"), "{said}");
    assert!(said.contains("mail.report.html"), "{said}");
    assert_eq!(mail2pst::cli::exit_code(&report), mail2pst::cli::EXIT_ERROR);
}

#[cfg(unix)]
#[test]
fn json_reports_keep_paths_that_are_not_utf8_as_text_and_as_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;

    let dir = temp_dir();
    let tree = dir.path().join(OsStr::from_bytes(b"Mail caf\xe9"));
    fs::create_dir(&tree).unwrap();
    fs::copy(
        fixtures().join("sample/Projects/Q1 plan.eml"),
        tree.join(OsStr::from_bytes(b"plan \xff.eml")),
    )
    .unwrap();
    // Not a message: listed among the skipped items with its path.
    fs::write(
        tree.join(OsStr::from_bytes(b"notes \xfe.txt")),
        b"\x00\x01binary",
    )
    .unwrap();
    let pst = dir.path().join(OsStr::from_bytes(b"out \xe9.pst"));
    let output = Program::licensed()
        .command(&["convert"])
        .arg(&tree)
        .arg("-o")
        .arg(&pst)
        .arg("--json")
        .output()
        .unwrap();
    assert!(matches!(code(&output), 0 | 2), "{}", text(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let saved: serde_json::Value = serde_json::from_slice(
        &fs::read(dir.path().join(OsStr::from_bytes(b"out \xe9.report.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, saved);
    let bytes_of = |value: &serde_json::Value| -> Vec<u8> {
        value["bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap() as u8)
            .collect()
    };
    let root = &printed["stores"][0]["root"];
    assert_eq!(root["lossy"], tree.to_string_lossy().as_ref());
    assert_eq!(bytes_of(root), tree.as_os_str().as_bytes());
    let output_path = &printed["outputs"][0]["path"];
    assert_eq!(bytes_of(output_path), pst.as_os_str().as_bytes());
    let skipped = printed.to_string();
    assert!(skipped.contains("notes \u{fffd}.txt"), "{skipped}");
    // Read back, the report has the paths as they are.
    let report = Report::from_json(&String::from_utf8(output.stdout).unwrap()).unwrap();
    assert_eq!(report.stores[0].root, tree);
    assert_eq!(report.outputs[0].path, pst);
}

#[cfg(unix)]
#[test]
fn a_reader_that_goes_away_ends_the_printing_quietly() {
    let out = temp_dir();
    let pst = out.path().join("mail.pst");
    let mut child = Program::licensed()
        .command(&[
            "convert",
            arg(&fixtures().join("sample")),
            "-o",
            arg(&pst),
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // As `| head -c1` does once it has its byte; here before anything is printed.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code(&output), 0, "{stderr}");
    assert_eq!(
        listing(out.path()),
        vec!["mail.pst", "mail.report.html", "mail.report.json"]
    );
}
