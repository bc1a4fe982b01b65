//! The command line: `convert`, `scan`, `verify` and `license`. Thin: it builds a job, runs it
//! and shows its events; the work is the engine's.
//!
//! Exit codes (also in the README): [`EXIT_OK`] 0 when everything found was written (or, for
//! `verify`, the PST matches its sources); [`EXIT_ERROR`] 1 for an error that stopped the
//! command, including a command line it cannot understand; [`EXIT_INCOMPLETE`] 2 when some
//! messages were skipped (the report lists them and says why) or `verify` found differences;
//! [`EXIT_CANCELLED`] 130 when a conversion was interrupted (Ctrl-C) and removed its files.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{
    self, CancelToken, Comparison, DEFAULT_SPLIT_SIZE, DateRange, Event, ImapAccount, JobSpec,
    KEYCHAIN_SERVICE, Keychain, Options, Password, Report, Security, Source, Status, StoreListing,
    format_size, keychain_entry_name,
};
use crate::license::{self, LicenseStatus};
use crate::model::FolderKind;

pub const EXIT_OK: u8 = 0;
pub const EXIT_ERROR: u8 = 1;
pub const EXIT_INCOMPLETE: u8 = 2;
pub const EXIT_CANCELLED: u8 = 130;

/// The environment variable an IMAP account's password is taken from, when it is set; the
/// password is never given on the command line, where other users of the computer could
/// read it.
pub const IMAP_PASSWORD_VARIABLE: &str = "MAIL2PST_IMAP_PASSWORD";

/// The time to stamp into a PST instead of the clock's, as Unix seconds: the variable that
/// reproducible builds use for the same purpose. With it, the same mail gives the same bytes.
pub const SOURCE_DATE_VARIABLE: &str = "SOURCE_DATE_EPOCH";

/// Move mail from Apple Mail, Thunderbird, Postbox, MBOX and EML files into an Outlook PST file.
#[derive(Debug, Parser)]
#[command(name = "mail2pst", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 everything found was written; 1 error; 2 some messages \
                        were skipped (the report says which and why); 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert mail stores (mbox files, folders of .eml files, maildirs, mail client profiles)
    /// into a PST file
    #[command(
        after_help = "A PST records when it was made. Set SOURCE_DATE_EPOCH (seconds since \
                      1970-01-01 UTC) to record that time instead of the clock's: the same \
                      mail then gives the same PST, byte for byte."
    )]
    Convert(ConvertArgs),
    /// List mail stores with their folders and message counts, without writing anything
    Scan(ScanArgs),
    /// Compare a PST with the mail it was converted from
    Verify(VerifyArgs),
    /// Activate, show or remove the license key
    License {
        #[command(subcommand)]
        action: LicenseAction,
    },
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Mail stores to convert, in the order their folders appear in the PST; an IMAP account
    /// as imaps://USER@SERVER/ or imaps://USER@SERVER:PORT/ (imap:// for STARTTLS)
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// The PST file to write
    #[arg(short, long, value_name = "OUT.pst")]
    pub output: PathBuf,
    /// Replace the output (and its split parts and reports) if it exists
    #[arg(long)]
    pub force: bool,
    /// Start a new PST file (OUT-2.pst, …) before one grows past this size; 1 GB = 1024³ bytes,
    /// at most 50GB
    #[arg(long, value_name = "SIZE", value_parser = parse_split_size)]
    pub split_size: Option<u64>,
    /// Convert only messages dated on or after this day (YYYY-MM-DD, UTC); messages without
    /// any date are always converted
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub from: Option<NaiveDate>,
    /// Convert only messages dated on or before this day (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub to: Option<NaiveDate>,
    /// Leave out messages already written in this job (same Message-ID and same content)
    #[arg(long)]
    pub skip_duplicates: bool,
    /// Leave out Trash and Junk folders (they are converted by default)
    #[arg(long)]
    pub exclude_trash_junk: bool,
    /// Do not read the PST back after writing (by default every message is compared with an
    /// independent reading of its source)
    #[arg(long)]
    pub no_verify: bool,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the report as JSON on standard output
    #[arg(long)]
    pub json: bool,
    /// Fetch from its server each message an IMAP account of Thunderbird, Postbox or Apple Mail
    /// lists but never downloaded (and Apple Mail's messages whose attachments it did not
    /// download), with the account's password (MAIL2PST_IMAP_PASSWORD, the keychain, or asked
    /// for)
    #[arg(long)]
    pub fetch_missing: bool,
    #[command(flatten)]
    pub imap: ImapArgs,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Mail stores to list (an IMAP account as imaps://USER@SERVER/); without any, the stores
    /// found in the usual places of this computer (what the desktop app lists when it starts)
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print the listing as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub imap: ImapArgs,
}

