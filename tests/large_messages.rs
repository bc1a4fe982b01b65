//! A message larger than what the sources hold in memory (32 MiB and more), in an mbox as a
//! mail client exports it, converts, and the independent readers find its large attachment
//! whole in the PST. (A large .eml file takes the same path from its source on: see
//! `sources::eml`.)

use std::fs;
use std::io::Write as _;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::cli::{Program, arg, code, text};
use crate::engine_common::{fingerprint, listing, read_with};
use crate::util::temp_dir;

/// Bytes of the attachment: its base64 makes the message larger than 32 MiB.
const ATTACHMENT: usize = 26 * 1024 * 1024;

/// A message with a small text body and a large PDF-typed attachment of `payload`.
fn large_message(payload: &[u8], subject: &str) -> Vec<u8> {
    let mut message = format!(
        "From: Ann <ann@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: {subject}\r\n\
         Date: Mon, 7 Jan 2019 09:00:00 +0000\r\nMessage-ID: <{subject}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scans are attached.\r\n\
         From here on, a line an mbox quotes.\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"scans.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"scans.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    )
    .into_bytes();
    let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
    for line in encoded.as_bytes().chunks(76) {
        message.extend_from_slice(line);
        message.extend_from_slice(b"\r\n");
    }
    message.extend_from_slice(b"--b1--\r\n");
    message
}

#[test]
fn a_message_too_large_for_memory_converts_whole() {
    let input = temp_dir();
    let tree = input.path().join("Archive");
    fs::create_dir(&tree).unwrap();
    // Not compressible, not repetitive: every block of the PST differs.
    let mut payload = Vec::with_capacity(ATTACHMENT);
    let mut seed = Sha256::digest(b"scans");
    while payload.len() < ATTACHMENT {
        payload.extend_from_slice(&seed);
        seed = Sha256::digest(seed);
    }
    payload.truncate(ATTACHMENT);
    let expected_sha = format!("{:x}", Sha256::digest(&payload));

    let message = large_message(&payload, "mbox");
    assert!(message.len() > 32 * 1024 * 1024);
    let mut mbox = fs::File::create(tree.join("Large.mbox")).unwrap();
    mbox.write_all(b"From ann@example.com Mon Jan  7 09:00:00 2019\r\n")
        .unwrap();
    for line in message.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            mbox.write_all(b">").unwrap();
        }
        mbox.write_all(line).unwrap();
    }
    mbox.write_all(b"\r\n").unwrap();
    drop(mbox);
    let before = fingerprint(&tree);

    let out = temp_dir();
    let pst = out.path().join("large.pst");
    let output = Program::licensed().run(&["convert", arg(&tree), "-o", arg(&pst), "--json"]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["totals"]["written"], 1);
    assert_eq!(report["totals"]["degraded"], 0);
    assert_eq!(fingerprint(&tree), before);
    assert_eq!(
        listing(out.path()),
        vec!["large.pst", "large.report.html", "large.report.json"]
    );

    let readers = read_with(&pst, &["readpst", "pffexport", "outlook-pst"]);
    for (reader, json) in &readers {
        assert_eq!(json["ok"], true, "{reader}: {}", json["error"]);
        let messages = json["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 1, "{reader}");
        for message in messages {
            let attachments = message["attachments"].as_array().unwrap();
            let scans = attachments
                .iter()
                .find(|a| a["filename"] == "scans.pdf")
                .unwrap_or_else(|| panic!("{reader}: no scans.pdf in {message}"));
            assert_eq!(scans["size"], ATTACHMENT, "{reader}");
            assert_eq!(scans["sha256"], expected_sha.as_str(), "{reader}");
        }
    }
}

