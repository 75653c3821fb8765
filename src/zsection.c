/*
 * zsection.c - compressed ELF sections inflated (see zsection.h).
 */
#include "zsection.h"

#include <elf.h>
#include <string.h>
#include <zlib.h>

#include "mem.h"

static uint64_t inflations;

uint64_t zsec_inflations(void) { return __atomic_load_n(&inflations, __ATOMIC_RELAXED); }

static voidpf z_alloc(voidpf opaque, uInt n, uInt size)
{
    (void)opaque;
    return size && n > SIZE_MAX / size ? NULL : mem_alloc((size_t)n * size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    mem_free(p);
}

/* The header of a section of kind k: its length, and the inflated size. */
static zsec_status header(zsec_read read, void *ctx, zsec_kind k, uint64_t off, uint64_t size,
                          uint64_t *hdr, uint64_t *usize)
{
    if (k == ZSEC_GNU) {
        unsigned char h[12];
        if (size < sizeof h || !read(ctx, off, h, sizeof h) || memcmp(h, "ZLIB", 4))
            return ZSEC_BAD;
        *usize = 0;
        for (size_t i = 4; i < sizeof h; i++)
            *usize = *usize << 8 | h[i];
        *hdr = sizeof h;
        return ZSEC_OK;
    }
    Elf64_Chdr ch;
    if (k != ZSEC_ELF || size < sizeof ch || !read(ctx, off, &ch, sizeof ch))
        return ZSEC_BAD;
    if (ch.ch_type != ELFCOMPRESS_ZLIB)
        return ZSEC_NOT_ZLIB;
    *usize = ch.ch_size;
    *hdr = sizeof ch;
    return ZSEC_OK;
}

zsec_status zsec_size(zsec_read read, void *ctx, zsec_kind k, uint64_t off, uint64_t size,
                      uint64_t *whole)
{
    uint64_t hdr;
    *whole = 0;
    return header(read, ctx, k, off, size, &hdr, whole);
}

unsigned char *zsec_inflate(zsec_read read, void *ctx, zsec_kind k, uint64_t off, uint64_t size,
                            uint64_t max, bool whole_only, size_t *len, uint64_t *whole,
                            zsec_status *st)
{
    enum { PIECE = 64 * 1024 };
    uint64_t hdr = 0, usize = 0;
    *len = 0;
    *whole = 0;
    if ((*st = header(read, ctx, k, off, size, &hdr, &usize)) != ZSEC_OK)
        return NULL;
    *whole = usize;
    if (whole_only && usize > max) {
        *st = ZSEC_TOO_BIG;
        return NULL;
    }
    off += hdr;
    size -= hdr;
    /* The header's claim is not trusted with memory: deflate gives at most
     * 1032 bytes per byte of input (a 258-byte match in two bits), so a
     * claim beyond that is corrupt, and its buffer holds what the stream
     * can give. */
    uint64_t most = size > UINT64_MAX / 1032 ? UINT64_MAX : size * 1032;
    uint64_t cap = max < most ? max : most;
    size_t want = (size_t)(usize < cap ? usize : cap);
    unsigned char *out = mem_alloc(want ? want : 1), *in = mem_alloc(PIECE);
    z_stream zs = {.zalloc = z_alloc, .zfree = z_free, .next_out = out, .avail_out = (uInt)want};
    int r = out && in ? inflateInit(&zs) : Z_MEM_ERROR;
    if (r != Z_OK) {
        *st = r == Z_MEM_ERROR ? ZSEC_OOM : ZSEC_BAD;
        mem_free(in);
        mem_free(out);
        return NULL;
    }
    __atomic_add_fetch(&inflations, 1, __ATOMIC_RELAXED);
    while (r == Z_OK && zs.avail_out && size) {
        size_t n = size < PIECE ? (size_t)size : PIECE;
        if (!read(ctx, off, in, n))
            break;
        off += n;
        size -= n;
        zs.next_in = in;
        zs.avail_in = (uInt)n;
        do
            r = inflate(&zs, Z_NO_FLUSH);
        while (r == Z_OK && zs.avail_in && zs.avail_out);
    }
    inflateEnd(&zs);
    mem_free(in);
    if (r == Z_MEM_ERROR) {
        *st = ZSEC_OOM;
        mem_free(out);
        return NULL;
    }
    *len = want - zs.avail_out;
    return out;
}
