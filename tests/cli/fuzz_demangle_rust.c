/*
 * fuzz_demangle_rust.c - libFuzzer target for the heapprof command's Rust
 * demanglers (src/cli/demangle_rust.c, legacy "_ZN...17h<hash>E" names,
 * and src/cli/demangle_rust_v0.c, "_R..." names).  The names come from
 * profile files, which may be hostile: any bytes must give a name or NULL,
 * never a crash, a hang, a leak or an out-of-bounds access.  The input is
 * tried as it is and behind each prefix, so that mutations of the body
 * reach the parsers; a name returned is read to its end.  demangle() is
 * not called: for C++ names it forks a child, which a fuzzer cannot run
 * thousands of times a second.
 *
 * Run: fuzz_demangle_rust -max_total_time=60 tests/cli/corpus_demangle
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "demangle_rust.h"
#include "demangle_rust_v0.h"

static volatile size_t sink;

static void try_name(const char *name)
{
    char *a = demangle_rust_legacy(name);
    char *b = demangle_rust_v0(name);
    sink += (a ? strlen(a) : 0) + (b ? strlen(b) : 0);
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DEMANGLE_IN_MAX)
        return 0; /* demangle() shows longer names as they are */
    char name[DEMANGLE_IN_MAX + 4];
    memcpy(name, data, size);
    name[size] = '\0';
    try_name(name);
    if (strncmp(name, "_ZN", 3) && strncmp(name, "_R", 2)) {
        static const char *const prefixes[] = {"_R", "_ZN"};
        for (size_t i = 0; i < 2; i++) {
            size_t n = strlen(prefixes[i]);
            char with[DEMANGLE_IN_MAX + 8];
            memcpy(with, prefixes[i], n);
            memcpy(with + n, name, size + 1);
            try_name(with);
        }
    }
    return 0;
}
