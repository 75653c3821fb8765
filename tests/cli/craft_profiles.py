#!/usr/bin/env python3
"""craft_profiles.py - profiles made on the fly for the heapprof command's
tests (cli_decode.sh, cli_classes.sh), with make_corpus.py's protobuf
writer: shapes too big to commit, or a series whose every value is chosen.

Usage:
  craft_profiles.py empty OUT N      gzip: one sample type, then N empty
                                     Sample messages (2 bytes each on the
                                     wire, ~40 times that to decode)
  craft_profiles.py sites OUT N      gzip: an exact profile of N samples,
                                     each its own site (one frame, small
                                     ids: as costly to decode per byte as
                                     real profiles get)
  craft_profiles.py stacks OUT N D   gzip: an exact profile of N distinct
                                     stacks D frames deep (one object each)
  craft_profiles.py aged_stacks DIR N D K
                                     gzip: DIR/a<k>.pb.gz, k = 1..K, exact
                                     profiles 10 s apart of the same N
                                     stacks D frames deep (as stacks), each
                                     in the age band [0, 1 s)
  craft_profiles.py deep OUT N       gzip: an exact profile of one stack N
                                     frames deep (a and b calling each
                                     other, under main), and one of main
                                     alone
  craft_profiles.py series DIR SITE=V0,V1,... ...
                                     DIR/p<k>.pb: exact profiles 10 s apart
                                     in which SITE (stack SITE <- main)
                                     holds Vk MiB live; a SITE of a;b;c is
                                     the stack a <- b <- c <- main
  craft_profiles.py aged OUT [--merged] [--bare] [--no-ages] [--exact]
                    [--duration S] [--time S] SITE=AGE:KIB:SD,...[@KIB] ...
                                     OUT (plain pb): a heapprof profile in
                                     the age format (README, "age" labels):
                                     stack SITE <- main (a SITE of a;b is
                                     a <- b <- main, as in series) holds
                                     KIB KiB live
                                     (KIB objects) in the band starting at
                                     AGE seconds, with standard errors SD KiB
                                     (SD objects); SITE= holds nothing live.
                                     Each site allocated 3 times its live
                                     bytes (alloc sd: 7 KiB), or @KIB KiB
                                     (KIB objects): a stack that shrank
                                     allocated more, not less.  --merged:
                                     one sample per site, the bands summed
                                     (variances added: choose SDs whose
                                     squares sum to a square) and no age;
                                     --no-ages: the same (an older heapprof);
                                     --bare: later band samples lack the
                                     alloc_*_sd labels (their
                                     alloc_samples is 0); --exact: an exact
                                     profile (no sd labels); --duration:
                                     seconds since start (default 7200; 0:
                                     none); --time: the time stamp, S
                                     seconds after 1700000000 (default 0)
  craft_profiles.py lines OUT [--scale K] [--bad-file] [--huge-file] [--moved]
                    [--recursive]
                                     OUT (plain pb): an exact profile with
                                     file:line (cli_lines.sh): inlined
                                     frames (helper inl.h:10 in leak
                                     leak.c:20, one Location), leak at
                                     leak.c:25 in two Locations, a malloc
                                     with a file, a function without a file
                                     (nofile), lines -5 and 2^40 (badline);
                                     the file of leak is written
                                     /src/app/./util/../leak.c.  Bytes
                                     times K (default 1).  --bad-file: the
                                     file of leak is string 999 (out of
                                     range); --huge-file: 300 more lines of
                                     a function whose file name is 1 MiB;
                                     --moved: leak's line 25 is 26 (the
                                     same code in another build);
                                     --recursive: leak allocating at
                                     leak.c:30 under main.c:5, recursing
                                     from its lines 31 and 32 (3 stacks)
  craft_profiles.py recursion OUT DEPTH LEN [--lines | --lines-shared | --std]
                                     OUT (plain pb): an exact profile of
                                     two stacks (1 KiB, 2 KiB) of a
                                     recursion DEPTH frames deep under
                                     main, of a function whose name is LEN
                                     bytes, in two string table entries
                                     (two functions, alternating); with
                                     --lines, of one function whose file
                                     name is LEN bytes, allocating at
                                     its line 30 and recursing from 31 and
                                     32, alternating; with --std, the
                                     function's name starts "std::", a
                                     wrapper; with --lines-shared, as
                                     --lines under a function without a
                                     name whose file is "A " and the long
                                     one, at line 30: A's line 30's text
                                     (cli_recursion.sh)
  craft_profiles.py same_text OUT [--under-a | --a | --a-under-a]
                                     OUT (plain pb): two frames that
                                     --lines names alike, "A a.c:10":
                                     function A at a.c:10, and a function
                                     without a name in file "A a.c" at
                                     line 10, the first under the second
                                     under main.c:5 (1000 bytes), and the
                                     second alone (2000); --under-a: and
                                     the second under A at a.c:20 under
                                     main.c:5 (4000); --a: only the first
                                     under main.c:5 (100); --a-under-a:
                                     that and the second under A at
                                     a.c:20 under main.c:5 (4000)
  craft_profiles.py line_edges OUT [--no-func]
                                     OUT (plain pb): frames pprof -lines
                                     names each its own way (main.c:5 the
                                     caller of all): dup at line 10 of
                                     a.c (two Functions) and of b.c, zero
                                     at line 0 of z.c (two Locations),
                                     nofile (no file) at line 7, a
                                     function whose name is "" (system
                                     name noname_sys), one with no name
                                     at all (x.c:9), locations without
                                     lines in a mapping with a file and
                                     without one (two addresses);
                                     --no-func: and a line without a
                                     function in each (which pprof
                                     refuses: "a line with nil function")
  craft_profiles.py lined_stacks OUT N D
                                     gzip: an exact profile of N distinct
                                     stacks D locations deep over 3200
                                     locations (8 lines of each of 400
                                     functions in 40 files, every fourth
                                     with an inlined frame), names and
                                     paths of realistic length: what
                                     `top --lines` costs (README)
  craft_profiles.py signed OUT [--space-only] SITE=OBJECTS:BYTES ...
                                     OUT (plain pb): a Go-style heap profile
                                     (alloc_* and inuse_* types, a byte
                                     sampling period of 4096, no error
                                     labels) in which stack SITE <- main
                                     holds OBJECTS and BYTES, negative ones
                                     too: a difference such as `go tool
                                     pprof -proto -base` writes;
                                     --space-only: its one type is
                                     inuse_space (no object counts)
  craft_profiles.py long_sites OUT N L T
                                     gzip: an exact profile taken T s
                                     after 1700000000 of N stacks S <- C
                                     <- f<i> <- main (stack i: i+1 KiB),
                                     S and C named by L bytes each, every
                                     stack in the age band [0, 1 s)
"""
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_corpus import (field_bytes, field_varint, function, label, location, packed, sample,
                         value_type)

