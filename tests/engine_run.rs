//! Whole jobs on real stores: every corpus store reconciles (found = written + skipped, and the
//! PST holds what the report says), the options (duplicates, date range, Trash and Junk), the
//! progress events, the job thread, and the checks made before anything is written.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mail2pst::engine::{
    self, CancelToken, DateRange, Error, Event, FolderRole, Job, Report, Status,
};
use mail2pst::model::SkipReason;

use crate::engine_common::{
    corpus_path, licensed, listing, run, spec, status_apart_from_known_differences,
};
use crate::util::{fixtures, temp_dir};

/// Checks what must hold for any finished job, and that the PST holds what the report says.
fn assert_reconciled(report: &Report) {
    assert_ne!(report.status, Status::Failed, "{:#?}", report.problems);
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert!(report.verified);
    for folder in &report.folders {
        assert!(folder.reconciles(), "{folder:#?}");
    }
    assert_eq!(
        report.totals.found,
        report.totals.written + report.totals.skipped.total()
    );
    let mut in_files: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for output in &report.outputs {
        for (path, count) in engine::folder_counts(&output.path).unwrap() {
            *in_files.entry(path).or_default() += count;
        }
    }
    for folder in &report.folders {
        let held = in_files.get(&folder.pst_path).copied();
        if folder.role == FolderRole::Excluded {
            assert_eq!(held, None, "{}", folder.display_path());
        } else {
            assert_eq!(held, Some(folder.written), "{}", folder.display_path());
        }
    }
    let json = fs::read_to_string(&report.report_files[0]).unwrap();
    assert_eq!(Report::from_json(&json).unwrap().totals, report.totals);
    assert!(
        fs::read_to_string(&report.report_files[1])
            .unwrap()
            .contains("<table>")
    );
}

#[test]
fn every_corpus_store_reconciles() {
    let out = temp_dir();
    // Expected numbers of messages found, from the corpus's SOURCES.md, where a store's
    // reading does not depend on mail client bookkeeping.
    let expected: BTreeMap<&str, u64> = [("mbox", 232), ("eml", 539), ("maildir", 267)].into();
    for store in [
        "mbox",
        "eml",
        "maildir",
        "thunderbird",
        "thunderbird-profile",
        "applemail",
    ] {
        let pst = out.path().join(format!("{store}.pst"));
        let (report, _) = run(&spec(vec![corpus_path(store)], &pst, licensed()));
        assert_reconciled(&report);
        let status = status_apart_from_known_differences(&report);
        if let Some(found) = expected.get(store) {
            assert_eq!(report.totals.found, *found, "{store}");
            assert_eq!(report.totals.written, *found, "{store}");
            assert_eq!(status, Status::Complete, "{store}");
        }
    }
}

#[test]
fn several_stores_go_into_one_pst_each_with_its_own_top_folder() {
    let out = temp_dir();
    let pst = out.path().join("two.pst");
    let sample = fixtures().join("sample");
    let (report, _) = run(&spec(
        vec![sample.join("Inbox.mbox"), sample.clone()],
        &pst,
        licensed(),
    ));
    assert_reconciled(&report);
    let tops: Vec<String> = report
        .folders
        .iter()
        .filter(|f| f.pst_path.len() == 1)
        .map(|f| f.pst_path[0].clone())
        .collect();
    assert_eq!(tops, vec!["Inbox".to_owned(), "sample".to_owned()]);
    assert_eq!(report.totals.written, 8);
}

