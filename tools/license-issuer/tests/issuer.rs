//! The vendor tool `mail2pst-license`, run as a program: a key pair it makes signs keys that it
//! and the app's library accept, and the example keys are what it regenerates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ed25519_dalek::VerifyingKey;
use mail2pst::license::{self, Edition, KeyError};
use tempfile::TempDir;

/// The public half of the development key pair (`fixtures/licenses/dev-signing.key`), so these
/// tests judge the example keys the same way whichever key the tool was built with.
const DEV_PUBLIC_HEX: &str = "b3df4b11f1437ba6e975d354df1530ecdac9a9555ba073cb2bd5f51b32c4f1d4";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn temp_dir() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// A public key printed as 64 hex digits.
fn public_key(hex: &str) -> VerifyingKey {
    let mut bytes = [0; 32];
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap();
    }
    VerifyingKey::from_bytes(&bytes).unwrap()
}

/// The tool with a private, empty config folder and no license in the environment.
fn tool(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mail2pst-license"));
    command
        .env_remove("MAIL2PST_LICENSE_KEY")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"));
    command
}

fn run(command: &mut Command) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("run mail2pst-license");
    (
        status.success(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

fn license_fixture(name: &str) -> String {
    fs::read_to_string(fixtures().join("licenses").join(name)).unwrap()
}

#[test]
fn keygen_sign_verify_round_trip() {
    let home = temp_dir();
    let keys = home.path().join("keys");
    let (ok, public_hex, stderr) = run(tool(home.path()).args(["keygen", "--out"]).arg(&keys));
    assert!(ok, "{stderr}");
    let public_hex = public_hex.trim();
    assert_eq!(public_hex.len(), 64);
    assert!(
        stderr.contains(&format!("MAIL2PST_LICENSE_PUBKEY={public_hex}")),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(keys.join("public.key")).unwrap().trim(),
        public_hex
    );

    let (ok, key_text, stderr) = run(tool(home.path())
        .args(["sign", "--key"])
        .arg(keys.join("signing.key"))
        .args(["--name", "Grace Hopper", "--email", "grace@example.com"])
        .args(["--edition", "business", "--date", "2026-03-01"]));
    assert!(ok, "{stderr}");
    let key_text = key_text.trim();
    assert!(key_text.starts_with("M2P1-"), "{key_text}");

    // The library accepts it against the new public key...
    let public_key = public_key(public_hex);
    let license = license::verify_with(key_text, &public_key).unwrap();
    assert_eq!(license.name, "Grace Hopper");
    assert_eq!(license.email, "grace@example.com");
    assert_eq!(license.edition, Edition::Business);
    assert_eq!(license.issued.to_string(), "2026-03-01");

    // ...and so does the tool.
    let (ok, stdout, stderr) =
        run(tool(home.path()).args(["verify", key_text, "--pubkey", public_hex]));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("licensee:  Grace Hopper"), "{stdout}");
    assert!(stdout.contains("edition:   Business"), "{stdout}");

    // The built-in key of this build is another key pair.
    let (ok, _, stderr) = run(tool(home.path()).args(["verify", key_text]));
    assert!(!ok);
    assert!(
        stderr.contains("not issued for this build of mail2pst"),
        "{stderr}"
    );
    assert!(matches!(
        license::verify(key_text),
        Err(KeyError::ForeignKey { .. })
    ));
}

#[cfg(unix)]
#[test]
fn keygen_keeps_the_signing_key_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = temp_dir();
    let keys = home.path().join("keys");
    let (ok, _, stderr) = run(tool(home.path()).args(["keygen", "--out"]).arg(&keys));
    assert!(ok, "{stderr}");
    let mode = fs::metadata(keys.join("signing.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn keygen_never_overwrites_a_signing_key() {
    let home = temp_dir();
    let keys = home.path().join("keys");
    assert!(run(tool(home.path()).args(["keygen", "--out"]).arg(&keys)).0);
    let before = fs::read(keys.join("signing.key")).unwrap();
    let (ok, _, stderr) = run(tool(home.path()).args(["keygen", "--out"]).arg(&keys));
    assert!(!ok);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(fs::read(keys.join("signing.key")).unwrap(), before);
}

#[test]
fn sign_refuses_unknown_editions_and_dates() {
    let home = temp_dir();
    let key = fixtures().join("licenses/dev-signing.key");
    let base = |edition: &str, date: &str| {
        let mut command = tool(home.path());
        command
            .args(["sign", "--key"])
            .arg(&key)
            .args(["--name", "Ada", "--email", "ada@example.com"])
            .args(["--edition", edition, "--date", date]);
        command
    };
    let (ok, _, stderr) = run(&mut base("enterprise", "2025-01-15"));
    assert!(!ok);
    assert!(stderr.contains("personal, business"), "{stderr}");
    let (ok, _, stderr) = run(&mut base("personal", "2025-02-30"));
    assert!(!ok);
    assert!(stderr.contains("YYYY-MM-DD"), "{stderr}");
    let (ok, stdout, stderr) = run(&mut base("Personal", "2025-01-15"));
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("M2P1-"));
}

#[test]
fn the_tool_judges_each_example_key() {
    let home = temp_dir();
    let cases = [
        ("valid.key", true, "licensee:  Ada Lovelace"),
        ("tampered.key", false, "does not match its signature"),
        ("truncated.key", false, "incomplete"),
        ("foreign.key", false, "not issued for this build"),
        ("garbage.key", false, "not a mail2pst license key"),
    ];
    for (name, valid, says) in cases {
        let (ok, stdout, stderr) = run(tool(home.path()).args([
            "verify",
            &license_fixture(name),
            "--pubkey",
            DEV_PUBLIC_HEX,
        ]));
        assert_eq!(ok, valid, "{name}: {stderr}");
        let output = if valid { stdout } else { stderr };
        assert!(output.contains(says), "{name}: {output}");
    }
}

#[test]
fn verify_reads_a_wrapped_key_from_standard_input() {
    let home = temp_dir();
    let valid = license_fixture("valid.key");
    let (head, tail) = valid.trim().split_at(40);
    let mut child = tool(home.path())
        .args(["verify", "-", "--pubkey", DEV_PUBLIC_HEX])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("> {head}\r\n> {tail}\r\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn make_fixtures_regenerates_the_example_keys() {
    let home = temp_dir();
    let out = home.path().join("licenses");
    fs::create_dir_all(&out).unwrap();
    let (ok, _, stderr) = run(tool(home.path())
        .args(["make-fixtures", "--key"])
        .arg(fixtures().join("licenses/dev-signing.key"))
        .arg("--out")
        .arg(&out));
    assert!(ok, "{stderr}");
    for name in ["valid.key", "tampered.key", "truncated.key", "garbage.key"] {
        assert_eq!(
            fs::read_to_string(out.join(name)).unwrap(),
            license_fixture(name),
            "{name} differs from fixtures/licenses"
        );
    }
    // The foreign key pair is new each time; its key still holds the same license.
    let foreign = fs::read_to_string(out.join("foreign.key")).unwrap();
    assert_ne!(foreign, license_fixture("foreign.key"));
    let bytes = license::decode_key_text(&foreign).unwrap();
    let committed = license::decode_key_text(&license_fixture("foreign.key")).unwrap();
    assert_eq!(
        bytes[8..bytes.len() - 64],
        committed[8..committed.len() - 64]
    );
}
