//! Splitting: a small split size gives several PST files, each no larger than the size, each a
//! complete PST with the whole folder tree that readpst and pffexport open, and together they
//! hold every message exactly once.

use std::collections::BTreeMap;
use std::fs;

use mail2pst::convert;
use mail2pst::engine::{self, MIN_SPLIT_SIZE, Status};
use mail2pst::model::Found;
use mail2pst::sources;

use crate::engine_common::{
    corpus_path, licensed, message_ids, read_with, run, spec, status_apart_from_known_differences,
};
use crate::util::temp_dir;

#[test]
fn a_small_split_size_gives_complete_parts_that_hold_every_message_once() {
    let out = temp_dir();
    let source = corpus_path("maildir");
    let pst = out.path().join("split.pst");
    let mut job = spec(vec![source.clone()], &pst, licensed());
    job.options.split_size = MIN_SPLIT_SIZE;
    let (report, _) = run(&job);
    assert_eq!(
        status_apart_from_known_differences(&report),
        Status::Complete,
        "{:#?}",
        report.problems
    );
    assert!(report.verified);
    assert!(report.outputs.len() >= 2, "{:?}", report.outputs);
    assert_eq!(report.outputs[0].path, pst);
    assert_eq!(report.outputs[1].path, out.path().join("split-2.pst"));
    let total: u64 = report.outputs.iter().map(|o| o.messages).sum();
    assert_eq!(total, 267);

    // Every message of the source, by folder and Message-ID.
    let store = sources::open(&source).unwrap();
    let pst_paths: BTreeMap<_, _> = report
        .folders
        .iter()
        .map(|f| (f.source_path.clone(), f.pst_path.join("/")))
        .collect();
    let mut expected: Vec<(String, String)> = Vec::new();
    for folder in store.folders().unwrap() {
        for item in store.messages(&folder.path).unwrap() {
            let Found::Message(raw) = item.unwrap() else {
                continue;
            };
            let id = convert::convert(&raw).message.internet_message_id;
            expected.push((pst_paths[&folder.path].clone(), id.unwrap_or_default()));
        }
    }
    expected.sort();

    let mut seen: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let first_tree = engine::folder_counts(&pst).unwrap();
    for output in &report.outputs {
        let size = fs::metadata(&output.path).unwrap().len();
        assert!(
            size <= MIN_SPLIT_SIZE,
            "{}: {size} bytes",
            output.path.display()
        );
        assert_eq!(size, output.bytes);
        // The same folder tree in every part.
        let tree = engine::folder_counts(&output.path).unwrap();
        assert_eq!(
            tree.keys().collect::<Vec<_>>(),
            first_tree.keys().collect::<Vec<_>>()
        );
        let readers = read_with(&output.path, &["readpst", "pffexport"]);
        for (reader, json) in readers {
            let ids = message_ids(&json);
            assert_eq!(ids.len() as u64, output.messages, "{reader}");
            seen.entry(reader).or_default().extend(ids);
        }
    }
    for (reader, mut ids) in seen {
        ids.sort();
        assert_eq!(ids, expected, "{reader}");
    }
}
