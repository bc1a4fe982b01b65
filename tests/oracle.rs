//! Nothing lost without a word: mail of the shapes that used to lose content silently, each
//! built here from the shape real mail has, converted as a person converts it (the program, in
//! a temporary folder), and the PST read back by the independent readers. And `verify`, which
//! compares the PST with an independent reading of the sources, catching a converter that drops
//! an attachment.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use mail2pst::convert;
use mail2pst::engine::{Options, Plan, Source, StoreSelection};
use mail2pst::model::Found;
use mail2pst::pst::{FileTime, FolderId, PstWriter, WriterOptions};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::apple_mail_fixtures::apple_corpus;
use crate::engine_common::{corpus_path, key_text, read_with};
use crate::util::temp_dir;

/// The independent readers every PST of these tests is read with.
const READERS: &[&str] = &["readpst", "pypff", "outlook-pst"];

/// Runs the program with a license and a configuration folder of its own.
fn mail2pst(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mail2pst"))
        .args(args)
        .env("HOME", config)
        .env("XDG_CONFIG_HOME", config)
        .env("MAIL2PST_LICENSE_KEY", key_text("valid.key"))
        .env_remove("MAIL2PST_LOG")
        .output()
        .unwrap()
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Converts `source` into `out/mail.pst` and returns the exit code and the JSON report.
fn convert_to(source: &Path, out: &Path) -> (i32, Value, PathBuf) {
    let pst = out.join("mail.pst");
    let output = mail2pst(&["convert", arg(source), "-o", arg(&pst), "--json"], out);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&output.stdout), text(&output.stderr)));
    (output.status.code().unwrap(), report, pst)
}

/// Bytes that look like a file and compress like none: the same for every run.
fn file_bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect()
}

/// Base64 in 76-character lines, as mail clients write it.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    lines.join("\n")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A multipart message with a text part and one attachment part, whose headers and body are
/// joined by `between` (a blank line in well-formed mail).
fn message_with_attachment(subject: &str, name: &str, body: &str, between: &str) -> String {
    format!(
        "From: Ann <ann@example.org>\nTo: bob@example.org\nSubject: {subject}\n\
         Date: Mon, 01 Jan 2024 10:00:00 +0000\nMessage-ID: <{name}@example.org>\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n\
         --b1\nContent-Type: text/plain; charset=utf-8\n\nThe file is attached.\n\
         --b1\nContent-Type: application/pdf; name=\"{name}\"\n\
         Content-Disposition: attachment; filename=\"{name}\"\n\
         Content-Transfer-Encoding: base64\n{between}{body}\n--b1--\n"
    )
}

/// An attachment as a reader sees it: file name, size, SHA-256.
type SeenAttachment = (String, u64, String);

/// Every reader's attachments of the message with `subject`.
fn attachments_seen(pst: &Path, subject: &str) -> Vec<(String, Vec<SeenAttachment>)> {
    read_with(pst, READERS)
        .into_iter()
        .map(|(reader, json)| {
            let message = json["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["subject"] == subject)
                .unwrap_or_else(|| panic!("{reader} does not see {subject:?}"))
                .clone();
            let attachments = message["attachments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["filename"].as_str().unwrap_or("").to_owned(),
                        a["size"].as_u64().unwrap_or(0),
                        a["sha256"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect();
            (reader, attachments)
        })
        .collect()
}

/// The warnings the report lists for messages of every folder, with where each message is.
fn warnings(report: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for folder in report["folders"].as_array().unwrap() {
        for item in folder["converted_with_warnings"].as_array().unwrap() {
            let origin = &item["origin"];
            let place = match origin["offset"].as_u64() {
                Some(offset) => format!("{} at byte {offset}", origin["path"].as_str().unwrap()),
                None => origin["path"].as_str().unwrap().to_owned(),
            };
            for warning in item["warnings"].as_array().unwrap() {
                out.push((place.clone(), warning.as_str().unwrap().to_owned()));
            }
        }
    }
    out
}

/// Class (a): real mail from a widely used client puts an attachment's base64 right after the
/// part's headers, with no blank line. Python's `email` package and MimeKit read the 3,750
/// bytes; so must we, and the report says what was repaired.
#[test]
fn an_attachment_whose_body_follows_its_headers_without_a_blank_line_is_kept_whole() {
    let dir = temp_dir();
    let pdf = file_bytes(3750, 7);
    let message = message_with_attachment("No blank line", "report.pdf", &base64_lines(&pdf), "");
    let mbox = dir.path().join("inbox.mbox");
    fs::write(
        &mbox,
        format!("From ann@example.org Mon Jan  1 10:00:00 2024\n{message}"),
    )
    .unwrap();
    let (code, report, pst) = convert_to(&mbox, dir.path());
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["totals"]["written"], 1);
    let warned = warnings(&report);
    assert!(
        warned.iter().any(
            |(place, w)| place.ends_with("inbox.mbox at byte 0") && w.contains("no blank line")
        ),
        "{warned:?}"
    );
    for (reader, attachments) in attachments_seen(&pst, "No blank line") {
        assert_eq!(
            attachments,
            [("report.pdf".to_owned(), 3750, sha256_hex(&pdf))],
            "{reader}"
        );
    }
    let verified = mail2pst(&["verify", arg(&pst), "--against", arg(&mbox)], dir.path());
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stdout)
    );
}

