#!/usr/bin/env bash
# lifecycle_soak (opt-in: -DHEAPPROF_SOAK=ON, ctest -L soak): a leaking
# program with 4 threads runs SOAK_MINUTES minutes (default 10) with
# periodic (2 s), high-water (2 MiB, at most 1/s) and signal (every 5 s)
# profiles, HEAPPROF_KEEP=5, sampling every 64 KiB on average.
#
# Checks:
#  - the program exits 0; every profile file seen during the run is a
#    complete gzip file, every one left at the end decodes, no .tmp left;
#  - the profiler's own memory stays flat after warm-up (the first fifth of
#    the run, at least 10 s):
#      profiler_table_bytes (comments of the newest profile, every 5 s):
#        growth after warm-up <= 10% of its warm-up value + 1 MiB;
#      RSS minus the bytes the program itself holds live (the program
#      prints both every second): growth after warm-up <= 10% + 16 MiB.
#  The numbers are printed as a table at the end (SOAK ... lines).
source "$(dirname "$0")/lib.sh"
need_env LC_SOAK

MIN=${SOAK_MINUTES:-10}
SECS=$(awk -v m="$MIN" 'BEGIN {s = int(m * 60); if (s < 20) s = 20; print s}')
WARM=$((SECS / 5 > 10 ? SECS / 5 : 10))
MIB=$((1 << 20))
note "soak: $SECS s, warm-up $WARM s"

mkdir -p "$W/snap"
start soak HEAPPROF_SAMPLE=64k HEAPPROF_PERIOD=2 HEAPPROF_HIGHWATER=2m HEAPPROF_HIGHWATER_MIN_S=1 \
    HEAPPROF_KEEP=5 HEAPPROF_OUT="$W/s" -- "$LC_SOAK" "$SECS" 4
pid=$BGPID
: >"$W/tables.txt"
t0=$SECONDS next=$((SECONDS + 5)) seen=0
while kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' /proc/$pid/stat 2>/dev/null) != Z ]]; do
    if ((SECONDS >= next)); then
        next=$((SECONDS + 5))
        kill -USR2 "$pid" 2>/dev/null || true
        newest=$(profiles "$W/s" "$pid" | tail -n 1)
        if [[ -n $newest ]] && cp "$newest" "$W/snap/cur.pb.gz" 2>/dev/null; then
            gz_ok "$W/snap/cur.pb.gz"
            seen=$((seen + 1))
            if have_go; then
                decode "$W/snap/cur.pb.gz"
                r="$W/snap/cur.pb.gz.raw"
                echo "$((SECONDS - t0)) $(comment "$r" profiler_table_bytes) $(comment "$r" stack_bytes) $(comment "$r" live_sampled_objects) $(comment "$r" stacks) $(comment "$r" seq) $(comment "$r" last_dump_ms)" >>"$W/tables.txt"
            fi
        fi
        # Every file under a final name right now is complete.
        for f in $(profiles "$W/s" "$pid"); do
            if cp "$f" "$W/snap/any.pb.gz" 2>/dev/null; then gz_ok "$W/snap/any.pb.gz"; fi
        done
    fi
    sleep 0.2
done
finish "$pid" 60
expect_rc soak 0
grep -qx 'done' "$W/soak.out" || fail "the program did not run to its end: $(tail -n 3 "$W/soak.out")"
bad=$(grep -E "$HP_ANY" "$W/soak.err" || true)
[[ -z $bad ]] || fail "the profiler printed: $(head -n 3 <<<"$bad")"
no_tmp_left "$W"
left=$(profiles "$W/s" "$pid")
for f in $left; do decode "$f"; done
last=$(seqs_of "$W/s" "$pid" | tail -n 1)
note "profiles written: $last; left on disk: $(wc -l <<<"$left") (the first + newest 5); snapshots checked: $seen"

# ---- the profiler's tables (from the comments) ------------------------------------
if have_go; then
    [[ -s $W/tables.txt ]] || fail "no profile could be read during the run"
    read -r tb_warm tb_max tb_end < <(awk -v w="$WARM" '
        $1 >= w { if (!n++) warm = $2; if ($2 > max) max = $2; end = $2 }
        END { print warm + 0, max + 0, end + 0 }' "$W/tables.txt")
    note "SOAK profiler_table_bytes: at warm-up $tb_warm, max after $tb_max, at end $tb_end"
    awk '{printf "SOAK tables t=%ss table_bytes=%s stack_bytes=%s live_sampled=%s stacks=%s seq=%s last_dump_ms=%s\n", $1, $2, $3, $4, $5, $6, $7}' "$W/tables.txt" |
        awk 'NR == 1 || NR % 6 == 0' || true
    ((tb_max <= tb_warm + tb_warm / 10 + MIB)) ||
        fail "profiler_table_bytes grew after warm-up: $tb_warm -> $tb_max (allowed: +10% + 1 MiB)"
fi

# ---- RSS minus the program's own live bytes ------------------------------------------
read -r ov_warm ov_max ov_end live_warm live_end rss_end < <(awk -v w="$WARM" -F'[ =]' '
    $1 == "t" { t = $2; ov = $4 * 1024 - $6
        if (t >= w) { if (!n++) { warm = ov; lw = $6 } if (ov > max) max = ov; end = ov; le = $6; re = $4 } }
    END { printf "%d %d %d %d %d %d\n", warm, max, end, lw, le, re }' "$W/soak.out")
note "SOAK RSS - live: at warm-up $((ov_warm / 1024)) KiB, max after $((ov_max / 1024)) KiB, at end $((ov_end / 1024)) KiB; program live bytes $((live_warm / 1024)) -> $((live_end / 1024)) KiB; RSS at end $rss_end KiB"
awk -F'[ =]' '$1 == "t" && ($2 % 30 == 0 || $2 == 1) {printf "SOAK rss t=%ss rss_kb=%s live_kb=%d rss_minus_live_kb=%d\n", $2, $4, $6 / 1024, ($4 * 1024 - $6) / 1024}' "$W/soak.out"
((ov_max <= ov_warm + ov_warm / 10 + 16 * MIB)) ||
    fail "RSS minus the program's live bytes grew after warm-up: $((ov_warm / 1024)) -> $((ov_max / 1024)) KiB (allowed: +10% + 16 MiB)"
note "ok"
