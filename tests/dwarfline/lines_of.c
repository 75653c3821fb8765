/*
 * lines_of.c - file:line of addresses in an ELF file, through heapprof's
 * own reader (srclines.h over dwarfline.h), printed as addr2line prints
 * them: one "FILE:LINE" (or "??:0") per address, in the order given.
 *
 *   lines_of ELF < addresses      (hex, one per line, link-time)
 *
 * oracle.sh compares what it prints with binutils' addr2line.  Each file
 * is read three ways, and all must agree: one lookup of every address; a
 * lookup of every other address and then of all (the second answered
 * partly from memory, partly by the units the first scan indexed); and
 * the same all-at-once lookup again (from memory only).
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

static int fd;
static uint64_t fsize;

static bool rd(void *ctx, uint64_t off, void *dst, size_t len)
{
    return off <= fsize && len <= fsize - off && pread(fd, dst, len, (off_t)off) == (ssize_t)len;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static bool same(const symbols_line *a, const symbols_line *b)
{
    return a->line == b->line && (a->file == b->file || (a->file && b->file && !strcmp(a->file, b->file)));
}

int main(int argc, char **argv)
{
    if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0) {
        fprintf(stderr, "usage: lines_of ELF < addresses\n");
        return 2;
    }
    fsize = (uint64_t)lseek(fd, 0, SEEK_END);
    Elf64_Ehdr eh;
    if (!rd(NULL, 0, &eh, sizeof eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
        fprintf(stderr, "lines_of: %s: not ELF\n", argv[1]);
        return 2;
    }
    Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof *sh);
    for (unsigned i = 0; i < eh.e_shnum; i++)
        rd(NULL, eh.e_shoff + (uint64_t)i * eh.e_shentsize, &sh[i], sizeof *sh);
    srclines_file f = { NULL, rd, { 0 }, { 0 }, { ZSEC_PLAIN }, NULL, false, false, NULL, NULL, NULL };
    static const char *const names[DWARFLINE_NSECS] = { ".debug_line", ".debug_line_str",
                                                        ".debug_str" };
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        char name[32] = "";
        rd(NULL, sh[eh.e_shstrndx].sh_offset + sh[i].sh_name, name, sizeof name - 1);
        for (int k = 0; k < DWARFLINE_NSECS; k++)
            if (!strcmp(name, names[k])) {
                f.off[k] = sh[i].sh_offset;
                f.size[k] = sh[i].sh_size;
                f.kind[k] = sh[i].sh_flags & SHF_COMPRESSED ? ZSEC_ELF : ZSEC_PLAIN;
            }
    }
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
    symbols_line *all = calloc(n + 1, sizeof *all), *again = calloc(n + 1, sizeof *again),
                 *part = calloc(n + 1, sizeof *part);
    srclines *one = srclines_new(), *two = srclines_new();
    if (srclines_lookup(one, &f, sorted, n, all) || srclines_lookup(one, &f, sorted, n, again) ||
        srclines_lookup(two, &f, half, nhalf, part) || srclines_lookup(two, &f, sorted, n, part)) {
        fprintf(stderr, "lines_of: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        if (!same(&all[i], &again[i]) || !same(&all[i], &part[i])) {
            fprintf(stderr, "lines_of: %#" PRIx64 ": answers differ between lookups\n", sorted[i]);
            exit(1);
        }
    for (size_t i = 0; i < n; i++) {
        const symbols_line *l = &all[(uint64_t *)bsearch(&in[i], sorted, n, sizeof *sorted, cmp_u64) - sorted];
        if (l->file)
            printf("%s:%" PRIu32 "\n", l->file, l->line);
        else
            printf("??:0\n");
    }
    srclines_free(one);
    srclines_free(two);
    free(all);
    free(again);
    free(part);
    free(sorted);
    free(half);
    free(in);
    free(sh);
    close(fd);
    return 0;
}
