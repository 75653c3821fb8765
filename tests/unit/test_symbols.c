/*
 * test_symbols.c - the symbolizer against this very process, against a
 * synthetic ELF whose every symbol and note is known, and against handcrafted
 * maps files pointing at copied, truncated, corrupted and fuzzed ELFs.
 *
 * Expected values come from independent sources: the build-id from the
 * loaded image's PT_NOTE in memory (dl_iterate_phdr), function addresses
 * from the compiler, return addresses from __builtin_return_address.  The
 * test binary must keep its .symtab (CMake's Debug/RelWithDebInfo do).
 * Without sanitizers the allocator is wrapped to fail on demand.
 *
 * Scratch files live in a mkdtemp directory removed by the group teardown.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <link.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem.h"
#include "stacks.h"
#include "symbols.h"

/* ---- allocation failure injection --------------------------------------
 * The profiler's heap (src/mem.h), where every block of the symbolizer
 * comes from, fails its Nth allocation on request: fail_at(k) fails the
 * (k+1)th from now, fail_seen() ends the countdown and says whether it
 * fired.  Under sanitizers and valgrind too. */
static void fail_at(long k) { mem_fail_after((unsigned long)k + 1); }
static int fail_seen(void) { return mem_fail_after(0) == 0; }

/* ---- fixtures ----------------------------------------------------------- */

static char tmpdir[] = "/tmp/hp_symtest.XXXXXX";
static char exe[PATH_MAX];

static uintptr_t recorded_ra;

/* Records an address strictly inside its caller. */
__attribute__((noinline)) static void record_return_address(void)
{
    recorded_ra = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

/* Static, so only .symtab names it. */
__attribute__((noinline)) static int hp_test_static_target(int n)
{
    volatile int acc = 0;
    record_return_address();
    for (int i = 0; i < n; i++)
        acc += i * 3;
    return acc;
}

static int (*volatile static_target)(int) = hp_test_static_target;
static pid_t (*volatile getpid_ptr)(void) = getpid;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || !mkdtemp(tmpdir))
        return -1;
    exe[n] = '\0';
    static_target(3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* Copies at most max bytes of src to dst. */
static void copy_prefix(const char *src, const char *dst, size_t max)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while (max > 0 && (n = fread(buf, 1, max < sizeof buf ? max : sizeof buf, in)) > 0) {
        assert_int_equal(fwrite(buf, 1, n, out), n);
        max -= n;
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The main program's build-id, read from its notes in memory. */
static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    char *out = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        size_t align = ph->p_align == 8 ? 8 : 4;
        while (end - p >= (ptrdiff_t)sizeof(ElfW(Nhdr))) {
            ElfW(Nhdr) nh;
            memcpy(&nh, p, sizeof nh);
            const unsigned char *name = p + sizeof nh;
            const unsigned char *desc = name + ((nh.n_namesz + align - 1) & ~(align - 1));
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                for (size_t k = 0; k < nh.n_descsz; k++)
                    sprintf(out + 2 * k, "%02x", desc[k]);
                return 1;
            }
            p = desc + ((nh.n_descsz + align - 1) & ~(align - 1));
        }
    }
    return 1; /* the first object reported is the main program */
}

static void memory_build_id(char *out)
{
    out[0] = '\0';
    dl_iterate_phdr(phdr_cb, out);
}

/* Writes a maps file with the given text; returns its path in out. */
static void write_maps(char *out, size_t cap, const char *name, const char *text)
{
    tmp_path(out, cap, name);
    write_file(out, text, strlen(text));
}

/* The live mapping of this executable's code (after a self refresh). */
static const hp_mapping *self_text(symbolizer *s)
{
    long i = symbols_find_mapping(s, (uintptr_t)static_target);
    assert_true(i >= 0);
    return symbols_mapping(s, (size_t)i);
}

/* A symbolizer over this process's maps, this binary's text mapping, and
 * its build-id copied to id (the mapping's strings last only until the
 * next refresh). */
static symbolizer *self_symbolizer(hp_mapping *live, char *id, size_t cap)
{
    symbolizer *s = symbols_new();
    assert_non_null(s);
    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
    *live = *self_text(s);
    snprintf(id, cap, "%s", live->build_id);
    return s;
}

/* ---- tests -------------------------------------------------------------- */

static void test_empty_symbolizer(void **state)
{
    (void)state;
    symbolizer *s = symbols_new();
    assert_non_null(s);
    assert_int_equal(symbols_mapping_count(s), 0);
    assert_null(symbols_mapping(s, 0));
    assert_int_equal(symbols_find_mapping(s, (uintptr_t)static_target), -1);
    assert_null(symbols_func_name(s, (uintptr_t)static_target));
    assert_int_equal(symbols_refresh(s, "/nonexistent/maps"), ENOENT);
    symbols_free(s);
    symbols_free(NULL);
}

static void test_self_maps_finds_executable(void **state)
{
    (void)state;
    symbolizer *s = symbols_new();
    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
    size_t n = symbols_mapping_count(s);
    assert_true(n >= 2); /* at least this program and libc */
    for (size_t i = 0; i < n; i++) {
        const hp_mapping *m = symbols_mapping(s, i);
        assert_true(m->start < m->limit);
        assert_int_equal(m->path[0], '/');
        if (i > 0)
            assert_true(symbols_mapping(s, i - 1)->start < m->start);
        assert_int_equal(symbols_find_mapping(s, m->start), (long)i);
        assert_int_equal(symbols_find_mapping(s, m->limit - 1), (long)i);
    }
    assert_null(symbols_mapping(s, n));
    assert_int_equal(symbols_find_mapping(s, 0), -1);

    const hp_mapping *m = self_text(s);
    assert_string_equal(m->path, exe);
    assert_true(m->start <= (uintptr_t)static_target && (uintptr_t)static_target < m->limit);
    /* The main program's mapping, by its entry point; or by an address a
     * test names, and none outside every mapping. */
    assert_ptr_equal(symbols_mapping(s, (size_t)symbols_main_mapping(s)), m);
    symbols_set_main(s, symbols_mapping(s, n - 1)->start);
    assert_int_equal(symbols_main_mapping(s), (long)(n - 1));
    symbols_set_main(s, 0);
    assert_int_equal(symbols_main_mapping(s), -1);

    char want[256];
    memory_build_id(want);
    assert_true(strlen(want) >= 16);
    assert_string_equal(m->build_id, want);
    assert_int_equal(strspn(m->build_id, "0123456789abcdef"), strlen(m->build_id));

    const hp_mapping *libc = symbols_mapping(s, (size_t)symbols_find_mapping(s, (uintptr_t)getpid_ptr));
    assert_non_null(strstr(libc->path, "libc"));
    assert_true(strlen(libc->build_id) >= 16);
    symbols_free(s);
}

