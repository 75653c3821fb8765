/*
 * test_locallines.c - the CLI's lines of locations a profile left to pprof,
 * read from the binaries here (src/cli/locallines.c), on profiles made in
 * memory whose mapping is this test's own executable (built -g): which
 * locations are filled and with what, which are left as they are (a
 * mapping marked as having line numbers, a location with a line, a path
 * not absolute, another build-id), the Functions and strings it adds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "locallines.h"
#include "mem.h"
#include "symbols.h"

typedef Perftools__Profiles__Profile pb_profile;

/* A function of a known line: its entry is at probe_line (the line of its
 * opening brace, as GCC and Clang give it). */
__attribute__((noinline)) int probe(int x) { return x * 3 + 1; }
static const int probe_line = __LINE__ - 1;

static char *dup(const char *s)
{
    char *c = strdup(s);
    assert_non_null(c);
    return c;
}

/* A profile of one mapping (this executable's, as maps gives it; path and
 * build_id in place of its own where not NULL), function 7 "probe" (no
 * file), and one location per entry of lines[]: at probe's address, with
 * one Line of function 7 at that line (-1: no Line). */
static pb_profile *make(const char *path, const char *build_id, bool has_lines,
                        const int *lines, size_t nloc)
{
    symbolizer *s = symbols_new();
    assert_non_null(s);
    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
    long at = symbols_find_mapping(s, (uintptr_t)probe);
    assert_true(at >= 0);
    const hp_mapping *m = symbols_mapping(s, (size_t)at);
    pb_profile *pb = malloc(sizeof *pb);
    assert_non_null(pb);
    perftools__profiles__profile__init(pb);
    pb->n_string_table = 4;
    pb->string_table = calloc(4, sizeof *pb->string_table);
    pb->string_table[0] = dup("");
    pb->string_table[1] = dup(path ? path : m->path);
    pb->string_table[2] = dup(build_id ? build_id : m->build_id);
    pb->string_table[3] = dup("probe");
    pb->n_mapping = 1;
    pb->mapping = calloc(1, sizeof *pb->mapping);
    pb->mapping[0] = malloc(sizeof *pb->mapping[0]);
    perftools__profiles__mapping__init(pb->mapping[0]);
    *pb->mapping[0] = (Perftools__Profiles__Mapping)PERFTOOLS__PROFILES__MAPPING__INIT;
    pb->mapping[0]->id = 1;
    pb->mapping[0]->memory_start = m->start;
    pb->mapping[0]->memory_limit = m->limit;
    pb->mapping[0]->file_offset = m->offset;
    pb->mapping[0]->filename = 1;
    pb->mapping[0]->build_id = 2;
    pb->mapping[0]->has_functions = true;
    pb->mapping[0]->has_line_numbers = has_lines;
    pb->n_function = 1;
    pb->function = calloc(1, sizeof *pb->function);
    pb->function[0] = malloc(sizeof *pb->function[0]);
    perftools__profiles__function__init(pb->function[0]);
    pb->function[0]->id = 7;
    pb->function[0]->name = pb->function[0]->system_name = 3;
    pb->n_location = nloc;
    pb->location = calloc(nloc, sizeof *pb->location);
    for (size_t i = 0; i < nloc; i++) {
        Perftools__Profiles__Location *l = pb->location[i] = malloc(sizeof *l);
        perftools__profiles__location__init(l);
        l->id = i + 1;
        l->mapping_id = 1;
        l->address = (uintptr_t)probe;
        if (lines[i] < 0)
            continue;
        l->n_line = 1;
        l->line = calloc(1, sizeof *l->line);
        l->line[0] = malloc(sizeof *l->line[0]);
        perftools__profiles__line__init(l->line[0]);
        l->line[0]->function_id = 7;
        l->line[0]->line = lines[i];
    }
    symbols_free(s);
    return pb;
}

static int fill(pb_profile *pb, locallines_stats *st)
{
    long map[8], func[8];
    for (size_t i = 0; i < pb->n_location; i++) {
        map[i] = 0;
        func[i] = pb->location[i]->n_line == 1 ? 0 : -1;
    }
    return locallines_fill(pb, map, func, NULL, st);
}

