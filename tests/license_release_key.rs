//! A release build trusts only the public key it was built with: the app's key check
//! (`src/license/key.rs`), built with a throwaway `MAIL2PST_LICENSE_PUBKEY` as the release
//! workflow builds the app with the real one, refuses the keys the development key pair signs
//! (whose private half is in the repository) and accepts keys of the throwaway pair. Only the key
//! check is built (`tools/release-key-check`), so this costs seconds, not a second build of the
//! app.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use ed25519_dalek::{Signer as _, SigningKey};
use mail2pst::license::{self, Edition, KeyId, License, SIGNING_CONTEXT};

use crate::util::{fixtures, project_root, spawn_with_input};

/// The throwaway key pair of this test; its private half signs nothing anywhere else.
fn throwaway_key() -> SigningKey {
    SigningKey::from_bytes(&[0x5a; 32])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A key for Grace Hopper signed with `signing_key`, made as the vendor's tool makes keys.
fn key_signed_by(signing_key: &SigningKey) -> String {
    let license = License {
        name: "Grace Hopper".to_string(),
        email: "grace@example.com".to_string(),
        edition: Edition::Business,
        issued: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    };
    let payload = license
        .payload(KeyId::of(&signing_key.verifying_key()))
        .unwrap();
    let signature = signing_key.sign(&[SIGNING_CONTEXT, &payload].concat());
    license::encode_key_text(&[payload, signature.to_bytes().to_vec()].concat())
}

/// Builds the key check with `public_hex` as the release key; returns the program.
fn build_key_check(public_hex: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--locked", "--quiet", "--message-format=json"])
        .args(["--package", "mail2pst-release-key-check"])
        .current_dir(project_root())
        .env(license::PUBLIC_KEY_VAR, public_hex)
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo");
    assert!(output.status.success(), "the key check did not build");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the program it built")
}

/// Runs the key check on `key_text`: whether it accepted the key, and what it printed.
fn check(program: &PathBuf, key_text: &str) -> (bool, String) {
    let child = spawn_with_input(
        Command::new(program).stdout(Stdio::piped()),
        key_text.as_bytes(),
    );
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_build_with_a_release_key_refuses_development_keys() {
    let throwaway = throwaway_key();
    let program = build_key_check(&hex(throwaway.verifying_key().as_bytes()));
    let throwaway_id = KeyId::of(&throwaway.verifying_key());

    let development_key = std::fs::read_to_string(fixtures().join("licenses/valid.key")).unwrap();
    let (accepted, said) = check(&program, &development_key);
    assert!(!accepted, "{said}");
    assert!(
        said.contains(&format!("trusts key {throwaway_id}\n")),
        "{said}"
    );
    assert!(
        said.contains("refused: this license key was not issued for this build of mail2pst"),
        "{said}"
    );

    let (accepted, said) = check(&program, &key_signed_by(&throwaway));
    assert!(accepted, "{said}");
    assert!(said.contains("valid: Grace Hopper <grace@example.com>, Business edition"));
}
