//! Round trips of the PST writer: every file is checked by our own `pst::verify` (node
//! database, tables against PCs, sizes, parents) and read back by every independent reader
//! through the oracle, which must see exactly the folders and messages written.

use std::path::{Path, PathBuf};

use mail2pst::pst::{
    self, Address, Attachment, AttachmentContent, Error, FileTime, FolderId, Importance, Message,
    MessageState, PstWriter, Recipient, RecipientKind, WriterOptions,
};

use crate::pst_oracle::{
    Allowance, EMBEDDED_MESSAGE_QUIRKS, Expected, MANY_RECIPIENTS_QUIRKS, check_allowing,
};
use crate::util::temp_dir;

const STORE: &str = "Test mail";

fn options() -> WriterOptions {
    WriterOptions::new(STORE, FileTime::from_unix(1_700_000_000).unwrap())
}

fn at(unix: i64) -> Option<FileTime> {
    FileTime::from_unix(unix)
}

/// A received mail with the usual fields, numbered so that messages differ.
fn mail(n: usize) -> Message {
    Message {
        subject: Some(format!("Report {n}")),
        from: Some(Address::new(Some("Ann Example"), "ann@example.com")),
        recipients: vec![
            Recipient {
                kind: RecipientKind::To,
                address: Address::new(Some("Bob"), "bob@example.com"),
            },
            Recipient {
                kind: RecipientKind::Cc,
                address: Address::new(None, "carol@example.org"),
            },
        ],
        submit_time: at(1_600_000_000 + n as i64 * 60),
        delivery_time: at(1_600_000_030 + n as i64 * 60),
        state: MessageState {
            read: !n.is_multiple_of(3),
            ..MessageState::default()
        },
        internet_message_id: Some(format!("<m{n}@example.com>")),
        body_text: Some(format!("Hello,\r\nthis is message {n}.\r\n")),
        body_html: Some(format!("<html><body><p>Message {n}</p></body></html>")),
        ..Message::default()
    }
}

fn file_attachment(name: &str, mime: &str, data: Vec<u8>) -> Attachment {
    Attachment {
        filename: Some(name.into()),
        mime_type: Some(mime.into()),
        content_id: None,
        content_location: None,
        hidden: false,
        content: AttachmentContent::Data(data),
    }
}

/// Bytes that do not compress or repeat, deterministic.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An RFC 2047 encoded word for non-ASCII header text.
fn header_text(text: &str) -> String {
    use base64::Engine as _;
    if text.is_ascii() {
        return text.to_owned();
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("=?UTF-8?B?{encoded}?=")
}

fn header_address(address: &Address) -> String {
    match &address.name {
        Some(name) => format!("\"{}\" <{}>", header_text(name), address.email),
        None => address.email.clone(),
    }
}

/// The message with the original header block a converter stores beside the properties
/// (readpst takes From, To, Cc, Subject, Date and Message-ID from it).
fn with_headers(mut message: Message) -> Message {
    let mut headers = String::new();
    if let Some(from) = &message.from {
        headers.push_str(&format!("From: {}\r\n", header_address(from)));
    }
    for (name, kind) in [("To", RecipientKind::To), ("Cc", RecipientKind::Cc)] {
        let list: Vec<String> = message
            .recipients
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| header_address(&r.address))
            .collect();
        if !list.is_empty() {
            headers.push_str(&format!("{name}: {}\r\n", list.join(",\r\n ")));
        }
    }
    if let Some(subject) = &message.subject {
        headers.push_str(&format!("Subject: {}\r\n", header_text(subject)));
    }
    if let Some(time) = message.submit_time {
        let date = chrono::DateTime::from_timestamp(time.to_unix(), 0).unwrap();
        headers.push_str(&format!("Date: {}\r\n", date.to_rfc2822()));
    }
    if let Some(id) = &message.internet_message_id {
        headers.push_str(&format!("Message-ID: {id}\r\n"));
    }
    headers.push_str("MIME-Version: 1.0\r\n");
    message.transport_headers = Some(headers);
    message
}