/// Class (b): a mailbox that ends in the middle of an attachment (a copy that was cut off).
/// The message is written with what there is, and the report says it is truncated and where.
#[test]
fn a_mailbox_cut_in_the_middle_of_an_attachment_is_written_and_reported_truncated() {
    let dir = temp_dir();
    let whole = file_bytes(1000, 1);
    let cut = file_bytes(30_000, 2);
    let first = message_with_attachment("Complete", "a.pdf", &base64_lines(&whole), "\n");
    let second = message_with_attachment("Cut short", "b.pdf", &base64_lines(&cut), "\n");
    // The file ends in the middle of the second message's base64, on a line of its own.
    let second = &second[..second.find("--b1--").unwrap() - 26_000];
    let separator = "From ann@example.org Mon Jan  1 10:00:00 2024\n";
    let mbox = dir.path().join("cut.mbox");
    let bytes = format!("{separator}{first}\n{separator}{second}");
    fs::write(&mbox, &bytes).unwrap();
    let offset = bytes.rfind(separator).unwrap();

    let (code, report, pst) = convert_to(&mbox, dir.path());
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["totals"]["found"], 2);
    assert_eq!(report["totals"]["written"], 2);
    let warned = warnings(&report);
    let place = format!("cut.mbox at byte {offset}");
    assert!(
        warned
            .iter()
            .any(|(p, w)| p.ends_with(&place) && w.contains("truncated")),
        "{warned:?}"
    );
    assert!(
        !warned.iter().any(|(p, _)| p.ends_with("at byte 0")),
        "the whole message has no warning: {warned:?}"
    );
    for (reader, attachments) in attachments_seen(&pst, "Cut short") {
        let [(name, size, _)] = attachments.as_slice() else {
            panic!("{reader}: {attachments:?}");
        };
        assert_eq!(name, "b.pdf", "{reader}");
        assert!(*size > 0 && *size < 30_000, "{reader}: {size}");
    }
}

/// Class (c): an `.emlx` whose byte-count line is smaller than the message. Reading by the
/// count would cut the message (subject and body lost); it is read by its content instead.
#[test]
fn an_emlx_whose_byte_count_is_short_is_read_by_its_content() {
    let home = temp_dir();
    let mail = home.path().join("Library/Mail");
    let messages = mail.join("Mailboxes/Short count.mbox/Messages");
    fs::create_dir_all(&messages).unwrap();
    // A real message from Apple Mail (the corpus), preceded by headers, so a count short of
    // the message cuts inside the header block.
    let original = fs::read(apple_corpus().join("expected_results/114862.eml")).unwrap();
    let mut message = b"X-Note: padding to cut inside\n".to_vec();
    message.extend_from_slice(&original);
    let mut file = b"20        \n".to_vec();
    file.extend_from_slice(&message);
    file.extend_from_slice(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD \
          PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist \
          version=\"1.0\">\n<dict>\n\t<key>flags</key>\n\t<integer>1</integer>\n</dict>\n\
          </plist>\n",
    );
    fs::write(messages.join("1.emlx"), file).unwrap();

    let out = temp_dir();
    let (code, report, pst) = convert_to(&mail, out.path());
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["totals"]["written"], 1);
    let warned = warnings(&report);
    assert!(
        warned
            .iter()
            .any(|(p, w)| p.ends_with("1.emlx") && w.contains("read by its content")),
        "{warned:?}"
    );
    let subject = text(&original)
        .lines()
        .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
        .unwrap();
    for (reader, json) in read_with(&pst, READERS) {
        let messages = json["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 1, "{reader}");
        assert_eq!(messages[0]["subject"], subject.trim(), "{reader}");
        assert!(messages[0]["body_len"].as_u64().unwrap() > 100, "{reader}");
    }
}

