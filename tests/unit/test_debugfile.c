/*
 * test_debugfile.c - finding a separate debug file (debugfile.c): the
 * build-id path, the .gnu_debuglink section's parse, the CRC32, and the
 * search itself with this test's own executable as the stripped file and
 * copies of it (same build-id) as its debug file, in a mkdtemp directory.
 *
 * Expected CRC32 values are the standard check value ("123456789" gives
 * 0xcbf43926, as binutils' gnu_debuglink CRC does).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "debugfile.h"
#include "mem.h"

static char tmpdir[] = "/tmp/hp_dbgtest.XXXXXX";
static char exe[PATH_MAX];

static void put(const char *path, const void *data, size_t len)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* The bytes of path, malloc'd, into *len. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    unsigned char *p = malloc((size_t)n);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void build_id_path(void **state)
{
    (void)state;
    char buf[64];
    assert_true(debugfile_build_id_path(buf, sizeof buf, "/usr/lib/debug:x", 14, "abcd12"));
    assert_string_equal(buf, "/usr/lib/debug/.build-id/ab/cd12.debug");
    /* Too short (one byte leaves no file name), odd, not lowercase hex. */
    assert_false(debugfile_build_id_path(buf, sizeof buf, "/d", 2, "ab"));
    assert_false(debugfile_build_id_path(buf, sizeof buf, "/d", 2, ""));
    assert_false(debugfile_build_id_path(buf, sizeof buf, "/d", 2, "abcde"));
    assert_false(debugfile_build_id_path(buf, sizeof buf, "/d", 2, "ABCD"));
    assert_false(debugfile_build_id_path(buf, sizeof buf, "/d", 2, "ab/../cd"));
    /* What does not fit is refused, not cut. */
    assert_false(debugfile_build_id_path(buf, 28, "/d", 2, "abcd1234"));
    assert_true(debugfile_build_id_path(buf, 29, "/d", 2, "abcd1234"));
    assert_string_equal(buf, "/d/.build-id/ab/cd1234.debug");
}