/// Our own check, then the readers' (the oracle runs `pst::verify` first).
fn assert_valid(path: &Path, expected: &Expected) {
    assert_valid_allowing(path, expected, &[]);
}

fn assert_valid_allowing(path: &Path, expected: &Expected, allowances: &[Allowance]) {
    check_allowing(path, expected, allowances);
}

/// Writes `messages` into folders and checks the file; returns its path (inside `dir`).
fn write_and_check(dir: &Path, folders: &[(&[&str], Vec<Message>)]) -> PathBuf {
    write_and_check_allowing(dir, folders, &[])
}

fn write_and_check_allowing(
    dir: &Path,
    folders: &[(&[&str], Vec<Message>)],
    allowances: &[Allowance],
) -> PathBuf {
    let path = dir.join("out.pst");
    let mut writer = PstWriter::create(&path, options()).unwrap();
    let mut expected = Expected::new(STORE);
    for (folder_path, messages) in folders {
        let folder = make_path(&mut writer, folder_path);
        for message in messages {
            let message = with_headers(message.clone());
            writer.add_message(folder, &message).unwrap();
            expected.message(folder_path, &message);
        }
    }
    let summary = writer.finish().unwrap();
    assert_eq!(summary.path, path);
    assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
    assert_valid_allowing(&path, &expected, allowances);
    path
}

/// The folder at `path` below the top folder, creating what is missing... once per call: the
/// tests give each path once.
fn make_path(writer: &mut PstWriter, path: &[&str]) -> FolderId {
    let mut folder = writer.top_folder();
    for name in path {
        folder = writer.add_folder(folder, name).unwrap();
    }
    folder
}

#[test]
fn empty_store_opens_in_every_reader() {
    let dir = temp_dir();
    let path = dir.path().join("empty.pst");
    let writer = PstWriter::create(&path, options()).unwrap();
    let summary = writer.finish().unwrap();
    assert_eq!(summary.folders.len(), 1, "Deleted Items");
    assert_eq!(summary.bytes % 512, 0);
    assert_valid(&path, &Expected::new(STORE));
}

#[test]
fn one_folder_with_one_message() {
    let dir = temp_dir();
    write_and_check(dir.path(), &[(&["Inbox"], vec![mail(1)])]);
}

