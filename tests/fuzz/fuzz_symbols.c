/*
 * fuzz_symbols.c - libFuzzer targets for the symbolizer (symbols.c), the
 * code that parses /proc/self/maps and ELF files read from disk.  One
 * source, two targets (FUZZ_MAPS or FUZZ_ELF defined by CMake):
 *
 *  fuzz_maps  the input is a maps file.  Every "@EXE" in it becomes the
 *             path of this (real, symbol-rich) executable, so the fuzzer
 *             can reach the ELF reader with valid files; any other path is
 *             used as written.  One symbolizer lives across inputs, so the
 *             per-file cache is refreshed against ever-changing maps, as in
 *             a long-running process.
 *  fuzz_elf   the input is an ELF file, written to a fresh temporary file
 *             and mapped three times (offsets 0, 0x1000, 0x2000) by a
 *             synthetic maps file; a new symbolizer per input.  Where the
 *             input has a build-id, a copy of it is also its separate
 *             debug file (DIR/.build-id/xx/rest.debug, debugfile.h), so
 *             the same bytes are read as a debug file too.
 *
 * Checks beyond the sanitizers: mappings come back sorted and non-empty
 * with absolute paths; every build-id is lowercase hex of even length;
 * every name is a non-empty string; symbols_find_mapping finds a mapping
 * containing each mapping's start; and a second refresh of the same maps
 * answers every lookup exactly as the first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debugfile.h"
#include "symbols.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_symbols: check failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum { NQUERY = 48, MAPS_MAX_IN = 64 << 10 };

static char dir[] = "/tmp/hp_fuzz_symbols.XXXXXX";
static char maps_path[256], elf_path[256], exe[4096];
/* fuzz_elf's debug file copy, and its directories (empty: none). */
static char debug_copy[512], debug_sub[512], debug_top[300];

static void drop_debug_copy(void)
{
    if (!debug_copy[0])
        return;
    unlink(debug_copy);
    rmdir(debug_sub);
    debug_copy[0] = '\0';
}

static void cleanup(void)
{
    unlink(maps_path);
    unlink(elf_path);
    drop_debug_copy();
    if (debug_top[0])
        rmdir(debug_top);
    rmdir(dir);
}

static void setup_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    CHECK(mkdtemp(dir) != NULL);
    atexit(cleanup);
    snprintf(maps_path, sizeof maps_path, "%s/maps", dir);
    snprintf(elf_path, sizeof elf_path, "%s/elf", dir);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    exe[n] = '\0';
}

static void write_file(const char *path, const void *data, size_t len)
{
    /* A new inode every time, so no cache can mistake it for the last one. */
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, data, len) == (ssize_t)len);
    close(fd);
}

