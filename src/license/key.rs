//! License key text: its format, and checking a key against the public key built into the app.
//!
//! This file uses nothing else of this crate, so that `tools/release-key-check` can build it on
//! its own with another public key (see [`PUBLIC_KEY_VAR`]).
//!
//! # Key text
//! A key is one line a person can paste: `M2P1-` followed by the base64url alphabet (RFC 4648 §5,
//! no padding) of the *key bytes*. `M2P` names the product and `1` the format version. Mail
//! clients wrap, quote and indent pasted text, so before decoding all whitespace, invisible
//! formatting characters (zero-width space, soft hyphen, byte-order mark) and the `>` quote marks at
//! the start of lines are removed; trailing `=` padding is accepted too.
//!
//! # Key bytes, format 1
//! The key bytes are the *payload* followed by the 64-byte Ed25519 signature. All integers are
//! big-endian; texts are UTF-8, length-prefixed, never terminated:
//!
//! | bytes | field |
//! |-------|-------|
//! | 8     | signing key id: the first 8 bytes of SHA-256 of the 32-byte public key that signed it |
//! | 2+1+1 | issue date: year (u16), month (u8), day (u8) |
//! | 1 + E | edition id (E = 1..=32 bytes of `a-z`, `0-9`, `-`), e.g. `personal` |
//! | 2 + N | licensee name (N = 1..=200 bytes) |
//! | 2 + M | licensee e-mail (M = 3..=254 bytes) |
//! | 64    | Ed25519 signature (RFC 8032) over [`SIGNING_CONTEXT`] followed by the payload |
//!
//! The payload is written field by field ([`License::payload`]), so the bytes that are signed
//! are the same on every machine (no map whose key order could vary). Edition ids are text so
//! that a key for an edition this version does not know is recognised as genuine and rejected
//! with "update mail2pst" instead of as damaged. The key id is not proof of anything (only the
//! signature is); it lets the app tell a person that a key was signed by another key pair, e.g.
//! a development key in a release build, rather than altered. Keys are signed by the vendor's
//! tool, `tools/license-issuer`, which is not part of the app.
//!
//! # Which public key
//! A release build takes its public key from the environment variable `MAIL2PST_LICENSE_PUBKEY`
//! at compile time: 64 hexadecimal digits (the 32-byte Ed25519 public key, as printed by
//! `mail2pst-license keygen`); a value that is not exactly that fails the build. Without it the
//! build uses the development key pair kept in the repository (`fixtures/licenses/`), whose private
//! half anyone can read: see [`uses_development_key`].

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{Datelike as _, NaiveDate};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest as _, Sha256};

/// What every key of format 1 starts with.
pub const KEY_PREFIX: &str = "M2P1-";

/// The bytes signed before the payload, so that a signature made with the same key pair for any
/// other purpose can never pass as a mail2pst license.
pub const SIGNING_CONTEXT: &[u8] = b"mail2pst-license-v1:";

/// Compile-time environment variable holding a release build's public key (64 hex digits).
pub const PUBLIC_KEY_VAR: &str = "MAIL2PST_LICENSE_PUBKEY";

/// Length of an Ed25519 signature at the end of the key bytes.
pub const SIGNATURE_LEN: usize = 64;
/// Longest key text accepted, after whitespace is removed: the longest possible format-1 key is
/// about 760 characters.
pub const MAX_KEY_CHARS: usize = 2048;
const MAX_EDITION_LEN: usize = 32;
const MAX_NAME_LEN: usize = 200;
const MAX_EMAIL_LEN: usize = 254;
/// Issue dates outside these years are typing errors.
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 9999;

/// The public half of the development key pair; its private half is
/// `fixtures/licenses/dev-signing.key`.
const DEV_PUBLIC_KEY: [u8; 32] =
    match decode_hex_32("b3df4b11f1437ba6e975d354df1530ecdac9a9555ba073cb2bd5f51b32c4f1d4") {
        Some(key) => key,
        None => panic!("the development public key is not 64 hexadecimal digits"),
    };

/// The public key this build accepts licenses from.
const BUILT_IN_PUBLIC_KEY: [u8; 32] = match option_env!("MAIL2PST_LICENSE_PUBKEY") {
    Some(hex) => match decode_hex_32(hex.trim_ascii()) {
        Some(key) => key,
        None => panic!("MAIL2PST_LICENSE_PUBKEY must be exactly 64 hexadecimal digits"),
    },
    None => DEV_PUBLIC_KEY,
};