/// A message whose alternative's boundary begins with the mixed one's (as PHP's mail functions
/// and many generators write them) and with an attachment of `payload`.
fn message_with_clashing_boundaries(payload: &[u8], n: usize) -> Vec<u8> {
    let mut message = format!(
        "From: Ann <ann@example.com>\nTo: Bob <bob@example.com>\nSubject: Scan {n}\n\
         Date: Mon, 7 Jan 2019 09:{n:02}:00 +0000\nMessage-ID: <scan{n}@example.com>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b{n}x\"\n\n\
         --b{n}x\nContent-Type: multipart/alternative; boundary=\"b{n}xa\"\n\n\
         --b{n}xa\nContent-Type: text/plain; charset=utf-8\n\nScan {n} is attached.\n\
         --b{n}xa\nContent-Type: text/html; charset=utf-8\n\n<p>Scan {n} is attached.</p>\n\
         --b{n}xa--\n\
         --b{n}x\nContent-Type: image/tiff; name=\"scan{n}.tif\"\n\
         Content-Disposition: attachment; filename=\"scan{n}.tif\"\n\
         Content-Transfer-Encoding: base64\n\n"
    )
    .into_bytes();
    let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
    for line in encoded.as_bytes().chunks(76) {
        message.extend_from_slice(line);
        message.push(b'\n');
    }
    message.extend_from_slice(format!("--b{n}x--\n").as_bytes());
    message
}

/// Mail several times the budget of mail in flight goes through whole: each message's
/// boundaries are told apart in place by the second reading, its bytes are let go of once
/// converted, and its attachment of a few megabytes is read back a block at a time. The job's
/// read-back compares what it reads with what the second reading saw, so a wrong size or hash
/// on either side is a difference; three PST readers check the attachments besides.
#[test]
fn mail_several_times_the_memory_budget_converts_and_reads_back_whole() {
    const MESSAGES: usize = 12;
    const SIZE: usize = 3 * 1024 * 1024;
    let input = temp_dir();
    let mbox_path = input.path().join("Scans.mbox");
    let mut mbox = std::io::BufWriter::new(fs::File::create(&mbox_path).unwrap());
    let mut expected = Vec::new();
    for n in 0..MESSAGES {
        let mut payload = Vec::with_capacity(SIZE);
        let mut seed = Sha256::digest(format!("scan {n}"));
        while payload.len() < SIZE {
            payload.extend_from_slice(&seed);
            seed = Sha256::digest(seed);
        }
        payload.truncate(SIZE - n);
        expected.push((
            format!("scan{n}.tif"),
            payload.len(),
            format!("{:x}", Sha256::digest(&payload)),
        ));
        writeln!(mbox, "From ann@example.com Mon Jan  7 09:00:00 2019").unwrap();
        mbox.write_all(&message_with_clashing_boundaries(&payload, n))
            .unwrap();
        mbox.write_all(b"\n").unwrap();
    }
    drop(mbox);
    assert!(fs::metadata(&mbox_path).unwrap().len() > 3 * 16 * 1024 * 1024);

    let out = temp_dir();
    let pst = out.path().join("scans.pst");
    let output = Program::licensed().run(&["convert", arg(&mbox_path), "-o", arg(&pst), "--json"]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["totals"]["written"], MESSAGES);
    assert_eq!(report["totals"]["converted_with_warnings"], 0, "{report}");
    assert_eq!(report["totals"]["read_back_differences"], 0, "{report}");
    assert_eq!(report["verified"], true, "{report}");

    for (reader, json) in read_with(&pst, &["readpst", "pffexport", "outlook-pst"]) {
        assert_eq!(json["ok"], true, "{reader}: {}", json["error"]);
        let mut found: Vec<(String, usize, String)> = json["messages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["attachments"].as_array().unwrap().clone())
            .map(|a| {
                (
                    a["filename"].as_str().unwrap_or_default().to_owned(),
                    a["size"].as_u64().unwrap() as usize,
                    a["sha256"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        found.sort();
        let mut wanted = expected.clone();
        wanted.sort();
        assert_eq!(found, wanted, "{reader}");
    }
}
