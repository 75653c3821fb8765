#!/usr/bin/env bash
# integ_bad_config: a bad value of any HEAPPROF_* variable prints exactly one
# line on stderr naming the variable, the bad value and the default used;
# the program's stdout and exit status are those of a run without the
# preload, and the default really is used.  Good values print nothing.
source "$(dirname "$0")/lib.sh"
need_env PROG_PLAIN PROG_TRIGGER

cd "$W" # HEAPPROF_OUT= falls back to ./heapprof.<pid>.<seq>.pb.gz
run_plain base -- "$PROG_PLAIN"
base_rc=$RC
[[ $base_rc -eq 7 ]] || fail "the plain program should exit with 7, got $base_rc"

# check_bad VAR VALUE DEFAULT: one run with VAR=VALUE.
nbad=0
check_bad() {
    local var=$1 val=$2 def=$3 name
    nbad=$((nbad + 1))
    name="bad$nbad"
    local out=$W/out$nbad
    if [[ $var == HEAPPROF_OUT ]]; then
        run "$name" "$var=$val" -- "$PROG_PLAIN"
    else
        run "$name" HEAPPROF_OUT="$out" "$var=$val" -- "$PROG_PLAIN"
    fi
    [[ $RC -eq $base_rc ]] || fail "$var='$val': exit status $RC, expected $base_rc as without the preload"
    cmp -s "$W/base.out" "$W/$name.out" || fail "$var='$val': stdout differs from the run without the preload:
$(diff "$W/base.out" "$W/$name.out")"
    local lines
    lines=$(hp_count "$W/$name.err")
    [[ $lines -eq 1 ]] || fail "$var='$val': expected exactly one 'heapprof[PID]:' line on stderr, found $lines:
$(cat "$W/$name.err")"
    # The program's own stderr is still there, unchanged.
    not_hp "$W/$name.err" | cmp -s - "$W/base.err" ||
        fail "$var='$val': the program's own stderr changed: $(cat "$W/$name.err")"
    local line
    line=$(hp_lines "$W/$name.err")
    [[ $line == *"$var"* ]] || fail "$var='$val': the message does not name the variable: $line"
    [[ $line == *"\"$val\""* || $line == *"'$val'"* || $line == *"=$val "* ]] ||
        fail "$var='$val': the message does not show the bad value: $line"
    [[ $line == *default* && $line == *"$def"* ]] ||
        fail "$var='$val': the message does not name the default ($def): $line"
    [[ $(wc -l <<<"$line") -eq 1 ]] || fail "$var: more than one line"
    # The default is used: the exit profile is written (HEAPPROF_ON_EXIT=1).
    if [[ $var == HEAPPROF_OUT ]]; then
        local f
        f=$(ls "$W"/heapprof.*.0001.pb.gz 2>/dev/null | head -n 1)
        [[ -n $f ]] || fail "HEAPPROF_OUT='$val': expected the default prefix: ./heapprof.<pid>.0001.pb.gz, not found"
        summarize "$f"
        pprof_quick "$f"
        rm -f "$W"/heapprof.*.pb.gz
    else
        local f
        f=$(newest_profile "$out")
        summarize "$f"
        pprof_quick "$f"
        case $var in
        HEAPPROF_SAMPLE) check_header "$f.sum" 524288 ;;
        HEAPPROF_DEPTH) [[ $(awk '$1=="max_depth"{print $2}' "$f.sum") -le 64 ]] || fail "$var: default depth 64 not used" ;;
        esac
    fi
    echo "  ok: $line"
}