static void test_self_function_names(void **state)
{
    (void)state;
    symbolizer *s = symbols_new();
    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);

    /* static: must come from .symtab */
    assert_string_equal(symbols_func_name(s, (uintptr_t)static_target), "hp_test_static_target");
    assert_true(recorded_ra > (uintptr_t)static_target);
    assert_string_equal(symbols_func_name(s, recorded_ra), "hp_test_static_target");
    assert_string_equal(symbols_func_name(s, recorded_ra - 1), "hp_test_static_target");
    assert_string_equal(symbols_func_name(s, (uintptr_t)record_return_address),
                        "record_return_address");
    assert_string_equal(symbols_func_name(s, (uintptr_t)test_self_function_names),
                        "test_self_function_names");

    /* libc, exported under both getpid (weak) and __getpid (global) */
    assert_string_equal(symbols_func_name(s, (uintptr_t)getpid_ptr), "getpid");
    assert_string_equal(symbols_func_name(s, (uintptr_t)getpid_ptr + 1), "getpid");
    assert_null(symbols_func_name(s, 0));
    assert_null(symbols_func_name(s, UINT64_MAX));
    /* The marker frame of merged stacks (stacks.h), as the encoder asks:
     * its return address less one; no mapping holds it. */
    assert_string_equal(symbols_func_name(s, STACKS_MERGED_PC - 1), "[other stacks]");
    assert_int_equal(symbols_find_mapping(s, STACKS_MERGED_PC - 1), -1);
    symbols_free(s);
}

/* A newline in a mapped file's name: maps prints it as "\012" (and a
 * backslash as is).  The file is named from disk, with its build-id, under
 * its own name; a file whose name holds "\012" itself keeps it. */
static void test_newline_in_path(void **state)
{
    (void)state;
    char want_id[256];
    hp_mapping live;
    symbolizer *s = self_symbolizer(&live, want_id, sizeof want_id);
    char nl[PATH_MAX], lit[PATH_MAX], maps[PATH_MAX];
    tmp_path(nl, sizeof nl, "lib\nnl.so");
    tmp_path(lit, sizeof lit, "lit\\012.so");
    copy_prefix(exe, nl, SIZE_MAX);
    copy_prefix(exe, lit, SIZE_MAX);
    const uint64_t a = 0x7f8000000000, b = 0x7f9000000000, len = live.limit - live.start;
    char text[3 * PATH_MAX];
    snprintf(text, sizeof text,
             "%" PRIx64 "-%" PRIx64 " r-xp %08" PRIx64 " 08:02 1234 %s/lib\\012nl.so\n"
             "%" PRIx64 "-%" PRIx64 " r-xp %08" PRIx64 " 08:02 1235 %s\n",
             a, a + len, live.offset, tmpdir, b, b + len, live.offset, lit);
    write_maps(maps, sizeof maps, "newline.maps", text);
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_int_equal(symbols_mapping_count(s), 2);
    const hp_mapping *m = symbols_mapping(s, 0);
    assert_string_equal(m->path, nl);
    assert_string_equal(m->build_id, want_id);
    assert_string_equal(symbols_func_name(s, a + ((uintptr_t)static_target - live.start)),
                        "hp_test_static_target");
    m = symbols_mapping(s, 1);
    assert_string_equal(m->path, lit);
    assert_string_equal(m->build_id, want_id);
    symbols_free(s);
}

/* A program or library replaced on disk (renamed over) before the first
 * profile: maps shows "PATH (deleted)".  It is read through the kernel's
 * link to what is mapped, /proc/self/map_files (where the process may open
 * it): its names, its build-id, its path without the suffix, as when an
 * entry was made before it went (test_deleted_keeps_entry); and again at
 * the next refresh. */
static void test_deleted_first(void **state)
{
    (void)state;
    char want_id[256];
    hp_mapping live;
    symbolizer *s = self_symbolizer(&live, want_id, sizeof want_id);
    symbols_free(s);
    char path[PATH_MAX], via[96];
    tmp_path(path, sizeof path, "replaced");
    copy_prefix(exe, path, SIZE_MAX);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    const uint64_t len = live.limit - live.start;
    char *at = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (off_t)live.offset);
    assert_true(at != MAP_FAILED);
    close(fd);
    /* The new file under the name, the mapped one unlinked. */
    char next[PATH_MAX];
    tmp_path(next, sizeof next, "replaced.new");
    write_file(next, "not elf", 7);
    assert_int_equal(rename(next, path), 0);
    snprintf(via, sizeof via, "/proc/self/map_files/%" PRIxPTR "-%" PRIxPTR, (uintptr_t)at,
             (uintptr_t)at + len);
    int vfd = open(via, O_RDONLY);
    if (vfd < 0) {
        munmap(at, len);
        skip(); /* no CAP_SYS_ADMIN / CAP_CHECKPOINT_RESTORE: names are lost */
    }
    close(vfd);
    s = symbols_new();
    for (int round = 0; round < 2; round++) {
        assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
        long i = symbols_find_mapping(s, (uintptr_t)at);
        assert_true(i >= 0);
        const hp_mapping *m = symbols_mapping(s, (size_t)i);
        assert_string_equal(m->path, path);
        assert_string_equal(m->build_id, want_id);
        assert_string_equal(
            symbols_func_name(s, (uintptr_t)at + ((uintptr_t)static_target - live.start)),
            "hp_test_static_target");
    }
    symbols_free(s);
    munmap(at, len);
}

