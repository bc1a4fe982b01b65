#!/usr/bin/env bash
# Soak test: for a given time, runs random conversions — of the test corpus, of a generated
# mailbox, and of corrupted copies of both — with random options, and stops many of them from
# outside at a random moment (INT, TERM, HUP, KILL) or starts a second job on the same output.
# After every run it checks what a person would check:
#   * no panic (exit code 101, or "panicked" on standard error) and no hang (10 minutes);
#   * nothing left behind: after a run that ended by itself or was interrupted, the output
#     folder holds only finished files (no hidden lock, pending or temporary files); after a
#     KILL, the next conversion to the same output (run at once) removes what was left;
#   * an earlier output that the run did not replace is unchanged;
#   * the sources are unchanged (checked every 20 runs and at the end).
# It prints a line per run and, at the end, the counts: runs, kills by signal, leftovers,
# panics, hangs, changed sources, and the exit codes seen. Exit status 1 when anything was
# found.
#
# usage: scripts/soak.sh [DURATION] [WORK_FOLDER]    (default 30m target/soak)
#   DURATION: seconds, or with a unit: 90s, 30m, 2h
#   MAIL2PST=path/to/mail2pst uses that program instead of building the release one, and
#   GEN_CORPUS=path/to/gen_corpus (the example's program) adds the generated mailbox then.
#   SOAK_SEED=N makes the choices repeatable.
set -uo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30m}"
work="${2:-target/soak}"
case "$duration" in
    *h) seconds=$(( ${duration%h} * 3600 )) ;;
    *m) seconds=$(( ${duration%m} * 60 )) ;;
    *s) seconds=${duration%s} ;;
    *) seconds=$duration ;;
esac
RANDOM="${SOAK_SEED:-$$}"

if [ -z "${MAIL2PST:-}" ]; then
    cargo build --release --locked --bin mail2pst --example gen_corpus >&2 || exit 1
    MAIL2PST="${CARGO_TARGET_DIR:-target}/release/mail2pst"
    gen="${CARGO_TARGET_DIR:-target}/release/examples/gen_corpus"
else
    gen="${GEN_CORPUS:-}"
fi
MAIL2PST_LICENSE_KEY="${MAIL2PST_LICENSE_KEY:-$(cat fixtures/licenses/valid.key)}"
export MAIL2PST_LICENSE_KEY

rm -rf "$work"
mkdir -p "$work/inputs" "$work/out" "$work/home"
work=$(cd "$work" && pwd)
# The soak's own home and config, so that no stored license or setting of the user is used.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
inputs="$work/inputs"
log="$work/soak.log"
: >"$log"

# ----- Inputs: corpus copies, a generated mailbox, corrupted copies -----
cp -r tests/corpus/mbox "$inputs/mbox"
cp -r tests/corpus/eml "$inputs/eml"
cp -r tests/corpus/thunderbird-profile "$inputs/thunderbird-profile"
cp -r fixtures/sample "$inputs/sample"
if [ -n "$gen" ]; then
    "$gen" --size 20MB --out "$inputs/generated.mbox" --seed 7 >/dev/null
fi
mkdir -p "$inputs/corrupt"
corrupt_from=()
while IFS= read -r -d '' file; do corrupt_from+=("$file"); done < <(
    find "$inputs/mbox" "$inputs/eml" -type f -size +2k -print0 | sort -z | head -z -n 40)
n=0
for file in "${corrupt_from[@]}"; do
    n=$((n + 1))
    size=$(stat -c %s "$file")
    base="$inputs/corrupt/$n-$(basename "$file")"
    case $((n % 6)) in
        0) head -c $(( RANDOM * size / 32768 )) "$file" >"$base.truncated" ;;
        1) cp "$file" "$base.flipped"
           for _ in 1 2 3 4 5 6 7 8; do
               printf "\\x$(printf %02x $((RANDOM % 256)))" |
                   dd of="$base.flipped" bs=1 seek=$(( RANDOM * size / 32768 )) conv=notrunc status=none
           done ;;
        2) { cat "$file"; head -c 3000 /dev/urandom; } >"$base.garbage-tail" ;;
        3) { head -c $(( size / 2 )) "$file"; head -c 200 /dev/zero; tail -c +$(( size / 2 + 1 )) "$file"; } >"$base.nuls" ;;
        4) { head -c 4000 /dev/urandom; cat "$file"; } >"$base.garbage-head" ;;
        5) sed 's/^--/-/' "$file" >"$base.broken-boundaries" ;;
    esac