check_bad HEAPPROF_SAMPLE abc 524288
check_bad HEAPPROF_SAMPLE 0 524288
check_bad HEAPPROF_SAMPLE -5 524288
check_bad HEAPPROF_SAMPLE 1x 524288
check_bad HEAPPROF_SAMPLE " 4096" 524288
check_bad HEAPPROF_SAMPLE 99999999999999999999999 524288
check_bad HEAPPROF_DEPTH 0 64
check_bad HEAPPROF_DEPTH 9999 64
check_bad HEAPPROF_DEPTH 12abc 64
check_bad HEAPPROF_SIGNAL FOO USR2
check_bad HEAPPROF_SIGNAL KILL USR2
check_bad HEAPPROF_SIGNAL 9 USR2
check_bad HEAPPROF_SIGNAL 65 USR2
check_bad HEAPPROF_SIGNAL SEGV USR2
check_bad HEAPPROF_PERIOD -1 0
check_bad HEAPPROF_PERIOD abc 0
check_bad HEAPPROF_PERIOD 1e400 0
check_bad HEAPPROF_ON_EXIT maybe 1
check_bad HEAPPROF_OUT "" heapprof
check_bad HEAPPROF_MAX_LIVE 5 4194304
check_bad HEAPPROF_FILTER_GRANULE 1m 0
check_bad HEAPPROF_FILTER_GRANULE 4kb2 0
check_bad HEAPPROF_MAX_STACKS many 262144
# Where separate debug files are found (debugfile.h): absolute directories.
check_bad HEAPPROF_DEBUG_DIRS usr/lib/debug /usr/lib/debug
check_bad HEAPPROF_DEBUG_DIRS "/usr/lib/debug::/opt/debug" /usr/lib/debug

# The default signal is really used after a bad HEAPPROF_SIGNAL.
USR2=$(kill -l USR2)
for v in FOO KILL 9; do
    run "sigdef_$v" HEAPPROF_SIGNAL=$v HEAPPROF_OUT="$W/sigdef_$v" -- "$PROG_TRIGGER" probe "$USR2"
    grep -qx "disposition $USR2 handler" "$W/sigdef_$v.out" ||
        fail "HEAPPROF_SIGNAL=$v: the default SIGUSR2 handler should be installed, found: $(cat "$W/sigdef_$v.out")"
done
# The default HEAPPROF_PERIOD (off) is really used: one profile only.
run perdef HEAPPROF_PERIOD=abc HEAPPROF_OUT="$W/pd" -- "$PROG_TRIGGER" run 0.5 0
expect_rc perdef 0
[[ $(profiles "$W/pd" | wc -l) -eq 1 ]] || fail "HEAPPROF_PERIOD=abc: periodic profiles were written: $(profiles "$W/pd")"

# All bad at once: one line per variable, each variable named once.
run allbad HEAPPROF_SAMPLE=abc HEAPPROF_DEPTH=0 HEAPPROF_SIGNAL=FOO HEAPPROF_PERIOD=-1 \
    HEAPPROF_ON_EXIT=maybe HEAPPROF_OUT= -- "$PROG_PLAIN"
[[ $RC -eq $base_rc ]] || fail "all bad: exit status $RC, expected $base_rc"
cmp -s "$W/base.out" "$W/allbad.out" || fail "all bad: stdout differs from the run without the preload"
[[ $(hp_count "$W/allbad.err") -eq 6 ]] ||
    fail "6 bad variables: expected 6 'heapprof[PID]:' lines, found: $(hp_lines "$W/allbad.err")"
for v in HEAPPROF_SAMPLE HEAPPROF_DEPTH HEAPPROF_SIGNAL HEAPPROF_PERIOD HEAPPROF_ON_EXIT HEAPPROF_OUT; do
    [[ $(grep -cE "${HP_LINE}.*$v" "$W/allbad.err") -eq 1 ]] || fail "all bad: $v should be named on exactly one line: $(cat "$W/allbad.err")"
done
rm -f "$W"/heapprof.*.pb.gz

# Names that are not settings (misspelled, wrong case, made up): one line
# each, naming the nearest setting when one is near; the program is as
# without the preload and the defaults are used.
run misspelled HEAPPROF_OUT="$W/ms" HEAPPROF_SAMPEL=1 heapprof_depth=3 HEAPPROF_NOSUCH_THING=1 \
    -- "$PROG_PLAIN"
