//! Writes a PST node database of a given size (in MB, e.g. 4500 to pass 4 GiB), checks it with
//! the NDB self-check, and reads nodes back — the last ones lie past 4 GiB — through our reader
//! and the `outlook-pst` crate.
//!
//! ```text
//! cargo run --release --example ndb_big -- /tmp/big.pst 4500
//! ```

use std::fs::File;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use mail2pst::pst::ndb::{
    Bid, NdbOptions, NdbReader, NdbWriter, Nid, NidType, SubnodeEntry, special, verify,
};
use outlook_pst::ndb::node_id::NodeId;
use outlook_pst::ndb::page::NodeBTreeEntry as _;
use outlook_pst::{PstFile as _, UnicodePstFile};

/// The bytes of node `n`: sizes cycle through small values, a 1 MB body and a 9 MB attachment
/// (an XXBLOCK), contents from a cheap generator.
fn node_data(n: u64) -> Vec<u8> {
    let size = match n % 8 {
        0 => 9_000_000,
        1 | 2 => 1 << 20,
        3 => 8176,
        4 => 8177,
        _ => 300 + (n as usize * 7919) % 20_000,
    };
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut data = Vec::with_capacity(size + 8);
    while data.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(size);
    data
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(megabytes)) = (args.next(), args.next()) else {
        bail!("usage: ndb_big OUT.pst SIZE_MB");
    };
    let path = PathBuf::from(path);
    let target: u64 = megabytes.parse::<u64>().context("SIZE_MB")? * 1_000_000;

    let started = Instant::now();
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| path.display().to_string())?;
    let mut writer = NdbWriter::new(file, NdbOptions::default())?;
    writer.reserve_nid(special::IPM_SUBTREE);
    let mut nodes: Vec<Nid> = Vec::new();
    let mut payload = 0u64;
    while writer.bytes_written() < target {
        let n = nodes.len() as u64;
        let data = node_data(n);
        payload += data.len() as u64;
        let tree = writer.write_data(&data, 8176)?;
        // Every fourth node gets a subnode with a copy of its first kilobyte.
        let sub = if n.is_multiple_of(4) {
            let value = writer.write_data(&data[..1024], 8176)?;
            let nid = writer.allocate_nid(NidType::Ltp);
            writer.write_subnode_tree(vec![SubnodeEntry {
                nid,
                data: value.bid,
                sub: Bid::NONE,
            }])?
        } else {
            Bid::NONE
        };
        let nid = writer.allocate_nid(NidType::NormalMessage);
        writer.add_node(nid, tree.bid, sub, special::IPM_SUBTREE)?;
        nodes.push(nid);
    }
    writer.finish()?;
    let seconds = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path)?.len();
    println!(
        "wrote {} nodes, {:.1} MB of data, file {size} bytes, in {seconds:.1} s ({:.0} MB/s)",
        nodes.len(),
        payload as f64 / 1e6,
        payload as f64 / 1e6 / seconds
    );

    let started = Instant::now();
    let report = verify(&path)?;
    println!(
        "verify: {} problems in {:.1} s; {:?}",
        report.problems.len(),
        started.elapsed().as_secs_f64(),
        report.stats
    );
    ensure!(report.is_clean(), "{report}");

    // The last nodes were written past 4 GiB when the file is that large.
    let mut reader = NdbReader::open(&path)?;
    let pst = UnicodePstFile::read_from(Box::new(File::open(&path)?))?;
    let sample: Vec<usize> = (0..nodes.len()).rev().take(20).chain(0..5).collect();
    for i in sample {
        let expected = node_data(i as u64);
        let nid = nodes[i];
        let node = reader.node(nid).context("node missing")?;
        ensure!(
            reader.read_data(node.data)? == expected,
            "ours: node {nid:?}"
        );
        let theirs = pst.read_node(NodeId::from(nid.0))?;
        ensure!(
            pst.read_block(theirs.data())? == expected,
            "outlook-pst: node {nid:?}"
        );
    }
    println!("read back 25 nodes through both readers: identical");
    Ok(())
}