#[test]
fn duplicates_are_skipped_and_counted_when_asked() {
    let out = temp_dir();
    let lkml = corpus_path("maildir/notmuch/test/corpora/lkml");
    let mut job = spec(
        vec![lkml.clone()],
        &out.path().join("dedup.pst"),
        licensed(),
    );
    job.options.skip_duplicates = true;
    let (report, _) = run(&job);
    assert_reconciled(&report);
    assert_eq!(report.totals.found, 210);
    assert_eq!(report.totals.skipped.duplicate, 34);
    assert_eq!(report.totals.written, 176);
    assert_eq!(report.status, Status::Incomplete);
    let listed: usize = report
        .folders
        .iter()
        .flat_map(|f| &f.skipped_items)
        .filter(|item| item.reason == SkipReason::Duplicate)
        .count();
    assert_eq!(listed, 34);

    // Without the option every copy is written.
    let (report, _) = run(&spec(vec![lkml], &out.path().join("all.pst"), licensed()));
    assert_eq!(report.totals.written, 210);
    assert_eq!(
        status_apart_from_known_differences(&report),
        Status::Complete
    );
}

#[test]
fn duplicates_are_found_across_folders() {
    // notmuch's default maildir holds one byte-identical pair in two folders.
    let out = temp_dir();
    let default = corpus_path("maildir/notmuch/test/corpora/default");
    let mut job = spec(vec![default], &out.path().join("d.pst"), licensed());
    job.options.skip_duplicates = true;
    let (report, _) = run(&job);
    assert_reconciled(&report);
    assert_eq!(
        (
            report.totals.found,
            report.totals.written,
            report.totals.skipped.duplicate
        ),
        (53, 52, 1)
    );
}

#[test]
fn the_date_range_keeps_messages_without_a_date() {
    let out = temp_dir();
    let undated = temp_dir();
    fs::copy(
        corpus_path("eml/mikel-mail/spec/fixtures/emails/multi_charset/japanese.eml"),
        undated.path().join("japanese.eml"),
    )
    .unwrap();
    let mut job = spec(
        vec![fixtures().join("sample"), undated.path().to_path_buf()],
        &out.path().join("march.pst"),
        licensed(),
    );
    job.options.date_range = DateRange {
        from: NaiveDate::from_ymd_opt(2024, 3, 1),
        to: NaiveDate::from_ymd_opt(2024, 3, 31),
    };
    let (report, _) = run(&job);
    assert_reconciled(&report);
    let by_folder: BTreeMap<String, (u64, u64)> = report
        .folders
        .iter()
        .map(|f| {
            (
                f.pst_path.join("/"),
                (f.written, f.skipped.outside_date_range),
            )
        })
        .collect();
    assert_eq!(by_folder["sample/Inbox"], (3, 0));
    assert_eq!(by_folder["sample/Projects"], (0, 1));
    assert_eq!(by_folder["sample/Projects/2024"], (0, 1));
    let undated_name = undated.path().file_name().unwrap().to_string_lossy();
    assert_eq!(by_folder[undated_name.as_ref()], (1, 0));
}

#[test]
fn trash_and_junk_can_be_left_out() {
    let out = temp_dir();
    let profile = corpus_path("thunderbird-profile");
    let mut job = spec(
        vec![profile.clone()],
        &out.path().join("no-trash.pst"),
        licensed(),
    );
    job.options.include_trash_junk = false;
    let (report, _) = run(&job);
    assert_reconciled(&report);
    let trash: Vec<_> = report
        .folders
        .iter()
        .filter(|f| f.source_path.name() == "Trash")
        .collect();
    assert!(!trash.is_empty());
    for folder in &trash {
        assert_eq!(folder.role, FolderRole::Excluded);
        assert_eq!(folder.written, 0);
        assert_eq!(folder.skipped.folder_excluded, folder.found);
    }
    assert!(report.totals.skipped.folder_excluded > 0);

    // By default they are converted.
    let (report, _) = run(&spec(
        vec![profile],
        &out.path().join("all.pst"),
        licensed(),
    ));
    assert!(
        report
            .folders
            .iter()
            .filter(|f| f.source_path.name() == "Trash")
            .all(|f| f.role == FolderRole::Convert)
    );
    assert_eq!(report.totals.skipped.folder_excluded, 0);
}