[[ $RC -eq $base_rc ]] || fail "misspelled names: exit status $RC, expected $base_rc"
cmp -s "$W/base.out" "$W/misspelled.out" || fail "misspelled names: stdout differs from the run without the preload"
[[ $(hp_count "$W/misspelled.err") -eq 3 ]] ||
    fail "3 names that are not settings: expected 3 'heapprof[PID]:' lines, found: $(cat "$W/misspelled.err")"
for want in "HEAPPROF_SAMPEL is not a heapprof setting and is ignored; did you mean HEAPPROF_SAMPLE?" \
    "heapprof_depth is not a heapprof setting and is ignored; did you mean HEAPPROF_DEPTH?" \
    "HEAPPROF_NOSUCH_THING is not a heapprof setting and is ignored ('heapprof run --help' lists them)"; do
    grep -qxF -- "$want" <(hp_msgs "$W/misspelled.err") || fail "expected the line 'heapprof[PID]: $want' in: $(cat "$W/misspelled.err")"
done
p=$(newest_profile "$W/ms")
summarize "$p"
check_header "$p.sum" 524288
run lowercase HEAPPROF_OUT="$W/lc" HEAPPROF_SAMPLE=1 heapprof_depth=1 -- "$PROG_PLAIN"
p=$(newest_profile "$W/lc")
summarize "$p"
[[ $(awk '$1=="max_depth"{print $2}' "$p.sum") -gt 1 ]] || fail "heapprof_depth=1 was used as HEAPPROF_DEPTH"
echo "  ok: misspelled names named, defaults used"
# The variables of heapprof's other tools (the CLI's limits) are not settings
# but are not mistakes either: silence.
run others HEAPPROF_OUT="$W/ot" HEAPPROF_MAX_INPUT=1m HEAPPROF_MAX_DECODE=1g -- "$PROG_PLAIN"
grep -qE "$HP_ANY" "$W/others.err" && fail "the CLI's variables are not mistakes, yet: $(hp_lines "$W/others.err")"

# Good values, including the other spellings the table accepts: silence.
for vars in "HEAPPROF_SAMPLE=512KiB" "HEAPPROF_SAMPLE=4k" "HEAPPROF_SAMPLE=1" "HEAPPROF_SAMPLE=1g" \
    "HEAPPROF_DEPTH=256" "HEAPPROF_DEPTH=1" "HEAPPROF_SIGNAL=SIGUSR1" "HEAPPROF_SIGNAL=usr2" \
    "HEAPPROF_SIGNAL=10" "HEAPPROF_SIGNAL=off" "HEAPPROF_PERIOD=0" "HEAPPROF_PERIOD=.5" \
    "HEAPPROF_ON_EXIT=0" "HEAPPROF_ON_EXIT=yes" "HEAPPROF_ON_EXIT=false" \
    "HEAPPROF_DEBUG_DIRS=off" "HEAPPROF_DEBUG_DIRS=/usr/lib/debug:/nonexistent"; do
    run good HEAPPROF_OUT="$W/good" "$vars" -- "$PROG_PLAIN"
    [[ $RC -eq $base_rc ]] || fail "$vars: exit status $RC, expected $base_rc"
    cmp -s "$W/base.out" "$W/good.out" || fail "$vars: stdout differs from the run without the preload"
    grep -qE "$HP_ANY" "$W/good.err" && fail "$vars is valid, yet: $(hp_lines "$W/good.err")"
    if [[ $vars == HEAPPROF_ON_EXIT=0 || $vars == HEAPPROF_ON_EXIT=false ]]; then
        [[ -z $(profiles "$W/good") ]] || fail "$vars: an exit profile was written"
    else
        p=$(newest_profile "$W/good")
        summarize "$p"
        pprof_quick "$p"
    fi
    rm -f "$W"/good.*
done
cd /
note "ok ($nbad bad values)"
