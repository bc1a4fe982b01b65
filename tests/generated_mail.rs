//! Mail made by the tests themselves where the corpus has nothing of the size they need; shared
//! by the test binary, the screenshot walk and the test of a PST past 4 GiB.

#![allow(dead_code)]

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

/// An mbox `name` in `dir` of `count` small messages, for jobs that must take a while.
pub fn meetings_mbox(dir: &Path, name: &str, count: usize) -> PathBuf {
    let path = dir.join(name);
    let mut out = BufWriter::new(File::create(&path).unwrap());
    let body = "Minutes of the weekly meeting are below.\n".repeat(10);
    for i in 0..count {
        write!(
            out,
            "From sender{i}@example.com Mon Jan  7 09:00:00 2019\n\
             From: Colleague {i} <colleague{i}@example.com>\n\
             To: Me <me@example.com>\n\
             Subject: Weekly meeting {i}\n\
             Date: Mon, 7 Jan 2019 09:{:02}:00 +0000\n\
             Message-ID: <{i}.archive@example.com>\n\
             \n\
             {body}\n",
            i % 60
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}

/// A message of [`long_letters_mbox`]: its Message-ID and the SHA-256 (hex) of its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedBody {
    pub message_id: String,
    pub body_sha256: String,
}

/// An mbox `name` in `dir` of `count` messages whose plain-text bodies of about `size` bytes
/// (ASCII lines of 80 characters, different in every message) make a large PST from a
/// mailbox half its size: Outlook stores text as UTF-16. Returns its path and each message's
/// Message-ID with the SHA-256 of its body as pstcheck normalizes it (LF line ends, no
/// trailing newline).
pub fn long_letters_mbox(
    dir: &Path,
    name: &str,
    count: usize,
    size: usize,
) -> (PathBuf, Vec<GeneratedBody>) {
    use sha2::{Digest as _, Sha256};

    const WORDS: [&str; 16] = [
        "quarterly",
        "figures",
        "meeting",
        "budget",
        "review",
        "schedule",
        "report",
        "draft",
        "invoice",
        "project",
        "minutes",
        "agenda",
        "update",
        "contract",
        "summary",
        "plan",
    ];
    let path = dir.join(name);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
    let mut generated = Vec::with_capacity(count);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut body = String::with_capacity(size + 100);
    for i in 0..count {
        body.clear();
        let mut line_number = 0;
        while body.len() < size {
            let mut line = format!("{i:04}.{line_number:06}");
            while line.len() < 72 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                line.push(' ');
                line.push_str(WORDS[(state % 16) as usize]);
            }
            line.truncate(80);
            body.push_str(&line);
            body.push('\n');
            line_number += 1;
        }
        let text = body.trim_end();
        let message_id = format!("<letter{i}.archive@example.com>");
        write!(
            out,
            "From writer@example.com Mon Jan  7 09:00:00 2019\n\
             From: Writer <writer@example.com>\n\
             To: Me <me@example.com>\n\
             Subject: Letter {i}\n\
             Date: Mon, 7 Jan 2019 10:{:02}:00 +0000\n\
             Message-ID: {message_id}\n\
             MIME-Version: 1.0\n\
             Content-Type: text/plain; charset=us-ascii\n\
             Content-Transfer-Encoding: 7bit\n\
             \n\
             {text}\n\n",
            i % 60
        )
        .unwrap();
        generated.push(GeneratedBody {
            message_id,
            body_sha256: format!("{:x}", Sha256::digest(text.as_bytes())),
        });
    }
    out.flush().unwrap();
    (path, generated)
}
