#!/usr/bin/env bash
# A deep recursion of a function with a long name, or under --lines with a
# long file name, its frames alternating between two pointers of one name
# (two string table entries) or between two lines: naming its sites costs
# a pointer compare per frame, not a scan of the name (each was a scan:
# a million frames of a 400 KB name kept `top --by site` busy 20 s a
# sample).
# What bounds the time is this test's ctest TIMEOUT; the script checks that
# the recursion is one site (its names, past 1 KB, are cut short: the
# names of recursive sites are cli_leaks' and cli_lines' to check).
# A short one, of names written twice, checks that the profile reader made
# the two one pointer: else the site's caller was the other "AAAA".
source "$(dirname "$0")/cli_lib.sh"

craft() { python3 "$CLI_SRC/craft_profiles.py" recursion "$@" || fail "craft_profiles.py recursion $* failed"; }
DEPTH=1000000 LEN=400000
craft "$W/rec.pb" $DEPTH $LEN
craft "$W/lrec.pb" $DEPTH $LEN --lines
craft "$W/lmix.pb" $DEPTH $LEN --lines-shared

craft "$W/small.pb" 6 4
expect_rc 0 hp top --by site "$W/small.pb"
expect_in "$W/out" '  AAAA ← main$' "top --by site: a name written twice is one function"
expect_not_in "$W/out" 'AAAA ← AAAA' "top --by site: the site is not its own caller"

# Two frames --lines names alike but of two functions: the site's text
# again is a repeat too, so the key's caller is main, as its name says
# (it was "A a.c:10" again, and the row read as the stack of the site
# alone did).
python3 "$CLI_SRC/craft_profiles.py" same_text "$W/same.pb" || fail "craft_profiles.py same_text failed"
expect_rc 0 hp top --lines --by site "$W/same.pb"
expect_in "$W/out" '^ +1000 B .*  A a\.c:10 ← main /src/main\.c:5$' "top --lines --by site: the caller past the site's text"
expect_in "$W/out" '^Showing 2 of 2 sites$' "top --lines --by site: two sites"
# ... and the function without a name called by A at a.c:20: its caller
# is A, another function, though "A a.c:10" is A's text too (that stack
# was read with A's functions, A a.c:20 a repeat, and its 4000 bytes
# merged into the site above).
python3 "$CLI_SRC/craft_profiles.py" same_text "$W/under.pb" --under-a ||
    fail "craft_profiles.py same_text --under-a failed"
expect_rc 0 hp top --lines --by site "$W/under.pb"
expect_in "$W/out" '^ +3\.91 KiB .*  A a\.c:10 ← A a\.c:20$' "top --lines --by site: a text of two functions"
expect_in "$W/out" '^ +1000 B .*  A a\.c:10 ← main /src/main\.c:5$' "top --lines --by site: the other still"
expect_in "$W/out" '^Showing 3 of 3 sites$' "top --lines --by site: three sites"
expect_rc 0 hp leaks --lines "$W/same.pb" "$W/under.pb"
expect_in "$W/out" '  A a\.c:10 ← A a\.c:20$' "leaks --lines: a text of two functions"
# ... and when a row from an earlier profile (A's a.c:10 alone) noted the
# text as A's: the later profile's stack under A at a.c:20 reads its own
# function still (read as A's, its caller was main).
python3 "$CLI_SRC/craft_profiles.py" same_text "$W/a.pb" --a || fail "same_text --a failed"
python3 "$CLI_SRC/craft_profiles.py" same_text "$W/aa.pb" --a-under-a ||
    fail "same_text --a-under-a failed"
expect_rc 0 hp leaks --lines "$W/a.pb" "$W/aa.pb"
expect_in "$W/out" '  A a\.c:10 ← A a\.c:20$' "leaks --lines: a text of two functions, noted earlier"

site='^ +3\.00 KiB .*  AAAA'
expect_rc 0 hp top --by site "$W/rec.pb"
expect_in "$W/out" "$site" "top --by site: the recursion one site"
expect_in "$W/out" '^Showing 1 of 1 sites$' "top --by site: one site"
expect_rc 0 hp leaks "$W/rec.pb" "$W/rec.pb"
expect_rc 0 hp timeline --site 'AAAA' "$W/rec.pb" "$W/rec.pb" -o "$W/rec.svg"

# A recursion of a wrapper (std::) of a 2 MB name: the site is past it,
# found reading the name once, not at each of a million levels (that took
# 40 s; the timeout is for a machine under load, far from either).
craft "$W/std.pb" $DEPTH 2000000 --std
expect_rc 0 timeout 20 "$HEAPPROF_CLI" top --by site "$W/std.pb"
expect_in "$W/out" '^ +3\.00 KiB .*  main \(via std::AAAA' "top --by site: past a wrapper's recursion"

lsite='^ +3\.00 KiB .*  A /src/dddd'
expect_rc 0 hp top --lines --by site "$W/lrec.pb"
expect_in "$W/out" "$lsite" "top --lines --by site: the recursion one site"
expect_in "$W/out" '^Showing 1 of 1 sites$' "top --lines --by site: one site"
expect_rc 0 hp leaks --lines "$W/lrec.pb" "$W/lrec.pb"
# Memory: a frame's function is kept once per distinct name, not per
# frame (a pointer per frame of every sample took 8 bytes a frame: these
# 2M frames were 63 MB in top, 146 MB in leaks; now 48 and 115).  CLI
# tests run in no sanitizer build, whose shadow memory would count.
max_rss() { python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$HEAPPROF_CLI" "$@"; }
kib=$(max_rss top --lines --by site "$W/lrec.pb")
[[ $kib -lt 56000 ]] || fail "top --lines --by site of 2M frames: $kib KiB resident, not under 56000"
kib=$(max_rss leaks --lines "$W/lrec.pb" "$W/lrec.pb")
[[ $kib -lt 130000 ]] || fail "leaks --lines of 2x2M frames: $kib KiB resident, not under 130000"
# The same under a frame whose text is A's line 30's (a function without
# a name of file "A /src/ddd...c"): only that frame has its own function
# noted, not every frame of every stack through A (8 bytes a frame: 64
# MB in top, 163 MB in leaks).
kib=$(max_rss top --lines --by site "$W/lmix.pb")
[[ $kib -lt 56000 ]] || fail "top --lines --by site of 2M frames, a text shared: $kib KiB resident, not under 56000"
kib=$(max_rss leaks --lines "$W/lmix.pb" "$W/lmix.pb")
[[ $kib -lt 130000 ]] || fail "leaks --lines of 2x2M frames, a text shared: $kib KiB resident, not under 130000"
expect_rc 0 hp timeline --lines --site 'A /src/dddd' "$W/lrec.pb" "$W/lrec.pb" -o "$W/lrec.svg"
note "ok"
