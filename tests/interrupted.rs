//! The program stopped from outside at several points of a job: TERM and HUP (`kill`,
//! `timeout`, systemd, a terminal that is closed) stop it as Ctrl-C does, leaving the output
//! folder as it was; KILL cannot be caught, and what it leaves is removed by the next job for
//! the same output.

#![cfg(unix)]

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{Program, arg, code, text};
use crate::engine_common::{fingerprint, listing};
use crate::generated_mail::meetings_mbox;
use crate::util::temp_dir;

/// What the output folder holds before each job: a PST the job must not replace when stopped.
const OLDER_PST: &[u8] = b"an older PST";

/// Where the job is when the signal comes.
#[derive(Clone, Copy, Debug)]
enum Point {
    /// It holds the output's lock and is starting.
    Started,
    /// A PST is being written: a writer's temporary file has data. Each part's file has data
    /// for a few milliseconds only (the writer flushes 1 MiB at a time), so any part will do.
    Writing,
    /// A first part is finished under its pending name; later parts are being written.
    PartFinished,
}

impl Point {
    fn reached(self, out: &Path) -> bool {
        let names = listing(out);
        match self {
            Point::Started => names.iter().any(|n| n == ".mail.pst.lock"),
            Point::Writing => names.iter().any(|n| {
                n.starts_with("..mail")
                    && n.contains(".pst.pending.")
                    && fs::metadata(out.join(n)).is_ok_and(|m| m.len() > 0)
            }),
            Point::PartFinished => names.iter().any(|n| n == ".mail.pst.pending"),
        }
    }
}

/// Starts the conversion, waits for `point`, sends `signal`, and returns the ended program.
/// A job that ends before `point` was seen (a busy machine may not look in time) is run again,
/// twice at most; the third time it fails the test with what the job said.
fn stop_at(program: &Program, mbox: &Path, out: &Path, point: Point, signal: &str) -> Child {
    for attempt in 1..=3 {
        let mut child = convert(program, mbox, out).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut ended = false;
        while !point.reached(out) {
            assert!(Instant::now() < deadline, "{point:?} was never reached");
            if child.try_wait().unwrap().is_some() {
                ended = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if ended {
            let output = child.wait_with_output().unwrap();
            assert!(
                attempt < 3,
                "the job ended before {point:?}, three times; the last said ({:?}): {}",
                output.status.code(),
                text(&output.stderr)
            );
            // What the ended job left is not the test's subject: start again from the older PST.
            for name in listing(out) {
                fs::remove_file(out.join(name)).unwrap();
            }
            fs::write(out.join("mail.pst"), OLDER_PST).unwrap();
            continue;
        }
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        child.wait().unwrap();
        return child;
    }
    unreachable!("three attempts")
}

fn convert(program: &Program, mbox: &Path, out: &Path) -> Command {
    let mut command = program.command(&[
        "convert",
        arg(mbox),
        "-o",
        arg(&out.join("mail.pst")),
        "--force",
        "--split-size",
        "2MB",
    ]);
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    command
}

#[test]
fn term_and_hup_at_any_point_leave_the_output_folder_as_it_was() {
    let input = temp_dir();
    let mbox = meetings_mbox(input.path(), "Archive.mbox", 4_000);
    let source = fingerprint(&mbox);
    let program = Program::licensed();
    for (signal, point) in [
        ("TERM", Point::Started),
        ("TERM", Point::PartFinished),
        ("HUP", Point::Writing),
    ] {
        let out = temp_dir();
        fs::write(out.path().join("mail.pst"), OLDER_PST).unwrap();
        let child = stop_at(&program, &mbox, out.path(), point, signal);
        let output = child.wait_with_output().unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(code(&output), 130, "{signal} at {point:?}: {stderr}");
        assert!(stderr.contains("Cancelled"), "{stderr}");
        assert_eq!(
            listing(out.path()),
            vec!["mail.pst".to_owned()],
            "{signal} at {point:?}"
        );
        assert_eq!(fs::read(out.path().join("mail.pst")).unwrap(), OLDER_PST);
    }
    assert_eq!(fingerprint(&mbox), source);
}

#[test]
fn what_a_killed_job_leaves_is_removed_by_the_next_job_for_that_output() {
    let input = temp_dir();
    let mbox = meetings_mbox(input.path(), "Archive.mbox", 4_000);
    let source = fingerprint(&mbox);
    let program = Program::licensed();
    for point in [Point::Started, Point::PartFinished] {
        let out = temp_dir();
        fs::write(out.path().join("mail.pst"), OLDER_PST).unwrap();
        let child = stop_at(&program, &mbox, out.path(), point, "KILL");
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), None, "not killed at {point:?}");
        assert_eq!(fs::read(out.path().join("mail.pst")).unwrap(), OLDER_PST);
        let left: Vec<String> = listing(out.path())
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(
            !left.is_empty(),
            "a kill at {point:?} left nothing to clean"
        );

        let output = convert(&program, &mbox, out.path()).output().unwrap();
        assert_eq!(code(&output), 0, "{}", text(&output.stderr));
        let names = listing(out.path());
        assert!(
            names.iter().all(|n| !n.starts_with('.')),
            "after a kill at {point:?}: {names:?}"
        );
        assert!(names.contains(&"mail-2.pst".to_owned()), "{names:?}");
    }
    assert_eq!(fingerprint(&mbox), source);
}