// ---------------------------------------------------------------------------------------------
// Class (d): unreadable folders.
//
// The tests run as root here, and permissions do not stop root. So the program runs as the
// unprivileged user `nobody` (util-linux `setpriv`, as a person without rights to the folder
// would), and before each run the test checks that this user really cannot list the folder:
// a test that could not make the folder unreadable fails instead of passing.

/// True when this process runs as root.
fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().unwrap();
    text(&output.stdout).trim() == "0"
}

/// A command run as an unprivileged user when this process is root, else as is.
fn unprivileged(program: &str) -> Command {
    if is_root() {
        let mut command = Command::new("setpriv");
        command.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            program,
        ]);
        command
    } else {
        Command::new(program)
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Every folder under `root` opened to all (temporary folders are private to their owner).
fn open_to_all(root: &Path) {
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        set_mode(
            entry.path(),
            if entry.file_type().is_dir() {
                0o755
            } else {
                0o644
            },
        );
    }
}

/// Converts `source` as an unprivileged user whose rights stop at `locked`: exit code and report.
fn convert_without_access_to(source: &Path, locked: &Path, out: &Path) -> (i32, Value) {
    set_mode(locked, 0o000);
    let listing = unprivileged("ls").arg(locked).output().unwrap();
    assert!(
        !listing.status.success(),
        "{} is still readable: the test cannot check what it means to",
        locked.display()
    );
    set_mode(out, 0o777);
    let pst = out.join("mail.pst");
    let output = unprivileged(env!("CARGO_BIN_EXE_mail2pst"))
        .args(["convert", arg(source), "-o", arg(&pst), "--json"])
        .env("HOME", out)
        .env("XDG_CONFIG_HOME", out)
        .env("MAIL2PST_LICENSE_KEY", key_text("valid.key"))
        .env_remove("MAIL2PST_LOG")
        .output()
        .unwrap();
    set_mode(locked, 0o755);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&output.stdout), text(&output.stderr)));
    (output.status.code().unwrap(), report)
}

/// The folder error the report gives for `locked`, after checking the report reconciles.
fn assert_folder_error(code: i32, report: &Value, locked: &Path) {
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["status"], "incomplete");
    assert!(report["totals"]["folder_errors"].as_u64().unwrap() >= 1);
    let totals = &report["totals"];
    let skipped: u64 = totals["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        totals["found"].as_u64().unwrap(),
        totals["written"].as_u64().unwrap() + skipped
    );
    let errors: Vec<&str> = report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["read_error"].as_str())
        .collect();
    let locked = locked.display().to_string();
    assert!(
        errors
            .iter()
            .any(|e| e.contains(&locked) && e.contains("permission denied")),
        "{errors:?}"
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_a_folder_error_in_every_kind_of_store() {
    let dir = temp_dir();
    let root = dir.path();
    let eml = |name: &str| {
        corpus_path(&format!(
            "eml/cpython-test_email/Lib/test/test_email/data/{name}"
        ))
    };

    // A folder of .eml files with an unreadable sub-folder.
    let tree = root.join("eml");
    for (folder, file) in [
        ("", "msg_01.txt"),
        ("Readable", "msg_02.txt"),
        ("Locked", "msg_03.txt"),
    ] {
        fs::create_dir_all(tree.join(folder)).unwrap();
        fs::copy(eml(file), tree.join(folder).join(format!("{file}.eml"))).unwrap();
    }
    // A maildir (Maildir++) whose sub-folder cannot be read.
    let maildir = root.join("maildir");
    for folder in ["", ".Locked"] {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(maildir.join(folder).join(sub)).unwrap();
        }
        fs::copy(eml("msg_01.txt"), maildir.join(folder).join("cur/1:2,S")).unwrap();
    }
    // An Apple Mail library (Mail 2–4 layout) with a mailbox that cannot be read.
    let library = root.join("Library/Mail");
    for mailbox in ["Open", "Locked"] {
        let messages = library.join(format!("Mailboxes/{mailbox}.mbox/Messages"));
        fs::create_dir_all(&messages).unwrap();
        fs::copy(
            apple_corpus().join("Messages/114862.emlx"),
            messages.join("114862.emlx"),
        )
        .unwrap();
    }
    // A Thunderbird profile whose folder of sub-folders cannot be read.
    let profile = root.join("profile");
    crate::apple_mail_fixtures::copy_tree(
        &corpus_path("thunderbird-profile/ng5ko9yq.default-default"),
        &profile,
    );
    open_to_all(root);

    for (source, locked) in [
        (tree.clone(), tree.join("Locked")),
        (maildir.clone(), maildir.join(".Locked")),
        (library.clone(), library.join("Mailboxes/Locked.mbox")),
        (
            profile.clone(),
            profile.join("Mail/pop.example.com/Archives.sbd"),
        ),
    ] {
        let out = root.join(format!(
            "out-{}",
            source.file_name().unwrap().to_string_lossy()
        ));
        fs::create_dir_all(&out).unwrap();
        let (code, report) = convert_without_access_to(&source, &locked, &out);
        assert_folder_error(code, &report, &locked);
    }
}

