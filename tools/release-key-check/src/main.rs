//! The app's license key check (`src/license/key.rs`, the very file the app compiles) built on
//! its own, so that a test can build it with a throwaway `MAIL2PST_LICENSE_PUBKEY` in seconds
//! instead of rebuilding the whole app. It reads a key's text on standard input and prints
//! which key it trusts and whether the key is valid (exit 0) or why not (exit 1).

use std::io::Read as _;
use std::process::ExitCode;

#[allow(dead_code)]
#[path = "../../../src/license/key.rs"]
mod key;

fn main() -> ExitCode {
    let mut text = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("cannot read the key from standard input: {error}");
        return ExitCode::FAILURE;
    }
    println!(
        "trusts key {}{}",
        key::built_in_key_id(),
        if key::uses_development_key() {
            " (the development key)"
        } else {
            ""
        }
    );
    match key::verify(&text) {
        Ok(license) => {
            println!("valid: {license}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("refused: {error}");
            ExitCode::FAILURE
        }
    }
}
