//! Offline license keys: an Ed25519 signature over the licensee and edition, checked against a
//! public key built into the app, so a license works without any server.
//!
//! * [`key`] — the key text and its check against the built-in public key.
//! * [`store`] — where a key is kept, and the license this process runs under.
//!
//! This is a bottom layer: it uses nothing else of this crate. The engine asks [`current`] whether
//! to run in demo mode; the CLI and the GUI call [`activate`], [`current`] and [`remove`]. Keys
//! are issued by the vendor's own tool (`tools/license-issuer`), which is not part of the app.
//!
//! Two things are set when the app is built, from environment variables at compile time:
//! the public key licenses are checked against ([`PUBLIC_KEY_VAR`], see [`key`]) and the page
//! where a license can be bought ([`PURCHASE_URL_VAR`]).

pub mod key;
pub mod store;

pub use key::{
    Edition, KEY_PREFIX, KeyError, KeyId, License, PUBLIC_KEY_VAR, SIGNING_CONTEXT, built_in_key,
    built_in_key_id, decode_key_text, encode_key_text, uses_development_key, verify, verify_with,
};
pub use store::{
    KeySource, LICENSE_FILE_NAME, LICENSE_KEY_VAR, LicenseError, LicenseStatus, LicenseStore,
    activate, current, default_dir, remove,
};

/// Compile-time environment variable holding the address of the page where a license is bought
/// (`https://…`). Without it the app shows no "Buy a license" link.
pub const PURCHASE_URL_VAR: &str = "MAIL2PST_PURCHASE_URL";

/// The purchase page this build was made with: `MAIL2PST_PURCHASE_URL` at build time, if set
/// and not blank. A value that is not an `https://` address fails the build.
const PURCHASE_URL: Option<&str> = match option_env!("MAIL2PST_PURCHASE_URL") {
    Some(url) => {
        let url = url.trim_ascii();
        if url.is_empty() {
            None
        } else if is_https_url(url) {
            Some(url)
        } else {
            panic!("MAIL2PST_PURCHASE_URL must be an https:// address");
        }
    }
    None => None,
};

/// Where a license can be bought, if this build was given an address.
pub fn purchase_url() -> Option<&'static str> {
    PURCHASE_URL
}

/// True for `https://` followed by a host; `const` so a bad address stops the build.
const fn is_https_url(url: &str) -> bool {
    let bytes = url.as_bytes();
    let scheme = b"https://";
    if bytes.len() <= scheme.len() {
        return false;
    }
    let mut at = 0;
    while at < bytes.len() {
        if at < scheme.len() && bytes[at] != scheme[at] {
            return false;
        }
        if bytes[at].is_ascii_whitespace() || bytes[at].is_ascii_control() {
            return false;
        }
        at += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_addresses_are_purchase_pages() {
        assert!(is_https_url("https://example.com/buy"));
        assert!(!is_https_url("https://"));
        assert!(!is_https_url("http://example.com/buy"));
        assert!(!is_https_url("example.com"));
        assert!(!is_https_url("https://example.com/a b"));
        assert_eq!(
            purchase_url(),
            option_env!("MAIL2PST_PURCHASE_URL")
                .map(str::trim)
                .filter(|url| !url.is_empty())
        );
    }
}