/// The base64url alphabet without padding; a missing or present `=` is handled before decoding.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// What can be wrong with a license key. The messages are written for the person who pasted
/// the key: what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the license key is empty: paste the whole key, which starts with {KEY_PREFIX}")]
    Empty,
    #[error(
        "this is not a mail2pst license key (a key starts with {KEY_PREFIX}): check that you \
         copied the key itself and not the text around it"
    )]
    NotAKey,
    #[error(
        "the license key contains {character:?}, which is never part of a key: check that you \
         pasted only the key"
    )]
    InvalidCharacter { character: char },
    #[error(
        "the license key is incomplete: check that you pasted the whole key, including every \
         line if your mail program wrapped it"
    )]
    Truncated,
    #[error(
        "the license key is damaged ({detail}): paste it again from the message you received it \
         in"
    )]
    Malformed { detail: String },
    #[error(
        "this license key has format version {version}, which this version of mail2pst cannot \
         read: update mail2pst to the latest version"
    )]
    UnknownVersion { version: String },
    #[error(
        "this license key was not issued for this build of mail2pst: it names signing key \
         {found}, but this build accepts only keys signed with key {expected}. Check that this is \
         the key you received for mail2pst; if it is, ask the seller for a new one"
    )]
    ForeignKey { found: KeyId, expected: KeyId },
    #[error(
        "this license key does not match its signature: it was changed after it was issued, or \
         damaged while being copied. Paste it again from the message you received it in; if that \
         does not help, ask the seller for a new copy"
    )]
    BadSignature,
    #[error(
        "this license is for the {edition:?} edition, which this version of mail2pst does not \
         know: update mail2pst to the latest version"
    )]
    UnknownEdition { edition: String },
    #[error(
        "this build's license public key ({PUBLIC_KEY_VAR} at build time) is not a valid Ed25519 key"
    )]
    InvalidBuiltInKey,
    /// A field a key cannot carry, found when the payload is written.
    #[error("the license's {field} {reason}")]
    InvalidField { field: &'static str, reason: String },
}

/// What a license buys. Unknown editions in a key are rejected with
/// [`KeyError::UnknownEdition`], so adding one here later keeps old keys valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Edition {
    Personal,
    Business,
}

impl Edition {
    /// Every edition this version knows, in the order they are offered.
    pub const ALL: [Edition; 2] = [Edition::Personal, Edition::Business];

    /// The id written into a key; it never changes once keys exist.
    pub fn id(self) -> &'static str {
        match self {
            Edition::Personal => "personal",
            Edition::Business => "business",
        }
    }

    /// The name shown to a person.
    pub fn display_name(self) -> &'static str {
        match self {
            Edition::Personal => "Personal",
            Edition::Business => "Business",
        }
    }

    /// The edition with this id, exactly as written in a key.
    pub fn from_id(id: &str) -> Option<Edition> {
        Edition::ALL.into_iter().find(|edition| edition.id() == id)
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

impl FromStr for Edition {
    type Err = KeyError;

    /// Accepts an id in any letter case (`personal`, `Business`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let id = text.trim().to_ascii_lowercase();
        Edition::from_id(&id).ok_or(KeyError::UnknownEdition {
            edition: text.to_string(),
        })
    }
}

/// A license that a key proved: who it was issued to, for which edition, and when.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct License {
    pub name: String,
    pub email: String,
    pub edition: Edition,
    pub issued: NaiveDate,
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} <{}>, {} edition, issued {}",
            self.name,
            self.email,
            self.edition,
            self.issued.format("%Y-%m-%d")
        )
    }
}

impl License {
    /// The canonical payload of this license as signed by the key pair with id `key_id` (see the
    /// module documentation for the layout). Fails on a field that a key cannot carry.
    pub fn payload(&self, key_id: KeyId) -> Result<Vec<u8>, KeyError> {
        check_name(&self.name)?;
        check_email(&self.email)?;
        encode_payload(
            key_id,
            self.issued,
            self.edition.id(),
            &self.name,
            &self.email,
        )
    }
}

/// A short name of a public key: the first 8 bytes of its SHA-256, shown as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    pub fn of(key: &VerifyingKey) -> KeyId {
        KeyId::of_bytes(key.as_bytes())
    }

    fn of_bytes(key: &[u8; 32]) -> KeyId {
        let digest = Sha256::digest(key);
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}
/// The public key this build accepts licenses from.
pub fn built_in_key() -> Result<VerifyingKey, KeyError> {
    VerifyingKey::from_bytes(&BUILT_IN_PUBLIC_KEY).map_err(|_| KeyError::InvalidBuiltInKey)
}

