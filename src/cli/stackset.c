/*
 * stackset.c - see stackset.h.
 *
 * Rows are malloc'd one by one (cells as a flexible array) and listed in
 * `rows` in creation order; `table` is an open-addressing hash of row
 * index + 1 (0: empty), a power of two at most half full, keyed by a hash
 * of the frame names' bytes.  A row's key compares equal when it has the
 * same number of frames with the same names (strcmp), wherever the names
 * are stored.
 */
#include "stackset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stackset {
    size_t nprof, ntypes;
    stackset_row **rows;
    size_t nrows, cap;
    size_t *table; /* row index + 1 */
    uint64_t *hashes; /* per row */
    size_t tcap;
};

stackset *stackset_new(size_t nprof, size_t ntypes)
{
    stackset *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nprof = nprof;
    s->ntypes = ntypes;
    return s;
}

void stackset_free(stackset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nrows; i++)
        free(s->rows[i]);
    free(s->rows);
    free(s->hashes);
    free(s->table);
    free(s);
}

static uint64_t hash_key(const char *const *frames, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *c = (const unsigned char *)frames[i]; *c; c++)
            h = (h ^ *c) * 0x100000001b3ULL;
        h = (h ^ 0xff) * 0x100000001b3ULL; /* frame separator: no byte of a name */
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static int same_key(const stackset_row *r, const char *const *frames, size_t n)
{
    if (r->nframes != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (r->frames[i] != frames[i] && strcmp(r->frames[i], frames[i]))
            return 0;
    return 1;
}

static int grow_table(stackset *s)
{
    size_t ncap = s->tcap ? s->tcap * 2 : 1024;
    size_t *t = calloc(ncap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->nrows; i++) {
        size_t j = s->hashes[i] & (ncap - 1);
        while (t[j])
            j = (j + 1) & (ncap - 1);
        t[j] = i + 1;
    }
    free(s->table);
    s->table = t;
    s->tcap = ncap;
    return 0;
}

stackset_row *stackset_row_for(stackset *s, const char *const *frames, size_t n)
{
    if ((s->nrows + 1) * 2 > s->tcap && grow_table(s))
        return NULL;
    uint64_t h = hash_key(frames, n);
    size_t mask = s->tcap - 1, j = h & mask;
    for (; s->table[j]; j = (j + 1) & mask) {
        size_t i = s->table[j] - 1;
        if (s->hashes[i] == h && same_key(s->rows[i], frames, n))
            return s->rows[i];
    }
    if (s->nrows == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        stackset_row **r = realloc(s->rows, ncap * sizeof *r);
        if (!r)
            return NULL;
        s->rows = r;
        uint64_t *hs = realloc(s->hashes, ncap * sizeof *hs);
        if (!hs)
            return NULL;
        s->hashes = hs;
        s->cap = ncap;
    }
    size_t ncells = s->nprof * s->ntypes;
    stackset_row *row = calloc(1, sizeof *row + ncells * sizeof row->cells[0]);
    if (!row)
        return NULL;
    row->frames = frames;
    row->nframes = n;
    s->rows[s->nrows] = row;
    s->hashes[s->nrows] = h;
    s->table[j] = ++s->nrows;
    return row;
}

stackset_cell *stackset_cell_at(const stackset *s, stackset_row *r, size_t prof, size_t type)
{
    return &r->cells[prof * s->ntypes + type];
}

void stackset_cell_add(stackset_cell *c, double val, double var, unsigned sd)
{
    c->val += val;
    c->var += var;
    if (sd > c->sd)
        c->sd = (unsigned char)sd;
}

int stackset_add_profile(stackset *s, size_t prof, const profile *p, const long *types,
                         enum stackset_key key)
{
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *smp = &p->samples[i];
        const char *const *f = smp->frames;
        size_t n = smp->nframes;
        if (key == STACKSET_SITE) {
            size_t skip = stackset_site_skip(f, n);
            f += skip;
            n -= skip;
            if (n > 2)
                n = 2;
        }
        stackset_row *r = stackset_row_for(s, f, n);
        if (!r)
            return -1;
        for (size_t t = 0; t < s->ntypes; t++) {
            stackset_cell *c = stackset_cell_at(s, r, prof, t);
            if (types[t] < 0)
                c->sd = PROFILE_SD_UNKNOWN;
            else
                stackset_cell_add(c, (double)smp->values[types[t]], smp->var[types[t]],
                                  smp->sd[types[t]]);
        }
    }
    return 0;
}

size_t stackset_count(const stackset *s) { return s->nrows; }

stackset_row *stackset_get(const stackset *s, size_t i) { return i < s->nrows ? s->rows[i] : NULL; }

/* Names that allocate on behalf of their caller.  Exact names, then
 * prefixes (C++ operators and allocators, glibc internals, Go runtime). */
static int is_wrapper(const char *f)
{
    static const char *const exact[] = {
        "malloc", "calloc", "realloc", "reallocarray", "free", "memalign", "aligned_alloc",
        "posix_memalign", "valloc", "pvalloc", "strdup", "strndup", "__strdup", "__strndup",
        "wcsdup", "asprintf", "vasprintf", "__asprintf", "__vasprintf", "xmalloc", "xcalloc",
        "xrealloc", "xstrdup", "xstrndup", "g_malloc", "g_malloc0", "g_realloc", "g_strdup",
        "g_strndup", "g_try_malloc", "runtime.mallocgc", "runtime.newobject",
        "runtime.makeslice", "runtime.growslice", "runtime.makemap", "runtime.makemap_small",
        "runtime.newarray", "runtime.rawstring", "runtime.rawbyteslice", "runtime.rawruneslice",
    };
    static const char *const prefix[] = {
        "operator new", "_Znw", "_Zna", "__libc_", "std::allocator", "std::__new_allocator",
        "__gnu_cxx::new_allocator", "std::allocator_traits", "__gnu_cxx::__alloc_traits",
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strcmp(f, exact[i]))
            return 1;
    for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++)
        if (!strncmp(f, prefix[i], strlen(prefix[i])))
            return 1;
    return 0;
}

size_t stackset_site_skip(const char *const *frames, size_t n)
{
    size_t k = 0;
    while (k + 1 < n && is_wrapper(frames[k]))
        k++;
    return k;
}

void stackset_site_name(char *buf, size_t len, const char *const *frames, size_t n)
{
    size_t k = stackset_site_skip(frames, n);
    /* The wrapper next to the site is named too: without it, a function's
     * malloc and its strdup would be two rows reading the same. */
    char via[160] = "";
    if (k > 0)
        snprintf(via, sizeof via, " (via %.120s)", frames[k - 1]);
    if (n == 0)
        snprintf(buf, len, "(no stack)");
    else if (n - k == 1)
        snprintf(buf, len, "%s%s", frames[k], via);
    else
        snprintf(buf, len, "%s \xe2\x86\x90 %s%s", frames[k], frames[k + 1], via);
}