/// How IMAP accounts are reached. The password is taken from the environment variable
/// MAIL2PST_IMAP_PASSWORD, else from this computer's keychain when one is stored there, else
/// asked for.
#[derive(Debug, Default, Args)]
pub struct ImapArgs {
    /// Store the IMAP password in this computer's keychain once the server accepts it (service
    /// "mail2pst", user USER@SERVER:PORT), for the next runs to use instead of asking
    #[arg(long, conflicts_with = "forget_password")]
    pub remember_password: bool,
    /// Remove the IMAP password stored in this computer's keychain before logging in; the
    /// password is then taken from MAIL2PST_IMAP_PASSWORD or asked for
    #[arg(long)]
    pub forget_password: bool,
    /// Trust this certificate (a PEM file) for IMAP servers, besides the ones this computer
    /// trusts: a self-hosted server's own certificate or its authority's
    #[arg(long, value_name = "FILE")]
    pub trust_certificate: Option<PathBuf>,
    /// Talk to imap:// servers without TLS, the password included, readable by anyone on the
    /// way: only for a server on your own network that offers no STARTTLS
    #[arg(long)]
    pub allow_unencrypted_login: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The PST to check (its split parts OUT-2.pst, … are read too)
    #[arg(value_name = "OUT.pst")]
    pub pst: PathBuf,
    /// The mail stores it was converted from, in the order they were given to `convert`
    #[arg(long, required = true, num_args = 1.., value_name = "SOURCE")]
    pub against: Vec<PathBuf>,
    /// Print nothing but errors
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the comparison as JSON on standard output
    #[arg(long)]
    pub json: bool,
    /// Compare with the messages never downloaded too, fetched from their servers as
    /// `convert --fetch-missing` does
    #[arg(long)]
    pub fetch_missing: bool,
    #[command(flatten)]
    pub imap: ImapArgs,
}

#[derive(Debug, Subcommand)]
pub enum LicenseAction {
    /// Check a license key and keep it for later runs
    Activate {
        /// The key, as received (quotes around it keep a shell from splitting it)
        key: String,
    },
    /// Show the license in use, or why the app runs in demo mode
    Show,
    /// Forget the stored license key
    Remove,
}

fn parse_split_size(text: &str) -> Result<u64, String> {
    let size = engine::parse_size(text).map_err(|e| e.to_string())?;
    let options = Options {
        split_size: size,
        ..Options::default()
    };
    options.validate().map_err(|e| e.to_string())?;
    Ok(size)
}

fn parse_day(text: &str) -> Result<NaiveDate, String> {
    engine::parse_day(text).map_err(|e| e.to_string())
}

/// Runs a command; returns the exit code. An `Err` is printed by `main` as one line.
pub fn run(command: Command, cancel: &CancelToken) -> Result<u8> {
    match command {
        Command::Convert(args) => convert(args, cancel),
        Command::Scan(args) => scan(args),
        Command::Verify(args) => verify(args, cancel),
        Command::License { action } => license_command(action),
    }
}

/// Opens every source, failing on the first that cannot be read. A folder holding several
/// stores (a Thunderbird data folder with several profiles) gives each of them; an
/// `imaps://` or `imap://` address is an IMAP account, logged in to at once.
fn open_sources(paths: &[PathBuf], imap: &ImapArgs, verbose: bool) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    for path in paths {
        if let Some(mut account) = imap_account(path, imap)? {
            let from = give_password(&mut account, imap, verbose)?;
            let source = Source::imap(account.clone()).map_err(|e| login_error(e, from))?;
            after_login(&account, from, imap, verbose);
            sources.push(source);
        } else {
            sources.extend(Source::open_all(path.clone()).map_err(|e| anyhow!(e))?);
        }
    }
    Ok(sources)
}

