/* Unit tests: compressed ELF sections inflated (src/zsection.h), in GNU's
 * .zdebug_* form, built here with zlib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>
#include <zlib.h>

#include "mem.h"
#include "zsection.h"

static unsigned char file[1 << 16];
static size_t nfile;

static bool rd(void *ctx, uint64_t off, void *dst, size_t len)
{
    (void)ctx;
    if (off > nfile || len > nfile - off)
        return false;
    memcpy(dst, file + off, len);
    return true;
}

/* A .zdebug_ section of the n bytes of data, its header claiming `claim`
 * bytes inflated. */
static void gnu_section(const unsigned char *data, size_t n, uint64_t claim)
{
    memcpy(file, "ZLIB", 4);
    for (int i = 0; i < 8; i++)
        file[4 + i] = (unsigned char)(claim >> (8 * (7 - i)));
    uLongf clen = sizeof file - 12;
    assert_int_equal(compress2(file + 12, &clen, data, n, 9), Z_OK);
    nfile = 12 + clen;
}

static void inflates_whole(void **state)
{
    (void)state;
    unsigned char data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 % 251);
    gnu_section(data, sizeof data, sizeof data);
    size_t len;
    uint64_t whole;
    zsec_status st;
    unsigned char *out = zsec_inflate(rd, NULL, ZSEC_GNU, 0, nfile, 1 << 20, true, &len, &whole, &st);
    assert_int_equal(st, ZSEC_OK);
    assert_non_null(out);
    assert_int_equal(len, sizeof data);
    assert_int_equal(whole, sizeof data);
    assert_memory_equal(out, data, sizeof data);
    mem_free(out);
    /* Over max: nothing inflated. */
    out = zsec_inflate(rd, NULL, ZSEC_GNU, 0, nfile, 1000, true, &len, &whole, &st);
    assert_null(out);
    assert_int_equal(st, ZSEC_TOO_BIG);
}

/* A header may claim any size up to max: the buffer is bounded by what the
 * stream's bytes can inflate to (deflate: 1032 to 1 at most), not by the
 * claim, so a 30-byte section claiming 32 MiB costs no 32 MiB. */
static void claim_beyond_stream(void **state)
{
    (void)state;
    unsigned char data[100] = { 0 };
    gnu_section(data, sizeof data, (uint64_t)32 << 20);
    size_t len;
    uint64_t whole;
    zsec_status st;
    mem_heap_peak_reset();
    uint64_t before = mem_heap_bytes();
    unsigned char *out =
        zsec_inflate(rd, NULL, ZSEC_GNU, 0, nfile, (uint64_t)32 << 20, true, &len, &whole, &st);
    uint64_t used = mem_heap_peak() - before;
    assert_int_equal(st, ZSEC_OK);
    assert_int_equal(whole, (uint64_t)32 << 20);
    assert_int_equal(len, sizeof data); /* what the stream gave: short of whole */
    assert_memory_equal(out, data, sizeof data);
    mem_free(out);
    assert_true(used < (1 << 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inflates_whole),
        cmocka_unit_test(claim_beyond_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