static bool is_hex_id(const char *s)
{
    size_t n = strlen(s);
    if (n % 2)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

typedef struct answers {
    size_t nmaps;
    uint64_t addr[NQUERY];
    char name[NQUERY][64]; /* first 63 bytes of each answer, "" for none */
    int has[NQUERY];
} answers;

/* Addresses to ask about: spread over each mapping, plus its edges. */
static void ask(symbolizer *s, answers *a)
{
    size_t n = symbols_mapping_count(s), q = 0;
    a->nmaps = n;
    for (size_t i = 0; i < n; i++) {
        const hp_mapping *m = symbols_mapping(s, i);
        CHECK(m != NULL);
        CHECK(m->start < m->limit);
        CHECK(m->path && m->path[0] == '/');
        CHECK(m->build_id && is_hex_id(m->build_id));
        if (i > 0)
            CHECK(symbols_mapping(s, i - 1)->start <= m->start);
        long j = symbols_find_mapping(s, m->start);
        CHECK(j >= 0 && (size_t)j < n);
        const hp_mapping *mj = symbols_mapping(s, (size_t)j);
        CHECK(mj->start <= m->start && m->start < mj->limit);
    }
    CHECK(symbols_mapping(s, n) == NULL);
    for (size_t i = 0; n && q < NQUERY; i++) {
        const hp_mapping *m = symbols_mapping(s, i % n);
        uint64_t span = m->limit - m->start;
        uint64_t k = i / n;
        uint64_t addr = k == 0 ? m->start : k == 1 ? m->limit - 1 : m->start + span / 16 * (k - 1) + k;
        a->addr[q] = addr;
        const char *name = symbols_func_name(s, addr);
        a->has[q] = name != NULL;
        if (name) {
            CHECK(name[0] != '\0');
            snprintf(a->name[q], sizeof a->name[q], "%s", name);
        } else {
            a->name[q][0] = '\0';
        }
        q++;
    }
    for (; q < NQUERY; q++)
        a->addr[q] = 0, a->has[q] = 0, a->name[q][0] = '\0';
    CHECK(symbols_find_mapping(s, 0) == -1 || n > 0);
}

static void refresh_twice(symbolizer *s)
{
    static answers first, second;
    int err = symbols_refresh(s, maps_path);
    CHECK(err == 0 || err == ENOMEM || err == EFBIG);
    if (err)
        return;
    ask(s, &first);
    CHECK(symbols_refresh(s, maps_path) == 0);
    ask(s, &second);
    CHECK(first.nmaps == second.nmaps);
    for (int q = 0; q < NQUERY; q++) {
        CHECK(first.addr[q] == second.addr[q]);
        CHECK(first.has[q] == second.has[q]);
        CHECK(!strcmp(first.name[q], second.name[q]));
    }
}

#ifdef FUZZ_MAPS
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static symbolizer *s;
    static char text[MAPS_MAX_IN * 2];
    setup_once();
    if (!s)
        CHECK((s = symbols_new()) != NULL);
    if (size > MAPS_MAX_IN)
        return 0;
    size_t n = 0, elen = strlen(exe);
    for (size_t i = 0; i < size && n + elen < sizeof text; i++) {
        if (i + 4 <= size && !memcmp(data + i, "@EXE", 4)) {
            memcpy(text + n, exe, elen);
            n += elen;
            i += 3;
        } else {
            text[n++] = (char)data[i];
        }
    }
    write_file(maps_path, text, n);
    refresh_twice(s);
    return 0;
}
#endif

#ifdef FUZZ_ELF
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char maps[1024];
    setup_once();
    if (size > (1 << 20))
        return 0;
    write_file(elf_path, data, size);
    int n = snprintf(maps, sizeof maps,
                     "400000-402000 r-xp 00000000 08:01 1 %s\n"
                     "402000-403000 r--p 00002000 08:01 1 %s\n"
                     "500000-510000 r-xp 00001000 08:01 1 %s\n"
                     "600000-601000 r-xp 00002000 08:01 1 %s (deleted)\n",
                     elf_path, elf_path, elf_path, elf_path);
    write_file(maps_path, maps, (size_t)n);
    symbolizer *s = symbols_new();
    CHECK(s != NULL);
    symbols_set_debug_dirs(s, dir);
    /* The build-id is read at refresh, the symbols (and the debug file)
     * only at the first lookup: the copy is in place by then. */
    drop_debug_copy();
    if (symbols_refresh(s, maps_path) == 0 && symbols_mapping_count(s) > 0) {
        const char *id = symbols_mapping(s, 0)->build_id;
        if (debugfile_build_id_path(debug_copy, sizeof debug_copy, dir, strlen(dir), id)) {
            snprintf(debug_top, sizeof debug_top, "%s/.build-id", dir);
            snprintf(debug_sub, sizeof debug_sub, "%s/%.2s", debug_top, id);
            mkdir(debug_top, 0700);
            mkdir(debug_sub, 0700);
            write_file(debug_copy, data, size);
        } else {
            debug_copy[0] = '\0';
        }
    }
    refresh_twice(s);
    symbols_free(s);
    return 0;
}
#endif
