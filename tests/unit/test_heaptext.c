/*
 * test_heaptext.c - the text heap profile (heaptext.c) against a fake
 * symbol source: the exact text, as Go's runtime/pprof lays it out, one
 * record per stack (label sets merged), the biggest first, values pprof's
 * reader accepts, names that cannot break a line, and the mappings pprof
 * can read.  live_debugtext reads the library's with go tool pprof.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "heaptext.h"

static const hp_mapping maps[] = {
    {0x400000, 0x401000, 0x1000, "/bin/prog", "abc123"},
    {0x500000, 0x501000, 0, "/bin/with blank", ""},
    {0x7f0000000000, 0x7f0000010000, 0x2000, "/lib/libc.so.6", ""},
};

static size_t fake_count(void *ctx) { return sizeof maps / sizeof maps[0]; }

static const hp_mapping *fake_mapping(void *ctx, size_t i) { return &maps[i]; }

/* Functions start every 0x100 bytes in the program; libc is unnamed. */
static const char *fake_func_at(void *ctx, uint64_t addr, uint64_t *off)
{
    static const char *names[] = {"main", "parse_alloc", "bad\nname"};
    *off = addr & 0xff;
    if (addr < 0x400000 || addr >= 0x400300)
        return NULL;
    return names[(addr - 0x400000) >> 8];
}

/* Write p into a pipe and read it back into text[cap], NUL-terminated. */
static void write_read(heaptext_profile *p, char *text, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(heaptext_write(p, fds[1]), 0);
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    while ((got = read(fds[0], text + len, cap - 1 - len)) > 0)
        len += (size_t)got;
    close(fds[0]);
    text[len] = '\0';
}

/* Render into a pipe and return the text (static). */
static const char *render(heaptext_record *r, size_t n, const char *const *comments, size_t nc)
{
    static char text[8192];
    heaptext_profile p = {
        .records = r,
        .nrecords = n,
        .comments = comments,
        .ncomments = nc,
        .symbols = {.mapping_count = fake_count, .mapping = fake_mapping, .func_at = fake_func_at},
    };
    write_read(&p, text, sizeof text);
    return text;
}

static void layout(void **state)
{
    static const uint64_t a[] = {0x400110, 0x400020}, b[] = {0x7f0000000101, 0x400030};
    static const uint64_t c[] = {0x400230};
    heaptext_record r[] = {
        /* a under two label sets: one record */
        {a, 2, 1, 100, 2, 200},
        {b, 2, 3, 3000, 5, 5000},
        {a, 2, 2, 200, 2, 200},
        {c, 1, 0, 0, 1, 50},
        {c, 0, 0, 0, 0, 0}, /* no frames at all */
    };
    const char *comments[] = {"heapprof 0.1.0 pid=1", "odd\x01"};
    const char *want =
        "heap profile: 6: 3300 [10: 5450] @ heap/2\n"
        "3: 3000 [5: 5000] @ 0x7f0000000101 0x400030\n"
        "#\t0x7f0000000100\n"
        "#\t0x40002f\tmain+0x2f\n"
        "\n"
        "3: 300 [4: 400] @ 0x400110 0x400020\n"
        "#\t0x40010f\tparse_alloc+0xf\n"
        "#\t0x40001f\tmain+0x1f\n"
        "\n"
        "0: 0 [1: 50] @ 0x400230\n"
        "#\t0x40022f\tbad?name+0x2f\n"
        "\n"
        "0: 0 [0: 0] @\n"
        "\n"
        "\n# heapprof: the values are estimates already scaled up from the samples (exact with "
        "sample_interval_bytes=1); heap/2 tells pprof to take them as they are\n"
        "# heapprof 0.1.0 pid=1\n"
        "# odd?\n"
        "\nMAPPED_LIBRARIES:\n"
        "400000-401000 r-xp /bin/prog (@1000) abc123\n"
        "7f0000000000-7f0000010000 r-xp /lib/libc.so.6 (@2000)\n";
    assert_string_equal(render(r, 5, comments, 2), want);
}

/* The DWARF's names (lines) for the frames fake_func_at leaves unnamed in
 * a mapping keep_names marks: libc's here, named "inl_<offset>" below
 * 0x7f0000000800 and nothing above.  calls and asked: what lines was
 * given, to check that each mapping is asked once, sorted, no address
 * twice. */