EXACT = b"sample_interval_bytes=1 (exact: every allocation)"


def types():
    # sample types inuse_objects/count, inuse_space/bytes: strings 1-4
    return field_bytes(1, value_type(1, 2)) + field_bytes(1, value_type(3, 4))


def strings(names):
    return b"".join(field_bytes(6, s.encode() if isinstance(s, str) else s) for s in names)


def empty(out, n):
    head = field_bytes(1, value_type(1, 2)) + strings(["", "inuse_space", "bytes"])
    with gzip.open(out, "wb", compresslevel=6) as f:
        f.write(head)
        block = b"\x12\x00" * 65536
        for _ in range(n // 65536):
            f.write(block)
        f.write(b"\x12\x00" * (n % 65536))


def sites(out, n):
    m = bytearray(types())
    for i in range(n):
        m += field_bytes(2, sample([i + 1], [1, 24]))
    for i in range(n):
        m += field_bytes(4, location(i + 1, [i + 1], 0))
        m += field_bytes(5, function(i + 1, 6 + i))
    m += strings(["", "inuse_objects", "count", "inuse_space", "bytes", EXACT])
    m += strings("f%d" % i for i in range(n))
    m += field_varint(9, 1700000000 * 10**9) + packed(13, [5])
    with gzip.open(out, "wb") as f:
        f.write(m)


def draw_stacks(n, d, k):
    """n stacks of d location ids in 1..k: a fixed pseudo-random draw."""
    x = 12345
    for _ in range(n):
        st = []
        for _ in range(d):
            x = (x * 1103515245 + 12345) % (1 << 31)
            st.append(x % k + 1)
        yield st


def stacks_body(n, d, labels=()):
    """The samples, locations, functions and names of n distinct stacks d
    frames deep over 200 functions (a fixed pseudo-random draw), each
    holding 1 object of 24 bytes + its index, with labels."""
    nf = 200
    m = bytearray(types())
    for i, st in enumerate(draw_stacks(n, d, nf)):
        m += field_bytes(2, sample(st, [1, 24 + i], list(labels)))
    for i in range(nf):
        m += field_bytes(4, location(i + 1, [i + 1], 0))
        m += field_bytes(5, function(i + 1, 6 + i))
    m += strings(["", "inuse_objects", "count", "inuse_space", "bytes", EXACT])
    m += strings("f%d" % i for i in range(nf))
    return m


def stacks(out, n, d):
    """stacks_body's profile, unlabelled."""
    m = stacks_body(n, d)
    m += field_varint(9, 1700000000 * 10**9) + packed(13, [5])
    with gzip.open(out, "wb") as f:
        f.write(m)


def aged_stacks(out, n, d, k):
    """k profiles a0001..a000k of stacks_body's stacks, 10 s apart, each
    object of age 0 s."""
    m = stacks_body(n, d, [label(206, 0, 207)])
    m += strings(["age", "seconds"])  # 206, 207
    os.makedirs(out, exist_ok=True)
    for j in range(1, k + 1):
        with gzip.open(os.path.join(out, "a%04d.pb.gz" % j), "wb") as f:
            f.write(m + field_varint(9, (1700000000 + 10 * j) * 10**9) + packed(13, [5]))


def deep(out, n):
    m = bytearray(types())
    m += field_bytes(2, sample([1 + i % 2 for i in range(n - 1)] + [3], [1, 4096]))
    m += field_bytes(2, sample([3], [1, 4096]))
    for i, name in enumerate(["a", "b", "main"]):
        m += field_bytes(4, location(i + 1, [i + 1], 0))
        m += field_bytes(5, function(i + 1, 6 + i))
    m += strings(["", "inuse_objects", "count", "inuse_space", "bytes", EXACT, "a", "b", "main"])
    m += field_varint(9, 1700000000 * 10**9) + packed(13, [5])
    with gzip.open(out, "wb") as f:
        f.write(m)


def series(out, specs):
    """One profile per value: each SITE is a stack over main, its frames
    leaf first and parted by ';' (a;b: a called by b, called by main)."""
    rows = []
    for spec in specs:
        name, values = spec.split("=")
        rows.append((name.split(";"), [int(v) for v in values.split(",")]))
    funcs = ["main"]  # function (and location) i+1 is funcs[i]
    for frames, _ in rows:
        funcs += [f for f in frames if f not in funcs]
    names = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT] + funcs
    os.makedirs(out, exist_ok=True)
    for k in range(len(rows[0][1])):
        m = bytearray(types())
        for frames, v in rows:
            stack = [funcs.index(f) + 1 for f in frames] + [1]
            m += field_bytes(2, sample(stack, [v[k] * 1000, v[k] << 20]))
        for i in range(len(funcs)):
            m += field_bytes(4, location(i + 1, [i + 1], 0))
            m += field_bytes(5, function(i + 1, 6 + i))
        m += strings(names)
        m += field_varint(9, (1700000000 + 10 * k) * 10**9) + packed(13, [5])
        with open(os.path.join(out, "p%d.pb" % k), "wb") as f:
            f.write(m)


