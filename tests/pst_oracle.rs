//! The PST oracle: independent readers (readpst, pffexport, pypff, pst-extractor and
//! Microsoft's outlook-pst crate, through `pstcheck`) open a file we wrote and must all see
//! exactly the folders and messages we put in. `scripts/install-readers.sh` installs them into
//! `target/pstcheck/`; a missing reader fails the test.
//!
//! What we expect is described in pstcheck's normalized JSON (`schema: "pstcheck/1"`), made
//! here from the [`Message`] values the test wrote. Fields that a reader cannot provide are
//! listed by pstcheck itself (e.g. readpst has no delivery time); nothing is ignored here.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::DateTime;
use mail2pst::pst::messaging::subject::{MAX_SUBJECT_UNITS, truncate_utf16};
use mail2pst::pst::{AttachmentContent, FileTime, Message, RecipientKind};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::util::{project_root, temp_dir};

/// The readers every PST is read with (pstcheck's default set).
pub const DEFAULT_READERS: &[&str] = &[
    "readpst",
    "pffexport",
    "pypff",
    "pst-extractor",
    "outlook-pst",
];

/// The pstcheck driver installed by `scripts/install-readers.sh`.
pub fn pstcheck() -> PathBuf {
    project_root().join("target/pstcheck/pstcheck")
}

/// What the readers should find in a PST: its folders (paths below the IPM subtree)
/// and messages.
#[derive(Debug, Default)]
pub struct Expected {
    store_name: String,
    /// Messages per folder path.
    folders: BTreeMap<Vec<String>, usize>,
    messages: Vec<Value>,
}

impl Expected {
    pub fn new(store_name: &str) -> Expected {
        Expected {
            store_name: store_name.to_owned(),
            ..Expected::default()
        }
    }

    /// A message the test wrote into the folder at `path`.
    pub fn message(&mut self, path: &[&str], message: &Message) {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        *self.folders.entry(path.clone()).or_default() += 1;
        self.messages
            .push(expected_message(&folder_key(&path), message));
    }

    /// pstcheck's normalized JSON. Folders are listed when they hold messages (readpst writes
    /// no directory for an empty folder), with their ancestors.
    pub fn to_json(&self) -> Value {
        let mut folders: BTreeMap<String, usize> = BTreeMap::new();
        for (path, count) in &self.folders {
            for depth in 1..path.len() {
                folders.entry(folder_key(&path[..depth])).or_default();
            }
            *folders.entry(folder_key(path)).or_default() += count;
        }
        let mut messages = self.messages.clone();
        messages.sort_by_key(|m| {
            ["folder", "submit_time", "subject", "message_id"]
                .map(|k| m[k].as_str().unwrap_or("").to_owned())
        });
        let attachments: usize = messages
            .iter()
            .map(|m| m["attachments"].as_array().map_or(0, Vec::len))
            .sum();
        json!({
            "schema": "pstcheck/1",
            "reader": "expected",
            "reader_version": null,
            "ok": true,
            "error": null,
            "elapsed_s": 0,
            "pst": {"path": null, "bytes": null},
            "store_name": self.store_name,
            "unsupported": [],
            "warnings": [],
            "folders": folders.iter().map(|(path, count)| json!({
                "path": path, "messages": count, "content_count": null
            })).collect::<Vec<_>>(),
            "totals": {
                "folders": folders.len(),
                "messages": messages.len(),
                "attachments": attachments,
                "message_errors": 0,
            },
            "messages": messages,
        })
    }
}

/// A known way a reader sees something we wrote differently, without it being our error. Every
/// allowance the tests use is one of the constants below, with its reason.
#[derive(Clone, Copy, Debug)]
pub struct Allowance {
    pub reader: &'static str,
    /// The field not compared for this reader; `None` leaves the reader out of the run.
    pub field: Option<&'static str>,
    pub why: &'static str,
}

/// Reader behaviour around attachments that are messages (message/rfc822 → embedded message).
pub const EMBEDDED_MESSAGE_QUIRKS: &[Allowance] = &[
    Allowance {
        reader: "readpst",
        field: Some("attachments"),
        why: "readpst writes an embedded message as a message/rfc822 part without a file name",
    },
    Allowance {
        reader: "pffexport",
        field: Some("attachments"),
        why: "pffexport names an embedded message's directory AttachmentNNNNN, not by its name",
    },
    Allowance {
        reader: "outlook-pst",
        field: None,
        why: "outlook-pst 1.2.0 does not know wPropType 0x000D (PtypObject, its \
              PropertyType::try_from): its PC reader stops at the 0x3701 record, loses every \
              later property of the attachment and reports 'Missing PidTagAttachMethod'",
    },
];

