#!/usr/bin/env bash
# Profiles that hold negative values: the difference of two profiles that
# `go tool pprof -proto -base EARLY LATE` writes (the base's samples
# negated), here crafted as a Go heap profile (craft_profiles.py signed: no
# error labels, so every ± comes from the sampling period).
#   - a negative sample's ± is its magnitude's: the estimate of -X varies as
#     that of X does (it was 0, "no error at all");
#   - top ranks rows by magnitude and gives shares of the sum of the
#     absolute values, as pprof -top does: a net total near 0 made the
#     growth -100% and the shrinkage 200%, and the largest change came last
#     (cut off by -n);
#   - leaks, timeline and ages, which read live heaps, refuse a difference
#     with one line that says so (they printed a negative live heap and
#     negative old bytes).
source "$(dirname "$0")/cli_lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to craft the inputs"
craft() { python3 "$CLI_SRC/craft_profiles.py" signed "$@"; }

# grow: +1 MiB in 64 objects; shrink: -2 MiB in 128 objects of the same
# size, so its variance is twice grow's (± sqrt(2) times); tiny: +4 KiB.
craft "$W/d.pb" grow=64:1048576 shrink=-128:-2097152 tiny=1:4096
craft "$W/pos.pb" shrink=128:2097152

# --- 1. the error of a negative value -----------------------------------------
expect_rc 0 hp top --raw --by stack "$W/pos.pb"
want=$(awk '/shrink ←/ {print $2}' "$W/out")
[[ "$want" =~ ^~[1-9][0-9]*$ ]] || fail "the positive shrink row's ± is '$want': $(cat "$W/out")"
expect_rc 0 hp top --raw --by stack "$W/d.pb"
got=$(awk '/shrink ←/ {print $2}' "$W/out")
[[ "$got" == "$want" ]] || fail "-2 MiB has ± '$got', +2 MiB has '$want': $(cat "$W/out")"
grow=$(awk '/grow ←/ {print substr($2, 2)}' "$W/out")
# sqrt(2) times grow's, to the byte's rounding
awk -v s="${got#\~}" -v g="$grow" 'BEGIN { r = s / g; exit !(r > 1.413 && r < 1.416) }' ||
    fail "shrink's ± $got is not sqrt(2) times grow's ~$grow"

# --- 2. order and shares ------------------------------------------------------
# |values|: 2 MiB + 1 MiB + 4 KiB = 3076 KiB; shrink 66.6%, grow 33.3%.
expect_rc 0 hp top "$W/d.pb"
rows=$(awk '$NF == "shrink" || $NF == "grow" || $NF == "tiny" || $NF == "main" {print $NF}' "$W/out" | tr '\n' ' ')
[[ "$rows" == "shrink grow tiny main " ]] || fail "rows not by magnitude: $rows: $(cat "$W/out")"
expect_in "$W/out" '^ +-2\.00 MiB +~[0-9.]+ KiB +-66\.6% +-66\.6% .* shrink$' "shrink: -66.6% of the absolute sum"
expect_in "$W/out" '^ +1\.00 MiB +~[0-9.]+ KiB +33\.3% +-33\.3% .* grow$' "grow: 33.3%"
expect_in "$W/out" '^Total: -1020 KiB ' "the net total"
expect_in "$W/out" '^Shares: of 3.00 MiB, the sum of the absolute values' "the line on shares"
expect_rc 0 hp top -n 1 "$W/d.pb"
expect_in "$W/out" ' shrink$' "the largest change with -n 1"
expect_rc 0 hp top --by stack "$W/d.pb"
expect_in "$W/out" '^ +-2\.00 MiB .* -66\.6% +-66\.6%  shrink ← main$' "--by stack: shrink first"
# Without negative values, no such line.
expect_rc 0 hp top "$W/pos.pb"
expect_not_in "$W/out" '^Shares:' "the line on shares without negative values"
expect_in "$W/out" ' 100\.0% +100\.0% .* shrink$'

# --- 3. the commands that read live heaps -------------------------------------
for c in "leaks $W/pos.pb $W/d.pb" "timeline $W/d.pb $W/pos.pb -o $W/t.svg" "ages $W/d.pb"; do
    read -r -a args <<<"$c"
    expect_rc 1 hp "${args[@]}"
    expect_in "$W/err" "^heapprof ${args[0]}: $W/d\.pb: a difference of two profiles \(negative inuse_space values" "${args[0]} on a difference"
    [[ $(wc -l <"$W/err") -eq 1 ]] || fail "${args[0]} on a difference: expected one line: $(cat "$W/err")"
done
note "ok"
