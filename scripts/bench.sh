#!/usr/bin/env bash
# The end-to-end benchmark: converts a generated mbox of 0.25 GB and one of 2 GB (about 6,000
# and 50,000 messages) as full jobs (write, read back, report) and prints, for each, medians of
# paired runs:
#   - mail2pst's wall time on every core, its messages/s and MB/s, CPU use and peak memory;
#   - the same job pinned to one core (taskset), and the speed-up every core gives;
#   - the share of all CPU time spent on the job's main thread, which writes the PST and does
#     every other serial step (the part that more cores cannot speed up);
#   - the time of a plain copy of the same mbox on the same disk (the floor), and the ratio;
#   - the time readpst takes to read our PST back (a peer doing the reverse job), once;
#   - whether two conversions of the same mbox with SOURCE_DATE_EPOCH set give the same bytes.
# Peak memory should not grow with the mailbox: compare the two rows.
#
# usage: scripts/bench.sh [WORK_FOLDER]     (default target/bench; needs about 10 GB free)
#        RUNS=5 scripts/bench.sh             (pairs per size; default 3)
#        SIZES="0.25GB" scripts/bench.sh     (sizes to run; default "0.25GB 2GB")
#        SIZES="gen_mbox" scripts/bench.sh   (the 2,000-message, 248.7 MB mbox that
#                                             tools/pstcheck/gen_mbox.py writes with seed 1)
#        SIZES="0.25GB-text 2GB-text" ...     (mail without attachments, a few KB a message:
#                                             about 53,000 and 420,000 messages in one folder)
#
# The runs of a pair (copy, all cores, one core) alternate, so that a machine busy with other
# work slows each alike; a fourth run, not timed, samples the threads' CPU time. The generated mailboxes are kept in the work folder and reused;
# everything else is removed. Both the copy and the conversion start with the mbox in the page
# cache and end with their output synced to disk.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-target/bench}"
runs="${RUNS:-3}"
sizes="${SIZES:-0.25GB 2GB}"
mkdir -p "$work"

if [ ! -x /usr/bin/time ] || ! command -v taskset >/dev/null; then
    echo "installing GNU time and taskset"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time util-linux >/dev/null
fi
command -v readpst >/dev/null || { echo "readpst is missing: run scripts/test-setup.sh" >&2; exit 1; }

cargo build --release --locked --bin mail2pst --example gen_corpus
target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/mail2pst"
gen="$target_dir/release/examples/gen_corpus"
cores=$(nproc)

# A license, so that the demo's ten messages per folder do not apply. The key in fixtures/ is
# accepted by builds made with the development key pair (the default); set MAIL2PST_LICENSE_KEY
# to a real key for other builds.
MAIL2PST_LICENSE_KEY="${MAIL2PST_LICENSE_KEY:-$(cat fixtures/licenses/valid.key)}"
export MAIL2PST_LICENSE_KEY

