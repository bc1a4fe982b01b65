#!/usr/bin/env bash
# The end-to-end benchmark: converts a generated mbox of 2 GB (about 50,000 messages) and one of
# 0.5 GB, and prints for each in one table: mail2pst's wall time, messages/s, MB/s, CPU use and
# peak memory; the time of a plain copy of the same mbox on the same disk (the floor) and the
# ratio between the two; and the time readpst takes to read our PST back (a peer doing the
# reverse job). Peak memory should not grow with the mailbox (compare the two rows).
#
# usage: scripts/bench.sh [WORK_FOLDER]     (default target/bench; needs about 10 GB free)
#
# The generated mailboxes are kept in the work folder and reused; everything else is removed.
# The conversion runs as a full job: it writes the PST, reads it back to check the counts, and
# saves the report. Both the copy and the conversion start with the mbox in the page cache and
# end with their output synced to disk.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-target/bench}"
mkdir -p "$work"

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
command -v readpst >/dev/null || { echo "readpst is missing: run scripts/test-setup.sh" >&2; exit 1; }

cargo build --release --locked --bin mail2pst --example gen_corpus
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/mail2pst"
gen="$target_dir/release/examples/gen_corpus"

# A license, so that the demo's ten messages per folder do not apply. The key in fixtures/ is
# accepted by builds made with the development key pair (the default); set MAIL2PST_LICENSE_KEY
# to a real key for other builds.
MAIL2PST_LICENSE_KEY="${MAIL2PST_LICENSE_KEY:-$(cat fixtures/licenses/valid.key)}"
export MAIL2PST_LICENSE_KEY

# Runs a command under GNU time; sets $seconds, $peak_mb and $cpu.
measure() {
    /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null
    seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, part, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + part[i]
        print s }' "$work/time.txt")
    peak_mb=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$work/time.txt")
    cpu=$(awk -F': ' '/Percent of CPU/ { print $2 }' "$work/time.txt")
}

rows=()
for size in 0.5GB 2GB; do
    mbox="$work/generated-$size.mbox"
    if [ ! -f "$mbox" ]; then
        echo "generating $mbox"
        "$gen" --size "$size" --out "$mbox" --seed 1
    fi
    bytes=$(stat -c %s "$mbox")
    messages=$(grep -c '^From ' "$mbox")
    pst="$work/bench-$size.pst"
    rm -rf "$work/copy.mbox" "$work/readpst" "$work"/bench-*

    cat "$mbox" >/dev/null
    measure sh -c 'cp "$1" "$2" && sync "$2"' sh "$mbox" "$work/copy.mbox"
    copy_seconds=$seconds
    rm -f "$work/copy.mbox"

    cat "$mbox" >/dev/null
    measure sh -c '"$1" convert "$2" -o "$3" --quiet; code=$?; sync "$3"; exit $code' \
        sh "$bin" "$mbox" "$pst"
    convert_seconds=$seconds
    convert_peak=$peak_mb
    convert_cpu=$cpu
    pst_bytes=$(stat -c %s "$pst")

    mkdir -p "$work/readpst"
    measure readpst -q -o "$work/readpst" "$pst"
    readpst_seconds=$seconds
    rm -rf "$work/readpst" "$work"/bench-*

    rows+=("$(awk -v size="$size" -v n="$messages" -v b="$bytes" -v t="$convert_seconds" \
        -v c="$copy_seconds" -v r="$readpst_seconds" -v m="$convert_peak" -v cpu="$convert_cpu" \
        -v p="$pst_bytes" 'BEGIN {
        printf "%-6s %8d %9.0f %9.0f %9.1f %8.0f %8.0f %5s %8.1f %7.1f %7.1fx %9.1f\n",
            size, n, b / 1048576, p / 1048576, t, n / t, b / 1048576 / t, cpu, m, c, t / c, r }')")
done

echo
printf "%-6s %8s %9s %9s %9s %8s %8s %5s %8s %7s %8s %9s\n" \
    size messages "mbox MB" "PST MB" "mail2pst" "msg/s" "MB/s" CPU "peak MB" "cp s" ratio "readpst s"
for row in "${rows[@]}"; do
    echo "$row"
done
echo
echo "mail2pst: wall seconds of the whole job (convert, read back, report); ratio = mail2pst / cp."
echo "Targets: ratio at most 4x; peak memory under 200 MB and about the same for both sizes."