/// The IMAP account a source argument names, with its password; `None` for a path.
fn imap_account(source: &std::path::Path, imap: &ImapArgs) -> Result<Option<ImapAccount>> {
    let text = source.to_string_lossy();
    let lower = text.to_ascii_lowercase();
    if !lower.starts_with("imaps://") && !lower.starts_with("imap://") {
        return Ok(None);
    }
    let Some(mut account) = ImapAccount::from_url(&text, Password::new("")) else {
        return Err(anyhow!(
            "{text}: not an IMAP account's address; write it as imaps://USER@SERVER/ or \
             imaps://USER@SERVER:PORT/ (a user name holding @ may stay as it is)"
        ));
    };
    if imap.allow_unencrypted_login && account.security == Security::StartTls {
        account.security = Security::Unencrypted;
    }
    account.trusted_certificate = imap.trust_certificate.clone();
    Ok(Some(account))
}

/// For `--fetch-missing`: gives each account with messages only on its server the password
/// (from [`IMAP_PASSWORD_VARIABLE`], the keychain or asked for), so that the job fetches them. An account
/// whose server is unknown, or whose server refuses the login, is said on stderr; its messages
/// stay listed as not downloaded, with the reason, and the rest is converted.
fn fill_gaps(sources: &[Source], imap: &ImapArgs, verbose: bool) -> Result<()> {
    for source in sources {
        for gap in source.gaps() {
            let mut server = match gap.server {
                Ok(server) => server,
                Err(why) => {
                    print_err(&format!(
                        "{}: {} messages of {} stay on the server, not fetched: {why}\n",
                        source.name(),
                        gap.messages,
                        gap.name
                    ));
                    continue;
                }
            };
            if imap.allow_unencrypted_login && server.security == Security::StartTls {
                server.security = Security::Unencrypted;
            }
            server.trusted_certificate = imap.trust_certificate.clone();
            let from = give_password(&mut server, imap, verbose)?;
            let label = server.label();
            match source.fill_gaps(&gap.account, server.clone()) {
                Ok(()) => {
                    if verbose {
                        print_err(&format!(
                            "Fetching {} messages {} never downloaded from {label}\n",
                            gap.messages, gap.name
                        ));
                    }
                    after_login(&server, from, imap, verbose);
                }
                Err(error) => print_err(&format!(
                    "mail2pst: {}\nThe {} messages of {} that are only on the server are not \
                     fetched; the rest is converted.\n",
                    login_error(error, from),
                    gap.messages,
                    gap.name
                )),
            }
        }
    }
    Ok(())
}

/// Where an IMAP account's password came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PasswordFrom {
    /// [`IMAP_PASSWORD_VARIABLE`].
    Environment,
    /// This computer's keychain, where `--remember-password` stored it.
    Keychain,
    /// Typed at the prompt.
    Terminal,
}

/// Gives `account` its password: from [`IMAP_PASSWORD_VARIABLE`], else the one stored in this
/// computer's keychain, else asked for on the terminal. With `--forget-password` the stored
/// one is removed first. A keychain that cannot be reached only counts as holding none.
fn give_password(
    account: &mut ImapAccount,
    imap: &ImapArgs,
    verbose: bool,
) -> Result<PasswordFrom> {
    let keychain = Keychain::system();
    if imap.forget_password {
        match keychain.forget(account) {
            Ok(true) if verbose => print_err(&format!(
                "Removed the password of {} from this computer's keychain\n",
                account.label()
            )),
            Ok(false) if verbose => print_err(&format!(
                "This computer's keychain held no password of {}\n",
                account.label()
            )),
            Ok(_) => {}
            Err(error) => print_err(&format!(
                "mail2pst: the password of {} stored in the keychain was not removed: \
                 {error}\n",
                account.label()
            )),
        }
    }
    if let Ok(password) = std::env::var(IMAP_PASSWORD_VARIABLE) {
        account.password = Password::new(password);
        return Ok(PasswordFrom::Environment);
    }
    if !imap.forget_password {
        match keychain.password(account) {
            Ok(Some(password)) => {
                if verbose {
                    print_err(&format!(
                        "Using the password of {} stored in this computer's keychain\n",
                        account.label()
                    ));
                }
                account.password = password;
                return Ok(PasswordFrom::Keychain);
            }
            Ok(None) => {}
            Err(error) => tracing::debug!("no password from the keychain: {error}"),
        }
    }
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "{}: no password; set the environment variable {IMAP_PASSWORD_VARIABLE}, or run \
             the command in a terminal to be asked for it",
            account.label()
        ));
    }
    let password = rpassword::prompt_password(format!("Password for {}: ", account.label()))
        .context("cannot read the password")?;
    account.password = Password::new(password);
    Ok(PasswordFrom::Terminal)
}

