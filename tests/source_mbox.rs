//! The mbox reader on the real mailboxes of the corpus (counts from `SOURCES.md`), on the
//! project's fixtures for malformed input (one fixture per decision), on a generated 200 MB
//! mailbox for memory, and the promise that reading never changes a source.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use mail2pst::model::{FolderPath, Found, Origin, SkipReason, StoreKind};
use mail2pst::sources::mbox::{MboxCount, MboxEntry, MboxReader, NotAnMbox, count_in_shares};
use mail2pst::sources::{self, Error, MailStore};
use sha2::{Digest as _, Sha256};

use crate::util::{CORPUS_MBOXES, corpus, fixtures, temp_dir};

fn entries(path: &Path) -> Vec<MboxEntry> {
    MboxReader::new(File::open(path).unwrap())
        .collect::<io::Result<_>>()
        .unwrap()
}

fn found_items(store: &dyn MailStore) -> Vec<Found> {
    let mut items = Vec::new();
    for folder in store.folders().unwrap() {
        items.extend(store.messages(&folder.path).unwrap().map(Result::unwrap));
    }
    items
}

fn messages(store: &dyn MailStore) -> Vec<mail2pst::model::RawMessage> {
    found_items(store)
        .into_iter()
        .filter_map(|found| match found {
            Found::Message(message) => Some(message),
            Found::Skipped { .. } => None,
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The byte offset of line `n` (1-based) of a file.
fn line_offset(path: &Path, n: usize) -> u64 {
    let bytes = fs::read(path).unwrap();
    let before: usize = bytes
        .split_inclusive(|&b| b == b'\n')
        .take(n - 1)
        .map(<[u8]>::len)
        .sum();
    before as u64
}

#[test]
fn corpus_mboxes_have_the_expected_counts() {
    for &(file, expected) in CORPUS_MBOXES {
        let path = corpus().join(file);
        let mut reader = MboxReader::new(File::open(&path).unwrap());
        assert_eq!(
            reader.count_messages().unwrap(),
            expected,
            "count of {file}"
        );
        assert_eq!(reader.leading_garbage(), None, "{file}");
        assert_eq!(entries(&path).len() as u64, expected, "messages of {file}");

        // A Thunderbird folder file beside its .msf summary opens as a Thunderbird folder
        // (tests/source_thunderbird.rs); only its splitting is checked here.
        let mut summary = path.clone().into_os_string();
        summary.push(".msf");
        if Path::new(&summary).exists() {
            continue;
        }
        let store = sources::open(&path).unwrap();
        assert_eq!(store.kind(), StoreKind::Mbox, "{file}");
        let folders = store.folders().unwrap();
        assert_eq!(folders.len(), 1, "{file}");
        assert_eq!(folders[0].count, expected, "folder count of {file}");
        let items = found_items(store.as_ref());
        assert_eq!(items.len() as u64, expected, "items of {file}");
        assert!(
            items.iter().all(|item| matches!(item, Found::Message(_))),
            "{file}: {items:?}"
        );
    }
}

#[test]
fn mbox_folder_is_named_after_the_file() {
    let store =
        sources::open(&corpus().join("mbox/gnu-mailutils/testsuite/spool/teaparty.mbox")).unwrap();
    assert_eq!(
        store.folders().unwrap()[0].path,
        FolderPath::new(["teaparty"])
    );
    assert_eq!(store.display_name(), "MBOX file — teaparty.mbox");
    let store = sources::open(&corpus().join("mbox/perl5-Mail-Box/t/folders/mbox.win")).unwrap();
    assert_eq!(
        store.folders().unwrap()[0].path,
        FolderPath::new(["mbox.win"])
    );
}

#[test]
fn mboxrd_escaped_body_line_is_unescaped() {
    let path = corpus().join("thunderbird/comm-central/mailnews/test/data/mbox_mboxrd");
    let entries = entries(&path);
    assert_eq!(entries.len(), 2);
    assert!(contains(
        &entries[0].bytes,
        b"\nFrom (should be escaped).\n"
    ));
    assert!(!contains(&entries[0].bytes, b">From"));
    assert!(entries[0].bytes.ends_with(b"There are 3 lines.\n"));
    assert_eq!(
        entries[0].from_line,
        b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011"
    );
}

#[test]
fn mbox_modern_space_escaped_from_lines_do_not_split() {
    let path = corpus().join("thunderbird/comm-central/mailnews/test/data/mbox_modern");
    let entries = entries(&path);
    assert_eq!(entries.len(), 2);
    assert!(contains(
        &entries[0].bytes,
        b"\n From \n From - Fri Aug 24 11:55:47 2018\n"
    ));
    assert!(contains(&entries[1].bytes, b"Subject: Sample message 2\n"));
}

#[test]
fn separator_right_after_a_closing_boundary_still_splits() {
    // msg.mbox line 112 and mime.mbox line 203 follow a closing MIME boundary directly.
    let spool = corpus().join("mbox/gnu-mailutils/testsuite/spool");
    for (file, line, index, boundary) in [
        (
            "msg.mbox",
            112,
            2,
            &b"--1727955616-1322559692=:10106--\n"[..],
        ),
        (
            "mime.mbox",
            203,
            1,
            &b"--1804289383-1291032000=:23123--\n"[..],
        ),
    ] {
        let path = spool.join(file);
        let entries = entries(&path);
        assert_eq!(entries[index].offset, line_offset(&path, line), "{file}");
        assert!(entries[index - 1].bytes.ends_with(boundary), "{file}");
    }
}

#[test]
fn crlf_mailbox_keeps_its_line_endings() {
    let folder = corpus().join("mbox/perl5-Mail-Box/t/folders");
    let lf = entries(&folder.join("mbox.src"));
    let crlf = entries(&folder.join("mbox.win"));
    assert_eq!(crlf.len(), 45);
    for (lf, crlf) in lf.iter().zip(&crlf) {
        assert_eq!(lf.from_line, crlf.from_line);
        assert!(
            !crlf
                .bytes
                .windows(2)
                .any(|w| w[1] == b'\n' && w[0] != b'\r')
        );
        assert!(crlf.bytes.ends_with(b"\r\n"));
        // The same message, but for its line endings and its Content-Length (each file's
        // lengths are exact for its own line endings).
        let without_length = |bytes: &[u8]| -> Vec<Vec<u8>> {
            bytes
                .split(|&b| b == b'\n')
                .map(|line| line.strip_suffix(b"\r").unwrap_or(line).to_vec())
                .filter(|line| !line.starts_with(b"Content-Length:"))
                .collect()
        };
        assert_eq!(without_length(&lf.bytes), without_length(&crlf.bytes));
    }
}

#[test]
fn from_line_dates_are_parsed() {
    let data = corpus().join("thunderbird/comm-central/mailnews/test/data");
    let bugmail = entries(&data.join("bugmail-1"));
    assert_eq!(bugmail[0].from_line, b"From - Tue Oct 02 00:26:47 2007");
    assert_eq!(bugmail[0].received, Some(1_191_284_807));

    // "From magick-owner@wizards.dupont.com  Wed Feb  9 23:15 MET 2000" and the like: every
    // From_ line of the Mail::Box mailbox has a date.
    let mail_box = entries(&corpus().join("mbox/perl5-Mail-Box/t/folders/mbox.src"));
    assert!(mail_box.iter().all(|entry| entry.received.is_some()));

    let teaparty = entries(&corpus().join("mbox/gnu-mailutils/testsuite/spool/teaparty.mbox"));
    assert!(teaparty.iter().all(|entry| entry.received.is_some()));

    // The store carries the date into each message.
    let store = sources::open(&data.join("bugmail-1")).unwrap();
    assert_eq!(messages(store.as_ref())[0].received, Some(1_191_284_807));
}

#[test]
fn thunderbird_migration_mbox_with_bare_from_lines() {
    let path =
        corpus().join("thunderbird/comm-central/mailnews/db/panorama/test/xpcshell/data/migration");
    let entries = entries(&path);
    let subjects: Vec<bool> = [
        &b"Subject: Secured value-added orchestration\r\n"[..],
        b"Subject: Reverse-engineered fault-tolerant contingency\r\n",
        b"Subject: Intuitive full-range analyzer\r\n",
    ]
    .iter()
    .zip(&entries)
    .map(|(subject, entry)| contains(&entry.bytes, subject))
    .collect();
    assert_eq!(subjects, [true, true, true]);
    // Offsets as Thunderbird's own summary file records them (SOURCES.md: keys 1 and 2 at 0
    // and 1143).
    assert_eq!(entries[0].offset, 0);
    assert_eq!(entries[2].offset, 1143);
    assert!(
        entries
            .iter()
            .all(|e| e.from_line == b"From " && e.received.is_none())
    );
}

#[test]
fn status_headers_give_read_and_replied_flags() {
    let store = sources::open(&corpus().join("mbox/perl5-Mail-Box/t/folders/mbox.src")).unwrap();
    let messages = messages(store.as_ref());
    assert_eq!(messages.iter().filter(|m| m.flags.read).count(), 45);
    assert_eq!(messages.iter().filter(|m| m.flags.replied).count(), 12);
    match &messages[1].origin {
        Origin::FileOffset { offset, .. } => assert!(*offset > 0),
        other => panic!("unexpected origin {other:?}"),
    }
}

// --- The project's fixtures: one per decision about malformed input. ---

fn fixture(name: &str) -> PathBuf {
    fixtures().join("mbox").join(name)
}

#[test]
fn byte_order_mark_before_the_first_from_line_is_skipped() {
    let entries = entries(&fixture("bom.mbox"));
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].offset, 3);
    assert!(entries[0].bytes.starts_with(b"From: Alice"));
}

#[test]
fn last_message_without_a_trailing_newline_is_kept_whole() {
    let entries = entries(&fixture("no-trailing-newline.mbox"));
    assert_eq!(entries.len(), 2);
    assert!(entries[1].bytes.ends_with(b"\n\nThe last line has no end."));
}

#[test]
fn from_line_that_is_not_utf8() {
    let entries = entries(&fixture("non-utf8-from-line.mbox"));
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].from_line,
        b"From j\xf6rg@example.com Tue Oct  2 00:26:47 2007"
    );
    assert_eq!(entries[0].received, Some(1_191_284_807));
}

