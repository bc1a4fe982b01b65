#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine: the independent PST readers the tests
# compare our output with (scripts/install-readers.sh) and Xvfb for the desktop app's window test.
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
scripts/install-readers.sh