AGED_STRINGS = ["", "alloc_objects", "count", "alloc_space", "bytes", "inuse_objects",
                "inuse_space", "main", "age", "seconds", "alloc_samples", "inuse_samples",
                "alloc_objects_sd", "alloc_space_sd", "inuse_objects_sd", "inuse_space_sd",
                "space", "sample_interval_bytes=524288", EXACT]


def aged(args):
    out = args.pop(0)
    flags = {"--merged": False, "--bare": False, "--no-ages": False, "--exact": False}
    duration = 7200
    stamp = 0
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--duration":
            duration = int(args.pop(0))
        elif a == "--time":
            stamp = int(args.pop(0))
        else:
            flags[a] = True
    merged = flags["--merged"] or flags["--no-ages"]
    S = {s: i for i, s in enumerate(AGED_STRINGS)}
    names = list(AGED_STRINGS)
    m = bytearray()
    for t, u in (("alloc_objects", "count"), ("alloc_space", "bytes"),
                 ("inuse_objects", "count"), ("inuse_space", "bytes")):
        m += field_bytes(1, value_type(S[t], S[u]))
    funcs = []  # function (and location) i+2 is funcs[i]; 1 is main
    for spec in args:
        funcs += [f for f in spec.split("=")[0].split(";") if f not in funcs]
    names += funcs
    for spec in args:
        site, bands = spec.split("=")
        forced = None
        if "@" in bands:
            bands, forced = bands.split("@")
            forced = int(forced)
        stack = [funcs.index(f) + 2 for f in site.split(";")] + [1]
        bands = [tuple(int(x) for x in b.split(":")) for b in bands.split(",") if b]
        live = sum(k for _, k, _ in bands)
        alloc = (3 * live or 5, 3 * live * 1024 or 5120)
        if forced is not None:
            alloc = (forced, forced * 1024)
        if merged and bands:
            sd2 = sum(sd * sd for _, _, sd in bands)
            sd = int(round(sd2 ** 0.5))
            assert sd * sd == sd2, "merged SDs must square-sum to a square: %s" % spec
            bands = [(-1, live, sd)]
        if not bands:
            bands = [(-1, 0, 0)]
        for k, (age, kib, sd) in enumerate(bands):
            first = k == 0
            vals = [alloc[0] if first else 0, alloc[1] if first else 0, kib, kib * 1024]
            labels = [label(S["alloc_samples"], 6 * live if first else 0, S["count"]),
                      label(S["inuse_samples"], 2 * kib, S["count"])]
            if not flags["--exact"]:
                if first or not flags["--bare"]:
                    labels += [label(S["alloc_objects_sd"], 7 if first else 0, S["count"]),
                               label(S["alloc_space_sd"], 7168 if first else 0, S["bytes"])]
                labels += [label(S["inuse_objects_sd"], sd, S["count"]),
                           label(S["inuse_space_sd"], sd * 1024, S["bytes"])]
            if age >= 0:
                labels.insert(0, label(S["age"], age, S["seconds"]))
            m += field_bytes(2, sample(stack, vals, labels))
    m += field_bytes(4, location(1, [1], 0)) + field_bytes(5, function(1, S["main"]))
    for i in range(len(funcs)):
        m += field_bytes(4, location(i + 2, [i + 2], 0))
        m += field_bytes(5, function(i + 2, len(AGED_STRINGS) + i))
    m += strings(names)
    m += field_varint(9, (1700000000 + stamp) * 10**9)
    if duration:
        m += field_varint(10, duration * 10**9)
    m += field_bytes(11, value_type(S["space"], S["bytes"])) + field_varint(12, 524288)
    m += packed(13, [S[EXACT] if flags["--exact"] else S["sample_interval_bytes=524288"]])
    m += field_varint(14, S["inuse_space"])
    with open(out, "wb") as f:
        f.write(m)


