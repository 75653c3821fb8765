/*
 * debugfile.c - the separate debug file of an ELF file (see debugfile.h).
 *
 * Every candidate path is built in one buffer of PATH_MAX bytes; one that
 * does not fit is skipped.  A candidate is opened, checked (ELF header,
 * not the file itself, build-id, CRC32) and either handed back open or
 * closed at once, so at most one descriptor of ours is open at a time.
 */
#define _GNU_SOURCE
#include "debugfile.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "mem.h"

/* Bytes of the file read at a time for its CRC32. */
enum { CRC_CHUNK = 64 << 10 };

void debugfile_close(debugfile_found *d)
{
    elfread_close(&d->e);
    mem_free(d->path);
    d->path = NULL;
}

bool debugfile_parse_link(const unsigned char *sec, size_t len, const char **name,
                          uint32_t *crc)
{
    const unsigned char *nul = memchr(sec, '\0', len < DEBUGFILE_LINK_MAX + 1 ? len : DEBUGFILE_LINK_MAX + 1);
    if (!nul || nul == sec)
        return false;
    size_t at = ((size_t)(nul - sec) + 4) & ~(size_t)3; /* past the NUL, 4-aligned */
    if (len < at + 4)
        return false;
    const char *n = (const char *)sec;
    /* A plain name: the link is looked up in directories, never above. */
    if (strchr(n, '/') || !strcmp(n, ".") || !strcmp(n, ".."))
        return false;
    memcpy(crc, sec + at, 4);
    *name = n;
    return true;
}

static bool is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

bool debugfile_build_id_path(char *buf, size_t cap, const char *dir, size_t dirlen,
                             const char *build_id)
{
    size_t idlen = strlen(build_id);
    if (idlen < 4 || idlen % 2 || !is_hex(build_id))
        return false;
    int n = snprintf(buf, cap, "%.*s/.build-id/%.2s/%s.debug", (int)dirlen, dir, build_id,
                     build_id + 2);
    return n > 0 && (size_t)n < cap;
}

bool debugfile_crc(const elf_in *e, uint32_t *crc, bool *oom)
{
    unsigned char *buf = mem_alloc(CRC_CHUNK);
    if (!buf) {
        *oom = true;
        return false;
    }
    uLong c = crc32(0L, Z_NULL, 0);
    bool ok = true;
    for (uint64_t off = 0; ok && off < e->size; ) {
        size_t n = e->size - off < CRC_CHUNK ? (size_t)(e->size - off) : CRC_CHUNK;
        ok = elfread_at(e, off, buf, n);
        if (ok)
            c = crc32(c, buf, (uInt)n);
        off += n;
    }
    mem_free(buf);
    *crc = (uint32_t)c;
    return ok;
}

/* What a candidate must be. */
typedef struct want {
    const char *build_id; /* the file's, or "" */
    bool need_id;         /* found by build-id: it must carry that build-id */
    bool check_crc;       /* found by debug link: its CRC32 must be crc */
    uint32_t crc;
    const fdid *self;     /* the file itself, never its own debug file */
} want;

/* The file at path, if it is the debug file w describes: opened into
 * *out. */
static bool try_file(const char *path, const want *w, debugfile_found *out, bool *oom)
{
    elf_in e;
    struct stat st;
    /* A regular file before it is opened: an open has effects on some
     * devices (a watchdog, a tape), and this process may be privileged. */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !elfread_open(path, &e, &st))
        return false;
    if ((w->self && st.st_dev == w->self->dev && st.st_ino == w->self->ino) ||
        !elfread_header(&e)) {
        if (e.fd >= 0)
            elfread_close(&e);
        return false;
    }
    /* A binary with a build-id takes only a debug file with the same one,
     * whichever way it was found: a CRC32 is easily matched on purpose.
     * The same build-id makes the CRC32 needless (and it costs a read of
     * the whole file, a second a GiB, inside the program); a binary
     * without one has only the CRC32 to go by. */
    char *id = elfread_build_id(&e, oom);
    bool ok = !*oom && (id ? !strcmp(id, w->build_id) : !w->need_id && !w->build_id[0]);
    bool same_id = id && w->build_id[0];
    mem_free(id);
    uint32_t crc;
    if (ok && w->check_crc && !same_id)
        ok = debugfile_crc(&e, &crc, oom) && crc == w->crc;
    if (ok && !(out->path = mem_strdup(path))) {
        *oom = true;
        ok = false;
    }
    if (!ok) {
        elfread_close(&e);
        return false;
    }
    out->e = e;
    out->st = st;
    return true;
}

