#!/usr/bin/env bash
# lifecycle_retention: HEAPPROF_KEEP=3 with HEAPPROF_PERIOD=0.1 over >= 1.5 s
# (and at least 8 profiles): at the end only the first profile (0001, the
# baseline of any diff) and the newest 3 of the sequence remain, the exit
# profile being the newest.  Meanwhile this script copies whatever profile
# files it sees: every copy that succeeded is a complete gzip file (a file
# under a final name is never torn, even while retention deletes).
source "$(dirname "$0")/lib.sh"
need_env LC_TRIGGER

mkdir -p "$W/snap"
start keep HEAPPROF_KEEP=3 HEAPPROF_PERIOD=0.1 HEAPPROF_OUT="$W/r" -- "$LC_TRIGGER" period 1500 8
pid=$BGPID
copies=0
while kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' /proc/$pid/stat 2>/dev/null) != Z ]]; do
    for f in "$W"/r.*.pb.gz; do
        [[ -e $f ]] || continue
        c="$W/snap/$(basename "$f").$copies"
        if cp "$f" "$c" 2>/dev/null; then
            gzip -t "$c" 2>/dev/null || fail "a copy of $f taken while the program ran is not a complete gzip file: torn profile under a final name"
            rm -f "$c"
            copies=$((copies + 1))
        fi
    done
    sleep 0.02
done
finish "$pid" 60
expect_rc keep 0
no_heapprof_lines keep
no_tmp_left "$W"
note "$copies copies of profiles taken during the run were complete"

seqs=$(seqs_of "$W/r" "$pid" | tr '\n' ' ')
last=$(seqs_of "$W/r" "$pid" | tail -n 1)
((last >= 9)) || fail "expected at least 8 periodic profiles and the exit profile, the newest is $last"
want="1 $((last - 2)) $((last - 1)) $last "
[[ $seqs == "$want" ]] || fail "HEAPPROF_KEEP=3: expected the files $want(the first and the newest 3), found: $seqs"
# (the pids read whole first: a pipe that failed, or was cut short by grep
# -q's exit under pipefail, passed the check)
pids=$(pids_of "$W/r") || fail "cannot list the profiles under $W/r"
[[ -n $pids ]] || fail "no profile under $W/r"
if grep -qvx "$pid" <<<"$pids"; then fail "profiles of processes other than $pid: $(tr '\n' ' ' <<<"$pids")"; fi
for s in $seqs; do
    f=$(printf '%s.%s.%04d.pb.gz' "$W/r" "$pid" "$s")
    decode "$f"
    if have_go; then
        want=period
        [[ $s -eq $last ]] && want="exit"
        [[ $(reason "$f.raw") == "$want" ]] || fail "$f: expected reason=$want, found reason=$(reason "$f.raw")"
        [[ $(comment "$f.raw" seq) == "$s" ]] || fail "$f: comment seq=$(comment "$f.raw" seq), expected $s"
    fi
done
note "kept: $seqs(of $last written)"
note "ok"