def line_(func_id, line):
    """A Location's Line: function and line (make_corpus's location()
    writes line 7 for every function)."""
    return field_varint(1, func_id) + field_varint(2, line)


def lines(args):
    out = args.pop(0)
    scale, bad_file, huge, moved, recursive = 1, False, False, False, False
    while args:
        a = args.pop(0)
        if a == "--scale":
            scale = int(args.pop(0))
        elif a == "--bad-file":
            bad_file = True
        elif a == "--huge-file":
            huge = True
        elif a == "--moved":
            moved = True
        elif a == "--recursive":
            recursive = True
    names = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT, "main", "leak",
             "helper", "nofile", "badline", "malloc", "/src/app/main.c",
             "/src/app/./util/../leak.c", "/src/app//inl.h", "/src/app/bad.c",
             "/glibc/malloc/malloc.c", "hugefile", "/" + "d" * (1 << 20)]
    S = {n: i for i, n in enumerate(names)}
    funcs = [  # id, name, file
        (1, "main", "/src/app/main.c"),
        (2, "leak", "/src/app/./util/../leak.c"),
        (3, "helper", "/src/app//inl.h"),
        (4, "nofile", ""),
        (5, "badline", "/src/app/bad.c"),
        (6, "malloc", "/glibc/malloc/malloc.c"),
        (7, "hugefile", "/" + "d" * (1 << 20)),
    ]
    locs = {  # id: lines, innermost first
        1: [(3, 10), (2, 20)],  # helper inlined into leak at its line 20
        2: [(2, 26 if moved else 25)],
        3: [(1, 5)],
        4: [(1, 6)],
        5: [(4, 7)],
        6: [(5, -5)],
        7: [(5, 1 << 40)],
        8: [(2, 26 if moved else 25)],  # leak's line 25 again, another address
        9: [(6, 3287)],
    }
    samples = [  # stack (location ids, leaf first), bytes
        ([1, 3], 1000),
        ([9, 2, 3], 2000),
        ([8, 4], 4000),
        ([5, 4], 500),
        ([6, 4], 300),
        ([7, 4], 200),
    ]
    if huge:
        for k in range(300):
            locs[100 + k] = [(7, k + 1)]
            samples.append(([100 + k, 3], 1))
    if recursive:  # leak allocating at its line 30, recursing from 31 and 32
        locs.update({10: [(2, 30)], 11: [(2, 31)], 12: [(2, 32)]})
        samples += [([10, 11, 3], 3000), ([10, 11, 11, 3], 5000), ([10, 12, 11, 3], 7000)]
    m = bytearray(types())
    for st, b in samples:
        m += field_bytes(2, sample(st, [1, b * scale]))
    for lid, ls in sorted(locs.items()):
        body = field_varint(1, lid) + field_varint(3, 0x1000 + 16 * lid)
        for f, ln in ls:
            body += field_bytes(4, line_(f, ln))
        m += field_bytes(4, body)
    for fid, name, fname in funcs:
        fs = 999 if bad_file and name == "leak" else S[fname] if fname else 0
        m += field_bytes(5, field_varint(1, fid) + field_varint(2, S[name]) +
                         field_varint(3, S[name]) + field_varint(4, fs))
    m += strings(names)
    m += field_varint(9, 1700000000 * 10**9) + packed(13, [S[EXACT]])
    with open(out, "wb") as f:
        f.write(m)


