/*
 * test_pprof_gz.c - a profile of this program, whose debug sections are
 * compressed (-gz=zlib, tests/CMakeLists.txt), encoded through the live
 * symbolizer (pprof_symbols_from), as the writer thread encodes one.
 *
 * hp_lineless_entry (tests/integration/lineless_entry_x86_64.S) has a call
 * of line 0, whose frame takes the file of the function's entry: the
 * profile asks this program's DWARF twice, for the frame's line, then for
 * the entry's (pprof_lines.c).  Each compressed section must be inflated
 * once for both (Debian's libc debug file took 40 to 70 ms more when the
 * second batch inflated them again), and none may stay inflated after
 * the profile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "pprof.h"
#include "profile.pb-c.h"
#include "symbols.h"
#include "zsection.h"

void hp_lineless_entry(void **out, int both);

/* Inlined into main and kept out of line for the call through a pointer:
 * this program's DWARF has an entry pprof finds nameless (nameless.c), so
 * symbols_keep_names marks its mapping, and the profile asks its lines. */
void *hp_gz_nameless(void *p);
void *hp_gz_nameless(void *p) { return (char *)p + 1; }
void *(*volatile hp_gz_fn)(void *) = hp_gz_nameless;

/* A symbolizer of this process, its names of this program read. */
static symbolizer *self(size_t *map)
{
    symbolizer *s = symbols_new();
    assert_non_null(s);
    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
    long i = symbols_find_mapping(s, (uintptr_t)hp_lineless_entry);
    assert_true(i >= 0);
    assert_string_equal(symbols_func_name(s, (uintptr_t)hp_lineless_entry),
                        "hp_lineless_entry");
    *map = (size_t)i;
    return s;
}

/* An address of hp_lineless_entry without a line: the call of line 0
 * (lineless_entry_x86_64.S's .Lline0), found by asking, while its entry
 * has one. */
static uint64_t lineless_address(void)
{
    size_t i;
    symbolizer *s = self(&i);
    assert_true(symbols_keep_names(s, i));
    uint64_t entry = (uintptr_t)hp_lineless_entry, found = 0;
    symbols_line out;
    assert_int_equal(symbols_lines(s, i, &entry, 1, &out), 0);
    assert_non_null(out.file);
    assert_non_null(strstr(out.file, "lineless_entry_x86_64.S"));
    for (uint64_t a = entry + 1; !found && a < entry + 64; a++) {
        assert_int_equal(symbols_lines(s, i, &a, 1, &out), 0);
        if (!out.file || !out.line)
            found = a;
    }
    assert_true(found != 0);
    symbols_free(s);
    return found;
}

static void one_inflation_per_section(void **state)
{
    (void)state;
    uint64_t at = lineless_address();

    /* The line of that address alone: what the profile's first batch
     * inflates. */
    size_t i;
    symbolizer *s = self(&i);
    symbols_line out;
    uint64_t n0 = zsec_inflations();
    assert_int_equal(symbols_lines(s, i, &at, 1, &out), 0);
    uint64_t alone = zsec_inflations() - n0;
    assert_true(alone > 0); /* built -gz: the sections are compressed */
    symbols_free(s);

    /* The profile: the frame's line, then its entry's, from the same
     * inflated sections; none held after. */
    s = self(&i);
    uint64_t pc = at + 1; /* a return address: its location is pc - 1 */
    pprof_sample sample = { .pcs = &pc, .depth = 1, .values = { 1, 1, 1, 1 } };
    pprof_profile p = { .period = 1, .samples = &sample, .nsamples = 1,
                        .symbols = pprof_symbols_from(s) };
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t before = mem_heap_bytes();
    mem_heap_peak_reset();
    n0 = zsec_inflations();
    assert_int_equal(pprof_encode(&p, &buf, &len), 0);
    assert_int_equal(zsec_inflations() - n0, alone);
    uint64_t peak = mem_heap_peak() - before, kept = mem_heap_bytes() - before - len;
    assert_true(kept < peak / 4);

    /* The entry was asked: the frame has its function's file. */
    Perftools__Profiles__Profile *m = perftools__profiles__profile__unpack(NULL, len, buf);
    mem_free(buf);
    assert_non_null(m);
    assert_int_equal(m->n_location, 1);
    assert_int_equal(m->location[0]->n_line, 1);
    assert_int_equal(m->location[0]->line[0]->line, 0);
    assert_int_equal(m->n_function, 1);
    assert_string_equal(m->string_table[m->function[0]->name], "hp_lineless_entry");
    assert_non_null(strstr(m->string_table[m->function[0]->filename],
                           "lineless_entry_x86_64.S"));
    perftools__profiles__profile__free_unpacked(m, NULL);

    /* The next profile of the same frame reads nothing: the answers are
     * remembered. */
    n0 = zsec_inflations();
    assert_int_equal(pprof_encode(&p, &buf, &len), 0);
    mem_free(buf);
    assert_int_equal(zsec_inflations() - n0, 0);
    symbols_free(s);
}

int main(void)
{
    void *keep = hp_gz_fn(NULL); /* the out-of-line copy */
    (void)hp_gz_nameless(keep);  /* inlined */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_inflation_per_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
