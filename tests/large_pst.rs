//! A PST past 4 GiB through the real engine: generated mail (460 letters of 5 MB of plain text
//! each, stored as UTF-16, and an archive of 3,000 short messages) converted into one PST of
//! about 4.6 GB, which crosses the first FPMap interval (1.94 GiB), 2 GiB and 4 GiB. The job
//! reads it back and checks its counts; then `pst::verify` checks every rule of
//! `docs/outlook-conformance.md`, and each independent reader must see every message with the
//! exact text of its body, including those stored past 4 GiB.
//!
//! It takes many minutes and about 7 GB of disk (the 2.3 GB of mailboxes are removed before
//! the readers run, which keep one reader's output at a time), so it is ignored by a plain
//! `cargo test`; run it with
//! `cargo test --locked --test tests large_pst -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::fs;
use std::time::Instant;

use mail2pst::engine::{self, CancelToken, Status};
use mail2pst::pst;
use serde_json::Value;

use crate::engine_common::{licensed, messages_per_folder, readers_see, spec};
use crate::generated_mail::{GeneratedBody, long_letters_mbox, meetings_mbox};
use crate::util::temp_dir;

const LETTERS: usize = 460;
const LETTER_SIZE: usize = 5_000_000;
const ARCHIVE: usize = 3_000;

/// The first FPMap page: interval 8192, right after its AMap and PMap.
const FIRST_FPMAP: u64 = 0x4400 + 8192 * 253_952 + 1024;

#[test]
#[ignore = "minutes and 7 GB of disk: cargo test --test tests large_pst -- --ignored"]
fn a_pst_past_four_gibibytes_is_written_checked_and_read_by_every_reader() {
    let started = Instant::now();
    let work = temp_dir();
    let input = work.path().join("input");
    fs::create_dir(&input).unwrap();
    let (letters, generated) = long_letters_mbox(&input, "Letters.mbox", LETTERS, LETTER_SIZE);
    let archive = meetings_mbox(&input, "Archive.mbox", ARCHIVE);
    let generate_seconds = started.elapsed().as_secs_f64();

    let output = work.path().join("large.pst");
    let converting = Instant::now();
    let job = spec(vec![letters, archive], &output, licensed());
    let report = engine::run(&job, &CancelToken::new(), &mut |_| {}).unwrap();
    let convert_seconds = converting.elapsed().as_secs_f64();
    assert_eq!(report.status, Status::Complete, "{:#?}", report.problems);
    assert!(report.verified);
    assert_eq!(report.outputs.len(), 1, "{:?}", report.outputs);
    let bytes = fs::metadata(&output).unwrap().len();
    assert!(bytes > 1 << 32, "{bytes} bytes");
    fs::remove_dir_all(&input).unwrap();

    // The first FPMap, where Outlook puts it: the third page of interval 8192.
    let mut page = [0u8; 512];
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = fs::File::open(&output).unwrap();
        file.seek(SeekFrom::Start(FIRST_FPMAP)).unwrap();
        file.read_exact(&mut page).unwrap();
    }
    assert_eq!((page[496], page[497]), (0x85, 0x85), "FPMap ptype");

    let verifying = Instant::now();
    let checked = pst::verify(&output).unwrap();
    let verify_seconds = verifying.elapsed().as_secs_f64();
    assert!(checked.is_clean(), "{}", checked.describe());
    assert_eq!(checked.messages, LETTERS + ARCHIVE);

    let reading = Instant::now();
    let readers = [
        "readpst",
        "pffexport",
        "pypff",
        "pst-extractor",
        "outlook-pst",
    ];
    let seen = readers_see(&output, &readers);
    let read_seconds = reading.elapsed().as_secs_f64();
    let expected: BTreeMap<&str, &GeneratedBody> = generated
        .iter()
        .map(|g| (g.message_id.as_str(), g))
        .collect();
    for (reader, json) in &seen {
        let counts = messages_per_folder(json);
        assert_eq!(
            counts.get("Letters"),
            Some(&(LETTERS as u64)),
            "{reader}: {counts:?}"
        );
        assert_eq!(
            counts.get("Archive"),
            Some(&(ARCHIVE as u64)),
            "{reader}: {counts:?}"
        );
        let mut letters = 0;
        for message in json["messages"].as_array().unwrap() {
            if message["folder"] != "Letters" {
                continue;
            }
            let id = message["message_id"].as_str().unwrap_or("");
            let want = expected
                .get(id)
                .unwrap_or_else(|| panic!("{reader}: unexpected message {id}"));
            assert_eq!(
                message["body_sha256"],
                Value::from(want.body_sha256.as_str()),
                "{reader}: {id}"
            );
            letters += 1;
        }
        assert_eq!(letters, LETTERS, "{reader}");
    }
    eprintln!(
        "PST of {bytes} bytes: generating {generate_seconds:.0} s, converting {convert_seconds:.0} s, \
         pst::verify {verify_seconds:.0} s, readers {read_seconds:.0} s, all {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