def write_indexed(out, m, funcs, names):
    """m with funcs ((id, name index, file index), the system name the
    name) and the string table names, the time and sample type 5 as the
    default, written to out."""
    for fid, name, fname in funcs:
        m += field_bytes(5, field_varint(1, fid) + field_varint(2, name) +
                         field_varint(3, name) + field_varint(4, fname))
    m += strings(names)
    m += field_varint(9, 1700000000 * 10**9) + packed(13, [5])
    with open(out, "wb") as f:
        f.write(m)


def recursion(out, depth, length, lined, std=False, shared=False):
    big = ("std::" if std else "") + "A" * length
    dfile = "/src/" + "d" * length + ".c"
    names = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT, "main", big,
             big if not lined else "A", dfile, "/src/main.c"] + (["A " + dfile] if shared else [])
    # function 1: main; 2 and 3: A, one text twice (no lines), or one
    # function A at three lines of its long file (lines)
    funcs = [(1, 6, 10), (2, 7, 9), (3, 8, 9)] if not lined else [(1, 6, 10), (2, 8, 9)]
    if lined:
        locs = {1: [(1, 5)], 2: [(2, 30)], 3: [(2, 31)], 4: [(2, 32)]}
    else:
        locs = {1: [(1, 0)], 2: [(2, 0)], 3: [(3, 0)], 4: [(2, 0)]}
    if shared:  # a nameless function of file "A <long file>": line 30 reads as A's
        funcs.append((3, 0, 11))
        locs[5] = [(3, 30)]
    m = bytearray(types())
    for k, b in enumerate([1024, 2048]):
        stack = ([5] if shared else []) + [2] + [3 + (i + k) % 2 for i in range(depth)] + [1]
        m += field_bytes(2, sample(stack, [1, b]))
    for lid, ls in sorted(locs.items()):
        body = field_varint(1, lid) + field_varint(3, 0x1000 + 16 * lid)
        for f, ln in ls:
            body += field_bytes(4, line_(f, ln))
        m += field_bytes(4, body)
    write_indexed(out, m, funcs, names)


