/*
 * inlines_of.c - the inlined functions at addresses of an ELF file,
 * through heapprof's own readers (srclines.h over dwarfline.h and
 * dwarfinline.h), printed as `addr2line -a -i -f` prints them: per
 * address, "0x" and its 16 hex digits, then one name and one "FILE:LINE"
 * line per function, innermost first.  The outermost function's name is
 * the one the profile takes from the symbol table, not read here: it is
 * printed as "-".
 *
 *   inlines_of [-d] ELF [ALT] < addresses      (hex, one per line, link-time)
 *
 * -d: each inlined function's name line says, after a tab, the file it is
 * declared in (symbols_frame.decl_file, every frame's: srclines_file.decls;
 * "?" when none), for oracle.sh's and dwz.sh's checks of it; addr2line
 * prints no such thing.  A fourth lookup, as profiles make it, must give
 * the same decl files to the frames whose position has no file, and none
 * to the others.
 *
 * ALT: the supplementary file `dwz -m` made for ELF (dwz.sh), whose
 * .debug_info, .debug_abbrev and .debug_str the inlined frames may name
 * functions from (symbols.c finds it through .gnu_debugaltlink).
 *
 * oracle.sh compares what it prints with binutils' addr2line.  As
 * lines_of does, each file is read three ways that must agree: every
 * address at once; every other address, then all; all again (from memory).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srclines.h"

typedef struct elf {
    int fd;
    uint64_t size;
} elf;

static bool rd(void *ctx, uint64_t off, void *dst, size_t len)
{
    const elf *e = ctx;
    return off <= e->size && len <= e->size - off && pread(e->fd, dst, len, (off_t)off) == (ssize_t)len;
}

/* Opens path into *e and where its DWARF sections lie into *f. */
static bool open_elf(const char *path, elf *e, srclines_file *f)
{
    if ((e->fd = open(path, O_RDONLY)) < 0)
        return false;
    e->size = (uint64_t)lseek(e->fd, 0, SEEK_END);
    Elf64_Ehdr eh;
    if (!rd(e, 0, &eh, sizeof eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG))
        return false;
    Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof *sh);
    for (unsigned i = 0; i < eh.e_shnum; i++)
        rd(e, eh.e_shoff + (uint64_t)i * eh.e_shentsize, &sh[i], sizeof *sh);
    *f = (srclines_file){ e, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, false, false, NULL, NULL, NULL };
    static const char *const names[DWARFINLINE_NSECS] = {
        ".debug_line", ".debug_line_str", ".debug_str", ".debug_info", ".debug_abbrev",
        ".debug_ranges", ".debug_rnglists", ".debug_addr", ".debug_str_offsets",
    };
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        /* A name near the end of the file (dwz's supplementary file ends
         * with .shstrtab) has fewer than 31 bytes after it. */
        char name[32] = "";
        uint64_t at = sh[eh.e_shstrndx].sh_offset + sh[i].sh_name;
        size_t len = sizeof name - 1;
        if (at < e->size && e->size - at < len)
            len = (size_t)(e->size - at);
        rd(e, at, name, len);
        for (int k = 0; k < DWARFINLINE_NSECS; k++)
            if (!strcmp(name, names[k])) {
                f->off[k] = sh[i].sh_offset;
                f->size[k] = sh[i].sh_size;
                f->kind[k] = sh[i].sh_flags & SHF_COMPRESSED ? ZSEC_ELF : ZSEC_PLAIN;
            }
    }
    free(sh);
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static bool same(const symbols_line *a, const symbols_line *b)
{
    if (a->line != b->line || !same_str(a->file, b->file) || a->ninl != b->ninl)
        return false;
    for (uint32_t k = 0; k < a->ninl; k++)
        if (!same_str(a->inl[k].name, b->inl[k].name) || !same_str(a->inl[k].file, b->inl[k].file) ||
            a->inl[k].line != b->inl[k].line || !same_str(a->inl[k].decl_file, b->inl[k].decl_file))
            return false;
    return true;
}

/* Whether lazy, looked up as profiles do, has full's decl files where a
 * frame's position (the address's row, or the call site of the frame
 * inlined into it) has no file, and none elsewhere. */