static void test_handcrafted_maps(void **state)
{
    (void)state;
    char want_id[256];
    hp_mapping live;
    symbolizer *s = self_symbolizer(&live, want_id, sizeof want_id);

    /* A copy of this binary under a path with spaces, mapped at a fake base
     * with the real layout: names must survive the relocation. */
    char dir[PATH_MAX], copy[PATH_MAX + 32], gone[PATH_MAX], maps[PATH_MAX];
    tmp_path(dir, sizeof dir, "dir with spaces");
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(copy, sizeof copy, "%s/copy of exe", dir);
    copy_prefix(exe, copy, SIZE_MAX);
    /* The kernel marks unlinked files with this suffix.  Even when a file of
     * that literal name exists, it is not the one that was mapped. */
    tmp_path(gone, sizeof gone, "libgone.so");
    char deleted[PATH_MAX + 16];
    snprintf(deleted, sizeof deleted, "%s (deleted)", gone);
    copy_prefix(exe, deleted, SIZE_MAX);

    char longpath[6000];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';

    const uint64_t base = 0x7f8000000000;
    const uint64_t len = live.limit - live.start;
    size_t cap = 16384;
    char *text = malloc(cap);
    assert_non_null(text);
    int k = snprintf(text, cap,
        "7f0000500000-7f0000600000 r-xp 00000000 08:02 99    %s (deleted)\n"
        "garbage line\n"
        "\n"
        "%" PRIx64 "-%" PRIx64 " r-xp %08" PRIx64 " 08:02 1234                       %s\n"
        "%" PRIx64 "-%" PRIx64 " rw-p %08" PRIx64 " 08:02 1234                       %s\n"
        "00e03000-00e24000 rw-p 00000000 00:00 0                          [heap]\n"
        "7f0000000000-7f0000001000 r-xp 00000000 00:00 0 \n"
        "7f0000100000-7f0000100000 r-xp 00000000 08:02 5 /empty/range.so\n"
        "7f0000200000-7f0000100000 r-xp 00000000 08:02 5 /backwards.so\n"
        "7f0000300000-7f0000400000 r-xp 00000000 08:02 99    /nonexistent/libnothere.so\n"
        "7f0000400000-7f0000401000 r-xp 00000000 08:02\n"
        "7f0000401000-7f0000402000 rxp 00000000 08:02 7 /short/perms.so\n"
        "zz0000-7f0000403000 r-xp 00000000 08:02 7 /bad/hex.so\n"
        "7f0000403000-7f0000404000 r-xp 00000000 08:02 12x /bad/inode.so\n"
        "7f0000404000-7f0000405000 r-xp 00000000 08:02 7 relative/path.so\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
        "7f0000600000-7f0000601000 r-xp fff00000000 08:02 1234 %s\n"
        "7f0000700000-7f0000800000 r-xp 00000000 08:02 7 %s",
        gone, base, base + len, live.offset, copy,
        base + len, base + len + 0x1000, live.offset + len, copy, copy, longpath);
    assert_true(k > 0 && (size_t)k < cap);
    write_maps(maps, sizeof maps, "handcrafted.maps", text);
    free(text);

    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_int_equal(symbols_mapping_count(s), 5);
    const hp_mapping *m = symbols_mapping(s, 0);
    assert_int_equal(m->start, 0x7f0000300000);
    assert_int_equal(m->limit, 0x7f0000400000);
    assert_string_equal(m->path, "/nonexistent/libnothere.so");
    assert_string_equal(m->build_id, "");

    m = symbols_mapping(s, 1);
    assert_int_equal(m->start, 0x7f0000500000);
    assert_string_equal(m->path, deleted);
    assert_string_equal(m->build_id, "");

    /* Same file as the last mapping, at an offset outside every segment. */
    const hp_mapping *odd = symbols_mapping(s, 2);
    assert_int_equal(odd->start, 0x7f0000600000);
    assert_int_equal(odd->offset, 0xfff00000000);

    m = symbols_mapping(s, 3);
    assert_int_equal(m->start, 0x7f0000700000);
    assert_string_equal(m->path, longpath);
    assert_string_equal(m->build_id, "");

    m = symbols_mapping(s, 4);
    assert_int_equal(m->start, base);
    assert_int_equal(m->limit, base + len);
    assert_int_equal(m->offset, live.offset);
    assert_string_equal(m->path, copy);
    assert_string_equal(m->build_id, want_id);
    assert_ptr_equal(odd->path, m->path); /* one cache entry per file */
    assert_ptr_equal(odd->build_id, m->build_id);

    assert_int_equal(symbols_find_mapping(s, base + len), -1);
    assert_int_equal(symbols_find_mapping(s, 0x7f0000601000), -1);
    assert_int_equal(symbols_find_mapping(s, 0x7f00003fffff), 0);
    assert_int_equal(symbols_find_mapping(s, 0x7f00005fffff), 1);

    uint64_t fn = base + ((uintptr_t)static_target - live.start);
    assert_string_equal(symbols_func_name(s, fn), "hp_test_static_target");
    assert_string_equal(symbols_func_name(s, base + (recorded_ra - live.start)),
                        "hp_test_static_target");
    assert_null(symbols_func_name(s, 0x7f0000300000));
    assert_null(symbols_func_name(s, 0x7f0000380000));
    assert_null(symbols_func_name(s, 0x7f0000500010)); /* deleted: not opened */
    assert_null(symbols_func_name(s, 0x7f0000600010)); /* in no PT_LOAD */
    assert_null(symbols_func_name(s, 0x7f0000700010));
    symbols_free(s);
}

/* Maps file with one executable mapping of path at 0x10000-0x50000. */
static void expect_unusable(const char *path, const char *maps_name)
{
    char text[PATH_MAX + 128], maps[PATH_MAX];
    snprintf(text, sizeof text, "10000-50000 r-xp 00000000 08:02 1 %s\n", path);
    write_maps(maps, sizeof maps, maps_name, text);
    symbolizer *s = symbols_new();
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_int_equal(symbols_mapping_count(s), 1);
    assert_string_equal(symbols_mapping(s, 0)->path, path);
    assert_string_equal(symbols_mapping(s, 0)->build_id, "");
    for (uint64_t a = 0x10000; a < 0x50000; a += 0x777)
        assert_null(symbols_func_name(s, a));
    symbols_free(s);
}

