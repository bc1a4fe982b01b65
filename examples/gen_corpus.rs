//! Writes a realistic mbox of any size for benchmarks, the same bytes for the same seed:
//! plain, HTML and multipart/alternative messages, attachments from 1 KB to 20 MB (most small,
//! a few large), subjects and names in several charsets (RFC 2047), threads with In-Reply-To
//! and References, inline images, forwarded messages attached as message/rfc822.
//!
//! `cargo run --release --example gen_corpus -- --size 2GB --out big.mbox --seed 1`

use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

const USAGE: &str = "usage: gen_corpus --size SIZE --out FILE.mbox [--seed N] [--text-only]
  SIZE: bytes, or with a unit (KB, MB, GB: powers of 1024), e.g. 2GB or 500MB
  --text-only: no attachments, a few KB per message (many messages for their size)";

/// SplitMix64: small, fast and the same everywhere.
#[derive(Debug)]
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn fill(&mut self, buffer: &mut [u8]) {
        for chunk in buffer.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

const FIRST_NAMES: &[&str] = &[
    "Anna", "Sam", "Jürgen", "Chloé", "Hiroshi", "Olga", "Mateo", "Priya", "Liam", "Zoë", "Björn",
    "Fatima", "Wei", "Ingrid", "Tomás", "Aiko",
];
const LAST_NAMES: &[&str] = &[
    "Berg",
    "Lee",
    "Müller",
    "Dubois",
    "Tanaka",
    "Ivanova",
    "García",
    "Sharma",
    "Walsh",
    "Novak",
    "Lindqvist",
    "Haddad",
    "Zhang",
    "Olsen",
    "Ruiz",
    "Sato",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "mail.example.de",
];
const WORDS: &[&str] = &[
    "meeting",
    "budget",
    "quarter",
    "report",
    "draft",
    "review",
    "schedule",
    "invoice",
    "project",
    "deadline",
    "customer",
    "design",
    "release",
    "update",
    "question",
    "notes",
    "plan",
    "team",
    "travel",
    "contract",
    "the",
    "and",
    "of",
    "to",
    "we",
    "please",
    "could",
    "you",
    "send",
    "before",
    "Friday",
    "attached",
    "thanks",
    "regarding",
    "our",
    "next",
    "week",
    "office",
    "numbers",
    "final",
];
/// Subject phrases in their charsets, as the bytes a mail program would send.
const ENCODED_PHRASES: &[(&str, &[u8])] = &[
    (
        "koi8-r",
        &[
            240, 210, 201, 215, 197, 212, 44, 32, 203, 193, 203, 32, 196, 197, 204, 193,
        ],
    ),
    (
        "iso-2022-jp",
        &[
            27, 36, 66, 70, 124, 75, 92, 56, 108, 36, 78, 37, 97, 33, 60, 37, 107, 27, 40, 66,
        ],
    ),
    (
        "iso-8859-1",
        &[
            67, 97, 102, 233, 32, 99, 114, 232, 109, 101, 32, 98, 114, 251, 108, 233, 101,
        ],
    ),
    (
        "windows-1252",
        &[
            128, 117, 114, 111, 32, 220, 98, 101, 114, 119, 101, 105, 115, 117, 110, 103,
        ],
    ),
    (
        "gb2312",
        &[214, 208, 206, 196, 211, 202, 188, 254, 178, 226, 202, 212],
    ),
    ("utf-8", "Grüße aus München".as_bytes()),
    ("utf-8", "日本語のメール".as_bytes()),
    (
        "iso-8859-7",
        &[197, 235, 235, 231, 237, 233, 234, 220, 32, 237, 221, 225],
    ),
    (
        "iso-8859-2",
        &[90, 97, 191, 243, 179, 230, 32, 103, 234, 182, 108, 177],
    ),
];
const ATTACHMENT_TYPES: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/jpeg", "jpg"),
    ("application/zip", "zip"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("image/png", "png"),
];
const FILE_STEMS: &[&str] = &[
    "report",
    "Angebot-für-Kunden",
    "photo",
    "résumé",
    "契約書",
    "data",
];

/// A message already written, for replies.
#[derive(Clone, Debug)]
struct Sent {
    id: String,
    subject: String,
    references: String,
}

#[derive(Debug)]
struct Generator {
    random: Random,
    sent: Vec<Sent>,
    count: u64,
    /// Unix seconds of the next message; advances a little each time.
    clock: i64,
    /// Messages may have attachments (else they are text, HTML and inline images only).
    attachments: bool,
}

impl Generator {
    fn person(&mut self) -> (String, String) {
        let first = *self.random.pick(FIRST_NAMES);
        let last = *self.random.pick(LAST_NAMES);
        let domain = *self.random.pick(DOMAINS);
        let local: String = format!("{first}.{last}")
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    'x'
                }
            })
            .collect();
        (format!("{first} {last}"), format!("{local}@{domain}"))
    }

    /// A display name, as an encoded word when it is not ASCII.
    fn mailbox(&mut self) -> (String, String) {
        let (name, address) = self.person();
        let shown = if name.is_ascii() {
            format!("{name} <{address}>")
        } else {
            format!("=?utf-8?b?{}?= <{address}>", BASE64.encode(name.as_bytes()))
        };
        (shown, address)
    }

    fn words(&mut self, count: u64) -> String {
        let mut text = String::new();
        for index in 0..count {
            if index > 0 {
                text.push(' ');
            }
            text.push_str(self.random.pick::<&str>(WORDS));
        }
        text
    }

    fn paragraphs(&mut self, count: u64) -> Vec<String> {
        (0..count)
            .map(|_| {
                let words = self.random.between(20, 120);
                let mut text = self.words(words);
                if let Some(first) = text.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                text.push('.');
                text
            })
            .collect()
    }

    /// A subject line: plain, or with an encoded phrase in one of several charsets.
    fn subject(&mut self) -> String {
        let words = self.random.between(2, 7);
        let plain = self.words(words);
        if self.random.chance(30) {
            let (charset, bytes) = *self.random.pick(ENCODED_PHRASES);
            let encoded = if self.random.chance(50) {
                format!("=?{charset}?B?{}?=", BASE64.encode(bytes))
            } else {
                let mut q = format!("=?{charset}?Q?");
                for &b in bytes {
                    if b.is_ascii_alphanumeric() {
                        q.push(char::from(b));
                    } else if b == b' ' {
                        q.push('_');
                    } else {
                        q.push_str(&format!("={b:02X}"));
                    }
                }
                q.push_str("?=");
                q
            };
            format!("{plain} {encoded}")
        } else {
            plain
        }
    }

    /// Attachment size: mostly small, a few large, from 1 KB to 20 MB. The mix gives about
    /// 25,000 messages per gigabyte of mbox.
    fn attachment_size(&mut self) -> usize {
        let roll = self.random.below(1000);
        let (low, high) = match roll {
            0..700 => (1 << 10, 50 << 10),
            700..950 => (50 << 10, 500 << 10),
            950..998 => (500 << 10, 2560 << 10),
            _ => (5 << 20, 20 << 20),
        };
        self.random.between(low, high) as usize
    }

    fn attachment(&mut self, boundary: &str, out: &mut Vec<u8>) {
        let (mime, extension) = *self.random.pick(ATTACHMENT_TYPES);
        let stem = *self.random.pick(FILE_STEMS);
        let name = format!("{stem}-{}.{extension}", self.random.below(1000));
        let size = self.attachment_size();
        let mut data = vec![0u8; size];
        self.random.fill(&mut data);
        let disposition = if name.is_ascii() {
            format!("attachment; filename=\"{name}\"")
        } else {
            let encoded: String = name
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("attachment; filename*=utf-8''{encoded}")
        };
        let _ = write!(
            out,
            "--{boundary}\nContent-Type: {mime}\nContent-Disposition: {disposition}\n\
             Content-Transfer-Encoding: base64\n\n"
        );
        base64_lines(&data, out);
    }

    fn date(&mut self) -> (String, String) {
        self.clock += self.random.between(30, 7200) as i64;
        let time = chrono::DateTime::from_timestamp(self.clock, 0).unwrap_or_default();
        let zone = *self
            .random
            .pick(&["+0000", "+0100", "-0500", "+0900", "+0530"]);
        (
            time.format(&format!("%a, %d %b %Y %H:%M:%S {zone}"))
                .to_string(),
            time.format("%a %b %e %H:%M:%S %Y").to_string(),
        )
    }

    /// One whole message (RFC 5322, LF line ends) and the date for its From_ line.
    fn message(&mut self, depth: u32) -> (Vec<u8>, String, String) {
        self.count += 1;
        let (from, address) = self.mailbox();
        let (to, _) = self.mailbox();
        let (date, from_line_date) = self.date();
        let id = format!(
            "<{}.{}@gen.example.com>",
            self.count,
            self.random.next() % 1_000_000
        );
        let reply_to = if !self.sent.is_empty() && self.random.chance(30) {
            let index = self.random.below(self.sent.len() as u64) as usize;
            self.sent.get(index).cloned()
        } else {
            None
        };
        let subject = match &reply_to {
            Some(parent) => format!("Re: {}", parent.subject.trim_start_matches("Re: ")),
            None => self.subject(),
        };
        let mut out = Vec::new();
        let _ = write!(out, "From: {from}\nTo: {to}\n");
        if self.random.chance(25) {
            let (cc, _) = self.mailbox();
            let _ = writeln!(out, "Cc: {cc}");
        }
        let _ = write!(out, "Subject: {subject}\nDate: {date}\nMessage-ID: {id}\n");
        let references = match &reply_to {
            Some(parent) => {
                let references = format!("{} {}", parent.references, parent.id)
                    .trim()
                    .to_owned();
                let _ = write!(
                    out,
                    "In-Reply-To: {}\nReferences: {references}\n",
                    parent.id
                );
                references
            }
            None => String::new(),
        };
        out.extend_from_slice(b"MIME-Version: 1.0\n");
        let paragraphs = self.random.between(1, 8);
        let mut paragraphs = self.paragraphs(paragraphs);
        if reply_to.is_some() {
            let quoted = self.paragraphs(2);
            paragraphs.push(
                quoted
                    .iter()
                    .map(|p| format!("> {p}"))
                    .collect::<Vec<_>>()
                    .join("\n>\n"),
            );
        }
        let plain = paragraphs.join("\n\n");
        let html = format!(
            "<html><body>{}</body></html>",
            paragraphs
                .iter()
                .map(|p| format!("<p>{p}</p>"))
                .collect::<String>()
        );
        let attachments = if self.random.chance(7) && self.attachments {
            self.random.between(1, 3)
        } else {
            0
        };
        let forwarded = depth == 0 && self.random.chance(3);
        let inline_image = self.random.chance(4);
        let boundary = format!("b{}x{}", self.count, depth);
        let kind = self.random.below(100);
        if attachments == 0 && !forwarded && !inline_image {
            match kind {
                0..50 => text_part("text/plain", &plain, &mut out),
                50..62 => text_part("text/html", &html, &mut out),
                _ => alternative(&boundary, &plain, &html, &mut out),
            }
        } else {
            let _ = write!(
                out,
                "Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\n\
                 This is a multi-part message in MIME format.\n"
            );
            let _ = writeln!(out, "--{boundary}");
            if inline_image {
                let related = format!("{boundary}r");
                let html = html.replace("</body>", "<img src=\"cid:logo@gen.example.com\"></body>");
                let _ = write!(
                    out,
                    "Content-Type: multipart/related; boundary=\"{related}\"\n\n--{related}\n"
                );
                text_part("text/html", &html, &mut out);
                let mut image = vec![0u8; self.random.between(2 << 10, 40 << 10) as usize];
                self.random.fill(&mut image);
                let _ = write!(
                    out,
                    "--{related}\nContent-Type: image/png\nContent-ID: <logo@gen.example.com>\n\
                     Content-Disposition: inline\nContent-Transfer-Encoding: base64\n\n"
                );
                base64_lines(&image, &mut out);
                let _ = writeln!(out, "--{related}--");
            } else {
                alternative(&format!("{boundary}a"), &plain, &html, &mut out);
            }
            for _ in 0..attachments {
                self.attachment(&boundary, &mut out);
            }
            if forwarded {
                let (inner, _, _) = self.message(depth + 1);
                let _ = write!(
                    out,
                    "--{boundary}\nContent-Type: message/rfc822\n\
                     Content-Disposition: attachment; filename=\"forwarded.eml\"\n\n"
                );
                out.extend_from_slice(&inner);
                out.push(b'\n');
            }
            let _ = writeln!(out, "--{boundary}--");
        }
        if depth == 0 {
            self.sent.push(Sent {
                id,
                subject,
                references,
            });
            if self.sent.len() > 500 {
                self.sent.remove(0);
            }
        }
        (out, address, from_line_date)
    }
}