/// After the server accepted the password: with `--remember-password`, stores it in the
/// keychain. A keychain that cannot be reached is said on stderr; the command goes on.
fn after_login(account: &ImapAccount, from: PasswordFrom, imap: &ImapArgs, verbose: bool) {
    if !imap.remember_password || from == PasswordFrom::Keychain {
        return;
    }
    match Keychain::system().remember(account) {
        Ok(()) if verbose => print_err(&format!(
            "Stored the password of {} in this computer's keychain (service \"{KEYCHAIN_SERVICE}\", \
             user \"{}\"); --forget-password removes it\n",
            account.label(),
            keychain_entry_name(account)
        )),
        Ok(()) => {}
        Err(error) => print_err(&format!(
            "mail2pst: the password of {} was not stored: {error}. The command goes on; give \
             the password again next time.\n",
            account.label()
        )),
    }
}

/// A login's error; when the password refused was the keychain's, says how to replace it.
fn login_error(error: engine::Error, from: PasswordFrom) -> anyhow::Error {
    if from == PasswordFrom::Keychain && error.is_login_refused() {
        anyhow!(
            "{error}. The password was the one stored in this computer's keychain: run again \
             with --forget-password to remove it, and give the password in \
             {IMAP_PASSWORD_VARIABLE} or at the prompt (with --remember-password to store the \
             new one)"
        )
    } else {
        anyhow!(error)
    }
}

/// The engine's error, worded for this command line.
fn explain(error: engine::Error) -> anyhow::Error {
    match error {
        engine::Error::OutputExists { path } => anyhow!(
            "{} already exists: add --force to replace it, or choose another name with -o",
            path.display()
        ),
        other => anyhow!(other),
    }
}

/// The time `SOURCE_DATE_EPOCH` asks to stamp into the PST, if set.
fn source_date() -> Result<Option<i64>> {
    let Some(value) = std::env::var_os(SOURCE_DATE_VARIABLE) else {
        return Ok(None);
    };
    let seconds = value
        .to_str()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .filter(|seconds| *seconds >= 0 && chrono::DateTime::from_timestamp(*seconds, 0).is_some());
    match seconds {
        Some(seconds) => Ok(Some(seconds)),
        None => Err(anyhow!(
            "{SOURCE_DATE_VARIABLE} is {}: it must be a number of seconds since 1970-01-01 UTC \
             (e.g. 1700000000), or unset to stamp the current time",
            value.to_string_lossy()
        )),
    }
}

