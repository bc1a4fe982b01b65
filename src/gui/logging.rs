//! The desktop app's log: one file a day in `logs/` of mail2pst's data folder, the last week
//! kept. The About box shows where.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// Log files kept before the oldest is removed.
const KEPT_FILES: usize = 7;

/// The environment variable that sets what is logged (`info` unless set), e.g. `debug`.
pub const LOG_FILTER_VAR: &str = "MAIL2PST_LOG";

/// The log while the app runs; dropping it writes out what is left.
#[derive(Debug)]
pub struct Log {
    /// The folder of the log files (`mail2pst.YYYY-MM-DD.log`).
    pub folder: PathBuf,
    _guard: WorkerGuard,
}

/// The folder the logs go in: `logs` in mail2pst's data folder.
pub fn log_folder() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "mail2pst").map(|dirs| dirs.data_dir().join("logs"))
}

/// Sends this process's `tracing` events to the day's file in `folder`.
pub fn start(folder: PathBuf) -> Result<Log> {
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create the log folder {}", folder.display()))?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("mail2pst")
        .filename_suffix("log")
        .max_log_files(KEPT_FILES)
        .build(&folder)
        .with_context(|| format!("cannot write a log file in {}", folder.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env(LOG_FILTER_VAR).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| anyhow!("cannot start the log: {e}"))?;
    tracing::info!("mail2pst {} started", env!("CARGO_PKG_VERSION"));
    Ok(Log {
        folder,
        _guard: guard,
    })
}