static void test_corrupt_elf_files(void **state)
{
    (void)state;
    char p[PATH_MAX];

    tmp_path(p, sizeof p, "prefix100");
    copy_prefix(exe, p, 100);
    expect_unusable(p, "prefix100.maps");

    tmp_path(p, sizeof p, "empty");
    write_file(p, "", 0);
    expect_unusable(p, "empty.maps");

    tmp_path(p, sizeof p, "random");
    unsigned char junk[8192];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rand();
    write_file(p, junk, sizeof junk);
    expect_unusable(p, "random.maps");

    /* A valid-looking ELF header whose tables point far outside the file. */
    Elf64_Ehdr eh;
    memset(&eh, 0, sizeof eh);
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_phoff = UINT64_MAX - 8;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 0xfffe;
    eh.e_shoff = 0x7fffffffffffffff;
    eh.e_shentsize = 0xffff;
    eh.e_shnum = 0;
    tmp_path(p, sizeof p, "bad_offsets");
    write_file(p, &eh, sizeof eh);
    expect_unusable(p, "bad_offsets.maps");

    /* Headers in range, but a note and a symbol table that overrun. */
    struct {
        Elf64_Ehdr eh;
        Elf64_Phdr ph[2];
        Elf64_Shdr sh[3];
        Elf64_Nhdr nh;
        char tail[8];
    } img;
    memset(&img, 0, sizeof img);
    img.eh = eh;
    img.eh.e_phoff = offsetof(__typeof__(img), ph);
    img.eh.e_phnum = 2;
    img.eh.e_shoff = offsetof(__typeof__(img), sh);
    img.eh.e_shentsize = sizeof(Elf64_Shdr);
    img.eh.e_shnum = 3;
    img.ph[0].p_type = PT_NOTE;
    img.ph[0].p_offset = offsetof(__typeof__(img), nh);
    img.ph[0].p_filesz = sizeof img.nh + sizeof img.tail;
    img.nh.n_namesz = 4;
    img.nh.n_descsz = 0xfffffff0; /* runs off the end */
    img.nh.n_type = NT_GNU_BUILD_ID;
    memcpy(img.tail, "GNU", 4);
    img.ph[1].p_type = PT_LOAD;
    img.ph[1].p_flags = PF_R | PF_X;
    img.ph[1].p_filesz = sizeof img;
    img.sh[1].sh_type = SHT_SYMTAB;
    img.sh[1].sh_offset = 0;
    img.sh[1].sh_size = 1u << 30;
    img.sh[1].sh_entsize = sizeof(Elf64_Sym);
    img.sh[1].sh_link = 2;
    img.sh[2].sh_type = SHT_STRTAB;
    img.sh[2].sh_size = UINT64_MAX;
    tmp_path(p, sizeof p, "overrun");
    write_file(p, &img, sizeof img);
    expect_unusable(p, "overrun.maps");
    img.sh[1].sh_link = 7; /* out of range link */
    img.sh[1].sh_size = sizeof img;
    tmp_path(p, sizeof p, "badlink");
    write_file(p, &img, sizeof img);
    expect_unusable(p, "badlink.maps");

    expect_unusable(tmpdir, "dir.maps"); /* not a regular file */
    expect_unusable("/dev/null", "devnull.maps");
}

/* ---- a synthetic ELF with exactly known contents -------------------------
 * Code: file 0x1000-0x2000 at vaddr 0x401000, data: file 0x2000 at 0x603000.
 * Section headers use a 72-byte stride and .dynsym a 32-byte one, as the
 * format allows. */
enum { SYN_SIZE = 0x3000, SYN_SHENT = 72, SYN_DYNENT = 32 };

static void put(unsigned char *img, size_t off, const void *src, size_t len)
{
    assert_true(off + len <= SYN_SIZE);
    memcpy(img + off, src, len);
}

static void put_sym(unsigned char *img, size_t off, uint32_t name, unsigned type,
                    unsigned bind, uint16_t shndx, uint64_t value, uint64_t size)
{
    Elf64_Sym y = { .st_name = name, .st_info = ELF64_ST_INFO(bind, type),
                    .st_shndx = shndx, .st_value = value, .st_size = size };
    put(img, off, &y, sizeof y);
}

static void put_shdr(unsigned char *img, int i, uint32_t type, uint64_t off,
                     uint64_t size, uint32_t link, uint64_t entsize)
{
    Elf64_Shdr sh = { .sh_type = type, .sh_offset = off, .sh_size = size,
                      .sh_link = link, .sh_entsize = entsize };
    put(img, 0x2800 + (size_t)i * SYN_SHENT, &sh, sizeof sh);
}

static unsigned char *synthetic_elf(void)
{
    unsigned char *img = calloc(1, SYN_SIZE);
    assert_non_null(img);
    Elf64_Ehdr eh = { .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                      .e_phoff = 64, .e_shoff = 0x2800, .e_ehsize = sizeof eh,
                      .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3,
                      .e_shentsize = SYN_SHENT, .e_shnum = 5 };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    put(img, 0, &eh, sizeof eh);
    Elf64_Phdr ph[3] = {
        { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x1000,
          .p_vaddr = 0x401000, .p_filesz = 0x1000, .p_memsz = 0x1000, .p_align = 0x1000 },
        { .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x2000,
          .p_vaddr = 0x603000, .p_filesz = 0x800, .p_memsz = 0x900, .p_align = 0x1000 },
        { .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x200,
          .p_filesz = 2 * 16 + 16 + 20, .p_align = 4 },
    };
    put(img, 64, ph, sizeof ph);

    /* A note to skip, its descriptor padded from 13 to 16 bytes, then the
     * build-id 01 02 ... 14. */
    Elf64_Nhdr abi = { 4, 13, NT_GNU_ABI_TAG }, bid = { 4, 20, NT_GNU_BUILD_ID };
    put(img, 0x200, &abi, sizeof abi);
    put(img, 0x20c, "GNU", 4);
    put(img, 0x220, &bid, sizeof bid);
    put(img, 0x22c, "GNU", 4);
    for (unsigned char b = 1; b <= 20; b++)
        put(img, 0x22f + b, &b, 1);

    static const char strtab[] = "\0first\0label\0outer\0inner\0__alias_impl\0alias\0"
                                 "an_object\0undef\0ifunc_sym\0a\0V@@V_1\0_plain";
    enum { FIRST = 1, LABEL = 7, OUTER = 13, INNER = 19, IMPL = 25, ALIAS = 38,
           OBJ = 44, UNDEF = 54, IFUNC = 60, A = 70, VERSIONED = 72, PLAIN = 79 };
    put(img, 0x600, strtab, sizeof strtab);
    size_t y = 0x300 + sizeof(Elf64_Sym); /* entry 0 stays null */
    put_sym(img, y, FIRST, STT_FUNC, STB_GLOBAL, 1, 0x401000, 0x10), y += 24;
    put_sym(img, y, LABEL, STT_FUNC, STB_LOCAL, 1, 0x401100, 0), y += 24;
    put_sym(img, y, OUTER, STT_FUNC, STB_GLOBAL, 1, 0x401200, 0x100), y += 24;
    put_sym(img, y, INNER, STT_FUNC, STB_LOCAL, 1, 0x401210, 0x8), y += 24;
    put_sym(img, y, IMPL, STT_FUNC, STB_GLOBAL, 1, 0x401400, 0x20), y += 24;
    put_sym(img, y, ALIAS, STT_FUNC, STB_WEAK, 1, 0x401400, 0x20), y += 24;
    put_sym(img, y, OBJ, STT_OBJECT, STB_GLOBAL, 1, 0x401500, 0x100), y += 24;
    put_sym(img, y, UNDEF, STT_FUNC, STB_GLOBAL, SHN_UNDEF, 0x401600, 0x10), y += 24;
    put_sym(img, y, IFUNC, STT_GNU_IFUNC, STB_GLOBAL, 1, 0x401700, 0x10), y += 24;
    put_sym(img, y, 0xffff, STT_FUNC, STB_GLOBAL, 1, 0x401800, 0x10), y += 24;
    put_sym(img, y, FIRST, STT_FUNC, STB_GLOBAL, 1, 0, 0x10), y += 24;
    put_sym(img, y, A, STT_FUNC, STB_GLOBAL, 1, 0x401200, 0), y += 24; /* loses to outer */
    /* A versioned definition named twice, as a libc debug file's .symtab
     * names __libc_start_main@@GLIBC_2.34 and __libc_start_main: the plain
     * name wins, though every later rule (underscores, binding, the name
     * itself) would take the versioned one. */
    put_sym(img, y, VERSIONED, STT_FUNC, STB_GLOBAL, 1, 0x401a00, 0x10), y += 24;
    put_sym(img, y, PLAIN, STT_FUNC, STB_LOCAL, 1, 0x401a00, 0x10), y += 24;

    static const char dynstr[] = "\0dyn_only\0first";
    put(img, 0x780, dynstr, sizeof dynstr);
    put_sym(img, 0x700 + SYN_DYNENT, 1, STT_FUNC, STB_GLOBAL, 1, 0x401900, 0x10);
    put_sym(img, 0x700 + 2 * SYN_DYNENT, 10, STT_FUNC, STB_GLOBAL, 1, 0x401000, 0x10);

    put_shdr(img, 1, SHT_SYMTAB, 0x300, y - 0x300, 2, sizeof(Elf64_Sym));
    put_shdr(img, 2, SHT_STRTAB, 0x600, sizeof strtab, 0, 0);
    put_shdr(img, 3, SHT_DYNSYM, 0x700, 3 * SYN_DYNENT, 4, SYN_DYNENT);
    put_shdr(img, 4, SHT_STRTAB, 0x780, sizeof dynstr, 0, 0);
    return img;
}