fn convert(args: ConvertArgs, cancel: &CancelToken) -> Result<u8> {
    let sources = open_sources(&args.sources, &args.imap, !args.quiet)?;
    if args.fetch_missing {
        fill_gaps(&sources, &args.imap, !args.quiet)?;
    }
    let mut spec = JobSpec::new(sources, args.output.clone());
    spec.overwrite = args.force;
    spec.now = source_date()?;
    spec.options = Options {
        split_size: args.split_size.unwrap_or(DEFAULT_SPLIT_SIZE),
        date_range: DateRange {
            from: args.from,
            to: args.to,
        },
        skip_duplicates: args.skip_duplicates,
        include_trash_junk: !args.exclude_trash_junk,
        verify: !args.no_verify,
    };
    let license = license::current();
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    if !args.quiet
        && !args.json
        && let LicenseStatus::Demo { reason } = &license
    {
        print_err(&format!(
            "Demo mode: at most {} messages per folder are converted. {}\n",
            engine::DEMO_MESSAGES_PER_FOLDER,
            reason
                .as_deref()
                .unwrap_or("Activate a license with `mail2pst license activate KEY`.")
        ));
    }
    spec.license = Some(license);
    let bar = if show_progress {
        ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = engine::run(&spec, cancel, &mut |event| show_event(&bar, event));
    bar.finish_and_clear();
    let report = result.map_err(explain)?;
    if let Some(reason) = not_kept(&report) {
        // Said even with --quiet and --json: the command ends with an error.
        print_err(&format!("mail2pst: {reason}\n"));
    }
    if args.json {
        print_out(&format!("{}\n", report.to_json()));
    } else if report.status == Status::Cancelled {
        if !args.quiet {
            print_err("Cancelled; nothing was kept.\n");
        }
    } else if !args.quiet {
        print_report(&report);
    }
    Ok(exit_code(&report))
}

/// Why a finished job kept no PST: it failed its own checks. `None` for any other ending.
pub fn not_kept(report: &Report) -> Option<String> {
    if report.status != Status::Failed {
        return None;
    }
    let report_file = report
        .report_files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| format!("; {} lists them", p.display()))
        .unwrap_or_default();
    Some(format!(
        "the PST did not pass the job's checks, so it was not kept: {}{report_file}",
        report.problems.join("; ")
    ))
}

/// Prints to standard output. A reader that went away (`| head -c1`) ends the printing
/// quietly: what the command did is done, and its exit code says how it went.
fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Prints to standard error; a closed terminal (the window was closed) is no reason to stop.
fn print_err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

fn show_event(bar: &ProgressBar, event: Event) {
    match event {
        Event::Planned { messages, .. } => bar.set_length(messages),
        Event::Progress(progress) => {
            bar.set_length(progress.messages_total);
            bar.set_position(progress.messages_done);
            let eta = progress
                .eta
                .map(|eta| format!(", {} left", format_duration(eta)))
                .unwrap_or_default();
            bar.set_message(format!(
                "{:.0} msg/s{eta} · {} read · {}",
                progress.messages_per_second,
                format_size(progress.bytes_read),
                progress.folder
            ));
        }
        Event::FileFinished { path, bytes } => {
            bar.println(format!("Wrote {} ({})", path.display(), format_size(bytes)));
        }
        Event::Verifying { path } => {
            bar.set_message(format!("reading {} back", path.display()));
        }
    }
}

fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60),
    }
}

fn print_report(report: &Report) {
    use std::fmt::Write as _;
    let mut out = report.summary_table();
    for file in &report.outputs {
        let _ = writeln!(
            out,
            "PST: {} ({}, {})",
            file.path.display(),
            format_size(file.bytes),
            report.items(file.messages)
        );
    }
    if let Some(html) = report
        .report_files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "html"))
    {
        let _ = writeln!(out, "Report: {}", html.display());
    }
    for store in &report.stores {
        for warning in &store.warnings {
            let _ = writeln!(out, "{}: {warning}", store.name);
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "Note: {note}");
    }
    let _ = writeln!(out, "{}", report.status_sentence());
    print_out(&out);
}