bool debugfile_next_by_id(const char **dirs, const char *build_id, char *buf)
{
    while (*dirs && **dirs) {
        const char *d = *dirs;
        size_t n = strcspn(d, ":");
        *dirs = d + n + (d[n] == ':');
        if (n && debugfile_build_id_path(buf, PATH_MAX, d, n, build_id))
            return true;
    }
    return false;
}

/* DIR/.build-id/xx/rest.debug for each of dirs. */
static bool by_build_id(const char *dirs, const want *w, char *buf, debugfile_found *out,
                        bool *oom)
{
    while (!*oom && debugfile_next_by_id(&dirs, w->build_id, buf))
        if (try_file(buf, w, out, oom))
            return true;
    return false;
}

/* The .gnu_debuglink of e, if it has a well-formed one: the name (into
 * name[DEBUGFILE_LINK_MAX + 1]) and CRC32. */
static bool read_link(const elf_in *e, const Elf64_Shdr *sh, size_t nsh, char *name,
                      uint32_t *crc, bool *oom)
{
    size_t i = elfread_section(e, sh, nsh, ".gnu_debuglink");
    if (i == nsh || sh[i].sh_type == SHT_NOBITS || sh[i].sh_size > DEBUGFILE_LINK_MAX + 8)
        return false;
    unsigned char *sec = elfread_alloc(e, sh[i].sh_offset, sh[i].sh_size, oom);
    const char *n;
    bool ok = sec && debugfile_parse_link(sec, (size_t)sh[i].sh_size, &n, crc);
    if (ok)
        strcpy(name, n);
    mem_free(sec);
    return ok;
}

/* BINDIR/NAME, BINDIR/.debug/NAME, DIR/BINDIR/NAME for each of dirs. */
static bool by_link(const char *dirs, const char *path, const char *name, const want *w,
                    char *buf, debugfile_found *out, bool *oom)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return false;
    int bindir = (int)(slash - path); /* without its last '/' */
    int n = snprintf(buf, PATH_MAX, "%.*s/%s", bindir, path, name);
    if (n > 0 && n < PATH_MAX && try_file(buf, w, out, oom))
        return true;
    n = snprintf(buf, PATH_MAX, "%.*s/.debug/%s", bindir, path, name);
    if (!*oom && n > 0 && n < PATH_MAX && try_file(buf, w, out, oom))
        return true;
    for (const char *d = dirs; *d && !*oom; ) {
        size_t len = strcspn(d, ":");
        n = snprintf(buf, PATH_MAX, "%.*s%.*s/%s", (int)len, d, bindir, path, name);
        if (len && n > 0 && n < PATH_MAX && try_file(buf, w, out, oom))
            return true;
        d += len + (d[len] == ':');
    }
    return false;
}

bool debugfile_find(const char *dirs, const char *path, const char *build_id, const elf_in *e,
                    const Elf64_Shdr *sh, size_t nsh, debugfile_found *out, bool *oom)
{
    if (!dirs || !*dirs)
        return false;
    char *buf = mem_alloc(PATH_MAX);
    if (!buf) {
        *oom = true;
        return false;
    }
    want w = { build_id, true, false, 0, &e->fd_id };
    bool found = by_build_id(dirs, &w, buf, out, oom);
    char name[DEBUGFILE_LINK_MAX + 1];
    if (!found && !*oom && read_link(e, sh, nsh, name, &w.crc, oom)) {
        w.need_id = false;
        w.check_crc = true;
        found = by_link(dirs, path, name, &w, buf, out, oom);
    }
    mem_free(buf);
    return found;
}