static void test_synthetic_elf(void **state)
{
    (void)state;
    unsigned char *img = synthetic_elf();
    char p[PATH_MAX], maps[PATH_MAX], text[3 * PATH_MAX + 256];
    tmp_path(p, sizeof p, "synthetic.so");
    write_file(p, img, SYN_SIZE);
    /* Code at a random-looking base; headers and data mapped executable too
     * (as a hostile or odd maps file might claim). */
    snprintf(text, sizeof text,
             "7f1234560000-7f1234561000 r-xp 00001000 08:02 1 %s\n"
             "7f1234561000-7f1234562000 r-xp 00000000 08:02 1 %s\n"
             "7f1234562000-7f1234563000 r-xp 00002000 08:02 1 %s\n", p, p, p);
    write_maps(maps, sizeof maps, "synthetic.maps", text);
    symbolizer *s = symbols_new();
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_int_equal(symbols_mapping_count(s), 3);
    assert_string_equal(symbols_mapping(s, 0)->build_id,
                        "0102030405060708090a0b0c0d0e0f1011121314");
#define AT(vaddr) (0x7f1234560000 + ((vaddr) - 0x401000))
    static const struct { uint64_t vaddr; const char *name; } want[] = {
        { 0x401000, "first" },  { 0x40100f, "first" },   { 0x401010, NULL },
        { 0x4010ff, NULL },     { 0x401100, "label" },   { 0x4011ff, "label" },
        { 0x401200, "outer" },  { 0x401210, "inner" },   { 0x401217, "inner" },
        { 0x401218, "outer" },  { 0x4012ff, "outer" },   { 0x401300, NULL },
        { 0x401400, "alias" },  { 0x40141f, "alias" },   { 0x401500, NULL },
        { 0x401600, NULL },     { 0x401700, "ifunc_sym" }, { 0x401800, NULL },
        { 0x401900, "dyn_only" }, { 0x401910, NULL },
        { 0x401a00, "_plain" }, { 0x401a0f, "_plain" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *got = symbols_func_name(s, AT(want[i].vaddr));
        if (want[i].name == NULL && got != NULL)
            fail_msg("%#" PRIx64 ": got %s, want no name", want[i].vaddr, got);
        else if (want[i].name)
            assert_string_equal(got, want[i].name);
    }
    assert_null(symbols_func_name(s, 0x7f1234561100)); /* headers: no PT_LOAD */
    assert_null(symbols_func_name(s, 0x7f1234562010)); /* data: no functions */
    symbols_free(s);

    /* The same image claiming another class or byte order is not parsed. */
    img[EI_CLASS] = ELFCLASS32;
    tmp_path(p, sizeof p, "synthetic32.so");
    write_file(p, img, SYN_SIZE);
    expect_unusable(p, "synthetic32.maps");
    img[EI_CLASS] = ELFCLASS64;
    img[EI_DATA] = ELFDATA2MSB;
    tmp_path(p, sizeof p, "syntheticbe.so");
    write_file(p, img, SYN_SIZE);
    expect_unusable(p, "syntheticbe.maps");
    free(img);
#undef AT
}

/* Cut anywhere, the binary still has to yield either the right answers or
 * none at all. */
static void test_truncated_copies(void **state)
{
    (void)state;
    char want_id[256];
    hp_mapping live;
    symbolizer *s = self_symbolizer(&live, want_id, sizeof want_id);
    symbols_free(s);

    struct stat st;
    assert_int_equal(stat(exe, &st), 0);
    for (int cut = 1; cut < 16; cut++) {
        char p[PATH_MAX], maps[PATH_MAX], text[PATH_MAX + 128], name[32];
        snprintf(name, sizeof name, "cut%d", cut);
        tmp_path(p, sizeof p, name);
        copy_prefix(exe, p, (size_t)st.st_size * (size_t)cut / 16);
        snprintf(text, sizeof text, "%" PRIx64 "-%" PRIx64 " r-xp %" PRIx64 " 08:02 1 %s\n",
                 live.start, live.limit, live.offset, p);
        strcat(name, ".maps");
        write_maps(maps, sizeof maps, name, text);
        s = symbols_new();
        assert_int_equal(symbols_refresh(s, maps), 0);
        const char *id = symbols_mapping(s, 0)->build_id;
        assert_true(id[0] == '\0' || strcmp(id, want_id) == 0);
        const char *fn = symbols_func_name(s, (uintptr_t)static_target);
        assert_true(fn == NULL || strcmp(fn, "hp_test_static_target") == 0);
        symbols_free(s);
    }
}

#ifndef HP_FUZZ_ITERS
#define HP_FUZZ_ITERS 300
#endif

/* Overwrites random bytes inside the given regions of orig, maps the result
 * at [start, limit) with file offset off, and looks up addresses across it:
 * no crash, no sanitizer report, and never an empty name. */
static void fuzz_image(const unsigned char *orig, size_t len, const uint64_t (*regions)[2],
                       int nregions, unsigned seed, uint64_t start, uint64_t limit,
                       uint64_t off, uint64_t step)
{
    unsigned char *img = malloc(len);
    assert_non_null(img);
    srand(seed);
    for (int iter = 0; iter < HP_FUZZ_ITERS; iter++) {
        memcpy(img, orig, len);
        for (int k = 0; k < 1 + iter % 8; k++) {
            const uint64_t *r = regions[rand() % nregions];
            if (r[0] + r[1] > len || r[1] == 0)
                continue;
            size_t at = r[0] + (size_t)rand() % r[1];
            img[at] = rand() % 4 ? (unsigned char)rand() : 0xff;
        }
        char p[PATH_MAX], maps[PATH_MAX], text[PATH_MAX + 128];
        tmp_path(p, sizeof p, "fuzzed");
        unlink(p); /* a new inode, so no cache could ever confuse versions */
        write_file(p, img, len);
        snprintf(text, sizeof text, "%" PRIx64 "-%" PRIx64 " r-xp %" PRIx64 " 08:02 1 %s\n",
                 start, limit, off, p);
        write_maps(maps, sizeof maps, "fuzzed.maps", text);
        symbolizer *s = symbols_new();
        assert_int_equal(symbols_refresh(s, maps), 0);
        assert_non_null(symbols_mapping(s, 0)->build_id);
        for (uint64_t a = start; a < limit; a += step) {
            const char *n = symbols_func_name(s, a);
            assert_true(n == NULL || n[0] != '\0');
        }
        symbols_free(s);
    }
    free(img);
}

/* Random damage to the headers and tables of this binary, and to every
 * meaningful byte of the synthetic image. */
static void test_fuzzed_headers(void **state)
{
    (void)state;
    size_t len;
    unsigned char *orig = (unsigned char *)read_whole(exe, &len);
    Elf64_Ehdr eh;
    memcpy(&eh, orig, sizeof eh);
    const uint64_t regions[3][2] = {
        { 0, sizeof eh },
        { eh.e_phoff, (uint64_t)eh.e_phnum * eh.e_phentsize },
        { eh.e_shoff, (uint64_t)eh.e_shnum * eh.e_shentsize },
    };
    fuzz_image(orig, len, regions, 3, 12345, 0x10000, 0x90000, 0, 0x1234);
    free(orig);

    orig = synthetic_elf();
    const uint64_t syn_regions[2][2] = { { 0, 0x800 }, { 0x2800, 5 * SYN_SHENT } };
    fuzz_image(orig, SYN_SIZE, syn_regions, 2, 54321, 0x7f1234560000, 0x7f1234561000,
               0x1000, 0x10);
    free(orig);
}

static void test_refresh_reuses_and_drops(void **state)
{
    (void)state;
    symbolizer *s = symbols_new();
    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
    const char *n1 = symbols_func_name(s, (uintptr_t)static_target);
    const char *g1 = symbols_func_name(s, (uintptr_t)getpid_ptr);
    const char *id1 = self_text(s)->build_id;
    const char *path1 = self_text(s)->path;
    assert_string_equal(n1, "hp_test_static_target");

    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
    /* Same strings: the file cache, loaded symbols included, was kept. */
    assert_ptr_equal(self_text(s)->build_id, id1);
    assert_ptr_equal(self_text(s)->path, path1);
    assert_ptr_equal(symbols_func_name(s, (uintptr_t)static_target), n1);
    assert_ptr_equal(symbols_func_name(s, (uintptr_t)getpid_ptr), g1);
    assert_string_equal(symbols_func_name(s, recorded_ra), "hp_test_static_target");

    /* A failed refresh keeps the previous snapshot. */
    size_t count = symbols_mapping_count(s);
    assert_int_equal(symbols_refresh(s, "/nonexistent/maps"), ENOENT);
    assert_int_equal(symbols_mapping_count(s), count);
    assert_ptr_equal(symbols_func_name(s, (uintptr_t)static_target), n1);

    /* Files no longer mapped are forgotten (ASan/valgrind see they are
     * freed, not leaked). */
    char maps[PATH_MAX];
    write_maps(maps, sizeof maps, "other.maps",
               "10000-20000 r-xp 00000000 08:02 1 /nonexistent/x.so\n");
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_int_equal(symbols_mapping_count(s), 1);
    assert_int_equal(symbols_find_mapping(s, (uintptr_t)static_target), -1);
    assert_null(symbols_func_name(s, (uintptr_t)static_target));
    assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
    assert_string_equal(symbols_func_name(s, (uintptr_t)static_target), "hp_test_static_target");
    symbols_free(s);
}

/* A file replaced on disk while mapped (renamed over: maps then says
 * "PATH (deleted)") keeps the entry it had while on disk, names and
 * build-id, when maps gives the same device and inode; a deleted mapping
 * of another inode is not that file and gets no names. */
static void test_deleted_keeps_entry(void **state)
{
    (void)state;
    char want_id[256];
    hp_mapping live;
    symbolizer *s = self_symbolizer(&live, want_id, sizeof want_id);
    char copy[PATH_MAX], other[PATH_MAX], maps[PATH_MAX], deleted[PATH_MAX + 16];
    char text[3 * PATH_MAX];
    tmp_path(copy, sizeof copy, "replaced exe");
    tmp_path(other, sizeof other, "replaced exe.new");
    copy_prefix(exe, copy, SIZE_MAX);
    snprintf(deleted, sizeof deleted, "%s (deleted)", copy);
    const uint64_t base = 0x7f9000000000, len = live.limit - live.start;
    const uint64_t fn = base + ((uintptr_t)static_target - live.start);
    const char *line = "%" PRIx64 "-%" PRIx64 " r-xp %08" PRIx64 " 08:02 %d %s\n";

    snprintf(text, sizeof text, line, base, base + len, live.offset, 4242, copy);
    write_maps(maps, sizeof maps, "ondisk.maps", text);
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_string_equal(symbols_func_name(s, fn), "hp_test_static_target");

    /* Another file under the name, as a package upgrade leaves it. */
    copy_prefix(exe, other, SIZE_MAX);
    assert_int_equal(rename(other, copy), 0);
    snprintf(text, sizeof text, line, base, base + len, live.offset, 4242, deleted);
    write_maps(maps, sizeof maps, "deleted.maps", text);
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_int_equal(symbols_mapping_count(s), 1);
    assert_string_equal(symbols_mapping(s, 0)->path, copy);
    assert_string_equal(symbols_mapping(s, 0)->build_id, want_id);
    assert_string_equal(symbols_func_name(s, fn), "hp_test_static_target");

    snprintf(text, sizeof text, line, base, base + len, live.offset, 4343, deleted);
    write_maps(maps, sizeof maps, "other_inode.maps", text);
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_string_equal(symbols_mapping(s, 0)->path, deleted);
    assert_string_equal(symbols_mapping(s, 0)->build_id, "");
    assert_null(symbols_func_name(s, fn));
    symbols_free(s);
}

/* Retired mappings (libraries since dlclose()d) join the snapshot only where
 * nothing executable is mapped now and no newer retired one lies; they are
 * named from the file on disk only while it is there with the recorded
 * build-id. */
static void test_retired_overlap_rule(void **state)
{
    (void)state;
    char want_id[256];
    hp_mapping live;
    symbolizer *s = self_symbolizer(&live, want_id, sizeof want_id);
    const uint64_t len = live.limit - live.start, fn = (uintptr_t)static_target - live.start;

    char copy[PATH_MAX], maps[PATH_MAX], text[2 * PATH_MAX + 256];
    tmp_path(copy, sizeof copy, "libretired.so");
    copy_prefix(exe, copy, SIZE_MAX);
    const uint64_t cur = 0x7f1000000000, old = 0x7f2000000000, other = 0x7f3000000000,
                   gone = 0x7f4000000000, jit = 0x7f5000000000;
    snprintf(text, sizeof text,
             "%" PRIx64 "-%" PRIx64 " r-xp %08" PRIx64 " 08:02 1234 %s\n"
             "%" PRIx64 "-%" PRIx64 " rwxp 00000000 00:00 0 \n",
             cur, cur + len, live.offset, copy, jit, jit + 0x10000);
    write_maps(maps, sizeof maps, "retired.maps", text);

    const hp_mapping retired[] = { /* newest first */
        { old, old + len, live.offset, copy, want_id },            /* kept, named */
        { cur + 0x1000, cur + len + 0x1000, live.offset, copy, want_id }, /* over current */
        { old - 0x1000, old + 0x1000, live.offset, copy, want_id }, /* over a newer one */
        { jit + 0x8000, jit + 0x18000, 0, copy, "" },               /* over anonymous code */
        { other, other + len, live.offset, copy, "00ff" },          /* another build now */
        { gone, gone + 0x4000, 0x1000, "/nonexistent/libgone.so", "abcd" }, /* file gone */
        { 0x7f6000000000, 0x7f6000001000, 0, "relative.so", "" },   /* not a path */
        { 0x7f7000001000, 0x7f7000001000, 0, copy, "" },            /* empty */
    };
    assert_int_equal(symbols_refresh_retired(s, maps, retired, 8), 0);
    assert_int_equal(symbols_mapping_count(s), 4);
    const uint64_t want_start[] = { cur, old, other, gone };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(symbols_mapping(s, i)->start, want_start[i]);

    /* The current mapping wins where a retired one overlapped it. */
    const hp_mapping *m = symbols_mapping(s, 0);
    assert_int_equal(m->limit, cur + len);
    assert_int_equal(symbols_find_mapping(s, cur + len), -1);
    assert_string_equal(symbols_func_name(s, cur + fn), "hp_test_static_target");
    assert_int_equal(symbols_find_mapping(s, jit + 0x10000), -1);

    m = symbols_mapping(s, 1);
    assert_int_equal(m->limit, old + len);
    assert_int_equal(m->offset, live.offset);
    assert_string_equal(m->path, copy);
    assert_string_equal(m->build_id, want_id);
    assert_int_equal(symbols_find_mapping(s, old - 1), -1);
    assert_string_equal(symbols_func_name(s, old + fn), "hp_test_static_target");

    m = symbols_mapping(s, 2); /* the file on disk is not the one recorded */
    assert_string_equal(m->path, copy);
    assert_string_equal(m->build_id, "00ff");
    assert_int_equal(symbols_find_mapping(s, other + fn), 2);
    assert_null(symbols_func_name(s, other + fn));
    assert_false(symbols_keep_names(s, 2));

    m = symbols_mapping(s, 3);
    assert_string_equal(m->path, "/nonexistent/libgone.so");
    assert_string_equal(m->build_id, "abcd");
    assert_int_equal(m->offset, 0x1000);
    assert_null(symbols_func_name(s, gone + 0x10));

    /* Retired mappings last one snapshot: the caller passes them each time. */
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_int_equal(symbols_mapping_count(s), 1);
    assert_int_equal(symbols_find_mapping(s, old + fn), -1);
    symbols_free(s);

    /* Out of memory anywhere: the whole snapshot or none of it. */
    long k;
    for (k = 0; k < 10000; k++) {
        s = symbols_new();
        assert_non_null(s);
        fail_at(k);
        int rc = symbols_refresh_retired(s, maps, retired, 8);
        int hit = fail_seen();
        assert_true(rc == 0 || rc == ENOMEM);
        assert_int_equal(symbols_mapping_count(s), rc ? 0 : 4);
        symbols_free(s);
        if (!hit)
            break;
    }
    assert_true(k > 0);
}

/* Fail the k-th allocation for every k: nothing may crash or leak, answers
 * are right or absent, and a later refresh recovers fully. */
static void test_allocation_failures(void **state)
{
    (void)state;
    char want_id[256];
    memory_build_id(want_id);
    long k;
    for (k = 0; k < 100000; k++) {
        fail_at(k);
        symbolizer *s = symbols_new();
        if (s) {
            int rc = symbols_refresh(s, "/proc/self/maps");
            assert_true(rc == 0 || rc == ENOMEM);
            const char *n = symbols_func_name(s, (uintptr_t)static_target);
            assert_true(n == NULL || strcmp(n, "hp_test_static_target") == 0);
            /* A name or build-id lost to memory is counted (dump.c says so). */
            bool lost = rc == 0 && (!n || !self_text(s)->build_id[0]);
            n = symbols_func_name(s, (uintptr_t)getpid_ptr);
            assert_true(n == NULL || strcmp(n, "getpid") == 0);
            lost |= rc == 0 && !n;
            if (lost)
                assert_true(symbols_lost(s) > 0);
        }
        if (!fail_seen()) {
            symbols_free(s);
            break;
        }
        if (s) {
            assert_int_equal(symbols_refresh(s, "/proc/self/maps"), 0);
            assert_string_equal(self_text(s)->build_id, want_id);
            assert_string_equal(symbols_func_name(s, (uintptr_t)static_target),
                                "hp_test_static_target");
            assert_string_equal(symbols_func_name(s, (uintptr_t)getpid_ptr), "getpid");
        }
        symbols_free(s);
    }
    assert_true(k > 10); /* the sweep did reach into the symbolizer */
}

/* ---- separate debug files (debugfile.h) -------------------------------- */

/* A copy of this executable at path, "stripped" in place: its .symtab
 * retyped PROGBITS (a symbol table no longer) and its .debug_* sections
 * renamed .xebug_* (DWARF no longer), all else as it was, so the build-id
 * and the layout are this binary's. */
static void stripped_copy(const char *path)
{
    size_t len;
    unsigned char *img = (unsigned char *)read_whole(exe, &len);
    Elf64_Ehdr eh;
    memcpy(&eh, img, sizeof eh);
    assert_true(eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) <= len);
    Elf64_Shdr strs;
    memcpy(&strs, img + eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof strs, sizeof strs);
    int symtabs = 0, dwarf = 0;
    for (int i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        unsigned char *at = img + eh.e_shoff + (uint64_t)i * sizeof sh;
        memcpy(&sh, at, sizeof sh);
        char *name = (char *)img + strs.sh_offset + sh.sh_name;
        if (sh.sh_type == SHT_SYMTAB) {
            sh.sh_type = SHT_PROGBITS;
            memcpy(at, &sh, sizeof sh);
            symtabs++;
        }
        if (!strncmp(name, ".debug_", 7)) {
            name[1] = 'x';
            dwarf++;
        }
    }
    assert_int_equal(symtabs, 1);
    assert_true(dwarf >= 2); /* RelWithDebInfo: -g */
    write_file(path, img, len);
    free(img);
}

