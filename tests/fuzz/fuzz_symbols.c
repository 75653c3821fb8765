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
 *             the same bytes are read as a debug file too.  Read so, the
 *             input had a .symtab and DWARF of its own or none in either
 *             copy: the code that takes them from a debug file was never
 *             reached.  So each input with a build-id is also the debug
 *             file of a stripped binary made for it (stripped_for): the
 *             input's PT_LOADs, a note with its build-id, no .symtab, no
 *             DWARF, mapped the same way, whose names and lines come from
 *             the input alone.
 *
 * Checks beyond the sanitizers: mappings come back sorted and non-empty
 * with absolute paths; every build-id is lowercase hex of even length;
 * every name, file and inlined frame's name is a non-empty string; symbols_find_mapping finds a mapping
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
#include <elf.h>

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
static char maps_path[256], elf_path[256], bin_path[256], exe[4096];
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
    unlink(bin_path);
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
    snprintf(bin_path, sizeof bin_path, "%s/stripped", dir);
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

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t x = *(const uint64_t *)pa, y = *(const uint64_t *)pb;
    return (x > y) - (x < y);
}

static void check_str(const char *s)
{
    CHECK(s == NULL || (s[0] != '\0' && strlen(s) < (1 << 16)));
}

/* symbols_lines of addrs[0..n) of mapping i, checked. */
static void lines_of(symbolizer *s, size_t i, const uint64_t *addrs, size_t n)
{
    symbols_line out[NQUERY];
    int err = symbols_lines(s, i, addrs, n, out);
    CHECK(err == 0 || err == ENOMEM);
    for (size_t k = 0; k < n; k++) {
        check_str(out[k].file);
        check_str(out[k].func);
        CHECK(out[k].ninl <= 64 && (!out[k].ninl || out[k].inl));
        for (uint32_t j = 0; j < out[k].ninl; j++) {
            CHECK(out[k].inl[j].name && out[k].inl[j].name[0]);
            check_str(out[k].inl[j].file);
        }
    }
}

/* The lines, inlined frames and DWARF names (symbols_lines) of the
 * addresses asked, per mapping whose names the profile would keep: half
 * of them, then all, as a profile asks its call sites, then their
 * functions' entries, the sections inflated for the first kept for the
 * second (symbols_lines_hold). */
static void lines(symbolizer *s, const answers *a)
{
    uint64_t addrs[NQUERY];
    symbols_lines_hold(s, true);
    for (size_t i = 0; i < a->nmaps; i++) {
        const hp_mapping *m = symbols_mapping(s, i);
        size_t n = 0;
        for (int q = 0; q < NQUERY; q++)
            if (a->addr[q] >= m->start && a->addr[q] < m->limit)
                addrs[n++] = a->addr[q];
        if (!n || !symbols_keep_names(s, i))
            continue;
        qsort(addrs, n, sizeof *addrs, cmp_u64);
        lines_of(s, i, addrs, (n + 1) / 2);
        lines_of(s, i, addrs, n);
    }
    symbols_lines_hold(s, false);
}

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
    lines(s, a);
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
/* The maps file: path mapped three times, as a program's text, rodata
 * and a library's text, and once deleted. */
static void write_maps(const char *path)
{
    char maps[1024];
    int n = snprintf(maps, sizeof maps,
                     "400000-402000 r-xp 00000000 08:01 1 %s\n"
                     "402000-403000 r--p 00002000 08:01 1 %s\n"
                     "500000-510000 r-xp 00001000 08:01 1 %s\n"
                     "600000-601000 r-xp 00002000 08:01 1 %s (deleted)\n",
                     path, path, path, path);
    write_file(maps_path, maps, (size_t)n);
}

enum { STRIPPED_LOADS = 8 };

/* A stripped binary whose debug file is the input (size bytes at data),
 * by build-id id (hex), into bin_path: an ELF header, the input's PT_LOADs
 * (so addresses map to the input's own, below; one over the first 16 MiB
 * where it has none), a PT_NOTE and a .note.gnu.build-id section holding the
 * build-id, and .shstrtab.  No .symtab, no DWARF: symbols.c then reads
 * both from the input. */