/// True when this build accepts keys signed with the development key pair kept in the
/// repository (no `MAIL2PST_LICENSE_PUBKEY` at build time): anyone can sign such keys, so a
/// release must never be built this way. The CLI and GUI can say so beside the license.
pub fn uses_development_key() -> bool {
    BUILT_IN_PUBLIC_KEY == DEV_PUBLIC_KEY
}

/// The id of the public key this build accepts licenses from, for a person to compare with the
/// id a key names (it is computed from the key bytes, valid or not).
pub fn built_in_key_id() -> KeyId {
    KeyId::of_bytes(&BUILT_IN_PUBLIC_KEY)
}

/// Checks a pasted key against the public key built into this app.
pub fn verify(key_text: &str) -> Result<License, KeyError> {
    verify_with(key_text, &built_in_key()?)
}

/// Checks a pasted key against `public_key`.
pub fn verify_with(key_text: &str, public_key: &VerifyingKey) -> Result<License, KeyError> {
    let bytes = decode_key_text(key_text)?;
    let fields = Fields::parse(&bytes)?;
    let expected = KeyId::of(public_key);
    if fields.key_id != expected {
        return Err(KeyError::ForeignKey {
            found: fields.key_id,
            expected,
        });
    }
    let message = [SIGNING_CONTEXT, fields.payload].concat();
    public_key
        .verify_strict(&message, &Signature::from_bytes(&fields.signature))
        .map_err(|_| KeyError::BadSignature)?;
    let edition = Edition::from_id(fields.edition).ok_or_else(|| KeyError::UnknownEdition {
        edition: fields.edition.to_string(),
    })?;
    Ok(License {
        name: fields.name.to_string(),
        email: fields.email.to_string(),
        edition,
        issued: fields.issued,
    })
}

/// The key text of key bytes: [`KEY_PREFIX`] and their base64url.
pub fn encode_key_text(key_bytes: &[u8]) -> String {
    format!("{KEY_PREFIX}{}", KEY_BASE64.encode(key_bytes))
}

/// The key bytes of a pasted key text, after removing what mail programs insert. Checks only the
/// outer layer (prefix, version, alphabet), not the fields or the signature.
pub fn decode_key_text(key_text: &str) -> Result<Vec<u8>, KeyError> {
    let compact = compact_key_text(key_text);
    if compact.is_empty() {
        return Err(KeyError::Empty);
    }
    if compact.chars().count() > MAX_KEY_CHARS {
        return Err(KeyError::Malformed {
            detail: format!(
                "it is {} characters long, far longer than any license key",
                compact.chars().count()
            ),
        });
    }
    let body = strip_prefix(&compact)?;
    let body = body.trim_end_matches('=');
    if let Some(character) = body
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(KeyError::InvalidCharacter { character });
    }
    // Every character is of the alphabet, so a text that does not decode was cut short.
    KEY_BASE64.decode(body).map_err(|_| KeyError::Truncated)
}

/// The key text without whitespace, invisible formatting characters and quote marks.
pub fn compact_key_text(key_text: &str) -> String {
    let invisible = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}'
            )
    };
    let mut compact = String::with_capacity(key_text.len());
    for line in key_text.lines() {
        // A reply quotes lines as "> text" or ">> text".
        let line = line
            .trim_matches(invisible)
            .trim_start_matches(|c: char| c == '>' || invisible(c));
        compact.extend(line.chars().filter(|c| !invisible(*c)));
    }
    compact
}

/// The base64 body after the version prefix, or why there is none.
fn strip_prefix(compact: &str) -> Result<&str, KeyError> {
    if let Some(body) = compact.strip_prefix(KEY_PREFIX) {
        return Ok(body);
    }
    if KEY_PREFIX.starts_with(compact) {
        return Err(KeyError::Truncated);
    }
    let Some(rest) = compact.strip_prefix("M2P") else {
        return Err(KeyError::NotAKey);
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[digits.len()..];
    if digits.is_empty() || digits.len() > 9 || !after.starts_with('-') {
        return Err(KeyError::NotAKey);
    }
    Err(KeyError::UnknownVersion { version: digits })
}

/// The fields of format-1 key bytes, borrowed from them, before the signature is checked.
#[derive(Debug)]
struct Fields<'a> {
    payload: &'a [u8],
    key_id: KeyId,
    issued: NaiveDate,
    edition: &'a str,
    name: &'a str,
    email: &'a str,
    signature: [u8; SIGNATURE_LEN],
}