def same_text(out, shape=""):
    names = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT, "main", "A", "a.c",
             "A a.c", "/src/main.c"]
    funcs = [(1, 6, 10), (2, 7, 8), (3, 0, 9)]  # main, A in a.c, nameless in "A a.c"
    locs = {1: (3, 10), 2: (2, 10), 3: (1, 5), 4: (2, 20)}
    samples = [([1, 2, 3], 1000), ([1], 2000)]
    if shape == "--under-a":  # the nameless frame called by A at a.c:20, not A's own
        samples.append(([1, 4, 3], 4000))
    elif shape == "--a":  # A's a.c:10 alone, under main
        samples = [([2, 3], 100)]
    elif shape == "--a-under-a":  # and the nameless frame under A at a.c:20
        samples = [([2, 3], 100), ([1, 4, 3], 4000)]
    m = bytearray(types())
    for stack, b in samples:
        m += field_bytes(2, sample(stack, [1, b]))
    for lid, (f, ln) in sorted(locs.items()):
        m += field_bytes(4, field_varint(1, lid) + field_varint(3, 0x1000 + 16 * lid) +
                         field_bytes(4, line_(f, ln)))
    write_indexed(out, m, funcs, names)


def line_edges(out, no_func=False):
    names = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT, "main", "dup", "zero",
             "nofile", "noname_sys", "/src/main.c", "/src/a.c", "/src/b.c", "/src/z.c",
             "/src/n.c", "/nonexistent/libfoo.so", "/src/x.c"]
    S = {n: i for i, n in enumerate(names)}
    funcs = [(1, "main", "/src/main.c"), (2, "dup", "/src/a.c"), (3, "dup", "/src/b.c"),
             (4, "zero", "/src/z.c"), (5, "nofile", ""), (6, "", "/src/n.c"),
             (7, "dup", "/src/a.c"), (8, "", "/src/x.c")]
    locs = {  # id: (lines, mapping id), innermost first
        1: ([(1, 5)], 0), 2: ([(2, 10)], 0), 3: ([(3, 10)], 0), 4: ([(4, 0)], 0),
        5: ([(5, 7)], 0), 6: ([(6, 3)], 1), 7: ([], 0), 8: ([], 1), 9: ([(7, 10)], 0),
        10: ([(4, 0)], 0), 11: ([], 0), 14: ([(8, 9)], 0),
    }
    samples = [([2, 1], 1000), ([3, 1], 2000), ([4, 1], 300), ([5, 1], 400), ([6, 1], 50),
               ([7, 1], 60), ([8, 1], 70), ([9, 1], 80), ([10, 1], 90), ([11, 1], 5),
               ([14, 1], 3)]
    if no_func:
        locs.update({12: ([(0, 4)], 1), 13: ([(0, 4)], 0)})
        samples += [([12, 1], 6), ([13, 1], 7)]
    m = bytearray(types())
    for st, b in samples:
        m += field_bytes(2, sample(st, [1, b]))
    m += field_bytes(3, field_varint(1, 1) + field_varint(2, 0x400000) +
                     field_varint(3, 0x500000) + field_varint(5, S["/nonexistent/libfoo.so"]))
    for lid, (ls, mp) in sorted(locs.items()):
        body = field_varint(1, lid) + field_varint(2, mp) + field_varint(3, 0x401000 + 16 * lid)
        for f, ln in ls:
            body += field_bytes(4, line_(f, ln))
        m += field_bytes(4, body)
    for fid, name, fname in funcs:
        system = S[name] if name else S["noname_sys"] if fid == 6 else 0
        m += field_bytes(5, field_varint(1, fid) + field_varint(2, S[name] if name else 0) +
                         field_varint(3, system) + field_varint(4, S[fname] if fname else 0))
    m += strings(names)
    m += field_varint(9, 1700000000 * 10**9) + packed(13, [S[EXACT]])
    with open(out, "wb") as f:
        f.write(m)


