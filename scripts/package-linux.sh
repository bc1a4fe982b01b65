#!/usr/bin/env bash
# Builds the Linux packages of mail2pst from the configuration in Cargo.toml
# ([package.metadata.packager]) into target/packages/, and with --check tries the .deb out on
# this Debian machine the way a person would use it:
#
#   1. installs it with dpkg -i (as root, or through sudo);
#   2. runs the installed `mail2pst --version` and `mail2pst convert` on fixtures/sample;
#   3. starts the window from the desktop entry's Exec line under Xvfb and takes a screenshot
#      (target/packages/installed-window.png);
#   4. removes the package again and checks that nothing of it is left.
#
# usage: scripts/package-linux.sh [--formats deb,appimage] [--check]
#
# The release's license public key and purchase page come from the environment, as for any
# build (MAIL2PST_LICENSE_PUBKEY, MAIL2PST_PURCHASE_URL); without them the packages are
# development builds, which the About box says. The AppImage needs to download linuxdeploy and
# its plugin, so it is built only when asked for (the release workflow does).
set -euo pipefail
cd "$(dirname "$0")/.."

# The packaging tool, pinned: the release workflow installs the same version.
PACKAGER_VERSION=0.11.8

formats=deb
check=false
while [ $# -gt 0 ]; do
    case "$1" in
        --formats) formats="$2"; shift 2 ;;
        --check) check=true; shift ;;
        *) echo "usage: $0 [--formats deb,appimage] [--check]" >&2; exit 1 ;;
    esac
done

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/packages"

# 1. The packaging tool.
if [ "$(cargo packager --version 2>/dev/null)" != "cargo-packager $PACKAGER_VERSION" ]; then
    echo "installing cargo-packager $PACKAGER_VERSION"
    cargo install cargo-packager --version "$PACKAGER_VERSION" --locked
fi

# 2. The program, without its debug information (the release profile keeps line tables for
#    profiling; users need none), then the packages around it.
cargo build --release --locked --package mail2pst --bin mail2pst
# Where Cargo.toml's binaries-dir tells cargo-packager to take the program from.
staged=target/package-bin
rm -rf "$out" "$staged"
mkdir -p "$staged"
cp "$target_dir/release/mail2pst" "$staged/"
strip --strip-debug "$staged/mail2pst"
cargo packager --release --formats "$formats" --out-dir "$out"
echo
ls -l "$out"/*.deb "$out"/*.AppImage 2>/dev/null || true

if [ "$check" = false ]; then
    exit 0
fi

# 3. Try the .deb out.
deb=$(find "$out" -maxdepth 1 -name 'mail2pst_*.deb' | head -n 1)
[ -n "$deb" ] || { echo "no .deb in $out" >&2; exit 1; }
echo
echo "== checking $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb" | awk '{print $6}' | sort

missing=()
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v xwininfo >/dev/null 2>&1 || missing+=(x11-utils)
# `convert` may be a stand-in on some machines: ImageMagick's own `import` decides.
command -v import >/dev/null 2>&1 || missing+=(imagemagick)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if dpkg -s mail2pst >/dev/null 2>&1; then
    echo "mail2pst is already installed on this machine; remove it first (dpkg -r mail2pst)" >&2
    exit 1
fi

work=$(mktemp -d)
xvfb_pid=""
app_pid=""
cleanup() {
    if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; fi
    if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
    if dpkg -s mail2pst >/dev/null 2>&1; then
        sudo_if_needed dpkg -r mail2pst >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== dpkg -i"
if ! sudo_if_needed dpkg -i "$deb"; then
    # Libraries the package depends on and this machine lacks.
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq
fi
dpkg -s mail2pst | grep -E '^(Status|Version):'
for file in /usr/bin/mail2pst /usr/share/applications/mail2pst.desktop \
    /usr/share/icons/hicolor/256x256/apps/mail2pst.png; do
    [ -f "$file" ] || { echo "the package did not install $file" >&2; exit 1; }
done

# A home of its own, so the program finds no mail and keeps its settings and license there.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
mkdir -p "$HOME"
unset MAIL2PST_LICENSE_KEY

echo "== mail2pst --version"
version=$(command -v mail2pst)
[ "$version" = /usr/bin/mail2pst ] || { echo "mail2pst on PATH is $version, not the package's" >&2; exit 1; }
mail2pst --version

echo "== mail2pst convert fixtures/sample"
set +e
mail2pst convert fixtures/sample -o "$work/sample.pst"
code=$?
set -e
# 0: everything written; 2: some messages left out, e.g. by the demo's limit, and reported.
if [ "$code" -ne 0 ] && [ "$code" -ne 2 ]; then
    echo "mail2pst convert failed with exit code $code" >&2
    exit 1
fi
if [ ! -s "$work/sample.pst" ] || [ ! -s "$work/sample.report.json" ]; then
    echo "mail2pst convert wrote no PST and report" >&2
    exit 1
fi
ls -l "$work"/sample.*

echo "== the desktop entry, under Xvfb"
exec_line=$(sed -n 's/^Exec=//p' /usr/share/applications/mail2pst.desktop | head -n 1)
# Field codes (%f, %U, ...) stand for files the desktop passes; there are none here.
exec_line=$(printf '%s' "$exec_line" | sed 's/ *%[a-zA-Z]//g')
echo "Exec=$exec_line"
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY="$display"
sleep 1
# The Exec line is a command line of the desktop entry spec: words, no shell syntax.
read -r -a command_words <<<"$exec_line"
"${command_words[@]}" >"$work/app.log" 2>&1 &
app_pid=$!
shown=false
for _ in $(seq 1 60); do
    if ! kill -0 "$app_pid" 2>/dev/null; then
        echo "the window's program stopped:" >&2
        cat "$work/app.log" >&2
        exit 1
    fi
    if xwininfo -root -tree 2>/dev/null | grep -q '"mail2pst'; then
        shown=true
        break
    fi
    sleep 1
done
[ "$shown" = true ] || { echo "no mail2pst window appeared within a minute" >&2; exit 1; }
# Let it draw its first frames.
sleep 3
shot="$out/installed-window.png"
import -display "$display" -window root "$shot"
echo "screenshot: $shot"
kill "$app_pid"
wait "$app_pid" 2>/dev/null || true
app_pid=""

echo "== dpkg -r"
sudo_if_needed dpkg -r mail2pst
for file in /usr/bin/mail2pst /usr/share/applications/mail2pst.desktop; do
    [ ! -e "$file" ] || { echo "$file is still there after dpkg -r" >&2; exit 1; }
done
echo "installed, ran, showed its window and was removed: $deb"
