//! The demo limit and licenses: without a valid license exactly the first ten messages of each
//! folder are written, every folder is still in the PST, and the report says how many more a
//! license would convert. Each kind of bad key runs the demo with the reason, never a crash.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mail2pst::engine::{self, CancelToken, DEMO_MESSAGES_PER_FOLDER, Report, Status};
use mail2pst::license::LicenseStatus;
use mail2pst::model::Found;
use mail2pst::sources;

use crate::engine_common::{
    corpus_path, demo, license_from, licensed, run, spec, status_apart_from_known_differences,
};
use crate::util::temp_dir;

/// GNU Mailutils' spool: teaparty.mbox has 95 messages, the other folders ten or fewer.
fn spool() -> PathBuf {
    corpus_path("mbox/gnu-mailutils/testsuite/spool")
}

fn written_by_folder(report: &Report) -> BTreeMap<String, (u64, u64, u64)> {
    report
        .folders
        .iter()
        .map(|f| {
            (
                f.pst_path.join("/"),
                (f.found, f.written, f.skipped.demo_limit),
            )
        })
        .collect()
}

#[test]
fn demo_writes_the_first_ten_messages_of_each_folder_and_keeps_every_folder() {
    let out = temp_dir();
    let pst = out.path().join("demo.pst");
    let (report, _) = run(&spec(vec![spool()], &pst, demo()));

    assert_eq!(report.status, Status::Incomplete);
    assert!(!report.license.licensed);
    let folders = written_by_folder(&report);
    assert_eq!(folders["spool/teaparty"], (95, 10, 85));
    assert_eq!(folders["spool/relational"], (9, 9, 0));
    assert_eq!(folders["spool/search"], (8, 8, 0));
    assert_eq!(report.more_with_license(), 85);
    for folder in &report.folders {
        assert!(folder.written <= DEMO_MESSAGES_PER_FOLDER, "{folder:?}");
        assert!(folder.reconciles(), "{folder:?}");
    }
    assert!(
        report
            .summary_table()
            .contains("a license would convert 85 more")
    );

    // The PST holds every folder of the plan, read back by Microsoft's reader.
    let counts = engine::folder_counts(&pst).unwrap();
    for folder in &report.folders {
        assert_eq!(
            counts.get(&folder.pst_path),
            Some(&folder.written),
            "{}",
            folder.display_path()
        );
    }
    assert_eq!(counts[&vec!["spool".to_owned(), "teaparty".to_owned()]], 10);

    // The ten are the folder's first ten: the source's 11th message is the first one missing.
    let source = engine::Source::open(spool()).unwrap();
    let comparison = engine::compare(&pst, &[source], &CancelToken::new(), &mut |_| {}).unwrap();
    let teaparty = comparison
        .folders
        .iter()
        .find(|f| f.pst_path == ["spool", "teaparty"])
        .unwrap();
    assert_eq!(
        (
            teaparty.in_pst,
            teaparty.missing,
            teaparty.extra,
            teaparty.differing
        ),
        (10, 85, 0, 0)
    );
    let store = sources::open(&spool().join("teaparty.mbox")).unwrap();
    let folder = store.folders().unwrap()[0].path.clone();
    let eleventh = store.messages(&folder).unwrap().nth(10).unwrap().unwrap();
    let Found::Message(eleventh) = eleventh else {
        panic!("the 11th item is not a message");
    };
    assert!(
        teaparty.missing_messages[0].ends_with(&format!("({})", eleventh.origin)),
        "{:?} vs {}",
        teaparty.missing_messages[0],
        eleventh.origin
    );
}

#[test]
fn an_empty_folder_is_in_the_demo_pst_too() {
    let out = temp_dir();
    let pst = out.path().join("sample.pst");
    let sample = crate::util::fixtures().join("sample");
    let (report, _) = run(&spec(vec![sample], &pst, demo()));
    assert_eq!(report.status, Status::Complete);
    let counts = engine::folder_counts(&pst).unwrap();
    assert_eq!(counts[&vec!["sample".to_owned()]], 0);
    // Every folder of the plan, and the Deleted Items folder every PST has.
    assert_eq!(counts.len(), report.folders.len() + 1);
    assert_eq!(counts[&vec!["Deleted Items".to_owned()]], 0);
}

#[test]
fn a_valid_license_converts_everything() {
    let out = temp_dir();
    let pst = out.path().join("full.pst");
    let (report, _) = run(&spec(vec![spool()], &pst, licensed()));
    assert_eq!(
        status_apart_from_known_differences(&report),
        Status::Complete,
        "{:?}",
        report.problems
    );
    assert!(report.license.licensed);
    assert!(
        report
            .license
            .licensee
            .as_deref()
            .unwrap()
            .contains("Ada Lovelace")
    );
    assert_eq!(written_by_folder(&report)["spool/teaparty"], (95, 95, 0));
    assert_eq!(report.totals.written, report.totals.found);
    assert_eq!(report.more_with_license(), 0);
}

#[test]
fn every_kind_of_bad_key_runs_the_demo_and_says_why() {
    let out = temp_dir();
    for (key, words) in [
        ("tampered.key", "does not match its signature"),
        ("truncated.key", "incomplete"),
        ("foreign.key", "not issued for this build"),
        ("garbage.key", "not a mail2pst license key"),
    ] {
        let status = license_from(key);
        let LicenseStatus::Demo {
            reason: Some(reason),
        } = &status
        else {
            panic!("{key}: {status:?}");
        };
        assert!(reason.contains(words), "{key}: {reason}");
        let pst = out.path().join(format!("{key}.pst"));
        let (report, _) = run(&spec(vec![spool()], &pst, status.clone()));
        assert_eq!(report.status, Status::Incomplete, "{key}");
        assert_eq!(written_by_folder(&report)["spool/teaparty"], (95, 10, 85));
        assert_eq!(report.license.note.as_deref(), Some(reason.as_str()));
    }
}
