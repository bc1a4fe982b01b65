#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine: the independent PST readers the tests
# compare our output with (scripts/install-readers.sh), Xvfb for the desktop app's window test,
# and Dovecot (with openssl for its certificate) for the IMAP tests, which start and stop their
# own server (the package's system service is not needed, and is stopped if it started), and
# for the keychain tests GNOME Keyring (the Secret Service), a D-Bus daemon and libsecret's
# secret-tool: the tests start a session bus and a keyring of their own.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v xvfb-run >/dev/null 2>&1; then
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xauth >/dev/null
fi
if [ ! -x /usr/sbin/dovecot ] || ! command -v openssl >/dev/null 2>&1; then
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        dovecot-imapd openssl >/dev/null
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet dovecot 2>/dev/null; then
        sudo_if_needed systemctl stop dovecot || true
    fi
fi
if ! command -v gnome-keyring-daemon >/dev/null 2>&1 || ! command -v secret-tool >/dev/null 2>&1 \
    || ! command -v dbus-daemon >/dev/null 2>&1 || ! command -v dbus-send >/dev/null 2>&1; then
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends gnome-keyring libsecret-tools dbus-daemon dbus-bin >/dev/null
fi
scripts/install-readers.sh
