//! `mail2pst`: with a command it runs the command line ([`mail2pst::cli`]); with no arguments it
//! opens the desktop app ([`mail2pst::gui`]).

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use mail2pst::cli::{self, Cli, EXIT_ERROR, EXIT_OK};
use mail2pst::engine::CancelToken;

fn main() -> ExitCode {
    keep_freed_memory_small();
    if std::env::args_os().len() <= 1 {
        return open_window();
    }
    let parsed = match Cli::try_parse() {
        Ok(parsed) => parsed,
        Err(error) => {
            // `--help` and `--version` are not errors; everything else clap rejects is.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::from(EXIT_OK)
            };
        }
    };
    let Some(command) = parsed.command else {
        return open_window();
    };
    start_logging();
    let cancel = CancelToken::new();
    let on_interrupt = cancel.clone();
    // Ctrl-C, and the TERM and HUP signals (`kill`, `timeout`, systemd, a closed terminal),
    // stop the job the same way: it removes what it wrote and exits with 130.
    if let Err(error) = ctrlc::set_handler(move || on_interrupt.cancel()) {
        tracing::warn!("Ctrl-C cannot be caught: {error}");
    }
    match cli::run(command, &cancel) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // A closed terminal is no reason to panic on the way out.
            let _ = writeln!(std::io::stderr(), "mail2pst: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// glibc raises its mmap threshold each time a large buffer is freed, after which buffers of
/// many megabytes (a message, its decoded attachments) come from per-thread heaps that keep
/// what is freed. Fixed thresholds keep a conversion's peak memory flat whatever the mailbox
/// size (`scripts/bench.sh`: about 140 MB instead of 230 MB for a 2 GB mbox). Buffers up to
/// 32 MiB come from the heaps, which give back free space beyond 16 MiB: with 4 MiB and 8 MiB
/// the heaps were given back and taken again all through a job (25,000 to 34,000 page faults
/// for the 248.7 MB mailbox of 2,000 messages, 8,000 to 10,000 now; 0.41 s -> 0.39 s, and the
/// peaks of the 0.25 GB and 2 GB mboxes went from 89 and 94 MB to 82 and 88). glibc also gives
/// threads up to eight heaps per core, each keeping what its threads freed. One per core was
/// too few: the converting threads, the reader, the writer's helpers and the read-back's
/// threads then shared one heap and waited for its lock (up to 100,000 waits for 2,000
/// messages, a fifth more CPU time in those runs); two more than the cores wait a tenth as
/// often.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_freed_memory_small() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 64));
    // SAFETY: mallopt only changes allocator parameters; it is called before any other
    // thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20);
        libc::mallopt(libc::M_ARENA_MAX, (cores + 2) as libc::c_int);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory_small() {}

/// Warnings and errors to stderr; `MAIL2PST_LOG` (e.g. `debug`) asks for more.
fn start_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env(mail2pst::gui::LOG_FILTER_VAR)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// `mail2pst` with no arguments: the desktop app.
fn open_window() -> ExitCode {
    match mail2pst::gui::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "mail2pst: {error:#}");
            ExitCode::FAILURE
        }
    }
}
