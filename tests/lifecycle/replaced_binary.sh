#!/usr/bin/env bash
# lifecycle_replaced_binary: a long-running program whose executable is
# replaced on disk while it runs (a deployment, a package upgrade: the new
# file renamed over the old one, which /proc/PID/maps then shows as
# "PATH (deleted)") keeps its function names and its build-id in every
# profile written after the replacement, as in the one before: the code
# mapped is still the old file's (src/symbols.c, file_deleted).
source "$(dirname "$0")/lib.sh"
need_env LC_TRIGGER
require_go

# A copy of the program of our own to replace.
cp "$LC_TRIGGER" "$W/app"
start app HEAPPROF_SAMPLE=1 HEAPPROF_OUT="$W/p" -- "$W/app" wait "$W/ready" "$W/stop"
pid=$BGPID
wait_for_file "$W/ready"
kill -USR2 "$pid"
wait_for_seq "$W/p" "$pid" 1
# Another file under the same name, the old one unlinked but still mapped.
cp "$LC_TRIGGER" "$W/app.new"
printf 'x' >>"$W/app.new"
mv -f "$W/app.new" "$W/app"
grep -q "$W/app (deleted)" "/proc/$pid/maps" || fail "the replaced executable is not shown deleted in /proc/$pid/maps"
kill -USR2 "$pid"
wait_for_seq "$W/p" "$pid" 2
touch "$W/stop"
finish "$pid" 60
expect_rc app 0
no_heapprof_lines app
[[ $(expect_contiguous "$W/p" "$pid") -eq 3 ]] || fail "expected 3 profiles (before, after the replacement, exit)"

# exe_mapping RAWFILE: the executable's mapping line (path and build-id).
exe_mapping() {
    awk -v app="$W/app" '/^Mappings/ {m = 1; next} m && index($0, app) {$1 = ""; sub(/\[.*$/, ""); print; exit}' "$1"
}
before=""
for k in 1 2 3; do
    f=$(printf '%s.%s.%04d.pb.gz' "$W/p" "$pid" "$k")
    decode "$f"
    has_function "$f.raw" main || fail "$f: main is not named (profile $k of 3; the executable was replaced after the first)"
    m=$(exe_mapping "$f.raw")
    [[ $m == *"$W/app "[0-9a-f]* ]] || fail "$f: the executable's mapping has no build-id or a changed path: ($m)"
    [[ -z $before || $m == "$before" ]] || fail "$f: the executable's mapping changed: ($before) then ($m)"
    before=$m
done
note "ok: names and build-id kept after the executable was replaced on disk"
