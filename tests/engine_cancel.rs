//! Cancelling a job at any moment: no PST, no temporary file and no report are left, an existing
//! output is not touched, the source is unchanged, and the report says "cancelled".

use std::fs;
use std::time::{Duration, Instant};

use mail2pst::engine::{self, CancelToken, Event, Job, Report, Status};

use crate::engine_common::{corpus_path, fingerprint, licensed, listing, spec};
use crate::util::temp_dir;
use tempfile::TempDir;

#[test]
fn cancelling_mid_job_leaves_nothing_and_changes_nothing() {
    let out = temp_dir();
    let source = corpus_path("eml");
    let before = fingerprint(&source);
    let job = spec(
        vec![source.clone()],
        &out.path().join("mail.pst"),
        licensed(),
    );
    let cancel = CancelToken::new();
    let mut done_when_cancelled = None;
    let report = engine::run(&job, &cancel, &mut |event| {
        if let Event::Progress(progress) = event
            && progress.messages_done > 0
            && done_when_cancelled.is_none()
        {
            done_when_cancelled = Some(progress.messages_done);
            cancel.cancel();
        }
    })
    .unwrap();
    let done = done_when_cancelled.expect("the job sent no progress before it ended");
    assert!(done < 539, "cancelled only after the last message");
    assert_eq!(report.status, Status::Cancelled);
    assert!(report.outputs.is_empty() && report.report_files.is_empty());
    assert!(report.summary_table().contains("Total"));
    assert_eq!(listing(out.path()), Vec::<String>::new());
    assert_eq!(fingerprint(&source), before);
}

#[test]
fn cancelling_a_job_thread_keeps_an_existing_output() {
    let out = temp_dir();
    let pst = out.path().join("mail.pst");
    fs::write(&pst, b"an older PST").unwrap();
    let mut job = spec(vec![corpus_path("eml")], &pst, licensed());
    job.overwrite = true;
    let job = Job::start(job, || {});
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        match job.events().recv_timeout(Duration::from_secs(120)) {
            Ok(Event::Progress(p)) if p.messages_done > 0 => break,
            Ok(_) => {}
            Err(error) => panic!("no progress: {error}"),
        }
        assert!(Instant::now() < deadline);
    }
    job.cancel();
    let report = job.wait().unwrap();
    assert_eq!(report.status, Status::Cancelled);
    assert_eq!(listing(out.path()), vec!["mail.pst".to_owned()]);
    assert_eq!(fs::read(&pst).unwrap(), b"an older PST");
}

/// Converts the corpus mbox into a fresh folder and cancels the job at the first event `at`
/// matches; also says whether such an event came.
fn cancelled_at(at: impl Fn(&Event) -> bool) -> (TempDir, Report, bool) {
    let out = temp_dir();
    let job = spec(
        vec![corpus_path("mbox")],
        &out.path().join("mail.pst"),
        licensed(),
    );
    let cancel = CancelToken::new();
    let mut came = false;
    let report = engine::run(&job, &cancel, &mut |event| {
        if at(&event) {
            came = true;
            cancel.cancel();
        }
    })
    .unwrap();
    (out, report, came)
}

#[test]
fn cancelling_before_the_first_message_leaves_nothing() {
    let (out, report, _) = cancelled_at(|event| matches!(event, Event::Planned { .. }));
    assert_eq!(report.status, Status::Cancelled);
    assert_eq!(report.totals.written, 0);
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn cancelling_while_the_pst_is_read_back_leaves_nothing_and_names_no_problem() {
    let (out, report, verifying) = cancelled_at(|event| matches!(event, Event::Verifying { .. }));
    assert!(verifying, "the job never read its PST back");
    assert_eq!(report.status, Status::Cancelled);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.outputs.is_empty() && report.report_files.is_empty());
    assert_eq!(listing(out.path()), Vec::<String>::new());
}