done
printf 'From nobody Mon Jan  1 00:00:00 2001\n' >"$inputs/corrupt/only-a-separator.mbox"
: >"$inputs/corrupt/empty.mbox"
head -c 50000 /dev/urandom >"$inputs/corrupt/random.mbox"
{ printf 'From a Mon Jan  1 00:00:00 2001\nContent-Type: multipart/mixed; boundary=x\n\n';
  for _ in $(seq 200); do printf -- '--x\nContent-Type: multipart/mixed; boundary=x\n\n'; done; } \
    >"$inputs/corrupt/deep.mbox"
mkdir -p "$inputs/corrupt/names"
cp fixtures/sample/Inbox.mbox "$inputs/corrupt/names/$(printf 'caf\xe9 \xff.mbox')"

fingerprint() {
    find "$inputs" -type f -print0 | sort -z | xargs -0 stat -c '%n %s %Y' | sha256sum
    find "$inputs" -type f -print0 | sort -z | xargs -0 cat | sha256sum
}
sources_before=$(fingerprint)

sources=("$inputs/mbox" "$inputs/eml" "$inputs/thunderbird-profile" "$inputs/sample" "$inputs/corrupt")
[ -f "$inputs/generated.mbox" ] && sources+=("$inputs/generated.mbox" "$inputs/generated.mbox")
for file in "$inputs"/corrupt/*; do sources+=("$file"); done

pick() { local list=("$@"); printf '%s' "${list[RANDOM % ${#list[@]}]}"; }

runs=0; kills_int=0; kills_term=0; kills_hup=0; kills_kill=0; second_jobs=0
leftovers=0; panics=0; hangs=0; changed=0; older_changed=0
declare -A codes=()

# Files in the output folder that a finished or interrupted run must not leave.
staging() { find "$1" -mindepth 1 -maxdepth 1 -name '.*' -printf '%f\n' | sort; }

record() {   # $1 = exit code, $2 = stderr file
    codes[$1]=$(( ${codes[$1]:-0} + 1 ))
    if [ "$1" = 101 ] || grep -q 'panicked' "$2"; then
        panics=$((panics + 1)); echo "  PANIC: $(grep -m1 panicked "$2")" | tee -a "$log"
    fi
    if [ "$1" = 124 ]; then hangs=$((hangs + 1)); echo "  HANG" | tee -a "$log"; fi
}

started=$(date +%s)
while [ $(( $(date +%s) - started )) -lt "$seconds" ]; do
    runs=$((runs + 1))
    out="$work/out/run"
    rm -rf "$out"; mkdir -p "$out"
    name=$(pick mail archive "Mail Archive" "$(printf 'caf\xe9')")
    pst="$out/$name.pst"
    args=(convert "$(pick "${sources[@]}")")
    [ $((RANDOM % 3)) = 0 ] && args+=("$(pick "${sources[@]}")")
    args+=(-o "$pst")
    [ $((RANDOM % 3)) = 0 ] && args+=(--split-size "$(pick 2MB 3MB 8MB)")
    [ $((RANDOM % 4)) = 0 ] && args+=(--skip-duplicates)
    [ $((RANDOM % 5)) = 0 ] && args+=(--from 2000-01-01 --to 2010-12-31)
    [ $((RANDOM % 4)) = 0 ] && args+=(--no-verify)
    [ $((RANDOM % 3)) = 0 ] && args+=(--json)
    [ $((RANDOM % 2)) = 0 ] && args+=(--quiet)
    older=""
    force=no
    if [ $((RANDOM % 3)) = 0 ]; then
        printf 'an older PST %s' "$runs" >"$pst"; older=$(sha256sum <"$pst")
        [ $((RANDOM % 2)) = 0 ] && { args+=(--force); force=yes; }
    fi
    again=("${args[@]}")
    [ "$force" = no ] && again+=(--force)
    action=$(pick finish finish INT TERM HUP KILL KILL second)
    delay=$(printf '0.%03d' $((RANDOM % 1000)))
    [ $((RANDOM % 3)) = 0 ] && delay=$((RANDOM % 4)).$((RANDOM % 10))
    printf 'run %d: %s (%s after %ss)\n' "$runs" "${args[*]}" "$action" "$delay" >>"$log"

    nice timeout 600 "$MAIL2PST" "${args[@]}" >"$work/stdout" 2>"$work/stderr" &
    pid=$!
    if [ "$action" = second ]; then
        sleep "$delay"
        nice timeout 600 "$MAIL2PST" "${again[@]}" >/dev/null 2>"$work/stderr2"
        code2=$?
        second_jobs=$((second_jobs + 1))
        record "$code2" "$work/stderr2"
        # Told to replace it, the second job may have.
        case $code2 in 0|2) older="" ;; esac
    elif [ "$action" != finish ]; then
        sleep "$delay"
        # The program is the child of `timeout`: signal the program itself.
        child=$(pgrep -P "$pid" | head -n1)
        if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
            kill -s "$action" "$child" 2>/dev/null
            case $action in
                INT) kills_int=$((kills_int + 1)) ;; TERM) kills_term=$((kills_term + 1)) ;;
                HUP) kills_hup=$((kills_hup + 1)) ;; KILL) kills_kill=$((kills_kill + 1)) ;;
            esac
        else
            action=finish
        fi
    fi
    wait "$pid"; code=$?
    [ "$action" = KILL ] && [ "$code" = 137 ] || record "$code" "$work/stderr"
    echo "  exit $code" >>"$log"

    if [ "$action" = KILL ]; then
        # What the kill left must go with the next conversion to that output.
        nice timeout 600 "$MAIL2PST" "${again[@]}" >/dev/null 2>"$work/stderr"
        code=$?
        record "$code" "$work/stderr"
        echo "  after the kill, the same job again: exit $code" >>"$log"
        older=""
    fi
    left=$(staging "$out")
    if [ -n "$left" ]; then
        leftovers=$((leftovers + 1))
        echo "  LEFT BEHIND after run $runs: $(echo "$left" | tr '\n' ' ')" | tee -a "$log"
    fi
    # An earlier output may only be replaced by a run told to (--force) that succeeded.
    if [ -n "$older" ] && [ -f "$pst" ] && [ "$(sha256sum <"$pst")" != "$older" ] \
        && { [ "$force" = no ] || { [ "$code" != 0 ] && [ "$code" != 2 ]; }; }; then
        older_changed=$((older_changed + 1)); echo "  AN EARLIER OUTPUT CHANGED" | tee -a "$log"
    fi
    if [ $((runs % 20)) = 0 ] && [ "$(fingerprint)" != "$sources_before" ]; then
        changed=$((changed + 1)); echo "  SOURCES CHANGED" | tee -a "$log"
        sources_before=$(fingerprint)
    fi
    printf '\r%d runs, %d s' "$runs" $(( $(date +%s) - started )) >&2
done
echo >&2
[ "$(fingerprint)" != "$sources_before" ] && { changed=$((changed + 1)); echo "SOURCES CHANGED" | tee -a "$log"; }

exit_codes=$(for code in "${!codes[@]}"; do printf '%s×%s ' "$code" "${codes[$code]}"; done)
cat <<REPORT | tee -a "$log"
soak: $runs runs in $(( $(date +%s) - started )) s ($MAIL2PST)
kills: INT $kills_int, TERM $kills_term, HUP $kills_hup, KILL $kills_kill; second jobs on a busy output: $second_jobs
leftovers: $leftovers; panics: $panics; hangs: $hangs; changed sources: $changed; changed earlier outputs: $older_changed
exit codes: $exit_codes
log: $log
REPORT
[ $((leftovers + panics + hangs + changed + older_changed)) = 0 ]
