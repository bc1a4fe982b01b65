//! Mail made by the tests themselves where the corpus has nothing of the size they need; shared
//! by the test binary and the screenshot walk.

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
