#!/usr/bin/env python3
"""make_corpus.py - (re)make the crafted seeds of tests/cli/corpus.

The seed corpus of fuzz_profile_read and the inputs of cli_bad_input.sh:
tiny valid profiles (plain and gzipped) and profiles broken in one way
each, encoded here with a minimal protobuf writer so that nothing but the
standard library is needed.  The real profiles of the corpus (heapprof_*,
go_*) were written by libheapprof.so and by Go's runtime/pprof and are
committed as they are; this script does not touch them.  Gzipped seeds
are named *.gz, not *.pb.gz, which the repository's .gitignore excludes
(the readers recognise gzip by its magic bytes, not by the name).

Usage: python3 tests/cli/make_corpus.py [DIR]   (default: the corpus dir)
"""
import gzip
import os
import sys


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def field_bytes(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def packed(num, values):
    return field_bytes(num, b"".join(varint(v) for v in values))


def value_type(t, u):
    return field_varint(1, t) + field_varint(2, u)


def label(key, num=0, unit=0, s=0):
    return field_varint(1, key) + field_varint(2, s) + field_varint(3, num) + field_varint(4, unit)


def sample(locs, values, labels=()):
    m = packed(1, locs) + packed(2, values)
    for l in labels:
        m += field_bytes(3, l)
    return m


def location(id_, func_ids, mapping=0, address=0x1000):
    m = field_varint(1, id_) + field_varint(2, mapping) + field_varint(3, address)
    for f in func_ids:
        m += field_bytes(4, field_varint(1, f) + field_varint(2, 7))
    return m


def function(id_, name):
    return field_varint(1, id_) + field_varint(2, name) + field_varint(3, name)


def mapping(id_, filename):
    return field_varint(1, id_) + field_varint(2, 0x1000) + field_varint(3, 0x2000) + \
        field_varint(5, filename)


STRINGS = ["", "inuse_space", "bytes", "main", "leaf", "inuse_space_sd", "space",
           "sample_interval_bytes=4096", "inuse_objects", "count", "inuse_samples", "a.out"]
S = {s: i for i, s in enumerate(STRINGS)}


def profile(types=(("inuse_objects", "count"), ("inuse_space", "bytes")), samples=None,
            locations=None, functions=None, mappings=None, strings=STRINGS, extra=b""):
    m = b""
    for t, u in types:
        m += field_bytes(1, value_type(S[t], S[u]))
    if samples is None:
        samples = [sample([1, 2], [3, 12288], [label(S["inuse_space_sd"], 2048, S["bytes"]),
                                              label(S["inuse_samples"], 3, S["count"])]),
                   sample([2], [1, 4096])]
    for s in samples:
        m += field_bytes(2, s)
    for x in mappings if mappings is not None else [mapping(1, S["a.out"])]:
        m += field_bytes(3, x)
    if locations is None:
        locations = [location(1, [2], 1), location(2, [1], 1, 0x1100)]
    for x in locations:
        m += field_bytes(4, x)
    for x in functions if functions is not None else [function(1, S["main"]),
                                                      function(2, S["leaf"])]:
        m += field_bytes(5, x)
    for s in strings:
        m += field_bytes(6, s if isinstance(s, bytes) else s.encode())
    m += field_varint(9, 1700000000 * 10**9)           # time_nanos
    m += field_bytes(11, value_type(S["space"], S["bytes"]))
    m += field_varint(12, 4096)                        # period
    m += packed(13, [S["sample_interval_bytes=4096"]])  # comment
    m += field_varint(14, S["inuse_space"])            # default_sample_type
    return m + extra


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    os.makedirs(out, exist_ok=True)
    good = profile()
    files = {
        "tiny.pb": good,
        "tiny.gz": gzip.compress(good, mtime=0),
        "tiny_inlined.pb": profile(locations=[location(1, [2, 1], 1), location(2, [1], 1)]),
        "tiny_noline.pb": profile(locations=[location(1, [], 1), location(2, [1], 0)]),
        "tiny_sparse_ids.pb": profile(
            samples=[sample([70, 9], [1, 10])],
            locations=[location(70, [5], 1), location(9, [31], 1)],
            functions=[function(31, S["main"]), function(5, S["leaf"])]),
        # Names that must be escaped or replaced in SVG and shown safely on a terminal.
        "tiny_odd_names.pb": profile(strings=STRINGS[:3] + [
            "std::vector<int, std::allocator<int> >::push_back(int const&)",
            b"odd \"name' \xff\x01\xc3(\xed\xa0\x80 end"] + STRINGS[5:]),
        "bad_dangling_location.pb": profile(samples=[sample([1, 9], [1, 10])]),
        "bad_dangling_function.pb": profile(locations=[location(1, [9], 1),
                                                       location(2, [1], 1)]),
        "bad_dangling_mapping.pb": profile(locations=[location(1, [2], 5),
                                                      location(2, [1], 1)]),
        "bad_string_index.pb": profile(functions=[function(1, 99), function(2, S["leaf"])]),
        "bad_duplicate_ids.pb": profile(locations=[location(1, [2], 1), location(1, [1], 1)]),
        "bad_zero_id.pb": profile(samples=[sample([2], [1, 10])],
                                  locations=[location(0, [2], 1), location(2, [1], 1)]),
        "bad_value_count.pb": profile(samples=[sample([1], [1, 2, 3])]),
        "bad_no_sample_types.pb": profile(types=(), samples=[]),
        "bad_first_string.pb": profile(strings=["x"] + STRINGS[1:]),
        "bad_protobuf.pb": good[:len(good) // 2] + b"\xff\xff\xff",
        "bad_text.txt": b"this is not a profile\n",
        "bad_empty.pb": b"",
        "bad_truncated.gz": gzip.compress(good, mtime=0)[:60],
        "bad_corrupt.gz": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xde\xad\xbe\xef" * 8,
        "bad_bomb.gz": gzip.compress(b"\x00" * (2 << 20), mtime=0),
        "bad_legacy_text.heap": b"heap profile: 1: 2 [3: 4] @ heap/1048576\n",
    }
    # heapprof's age bands: a stack split into two samples by the label
    # "age" (strings 12, 13 appended, so the other seeds keep their bytes).
    aged = STRINGS + ["age", "seconds"]
    files["tiny_aged.pb"] = profile(strings=aged, samples=[
        sample([1, 2], [2, 8192], [label(12, 0, 13), label(S["inuse_space_sd"], 1024, S["bytes"]),
                                   label(S["inuse_samples"], 2, S["count"])]),
        sample([1, 2], [1, 4096], [label(12, 600, 13), label(S["inuse_samples"], 1, S["count"])]),
        sample([2], [0, 0], [label(S["inuse_samples"], 0, S["count"])])])
    # Functions with files, and locations with inlined lines (helper in
    # leaf), for --lines (profile_read.h, PROFILE_READ_LINES): strings
    # 12-14 appended; one line is negative, one past 2^31.
    lined = STRINGS + ["/src/./app/../a.c", "helper", "/src//b.h"]

    def line(f, n):
        return field_bytes(4, field_varint(1, f) + field_varint(2, n))

    files["tiny_lines.pb"] = profile(
        strings=lined,
        samples=[sample([1, 2], [3, 12288]), sample([3, 2], [1, 4096]), sample([4], [1, 10])],
        locations=[field_varint(1, 1) + field_varint(2, 1) + field_varint(3, 0x1000) +
                   line(3, 4) + line(2, 12),
                   field_varint(1, 2) + field_varint(2, 1) + field_varint(3, 0x1100) + line(1, 30),
                   field_varint(1, 3) + field_varint(3, 0x1200) + line(2, -3),
                   field_varint(1, 4) + field_varint(3, 0x1300) + line(2, 1 << 33)],
        functions=[function(1, S["main"]) + field_varint(4, 12),
                   function(2, S["leaf"]) + field_varint(4, 12),
                   function(3, 13) + field_varint(4, 14)])
    # --lines from local binaries (src/cli/locallines.c): a mapping without
    # a build-id, not marked as having line numbers, over 4 MiB of a PIE's
    # text, and 128 locations spread over it, half without a Line, half
    # of a Line without a line.  The fuzz target reads every mapping from
    # its own executable, linked without a build-id: the first is the seed
    # it fills (the others record build-ids, or no absolute path).  The
    # second has function ids [3, 2^64-1, 2]: no id left for a new Function,
    # so nothing is filled; a regression seed (before, ids taken one past
    # each id met wrapped to 0 at 2^64-1, and restarted past 2: a new
    # Function of id 3, a duplicate, and the fuzz target's check trapped).
    local = STRINGS + ["/usr/bin/heapprof-fuzz-exe"]
    base = 0x555555554000
    spread_map = (field_varint(1, 1) + field_varint(2, base) + field_varint(3, base + (4 << 20)) +
                  field_varint(5, 12) + field_varint(7, 1))
    spread_locs = [field_varint(1, i) + field_varint(2, 1) +
                   field_varint(3, base + 0x1000 + i * 0x7000) +
                   (field_bytes(4, field_varint(1, 2)) if i % 2 else b"")
                   for i in range(1, 129)]
    for name, ids in (("tiny_nobid_spread.pb", [1, 2]),
                      ("tiny_nobid_idwrap.pb", [3, (1 << 64) - 1, 2])):
        files[name] = profile(
            strings=local, samples=[sample(list(range(1, 129)), [1, 4096])],
            mappings=[spread_map], locations=spread_locs,
            functions=[function(i, S["leaf"] if i == 2 else S["main"]) for i in ids])
    # For the fuzz target only: 'Z' + data means "gzip the rest first".
    files["zfuzz_tiny.pb"] = b"Z" + good
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
