#!/usr/bin/env bash
# Builds the macOS app of mail2pst on a Mac: one universal program (x86_64 + arm64) in
# mail2pst.app, made by cargo-packager from the configuration in Cargo.toml (icon, Info.plist,
# bundle id, minimum macOS), signed with the hardened runtime, in a disk image
# target/packages/mail2pst-VERSION-macos.dmg.
#
# usage: scripts/package-macos.sh
#
# Signing and notarization follow the environment:
#   APPLE_CERTIFICATE (base64 of a .p12), APPLE_CERTIFICATE_PASSWORD, APPLE_SIGNING_IDENTITY
#       ("Developer ID Application: NAME (TEAM)"): sign the app and the disk image with it;
#       without them both get an ad-hoc signature (runs here; Gatekeeper asks the user first).
#   APPLE_ID, APPLE_PASSWORD (an app-specific password), APPLE_TEAM_ID: notarize the disk image
#       and staple the ticket to it (only when signed with a Developer ID).
# It prints which of these it did, and writes it to the workflow's summary when run there.
# The release's license public key and purchase page come from the environment, as for any
# build (MAIL2PST_LICENSE_PUBKEY, MAIL2PST_PURCHASE_URL).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGER_VERSION=0.11.8
# The oldest macOS the app runs on; Cargo.toml's minimum-system-version says the same.
export MACOSX_DEPLOYMENT_TARGET=11.0

target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/packages"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)

say() {
    echo "$1"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        echo "- macOS: $1" >>"$GITHUB_STEP_SUMMARY"
    fi
}

if [ "$(cargo packager --version 2>/dev/null)" != "cargo-packager $PACKAGER_VERSION" ]; then
    cargo install cargo-packager --version "$PACKAGER_VERSION" --locked
fi

# 1. One program for both kinds of Mac.
rustup target add aarch64-apple-darwin x86_64-apple-darwin
for target in aarch64-apple-darwin x86_64-apple-darwin; do
    cargo build --release --locked --package mail2pst --bin mail2pst --target "$target"
done
# Where Cargo.toml's binaries-dir tells cargo-packager to take the program from.
staged=target/package-bin
rm -rf "$staged"
mkdir -p "$staged"
lipo -create -output "$staged/mail2pst" \
    "$target_dir/aarch64-apple-darwin/release/mail2pst" \
    "$target_dir/x86_64-apple-darwin/release/mail2pst"
# Without debug information: the release profile keeps line tables for profiling.
strip -S "$staged/mail2pst"
lipo -info "$staged/mail2pst"

# 2. The app around it.
rm -rf "$out"
cargo packager --release --formats app --out-dir "$out"
app="$out/mail2pst.app"
plutil -p "$app/Contents/Info.plist"

# 3. The signature, always with the hardened runtime.
identity="${APPLE_SIGNING_IDENTITY:-}"
keychain=""
if [ -n "$identity" ] && [ -n "${APPLE_CERTIFICATE:-}" ]; then
    keychain="$(mktemp -d)/signing.keychain-db"
    keychain_password=$(uuidgen)
    security create-keychain -p "$keychain_password" "$keychain"
    security set-keychain-settings -lut 3600 "$keychain"
    security unlock-keychain -p "$keychain_password" "$keychain"
    certificate="$(dirname "$keychain")/certificate.p12"
    printf '%s' "$APPLE_CERTIFICATE" | base64 --decode >"$certificate"
    security import "$certificate" -k "$keychain" -P "${APPLE_CERTIFICATE_PASSWORD:-}" \
        -T /usr/bin/codesign
    rm -f "$certificate"
    security set-key-partition-list -S apple-tool:,apple: -s -k "$keychain_password" "$keychain"
    # codesign looks for the identity in the user's keychain list: add ours to it.
    read -r -a keychains <<<"$(security list-keychains -d user | tr -d '"' | xargs)"
    security list-keychains -d user -s "$keychain" "${keychains[@]}"
    codesign --force --options runtime --timestamp --sign "$identity" \
        "$app/Contents/MacOS/mail2pst"
    codesign --force --options runtime --timestamp --sign "$identity" "$app"
    signed=true
else
    identity=""
    codesign --force --options runtime --sign - "$app/Contents/MacOS/mail2pst"
    codesign --force --options runtime --sign - "$app"
    signed=false
fi
codesign --verify --strict --verbose=2 "$app"
codesign --display --verbose=2 "$app" 2>&1 | grep -E 'flags=.*runtime' >/dev/null \
    || { echo "the app is not signed with the hardened runtime" >&2; exit 1; }

# 4. The disk image: the app and a link to Applications to drag it onto.
dmg="$out/mail2pst-$version-macos.dmg"
staging=$(mktemp -d)
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "mail2pst $version" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
rm -rf "$staging"

if [ "$signed" = true ]; then
    codesign --force --timestamp --sign "$identity" "$dmg"
    if [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_PASSWORD:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ]; then
        xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --password "$APPLE_PASSWORD" \
            --team-id "$APPLE_TEAM_ID" --wait
        xcrun stapler staple "$dmg"
        xcrun stapler validate "$dmg"
        say "signed with \"$identity\" and notarized: $(basename "$dmg")"
    else
        say "signed with \"$identity\" but NOT notarized (no APPLE_ID, APPLE_PASSWORD, APPLE_TEAM_ID): $(basename "$dmg")"
    fi
else
    say "NOT signed (ad-hoc signature only; no APPLE_CERTIFICATE and APPLE_SIGNING_IDENTITY): $(basename "$dmg")"
fi
if [ -n "$keychain" ]; then
    security delete-keychain "$keychain"
fi
ls -l "$dmg"