static const char *str(const pb_profile *pb, int64_t i) { return pb->string_table[i]; }

static const Perftools__Profiles__Function *func_of(const pb_profile *pb, uint64_t id)
{
    for (size_t i = 0; i < pb->n_function; i++)
        if (pb->function[i]->id == id)
            return pb->function[i];
    fail_msg("no function %llu", (unsigned long long)id);
    return NULL;
}

/* A Line without a line takes probe's file and line, under its name, in a
 * Function of that file (id past 7); one with a line keeps it; a
 * location without Lines is named by the symbol table. */
static void test_fills(void **state)
{
    (void)state;
    const int lines[] = { 0, 42, -1, 0 };
    pb_profile *pb = make(NULL, NULL, false, lines, 4);
    locallines_stats st;
    assert_int_equal(fill(pb, &st), 0);
    assert_int_equal(st.filled, 3);
    assert_int_equal(st.missing, 0);
    for (size_t i = 0; i < 4; i++) {
        const Perftools__Profiles__Location *l = pb->location[i];
        assert_int_equal(l->n_line, 1);
        if (i == 1) {
            assert_int_equal(l->line[0]->line, 42);
            assert_int_equal(l->line[0]->function_id, 7);
            continue;
        }
        assert_int_equal(l->line[0]->line, probe_line);
        const Perftools__Profiles__Function *f = func_of(pb, l->line[0]->function_id);
        assert_true(f->id > 7);
        assert_string_equal(str(pb, f->name), "probe");
        assert_non_null(strstr(str(pb, f->filename), "test_locallines.c"));
    }
    /* One Function for the two Lines of function 7, one for the unnamed
     * location (its name a string of its own), one file string. */
    assert_int_equal(pb->n_function, 3);
    assert_int_equal(pb->location[0]->line[0]->function_id, pb->location[3]->line[0]->function_id);
    assert_int_not_equal(pb->location[0]->line[0]->function_id,
                         pb->location[2]->line[0]->function_id);
    assert_int_equal(pb->n_string_table, 6);
    perftools__profiles__profile__free_unpacked(pb, NULL);
}

/* Left as they are: a mapping marked as having line numbers, a path not
 * absolute (nothing opened), another build-id (counted as missing), a
 * file that is not there (the same). */
