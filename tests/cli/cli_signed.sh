#!/usr/bin/env bash
# Profiles that hold negative values: the difference of two profiles that
# `go tool pprof -proto -base EARLY LATE` writes (the base's samples
# negated), here crafted as a Go heap profile (craft_profiles.py signed: no
# error labels, so every ± comes from the sampling period).
#   - a negative sample's ± is its magnitude's: the estimate of -X varies as
#     that of X does (it was 0, "no error at all").
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

note "ok"