// ---------------------------------------------------------------------------------------------
// verify against a broken converter

/// A deliberately broken converter: converts `source` as a job would lay it out, but drops the
/// first attachment of the message with Message-ID `victim`.
fn convert_dropping_an_attachment(source: &Path, pst: &Path, victim: &str) {
    let selection = StoreSelection::all(Source::open(source).unwrap());
    let plan = Plan::build(std::slice::from_ref(&selection), &Options::default());
    let store = mail2pst::sources::open(source).unwrap();
    let mut writer = PstWriter::create(
        pst,
        WriterOptions::new("Test", FileTime::from_unix(1_700_000_000).unwrap()),
    )
    .unwrap();
    let mut ids: Vec<FolderId> = Vec::new();
    let mut dropped = false;
    for planned in &plan.folders {
        let parent = planned.parent.map_or(writer.top_folder(), |p| ids[p]);
        let id = writer.add_folder(parent, &planned.name).unwrap();
        ids.push(id);
        for item in store.messages(&planned.source_path).unwrap() {
            let Ok(Found::Message(raw)) = item else {
                continue;
            };
            let mut converted = convert::convert(&raw).message;
            if converted.internet_message_id.as_deref() == Some(victim) {
                converted.attachments.remove(0);
                dropped = true;
            }
            writer.add_message(id, &converted).unwrap();
        }
    }
    writer.finish().unwrap();
    assert!(dropped, "no message {victim}");
}

#[test]
fn verify_reports_the_message_whose_attachment_a_broken_converter_dropped() {
    let dir = temp_dir();
    let source = corpus_path("mbox/gnu-mailutils/testsuite/spool/mbox1");
    let pst = dir.path().join("broken.pst");
    let victim = "<200207122150.g6CLowb05126@example.net>";
    convert_dropping_an_attachment(&source, &pst, victim);

    let output = mail2pst(
        &["verify", arg(&pst), "--against", arg(&source), "--json"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let comparison: Value = serde_json::from_slice(&output.stdout).unwrap();
    let differences: Vec<&Value> = comparison["folders"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["differences"].as_array().unwrap())
        .collect();
    assert_eq!(differences.len(), 1, "{comparison:#}");
    assert!(
        differences[0]["message"].as_str().unwrap().contains(victim),
        "{comparison:#}"
    );
    assert_eq!(differences[0]["fields"][0]["field"], "attachments");
    assert!(
        differences[0]["origin"]
            .as_str()
            .unwrap()
            .contains("mbox1 at byte"),
        "{comparison:#}"
    );

    // The same source, converted by the real converter, verifies clean.
    let good = dir.path().join("good.pst");
    let converted = mail2pst(
        &["convert", arg(&source), "-o", arg(&good), "--quiet"],
        dir.path(),
    );
    assert_eq!(
        converted.status.code(),
        Some(0),
        "{}",
        text(&converted.stderr)
    );
    let output = mail2pst(
        &["verify", arg(&good), "--against", arg(&source)],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
}