#[test]
fn empty_file_is_an_empty_mailbox() {
    let path = fixture("empty.mbox");
    assert!(entries(&path).is_empty());
    let store = sources::open(&path).unwrap();
    assert_eq!(store.kind(), StoreKind::Mbox);
    assert_eq!(store.folders().unwrap()[0].count, 0);
    assert!(found_items(store.as_ref()).is_empty());
}

#[test]
fn file_named_mbox_without_from_lines_is_a_clear_error() {
    let path = fixture("not-an-mbox.mbox");
    let error = MboxReader::new(File::open(&path).unwrap())
        .next()
        .unwrap()
        .unwrap_err();
    assert!(NotAnMbox::from_io(&error).is_some());
    match sources::open(&path).unwrap_err() {
        Error::Format { path: at, what } => {
            assert_eq!(at, path);
            assert!(what.starts_with("not an mbox file"), "{what}");
            assert!(what.contains("Shopping list"), "{what}");
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn leading_garbage_is_reported_as_a_skipped_item() {
    let path = fixture("leading-garbage.mbox");
    let store = sources::open(&path).unwrap();
    let folders = store.folders().unwrap();
    assert_eq!(folders[0].count, 3);
    assert_eq!(folders[0].notes.len(), 1);
    let items = found_items(store.as_ref());
    assert_eq!(items.len(), 3);
    match &items[0] {
        Found::Skipped {
            origin: Origin::FileOffset { offset: 0, .. },
            reason: SkipReason::NotAMessage(what),
        } => assert!(
            what.contains("This archive was exported on Tuesday."),
            "{what}"
        ),
        other => panic!("unexpected first item {other:?}"),
    }
    assert!(matches!(items[1], Found::Message(_)) && matches!(items[2], Found::Message(_)));
}

#[test]
fn takeout_separators_give_dates_and_keep_crlf() {
    let entries = entries(&fixture("takeout.mbox"));
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].received, Some(1_499_695_576));
    assert_eq!(entries[1].received, Some(1_499_756_400));
    assert!(
        entries[0]
            .bytes
            .starts_with(b"X-GM-THRID: 1572544789079124111\r\nX-Gmail-Labels: Inbox,Opened\r\n")
    );
    assert!(entries[1].bytes.ends_with(b"Body of message 2.\r\n"));
}

#[test]
fn wrong_content_length_neither_swallows_nor_splits_messages() {
    let entries = entries(&fixture("mboxcl2-wrong-content-length.mbox"));
    assert_eq!(entries.len(), 3);
    assert!(entries[0].bytes.ends_with(b"\n\nBody of message 1.\n"));
    assert!(
        entries[1]
            .bytes
            .ends_with(b"\n\nBody of message 2,\nlonger than it says.\n")
    );
    assert!(entries[2].bytes.ends_with(b"\n\nBody of message 3.\n"));
}

#[test]
fn content_length_keeps_a_quoted_message_in_its_body() {
    let entries = entries(&fixture("mboxcl2-body-from-line.mbox"));
    assert_eq!(entries.len(), 2);
    assert!(contains(
        &entries[0].bytes,
        b"\n\nFrom carol@example.net Mon Oct  1 10:00:00 2007\nFrom: Carol <carol@example.net>\n"
    ));
    assert!(entries[1].bytes.starts_with(b"From: Alice"));
}

#[test]
fn unescaped_from_line_in_a_body_does_not_split() {
    let entries = entries(&fixture("unescaped-from-in-body.mbox"));
    assert_eq!(entries.len(), 2);
    assert!(contains(
        &entries[0].bytes,
        b"\nFrom all of us at the office.\nSee you.\n"
    ));
}

#[test]
fn from_line_at_the_end_of_the_file_stays_text() {
    let entries = entries(&fixture("from-line-at-end.mbox"));
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]
            .bytes
            .ends_with(b"\n\nFrom alice@example.com Tue Oct  2 00:26:47 2007\n")
    );
}