/// Reader behaviour on a message with hundreds of recipients.
pub const MANY_RECIPIENTS_QUIRKS: &[Allowance] = &[Allowance {
    reader: "pst-extractor",
    field: None,
    why: "pst-extractor 1.12.0 reads the whole recipient table again for every recipient \
          (PSTMessage.getRecipient calls getItems()): 120 recipients take 10 s, 500 several \
          minutes, past pstcheck's timeout",
}];

/// Runs every default reader on `pst` and compares them with each other and with `expected`.
/// Panics with pstcheck's report unless all of them opened the file and agree.
pub fn check(pst: &Path, expected: &Expected) {
    check_allowing(pst, expected, &[]);
}

/// [`check`] with the listed allowances. First `pst::verify`, our own check, must find nothing.
pub fn check_allowing(pst: &Path, expected: &Expected, allowances: &[Allowance]) {
    let report = mail2pst::pst::verify(pst).unwrap();
    assert!(
        report.is_clean(),
        "pst::verify found problems in {}:\n{}",
        pst.display(),
        report.describe()
    );
    let driver = pstcheck();
    assert!(
        driver.exists(),
        "{} is missing: run scripts/install-readers.sh",
        driver.display()
    );
    let work = temp_dir();
    let expected_path = work.path().join("expected.json");
    std::fs::write(
        &expected_path,
        serde_json::to_string_pretty(&expected.to_json()).unwrap(),
    )
    .unwrap();
    let readers: Vec<&str> = DEFAULT_READERS
        .iter()
        .copied()
        .filter(|r| {
            !allowances
                .iter()
                .any(|a| a.reader == *r && a.field.is_none())
        })
        .collect();
    let mut command = Command::new(&driver);
    command
        .arg("--workdir")
        .arg(work.path())
        .arg("compare")
        .arg(pst)
        .arg("--expected")
        .arg(&expected_path)
        .args(["--details", "40", "--readers", &readers.join(",")]);
    for allowance in allowances {
        if let Some(field) = allowance.field {
            command
                .arg("--ignore")
                .arg(format!("{}.{field}", allowance.reader));
        }
    }
    let output = command.output().expect("run pstcheck");
    assert!(
        output.status.success(),
        "pstcheck compare {} failed ({}):\n{}\n{}",
        pst.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A folder path as pstcheck writes it: names joined by "/", a "/" in a name as %2F.
fn folder_key(path: &[String]) -> String {
    path.iter()
        .map(|name| name.replace('/', "%2F"))
        .collect::<Vec<_>>()
        .join("/")
}

/// Python's `str.isspace()`, which pstcheck's normalization uses.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// pstcheck's `norm_str`: NULs dropped, whitespace runs collapsed to one space, trimmed.
fn norm_str(s: Option<&str>) -> Option<String> {
    let s = s?.replace('\0', "");
    let words: Vec<&str> = s.split(is_python_space).filter(|w| !w.is_empty()).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// pstcheck's `norm_text` for bodies: NULs dropped, CRLF and CR to LF, trimmed.
fn norm_text(s: Option<&str>) -> Option<String> {
    let s = s?
        .replace('\0', "")
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let s = s.trim_matches(is_python_space);
    (!s.is_empty()).then(|| s.to_owned())
}

fn norm_addr(a: &str) -> Option<String> {
    let a = a.trim().trim_matches(['<', '>']).trim();
    let a = a
        .strip_prefix("smtp:")
        .or_else(|| a.strip_prefix("SMTP:"))
        .unwrap_or(a);
    (!a.is_empty()).then(|| a.to_lowercase())
}

fn norm_msgid(s: Option<&str>) -> Option<String> {
    let s = norm_str(s)?;
    let s = s.trim().trim_matches(['<', '>']).trim();
    (!s.is_empty()).then(|| format!("<{s}>"))
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn iso(time: Option<FileTime>) -> Option<String> {
    let time = DateTime::from_timestamp(time?.to_unix(), 0)?;
    (1980..=4000)
        .contains(&chrono::Datelike::year(&time))
        .then(|| time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn has_non_bmp(texts: &[Option<&str>]) -> bool {
    texts
        .iter()
        .flatten()
        .any(|t| t.chars().any(|c| u32::from(c) > 0xFFFF))
}

/// The normalized form of one message, as every reader should report it.
pub fn expected_message(folder: &str, message: &Message) -> Value {
    let subject = message
        .subject
        .as_deref()
        .map(|s| truncate_utf16(s, MAX_SUBJECT_UNITS));
    let author = message.from.as_ref().or(message.sender.as_ref());
    let sender_email = author.and_then(|a| norm_addr(&a.email));
    let mut sender_name = author.and_then(|a| norm_str(Some(a.display())));
    if sender_name.is_some()
        && sender_name
            .as_deref()
            .map(|n| n.trim_matches(['\'', '"', ' ', '<', '>']).to_lowercase())
            == sender_email
    {
        sender_name = None;
    }
    let recipients = |kind: RecipientKind| -> Vec<String> {
        let mut list: Vec<String> = message
            .recipients
            .iter()
            .filter(|r| r.kind == kind)
            .filter_map(|r| {
                if r.address.email.contains('@') {
                    norm_addr(&r.address.email)
                } else {
                    norm_addr(r.address.display())
                }
            })
            .collect();
        list.sort();
        list.dedup();
        list
    };
    let body = norm_text(message.body_text.as_deref());
    let html = norm_text(message.body_html.as_deref());
    let mut attachments: Vec<Value> = message
        .attachments
        .iter()
        .map(|a| match &a.content {
            AttachmentContent::Data(data) => json!({
                "filename": a.filename,
                "embedded": false,
                "size": data.len(),
                "sha256": sha256_hex(data),
            }),
            AttachmentContent::Streamed(data) => {
                let data = data.to_vec().unwrap();
                json!({
                    "filename": a.filename,
                    "embedded": false,
                    "size": data.len(),
                    "sha256": sha256_hex(&data),
                })
            }
            AttachmentContent::Message(inner) => json!({
                "filename": a.filename.clone().or_else(|| inner.subject.clone()),
                "embedded": true,
                "size": null,
                "sha256": null,
                "embedded_subject": norm_str(inner.subject.as_deref()),
            }),
        })
        .collect();
    attachments.sort_by_key(|a| {
        (
            a["filename"].as_str().unwrap_or("").to_owned(),
            a["sha256"].as_str().unwrap_or("").to_owned(),
        )
    });
    json!({
        "folder": folder,
        "subject": norm_str(subject),
        "sender_email": sender_email,
        "sender_name": sender_name,
        "to": recipients(RecipientKind::To),
        "cc": recipients(RecipientKind::Cc),
        "bcc": recipients(RecipientKind::Bcc),
        "submit_time": iso(message.submit_time),
        "delivery_time": iso(message.delivery_time),
        "message_id": norm_msgid(message.internet_message_id.as_deref()),
        "body_sha256": body.as_deref().map(|b| sha256_hex(b.as_bytes())),
        "body_len": body.as_deref().map_or(0, |b| b.chars().count()),
        "html_present": html.is_some(),
        "html_sha256": html.as_deref().map(|h| sha256_hex(h.as_bytes())),
        "attachments": attachments,
        "read": message.state.read,
        "non_bmp": has_non_bmp(&[
            subject,
            body.as_deref(),
            html.as_deref(),
            author.and_then(|a| a.name.as_deref()),
        ]),
        "error": null,
        "skip_fields": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail2pst::pst::{Address, Attachment, Recipient};

    #[test]
    fn expected_json_follows_the_pstcheck_normalization() {
        let message = Message {
            subject: Some("  RE:  Hello\tworld ".into()),
            from: Some(Address::new(Some("Ann@Example.com"), "Ann@Example.com")),
            recipients: vec![
                Recipient {
                    kind: RecipientKind::To,
                    address: Address::new(Some("Bob"), "BOB@example.com"),
                },
                Recipient {
                    kind: RecipientKind::To,
                    address: Address::new(None, "bob@example.com"),
                },
                Recipient {
                    kind: RecipientKind::Cc,
                    address: Address::new(Some("Team"), ""),
                },
            ],
            submit_time: FileTime::from_unix(1_000_000_000),
            internet_message_id: Some("id@x".into()),
            body_text: Some("line\r\nnext\r\n\r\n".into()),
            body_html: Some("😀".into()),
            attachments: vec![Attachment {
                filename: Some("b.bin".into()),
                mime_type: None,
                content_id: None,
                content_location: None,
                hidden: false,
                content: AttachmentContent::Data(b"abc".to_vec()),
            }],
            ..Message::default()
        };
        let value = expected_message("Inbox", &message);
        assert_eq!(value["subject"], "RE: Hello world");
        assert_eq!(value["sender_email"], "ann@example.com");
        assert_eq!(value["sender_name"], Value::Null);
        assert_eq!(value["to"], json!(["bob@example.com"]));
        assert_eq!(value["cc"], json!(["team"]));
        assert_eq!(value["submit_time"], "2001-09-09T01:46:40Z");
        assert_eq!(value["delivery_time"], Value::Null);
        assert_eq!(value["message_id"], "<id@x>");
        assert_eq!(value["body_sha256"], sha256_hex(b"line\nnext"));
        assert_eq!(value["non_bmp"], true);
        assert_eq!(
            value["attachments"][0]["sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );

        let mut expected = Expected::new("Mail");
        expected.message(&["Inbox", "a/b"], &message);
        let json = expected.to_json();
        assert_eq!(
            json["folders"],
            json!([
                {"path": "Inbox", "messages": 0, "content_count": null},
                {"path": "Inbox/a%2Fb", "messages": 1, "content_count": null},
            ])
        );
        assert_eq!(json["messages"][0]["folder"], "Inbox/a%2Fb");
        assert_eq!(json["totals"]["attachments"], 1);
    }
}