#[test]
fn nested_folders_with_non_ascii_names() {
    let dir = temp_dir();
    let path = dir.path().join("nested.pst");
    let mut writer = PstWriter::create(&path, options()).unwrap();
    let mut expected = Expected::new(STORE);
    let top = writer.top_folder();
    let inbox = writer.add_folder(top, "Posteingang").unwrap();
    let sub = writer.add_folder(inbox, "Überweisungen 2024").unwrap();
    let deeper = writer.add_folder(sub, "日本語のフォルダ").unwrap();
    let empty = writer.add_folder(top, "Leer").unwrap();
    for (i, (folder, folder_path)) in [
        (inbox, vec!["Posteingang"]),
        (sub, vec!["Posteingang", "Überweisungen 2024"]),
        (
            deeper,
            vec!["Posteingang", "Überweisungen 2024", "日本語のフォルダ"],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let message = with_headers(mail(i));
        writer.add_message(folder, &message).unwrap();
        expected.message(&folder_path, &message);
    }
    let summary = writer.finish().unwrap();
    let paths: Vec<String> = summary.folders.iter().map(|f| f.path.join("/")).collect();
    assert_eq!(
        paths,
        [
            "Deleted Items",
            "Posteingang",
            "Posteingang/Überweisungen 2024",
            "Posteingang/Überweisungen 2024/日本語のフォルダ",
            "Leer"
        ]
    );
    let _ = empty;
    assert_valid(&path, &expected);
}

#[test]
fn ten_thousand_messages_in_one_folder() {
    let dir = temp_dir();
    let messages: Vec<Message> = (0..10_000).map(mail).collect();
    write_and_check(dir.path(), &[(&["Archive"], messages)]);
}

/// 10,100 folders: 100 with 100 subfolders each, and a message in one subfolder of each (the
/// readers list the folders that hold messages). The hierarchy tables, the NBT and the folder
/// NIDs all grow past a single page.
#[test]
fn ten_thousand_folders() {
    let dir = temp_dir();
    let path = dir.path().join("folders.pst");
    let mut writer = PstWriter::create(&path, options()).unwrap();
    let mut expected = Expected::new(STORE);
    let top = writer.top_folder();
    for year in 0..100 {
        let year_name = format!("Year {}", 1926 + year);
        let parent = writer.add_folder(top, &year_name).unwrap();
        for month in 0..100 {
            let name = format!("Project {month:02}");
            let folder = writer.add_folder(parent, &name).unwrap();
            if month == year {
                let message = with_headers(mail(year));
                writer.add_message(folder, &message).unwrap();
                expected.message(&[&year_name, &name], &message);
            }
        }
    }
    let summary = writer.finish().unwrap();
    // The 10,100 folders and Deleted Items.
    assert_eq!(summary.folders.len(), 10_101);
    assert_valid(&path, &expected);
}

#[test]
fn sixty_megabyte_attachment() {
    let dir = temp_dir();
    let mut message = mail(1);
    message.attachments.push(file_attachment(
        "video.bin",
        "application/octet-stream",
        noise(60 * 1024 * 1024, 7),
    ));
    write_and_check(dir.path(), &[(&["Inbox"], vec![message])]);
}

#[test]
fn embedded_message_with_its_own_attachment() {
    let dir = temp_dir();
    let mut inner = mail(2);
    inner.subject = Some("Forwarded original".into());
    inner.attachments.push(file_attachment(
        "inner.pdf",
        "application/pdf",
        noise(20_000, 3),
    ));
    let mut outer = mail(1);
    outer.subject = Some("Fwd: Forwarded original".into());
    outer.attachments.push(Attachment {
        filename: Some("Forwarded original.eml".into()),
        mime_type: Some("message/rfc822".into()),
        content_id: None,
        content_location: None,
        hidden: false,
        content: AttachmentContent::Message(Box::new(inner)),
    });
    outer.attachments.push(file_attachment(
        "notes.txt",
        "text/plain",
        b"see below".to_vec(),
    ));
    write_and_check_allowing(
        dir.path(),
        &[(&["Inbox"], vec![outer])],
        EMBEDDED_MESSAGE_QUIRKS,
    );
}

#[test]
fn inline_image_with_content_id_is_hidden() {
    let dir = temp_dir();
    let mut message = mail(1);
    message.body_html = Some(r#"<html><body><img src="cid:logo@x"></body></html>"#.into());
    message.attachments.push(Attachment {
        filename: Some("logo.png".into()),
        mime_type: Some("image/png".into()),
        content_id: Some("logo@x".into()),
        content_location: None,
        hidden: true,
        content: AttachmentContent::Data(noise(5_000, 9)),
    });
    write_and_check(dir.path(), &[(&["Inbox"], vec![message])]);
}

#[test]
fn categories_and_states() {
    let dir = temp_dir();
    let mut messages = Vec::new();
    for (n, state) in [
        MessageState::default(),
        MessageState {
            read: true,
            replied: true,
            ..MessageState::default()
        },
        MessageState {
            read: true,
            forwarded: true,
            flagged: true,
            ..MessageState::default()
        },
        MessageState {
            flagged: true,
            ..MessageState::default()
        },
    ]
    .into_iter()
    .enumerate()
    {
        let mut message = mail(n);
        message.state = state;
        message.importance = [Importance::Low, Importance::Normal, Importance::High][n % 3];
        message.categories = vec!["Red category".into(), "Projekt Ü".into()];
        messages.push(message);
    }
    write_and_check(dir.path(), &[(&["Inbox"], messages)]);
}

#[test]
fn five_hundred_recipients() {
    let dir = temp_dir();
    let mut message = mail(1);
    message.recipients = (0..500)
        .map(|i| Recipient {
            kind: [RecipientKind::To, RecipientKind::Cc, RecipientKind::Bcc][i % 3],
            address: Address::new(Some(&format!("Person {i}")), &format!("p{i}@example.com")),
        })
        .collect();
    write_and_check_allowing(
        dir.path(),
        &[(&["Inbox"], vec![message])],
        MANY_RECIPIENTS_QUIRKS,
    );
}

#[test]
fn subjects_with_prefixes_and_non_bmp_characters() {
    let dir = temp_dir();
    let subjects = [
        "RE: Budget",
        "Fwd: RE: Budget",
        "AW: Grüße aus Köln",
        "10:30 meeting",
        "Party 🎉🚀 tonight",
        "",
    ];
    let messages: Vec<Message> = subjects
        .iter()
        .enumerate()
        .map(|(n, subject)| {
            let mut message = mail(n);
            message.subject = Some(subject.to_string());
            message.from = Some(Address::new(Some("Zoë 😀"), "zoe@example.com"));
            message.body_text = Some(format!("Emoji body 🎈 {n}"));
            message
        })
        .collect();
    write_and_check(dir.path(), &[(&["Inbox"], messages)]);
}

#[test]
fn same_input_gives_identical_files() {
    let dir = temp_dir();
    let write = |name: &str| {
        let path = dir.path().join(name);
        let mut writer = PstWriter::create(&path, options()).unwrap();
        let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
        for n in 0..50 {
            let mut message = mail(n);
            if n % 10 == 0 {
                message.attachments.push(file_attachment(
                    "a.bin",
                    "application/octet-stream",
                    noise(30_000, n as u64),
                ));
            }
            writer.add_message(inbox, &message).unwrap();
        }
        writer.finish().unwrap();
        std::fs::read(&path).unwrap()
    };
    let first = write("a.pst");
    let second = write("b.pst");
    assert!(first == second, "two runs over the same input differ");
}

/// Messages built on other threads, in any order, and placed one after another give the file
/// that adding them one at a time gives: building needs nothing from the file.
#[test]
fn messages_built_on_other_threads_give_the_same_file() {
    let dir = temp_dir();
    let messages: Vec<Message> = (0..40)
        .map(|n| {
            let mut message = mail(n);
            if n % 4 == 0 {
                message.attachments.push(file_attachment(
                    "a.bin",
                    "application/octet-stream",
                    noise(20_000 + n, n as u64),
                ));
            }
            if n % 10 == 0 {
                let mut inner = mail(n + 100);
                inner
                    .attachments
                    .push(file_attachment("b.txt", "text/plain", b"inner".to_vec()));
                message.attachments.push(Attachment {
                    filename: Some("inner.eml".into()),
                    mime_type: Some("message/rfc822".into()),
                    content_id: None,
                    content_location: None,
                    hidden: false,
                    content: AttachmentContent::Message(Box::new(inner)),
                });
            }
            message
        })
        .collect();

    let one_by_one = dir.path().join("one-by-one.pst");
    let mut writer = PstWriter::create(&one_by_one, options()).unwrap();
    let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
    for message in &messages {
        writer.add_message(inbox, message).unwrap();
    }
    writer.finish().unwrap();

    // Four threads, each building every fourth message, the last ones first.
    let now = options().now;
    let mut built: Vec<Option<pst::ReadyMessage>> = (0..messages.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|thread| {
                let messages = &messages;
                scope.spawn(move || {
                    (0..messages.len())
                        .rev()
                        .filter(|n| n % 4 == thread)
                        .map(|n| (n, pst::ReadyMessage::new(messages[n].clone(), now).unwrap()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (n, ready) in handle.join().unwrap() {
                built[n] = Some(ready);
            }
        }
    });
    let in_parallel = dir.path().join("in-parallel.pst");
    let mut writer = PstWriter::create(&in_parallel, options()).unwrap();
    let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
    for ready in built.iter().flatten() {
        writer.add_ready(inbox, ready).unwrap();
    }
    writer.finish().unwrap();

    let report = pst::verify(&in_parallel).unwrap();
    assert!(report.is_clean(), "{}", report.describe());
    assert!(
        std::fs::read(&one_by_one).unwrap() == std::fs::read(&in_parallel).unwrap(),
        "building apart from the file changed it"
    );
}

#[test]
fn drop_without_finish_removes_the_temporary_file() {
    let dir = temp_dir();
    let path = dir.path().join("dropped.pst");
    {
        let mut writer = PstWriter::create(&path, options()).unwrap();
        let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
        writer.add_message(inbox, &mail(1)).unwrap();
        assert!(writer.bytes_written() > 0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(!path.exists());
}

#[test]
fn size_limit_refuses_before_writing_and_the_file_still_finishes() {
    let dir = temp_dir();
    let path = dir.path().join("limited.pst");
    let limit = 4 * 1024 * 1024;
    let mut options = options();
    options.max_file_size = limit;
    let mut writer = PstWriter::create(&path, options).unwrap();
    let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
    let mut expected = Expected::new(STORE);
    let mut written = 0;
    let refused = loop {
        let mut message = with_headers(mail(written));
        message.attachments.push(file_attachment(
            "part.bin",
            "application/octet-stream",
            noise(300_000, written as u64),
        ));
        let before = writer.bytes_written();
        match writer.add_message(inbox, &message) {
            Ok(()) => {
                expected.message(&["Inbox"], &message);
                written += 1;
            }
            Err(error) => {
                assert_eq!(
                    writer.bytes_written(),
                    before,
                    "a refused message wrote nothing"
                );
                break error;
            }
        }
        assert!(written < 100, "the limit never came");
    };
    assert!(
        matches!(refused, Error::SizeLimit { limit: l, .. } if l == limit),
        "{refused}"
    );
    assert!(written >= 5, "only {written} messages fit in {limit} bytes");
    // A small message may still fit; the writer is usable after a refusal.
    let summary = writer.finish().unwrap();
    assert!(summary.bytes <= limit, "{} > {limit}", summary.bytes);
    assert_valid(&path, &expected);
}

#[test]
fn attachments_of_two_gigabytes_are_refused() {
    let dir = temp_dir();
    let path = dir.path().join("big.pst");
    let mut writer = PstWriter::create(&path, options()).unwrap();
    let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
    let mut message = mail(1);
    // calloc'd: the pages are never touched.
    message.attachments.push(file_attachment(
        "huge.iso",
        "application/octet-stream",
        vec![0; 1 << 31],
    ));
    let error = writer.add_message(inbox, &message).unwrap_err();
    assert!(
        matches!(error, Error::AttachmentTooLarge { size, .. } if size == 1 << 31),
        "{error}"
    );
    drop(message);
    writer.add_message(inbox, &mail(2)).unwrap();
    writer.finish().unwrap();
}

/// PidTagMessageSize is a signed 32-bit integer: a message whose attachments together pass
/// 2 GiB is refused with its own error, nothing written, and the writer goes on.
#[test]
fn messages_of_two_gigabytes_are_refused() {
    let dir = temp_dir();
    let path = dir.path().join("big.pst");
    let mut writer = PstWriter::create(&path, options()).unwrap();
    let inbox = writer.add_folder(writer.top_folder(), "Inbox").unwrap();
    let mut message = mail(1);
    // calloc'd: the pages are never touched.
    for name in ["part1.iso", "part2.iso"] {
        message.attachments.push(file_attachment(
            name,
            "application/octet-stream",
            vec![0; 1100 << 20],
        ));
    }
    let before = writer.bytes_written();
    let error = writer.add_message(inbox, &message).unwrap_err();
    assert!(
        matches!(error, Error::MessageTooLarge { size } if size > 2200 << 20),
        "{error}"
    );
    assert!(error.to_string().contains("smaller than 2 GiB"), "{error}");
    assert_eq!(writer.bytes_written(), before);
    drop(message);
    writer.add_message(inbox, &mail(2)).unwrap();
    writer.finish().unwrap();
    assert!(pst::verify(&path).unwrap().is_clean());
}
