#!/usr/bin/env bash
# Profiles of other producers, made fresh: a Go heap profile written by
# runtime/pprof.WriteHeapProfile (tests/cli/goheap.go), the same converted
# by `go tool pprof -proto`, its plain (gunzipped) form, and a heapprof
# profile rewritten by `go tool pprof -proto`.  All read fine with top,
# leaks and timeline; their ± are approximations (marked ~).
# Needs `go` (scripts/deps.sh installs golang-go): without it the test
# fails, unless HEAPPROF_SKIP_GO=1 (then it is skipped, 77).
source "$(dirname "$0")/cli_lib.sh"

require_go
export GO111MODULE=off GOFLAGS= GOCACHE="$W/gocache" GOPATH="$W/gopath"

go build -o "$W/goheap" "$CLI_SRC/goheap.go" || fail "cannot build goheap.go"
"$W/goheap" "$W/go.heap" || fail "goheap failed"
pprof_to "$W/go.heap" "$W/go.pb" -proto
gunzip -c "$W/go.pb" >"$W/go_plain.pb" 2>/dev/null || cp "$W/go.pb" "$W/go_plain.pb"

for f in go.heap go.pb go_plain.pb; do
    expect_rc 0 hp top "$W/$f"
    first=$(grep -E ' (main|runtime)\.[A-Za-z0-9_.]+$' "$W/out" | head -n 1)
    [[ "$first" == *" main.goLeaf" ]] || fail "$f: the heaviest function is not main.goLeaf: $(cat "$W/out")"
    [[ "$first" == *"~"* ]] || fail "$f: the ± of main.goLeaf is not marked approximate: $first"
    expect_in "$W/out" 'approximations' "$f: the note on approximate errors"
    for t in alloc_objects alloc_space inuse_objects inuse_space; do # by name, as Go orders them
        expect_rc 0 hp top --type "$t" "$W/$f"
    done
    expect_rc 0 hp top --by stack "$W/$f"
    expect_in "$W/out" 'main\.goLeaf ← main\.main' "$f: a Go stack, leaf first"
done
# 4 MiB live in goLeaf (256 x 16 KiB); Go's own figure varies from run to
# run (its profile lags behind the heap), so only its order of magnitude.
expect_rc 0 hp top --raw "$W/go.heap"
flat=$(awk '$NF == "main.goLeaf" {print $1}' "$W/out")
[[ "$flat" -gt 1048576 && "$flat" -lt 5242880 ]] || fail "main.goLeaf holds $flat bytes, expected about 4 MiB"

expect_rc 0 hp leaks "$W/go.heap" "$W/go.pb"
expect_in "$W/out" '^0 stacks hold more live bytes' "no growth between a profile and its conversion"
expect_rc 0 hp timeline -o "$W/go.svg" "$W/go.heap" "$W/go.pb"

# A (sampled) heapprof profile rewritten by Go's pprof keeps its error labels.
pprof_to "$CLI_SRC/corpus/heapprof_sampled.gz" "$W/hp_go.pb" -proto
expect_rc 0 hp top "$W/hp_go.pb"
expect_in "$W/out" 'per-sample \*_sd labels' "heapprof's error labels survive pprof's rewrite"
expect_in "$W/out" ' leak_site$'

note "ok"