#[test]
fn every_fixture_reads_the_same_through_count_and_iteration() {
    for entry in fs::read_dir(fixtures().join("mbox")).unwrap() {
        let path = entry.unwrap().path();
        let iterated: Vec<io::Result<MboxEntry>> =
            MboxReader::new(File::open(&path).unwrap()).collect();
        let counted = MboxReader::new(File::open(&path).unwrap()).count_messages();
        match counted {
            Ok(count) => assert_eq!(count, iterated.len() as u64, "{}", path.display()),
            Err(_) => assert!(iterated.last().unwrap().is_err(), "{}", path.display()),
        }
    }
}

/// What one reader from the start of the file counts.
fn count_in_one_pass(path: &Path) -> io::Result<MboxCount> {
    let mut reader = MboxReader::new(File::open(path)?);
    let messages = reader.count_messages()?;
    Ok(MboxCount {
        messages,
        leading_garbage: reader.leading_garbage().cloned(),
    })
}

/// Counting in shares on several threads gives one reader's count, whatever the shares: every
/// fixture (leading garbage, a `Content-Length` that holds a `From ` line in its body, an
/// unescaped `From ` line in a body, a file that is not an mbox) and every corpus mbox.
#[test]
fn counting_in_shares_gives_the_count_of_one_pass() {
    let mut paths: Vec<PathBuf> = fs::read_dir(fixtures().join("mbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.extend(CORPUS_MBOXES.iter().map(|(file, _)| corpus().join(file)));
    for path in paths {
        let one_pass = count_in_one_pass(&path);
        for shares in 1..=7 {
            match (&one_pass, count_in_shares(&path, shares)) {
                (Ok(expected), Ok(counted)) => {
                    assert_eq!(&counted, expected, "{} in {shares}", path.display());
                }
                (Err(_), Err(_)) => {}
                (expected, counted) => panic!(
                    "{} in {shares}: {expected:?} against {counted:?}",
                    path.display()
                ),
            }
        }
    }
}

/// A cut can fall on a `From ` line that looks like a separator but is inside a body its
/// `Content-Length` covers: the share before it then ends past the cut, and the count goes on
/// from there by one reader, not from the cut.
#[test]
fn a_share_cut_inside_a_message_is_counted_from_where_the_message_ends() {
    let dir = temp_dir();
    let path = dir.path().join("quoted.mbox");
    let quoted = "From bob@example.com Mon Jan  7 09:00:00 2019\n\
                  From: Bob <bob@example.com>\nSubject: quoted\n\nA forwarded mailbox.\n";
    let mut text = String::new();
    for i in 0..40 {
        let body = if i == 20 {
            format!("{}{quoted}", "padding line\n".repeat(40))
        } else {
            "A line of the body.\n".repeat(40)
        };
        text.push_str(&format!(
            "From ann@example.com Mon Jan  7 09:00:00 2019\nFrom: Ann <ann@example.com>\n\
             Subject: message {i}\nContent-Length: {}\n\n{body}\n",
            body.len()
        ));
    }
    fs::write(&path, &text).unwrap();
    let expected = count_in_one_pass(&path).unwrap();
    assert_eq!(
        expected.messages, 40,
        "the quoted From line stays in its body"
    );
    let at = text.find("From bob@").unwrap();
    // Shares of every size whose cut falls on or just before the quoted line.
    let mut cut_inside = 0;
    for shares in 2..=40 {
        let counted = count_in_shares(&path, shares).unwrap();
        assert_eq!(counted, expected, "in {shares} shares");
        let len = text.len();
        if (1..shares).any(|share| {
            let from = len / shares * share;
            from <= at && !text[from..at].contains("\nFrom ann@")
        }) {
            cut_inside += 1;
        }
    }
    assert!(cut_inside > 0, "some cut falls on the quoted From line");
}

// --- Memory: a generated 200 MB mailbox streams through a bounded buffer. ---

/// An mbox generated on the fly, never held whole: `count` messages of up to `max_body`
/// bytes, each body holding lines that need escaping.
struct GeneratedMbox {
    current: Vec<u8>,
    at: usize,
    made: u64,
    count: u64,
    max_body: usize,
}

impl GeneratedMbox {
    fn message(n: u64, max_body: usize) -> Vec<u8> {
        let body_len = max_body / 4 + (n as usize * 7919) % (max_body * 3 / 4);
        let mut message = format!(
            "From sender{n}@example.com Tue Oct  2 00:26:47 2007\nFrom: Sender <sender{n}@example.com>\nSubject: Generated {n}\n\nFrom the generator, with love.\n"
        )
        .into_bytes();
        let line =
            b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n";
        while message.len() < body_len {
            message.extend_from_slice(line);
        }
        message.extend_from_slice(b"\n");
        message
    }
}

impl Read for GeneratedMbox {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.current.len() {
            if self.made == self.count {
                return Ok(0);
            }
            self.made += 1;
            self.current = Self::message(self.made, self.max_body);
            self.at = 0;
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_200_mb_mailbox_streams_with_a_bounded_buffer() {
    const MAX_BODY: usize = 2 * 1024 * 1024;
    let count = 200;
    let generated = || GeneratedMbox {
        current: Vec::new(),
        at: 0,
        made: 0,
        count,
        max_body: MAX_BODY,
    };
    let mut reader = MboxReader::new(generated());
    let mut total = 0u64;
    let mut messages = 0;
    for entry in reader.by_ref() {
        let entry = entry.unwrap();
        assert!(entry.bytes.starts_with(b"From: Sender"));
        total += entry.bytes.len() as u64;
        messages += 1;
    }
    assert_eq!(messages, count);
    assert!(total > 200 * 1024 * 1024, "only {total} bytes generated");
    // The window plus one message (a growing Vec may hold twice its length), never the file.
    let bound = 2 * MAX_BODY + 1024 * 1024;
    assert!(
        reader.peak_buffer_bytes() <= bound,
        "held {} bytes at once",
        reader.peak_buffer_bytes()
    );

    let mut counter = MboxReader::new(generated());
    assert_eq!(counter.count_messages().unwrap(), count);
    assert!(counter.peak_buffer_bytes() <= 1024 * 1024);
}

// --- Reading never changes a source. ---

/// Hash, length and modification time of every file under `root`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u64, SystemTime)> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = fs::read(entry.path()).unwrap();
            let metadata = entry.metadata().unwrap();
            files.insert(
                entry.path().to_path_buf(),
                (
                    Sha256::digest(&bytes).to_vec(),
                    metadata.len(),
                    metadata.modified().unwrap(),
                ),
            );
        }
    }
    files
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
            // The corpus is read-only; the copy must be writable for the test to mean anything.
            let mut permissions = fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            fs::set_permissions(&target, permissions).unwrap();
        }
    }
}

#[test]
fn reading_never_changes_the_sources() {
    let temp = temp_dir();
    for (name, source) in [
        ("mbox", corpus().join("mbox")),
        ("thunderbird", corpus().join("thunderbird")),
        (
            "maildir",
            corpus().join("maildir/notmuch/test/corpora/default"),
        ),
        ("eml", corpus().join("eml/cpython-test_email")),
        ("fixtures", fixtures()),
    ] {
        copy_tree(&source, &temp.path().join(name));
    }
    let before = snapshot(temp.path());
    assert!(before.len() > 100);
    let mut opened = vec![temp.path().to_path_buf()];
    opened.extend(
        before
            .keys()
            .filter(|path| path.starts_with(temp.path().join("mbox")))
            .cloned(),
    );
    opened.push(temp.path().join("maildir"));
    for path in opened {
        let store = sources::open(&path).unwrap();
        let items = found_items(store.as_ref());
        assert!(!items.is_empty(), "{}", path.display());
    }
    assert_eq!(snapshot(temp.path()), before);
}
