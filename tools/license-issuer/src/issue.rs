//! Issuing license keys: signing key pairs, their files, and signing a license. The key format
//! itself (payload layout, key text) is the app's, `mail2pst::license::key`; only the private
//! half of the work lives here, out of the app.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use mail2pst::license::{KeyError, KeyId, License, SIGNING_CONTEXT, encode_key_text};

/// What can go wrong with a signing key or a public key given to the tool.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the public key {text:?} {detail}")]
    InvalidPublicKey { text: String, detail: &'static str },
    #[error("{path} is not a license signing key: {detail}")]
    InvalidSigningKey { path: PathBuf, detail: String },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot generate a key pair: the system's random source failed ({detail})")]
    Random { detail: String },
}

/// Issues a license: the key text for `license`, signed with `signing_key`.
pub fn sign(license: &License, signing_key: &SigningKey) -> Result<String, IssueError> {
    let payload = license.payload(KeyId::of(&signing_key.verifying_key()))?;
    let signature = signing_key.sign(&[SIGNING_CONTEXT, &payload].concat());
    let mut bytes = payload;
    bytes.extend_from_slice(&signature.to_bytes());
    Ok(encode_key_text(&bytes))
}

/// A new signing key from the operating system's random source.
pub fn generate_signing_key() -> Result<SigningKey, IssueError> {
    let mut seed = [0; 32];
    getrandom::fill(&mut seed).map_err(|error| IssueError::Random {
        detail: error.to_string(),
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The text of a signing key file: a comment line, then the 32-byte secret seed in hex.
pub fn signing_key_to_text(signing_key: &SigningKey) -> String {
    format!(
        "# mail2pst license signing key (Ed25519 secret seed, hex). Keep it secret.\n{}\n",
        to_hex(signing_key.as_bytes())
    )
}

/// Reads a signing key file written by [`signing_key_to_text`].
pub fn read_signing_key(path: &Path) -> Result<SigningKey, IssueError> {
    let text = fs::read_to_string(path).map_err(|source| IssueError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |detail: &str| IssueError::InvalidSigningKey {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let (Some(hex), None) = (lines.next(), lines.next()) else {
        return Err(invalid(
            "it should hold exactly one line of 64 hexadecimal digits",
        ));
    };
    let seed = hex_32(hex).ok_or_else(|| invalid("its key is not 64 hexadecimal digits"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A public key given as 64 hex digits, as printed by `keygen`.
pub fn parse_public_key(hex: &str) -> Result<VerifyingKey, IssueError> {
    let invalid = |detail| IssueError::InvalidPublicKey {
        text: hex.to_string(),
        detail,
    };
    let bytes = hex_32(hex.trim()).ok_or_else(|| invalid("is not 64 hexadecimal digits"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| invalid("is not an Ed25519 public key"))
}

/// Lower-case hex digits of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Exactly 64 hex digits as 32 bytes.
fn hex_32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = [0; 32];
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use mail2pst::license::{Edition, verify_with};

    fn repository_file(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path)
    }

    fn ada() -> License {
        License {
            name: "Ada Lovelace".to_string(),
            email: "ada@example.com".to_string(),
            edition: Edition::Personal,
            issued: NaiveDate::from_ymd_opt(2025, 1, 15).unwrap(),
        }
    }

    #[test]
    fn the_dev_key_signs_the_valid_example_key_byte_for_byte() {
        // Ed25519 signatures are deterministic, so this pins the whole key text.
        let dev_key =
            read_signing_key(&repository_file("fixtures/licenses/dev-signing.key")).unwrap();
        let key_text = sign(&ada(), &dev_key).unwrap();
        let valid = fs::read_to_string(repository_file("fixtures/licenses/valid.key")).unwrap();
        assert_eq!(key_text, valid.trim());
        assert_eq!(
            verify_with(&key_text, &dev_key.verifying_key()).unwrap(),
            ada()
        );
    }

    #[test]
    fn signing_refuses_fields_a_key_cannot_carry() {
        let key = SigningKey::from_bytes(&[42; 32]);
        let unnamed = License {
            name: String::new(),
            ..ada()
        };
        assert!(matches!(
            sign(&unnamed, &key),
            Err(IssueError::Key(KeyError::InvalidField { .. }))
        ));
    }

    #[test]
    fn a_signing_key_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        let key = SigningKey::from_bytes(&[42; 32]);
        fs::write(&path, signing_key_to_text(&key)).unwrap();
        assert_eq!(read_signing_key(&path).unwrap().to_bytes(), key.to_bytes());

        fs::write(&path, "not a key\n").unwrap();
        let error = read_signing_key(&path).unwrap_err();
        assert!(
            matches!(error, IssueError::InvalidSigningKey { .. }),
            "{error:?}"
        );
        fs::write(&path, "# only a comment\n").unwrap();
        assert!(read_signing_key(&path).is_err());
    }

    #[test]
    fn public_keys_parse_from_hex() {
        let public = SigningKey::from_bytes(&[42; 32]).verifying_key();
        let hex = to_hex(public.as_bytes());
        assert_eq!(parse_public_key(&hex).unwrap(), public);
        assert_eq!(parse_public_key(&hex.to_uppercase()).unwrap(), public);
        for bad in ["", "abc", &hex[..62], &format!("{}zz", &hex[..62])] {
            let error = parse_public_key(bad).unwrap_err();
            assert!(
                matches!(error, IssueError::InvalidPublicKey { .. }),
                "{error:?}"
            );
        }
    }

    #[test]
    fn generated_signing_keys_differ() {
        let first = generate_signing_key().unwrap();
        let second = generate_signing_key().unwrap();
        assert_ne!(first.to_bytes(), second.to_bytes());
    }
}