impl<'a> Fields<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Fields<'a>, KeyError> {
        let mut reader = ByteReader { rest: bytes };
        let key_id = KeyId(reader.array()?);
        let [year_hi, year_lo, month, day] = reader.array()?;
        let year = u16::from_be_bytes([year_hi, year_lo]);
        let issued = NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))
            .ok_or_else(|| KeyError::Malformed {
                detail: format!("the issue date {year:04}-{month:02}-{day:02} does not exist"),
            })?;
        let [edition_len] = reader.array()?;
        let edition = text_field("edition", reader.take(usize::from(edition_len))?)?;
        if edition.is_empty()
            || edition.len() > MAX_EDITION_LEN
            || !edition
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(KeyError::Malformed {
                detail: format!("the edition {edition:?} is not an edition id"),
            });
        }
        let name_len = u16::from_be_bytes(reader.array()?);
        let name = text_field("licensee name", reader.take(usize::from(name_len))?)?;
        let email_len = u16::from_be_bytes(reader.array()?);
        let email = text_field("e-mail address", reader.take(usize::from(email_len))?)?;
        let payload_len = bytes.len() - reader.rest.len();
        let payload = &bytes[..payload_len];
        let signature: [u8; SIGNATURE_LEN] = reader.array()?;
        if !reader.rest.is_empty() {
            return Err(KeyError::Malformed {
                detail: format!(
                    "{} unexpected bytes follow the signature",
                    reader.rest.len()
                ),
            });
        }
        Ok(Fields {
            payload,
            key_id,
            issued,
            edition,
            name,
            email,
            signature,
        })
    }
}

fn text_field<'a>(field: &str, bytes: &'a [u8]) -> Result<&'a str, KeyError> {
    std::str::from_utf8(bytes).map_err(|_| KeyError::Malformed {
        detail: format!("the {field} is not UTF-8 text"),
    })
}

/// Reads fields front to back; running out of bytes means the key was cut short.
#[derive(Debug)]
struct ByteReader<'a> {
    rest: &'a [u8],
}

impl<'a> ByteReader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], KeyError> {
        let (taken, rest) = self.rest.split_at_checked(len).ok_or(KeyError::Truncated)?;
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], KeyError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }
}

/// Writes the payload of the module documentation's table. `edition` is an id, not an
/// [`Edition`], so that tests can write keys for editions this version does not know.
fn encode_payload(
    key_id: KeyId,
    issued: NaiveDate,
    edition: &str,
    name: &str,
    email: &str,
) -> Result<Vec<u8>, KeyError> {
    let year = u16::try_from(issued.year())
        .ok()
        .filter(|year| (FIRST_YEAR..=LAST_YEAR).contains(&i32::from(*year)))
        .ok_or_else(|| KeyError::InvalidField {
            field: "issue date",
            reason: format!("{issued} is not between the years {FIRST_YEAR} and {LAST_YEAR}"),
        })?;
    let too_long = |field: &'static str, max: usize| KeyError::InvalidField {
        field,
        reason: format!("is longer than {max} bytes"),
    };
    let edition_len = u8::try_from(edition.len())
        .ok()
        .filter(|len| usize::from(*len) <= MAX_EDITION_LEN)
        .ok_or_else(|| too_long("edition", MAX_EDITION_LEN))?;
    let name_len = u16::try_from(name.len()).map_err(|_| too_long("name", MAX_NAME_LEN))?;
    let email_len = u16::try_from(email.len()).map_err(|_| too_long("e-mail", MAX_EMAIL_LEN))?;

    let mut payload = Vec::with_capacity(16 + edition.len() + name.len() + email.len());
    payload.extend_from_slice(&key_id.0);
    payload.extend_from_slice(&year.to_be_bytes());
    // A calendar month (1..=12) and day (1..=31) always fit a byte.
    payload.push(issued.month() as u8);
    payload.push(issued.day() as u8);
    payload.push(edition_len);
    payload.extend_from_slice(edition.as_bytes());
    payload.extend_from_slice(&name_len.to_be_bytes());
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(&email_len.to_be_bytes());
    payload.extend_from_slice(email.as_bytes());
    Ok(payload)
}

