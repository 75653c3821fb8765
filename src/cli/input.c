/*
 * input.c - see input.h.  Stateless; every buffer allocated here is either
 * handed to the caller or freed before returning.
 */
#include "input.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

__attribute__((format(printf, 3, 4))) static int say(char *err, size_t errlen, const char *fmt,
                                                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

bool input_is_gzip(const uint8_t *data, size_t len)
{
    return len >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* Whether data can start a profile: gzip's magic, or a protobuf field's
 * tag, whose field number is not 0 and whose wire type is one protobuf-c
 * reads (varint, 64-bit, length-delimited, 32-bit; not a group's). */
static bool may_be_profile(const uint8_t *data, size_t len)
{
    if (input_is_gzip(data, len))
        return true;
    unsigned wire = data[0] & 7;
    return (data[0] >> 3 || data[0] & 0x80) && (wire <= 2 || wire == 5);
}

int input_read_fd(int fd, uint64_t max, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    /* The buffer never exceeds max + 1 bytes: one more than allowed is
     * enough to know the input is too large. */
    size_t limit = max >= SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)max + 1;
    size_t cap = limit < 65536 ? limit : 65536, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return say(err, errlen, "out of memory");
    for (;;) {
        if (n == cap) {
            /* Past the first buffer, which holds every small file whole (and
             * so its own message, from the decoder), a stream that cannot be
             * a profile ends here: /dev/zero was read to the bound, a GiB in
             * five seconds, before it was refused. */
            if (!may_be_profile(buf, n)) {
                unsigned first = buf[0];
                free(buf);
                return say(err, errlen, "not a pprof profile: it starts with the byte 0x%02x, "
                           "which neither gzip data nor a protobuf message does; " INPUT_WANTS,
                           first);
            }
            if (cap == limit) {
                free(buf);
                return say(err, errlen, "larger than %" PRIu64 " bytes; refusing to read it "
                           "(HEAPPROF_MAX_INPUT raises the limit)", max);
            }
            size_t ncap = cap > limit / 2 ? limit : cap * 2;
            uint8_t *b = realloc(buf, ncap);
            if (!b) {
                free(buf);
                return say(err, errlen, "out of memory");
            }
            buf = b;
            cap = ncap;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            return say(err, errlen, "cannot read: %s", strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    *out = buf;
    *len = n;
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

int input_gunzip(const uint8_t *in, size_t inlen, uint64_t max, uint8_t **out, size_t *outlen,
                 char *err, size_t errlen)
{
    if (inlen > UINT_MAX)
        return say(err, errlen, "compressed data too large");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return say(err, errlen, "cannot initialise zlib");
    size_t limit = max >= SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)max + 1; /* see input_read_fd */
    size_t cap = inlen < 16384 ? 65536 : inlen * 4, total = 0;
    if (cap > limit)
        cap = limit;
    uint8_t *buf = malloc(cap);
    const char *why = NULL;
    char zmsg[160];
    if (!buf)
        why = "out of memory";
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)inlen;
    while (!why) {
        if (total == cap) {
            if (cap == limit) {
                snprintf(zmsg, sizeof zmsg, "decompresses to more than %" PRIu64 " bytes; refusing "
                         "it (HEAPPROF_MAX_INPUT raises the limit)", max);
                why = zmsg;
                break;
            }
            size_t ncap = cap > limit / 2 ? limit : cap * 2;
            uint8_t *b = realloc(buf, ncap);
            if (!b) {
                why = "out of memory";
                break;
            }
            buf = b;
            cap = ncap;
        }
        size_t room = cap - total;
        zs.next_out = buf + total;
        zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = zs.avail_out;
        int z = inflate(&zs, Z_NO_FLUSH);
        total += before - zs.avail_out;
        if (z == Z_STREAM_END) {
            if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
                inflateReset(&zs); /* another gzip member follows */
                continue;
            }
            if (!all_zero(zs.next_in, zs.avail_in))
                why = "unexpected data after the end of the gzip stream";
            break;
        }
        if ((z == Z_OK || z == Z_BUF_ERROR) && zs.avail_out == 0)
            continue; /* output full: grow and go on */
        if ((z == Z_OK || z == Z_BUF_ERROR) && zs.avail_in == 0) {
            why = "truncated gzip data: the file ends before the compressed stream does "
                  "(was it still being written, or cut short?)";
        } else if (z == Z_MEM_ERROR) {
            why = "out of memory";
        } else if (z != Z_OK) { /* data, dictionary or stream error: no progress possible */
            snprintf(zmsg, sizeof zmsg, "corrupt gzip data (%s)", zs.msg ? zs.msg : "bad stream");
            why = zmsg;
        }
    }
    inflateEnd(&zs);
    if (why) {
        free(buf);
        return say(err, errlen, "%s", why);
    }
    *out = buf;
    *outlen = total;
    return 0;
}