static bool lazy_decls(const symbols_line *full, const symbols_line *lazy)
{
    if (full->line != lazy->line || !same_str(full->file, lazy->file) || full->ninl != lazy->ninl)
        return false;
    const char *pos = full->file;
    for (uint32_t k = 0; k < full->ninl; k++) {
        const symbols_frame *a = &full->inl[k], *b = &lazy->inl[k];
        if (!same_str(a->name, b->name) || !same_str(a->file, b->file) || a->line != b->line ||
            !same_str(b->decl_file, pos ? NULL : a->decl_file))
            return false;
        pos = a->file;
    }
    return true;
}

static void print_pos(const char *file, uint32_t line)
{
    if (file)
        printf("%s:%" PRIu32 "\n", file, line);
    else
        printf("??:0\n");
}

int main(int argc, char **argv)
{
    elf main_elf, alt_elf;
    srclines_file f, alt;
    bool decls = argc > 1 && !strcmp(argv[1], "-d");
    if (decls) {
        argv++;
        argc--;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: inlines_of [-d] ELF [ALT] < addresses\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (!open_elf(argv[i], i == 1 ? &main_elf : &alt_elf, i == 1 ? &f : &alt)) {
            fprintf(stderr, "inlines_of: %s: not an ELF file\n", argv[i]);
            return 2;
        }
    if (argc == 3)
        f.alt = &alt;
    f.decls = decls;
    size_t n = 0, cap = 1024;
    uint64_t *in = malloc(cap * sizeof *in);
    char text[64];
    while (fgets(text, sizeof text, stdin)) {
        if (n == cap)
            in = realloc(in, (cap *= 2) * sizeof *in);
        in[n++] = strtoull(text, NULL, 16);
    }
    uint64_t *sorted = malloc((n + 1) * sizeof *sorted), *half = malloc((n + 1) * sizeof *half);
    memcpy(sorted, in, n * sizeof *in);
    qsort(sorted, n, sizeof *sorted, cmp_u64);
    size_t nhalf = 0;
    for (size_t i = 0; i < n; i += 2)
        half[nhalf++] = sorted[i];
    /* Each lookup's inl arrays last until the next lookup in its cache:
     * three caches, one answer set each. */
    symbols_line *all = calloc(n + 1, sizeof *all), *again = calloc(n + 1, sizeof *again),
                 *part = calloc(n + 1, sizeof *part);
    srclines *one = srclines_new(), *two = srclines_new(), *three = srclines_new();
    if (srclines_lookup(one, &f, sorted, n, all) || srclines_lookup(two, &f, half, nhalf, part) ||
        srclines_lookup(two, &f, sorted, n, part) || srclines_lookup(three, &f, sorted, n, again) ||
        srclines_lookup(three, &f, sorted, n, again)) {
        fprintf(stderr, "inlines_of: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        if (!same(&all[i], &again[i]) || !same(&all[i], &part[i])) {
            fprintf(stderr, "inlines_of: %#" PRIx64 ": answers differ between lookups\n", sorted[i]);
            exit(1);
        }
    if (decls) {
        symbols_line *lazy = calloc(n + 1, sizeof *lazy);
        srclines *four = srclines_new();
        f.decls = false;
        if (srclines_lookup(four, &f, sorted, n, lazy)) {
            fprintf(stderr, "inlines_of: out of memory\n");
            return 2;
        }
        for (size_t i = 0; i < n; i++)
            if (!lazy_decls(&all[i], &lazy[i])) {
                fprintf(stderr, "inlines_of: %#" PRIx64 ": decl files differ from a profile's\n",
                        sorted[i]);
                exit(1);
            }
        srclines_free(four);
        free(lazy);
    }
    for (size_t i = 0; i < n; i++) {
        const symbols_line *l = &all[(uint64_t *)bsearch(&in[i], sorted, n, sizeof *sorted, cmp_u64) - sorted];
        printf("0x%016" PRIx64 "\n", in[i]);
        const char *file = l->file;
        uint32_t line = l->line;
        for (uint32_t k = 0; k < l->ninl; k++) {
            if (decls)
                printf("%s\t%s\n", l->inl[k].name, l->inl[k].decl_file ? l->inl[k].decl_file : "?");
            else
                printf("%s\n", l->inl[k].name);
            print_pos(file, line);
            file = l->inl[k].file;
            line = l->inl[k].line;
        }
        printf("-\n");
        print_pos(file, line);
    }
    srclines_free(one);
    srclines_free(two);
    srclines_free(three);
    free(all);
    free(again);
    free(part);
    free(sorted);
    free(half);
    free(in);
    close(main_elf.fd);
    if (argc == 3)
        close(alt_elf.fd);
    return 0;
}
