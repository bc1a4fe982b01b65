//! Throughput of `PstWriter::add_message` on realistic mail: plain and HTML bodies, a few
//! recipients, and an attachment on every fourth message. Reported in bytes of message payload
//! (bodies and attachment bytes) per second. Run with `cargo bench --bench pst_writer`.

#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail2pst::pst::{
    Address, Attachment, AttachmentContent, FileTime, Message, MessageState, PstWriter, Recipient,
    RecipientKind, WriterOptions,
};

const MESSAGES: usize = 200;

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

fn realistic(n: usize) -> Message {
    let paragraph =
        "Thanks for the update on the quarterly figures; let us go through them on Monday. ";
    let text = paragraph.repeat(100);
    let html = format!("<html><body><p>{}</p></body></html>", paragraph.repeat(180));
    let mut attachments = Vec::new();
    if n.is_multiple_of(4) {
        attachments.push(Attachment {
            filename: Some(format!("report-{n}.pdf")),
            mime_type: Some("application/pdf".into()),
            content_id: None,
            content_location: None,
            hidden: false,
            content: AttachmentContent::Data(noise(256 * 1024, n as u64)),
        });
    }
    Message {
        subject: Some(format!("RE: Quarterly figures {n}")),
        from: Some(Address::new(Some("Ann Example"), "ann@example.com")),
        recipients: (0..4)
            .map(|i| Recipient {
                kind: if i == 0 {
                    RecipientKind::To
                } else {
                    RecipientKind::Cc
                },
                address: Address::new(Some(&format!("Person {i}")), &format!("p{i}@example.com")),
            })
            .collect(),
        submit_time: FileTime::from_unix(1_600_000_000 + n as i64),
        delivery_time: FileTime::from_unix(1_600_000_100 + n as i64),
        state: MessageState {
            read: true,
            ..MessageState::default()
        },
        internet_message_id: Some(format!("<{n}@example.com>")),
        transport_headers: Some(format!("From: ann@example.com\r\nSubject: figures {n}\r\n")),
        body_text: Some(text),
        body_html: Some(html),
        attachments,
        ..Message::default()
    }
}

fn payload(message: &Message) -> u64 {
    let bodies = message.body_text.as_ref().map_or(0, String::len)
        + message.body_html.as_ref().map_or(0, String::len);
    let attachments: usize = message
        .attachments
        .iter()
        .map(|a| match &a.content {
            AttachmentContent::Data(data) => data.len(),
            AttachmentContent::Streamed(data) => data.len() as usize,
            AttachmentContent::Message(_) => 0,
        })
        .sum();
    (bodies + attachments) as u64
}

fn add_message(c: &mut Criterion) {
    let messages: Vec<Message> = (0..MESSAGES).map(realistic).collect();
    let bytes: u64 = messages.iter().map(payload).sum();
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut group = c.benchmark_group("pst_writer");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.bench_function("add_message", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let options =
                    WriterOptions::new("Bench", FileTime::from_unix(0).unwrap_or(FileTime(0)));
                let mut writer =
                    PstWriter::create(dir.path().join("bench.pst"), options).expect("create");
                let inbox = writer
                    .add_folder(writer.top_folder(), "Inbox")
                    .expect("folder");
                let start = Instant::now();
                for message in &messages {
                    writer.add_message(inbox, black_box(message)).expect("add");
                }
                total += start.elapsed();
                drop(writer);
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, add_message);
criterion_main!(benches);
