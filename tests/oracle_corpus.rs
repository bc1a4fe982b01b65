//! The differential test over the whole corpus: every message of every store of `tests/corpus`
//! is read by the independent reading (`mail2pst::reading`, which shares no code with the
//! converter), converted into one PST by the job, and the PST read back by three independent
//! readers (outlook-pst, pypff, readpst through pstcheck). For every message, the attachments
//! (count, sizes, SHA-256) and the plain and HTML bodies must agree, or the difference must be
//! listed, with why, in `tests/oracle_exceptions.tsv`. A listed exception that no longer occurs
//! fails the test too, so the table says what is true today.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use mail2pst::engine::{Options, Plan, Source, StoreSelection};
use mail2pst::model::{Found, IndependentReading};
use mail2pst::reading;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::engine_common::{licensed, read_with, run, spec};
use crate::util::{corpus, project_root, temp_dir};

/// Every store of the corpus, one top folder each in the PST.
const STORES: &[&str] = &[
    "mbox",
    "eml",
    "maildir",
    "thunderbird",
    "thunderbird-profile",
    "applemail",
];

const READERS: &[&str] = &["outlook-pst", "pypff", "readpst"];

/// What is compared of one message.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// (attached message, size, SHA-256 hex), sorted; attached messages without size or hash.
    attachments: Vec<(bool, u64, String)>,
    /// Attachments the reader could not open (see [`Seen::of_reader`]).
    unknown: usize,
    /// Subject (white space collapsed), sender address (lower case), Date as
    /// `YYYY-MM-DDTHH:MM:SSZ`, Message-ID: the header fields the PST keeps. readpst takes them
    /// from the transport headers, not the PST's properties, so they are compared for the
    /// other readers only.
    headers: Option<[Option<String>; 4]>,
    body: Option<String>,
    html: Option<String>,
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Seen {
    fn of_reading(reading: &IndependentReading) -> Seen {
        let mut attachments: Vec<(bool, u64, String)> = reading
            .attachments
            .iter()
            .map(|p| {
                if p.embedded {
                    (true, 0, String::new())
                } else {
                    (false, p.size, hex(&Sha256::digest(&p.data).into()))
                }
            })
            .collect();
        attachments.sort();
        let date = reading
            .date
            .and_then(|d| chrono::DateTime::from_timestamp(d, 0))
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        Seen {
            attachments,
            unknown: 0,
            headers: Some([
                reading.subject.clone(),
                reading
                    .from
                    .as_ref()
                    .map(|(name, email)| sender(name.as_deref(), Some(email))),
                date,
                reading.message_id.clone(),
            ]),
            body: reading.text_body.map(|d| hex(&d.sha256)),
            html: reading.html_body.map(|d| hex(&d.sha256)),
        }
    }

    /// What `reader` saw. outlook-pst 1.2.0 cannot open an attached message (it does not know
    /// PtypObject, see `pst_oracle::EMBEDDED_MESSAGE_QUIRKS`) nor an empty file (it reads the
    /// empty value as PtypNull) and gives them without size or hash: for it, such an attachment
    /// stands for either.
    fn of_reader(reader: &str, message: &Value) -> Seen {
        let list = message["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let unreadable = |a: &Value| reader == "outlook-pst" && a["sha256"].is_null();
        let unknown = list.iter().filter(|a| unreadable(a)).count();
        let mut attachments: Vec<(bool, u64, String)> = Some(list)
            .map(|list| {
                list.iter()
                    .filter(|a| !unreadable(a))
                    .map(|a| {
                        if a["embedded"] == true {
                            (true, 0, String::new())
                        } else {
                            (
                                false,
                                a["size"].as_u64().unwrap_or(0),
                                a["sha256"].as_str().unwrap_or("").to_owned(),
                            )
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        attachments.sort();
        let text = |key: &str| message[key].as_str().map(str::to_owned);
        let headers = (reader != "readpst").then(|| {
            [
                text("subject").filter(|s| !s.is_empty()),
                (!message["sender_email"].is_null() || !message["sender_name"].is_null()).then(
                    || {
                        sender(
                            message["sender_name"].as_str(),
                            message["sender_email"].as_str(),
                        )
                    },
                ),
                text("submit_time"),
                text("message_id"),
            ]
        });
        Seen {
            attachments,
            unknown,
            headers,
            body: text("body_sha256"),
            html: text("html_sha256"),
        }
    }
}

/// A sender as compared: the address in lower case, then the display name in lower case with
/// quotes and runs of white space left out (`name` alone when there is no address).
fn sender(name: Option<&str>, email: Option<&str>) -> String {
    let name = name
        .map(|n| {
            n.chars()
                .filter(|c| !matches!(c, '"' | '\\'))
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .filter(|n| !n.is_empty());
    let email = email.map(str::to_lowercase).filter(|e| !e.is_empty());
    match (email, name) {
        (Some(email), Some(name)) if name != email => format!("{email} {name}"),
        (Some(email), _) => email,
        (None, name) => name.unwrap_or_default(),
    }
}

/// Senders match when their addresses do and, where both have a display name, the names do
/// (two parsers of the same field may take a comment for the name or not), as `verify` has it.
fn same_sender(source: &Option<String>, pst: &Option<String>) -> bool {
    match (source, pst) {
        (Some(a), Some(b)) => {
            let (a_email, a_name) = a.split_once(' ').unwrap_or((a, ""));
            let (b_email, b_name) = b.split_once(' ').unwrap_or((b, ""));
            a_email == b_email && (a_name.is_empty() || b_name.is_empty() || a_name == b_name)
        }
        (a, b) => a == b,
    }
}

/// The fields of `source` and `pst` that differ. A plain body the converter made from HTML has
/// nothing in the source to compare with.
fn differing(source: &Seen, pst: &Seen) -> Vec<&'static str> {
    let mut fields = Vec::new();
    // Attachments the reader could not open stand for attached messages or empty files.
    let mut expected = source.attachments.clone();
    for _ in 0..pst.unknown {
        match expected
            .iter()
            .position(|(embedded, size, _)| *embedded || *size == 0)
        {
            Some(at) => {
                expected.remove(at);
            }
            None => break,
        }
    }
    if expected.len() + pst.unknown != source.attachments.len() || expected != pst.attachments {
        fields.push("attachments");
    }
    if source.body.is_some() && source.body != pst.body {
        fields.push("body");
    }
    if source.html != pst.html {
        fields.push("html");
    }
    if let (Some(ours), Some(theirs)) = (&source.headers, &pst.headers) {
        for ((name, ours), theirs) in ["subject", "sender", "date", "message_id"]
            .into_iter()
            .zip(ours)
            .zip(theirs)
        {
            let same = if name == "sender" {
                same_sender(ours, theirs)
            } else {
                ours == theirs
            };
            if !same {
                fields.push(name);
            }
        }
    }
    fields
}

/// The exceptions table: (message, reader or `*`, field) → why.
fn exceptions() -> BTreeMap<(String, String, String), String> {
    let path = project_root().join("tests/oracle_exceptions.tsv");
    let text = fs::read_to_string(&path).unwrap();
    let mut table = BTreeMap::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let [message, reader, field, why] = cells.as_slice() else {
            panic!("{}: not four tab-separated cells: {line:?}", path.display());
        };
        assert!(
            !why.trim().is_empty(),
            "an exception without a reason: {line:?}"
        );
        table.insert(
            (message.to_string(), reader.to_string(), field.to_string()),
            why.to_string(),
        );
    }
    table
}

#[test]
fn every_corpus_message_reads_the_same_in_the_pst_as_in_the_independent_reading() {
    let out = temp_dir();
    let pst = out.path().join("corpus.pst");
    let paths: Vec<_> = STORES.iter().map(|s| corpus().join(s)).collect();
    let mut job = spec(paths.clone(), &pst, licensed());
    job.options.verify = false;
    let (report, _) = run(&job);
    assert_eq!(report.totals.folder_errors, 0);
    let readers = read_with(&pst, READERS);

    // Each reader's messages per PST folder, in the PST's order.
    let mut in_pst: BTreeMap<&str, BTreeMap<String, Vec<&Value>>> = BTreeMap::new();
    for (reader, json) in &readers {
        let folders = in_pst.entry(reader.as_str()).or_default();
        for message in json["messages"].as_array().unwrap() {
            let folder = message["folder"].as_str().unwrap().to_owned();
            // readpst writes a ':' of a folder name as '_' (its folders are directories).
            let folder = folder.replace(':', "_");
            folders.entry(folder).or_default().push(message);
        }
    }

    let selections: Vec<StoreSelection> = paths
        .iter()
        .map(|p| StoreSelection::all(Source::open(p).unwrap()))
        .collect();
    let plan = Plan::build(&selections, &Options::default());
    let stores: Vec<_> = paths
        .iter()
        .map(|p| mail2pst::sources::open(p).unwrap())
        .collect();
    let corpus_root = format!("{}/", corpus().display());
    let mut found = BTreeMap::new();
    let mut compared = 0;
    for planned in plan.folders.iter().filter(|f| f.count > 0) {
        let folder_key = planned
            .pst_path
            .iter()
            .map(|n| n.replace('/', "%2F").replace(':', "_"))
            .collect::<Vec<_>>()
            .join("/");
        let mut used: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for item in stores[planned.store]
            .messages(&planned.source_path)
            .unwrap()
        {
            let Ok(Found::Message(raw)) = item else {
                continue;
            };
            compared += 1;
            let origin = raw.origin.to_string().replace(&corpus_root, "");
            let second = reading::read(&raw.bytes);
            let source = Seen::of_reading(&second);
            for reader in READERS {
                let candidates = in_pst
                    .get(reader)
                    .and_then(|f| f.get(&folder_key))
                    .cloned()
                    .unwrap_or_default();
                let taken = used.entry(reader).or_default();
                // An unused message with the same Message-ID and subject, else the same
                // Message-ID, else the same subject, else any (corpus files share Message-IDs).
                let id = second.message_id.clone().unwrap_or_default();
                let subject = second.subject.clone().unwrap_or_default();
                let same_id = |m: &Value| !id.is_empty() && m["message_id"] == id.as_str();
                let same_subject = |m: &Value| m["subject"].as_str().unwrap_or("") == subject;
                // Among equally good candidates the one that reads the same: this pairs
                // messages that share Message-ID and subject (copies of one test message) and
                // cannot hide a difference, since a message that lost something matches none.
                let pick = |matches: &dyn Fn(&Value) -> bool| {
                    let unused: Vec<usize> = (0..candidates.len())
                        .filter(|i| !taken.contains(i) && matches(candidates[*i]))
                        .collect();
                    unused
                        .iter()
                        .copied()
                        .find(|&i| {
                            differing(&source, &Seen::of_reader(reader, candidates[i])).is_empty()
                        })
                        .or_else(|| unused.first().copied())
                };
                let index = pick(&|m| same_id(m) && same_subject(m))
                    .or_else(|| pick(&same_id))
                    .or_else(|| pick(&same_subject))
                    .or_else(|| pick(&|_| true));
                let Some(index) = index else {
                    found.insert(
                        (origin.clone(), reader.to_string(), "missing".to_owned()),
                        String::new(),
                    );
                    continue;
                };
                taken.insert(index);
                let pst = Seen::of_reader(reader, candidates[index]);
                for field in differing(&source, &pst) {
                    found.insert(
                        (origin.clone(), reader.to_string(), field.to_owned()),
                        format!("{source:?} / {pst:?}"),
                    );
                }
            }
        }
    }
    assert!(compared > 1000, "only {compared} messages compared");

    // A difference every reader shows is listed once, for `*`.
    let mut differences: BTreeMap<(String, String, String), String> = BTreeMap::new();
    for ((origin, reader, field), detail) in &found {
        let header = ["subject", "sender", "date", "message_id"].contains(&field.as_str());
        let all = READERS
            .iter()
            .filter(|r| !header || **r != "readpst")
            .all(|r| found.contains_key(&(origin.clone(), r.to_string(), field.clone())));
        let who = if all { "*" } else { reader.as_str() };
        differences.insert(
            (origin.clone(), who.to_owned(), field.clone()),
            detail.clone(),
        );
    }
    let expected = exceptions();
    let unexplained: Vec<String> = differences
        .iter()
        .filter(|(key, _)| !expected.contains_key(*key))
        .map(|((origin, reader, field), detail)| format!("{origin}\t{reader}\t{field}\t{detail}"))
        .collect();
    let stale: Vec<String> = expected
        .keys()
        .filter(|key| !differences.contains_key(*key))
        .map(|(origin, reader, field)| format!("{origin}\t{reader}\t{field}"))
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "{} differences are not in tests/oracle_exceptions.tsv:\n{}\n\n{} exceptions there no \
         longer occur:\n{}",
        unexplained.len(),
        unexplained.join("\n"),
        stale.len(),
        stale.join("\n")
    );
}
