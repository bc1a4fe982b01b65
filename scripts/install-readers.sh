#!/usr/bin/env bash
# Installs the independent PST readers that the tests use as an oracle for our writer:
# readpst (libpst), pffexport and pypff (libpff) from the distribution's packages, and a copy of
# the repository's pstcheck tool (tools/pstcheck) in target/pstcheck/ with its pst-extractor (npm) and
# outlook-pst (Rust) adapters built there, so nothing is ever built inside the source tree.
# Safe to run again: it installs and builds only what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

source_dir=tools/pstcheck
dest=target/pstcheck

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. Debian readers.
missing=()
command -v readpst >/dev/null 2>&1 || missing+=(pst-utils)
command -v pffexport >/dev/null 2>&1 || missing+=(pff-tools)
/usr/bin/python3 -c 'import pypff' >/dev/null 2>&1 || missing+=(python3-pypff)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. A private copy of pstcheck (the driver finds its adapters beside itself).
if [ ! -x "$source_dir/pstcheck" ]; then
    echo "pstcheck not found at $source_dir" >&2
    exit 1
fi
mkdir -p "$dest"
for item in pstcheck adapters node rust-reader; do
    # Copy only what changed; keep node_modules and the Rust build that live beside the sources.
    cp -R --preserve=mode,timestamps -u "$source_dir/$item" "$dest/"
done
chmod -R u+w "$dest"

# 3. pst-extractor, pinned by the lock file.
if [ ! -d "$dest/node/node_modules/pst-extractor" ] \
    || [ "$dest/node/package-lock.json" -nt "$dest/node/node_modules/.package-lock.json" ]; then
    command -v npm >/dev/null 2>&1 || sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    (cd "$dest/node" && npm ci --no-audit --no-fund --loglevel=error)
fi

# 4. The outlook-pst reader, with its own target folder so it never touches the project's build.
# Its manifest has an empty [workspace] table, which keeps cargo from taking the project's for it.
manifest="$dest/rust-reader/Cargo.toml"
cargo build --release --quiet --locked --manifest-path "$manifest" --target-dir "$dest/rust-reader/target"

"$dest/pstcheck" doctor
