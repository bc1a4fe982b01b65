//! Peak memory of the PST writer over many messages: writes N small messages (default
//! 100,000) into one folder and prints the process's resident set (VmRSS) and peak (VmHWM)
//! along the way and after `finish()`. Linux only (reads /proc/self/status).
//!
//! `cargo run --release --example pst_memory -- [COUNT] [OUT.pst]`

use std::path::PathBuf;

use mail2pst::pst::{
    Address, FileTime, Message, MessageState, PstWriter, Recipient, RecipientKind, WriterOptions,
};

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn report(label: &str) -> u64 {
    let rss = status_kib("VmRSS:");
    println!(
        "{label:>24}: VmRSS {:>7.1} MB, VmHWM {:>7.1} MB",
        rss as f64 / 1024.0,
        status_kib("VmHWM:") as f64 / 1024.0
    );
    rss
}

fn message(n: usize) -> Message {
    Message {
        subject: Some(format!("RE: Weekly status {n}")),
        from: Some(Address::new(Some("Ann Example"), "ann@example.com")),
        recipients: vec![Recipient {
            kind: RecipientKind::To,
            address: Address::new(Some("Bob Example"), "bob@example.com"),
        }],
        submit_time: FileTime::from_unix(1_600_000_000 + n as i64),
        delivery_time: FileTime::from_unix(1_600_000_100 + n as i64),
        state: MessageState {
            read: n.is_multiple_of(2),
            ..MessageState::default()
        },
        internet_message_id: Some(format!("<status-{n}@example.com>")),
        body_text: Some(format!("Status of week {n}: everything on track.\r\n").repeat(20)),
        ..Message::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let path = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("memory.pst"));
    let options = WriterOptions::new(
        "Memory",
        FileTime::from_unix(1_700_000_000).unwrap_or(FileTime(0)),
    );
    let mut writer = PstWriter::create(&path, options)?;
    let inbox = writer.add_folder(writer.top_folder(), "Inbox")?;
    let start = std::time::Instant::now();
    let base = report("start");
    let mut at_tenth = base;
    for n in 0..count {
        writer.add_message(inbox, &message(n))?;
        if (n + 1) == count / 10 {
            at_tenth = report(&format!("{} messages", n + 1));
        }
        if (n + 1) % (count / 4).max(1) == 0 {
            report(&format!("{} messages", n + 1));
        }
    }
    let before_finish = report("before finish");
    let summary = writer.finish()?;
    report("after finish");
    let growth =
        (before_finish.saturating_sub(at_tenth) * 1024) as f64 / (count - count / 10).max(1) as f64;
    println!(
        "wrote {} messages, {} bytes in {:.1} s; growth while adding: {growth:.0} bytes per message",
        count,
        summary.bytes,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
