//! Helpers of the engine and CLI tests: licenses, running a job, reading PSTs with the
//! independent readers, and fingerprints of source trees.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use mail2pst::engine::{self, CancelToken, Event, JobSpec, Report, Source};
use mail2pst::license::{self, LicenseStatus};
use mail2pst::pst;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use walkdir::WalkDir;

use crate::util::{corpus, fixtures, project_root, temp_dir};

/// The text of a license key of `fixtures/licenses`.
pub fn key_text(name: &str) -> String {
    fs::read_to_string(fixtures().join("licenses").join(name)).unwrap()
}

/// The status a job runs under with the key `name` (from the environment, nothing stored).
pub fn license_from(name: &str) -> LicenseStatus {
    let dir = temp_dir();
    license::LicenseStore::new(dir.path())
        .with_env_key(Some(key_text(name)))
        .status()
}

pub fn licensed() -> LicenseStatus {
    let status = license_from("valid.key");
    assert!(status.is_licensed(), "{status:?}");
    status
}

pub fn demo() -> LicenseStatus {
    LicenseStatus::Demo { reason: None }
}

/// A job converting every folder of `sources` into `output`, under `license`, with a fixed
/// clock.
pub fn spec(sources: Vec<PathBuf>, output: &Path, license: LicenseStatus) -> JobSpec {
    let sources = sources
        .into_iter()
        .map(|p| Source::open(p).unwrap())
        .collect();
    let mut spec = JobSpec::new(sources, output);
    spec.license = Some(license);
    spec.now = Some(1_700_000_000);
    spec
}

/// Runs a job to its end; returns the report and every event. Every PST the job wrote is
/// checked by `pst::verify`, our ScanPST (docs/outlook-conformance.md).
pub fn run(spec: &JobSpec) -> (Report, Vec<Event>) {
    let mut events = Vec::new();
    let report = engine::run(spec, &CancelToken::new(), &mut |e| events.push(e)).unwrap();
    for output in &report.outputs {
        if output.path.exists() {
            assert_pst_clean(&output.path);
        }
    }
    (report, events)
}

/// Fails the test with every problem `pst::verify` finds in `pst`.
pub fn assert_pst_clean(pst: &Path) {
    let report = pst::verify(pst).unwrap();
    assert!(
        report.is_clean(),
        "pst::verify found problems in {}:\n{}",
        pst.display(),
        report.describe()
    );
}

/// A corpus path.
pub fn corpus_path(relative: &str) -> PathBuf {
    corpus().join(relative)
}

/// Every entry under `dir` (hidden ones too), relative, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    names.sort();
    names
}

/// A fingerprint of every file under `path`: names, sizes, bytes and modification times.
pub fn fingerprint(path: &Path) -> String {
    let mut hash = Sha256::new();
    let mut entries: Vec<PathBuf> = WalkDir::new(path)
        .into_iter()
        .map(|e| e.unwrap().path().to_path_buf())
        .collect();
    entries.sort();
    for entry in entries {
        let meta = fs::metadata(&entry).unwrap();
        hash.update(entry.display().to_string().as_bytes());
        hash.update(format!("{:?}{}", meta.modified().unwrap(), meta.len()).as_bytes());
        if meta.is_file() {
            hash.update(fs::read(&entry).unwrap());
        }
    }
    format!("{:x}", hash.finalize())
}

/// The pstcheck driver installed by `scripts/install-readers.sh`.
pub fn pstcheck() -> PathBuf {
    let driver = project_root().join("target/pstcheck/pstcheck");
    assert!(
        driver.exists(),
        "{} is missing: run scripts/install-readers.sh",
        driver.display()
    );
    driver
}

/// What the named independent readers see in `pst`: pstcheck's normalized JSON per reader.
/// Fails the test if `pst::verify` finds a problem or a reader cannot open the file.
pub fn read_with(pst: &Path, readers: &[&str]) -> BTreeMap<String, Value> {
    assert_pst_clean(pst);
    readers_see(pst, readers)
}

/// What the named independent readers see in `pst`, without our own check first.
pub fn readers_see(pst: &Path, readers: &[&str]) -> BTreeMap<String, Value> {
    let out = temp_dir();
    let output = Command::new(pstcheck())
        .arg("read")
        .arg(pst)
        .arg("--readers")
        .arg(readers.join(","))
        .arg("-o")
        .arg(out.path())
        .output()
        .unwrap();
    let mut seen = BTreeMap::new();
    for reader in readers {
        let path = out.path().join(format!("{reader}.json"));
        let text = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{reader} wrote no JSON for {} ({e}): {}{}",
                pst.display(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            json["ok"],
            Value::Bool(true),
            "{reader} could not read {}: {}",
            pst.display(),
            json["error"]
        );
        seen.insert((*reader).to_owned(), json);
    }
    seen
}

/// Messages per folder path ("a/b") in a reader's normalized JSON.
pub fn messages_per_folder(json: &Value) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for message in json["messages"].as_array().unwrap() {
        *counts
            .entry(message["folder"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

/// (folder, Message-ID) of every message in a reader's normalized JSON.
pub fn message_ids(json: &Value) -> Vec<(String, String)> {
    json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["folder"].as_str().unwrap().to_owned(),
                m["message_id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The messages `tests/oracle_exceptions.tsv` lists: their PST reads differently from the
/// independent reading of their source, which the job's read-back and `verify` report.
pub fn known_differences() -> Vec<String> {
    let table = fs::read_to_string(project_root().join("tests/oracle_exceptions.tsv")).unwrap();
    let mut origins: Vec<String> = table
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split('\t').next().map(str::to_owned))
        .collect();
    origins.dedup();
    origins
}

/// The job's status, not counting messages the read-back found different from the
/// independent reading when `tests/oracle_exceptions.tsv` lists and explains them (any other
/// difference fails the test).
pub fn status_apart_from_known_differences(report: &Report) -> engine::Status {
    let known = known_differences();
    let corpus_root = format!("{}/", corpus().display());
    for folder in &report.folders {
        // A message the two readings see too differently to pair is missing on one side and
        // extra on the other: the extra one stands for a known missing one.
        let mut unpaired_known = 0;
        for line in &folder.read_back_differences {
            let line = line.replace(&corpus_root, "");
            if line.starts_with("not in the source: ") {
                continue;
            }
            assert!(
                known
                    .iter()
                    .any(|origin| line.contains(&format!("({origin})"))),
                "{}: a difference tests/oracle_exceptions.tsv does not explain: {line}",
                folder.display_path()
            );
            unpaired_known += usize::from(line.starts_with("missing from the PST: "));
        }
        let extra = folder
            .read_back_differences
            .iter()
            .filter(|line| line.starts_with("not in the source: "))
            .count();
        assert!(
            extra <= unpaired_known,
            "{}: messages in the PST that no source message explains: {:?}",
            folder.display_path(),
            folder.read_back_differences
        );
    }
    let only_known = report.totals.read_back_differences > 0
        && report.totals.skipped.total() == 0
        && report.totals.folder_errors == 0
        && report.problems.is_empty();
    if only_known && report.status == engine::Status::Incomplete {
        engine::Status::Complete
    } else {
        report.status
    }
}
