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
  craft_profiles.py series DIR SITE=V0,V1,... ...
                                     DIR/p<k>.pb: exact profiles 10 s apart
                                     in which SITE (stack SITE <- main)
                                     holds Vk MiB live
"""
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_corpus import field_bytes, field_varint, function, location, packed, sample, value_type

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


def series(out, specs):
    rows = []
    for spec in specs:
        name, values = spec.split("=")
        rows.append((name, [int(v) for v in values.split(",")]))
    names = ["", "inuse_objects", "count", "inuse_space", "bytes", EXACT, "main"]
    names += [n for n, _ in rows]
    os.makedirs(out, exist_ok=True)
    for k in range(len(rows[0][1])):
        m = bytearray(types())
        for i, (_, v) in enumerate(rows):  # site i: location i+2 (function i+2) <- main
            m += field_bytes(2, sample([i + 2, 1], [v[k] * 1000, v[k] << 20]))
        m += field_bytes(4, location(1, [1], 0)) + field_bytes(5, function(1, 6))
        for i in range(len(rows)):
            m += field_bytes(4, location(i + 2, [i + 2], 0))
            m += field_bytes(5, function(i + 2, 7 + i))
        m += strings(names)
        m += field_varint(9, (1700000000 + 10 * k) * 10**9) + packed(13, [5])
        with open(os.path.join(out, "p%d.pb" % k), "wb") as f:
            f.write(m)


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "empty":
        empty(sys.argv[2], int(sys.argv[3]))
    elif what == "sites":
        sites(sys.argv[2], int(sys.argv[3]))
    elif what == "series":
        series(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