#[test]
fn progress_comes_at_a_rate_a_window_can_draw() {
    let out = temp_dir();
    let start = Instant::now();
    let (report, events) = run(&spec(
        vec![corpus_path("eml")],
        &out.path().join("p.pst"),
        licensed(),
    ));
    let elapsed = start.elapsed();
    let progress: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Progress(p) => Some(p),
            _ => None,
        })
        .collect();
    assert!(matches!(events[0], Event::Planned { messages: 539, .. }));
    // At most 20 a second, plus the final one.
    let allowed = (elapsed.as_millis() / engine::PROGRESS_INTERVAL.as_millis()) as usize + 2;
    assert!(
        !progress.is_empty() && progress.len() <= allowed,
        "{} events in {elapsed:?}",
        progress.len()
    );
    let last = progress.last().unwrap();
    assert_eq!(last.messages_done, report.totals.found);
    assert_eq!(last.messages_total, 539);
    assert!(last.bytes_read > 0 && last.bytes_written > 0);
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].messages_done <= w[1].messages_done)
    );
    assert!(events.iter().any(|e| matches!(e, Event::Verifying { .. })));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::FileFinished { .. }))
    );
}

#[test]
fn a_job_on_its_own_thread_sends_events_and_returns_the_report() {
    let out = temp_dir();
    let pst = out.path().join("thread.pst");
    let job = Job::start(
        spec(vec![fixtures().join("sample")], &pst, licensed()),
        || {},
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !job.is_finished() {
        assert!(Instant::now() < deadline, "the job did not end");
        std::thread::sleep(Duration::from_millis(10));
    }
    let events: Vec<Event> = job.events().try_iter().collect();
    let report = job.wait().unwrap();
    assert_eq!(report.status, Status::Complete);
    assert!(matches!(events.first(), Some(Event::Planned { .. })));
    assert!(pst.exists());
}

#[test]
fn nothing_is_written_when_the_output_cannot_be() {
    let out = temp_dir();
    let sample = fixtures().join("sample");
    // The folder does not exist.
    let missing = out.path().join("no-such-folder/out.pst");
    let error = engine::run(
        &spec(vec![sample.clone()], &missing, licensed()),
        &CancelToken::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(error, Error::OutputFolderMissing { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("no-such-folder"), "{error}");

    // The output exists: refused without overwrite, replaced with it.
    let pst = out.path().join("out.pst");
    fs::write(&pst, b"precious").unwrap();
    let error = engine::run(
        &spec(vec![sample.clone()], &pst, licensed()),
        &CancelToken::new(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(error, Error::OutputExists { .. }), "{error}");
    assert_eq!(fs::read(&pst).unwrap(), b"precious");
    assert_eq!(listing(out.path()), vec!["out.pst".to_owned()]);
    let mut job = spec(vec![sample.clone()], &pst, licensed());
    job.overwrite = true;
    let (report, _) = run(&job);
    assert_eq!(report.status, Status::Complete);
    assert_ne!(fs::read(&pst).unwrap(), b"precious");
    assert_eq!(
        listing(out.path()),
        vec!["out.pst", "out.report.html", "out.report.json"]
    );

    // The output may not be a source.
    let copy = out.path().join("Inbox.mbox");
    fs::copy(sample.join("Inbox.mbox"), &copy).unwrap();
    let mut job = spec(vec![copy.clone()], &copy, licensed());
    job.overwrite = true;
    let error = engine::run(&job, &CancelToken::new(), &mut |_| {}).unwrap_err();
    assert!(matches!(error, Error::OutputIsSource { .. }), "{error}");
}

#[test]
fn the_same_job_writes_the_same_bytes() {
    let (one, two) = (temp_dir(), temp_dir());
    let sample: PathBuf = fixtures().join("sample");
    for dir in [&one, &two] {
        run(&spec(
            vec![sample.clone()],
            &dir.path().join("mail.pst"),
            licensed(),
        ));
    }
    let first = fs::read(one.path().join("mail.pst")).unwrap();
    let second = fs::read(two.path().join("mail.pst")).unwrap();
    assert!(
        first == second,
        "two runs of the same job wrote different PSTs"
    );
}