/// The exit code a finished job ends the process with.
pub fn exit_code(report: &Report) -> u8 {
    match report.status {
        Status::Complete => EXIT_OK,
        Status::Incomplete => EXIT_INCOMPLETE,
        Status::Cancelled => EXIT_CANCELLED,
        Status::Failed => EXIT_ERROR,
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    if args.paths.is_empty() {
        return scan_this_computer(args.json);
    }
    let sources = open_sources(&args.paths, &args.imap, true)?;
    let listings: Vec<StoreListing> = sources.iter().map(engine::list_store).collect();
    if args.json {
        let json = serde_json::to_string_pretty(&listings).context("cannot write the listing")?;
        print_out(&format!("{json}\n"));
    } else {
        print_out(&listing_text(&listings));
    }
    let failed = listings.iter().any(|l| l.error.is_some());
    Ok(if failed { EXIT_INCOMPLETE } else { EXIT_OK })
}

/// `scan` without a path: the stores the desktop app lists when it starts, from the usual
/// places of this computer's user, with their folders and counts.
fn scan_this_computer(json: bool) -> Result<u8> {
    let discovery = engine::discover();
    let mut listings = Vec::new();
    let mut unreadable = Vec::new();
    for found in discovery.found {
        match found {
            Ok(source) => listings.push(engine::list_store(&source)),
            Err(error) => unreadable.push(error.to_string()),
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&listings).context("cannot write the listing")?
        );
        for problem in &unreadable {
            eprintln!("mail2pst: cannot read {problem}");
        }
    } else {
        let mut out = String::new();
        if listings.is_empty() && unreadable.is_empty() {
            out.push_str(&nothing_found_text());
        } else {
            out.push_str("Mail found on this computer:\n");
            out.push_str(&listing_text(&listings));
        }
        for problem in &unreadable {
            out.push_str(&format!("Cannot read {problem}\n"));
        }
        for note in &discovery.notes {
            out.push_str(&format!("Note: {note}\n"));
        }
        print!("{out}");
    }
    let failed = !unreadable.is_empty() || listings.iter().any(|l| l.error.is_some());
    Ok(if failed { EXIT_INCOMPLETE } else { EXIT_OK })
}

/// What `scan` says when the usual places hold no mail: where it looked, and what to do.
fn nothing_found_text() -> String {
    use std::fmt::Write as _;
    let mut out = String::from("No mail was found in the usual places of this computer:\n");
    if let Some(roots) = engine::SearchRoots::of_current_user() {
        for place in engine::usual_places(&roots) {
            let _ = writeln!(out, "  {} ({})", place.label, place.path.display());
        }
    }
    out.push_str(
        "Give the path of a mail store to list it: mail2pst scan PATH (an mbox file, a folder \
         of .eml files, a maildir, or a mail client's folder)\n",
    );
    out
}

