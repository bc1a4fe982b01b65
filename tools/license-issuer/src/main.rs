//! The vendor's license tool: makes signing key pairs, signs license keys, checks them, and
//! writes the example keys the tests use. It is a crate of its own, never published and never
//! installed with the app, so that no user receives a key signer. The private key of a release
//! never goes into the repository; only the development key pair in `fixtures/licenses/` does.

mod issue;

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use ed25519_dalek::SigningKey;
use mail2pst::license::{self, Edition, KeyError, KeyId, License};

use issue::IssueError;

/// File names `keygen` writes into its output folder.
const SIGNING_KEY_FILE: &str = "signing.key";
const PUBLIC_KEY_FILE: &str = "public.key";

/// The issue date of the example keys.
const FIXTURE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2025, 1, 15) {
    Some(date) => date,
    None => panic!("2025-01-15 is a date"),
};

#[derive(Debug, Parser)]
#[command(
    name = "mail2pst-license",
    version,
    about = "Issue and check mail2pst license keys"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a new signing key pair into DIR: signing.key (secret) and public.key. Prints the
    /// public key as the value of MAIL2PST_LICENSE_PUBKEY for release builds.
    Keygen {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print the license key for a licensee, signed with a signing key file.
    Sign {
        /// The signing key file written by `keygen`.
        #[arg(long, value_name = "PRIVATE.key")]
        key: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// personal or business.
        #[arg(long, value_parser = parse_edition)]
        edition: Edition,
        /// The issue date (YYYY-MM-DD); today if left out.
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Check a license key (its text, or `-` to read it from standard input) and print the
    /// license it holds. Exits with status 1 if the key is not valid.
    Verify {
        key: String,
        /// The public key to check against (64 hex digits); this build's built-in key if left out.
        #[arg(long, value_name = "HEX")]
        pubkey: Option<String>,
    },
    /// Write the example keys of fixtures/licenses/ (valid, tampered, truncated, foreign,
    /// garbage) with the development signing key.
    MakeFixtures {
        /// The development signing key file.
        #[arg(long, value_name = "PRIVATE.key")]
        key: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// What stops the tool, with the path it concerns.
#[derive(Debug, thiserror::Error)]
enum ToolError {
    #[error(transparent)]
    Issue(#[from] IssueError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{path} already exists; choose another folder rather than overwrite a signing key")]
    Exists { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read the key from standard input: {0}")]
    Stdin(io::Error),
    #[error("the key is not valid: {0}")]
    Invalid(KeyError),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mail2pst-license: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), ToolError> {
    match command {
        Command::Keygen { out } => keygen(&out),
        Command::Sign {
            key,
            name,
            email,
            edition,
            date,
        } => {
            let signing_key = issue::read_signing_key(&key)?;
            let license = License {
                name: name.trim().to_string(),
                email: email.trim().to_string(),
                edition,
                issued: date.unwrap_or_else(|| chrono::Local::now().date_naive()),
            };
            println!("{}", issue::sign(&license, &signing_key)?);
            Ok(())
        }
        Command::Verify { key, pubkey } => {
            let key_text = if key == "-" {
                let mut text = String::new();
                io::stdin()
                    .read_to_string(&mut text)
                    .map_err(ToolError::Stdin)?;
                text
            } else {
                key
            };
            let public_key = match pubkey {
                Some(hex) => issue::parse_public_key(&hex)?,
                None => license::built_in_key()?,
            };
            let license =
                license::verify_with(&key_text, &public_key).map_err(ToolError::Invalid)?;
            println!("valid license");
            print_license(&license);
            println!("signed by: key {}", KeyId::of(&public_key));
            Ok(())
        }
        Command::MakeFixtures { key, out } => make_fixtures(&issue::read_signing_key(&key)?, &out),
    }
}

fn print_license(license: &License) {
    println!("licensee:  {}", license.name);
    println!("e-mail:    {}", license.email);
    println!("edition:   {}", license.edition);
    println!("issued:    {}", license.issued.format("%Y-%m-%d"));
}

fn parse_edition(text: &str) -> Result<Edition, String> {
    text.parse().map_err(|_| {
        let ids: Vec<&str> = Edition::ALL.iter().map(|edition| edition.id()).collect();
        format!("{text:?} is not an edition; use one of: {}", ids.join(", "))
    })
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| format!("{text:?} is not a date of the form YYYY-MM-DD: {error}"))
}

fn keygen(out: &Path) -> Result<(), ToolError> {
    let signing_key = issue::generate_signing_key()?;
    let public_hex = issue::to_hex(signing_key.verifying_key().as_bytes());
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ToolError::Write { path, source }
    };
    fs::create_dir_all(out).map_err(write_error(out))?;
    let secret_path = out.join(SIGNING_KEY_FILE);
    write_new(
        &secret_path,
        issue::signing_key_to_text(&signing_key).as_bytes(),
        true,
    )?;
    let public_path = out.join(PUBLIC_KEY_FILE);
    write_new(&public_path, format!("{public_hex}\n").as_bytes(), false)?;
    eprintln!(
        "wrote {} (keep it secret) and {}",
        secret_path.display(),
        public_path.display()
    );
    eprintln!(
        "build a release that accepts keys signed with it with {}={public_hex}",
        license::PUBLIC_KEY_VAR
    );
    println!("{public_hex}");
    Ok(())
}

/// Writes a file that must not exist yet; `secret` files are readable by their owner only.
fn write_new(path: &Path, contents: &[u8], secret: bool) -> Result<(), ToolError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            ToolError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            ToolError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|source| ToolError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// The license every example key is made from.
fn fixture_license(edition: Edition) -> License {
    License {
        name: "Ada Lovelace".to_string(),
        email: "ada@example.com".to_string(),
        edition,
        issued: FIXTURE_DATE,
    }
}

/// The key bytes of a key text this tool just made.
fn key_bytes(key_text: &str) -> Result<Vec<u8>, ToolError> {
    Ok(license::decode_key_text(key_text)?)
}

fn make_fixtures(dev_key: &SigningKey, out: &Path) -> Result<(), ToolError> {
    let valid = issue::sign(&fixture_license(Edition::Personal), dev_key)?;

    // The same license with the edition changed to Business after signing: the business payload
    // ("business" has as many letters as "personal") with the personal signature.
    let business = issue::sign(&fixture_license(Edition::Business), dev_key)?;
    let (personal_bytes, business_bytes) = (key_bytes(&valid)?, key_bytes(&business)?);
    let payload_len = business_bytes
        .len()
        .saturating_sub(license::key::SIGNATURE_LEN);
    let mut tampered_bytes = business_bytes[..payload_len].to_vec();
    tampered_bytes.extend_from_slice(&personal_bytes[payload_len..]);
    let tampered = license::encode_key_text(&tampered_bytes);

    // Only the first line of the key as a mail program wrapped it at 60 characters.
    let truncated: String = valid.chars().take(60).collect();

    // Signed by a key pair made here and thrown away.
    let foreign = issue::sign(
        &fixture_license(Edition::Personal),
        &issue::generate_signing_key()?,
    )?;

    let garbage = "Thank you for buying mail2pst! Your license key follows below.";

    for (name, text) in [
        ("valid.key", valid.as_str()),
        ("tampered.key", tampered.as_str()),
        ("truncated.key", truncated.as_str()),
        ("foreign.key", foreign.as_str()),
        ("garbage.key", garbage),
    ] {
        let path = out.join(name);
        fs::write(&path, format!("{text}\n"))
            .map_err(|source| ToolError::Write { path, source })?;
    }
    Ok(())
}