static int lines_calls;
static uint64_t lines_asked[16];
static size_t lines_nasked;

static bool fake_keep(void *ctx, size_t i) { return i == 2; }

static int fake_lines(void *ctx, size_t i, const uint64_t *addrs, size_t n, symbols_line *out)
{
    static char names[16][32];
    lines_calls++;
    assert_int_equal(i, 2);
    for (size_t k = 0; k < n; k++) {
        assert_true(lines_nasked < 16);
        assert_true(!k || addrs[k] > addrs[k - 1]);
        lines_asked[lines_nasked] = addrs[k];
        snprintf(names[lines_nasked], sizeof names[0], "inl_%llx",
                 (unsigned long long)(addrs[k] - 0x7f0000000000));
        out[k] = (symbols_line){NULL, 0, 0, NULL,
                                addrs[k] < 0x7f0000000800 ? names[lines_nasked] : NULL};
        lines_nasked++;
    }
    return 0;
}

static void dwarf_names_batched(void **state)
{
    static const uint64_t a[] = {0x7f0000000201, 0x400030, 0x7f0000000101};
    static const uint64_t b[] = {0x7f0000000101, 0x7f0000000901, 0x500010};
    heaptext_record r[] = {{a, 3, 2, 200, 2, 200}, {b, 3, 1, 100, 1, 100}};
    static char text[8192];
    heaptext_profile p = {
        .records = r,
        .nrecords = 2,
        .symbols = {.mapping_count = fake_count, .mapping = fake_mapping,
                    .func_at = fake_func_at, .keep_names = fake_keep, .lines = fake_lines},
    };
    lines_calls = 0;
    lines_nasked = 0;
    write_read(&p, text, sizeof text);
    /* One call for libc's three distinct addresses; none for the mapping
     * keep_names leaves out (0x500010), nor for a named frame. */
    assert_int_equal(lines_calls, 1);
    assert_int_equal(lines_nasked, 3);
    assert_true(lines_asked[0] == 0x7f0000000100 && lines_asked[1] == 0x7f0000000200 &&
                lines_asked[2] == 0x7f0000000900);
    const char *want =
        "2: 200 [2: 200] @ 0x7f0000000201 0x400030 0x7f0000000101\n"
        "#\t0x7f0000000200\tinl_200\n" /* the DWARF's name: no offset */
        "#\t0x40002f\tmain+0x2f\n"
        "#\t0x7f0000000100\tinl_100\n"
        "\n"
        "1: 100 [1: 100] @ 0x7f0000000101 0x7f0000000901 0x500010\n"
        "#\t0x7f0000000100\tinl_100\n"
        "#\t0x7f0000000900\n"
        "#\t0x50000f\n"
        "\n";
    assert_non_null(strstr(text, want));
}

/* pprof's reader rejects a record with bytes and no objects (a stack read
 * half counted) and negative values: written as 1 object, and 0. */
static void values_pprof_reads(void **state)
{
    static const uint64_t a[] = {0x400010};
    heaptext_record r[] = {{a, 1, 0, 64, -1, 128}};
    const char *t = render(r, 1, NULL, 0);
    assert_non_null(strstr(t, "heap profile: 1: 64 [1: 128] @ heap/2\n1: 64 [1: 128] @ 0x400010\n"));
}

/* No records: the header and the mappings. */
static void empty(void **state)
{
    const char *t = render(NULL, 0, NULL, 0);
    assert_int_equal(strncmp(t, "heap profile: 0: 0 [0: 0] @ heap/2\n\n# heapprof", 46), 0);
    assert_non_null(strstr(t, "MAPPED_LIBRARIES:\n400000-401000"));
}

/* A name longer than pprof reads in a line is cut. */
static void long_name(void **state)
{
    static char name[70000];
    memset(name, 'n', sizeof name - 1);
    const char *comments[] = {name};
    static char text[80000];
    heaptext_profile p = {.comments = comments, .ncomments = 1};
    write_read(&p, text, sizeof text);
    for (char *line = text, *nl; (nl = strchr(line, '\n')); line = nl + 1)
        assert_true(nl - line < 4200);
    assert_non_null(strstr(text, "nnn...\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout),
        cmocka_unit_test(values_pprof_reads),
        cmocka_unit_test(empty),
        cmocka_unit_test(dwarf_names_batched),
        cmocka_unit_test(long_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