def lined_stacks(out, n, d):
    nf, per = 400, 8
    names = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT]
    base = len(names)
    names += ["app::subsystem%02d::Component::handle_request_%03d" % (i // 10, i)
              for i in range(nf)]
    names += ["/home/build/work/project/src/subsystem%02d/component_impl.cc" % k
              for k in range(nf // 10)]
    m = bytearray(types())
    for i, st in enumerate(draw_stacks(n, d, nf * per)):
        m += field_bytes(2, sample(st, [1, 24 + i]))
    for k in range(nf * per):
        f = k // per
        body = field_varint(1, k + 1) + field_varint(3, 0x1000 + 16 * k)
        if k % 4 == 0:  # an inlined frame first
            body += field_bytes(4, line_((f * 7 + 3) % nf + 1, 100 + k % per))
        body += field_bytes(4, line_(f + 1, 10 + 3 * (k % per)))
        m += field_bytes(4, body)
    for f in range(nf):
        m += field_bytes(5, field_varint(1, f + 1) + field_varint(2, base + f) +
                         field_varint(3, base + f) + field_varint(4, base + nf + f // 10))
    m += strings(names)
    m += field_varint(9, 1700000000 * 10**9) + packed(13, [5])
    with gzip.open(out, "wb") as f:
        f.write(m)


def signed(out, specs):
    space_only = bool(specs) and specs[0] == "--space-only"
    specs = specs[1:] if space_only else specs
    names = ["", "alloc_objects", "count", "alloc_space", "bytes", "inuse_objects",
             "inuse_space", "space", "main"]
    S = {s: i for i, s in enumerate(names)}
    m = bytearray()
    types = (("alloc_objects", "count"), ("alloc_space", "bytes"),
             ("inuse_objects", "count"), ("inuse_space", "bytes"))
    for t, u in types[3:] if space_only else types:
        m += field_bytes(1, value_type(S[t], S[u]))
    for i, spec in enumerate(specs):
        site, v = spec.split("=")
        names.append(site)
        n, b = (int(x) for x in v.split(":"))
        vals = [b] if space_only else [n, b, n, b]
        m += field_bytes(2, sample([i + 2, 1], vals))  # varint: 2's complement
    m += field_bytes(4, location(1, [1], 0)) + field_bytes(5, function(1, S["main"]))
    for i in range(len(specs)):
        m += field_bytes(4, location(i + 2, [i + 2], 0))
        m += field_bytes(5, function(i + 2, len(S) + i))
    m += strings(names)
    m += field_varint(9, 1700000000 * 10**9)
    m += field_bytes(11, value_type(S["space"], S["bytes"])) + field_varint(12, 4096)
    with open(out, "wb") as f:
        f.write(m)


def long_sites(out, n, length, t):
    names = ["S" * length, "C" * length, "main"] + ["f%d" % i for i in range(n)]
    base = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT]
    age = len(base) + len(names)
    m = bytearray(types())
    for i in range(n):
        m += field_bytes(2, sample([1, 2, 4 + i, 3], [1, (1 + i) * 1024], [label(age, 0, age + 1)]))
    for i in range(len(names)):
        m += field_bytes(4, location(i + 1, [i + 1], 0))
        m += field_bytes(5, function(i + 1, len(base) + i))
    m += strings(base) + strings(names) + strings(["age", "seconds"])
    m += field_varint(9, (1700000000 + t) * 10**9) + packed(13, [5])
    with gzip.open(out, "wb") as f:
        f.write(m)


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "empty":
        empty(sys.argv[2], int(sys.argv[3]))
    elif what == "sites":
        sites(sys.argv[2], int(sys.argv[3]))
    elif what == "stacks":
        stacks(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif what == "aged_stacks":
        aged_stacks(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif what == "deep":
        deep(sys.argv[2], int(sys.argv[3]))
    elif what == "series":
        series(sys.argv[2], sys.argv[3:])
    elif what == "signed":
        signed(sys.argv[2], sys.argv[3:])
    elif what == "aged":
        aged(sys.argv[2:])
    elif what == "lines":
        lines(sys.argv[2:])
    elif what == "recursion":
        recursion(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                  sys.argv[5:] in (["--lines"], ["--lines-shared"]), sys.argv[5:] == ["--std"],
                  sys.argv[5:] == ["--lines-shared"])
    elif what == "same_text":
        same_text(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    elif what == "line_edges":
        line_edges(sys.argv[2], sys.argv[3:] == ["--no-func"])
    elif what == "lined_stacks":
        lined_stacks(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif what == "long_sites":
        long_sites(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
