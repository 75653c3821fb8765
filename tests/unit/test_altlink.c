/* Unit tests: where a file's supplementary DWARF file is, and whether a
 * file is it (src/altlink.h), on sections written as dwz 0.15 writes them
 * (`dwz -m`, and `dwz -5 -m`), and on cut and hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "altlink.h"

/* A build-id of 20 bytes, as dwz records it. */
static const unsigned char id[20] = { 0x71, 0xde, 0xbd, 0xef, 0xeb, 0xe6, 0x08, 0x4a, 0x5e, 0x3e,
                                      0xda, 0x40, 0x44, 0xcc, 0xef, 0xbf, 0xfd, 0x05, 0xc3, 0x54 };
static const char id_hex[] = "71debdefebe6084a5e3eda4044ccefbffd05c354";

/* .gnu_debugaltlink of a file: "common.debug", NUL, the build-id. */
static size_t gnu_link(unsigned char *p, const char *name)
{
    size_t n = strlen(name) + 1;
    memcpy(p, name, n);
    memcpy(p + n, id, sizeof id);
    return n + sizeof id;
}

/* .debug_sup: version 5, is_supplementary, the name, a ULEB128 length
 * (one byte here) and the checksum. */
static size_t sup(unsigned char *p, bool supplementary, const char *name, size_t idlen)
{
    size_t n = strlen(name) + 1;
    p[0] = 5;
    p[1] = 0;
    p[2] = supplementary;
    memcpy(p + 3, name, n);
    p[3 + n] = (unsigned char)idlen;
    memcpy(p + 4 + n, id, idlen);
    return 4 + n + idlen;
}

static void gnu_debugaltlink(void **state)
{
    (void)state;
    unsigned char p[128];
    altlink a;
    size_t n = gnu_link(p, "common.debug");
    assert_true(altlink_parse(p, n, false, &a));
    assert_string_equal(a.name, "common.debug");
    assert_int_equal(a.idlen, 20);
    assert_false(a.supplementary);
    assert_true(altlink_same_build_id(&a, id_hex));
    /* Another file's build-id, or a prefix of it, is not it. */
    assert_false(altlink_same_build_id(&a, "71debdefebe6084a5e3eda4044ccefbffd05c355"));
    assert_false(altlink_same_build_id(&a, "71debdefebe6084a5e3eda4044ccefbffd05c3"));
    assert_false(altlink_same_build_id(&a, ""));
    /* Every cut: a name without its NUL, or no build-id, is no link. */
    for (size_t k = 0; k <= strlen("common.debug") + 1; k++)
        assert_false(altlink_parse(p, k, false, &a));
    /* No name; a build-id longer than any. */
    n = gnu_link(p, "");
    assert_false(altlink_parse(p, n, false, &a));
    memset(p, 'x', sizeof p);
    p[0] = 'a';
    p[1] = 0;
    assert_false(altlink_parse(p, sizeof p, false, &a));
}

static void debug_sup(void **state)
{
    (void)state;
    unsigned char p[128], q[128];
    altlink a, s;
    size_t n = sup(p, false, "/usr/lib/debug/.dwz/x.debug", 20);
    size_t m = sup(q, true, "", 20);
    assert_true(altlink_parse(p, n, true, &a));
    assert_string_equal(a.name, "/usr/lib/debug/.dwz/x.debug");
    assert_false(a.supplementary);
    assert_true(altlink_parse(q, m, true, &s));
    assert_true(s.supplementary);
    assert_true(altlink_same_sup(&a, &s));
    assert_false(altlink_same_sup(&s, &a));
    assert_false(altlink_same_sup(&a, &a));
    /* Another checksum; a shorter one. */
    q[m - 1] ^= 1;
    assert_true(altlink_parse(q, m, true, &s));
    assert_false(altlink_same_sup(&a, &s));
    m = sup(q, true, "", 19);
    assert_true(altlink_parse(q, m, true, &s));
    assert_false(altlink_same_sup(&a, &s));
    /* Every cut of either. */
    for (size_t k = 0; k < n; k++)
        assert_false(altlink_parse(p, k, true, &a));
    /* Another version; a flag that is no flag; a reference naming no
     * file, a supplementary file naming one; no checksum; a length past
     * the end. */
    p[0] = 4;
    assert_false(altlink_parse(p, n, true, &a));
    p[0] = 5;
    p[2] = 2;
    assert_false(altlink_parse(p, n, true, &a));
    n = sup(p, false, "", 20);
    assert_false(altlink_parse(p, n, true, &a));
    n = sup(p, true, "x", 20);
    assert_false(altlink_parse(p, n, true, &a));
    n = sup(p, false, "x", 0);
    assert_false(altlink_parse(p, n, true, &a));
    n = sup(p, false, "x", 20);
    p[5] = 21;
    assert_false(altlink_parse(p, n, true, &a));
    p[5] = 0x80; /* a ULEB128 that does not end */
    assert_false(altlink_parse(p, 6, true, &a));
}

static void paths(void **state)
{
    (void)state;
    char out[64];
    assert_true(altlink_path("/usr/lib/debug/usr/bin/a.debug", "../../../.dwz/p.x86_64", out, sizeof out));
    assert_string_equal(out, "/usr/lib/debug/usr/bin/../../../.dwz/p.x86_64");
    assert_true(altlink_path("/build/a", "/usr/lib/debug/.dwz/x.debug", out, sizeof out));
    assert_string_equal(out, "/usr/lib/debug/.dwz/x.debug");
    assert_true(altlink_path("a", "common.debug", out, sizeof out));
    assert_string_equal(out, "common.debug");
    /* What does not fit is no path. */
    assert_true(altlink_path("/d/a", "0123456789", out, 16));
    assert_string_equal(out, "/d/0123456789");
    assert_true(altlink_path("/d/a", "0123456789ab", out, 16));
    assert_false(altlink_path("/d/a", "0123456789abc", out, 16));
    assert_false(altlink_path("/0123456789abcdef/a", "x", out, 16));
    assert_false(altlink_path("/d/a", "", out, sizeof out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gnu_debugaltlink),
        cmocka_unit_test(debug_sup),
        cmocka_unit_test(paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