# Runs a command under GNU time; sets $seconds (read from the clock in milliseconds: GNU time's
# hundredths of a second are steps of 3 % on the 2,000-message mailbox, as large as the gaps
# the speed-up is judged by), $peak_mb and $cpu_seconds. With WATCH=1, also
# samples the CPU time of each thread of the timed program from /proc until it ends, and sets
# $main_share and $file_share: the shares of the program's CPU time, in percent, of the main
# thread (which places every block of the PST) and of the thread that writes the file.
measure() {
    local started
    started=$(date +%s%N)
    /usr/bin/time -f '%e %M %U %S' -o "$work/time.txt" "$@" >/dev/null &
    local timer=$!
    main_share=""
    file_share=""
    if [ "${WATCH:-0}" = 1 ]; then
        local program="" ticks="$work/ticks.txt"
        : >"$ticks"
        while kill -0 "$timer" 2>/dev/null; do
            # time runs sh, which runs mail2pst.
            [ -n "$program" ] || program=$(pgrep -x mail2pst -P "$(pgrep -d, -P "$timer")" \
                2>/dev/null | head -n 1 || true)
            # Fields after the command name: utime and stime are the 12th and 13th.
            [ -n "$program" ] && cat /proc/"$program"/task/*/stat >>"$ticks" 2>/dev/null || true
            sleep 0.05
        done
        read -r main_share file_share < <(awk -v main="$program" '{
            tid = $1; names[tid] = $2; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
            t = f[12] + f[13]; if (t > last[tid]) last[tid] = t
        } END {
            for (tid in last) {
                all += last[tid]
                if (tid == main) mine = last[tid]
                if (names[tid] == "(pst-file)") file += last[tid]
            }
            if (all > 0) printf "%.0f %.0f\n", 100 * mine / all, 100 * file / all }' "$ticks")
    fi
    wait "$timer"
    local ended
    ended=$(date +%s%N)
    read -r _ peak_kb user system <"$work/time.txt"
    seconds=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    peak_mb=$(( peak_kb / 1024 ))
    cpu_seconds=$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }')
}

# The median of the numbers given.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# A conversion that ends with its output on disk, as a command line for measure.
convert=(sh -c '"$1" convert "$2" -o "$3" --quiet; code=$?; sync "$3"; exit $code' sh "$bin")

rows=()
for size in $sizes; do
    mbox="$work/generated-$size.mbox"
    if [ ! -f "$mbox" ]; then
        echo "generating $mbox"
        case "$size" in
            gen_mbox) python3 tools/pstcheck/gen_mbox.py "$mbox" --count 2000 --seed 1 ;;
            *-text) "$gen" --size "${size%-text}" --text-only --out "$mbox" --seed 1 ;;
            *) "$gen" --size "$size" --out "$mbox" --seed 1 ;;
        esac
    fi
    bytes=$(stat -c %s "$mbox")
    messages=$(grep -c '^From ' "$mbox")
    pst="$work/bench-$size.pst"
    copies=() walls=() cpus=() peaks=() shares=() file_shares=() singles=()
    for run in $(seq "$runs"); do
        echo "$size: pair $run of $runs"
        rm -rf "$work/copy.mbox" "$work"/bench-*
        cat "$mbox" >/dev/null
        measure sh -c 'cp "$1" "$2" && sync "$2"' sh "$mbox" "$work/copy.mbox"
        copies+=("$seconds")
        rm -f "$work/copy.mbox"

        cat "$mbox" >/dev/null
        measure "${convert[@]}" "$mbox" "$pst"
        walls+=("$seconds") cpus+=("$cpu_seconds") peaks+=("$peak_mb")
        pst_bytes=$(stat -c %s "$pst")
        rm -f "$work"/bench-*

        # The threads' shares from a run of their own: sampling /proc takes CPU time from
        # the job it watches, which the timed runs must not pay.
        cat "$mbox" >/dev/null
        WATCH=1 measure "${convert[@]}" "$mbox" "$pst"
        shares+=("$main_share") file_shares+=("$file_share")
        rm -f "$work"/bench-*

        cat "$mbox" >/dev/null
        measure taskset -c 0 "${convert[@]}" "$mbox" "$pst"
        singles+=("$seconds")
        rm -f "$work"/bench-*
    done

    # Two more conversions, with the time the PST records fixed and the same file name: the
    # same mail must give the same bytes, whatever order the threads ran in.
    SOURCE_DATE_EPOCH=1700000000 "${convert[@]}" "$mbox" "$pst"
    mkdir -p "$work/again"
    SOURCE_DATE_EPOCH=1700000000 "${convert[@]}" "$mbox" "$work/again/$(basename "$pst")"
    if cmp -s "$pst" "$work/again/$(basename "$pst")"; then same=yes; else same=NO; fi
    rm -rf "$work/again"
    mkdir -p "$work/readpst"
    measure readpst -q -o "$work/readpst" "$pst"
    readpst_seconds=$seconds
    rm -rf "$work/readpst" "$work"/bench-*

    rows+=("$(awk -v size="$size" -v n="$messages" -v b="$bytes" -v p="$pst_bytes" \
        -v t="$(median "${walls[@]}")" -v cpu="$(median "${cpus[@]}")" \
        -v m="$(median "${peaks[@]}")" -v share="$(median "${shares[@]}")" \
        -v file="$(median "${file_shares[@]}")" \
        -v one="$(median "${singles[@]}")" -v c="$(median "${copies[@]}")" \
        -v r="$readpst_seconds" -v same="$same" 'BEGIN {
        printf "%-11s %8d %8.0f %7.0f %8.3f %7.0f %6.0f %7.2f %6.0f %8.3f %7.2fx %6s%% %6s%% %6.3f %6.1fx %9.1f %5s\n",
            size, n, b / 1048576, p / 1048576, t, n / t, b / 1048576 / t, cpu, m, one, one / t,
            share, file, c, t / c, r, same }')")
done

echo
echo "Medians of $runs paired runs on $cores cores:"
printf "%-11s %8s %8s %7s %8s %7s %6s %7s %6s %8s %8s %7s %7s %6s %7s %9s %5s\n" \
    size messages "mbox MB" "PST MB" "wall s" "msg/s" "MB/s" "CPU s" "peak" "1 core" speedup \
    "main" "file" "cp s" "vs cp" "readpst s" "same"
for row in "${rows[@]}"; do
    echo "$row"
done
echo
echo "wall s: the whole job on every core (convert, read back, report); 1 core: the same job"
echo "pinned to one core; speedup = 1 core / wall s; main: the main thread's share of all CPU"
echo "time (it places the PST's blocks and does every serial step); file: the share of the"
echo "thread that encodes, checksums and writes the blocks; vs cp = wall s / cp s; peak in MB;"
echo "same: two more conversions with SOURCE_DATE_EPOCH set gave the same bytes."
echo "Targets: speedup at least 1.85x on 2 cores; main at most 12 %; vs cp at most 3x; peak"
echo "under 100 MB and within 10 % between the sizes."
