/*
 * test_linenames.c - frame names by source line (src/cli/linenames.c):
 * paths cleaned as Go's filepath.Clean cleans them (the expected values
 * are what Go 1.19 prints for each), one name per distinct function and
 * line, named as go tool pprof -lines names them (a line of 0: the file
 * alone; no file: ":line"; any line, negative or past 2^31 - 1, as it is),
 * the frames left alone (no file and line 0), the short form, and the
 * size bound checked before anything is written.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linenames.h"

static void clean_like_go(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/a/b/c", "/a/b/c"},
        {"/src/./app/../a.c", "/src/a.c"},
        {"a//b", "a/b"},
        {"a/b/", "a/b"},
        {"/../a", "/a"},
        {"../../a", "../../a"},
        {"a/../..", ".."},
        {"a/..", "."},
        {"/", "/"},
        {"//", "/"},
        {".", "."},
        {"./a", "a"},
        {"a/./b/../../c", "c"},
        {"/a/b/../../..", "/"},
        {"abc/def/../../..", ".."},
        {"../a/../b", "../b"},
        {"", "."},
        {"/./..//x/.", "/x"},
        {"..", ".."},
        {"x/y/../../../z", "../z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i][0]);
        char *dst = malloc(len + 2);
        assert_non_null(dst);
        size_t n = linenames_clean(dst, cases[i][0], len);
        assert_string_equal(dst, cases[i][1]);
        assert_int_equal(n, strlen(cases[i][1]));
        free(dst);
    }
}

/* Functions 0-4: main, leak (a path to clean), nofile (no file), helper,
 * and one without a name. */
static const char *const func[] = {"main", "leak", "nofile", "helper", ""};
static const size_t func_len[] = {4, 4, 6, 6, 0};
static const char *const file[] = {"/src/main.c", "/src/./x/../leak.c", "", "inl.h", "/s/x.c"};
static const size_t file_len[] = {11, 18, 0, 5, 6};

static void names_and_short_forms(void **state)
{
    (void)state;
    const char *names[11];
    for (size_t i = 0; i < 11; i++)
        names[i] = func[i % 4];
    linenames_ask ask[] = {
        {0, 1, 25}, {1, 3, 10}, {2, 1, 20}, {3, 0, 5},
        {4, 1, 25},                      /* leak:25 again, another location: the same name */
        {5, 2, 7},                       /* no file: ":7", as pprof */
        {6, 0, 0},                       /* line 0: the file alone, as pprof */
        {7, 0, -5},                      /* lines no file has: as written, as pprof */
        {8, 0, (int64_t)1 << 31},
        {9, 2, 0},                       /* neither: left alone */
        {10, 0, 0},                      /* main's file again */
    };
    names[4] = func[1];
    names[5] = names[9] = func[2];
    names[6] = names[7] = names[8] = names[10] = func[0];
    linenames ln;
    assert_int_equal(linenames_make(&ln, ask, 11, func, func_len, file, file_len, names), 0);
    assert_int_equal(ln.made, 10);
    assert_string_equal(names[0], "leak /src/leak.c:25");
    assert_string_equal(names[1], "helper inl.h:10");
    assert_string_equal(names[2], "leak /src/leak.c:20");
    assert_string_equal(names[3], "main /src/main.c:5");
    assert_ptr_equal(names[4], names[0]); /* one string per function and line */
    assert_string_equal(names[5], "nofile :7");
    assert_string_equal(names[6], "main /src/main.c");
    assert_string_equal(names[7], "main /src/main.c:-5");
    assert_string_equal(names[8], "main /src/main.c:2147483648");
    assert_ptr_equal(names[9], func[2]);
    assert_ptr_equal(names[10], names[6]);
    assert_string_equal(linenames_short(&ln, names[0]), "leak leak.c:25");
    assert_string_equal(linenames_short(&ln, names[1]), "helper inl.h:10");
    assert_string_equal(linenames_short(&ln, names[3]), "main main.c:5");
    assert_string_equal(linenames_short(&ln, names[5]), "nofile :7");
    assert_string_equal(linenames_short(&ln, names[6]), "main main.c");
    /* A name that is not one of ln's is its own short form, even equal
     * to one of them. */
    char copy[] = "leak /src/leak.c:25";
    assert_ptr_equal(linenames_short(&ln, copy), copy);
    assert_ptr_equal(linenames_short(&ln, func[0]), func[0]);
    linenames_free(&ln);
    assert_null(ln.buf);
    assert_ptr_equal(linenames_short(&ln, func[1]), func[1]);

    /* The longest lines (the sign too), a function without a name (the
     * file and line alone, as pprof), and nothing to name at all. */
    linenames_ask big[] = {{0, 0, INT64_MIN}, {1, 2, INT64_MAX}, {2, 4, 9}, {3, 4, 0}};
    assert_int_equal(linenames_make(&ln, big, 4, func, func_len, file, file_len, names), 0);
    assert_string_equal(names[0], "main /src/main.c:-9223372036854775808");
    assert_string_equal(linenames_short(&ln, names[0]), "main main.c:-9223372036854775808");
    assert_string_equal(names[1], "nofile :9223372036854775807");
    assert_string_equal(names[2], "/s/x.c:9");
    assert_string_equal(linenames_short(&ln, names[2]), "x.c:9");
    assert_string_equal(names[3], "/s/x.c");
    linenames_free(&ln);
    assert_int_equal(linenames_make(&ln, NULL, 0, func, func_len, file, file_len, names), 0);
    assert_int_equal(ln.made, 0);
    linenames_free(&ln);
}

/* Names that would take more than LINENAMES_BYTES_MAX are refused before
 * a byte is read or written: the lengths alone say so (the strings here
 * are short; a read past them would be caught by a sanitizer build). */
static void bound(void **state)
{
    (void)state;
    static const size_t huge_len[] = {(size_t)100 << 20};
    static const char *const one[] = {"f"};
    static const size_t one_len[] = {1};
    const char *names[2] = {one[0], one[0]};
    linenames_ask ask[] = {{0, 0, 1}, {1, 0, 2}};
    linenames ln;
    assert_int_equal(linenames_make(&ln, ask, 2, one, one_len, one, huge_len, names), E2BIG);
    assert_null(ln.buf);
    assert_ptr_equal(names[0], one[0]); /* unchanged */
    assert_ptr_equal(names[1], one[0]);
    /* One of them alone fits. */
    static const size_t fits_len[] = {1};
    assert_int_equal(linenames_make(&ln, ask, 1, one, one_len, one, fits_len, names), 0);
    assert_string_equal(names[0], "f f:1");
    linenames_free(&ln);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_like_go),
        cmocka_unit_test(names_and_short_forms),
        cmocka_unit_test(bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
