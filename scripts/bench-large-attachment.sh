#!/usr/bin/env bash
# What a large attachment costs: converts an mbox holding one message with an attachment of
# SIZE (default 300MB) and prints the wall time and the peak memory of the conversion (GNU
# time's maximum resident set size). The peak should not follow the attachment's size: the
# message stays in its file, its large part is decoded to a temporary file beside the PST and
# written into the PST from there. Run it with 100MB and 300MB and compare.
#
# usage: scripts/bench-large-attachment.sh [SIZE] [WORK_FOLDER]   (default 300MB target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-300MB}"
work="${2:-target/bench}"
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || { echo "GNU time is missing (apt-get install time)" >&2; exit 1; }

cargo build --release --locked --bin mail2pst --example gen_large_attachment
target_dir="${CARGO_TARGET_DIR:-target}"
MAIL2PST_LICENSE_KEY="${MAIL2PST_LICENSE_KEY:-$(cat fixtures/licenses/valid.key)}"
export MAIL2PST_LICENSE_KEY

mbox="$work/large-attachment-$size.mbox"
[ -f "$mbox" ] || "$target_dir/release/examples/gen_large_attachment" --size "$size" --out "$mbox"
pst="$work/large-attachment-$size.pst"
rm -f "$pst" "$work"/large-attachment-"$size".report.*
/usr/bin/time -v -o "$work/time.txt" "$target_dir/release/mail2pst" convert "$mbox" -o "$pst" --quiet
seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, part, ":"); s = 0
    for (i = 1; i <= n; i++) s = s * 60 + part[i]
    print s }' "$work/time.txt")
peak_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$work/time.txt")
printf '| attachment | mbox | PST | time | peak memory |\n|---|---|---|---|---|\n'
printf '| %s | %s MB | %s MB | %s s | %s MB |\n' "$size" \
    "$(( $(stat -c %s "$mbox") / 1048576 ))" "$(( $(stat -c %s "$pst") / 1048576 ))" "$seconds" "$peak_mb"
rm -f "$pst" "$work"/large-attachment-"$size".report.*