static void stripped_for(const uint8_t *data, size_t size, const char *id)
{
    static const char shstr[] = "\0.note.gnu.build-id\0.shstrtab";
    unsigned char img[4096] = { 0 };
    Elf64_Ehdr in, eh = { .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                          .e_phoff = sizeof eh, .e_ehsize = sizeof eh,
                          .e_phentsize = sizeof(Elf64_Phdr), .e_shentsize = sizeof(Elf64_Shdr),
                          .e_shnum = 3, .e_shstrndx = 2 };
    Elf64_Phdr ph[STRIPPED_LOADS + 1];
    size_t nph = 0, idlen = strlen(id) / 2;
    if (size >= sizeof in) {
        memcpy(&in, data, sizeof in);
        for (size_t i = 0; i < in.e_phnum && nph < STRIPPED_LOADS; i++) {
            uint64_t off = in.e_phoff + i * (uint64_t)sizeof(Elf64_Phdr);
            if (in.e_phentsize != sizeof(Elf64_Phdr) || in.e_phoff > size ||
                off + sizeof(Elf64_Phdr) > size)
                break;
            Elf64_Phdr *l = &ph[nph];
            memcpy(l, data + off, sizeof *l);
            /* A debug file's loads hold no bytes (NOBITS), and its code's
             * offsets are not the binary's: here each lies at its address
             * modulo 64 KiB, inside what the maps map, its memory size
             * all file. */
            l->p_offset = l->p_vaddr & 0xffff;
            l->p_filesz = l->p_filesz > l->p_memsz ? l->p_filesz : l->p_memsz;
            nph += l->p_type == PT_LOAD;
        }
    }
    if (!nph)
        ph[nph++] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_filesz = 16 << 20,
                                  .p_memsz = 16 << 20, .p_align = 0x1000 };
    /* The note after the headers, then .shstrtab, then the section headers. */
    uint64_t note = sizeof eh + (nph + 1) * sizeof(Elf64_Phdr);
    Elf64_Nhdr nh = { 4, (Elf64_Word)idlen, NT_GNU_BUILD_ID };
    uint64_t notelen = sizeof nh + 4 + ((idlen + 3) & ~(size_t)3);
    uint64_t str = note + notelen, shoff = (str + sizeof shstr + 7) & ~(uint64_t)7;
    CHECK(shoff + 3 * sizeof(Elf64_Shdr) <= sizeof img);
    ph[nph++] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = note,
                              .p_filesz = notelen, .p_align = 4 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_phnum = (Elf64_Half)nph;
    eh.e_shoff = shoff;
    memcpy(img, &eh, sizeof eh);
    memcpy(img + sizeof eh, ph, nph * sizeof *ph);
    memcpy(img + note, &nh, sizeof nh);
    memcpy(img + note + sizeof nh, "GNU", 4);
    for (size_t i = 0; i < idlen; i++) {
        unsigned byte;
        CHECK(sscanf(id + 2 * i, "%2x", &byte) == 1);
        img[note + sizeof nh + 4 + i] = (unsigned char)byte;
    }
    memcpy(img + str, shstr, sizeof shstr);
    Elf64_Shdr sh[3] = {
        { 0 },
        { .sh_name = 1, .sh_type = SHT_NOTE, .sh_flags = SHF_ALLOC, .sh_offset = note,
          .sh_size = notelen, .sh_addralign = 4 },
        { .sh_name = 21, .sh_type = SHT_STRTAB, .sh_offset = str, .sh_size = sizeof shstr },
    };
    memcpy(img + shoff, sh, sizeof sh);
    write_file(bin_path, img, shoff + sizeof sh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char input_id[2 * 200 + 1]; /* its build-id, when it has a debug copy */
    setup_once();
    if (size > (1 << 20))
        return 0;
    write_file(elf_path, data, size);
    write_maps(elf_path);
    symbolizer *s = symbols_new();
    CHECK(s != NULL);
    symbols_set_debug_dirs(s, dir);
    /* The build-id is read at refresh, the symbols (and the debug file)
     * only at the first lookup: the copy is in place by then. */
    drop_debug_copy();
    if (symbols_refresh(s, maps_path) == 0 && symbols_mapping_count(s) > 0) {
        const char *id = symbols_mapping(s, 0)->build_id;
        if (strlen(id) < sizeof input_id &&
            debugfile_build_id_path(debug_copy, sizeof debug_copy, dir, strlen(dir), id)) {
            strcpy(input_id, id);
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
    /* The input as the debug file of a stripped binary of its build-id. */
    if (debug_copy[0]) {
        stripped_for(data, size, input_id);
        symbolizer *b = symbols_new();
        CHECK(b != NULL);
        symbols_set_debug_dirs(b, dir);
        write_maps(bin_path);
        refresh_twice(b);
        symbols_free(b);
    }
    symbols_free(s);
    return 0;
}
#endif
