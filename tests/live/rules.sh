#!/usr/bin/env bash
# live_rules: the Prometheus rules docs/prometheus/heapprof-rules.yml offers
# (a leak alert on heapprof_live_aged_bytes) are valid (promtool check
# rules) and do what their comments say on series shaped like real
# processes (promtool test rules, rules_test.yml): the leak fires after a
# day of growth and not before; a start-up's kept memory, a cache that
# fills for 12 h and a leak too small to matter never fire.  The metric's
# own values are checked against a live process by live_metrics.
source "$(dirname "$0")/lib.sh"
need promtool prometheus

here=$(cd "$(dirname "$0")" && pwd)
rules=$here/../../docs/prometheus/heapprof-rules.yml
promtool check rules "$rules" >"$W/check.out" 2>&1 ||
    { cat "$W/check.out" >&2; fail "promtool check rules rejected $rules"; }
grep -q 'SUCCESS: 2 rules found' "$W/check.out" || fail "promtool: $(cat "$W/check.out")"
note "promtool check rules: ok"
# promtool reads the rule file relative to the test file.
(cd "$here" && promtool test rules rules_test.yml) >"$W/test.out" 2>&1 ||
    { cat "$W/test.out" >&2; fail "promtool test rules failed (above)"; }
grep -q SUCCESS "$W/test.out" || fail "promtool test rules: $(cat "$W/test.out")"
note "promtool test rules: ok"
note "ok"