/* This executable stripped, mapped where it is (a handcrafted maps line),
 * named from its separate debug file, a copy of it, found by build-id
 * under a debug directory; and not without that directory.  The sweep of
 * allocation failures passes through the debug file's reading. */
static void test_separate_debug_file(void **state)
{
    (void)state;
    char want_id[256];
    hp_mapping live;
    symbolizer *s = self_symbolizer(&live, want_id, sizeof want_id);
    symbols_free(s);
    char stripped[PATH_MAX], root[PATH_MAX], sub[PATH_MAX + 16], debug[PATH_MAX + 64];
    char maps[PATH_MAX], line[PATH_MAX + 128];
    tmp_path(stripped, sizeof stripped, "stripped");
    stripped_copy(stripped);
    tmp_path(root, sizeof root, "debugroot");
    snprintf(sub, sizeof sub, "%s/.build-id", root);
    assert_int_equal(mkdir(root, 0700), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof sub, "%s/.build-id/%.2s", root, want_id);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(debug, sizeof debug, "%s/%s.debug", sub, want_id + 2);
    copy_prefix(exe, debug, SIZE_MAX);
    snprintf(line, sizeof line, "%" PRIx64 "-%" PRIx64 " r-xp %08" PRIx64 " 08:02 77 %s\n",
             live.start, live.limit, live.offset, stripped);
    write_maps(maps, sizeof maps, "maps_stripped", line);

    /* Without debug directories: .dynsym only, no static function. */
    s = symbols_new();
    assert_int_equal(symbols_refresh(s, maps), 0);
    const char *n = symbols_func_name(s, (uintptr_t)static_target);
    assert_true(n == NULL || strcmp(n, "hp_test_static_target") != 0);
    assert_false(symbols_keep_names(s, 0));
    symbols_free(s);

    s = symbols_new();
    symbols_set_debug_dirs(s, root);
    assert_int_equal(symbols_refresh(s, maps), 0);
    assert_string_equal(symbols_mapping(s, 0)->build_id, want_id);
    assert_string_equal(symbols_func_name(s, (uintptr_t)static_target), "hp_test_static_target");
    assert_string_equal(symbols_func_name(s, recorded_ra), "hp_test_static_target");
    /* pprof would find nothing in the stripped file: the names are kept,
     * and the lines come from the debug file's DWARF. */
    assert_true(symbols_keep_names(s, 0));
    uint64_t ra = recorded_ra;
    symbols_line out;
    assert_int_equal(symbols_lines(s, 0, &ra, 1, &out), 0);
    assert_non_null(out.file);
    assert_non_null(strstr(out.file, "test_symbols.c"));
    assert_true(out.line > 0);
    symbols_free(s);

    long k;
    for (k = 0; k < 100000; k++) {
        fail_at(k);
        s = symbols_new();
        if (s) {
            symbols_set_debug_dirs(s, root);
            int rc = symbols_refresh(s, maps);
            assert_true(rc == 0 || rc == ENOMEM);
            n = rc ? NULL : symbols_func_name(s, (uintptr_t)static_target);
            assert_true(n == NULL || strcmp(n, "hp_test_static_target") == 0);
            if (rc == 0 && symbols_keep_names(s, 0)) {
                int lr = symbols_lines(s, 0, &ra, 1, &out);
                assert_true(lr == 0 || lr == ENOMEM);
                assert_true(!out.file || strstr(out.file, "test_symbols.c"));
            }
        }
        if (!fail_seen()) {
            symbols_free(s);
            break;
        }
        if (s) { /* what memory cost is read again at the next refresh */
            assert_int_equal(symbols_refresh(s, maps), 0);
            assert_string_equal(symbols_func_name(s, (uintptr_t)static_target),
                                "hp_test_static_target");
            assert_true(symbols_keep_names(s, 0));
            assert_int_equal(symbols_lines(s, 0, &ra, 1, &out), 0);
            assert_non_null(out.file);
        }
        symbols_free(s);
    }
    assert_true(k > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_symbolizer),
        cmocka_unit_test(test_self_maps_finds_executable),
        cmocka_unit_test(test_self_function_names),
        cmocka_unit_test(test_newline_in_path),
        cmocka_unit_test(test_deleted_first),
        cmocka_unit_test(test_handcrafted_maps),
        cmocka_unit_test(test_corrupt_elf_files),
        cmocka_unit_test(test_synthetic_elf),
        cmocka_unit_test(test_truncated_copies),
        cmocka_unit_test(test_fuzzed_headers),
        cmocka_unit_test(test_refresh_reuses_and_drops),
        cmocka_unit_test(test_deleted_keeps_entry),
        cmocka_unit_test(test_retired_overlap_rule),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_separate_debug_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
