//! Throughput of the PST writer's node database: 256 MB of node data written as data trees
//! (mostly 1 MB values, some small ones), with the B-trees, maps and header at the end.

// A failed write here is a broken benchmark, not data to recover from.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mail2pst::pst::ndb::{Bid, NdbOptions, NdbWriter, Nid, NidType};

const TOTAL: usize = 256 << 20;

/// Writes `TOTAL` bytes: 1 MB trees, and after each a few small ones as messages have.
fn write_file(file: File, payload: &[u8]) -> File {
    let mut writer = NdbWriter::new(file, NdbOptions::default()).unwrap();
    let mut written = 0;
    while written < TOTAL {
        for size in [payload.len(), 700, 3000, 12_000] {
            let tree = writer.write_data(&payload[..size], 8176).unwrap();
            let nid = writer.allocate_nid(NidType::NormalMessage);
            writer
                .add_node(nid, tree.bid, Bid::NONE, Nid(0x8022))
                .unwrap();
            written += size;
        }
    }
    writer.finish().unwrap()
}

fn bench(c: &mut Criterion) {
    let payload: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut group = c.benchmark_group("pst_ndb");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(TOTAL as u64));
    group.bench_function("write_256_mb", |b| {
        b.iter(|| {
            let file = tempfile::tempfile().unwrap();
            black_box(write_file(file, &payload));
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
