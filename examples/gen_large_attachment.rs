//! Writes an mbox of one message with one attachment of any size (random bytes, base64), and a
//! few small messages around it, for measuring what a large attachment costs in memory
//! (`scripts/bench-large-attachment.sh`). The attachment is written as it is made, never held.
//!
//! `cargo run --release --example gen_large_attachment -- --size 300MB --out large.mbox`

use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

const USAGE: &str = "usage: gen_large_attachment --size SIZE --out FILE.mbox
  SIZE: the attachment's bytes, or with a unit (KB, MB, GB: powers of 1024), e.g. 300MB";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|at| args.get(at + 1))
    };
    let (Some(size), Some(out)) = (value("--size").and_then(|s| parse_size(s)), value("--out"))
    else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    match write(size, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gen_large_attachment: {out}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_size(text: &str) -> Option<u64> {
    let upper = text.trim().to_ascii_uppercase();
    let (number, unit) = match upper.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => upper.split_at(at),
        None => (upper.as_str(), ""),
    };
    let factor: u64 = match unit {
        "" | "B" => 1,
        "KB" | "K" => 1 << 10,
        "MB" | "M" => 1 << 20,
        "GB" | "G" => 1 << 30,
        _ => return None,
    };
    number.trim().parse::<u64>().ok().map(|n| n * factor)
}

fn small(out: &mut impl io::Write, index: u32) -> io::Result<()> {
    write!(
        out,
        "From ann@example.com Mon Jan  7 09:00:00 2019\n\
         From: Ann <ann@example.com>\nTo: Bob <bob@example.com>\n\
         Subject: Note {index}\nMessage-ID: <note{index}@example.com>\n\
         Date: Mon, 7 Jan 2019 09:00:00 +0000\n\nA short note.\n\n"
    )
}

fn write(size: u64, path: &str) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    small(&mut out, 1)?;
    write!(
        out,
        "From ann@example.com Mon Jan  7 09:05:00 2019\n\
         From: Ann <ann@example.com>\nTo: Bob <bob@example.com>\n\
         Subject: The scans\nMessage-ID: <scans@example.com>\n\
         Date: Mon, 7 Jan 2019 09:05:00 +0000\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"part\"\n\n\
         --part\nContent-Type: text/plain; charset=utf-8\n\nThe scans are attached.\n\
         --part\nContent-Type: application/octet-stream; name=\"scans.bin\"\n\
         Content-Disposition: attachment; filename=\"scans.bin\"\n\
         Content-Transfer-Encoding: base64\n\n"
    )?;
    // SplitMix64 bytes, encoded 57 at a time: one 76-character line each.
    let mut state = 1u64;
    let mut left = size;
    let mut chunk = Vec::with_capacity(57 * 1024);
    let mut line = String::with_capacity(80 * 1024);
    while left > 0 {
        chunk.clear();
        while chunk.len() < 57 * 1024 && left > 0 {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let bytes = (z ^ (z >> 31)).to_le_bytes();
            let take = bytes.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            chunk.extend_from_slice(&bytes[..take]);
            left -= take as u64;
        }
        line.clear();
        for piece in chunk.chunks(57) {
            BASE64.encode_string(piece, &mut line);
            line.push('\n');
        }
        out.write_all(line.as_bytes())?;
    }
    out.write_all(b"--part--\n\n")?;
    small(&mut out, 2)?;
    out.flush()
}