/// A licensee name is shown in the app: printable, not padded, not empty.
fn check_name(name: &str) -> Result<(), KeyError> {
    let invalid = |reason: &str| KeyError::InvalidField {
        field: "name",
        reason: format!("{name:?} {reason}"),
    };
    if name.trim().is_empty() {
        return Err(invalid("is empty"));
    }
    if name.trim() != name {
        return Err(invalid("starts or ends with spaces"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("contains a control character"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(invalid(&format!("is longer than {MAX_NAME_LEN} bytes")));
    }
    Ok(())
}

/// Only a sanity check: an address with one `@` between two non-empty parts and no spaces.
fn check_email(email: &str) -> Result<(), KeyError> {
    let invalid = |reason: &str| KeyError::InvalidField {
        field: "e-mail",
        reason: format!("{email:?} {reason}"),
    };
    let Some((local, domain)) = email.split_once('@') else {
        return Err(invalid("has no @"));
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(invalid("is not an address of the form name@domain"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("contains spaces or control characters"));
    }
    if email.len() > MAX_EMAIL_LEN {
        return Err(invalid(&format!("is longer than {MAX_EMAIL_LEN} bytes")));
    }
    Ok(())
}
/// Lower-case hex digits of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Exactly 64 hex digits as 32 bytes; `const` so a bad built-in key stops the build.
const fn decode_hex_32(hex: &str) -> Option<[u8; 32]> {
    const fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            b'A'..=b'F' => Some(digit - b'A' + 10),
            _ => None,
        }
    }
    let digits = hex.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut bytes = [0; 32];
    let mut at = 0;
    while at < 32 {
        let (Some(high), Some(low)) = (nibble(digits[2 * at]), nibble(digits[2 * at + 1])) else {
            return None;
        };
        bytes[at] = high << 4 | low;
        at += 1;
    }
    Some(bytes)
}
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ed25519_dalek::{Signer as _, SigningKey};
    use proptest::prelude::*;
    use std::path::Path;

    pub(crate) fn fixture(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/licenses")
            .join(name);
        std::fs::read_to_string(path).unwrap()
    }

    /// The private half of the development key pair, read from its file (a comment line, then
    /// 64 hex digits).
    pub(crate) fn dev_signing_key() -> SigningKey {
        let text = fixture("dev-signing.key");
        let hex = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .unwrap();
        SigningKey::from_bytes(&decode_hex_32(hex).unwrap())
    }

    pub(crate) fn dev_public_key() -> VerifyingKey {
        VerifyingKey::from_bytes(&DEV_PUBLIC_KEY).unwrap()
    }

    pub(crate) fn ada(edition: Edition) -> License {
        License {
            name: "Ada Lovelace".to_string(),
            email: "ada@example.com".to_string(),
            edition,
            issued: NaiveDate::from_ymd_opt(2025, 1, 15).unwrap(),
        }
    }

    /// The key text of `payload` signed with `signing_key`, made here as the vendor's tool makes
    /// it, so the tests can sign keys the app has never seen.
    fn sign_payload(payload: Vec<u8>, signing_key: &SigningKey) -> String {
        let signature = signing_key.sign(&[SIGNING_CONTEXT, &payload].concat());
        let mut bytes = payload;
        bytes.extend_from_slice(&signature.to_bytes());
        encode_key_text(&bytes)
    }

    pub(crate) fn sign(license: &License, signing_key: &SigningKey) -> String {
        let key_id = KeyId::of(&signing_key.verifying_key());
        sign_payload(license.payload(key_id).unwrap(), signing_key)
    }

    /// A key signed by `signing_key` over a payload written field by field.
    fn sign_fields(
        signing_key: &SigningKey,
        issued: NaiveDate,
        edition: &str,
        name: &str,
        email: &str,
    ) -> String {
        let key_id = KeyId::of(&signing_key.verifying_key());
        sign_payload(
            encode_payload(key_id, issued, edition, name, email).unwrap(),
            signing_key,
        )
    }

    #[test]
    fn payload_bytes_are_pinned() {
        let payload = ada(Edition::Personal)
            .payload(KeyId([1, 2, 3, 4, 5, 6, 7, 8]))
            .unwrap();
        let mut expected = vec![1, 2, 3, 4, 5, 6, 7, 8]; // key id
        expected.extend_from_slice(&[0x07, 0xE9, 0x01, 0x0F]); // 2025-01-15
        expected.push(8);
        expected.extend_from_slice(b"personal");
        expected.extend_from_slice(&[0x00, 0x0C]);
        expected.extend_from_slice(b"Ada Lovelace");
        expected.extend_from_slice(&[0x00, 0x0F]);
        expected.extend_from_slice(b"ada@example.com");
        assert_eq!(payload, expected);
    }

    #[test]
    fn payload_counts_utf8_bytes_not_characters() {
        let license = License {
            name: "Zoë".to_string(),
            ..ada(Edition::Business)
        };
        let payload = license.payload(KeyId([0; 8])).unwrap();
        assert_eq!(&payload[12..21], b"\x08business");
        assert_eq!(&payload[21..27], b"\x00\x04Zo\xC3\xAB");
    }

    #[test]
    fn the_valid_fixture_is_the_documented_license_signed_with_the_dev_key() {
        // Ed25519 signatures are deterministic, so this pins the whole key text.
        let key_text = sign(&ada(Edition::Personal), &dev_signing_key());
        assert_eq!(key_text, fixture("valid.key").trim());
        assert!(key_text.starts_with(KEY_PREFIX));
    }

    #[test]
    fn the_dev_public_key_is_the_public_half_of_the_dev_signing_key() {
        assert_eq!(dev_signing_key().verifying_key(), dev_public_key());
        assert_eq!(KeyId::of(&dev_public_key()).to_string(), "2949225e16a6dc98");
    }

    #[test]
    fn without_the_build_variable_the_dev_key_is_built_in() {
        let release_key = option_env!("MAIL2PST_LICENSE_PUBKEY")
            .and_then(|hex| decode_hex_32(hex.trim()))
            .filter(|key| *key != DEV_PUBLIC_KEY);
        assert_eq!(uses_development_key(), release_key.is_none());
        let expected = release_key.unwrap_or(DEV_PUBLIC_KEY);
        assert_eq!(built_in_key().unwrap().to_bytes(), expected);
        assert_eq!(built_in_key_id(), KeyId::of(&built_in_key().unwrap()));
    }

    #[test]
    fn the_valid_fixture_verifies() {
        let license = verify_with(&fixture("valid.key"), &dev_public_key()).unwrap();
        assert_eq!(license, ada(Edition::Personal));
        assert_eq!(
            license.to_string(),
            "Ada Lovelace <ada@example.com>, Personal edition, issued 2025-01-15"
        );
    }

    #[test]
    fn a_tampered_key_fails_its_signature() {
        let error = verify_with(&fixture("tampered.key"), &dev_public_key()).unwrap_err();
        assert!(matches!(error, KeyError::BadSignature), "{error:?}");
    }

    #[test]
    fn a_truncated_key_is_reported_incomplete() {
        let error = verify_with(&fixture("truncated.key"), &dev_public_key()).unwrap_err();
        assert!(matches!(error, KeyError::Truncated), "{error:?}");
        // Cut at every length, the valid key is never accepted and never called anything else.
        let valid = fixture("valid.key");
        let valid = valid.trim();
        for len in 1..valid.len() {
            let error = verify_with(&valid[..len], &dev_public_key()).unwrap_err();
            assert!(
                matches!(error, KeyError::Truncated),
                "cut at {len}: {error:?}"
            );
        }
    }

    #[test]
    fn a_key_signed_by_another_key_pair_names_both_keys() {
        let error = verify_with(&fixture("foreign.key"), &dev_public_key()).unwrap_err();
        let KeyError::ForeignKey { found, expected } = error else {
            panic!("expected ForeignKey, got {error:?}");
        };
        assert_eq!(expected, KeyId::of(&dev_public_key()));
        assert_ne!(found, expected);
    }

    #[test]
    fn a_key_with_a_forged_key_id_fails_its_signature() {
        // A foreign signature claiming the dev key's id is caught by the signature itself.
        let mut bytes = decode_key_text(&fixture("foreign.key")).unwrap();
        bytes[..8].copy_from_slice(&KeyId::of(&dev_public_key()).0);
        let error = verify_with(&encode_key_text(&bytes), &dev_public_key()).unwrap_err();
        assert!(matches!(error, KeyError::BadSignature), "{error:?}");
    }

    #[test]
    fn garbage_is_not_a_key() {
        let error = verify_with(&fixture("garbage.key"), &dev_public_key()).unwrap_err();
        assert!(matches!(error, KeyError::NotAKey), "{error:?}");
    }

    #[test]
    fn empty_text_is_reported_as_empty() {
        for text in ["", "   ", "\r\n\t", "> \n>"] {
            let error = verify_with(text, &dev_public_key()).unwrap_err();
            assert!(matches!(error, KeyError::Empty), "{text:?}: {error:?}");
        }
    }

    #[test]
    fn another_format_version_asks_for_an_update() {
        let valid = fixture("valid.key");
        let newer = valid.trim().replacen("M2P1-", "M2P2-", 1);
        let error = verify_with(&newer, &dev_public_key()).unwrap_err();
        let KeyError::UnknownVersion { version } = &error else {
            panic!("expected UnknownVersion, got {error:?}");
        };
        assert_eq!(version, "2");
        assert!(error.to_string().contains("update mail2pst"));
    }

    #[test]
    fn an_unknown_edition_in_a_genuine_key_asks_for_an_update() {
        let key_text = sign_fields(
            &dev_signing_key(),
            NaiveDate::from_ymd_opt(2030, 6, 1).unwrap(),
            "enterprise",
            "Grace Hopper",
            "grace@example.com",
        );
        let error = verify_with(&key_text, &dev_public_key()).unwrap_err();
        let KeyError::UnknownEdition { edition } = &error else {
            panic!("expected UnknownEdition, got {error:?}");
        };
        assert_eq!(edition, "enterprise");
        assert!(error.to_string().contains("update mail2pst"));
    }

    #[test]
    fn a_foreign_key_with_an_unknown_edition_is_foreign_first() {
        // The edition is judged only once the signature holds.
        let other = SigningKey::from_bytes(&[7; 32]);
        let key_text = sign_fields(
            &other,
            NaiveDate::from_ymd_opt(2030, 6, 1).unwrap(),
            "enterprise",
            "Grace Hopper",
            "grace@example.com",
        );
        let error = verify_with(&key_text, &dev_public_key()).unwrap_err();
        assert!(matches!(error, KeyError::ForeignKey { .. }), "{error:?}");
    }

    #[test]
    fn a_character_outside_the_alphabet_is_named() {
        let valid = fixture("valid.key");
        let broken = valid.trim().replacen('K', "+", 1);
        let error = verify_with(&broken, &dev_public_key()).unwrap_err();
        assert!(
            matches!(error, KeyError::InvalidCharacter { character: '+' }),
            "{error:?}"
        );
    }

    #[test]
    fn bytes_after_the_signature_are_reported() {
        let mut bytes = decode_key_text(&fixture("valid.key")).unwrap();
        bytes.extend_from_slice(&[0, 0, 0]);
        let error = verify_with(&encode_key_text(&bytes), &dev_public_key()).unwrap_err();
        let KeyError::Malformed { detail } = error else {
            panic!("expected Malformed, got {error:?}");
        };
        assert_eq!(detail, "3 unexpected bytes follow the signature");
    }

    #[test]
    fn an_impossible_date_is_reported() {
        let mut bytes = decode_key_text(&fixture("valid.key")).unwrap();
        bytes[10] = 13; // month
        let error = verify_with(&encode_key_text(&bytes), &dev_public_key()).unwrap_err();
        let KeyError::Malformed { detail } = error else {
            panic!("expected Malformed, got {error:?}");
        };
        assert_eq!(detail, "the issue date 2025-13-15 does not exist");
    }

    #[test]
    fn a_text_far_too_long_is_rejected_before_decoding() {
        let long = format!("{KEY_PREFIX}{}", "A".repeat(MAX_KEY_CHARS));
        let error = verify_with(&long, &dev_public_key()).unwrap_err();
        assert!(matches!(error, KeyError::Malformed { .. }), "{error:?}");
    }

    #[test]
    fn every_changed_byte_is_rejected() {
        let bytes = decode_key_text(&fixture("valid.key")).unwrap();
        for at in 0..bytes.len() {
            for flip in [0x01, 0x20, 0x80] {
                let mut changed = bytes.clone();
                changed[at] ^= flip;
                let text = encode_key_text(&changed);
                assert!(
                    verify_with(&text, &dev_public_key()).is_err(),
                    "byte {at} ^ {flip:#x} was accepted"
                );
            }
        }
    }

    #[test]
    fn wrapped_indented_and_quoted_keys_verify() {
        let valid = fixture("valid.key");
        let valid = valid.trim();
        let chars: Vec<char> = valid.chars().collect();
        let lines: Vec<String> = chars.chunks(20).map(|c| c.iter().collect()).collect();
        let pastes = [
            lines.join("\n"),
            lines.join("\r\n"),
            format!("\n\n   {}   \n\n", lines.join("\n    ")),
            format!("> {}", lines.join("\n> ")),
            format!(">> {}", lines.join("\r\n>>")),
            lines.join("\u{00A0}"),
            lines.join("\u{200B}"),
            format!("\u{FEFF}{valid}"),
            format!("{valid}=="),
            format!("\t{valid}\t\n"),
        ];
        for paste in pastes {
            let license = verify_with(&paste, &dev_public_key())
                .unwrap_or_else(|error| panic!("{paste:?}: {error}"));
            assert_eq!(license, ada(Edition::Personal));
        }
    }

    #[test]
    fn messages_tell_what_to_do() {
        let cases = [
            (
                &fixture("truncated.key"),
                "check that you pasted the whole key",
            ),
            (
                &fixture("foreign.key"),
                "not issued for this build of mail2pst",
            ),
            (&fixture("tampered.key"), "Paste it again"),
            (&fixture("garbage.key"), "not a mail2pst license key"),
        ];
        for (text, advice) in cases {
            let message = verify_with(text, &dev_public_key())
                .unwrap_err()
                .to_string();
            assert!(message.contains(advice), "{message}");
        }
    }

    #[test]
    fn the_payload_refuses_fields_a_key_cannot_carry() {
        let cases = [
            License {
                name: String::new(),
                ..ada(Edition::Personal)
            },
            License {
                name: " Ada".to_string(),
                ..ada(Edition::Personal)
            },
            License {
                name: "Ada\u{7}".to_string(),
                ..ada(Edition::Personal)
            },
            License {
                name: "A".repeat(MAX_NAME_LEN + 1),
                ..ada(Edition::Personal)
            },
            License {
                email: "ada".to_string(),
                ..ada(Edition::Personal)
            },
            License {
                email: "@example.com".to_string(),
                ..ada(Edition::Personal)
            },
            License {
                email: "ada @example.com".to_string(),
                ..ada(Edition::Personal)
            },
            License {
                email: format!("{}@example.com", "a".repeat(MAX_EMAIL_LEN)),
                ..ada(Edition::Personal)
            },
            License {
                issued: NaiveDate::from_ymd_opt(1999, 12, 31).unwrap(),
                ..ada(Edition::Personal)
            },
        ];
        for license in cases {
            let error = license.payload(KeyId([0; 8])).unwrap_err();
            assert!(
                matches!(error, KeyError::InvalidField { .. }),
                "{license:?}: {error:?}"
            );
        }
    }

    #[test]
    fn editions_parse_by_id_in_any_case() {
        assert_eq!("personal".parse::<Edition>().unwrap(), Edition::Personal);
        assert_eq!(" Business ".parse::<Edition>().unwrap(), Edition::Business);
        assert!(matches!(
            "enterprise".parse::<Edition>(),
            Err(KeyError::UnknownEdition { .. })
        ));
        for edition in Edition::ALL {
            assert_eq!(Edition::from_id(edition.id()), Some(edition));
        }
    }

    proptest! {
        #[test]
        fn any_text_is_rejected_without_panic(text in "\\PC*") {
            prop_assert!(verify_with(&text, &dev_public_key()).is_err());
        }

        #[test]
        fn any_bytes_behind_the_prefix_are_rejected_without_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..700)
        ) {
            prop_assert!(verify_with(&encode_key_text(&bytes), &dev_public_key()).is_err());
        }

        #[test]
        fn whitespace_anywhere_in_a_key_is_ignored(
            cuts in proptest::collection::vec((0usize..200, "[ \t\r\n\u{00A0}]{1,3}"), 0..12)
        ) {
            let valid = fixture("valid.key");
            let mut text: Vec<char> = valid.trim().chars().collect();
            for (at, space) in cuts {
                let at = at.min(text.len());
                for (offset, c) in space.chars().enumerate() {
                    text.insert(at + offset, c);
                }
            }
            let text: String = text.into_iter().collect();
            prop_assert_eq!(verify_with(&text, &dev_public_key()).unwrap(), ada(Edition::Personal));
        }
    }
}
