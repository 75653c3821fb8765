#!/usr/bin/env bash
# One allocation site reads the same in every command that names sites:
# top --by site, ages and timeline name a row by its site key (stackset.h),
# leaks names each whole stack by its site, and the two must agree.  They
# did not past Rust's core::, a wrapper only above Rust's allocator
# frames: alloc::raw_vec::grow <- core::ptr::write <- app::f <- app::g was
# "core::ptr::write ← app::f" in top, ages and timeline, and
# "app::f ← app::g (via core::ptr::write)" in leaks.  A C++ stack (std::
# after operator new) reads alike too; a stack through another core::
# frame is the same site (the wrapper named is alloc::raw_vec::grow); and
# core::ptr::write with no Rust frame before it is a C++ program's own
# function, a site of its own, though its key holds the same frames as
# the Rust stack's once did.
source "$(dirname "$0")/cli_lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to craft the inputs"
craft() { python3 "$CLI_SRC/craft_profiles.py" aged "$1" --exact "${@:2}" || fail "craft_profiles.py aged $* failed"; }

rust='alloc::raw_vec::grow;core::ptr::write;app::f;app::g'
rust2='alloc::raw_vec::grow;core::fmt::write;app::f;app::g'
cxx='operator new;std::vector::_M_realloc_insert;std::vector::push_back;app::h;app::k'
own='core::ptr::write;app::f'
craft "$W/p1.pb" --time 0 "$rust=0:10:0" "$rust2=0:10:0" "$cxx=0:20:0" "$own=0:5:0"
craft "$W/p2.pb" --time 100 "$rust=0:300:0" "$rust2=0:100:0" "$cxx=0:800:0" "$own=0:50:0"

A=$'\xe2\x86\x90'
names=("app::f $A app::g (via alloc::raw_vec::grow)"
    "app::h $A app::k (via std::vector::push_back)"
    "core::ptr::write $A app::f")
re() { sed 's/[][().*^$]/\\&/g' <<<"$1"; } # a name as an extended regex

# every_name FILE WHAT: each name ends a line of FILE (the site is the
# last column), and no other name of the Rust stack's site does.
every_name() {
    for n in "${names[@]}"; do
        expect_in "$1" "$(re "$n")\$" "$2: '$n'"
    done
    expect_not_in "$1" 'via core::' "$2: a core:: frame named the wrapper"
    expect_not_in "$1" "core::ptr::write $A app::f .*via" "$2: the Rust stack keyed past its core:: frame"
}

expect_rc 0 hp top --by site "$W/p2.pb"
every_name "$W/out" "top --by site"
# The two Rust stacks are one site, 300 + 100 KiB.
expect_in "$W/out" '^Showing 3 of 3 sites$' "top --by site: three sites"
expect_in "$W/out" "^ +400 KiB .*  $(re "${names[0]}")\$" "top --by site: both Rust stacks' bytes"

expect_rc 0 hp leaks "$W/p1.pb" "$W/p2.pb"
every_name "$W/out" "leaks"

expect_rc 0 hp ages "$W/p2.pb"
every_name "$W/out" "ages"
expect_in "$W/out" '^Showing 3 of 3 sites with live bytes$' "ages: three sites"

expect_rc 0 hp timeline "$W/p1.pb" "$W/p2.pb" -o "$W/t.svg"
# Each band's title and its legend's text, one name a line.
grep -oE '<title>[^<]*</title>' "$W/t.svg" | sed -E 's/<\/?title>//g' >"$W/bands"
every_name "$W/bands" "timeline's bands"
grep -oE '>[^<>]*  <tspan' "$W/t.svg" | sed -E 's/^>//; s/  <tspan$//' >"$W/legend"
every_name "$W/legend" "timeline's legend"
# --site picks by a part of the name: each name picks its site's band
# alone, that band named as it is among the others.
for n in "${names[@]}"; do
    expect_rc 0 hp timeline --site "$n" "$W/p1.pb" "$W/p2.pb" -o "$W/one.svg"
    bands=$(grep -oE '<title>[^<]*</title>' "$W/one.svg" | sed -E 's/<\/?title>//g')
    [[ "$bands" == "$n" ]] || fail "timeline --site '$n': bands '${bands//$'\n'/' | '}', not the site alone"
done
note "ok"