static void parse_link(void **state)
{
    (void)state;
    const char *name;
    uint32_t crc;
    const uint32_t want = 0x12345678;
    /* "prog.debug", NUL, a zero to 12 bytes, then the CRC. */
    unsigned char sec[16] = "prog.debug";
    memcpy(sec + 12, &want, 4);
    assert_true(debugfile_parse_link(sec, sizeof sec, &name, &crc));
    assert_string_equal(name, "prog.debug");
    assert_int_equal(crc, want);
    /* A name of 3 (NUL at 3): the CRC at 4. */
    unsigned char four[8] = "abc";
    memcpy(four + 4, &want, 4);
    assert_true(debugfile_parse_link(four, sizeof four, &name, &crc));
    assert_string_equal(name, "abc");
    assert_int_equal(crc, want);
    /* Cut before the CRC's end; no NUL; an empty name; not a plain name. */
    assert_false(debugfile_parse_link(sec, 15, &name, &crc));
    unsigned char nonul[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
    assert_false(debugfile_parse_link(nonul, sizeof nonul, &name, &crc));
    unsigned char empty[8] = {0};
    assert_false(debugfile_parse_link(empty, sizeof empty, &name, &crc));
    unsigned char slash[12] = "../x";
    assert_false(debugfile_parse_link(slash, sizeof slash, &name, &crc));
    unsigned char dotdot[8] = "..";
    assert_false(debugfile_parse_link(dotdot, sizeof dotdot, &name, &crc));
    /* A name longer than a file name may be. */
    unsigned char lng[DEBUGFILE_LINK_MAX + 9];
    memset(lng, 'a', sizeof lng);
    lng[DEBUGFILE_LINK_MAX + 1] = '\0';
    assert_false(debugfile_parse_link(lng, sizeof lng, &name, &crc));
    lng[DEBUGFILE_LINK_MAX] = '\0';
    assert_true(debugfile_parse_link(lng, sizeof lng, &name, &crc));
}

static void crc_of_file(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/crc", tmpdir);
    put(path, "123456789", 9);
    elf_in e;
    struct stat st;
    uint32_t crc = 0;
    bool oom = false;
    assert_true(elfread_open(path, &e, &st));
    assert_true(debugfile_crc(&e, &crc, &oom));
    assert_int_equal(crc, 0xcbf43926u);
    elfread_close(&e);
    /* Larger than one read (64 KiB): the same as zlib over the whole. */
    size_t len = (200 << 10) + 7;
    unsigned char *big = malloc(len);
    assert_non_null(big);
    for (size_t i = 0; i < len; i++)
        big[i] = (unsigned char)(i * 131 + (i >> 9));
    put(path, big, len);
    assert_true(elfread_open(path, &e, &st));
    assert_true(debugfile_crc(&e, &crc, &oom));
    elfread_close(&e);
    /* Reference: bitwise CRC-32 (IEEE, reflected), written out here. */
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= big[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    assert_int_equal(crc, ~c);
    assert_false(oom);
    free(big);
}

/* The test executable, open, with its sections and build-id. */
typedef struct self {
    elf_in e;
    Elf64_Shdr *sh;
    size_t nsh;
    char *build_id;
} self;

static void open_self(self *s)
{
    struct stat st;
    bool oom = false;
    assert_true(elfread_open(exe, &s->e, &st));
    assert_true(elfread_header(&s->e));
    s->sh = elfread_shdrs(&s->e, &s->nsh, &oom);
    s->build_id = elfread_build_id(&s->e, &oom);
    assert_non_null(s->build_id); /* GCC and clang on Linux pass --build-id */
    assert_false(oom);
}

static void close_self(self *s)
{
    mem_free(s->sh);
    mem_free(s->build_id);
    elfread_close(&s->e);
}

/* A copy of the executable (same build-id) as ROOT/.build-id/xx/rest.debug,
 * with byte at (when below len) flipped. */
static void place(const char *root, const char *id, long at, char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/.build-id", root);
    mkdir(root, 0700);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/.build-id/%.2s", root, id);
    mkdir(dir, 0700);
    assert_true(debugfile_build_id_path(path, PATH_MAX, root, strlen(root), id));
    size_t len;
    unsigned char *data = slurp(exe, &len);
    if (at >= 0 && (size_t)at < len)
        data[at] ^= 1;
    put(path, data, len);
    free(data);
}

static void find_by_build_id(void **state)
{
    (void)state;
    self s;
    open_self(&s);
    char root[PATH_MAX], other[PATH_MAX], dirs[3 * PATH_MAX], path[PATH_MAX];
    snprintf(root, sizeof root, "%s/root", tmpdir);
    snprintf(other, sizeof other, "%s/empty", tmpdir);
    place(root, s.build_id, -1, path);
    debugfile_found d;
    bool oom = false;
    /* Found in the second directory of two. */
    snprintf(dirs, sizeof dirs, "%s:%s", other, root);
    assert_true(debugfile_find(dirs, exe, s.build_id, &s.e, s.sh, s.nsh, &d, &oom));
    assert_string_equal(d.path, path);
    assert_true(d.e.fd >= 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(d.st.st_ino, st.st_ino);
    debugfile_close(&d);
    /* No directories, or off: nothing is read. */
    assert_false(debugfile_find("", exe, s.build_id, &s.e, s.sh, s.nsh, &d, &oom));
    assert_false(debugfile_find(NULL, exe, s.build_id, &s.e, s.sh, s.nsh, &d, &oom));
    /* The file asked for is not its own debug file (a link to it). */
    unlink(path);
    assert_int_equal(symlink(exe, path), 0);
    assert_false(debugfile_find(root, exe, s.build_id, &s.e, s.sh, s.nsh, &d, &oom));
    /* Another build-id asked for: its path holds no such file. */
    char *id = strdup(s.build_id);
    id[strlen(id) - 1] = id[strlen(id) - 1] == '0' ? '1' : '0';
    assert_false(debugfile_find(root, exe, id, &s.e, s.sh, s.nsh, &d, &oom));
    /* A file at the right path that says another build-id: refused. */
    place(root, id, -1, path);
    assert_false(debugfile_find(root, exe, id, &s.e, s.sh, s.nsh, &d, &oom));
    free(id);
    /* A directory, and nonsense, at the path. */
    place(root, s.build_id, -1, path);
    unlink(path);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_false(debugfile_find(root, exe, s.build_id, &s.e, s.sh, s.nsh, &d, &oom));
    rmdir(path);
    put(path, "\177ELF nonsense", 13);
    assert_false(debugfile_find(root, exe, s.build_id, &s.e, s.sh, s.nsh, &d, &oom));
    assert_false(oom);
    close_self(&s);
}

/* The bytes this process has read so far (/proc/self/io's rchar): the
 * kernel's count, the same on every run. */
static unsigned long long bytes_read(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    assert_non_null(f);
    unsigned long long n = 0;
    char line[128];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %llu", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* A file of 64 note sections over one 1 MiB region of notes without a
 * build-id: elfread_build_id reads at most 1 MiB of notes in all, not the
 * region once per header (review E of session 43: 60 000 such headers in
 * a 4.9 MB file kept a profiled program busy over 5 minutes). */
static void build_id_notes_capped(void **state)
{
    (void)state;
    enum { NSEC = 64, REGION = 1 << 20 };
    size_t shoff = sizeof(Elf64_Ehdr) + REGION, len = shoff + NSEC * sizeof(Elf64_Shdr);
    unsigned char *img = calloc(1, len);
    assert_non_null(img);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_DYN;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_ehsize = sizeof *eh;
    eh->e_shoff = shoff;
    eh->e_shentsize = sizeof(Elf64_Shdr);
    eh->e_shnum = NSEC;
    /* Notes of type 1 named "X": no GNU build-id among them. */
    for (size_t off = sizeof *eh; off + 16 <= sizeof *eh + REGION; off += 16) {
        uint32_t note[4] = {2, 4, 1, 'X'};
        memcpy(img + off, note, sizeof note);
    }
    Elf64_Shdr *sh = (Elf64_Shdr *)(img + shoff);
    for (size_t i = 1; i < NSEC; i++) {
        sh[i].sh_type = SHT_NOTE;
        sh[i].sh_offset = sizeof *eh;
        sh[i].sh_size = REGION;
        sh[i].sh_addralign = 4;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/notes", tmpdir);
    put(path, img, len);
    free(img);
    elf_in e;
    struct stat st;
    assert_true(elfread_open(path, &e, &st));
    assert_true(elfread_header(&e));
    bool oom = false;
    unsigned long long before = bytes_read();
    char *id = elfread_build_id(&e, &oom);
    unsigned long long read = bytes_read() - before;
    assert_null(id);
    assert_false(oom);
    elfread_close(&e);
    /* 1 MiB of notes and the headers; uncapped it was 63 MiB. */
    assert_true(read <= (unsigned long long)REGION + 64 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_id_path),    cmocka_unit_test(parse_link),
        cmocka_unit_test(crc_of_file),      cmocka_unit_test(find_by_build_id),
        cmocka_unit_test(build_id_notes_capped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