fn text_part(content_type: &str, text: &str, out: &mut Vec<u8>) {
    let _ = write!(
        out,
        "Content-Type: {content_type}; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}\n"
    );
}

fn alternative(boundary: &str, plain: &str, html: &str, out: &mut Vec<u8>) {
    let _ = write!(
        out,
        "Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n--{boundary}\n"
    );
    text_part("text/plain", plain, out);
    let _ = writeln!(out, "--{boundary}");
    text_part("text/html", html, out);
    let _ = writeln!(out, "--{boundary}--");
}

fn base64_lines(data: &[u8], out: &mut Vec<u8>) {
    let encoded = BASE64.encode(data);
    for line in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.push(b'\n');
    }
}

/// Writes `message` as mboxrd: From_ line, `>`-escaped From lines, blank line after.
fn write_mbox(
    out: &mut impl io::Write,
    sender: &str,
    date: &str,
    message: &[u8],
) -> io::Result<u64> {
    let mut written = 0u64;
    let from_line = format!("From {sender} {date}\n");
    out.write_all(from_line.as_bytes())?;
    written += from_line.len() as u64;
    for line in message.split_inclusive(|&b| b == b'\n') {
        let unquoted = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
        if line[unquoted..].starts_with(b"From ") {
            out.write_all(b">")?;
            written += 1;
        }
        out.write_all(line)?;
        written += line.len() as u64;
    }
    if !message.ends_with(b"\n") {
        out.write_all(b"\n")?;
        written += 1;
    }
    out.write_all(b"\n")?;
    Ok(written + 1)
}

fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: u64 = match unit.trim().trim_end_matches('b').trim_end_matches('i') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return None,
    };
    let value: f64 = number.parse().ok()?;
    Some((value * multiplier as f64) as u64)
}

fn main() -> ExitCode {
    let mut size = None;
    let mut out = None;
    let mut seed = 1u64;
    let mut attachments = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--text-only" => attachments = false,
            "--size" => size = args.next().and_then(|value| parse_size(&value)),
            "--out" => out = args.next().map(PathBuf::from),
            "--seed" => match args.next().map(|value| value.parse()) {
                Some(Ok(value)) => seed = value,
                _ => size = None,
            },
            _ => size = None,
        }
    }
    let (Some(size), Some(out)) = (size, out) else {
        eprintln!("{USAGE}");
        return ExitCode::from(1);
    };
    match generate(size, &out, seed, attachments) {
        Ok((messages, bytes)) => {
            println!("{}: {messages} messages, {bytes} bytes", out.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gen_corpus: {}: {error}", out.display());
            ExitCode::from(1)
        }
    }
}

fn generate(size: u64, path: &PathBuf, seed: u64, attachments: bool) -> io::Result<(u64, u64)> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut generator = Generator {
        random: Random(seed),
        sent: Vec::new(),
        count: 0,
        // 2015-01-01
        clock: 1_420_070_400,
        attachments,
    };
    let mut written = 0u64;
    let mut messages = 0u64;
    while written < size {
        let (message, sender, date) = generator.message(0);
        written += write_mbox(&mut out, &sender, &date, &message)?;
        messages += 1;
    }
    out.flush()?;
    Ok((messages, written))
}
