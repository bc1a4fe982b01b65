//! Throughput of the streaming mbox reader: splitting (copying each message out) and counting
//! (no copy), over a generated mailbox held in memory so the disk does not set the pace.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail2pst::sources::mbox::{MboxReader, write_mboxrd};

/// About `size` bytes of mboxrd: messages of varied length with realistic header blocks, some
/// body lines that start with `From ` (escaped by the writer) and some long base64 lines.
fn generated_mbox(size: usize) -> Vec<u8> {
    let mut mbox = Vec::with_capacity(size + 64 * 1024);
    let mut n = 0u64;
    while mbox.len() < size {
        n += 1;
        let mut message = format!(
            "Return-Path: <sender{n}@example.com>\nReceived: from mail.example.com (mail.example.com [192.0.2.1])\n\tby mx.example.org with ESMTP id {n}\n\tfor <rcpt@example.org>; Tue, 2 Oct 2007 00:26:47 +0000\nFrom: Sender {n} <sender{n}@example.com>\nTo: Recipient <rcpt@example.org>\nSubject: Message number {n}\nDate: Tue, 2 Oct 2007 00:26:47 +0000\nMessage-ID: <{n}@example.com>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
        );
        let body_lines = 20 + (n * 7919 % 400);
        for line in 0..body_lines {
            if line % 97 == 5 {
                message.push_str("From the desk of the sender: a line to escape.\n");
            } else if line % 3 == 0 {
                message.push_str("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n");
            } else {
                message.push_str(
                    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n",
                );
            }
        }
        write_mboxrd(
            &mut mbox,
            b"From sender@example.com Tue Oct  2 00:26:47 2007",
            message.as_bytes(),
        );
    }
    mbox
}

fn mbox_reader(c: &mut Criterion) {
    let mbox = generated_mbox(64 * 1024 * 1024);
    let mut group = c.benchmark_group("mbox_reader");
    group.throughput(Throughput::Bytes(mbox.len() as u64));
    group.sample_size(10);
    group.bench_function("split", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for entry in MboxReader::new(black_box(&mbox[..])) {
                bytes += entry.map(|e| e.bytes.len()).unwrap_or(0);
            }
            bytes
        })
    });
    group.bench_function("count", |b| {
        b.iter(|| {
            MboxReader::new(black_box(&mbox[..]))
                .count_messages()
                .unwrap_or(0)
        })
    });
    group.finish();
}

criterion_group!(benches, mbox_reader);
criterion_main!(benches);