/// Stores, then their folders indented by depth, with counts.
pub fn listing_text(listings: &[StoreListing]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for listing in listings {
        let _ = writeln!(out, "{} ({})", listing.name, listing.root.display());
        if let Some(error) = &listing.error {
            let _ = writeln!(out, "  cannot list the folders: {error}");
        }
        for warning in &listing.warnings {
            let _ = writeln!(out, "  note: {warning}");
        }
        let width = listing
            .folders
            .iter()
            .map(|f| 2 * f.path.depth() + f.path.name().chars().count())
            .max()
            .unwrap_or(0);
        for folder in &listing.folders {
            let label = format!("{}{}", "  ".repeat(folder.path.depth()), folder.path.name());
            let pad = width.saturating_sub(label.chars().count());
            // Contacts, events and tasks are named; the other counts are of messages.
            let items = match folder.kind {
                FolderKind::Mail => String::new(),
                kind => format!(" {}", kind.items()),
            };
            let _ = writeln!(
                out,
                "{label}{}  {:>7}{items}",
                " ".repeat(pad),
                folder.count
            );
            for note in &folder.notes {
                let _ = writeln!(out, "{}  note: {note}", "  ".repeat(folder.path.depth()));
            }
        }
        for gap in &listing.gaps {
            let _ = match (&gap.server, &gap.unknown_server) {
                (Some(server), _) => writeln!(
                    out,
                    "  {} of {} only on {server}: convert with --fetch-missing to fetch them",
                    plural(gap.messages, "message"),
                    gap.account
                ),
                (None, why) => writeln!(
                    out,
                    "  {} of {} only on the server, which cannot be reached: {}",
                    plural(gap.messages, "message"),
                    gap.account,
                    why.as_deref().unwrap_or_default()
                ),
            };
        }
        let _ = writeln!(
            out,
            "  {}, {}",
            plural(listing.folders.len() as u64, "folder"),
            plural(
                listing.messages(),
                if listing.folders.iter().all(|f| f.kind == FolderKind::Mail) {
                    "message"
                } else {
                    "item"
                }
            )
        );
    }
    out
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn verify(args: VerifyArgs, cancel: &CancelToken) -> Result<u8> {
    let verbose = !args.quiet && !args.json;
    let sources = open_sources(&args.against, &args.imap, verbose)?;
    if args.fetch_missing {
        fill_gaps(&sources, &args.imap, verbose)?;
    }
    let comparison: Comparison = engine::compare(&args.pst, &sources, cancel, &mut |event| {
        if let Event::Verifying { path } = event
            && verbose
        {
            print_err(&format!("Reading {}\n", path.display()));
        }
    })
    .map_err(explain)?;
    if args.json {
        let json =
            serde_json::to_string_pretty(&comparison).context("cannot write the comparison")?;
        print_out(&format!("{json}\n"));
    } else if !args.quiet {
        let verdict = if comparison.is_match() {
            "The PST holds every message of the sources, unchanged."
        } else {
            "The PST differs from the sources (see above)."
        };
        print_out(&format!("{}{verdict}\n", comparison.summary_table()));
    }
    Ok(if comparison.is_match() {
        EXIT_OK
    } else {
        EXIT_INCOMPLETE
    })
}

fn license_command(action: LicenseAction) -> Result<u8> {
    match action {
        LicenseAction::Activate { key } => {
            let license = license::activate(&key)?;
            println!("License activated: {license}");
            if license::uses_development_key() {
                println!("Note: this build accepts development keys; it is not a release build.");
            }
        }
        LicenseAction::Show => {
            match license::current() {
                LicenseStatus::Licensed { license, source } => {
                    println!("Licensed to {license} (key from {source})");
                }
                LicenseStatus::Demo { reason } => {
                    println!(
                        "Demo mode: at most {} messages per folder are converted.",
                        engine::DEMO_MESSAGES_PER_FOLDER
                    );
                    if let Some(reason) = reason {
                        println!("{reason}");
                    }
                }
            }
            let trusted = if license::uses_development_key() {
                "the development key: this is not a release build"
            } else {
                "this release's key"
            };
            println!(
                "License keys are checked against key {}, {trusted}.",
                license::built_in_key_id()
            );
        }
        LicenseAction::Remove => {
            if license::remove()? {
                println!("The stored license key was removed.");
            } else {
                println!("No license key was stored.");
            }
            if std::env::var_os(license::LICENSE_KEY_VAR).is_some() {
                println!(
                    "The key in the environment variable {} still applies.",
                    license::LICENSE_KEY_VAR
                );
            }
        }
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn convert_options_parse() {
        let cli = Cli::try_parse_from([
            "mail2pst",
            "convert",
            "a.mbox",
            "b",
            "-o",
            "out.pst",
            "--split-size",
            "2GB",
            "--from",
            "2024-01-01",
            "--skip-duplicates",
            "--exclude-trash-junk",
        ])
        .unwrap();
        let Some(Command::Convert(args)) = cli.command else {
            panic!("not convert");
        };
        assert_eq!(
            args.sources,
            vec![PathBuf::from("a.mbox"), PathBuf::from("b")]
        );
        assert_eq!(args.split_size, Some(2 * 1024 * 1024 * 1024));
        assert_eq!(args.from, NaiveDate::from_ymd_opt(2024, 1, 1));
        assert!(args.skip_duplicates && args.exclude_trash_junk && !args.force);
    }

    #[test]
    fn bad_sizes_and_dates_are_refused_with_a_reason() {
        let error = Cli::try_parse_from([
            "mail2pst",
            "convert",
            "a",
            "-o",
            "o.pst",
            "--split-size",
            "60GB",
        ])
        .unwrap_err()
        .to_string();
        assert!(error.contains("outside 2 MB to 50 GB"), "{error}");
        let error = Cli::try_parse_from([
            "mail2pst",
            "convert",
            "a",
            "-o",
            "o.pst",
            "--to",
            "01/02/2024",
        ])
        .unwrap_err()
        .to_string();
        assert!(error.contains("write it as YYYY-MM-DD"), "{error}");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_secs(42)), "42s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m05s");
        assert_eq!(format_duration(Duration::from_secs(7260)), "2h01m");
    }
}