static void test_left_alone(void **state)
{
    (void)state;
    const int lines[] = { 0 };
    const struct {
        const char *path, *build_id;
        bool has_lines;
        size_t missing;
    } cases[] = {
        { NULL, NULL, true, 0 },
        { "relative/exe", NULL, false, 0 },
        { NULL, "00112233445566778899", false, 1 },
        { NULL, "", false, 1 },
        { "/nonexistent/heapprof/exe", NULL, false, 1 },
        { "/dev/zero", "", false, 1 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        pb_profile *pb = make(cases[c].path, cases[c].build_id, cases[c].has_lines, lines, 1);
        locallines_stats st;
        assert_int_equal(fill(pb, &st), 0);
        assert_int_equal(st.filled, 0);
        assert_int_equal(st.missing, cases[c].missing);
        assert_int_equal(pb->n_function, 1);
        assert_int_equal(pb->location[0]->line[0]->line, 0);
        assert_int_equal(pb->location[0]->line[0]->function_id, 7);
        perftools__profiles__profile__free_unpacked(pb, NULL);
    }
}

/* ---- profiles of many mappings -------------------------------------------- */

/* Appends string c to pb's table; its index. */
static int64_t add_str(pb_profile *pb, const char *c)
{
    pb->string_table = realloc(pb->string_table, (pb->n_string_table + 1) * sizeof(char *));
    assert_non_null(pb->string_table);
    pb->string_table[pb->n_string_table] = dup(c);
    return (int64_t)pb->n_string_table++;
}

/* Appends a mapping like mapping 0 (the executable's) but at start (0:
 * its own), of path and build_id (NULL: mapping 0's); its id. */
static uint64_t add_map(pb_profile *pb, uint64_t start, const char *path, const char *build_id)
{
    const Perftools__Profiles__Mapping *m0 = pb->mapping[0];
    Perftools__Profiles__Mapping *m = malloc(sizeof *m);
    assert_non_null(m);
    *m = *m0;
    if (start) {
        m->memory_limit = start + (m0->memory_limit - m0->memory_start);
        m->memory_start = start;
    }
    m->id = pb->n_mapping + 1;
    if (path)
        m->filename = add_str(pb, path);
    if (build_id)
        m->build_id = add_str(pb, build_id);
    pb->mapping = realloc(pb->mapping, (pb->n_mapping + 1) * sizeof *pb->mapping);
    assert_non_null(pb->mapping);
    pb->mapping[pb->n_mapping++] = m;
    return m->id;
}

/* Appends a location of mapping id map at addr, without a Line. */
static void add_loc(pb_profile *pb, uint64_t map, uint64_t addr)
{
    Perftools__Profiles__Location *l = malloc(sizeof *l);
    assert_non_null(l);
    perftools__profiles__location__init(l);
    l->id = pb->n_location + 1;
    l->mapping_id = map;
    l->address = addr;
    pb->location = realloc(pb->location, (pb->n_location + 1) * sizeof *pb->location);
    assert_non_null(pb->location);
    pb->location[pb->n_location++] = l;
}

/* locallines_fill with each location's mapping index from its mapping id
 * (ids are index + 1 here). */
static int fill_any(pb_profile *pb, locallines_stats *st)
{
    long *map = calloc(pb->n_location + 1, sizeof *map), *func = calloc(pb->n_location + 1, sizeof *func);
    assert_true(map && func);
    for (size_t i = 0; i < pb->n_location; i++) {
        map[i] = (long)pb->location[i]->mapping_id - 1;
        func[i] = pb->location[i]->n_line == 1 ? 0 : -1;
    }
    int err = locallines_fill(pb, map, func, NULL, st);
    free(map);
    free(func);
    return err;
}

/* Far from any mapping of this process: a range no real mapping overlaps. */
#define FAR_AWAY 0x7e0000000000ULL

/* Only the mappings some location asks about are given to the
 * symbolizer: 5000 that no location asks about, each at the executable's
 * own range (the symbolizer keeps the first of overlapping ones), do not
 * hide it.  1100 copies of one mapping of a missing file, each asked, are
 * one (so the executable's, after them, is within the cap), and, past
 * LOCALLINES_MAPS_MAX (1024) distinct ones, the rest are not read but
 * counted apart (past_cap), those alike one of them too: the work is
 * bounded, whatever the count. */
static void test_many_mappings(void **state)
{
    (void)state;
    const int lines[] = { -1 };
    pb_profile *pb = make(NULL, NULL, false, lines, 1);
    pb->location[0]->mapping_id = 5000 + 1100 + 2;
    for (size_t i = 0; i < 5000; i++)
        add_map(pb, 0, "/nonexistent/heapprof/unasked", "");
    for (size_t i = 0; i < 1100; i++)
        add_loc(pb, add_map(pb, FAR_AWAY, "/nonexistent/heapprof/copy", ""), FAR_AWAY + 16);
    add_map(pb, 0, NULL, NULL); /* the executable's again: location 0's */
    locallines_stats st;
    assert_int_equal(fill_any(pb, &st), 0);
    assert_int_equal(st.filled, 1); /* location 0 */
    assert_int_equal(st.missing, 1);
    assert_int_equal(st.past_cap, 0);
    assert_int_equal(st.left, 0);
    assert_int_equal(pb->location[0]->n_line, 1);
    perftools__profiles__profile__free_unpacked(pb, NULL);

    /* 1100 distinct missing files, then the executable: past the cap. */
    pb = make(NULL, NULL, false, lines, 1);
    pb->location[0]->mapping_id = 1100 + 2;
    char path[64];
    for (size_t i = 0; i < 1100; i++) {
        snprintf(path, sizeof path, "/nonexistent/heapprof/%zu", i);
        uint64_t at = FAR_AWAY + i * 0x100000000ULL;
        add_loc(pb, add_map(pb, at, path, ""), at + 16);
    }
    add_map(pb, 0, NULL, NULL);
    /* Alike the last missing one (past the cap), later. */
    add_loc(pb, add_map(pb, FAR_AWAY + 1099 * 0x100000000ULL, "/nonexistent/heapprof/1099", ""),
            FAR_AWAY + 1099 * 0x100000000ULL + 32);
    /* Alike the first (read), later, of a location outside its range:
     * not past the cap, but not found in its mapping (left). */
    add_loc(pb, add_map(pb, FAR_AWAY, "/nonexistent/heapprof/0", ""), FAR_AWAY - 16);
    assert_int_equal(fill_any(pb, &st), 0);
    assert_int_equal(st.filled, 0);
    assert_int_equal(st.missing, 1024);  /* looked for */
    assert_int_equal(st.past_cap, 77);   /* 76 missing ones and the executable's */
    assert_int_equal(st.left, 1);        /* the one outside; those past, not twice */
    assert_int_equal(pb->location[0]->n_line, 0);
    perftools__profiles__profile__free_unpacked(pb, NULL);
}

/* Two mappings of one range (a merged profile, two programs not PIE):
 * the second, of another file, or of the same file and another build-id
 * (another build once at that path), gets none of the first's lines, and
 * is counted (left) for the note. */
static void test_same_range(void **state)
{
    (void)state;
    const int lines[] = { 0 };
    const char *const other[][2] = {
        { "/nonexistent/heapprof/other", "0123456789abcdef" },
        { NULL, "0123456789abcdef" }, /* this executable's path */
    };
    for (size_t c = 0; c < sizeof other / sizeof other[0]; c++) {
        pb_profile *pb = make(NULL, NULL, false, lines, 1);
        add_loc(pb, add_map(pb, 0, other[c][0], other[c][1]), (uintptr_t)probe);
        locallines_stats st;
        assert_int_equal(fill_any(pb, &st), 0);
        assert_int_equal(st.filled, 1);
        assert_int_equal(st.left, 1);
        assert_int_equal(pb->location[0]->line[0]->line, probe_line);
        assert_int_equal(pb->location[1]->n_line, 0);
        perftools__profiles__profile__free_unpacked(pb, NULL);
    }
}

/* The largest Function id is UINT64_MAX - 1: one Function can be added
 * (UINT64_MAX), the next would have id 0 (profile_read then refused the
 * profile: "function #n has id 0"); its location is left as it is. */
static void test_ids_run_out(void **state)
{
    (void)state;
    const int lines[] = { 0, -1 };
    pb_profile *pb = make(NULL, NULL, false, lines, 2);
    pb->function[0]->id = UINT64_MAX - 1;
    for (size_t i = 0; i < pb->n_location; i++)
        for (size_t k = 0; k < pb->location[i]->n_line; k++)
            pb->location[i]->line[k]->function_id = UINT64_MAX - 1;
    locallines_stats st;
    assert_int_equal(fill(pb, &st), 0);
    assert_int_equal(st.filled, 1);
    assert_int_equal(pb->n_function, 2);
    for (size_t i = 0; i < pb->n_function; i++)
        assert_true(pb->function[i]->id != 0);
    /* Either one (the asks are sorted by address alone): one filled. */
    const Perftools__Profiles__Location *l0 = pb->location[0], *l1 = pb->location[1];
    if (l1->n_line) {
        assert_int_equal(l1->line[0]->function_id, UINT64_MAX);
        assert_int_equal(l0->line[0]->function_id, UINT64_MAX - 1);
        assert_int_equal(l0->line[0]->line, 0);
    } else {
        assert_int_equal(l0->line[0]->function_id, UINT64_MAX);
        assert_int_equal(l0->line[0]->line, probe_line);
    }
    perftools__profiles__profile__free_unpacked(pb, NULL);
}

/* UINT64_MAX among the ids, not the last ([7, UINT64_MAX, 5]): no id is
 * left past the largest, so nothing is filled; ids taken one past each
 * as met wrapped at UINT64_MAX to restart from the next (6, then 7: two
 * Functions of id 7, and profile_read refused the profile). */
static void test_ids_max_in_middle(void **state)
{
    (void)state;
    const int lines[] = { 0, -1 };
    pb_profile *pb = make(NULL, NULL, false, lines, 2);
    const uint64_t ids[] = { UINT64_MAX, 5 };
    pb->function = realloc(pb->function, 3 * sizeof *pb->function);
    assert_non_null(pb->function);
    for (size_t i = 0; i < 2; i++) {
        Perftools__Profiles__Function *f = pb->function[pb->n_function++] = malloc(sizeof *f);
        assert_non_null(f);
        perftools__profiles__function__init(f);
        f->id = ids[i];
        f->name = f->system_name = 3;
    }
    locallines_stats st;
    assert_int_equal(fill(pb, &st), 0);
    assert_int_equal(st.filled, 0);
    assert_int_equal(pb->n_function, 3);
    for (size_t i = 0; i < pb->n_function; i++)
        for (size_t j = i + 1; j < pb->n_function; j++)
            assert_true(pb->function[i]->id != pb->function[j]->id);
    assert_int_equal(pb->location[0]->line[0]->line, 0);
    assert_int_equal(pb->location[1]->n_line, 0);
    perftools__profiles__profile__free_unpacked(pb, NULL);
}

/* A location without Lines whose address has no line (_start: crt1.o is
 * built without -g) still takes the symbol table's name: one Line, of
 * line 0 and no file. */
extern char _start[];
static void test_name_without_line(void **state)
{
    (void)state;
    const int lines[] = { -1 };
    pb_profile *pb = make(NULL, NULL, false, lines, 1);
    pb->location[0]->address = (uintptr_t)_start;
    locallines_stats st;
    assert_int_equal(fill(pb, &st), 0);
    assert_int_equal(st.filled, 1);
    const Perftools__Profiles__Location *l = pb->location[0];
    assert_int_equal(l->n_line, 1);
    assert_int_equal(l->line[0]->line, 0);
    const Perftools__Profiles__Function *f = func_of(pb, l->line[0]->function_id);
    assert_string_equal(str(pb, f->name), "_start");
    assert_int_equal(f->filename, 0);
    perftools__profiles__profile__free_unpacked(pb, NULL);
}

/* Out of memory in the lookup (the symbolizer's heap, mem.h), at each of
 * its allocations in turn: never an error, and either both locations
 * filled or, the want of memory counted, both left as they were (one
 * mapping: one batch, answered whole or not at all). */
static void test_lookup_oom(void **state)
{
    (void)state;
    const int lines[] = { 0, -1 };
    bool fired = true;
    for (unsigned long n = 1; fired && n < 100000; n++) {
        pb_profile *pb = make(NULL, NULL, false, lines, 2);
        locallines_stats st;
        mem_fail_after(n);
        int err = fill(pb, &st);
        fired = mem_fail_after(0) == 0;
        assert_int_equal(err, 0);
        if (!st.lost) {
            assert_int_equal(st.filled, 2);
        } else {
            assert_int_equal(st.filled, 0);
            assert_int_equal(pb->n_function, 1);
            assert_int_equal(pb->location[0]->n_line, 1);
            assert_int_equal(pb->location[0]->line[0]->function_id, 7);
            assert_int_equal(pb->location[0]->line[0]->line, 0);
            assert_int_equal(pb->location[1]->n_line, 0);
        }
        perftools__profiles__profile__free_unpacked(pb, NULL);
    }
    assert_false(fired);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills),
        cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_many_mappings),
        cmocka_unit_test(test_same_range),
        cmocka_unit_test(test_ids_run_out),
        cmocka_unit_test(test_ids_max_in_middle),
        cmocka_unit_test(test_name_without_line),
        cmocka_unit_test(test_lookup_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
