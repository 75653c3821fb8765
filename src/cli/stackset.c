/*
 * stackset.c - see stackset.h.
 *
 * Rows are malloc'd one by one (cells as a flexible array) and listed in
 * `rows` in creation order; `table` is an open-addressing hash of row
 * index + 1 (0: empty), a power of two at most half full, keyed by the
 * frames' name hashes folded in order (namehash.h: a profile's samples
 * carry them, so that a name's bytes are hashed once per profile, not at
 * every frame).  A row's key compares equal when it has the same number of
 * frames with the same names (strcmp), wherever the names are stored.
 *
 * A set that owns its keys copies a new row's frames array (`keys`, one
 * allocation per row) and interns each name in `names`, an open-addressing
 * hash of strdup'd strings (at most half full), so a name shared by many
 * stacks is stored once.  A profile added to such a set has its frames
 * replaced by the set's copies first, each distinct pointer of the profile
 * looked up once (ptrmap.h): the rows' keys then compare as pointers, not
 * by strcmp of copy and original at every frame (a crafted profile of
 * 200000 frames of one 1 MB name kept `leaks` busy 80 s).
 */
#include "stackset.h"

#include "namehash.h"
#include "ptrmap.h"
#include "wrappers.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stackset {
    size_t nprof, ntypes, nfixed;
    stackset_row **rows;
    size_t nrows, cap;
    size_t *table; /* row index + 1 */
    uint64_t *hashes; /* per row */
    size_t tcap;
    bool own;         /* rows copy their keys */
    const char ***keys; /* per row: its frames array, when a copy (else NULL) */
    char **names;     /* interned names (NULL: empty slot) */
    size_t nnames, ncap;
    bool name_rows;   /* stackset_name_rows: funcs is kept */
    ptrmap funcs;     /* a row's frame -> its function, of stacks read with lines
                         (profile_sample.funcs; absent: the frame itself), and
                         as a profile's, a row whose frame's text names another
                         function in another row -> its exceptions */
    profile_func_at **lists; /* the latter lists, to free */
    size_t nlists, lists_cap;
};

stackset *stackset_new(size_t nprof, size_t ntypes) { return stackset_new_fixed(nprof, ntypes, 0); }

stackset *stackset_new_fixed(size_t nprof, size_t ntypes, size_t nfixed)
{
    stackset *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->nprof = nprof;
    s->ntypes = ntypes;
    s->nfixed = nfixed;
    return s;
}

void stackset_free(stackset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nrows; i++) {
        free(s->rows[i]);
        free(s->keys[i]);
    }
    for (size_t i = 0; i < s->ncap; i++)
        free(s->names[i]);
    free(s->names);
    ptrmap_free(&s->funcs);
    for (size_t i = 0; i < s->nlists; i++)
        free(s->lists[i]);
    free(s->lists);
    free(s->keys);
    free(s->rows);
    free(s->hashes);
    free(s->table);
    free(s);
}

/* A key's hash from its frames' name hashes (hashes NULL: hashed here). */
static uint64_t hash_key(const char *const *frames, const namehash *hashes, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    for (size_t i = 0; i < n; i++)
        h = namehash_fold(h, hashes ? hashes[i] : namehash_of(frames[i]));
    return h;
}

void stackset_own_keys(stackset *s) { s->own = true; }

void stackset_name_rows(stackset *s) { s->name_rows = true; }

static int grow_names(stackset *s)
{
    size_t ncap = s->ncap ? s->ncap * 2 : 1024;
    char **t = calloc(ncap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->ncap; i++) {
        if (!s->names[i])
            continue;
        size_t j = namehash_of(s->names[i]) & (ncap - 1);
        while (t[j])
            j = (j + 1) & (ncap - 1);
        t[j] = s->names[i];
    }
    free(s->names);
    s->names = t;
    s->ncap = ncap;
    return 0;
}

/* The set's copy of name (whose namehash_of is hash), made if new; NULL
 * when out of memory. */
static const char *intern(stackset *s, const char *name, namehash hash)
{
    if ((s->nnames + 1) * 2 > s->ncap && grow_names(s))
        return NULL;
    size_t mask = s->ncap - 1, j = hash & mask;
    for (; s->names[j]; j = (j + 1) & mask)
        if (s->names[j] == name || !strcmp(s->names[j], name))
            return s->names[j];
    if (!(s->names[j] = strdup(name)))
        return NULL;
    s->nnames++;
    return s->names[j];
}

/* A copy of frames, its names interned; NULL when out of memory (what
 * was interned stays, for the set to free). */
static const char **copy_key(stackset *s, const char *const *frames, const namehash *hashes,
                             size_t n)
{
    const char **k = malloc((n ? n : 1) * sizeof *k);
    for (size_t i = 0; k && i < n; i++)
        if (!(k[i] = intern(s, frames[i], hashes ? hashes[i] : namehash_of(frames[i])))) {
            free(k);
            return NULL;
        }
    return k;
}

/* The frames array alone: the names stay the profile's. */
static const char **copy_frames(const char *const *frames, size_t n)
{
    const char **k = malloc((n ? n : 1) * sizeof *k);
    if (k && n)
        memcpy(k, frames, n * sizeof *k);
    return k;
}

int stackset_permute(stackset *s, const size_t *order)
{
    size_t nt = s->ntypes, ncells = s->nprof * nt;
    stackset_cell *tmp = malloc((ncells ? ncells : 1) * sizeof *tmp);
    if (!tmp)
        return -1;
    for (size_t r = 0; r < s->nrows; r++) {
        stackset_cell *c = s->rows[r]->cells;
        memcpy(tmp, c, ncells * sizeof *tmp);
        for (size_t j = 0; j < s->nprof; j++)
            memcpy(&c[j * nt], &tmp[order[j] * nt], nt * sizeof *tmp);
    }
    free(tmp);
    return 0;
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
    return stackset_row_hashed(s, frames, NULL, n);
}

/* stackset_row_hashed, the key's hash h (hash_key) given. */
static stackset_row *row_with_hash(stackset *s, const char *const *frames, const namehash *hashes,
                                   size_t n, uint64_t h)
{
    if ((s->nrows + 1) * 2 > s->tcap && grow_table(s))
        return NULL;
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
        const char ***ks = realloc(s->keys, ncap * sizeof *ks);
        if (!ks)
            return NULL;
        s->keys = ks;
        s->cap = ncap;
    }
    size_t ncells = s->nprof * s->ntypes + s->nfixed;
    stackset_row *row = calloc(1, sizeof *row + ncells * sizeof row->cells[0]);
    if (!row)
        return NULL;
    row->frames = frames;
    s->keys[s->nrows] = NULL;
    if (s->own || n <= STACKSET_SITE_MAX) {
        /* A site's key is in the caller's room (stackset_site), gone by
         * the next sample: its frames array is copied, as every key an
         * owning set makes. */
        const char **key = s->own ? copy_key(s, frames, hashes, n) : copy_frames(frames, n);
        if (!key) {
            free(row);
            return NULL;
        }
        s->keys[s->nrows] = key; /* freed with the set */
        row->frames = key;
    }
    row->nframes = n;
    s->rows[s->nrows] = row;
    s->hashes[s->nrows] = h;
    s->table[j] = ++s->nrows;
    return row;
}

stackset_row *stackset_row_hashed(stackset *s, const char *const *frames, const namehash *hashes,
                                  size_t n)
{
    return row_with_hash(s, frames, hashes, n, hash_key(frames, hashes, n));
}

stackset_row *stackset_row_like(stackset *s, const stackset *from, size_t i)
{
    const stackset_row *r = from->rows[i];
    /* Every set hashes a key alike (hash_key), so from's hash is s's.
     * Without the frames' own hashes, a row new to s owning its keys
     * hashes its names to intern them: born_split's rows are not new. */
    return row_with_hash(s, r->frames, NULL, r->nframes, from->hashes[i]);
}

stackset_cell *stackset_cell_at(const stackset *s, stackset_row *r, size_t prof, size_t type)
{
    return &r->cells[prof * s->ntypes + type];
}

stackset_cell *stackset_fixed_at(const stackset *s, stackset_row *r, size_t k)
{
    return &r->cells[s->nprof * s->ntypes + k];
}

static void cell_add(stackset_cell *c, double val, double var, unsigned sd)
{
    c->val += val;
    c->var += var;
    if (sd > c->sd)
        c->sd = (unsigned char)sd;
}

void stackset_cell_add(stackset_cell *c, double val, double var, unsigned sd)
{
    cell_add(c, val, var, sd);
    if (val != 0) { /* a share of a value (birth.c): no longer a whole sum */
        c->inexact = 1;
        c->exact_ok = 0;
    }
}

bool stackset_cell_exact(const stackset_cell *c, int64_t *out)
{
    if (!c->exact_ok) { /* a cell nothing was added to holds 0, exactly */
        *out = 0;
        return !c->inexact && c->val == 0;
    }
    *out = (int64_t)c->val + c->resid;
    return true;
}

bool stackset_cell_exact_diff(const stackset_cell *a, const stackset_cell *b, int64_t *out)
{
    int64_t x, y;
    return stackset_cell_exact(a, &x) && stackset_cell_exact(b, &y) &&
           !__builtin_sub_overflow(x, y, out);
}

void stackset_cell_add_cell(stackset_cell *to, const stackset_cell *c)
{
    int64_t v;
    if (stackset_cell_exact(c, &v))
        stackset_cell_add_int(to, v, c->var, c->sd);
    else
        stackset_cell_add(to, c->val, c->var, c->sd);
}

int stackset_cell_cmp(const stackset_cell *a, const stackset_cell *b)
{
    int64_t x, y;
    if (stackset_cell_exact(a, &x) && stackset_cell_exact(b, &y))
        return x < y ? -1 : x > y;
    return a->val < b->val ? -1 : a->val > b->val;
}

void stackset_cell_add_int(stackset_cell *c, int64_t val, double var, unsigned sd)
{
    int64_t sum = 0;
    if (!c->inexact && (c->val == 0 || stackset_cell_exact(c, &sum)) &&
        !__builtin_add_overflow(sum, val, &sum) && (double)sum < 0x1p63) {
        /* (double)sum rounds to nearest: below 2^63, an int64_t again */
        cell_add(c, 0, var, sd);
        c->val = (double)sum;
        c->resid = (int32_t)(sum - (int64_t)c->val);
        c->exact_ok = 1;
        return;
    }
    cell_add(c, (double)val, var, sd);
    c->inexact = 1;
    c->exact_ok = 0;
}

/* frames[0..n) as the set's copies (see the top) in *out, which grows
 * (*cap entries); copies remembers each pointer's.  0, or -1 when out of
 * memory. */
static int own_frames(stackset *s, const char *const *frames, const namehash *hashes, size_t n,
                      ptrmap *copies, const char ***out, size_t *cap)
{
    if (n > *cap) {
        const char **o = realloc(*out, n * sizeof *o);
        if (!o)
            return -1;
        *out = o;
        *cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t c;
        if (!ptrmap_get(copies, frames[i], &c)) {
            const char *copy = intern(s, frames[i], hashes ? hashes[i] : namehash_of(frames[i]));
            if (!copy || ptrmap_put(copies, frames[i], (uint64_t)(uintptr_t)copy))
                return -1;
            c = (uint64_t)(uintptr_t)copy;
        }
        (*out)[i] = (const char *)(uintptr_t)c;
    }
    return 0;
}

/* A stack's exceptions when map lists them under the stack (its frames
 * array: profile_read.h, profile_sample.funcs), else NULL. */
static const profile_func_at *stack_funcs(const char *const *frames, const ptrmap *map)
{
    uint64_t v;
    if (map && map->used && ptrmap_get(map, frames, &v))
        return (const profile_func_at *)(uintptr_t)v;
    return NULL;
}

/* Frame i's function: in list (stack_funcs) if it holds i, found by
 * halving (a recursion of a text's second function lists every frame),
 * else its entry in map (a profile's, or a set's notes: note_funcs); else
 * the frame itself. */
static const char *func_of(const char *const *frames, const profile_func_at *list,
                           const ptrmap *map, size_t i)
{
    uint64_t v;
    for (size_t lo = 1, hi = list ? list[0].frame + 1 : 1; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (list[mid].frame == i)
            return list[mid].func;
        if (list[mid].frame < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (map && map->used && ptrmap_get(map, frames[i], &v))
        return (const char *)(uintptr_t)v;
    return frames[i];
}

/* Frame i's function (frames: the profile's, which funcs knows; list:
 * its stack_funcs), as the set keeps it: kept[i] when the frame is its
 * own, else the function's name, the set's own copy when it owns its
 * keys (copies: the profile's pointers' copies).  0, or -1 when out of
 * memory. */
static int kept_func(stackset *s, const char *const *kept, const char *const *frames,
                     const profile_func_at *list, const ptrmap *funcs, size_t i,
                     ptrmap *copies, const char **out)
{
    const char *fn = func_of(frames, list, funcs, i);
    uint64_t c;
    if (fn == frames[i])
        fn = kept[i];
    else if (s->own && ptrmap_get(copies, fn, &c))
        fn = (const char *)(uintptr_t)c;
    else if (s->own && !(fn = intern(s, fn, namehash_of(fn))))
        return -1;
    *out = fn;
    return 0;
}

/* The function of each frame of new row r (stackset_row_site_name), as
 * the set keeps the frame (kept: the row's frames; frames: the profile's,
 * which funcs knows), each frame that is its own function too: a row
 * added later whose frame of the same text is another function's (a
 * mixed text: profile_read.h), of this profile or of another, must not
 * change what this row's reads.  Such a row, whose frame's text the set
 * knows as another function's, gets exceptions of its own, as a
 * profile's stack does: only those frames cost anything.  A known
 * limit: rows are keyed by their frames' texts, so two stacks of the same
 * texts but another function at one frame are one row, named by the
 * first added (leaks --lines, whose order is the samples').  0, or -1
 * when out of memory. */
static int note_funcs(stackset *s, const stackset_row *r, const char *const *kept,
                      const char *const *frames, const ptrmap *funcs, size_t n, ptrmap *copies)
{
    const profile_func_at *list = stack_funcs(frames, funcs);
    size_t odd = 0;
    for (size_t i = 0; i < n; i++) {
        const char *fn;
        uint64_t c;
        if (kept_func(s, kept, frames, list, funcs, i, copies, &fn))
            return -1;
        if (ptrmap_get(&s->funcs, kept[i], &c))
            odd += (const char *)(uintptr_t)c != fn;
        else if (ptrmap_put(&s->funcs, kept[i], (uint64_t)(uintptr_t)fn))
            return -1;
    }
    if (!odd)
        return 0;
    if (s->nlists == s->lists_cap) {
        size_t cap = s->lists_cap ? s->lists_cap * 2 : 16;
        profile_func_at **l = realloc(s->lists, cap * sizeof *l);
        if (!l)
            return -1;
        s->lists = l;
        s->lists_cap = cap;
    }
    profile_func_at *own = malloc((odd + 1) * sizeof *own);
    if (!own)
        return -1;
    s->lists[s->nlists++] = own;
    own[0] = (profile_func_at){odd, NULL};
    for (size_t i = 0, k = 1; i < n && k <= odd; i++) {
        const char *fn;
        uint64_t c;
        if (kept_func(s, kept, frames, list, funcs, i, copies, &fn))
            return -1;
        if (ptrmap_get(&s->funcs, kept[i], &c) && (const char *)(uintptr_t)c != fn)
            own[k++] = (profile_func_at){i, fn};
    }
    return ptrmap_put(&s->funcs, r->frames, (uint64_t)(uintptr_t)own);
}

int stackset_add_profile(stackset *s, size_t prof, const profile *p, const long *types,
                         enum stackset_key key)
{
    ptrmap copies = PTRMAP_INIT;
    const char **own = NULL;
    size_t own_cap = 0;
    int err = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const profile_sample *smp = &p->samples[i];
        const char *const *f = smp->frames;
        const namehash *h = smp->hashes;
        size_t n = smp->nframes;
        stackset_site site;
        if (key == STACKSET_SITE) {
            stackset_site_key(&site, f, h, smp->funcs, smp->kinds, n);
            f = site.frames;
            h = h ? site.hashes : NULL;
            n = site.n;
        }
        if (s->own && (err = own_frames(s, f, h, n, &copies, &own, &own_cap)))
            break;
        const char *const *kf = s->own ? own : f; /* the key as the row keeps it */
        size_t nrows = s->nrows;
        stackset_row *r = stackset_row_hashed(s, kf, h, n);
        if (!r) {
            err = -1;
            break;
        }
        /* Only a set whose rows are named as whole stacks reads functions
         * back, and only a new row's are new. */
        if (s->name_rows && key == STACKSET_STACK && smp->funcs && s->nrows > nrows &&
            (err = note_funcs(s, r, kf, f, smp->funcs, n, &copies)))
            break;
        for (size_t t = 0; t < s->ntypes; t++) {
            stackset_cell *c = stackset_cell_at(s, r, prof, t);
            if (types[t] < 0)
                c->sd = PROFILE_SD_UNKNOWN;
            else
                stackset_cell_add_int(c, smp->values[types[t]], smp->var[types[t]],
                                      smp->sd[types[t]]);
        }
    }
    ptrmap_free(&copies);
    free(own);
    return err;
}

size_t stackset_count(const stackset *s) { return s->nrows; }

stackset_row *stackset_get(const stackset *s, size_t i) { return i < s->nrows ? s->rows[i] : NULL; }

/* Where a site's caller is: the first frame past the site that is not the
 * site's function again, nor the site's frame again.  Functions compare as
 * pointers (equal names are one pointer: profile_read.h), so a recursion
 * costs one compare a level, whatever the names' length or how its frames
 * alternate.  A frame of the site's text is a repeat whatever its
 * function: under --lines, a function without a name whose file is "A
 * a.c" at line 10 reads "A a.c:10" as function A's line 10 of a.c does,
 * and the key's caller, the site's text again, would be dropped from its
 * name (which reads the key's frames as their own functions). */
static size_t past_repeats(const char *const *frames, const ptrmap *funcs,
                           const stackset *set, size_t n, size_t site)
{
    const ptrmap *map = funcs ? funcs : set ? &set->funcs : NULL;
    const profile_func_at *list = stack_funcs(frames, map);
    const char *s = func_of(frames, list, map, site);
    size_t c = site + 1;
    while (c < n && (frames[c] == frames[site] || func_of(frames, list, map, c) == s))
        c++;
    return c;
}

/* The key's frames as indexes into frames (see stackset_site); *via: the
 * first is the wrapper the site allocates through. */
static size_t site_at(const char *const *frames, const ptrmap *funcs, ptrmap *kinds,
                      const stackset *set, size_t n, size_t at[STACKSET_SITE_MAX], bool *via)
{
    size_t m = 0;
    *via = false;
    if (n == 0)
        return 0;
    size_t w;
    size_t site = wrappers_site(frames, n, kinds, &w);
    /* The wrapper the site allocates through is part of the key, as the
     * name shows it: keyed by site and caller alone, a function's malloc
     * and its strdup were one row in ages and timeline, two in leaks.
     * It is the one next to the site unless that one is a wrapper only
     * in context (wrappers_site): the key, whose first frame it is, must
     * key to itself, or a row's name (top, ages, timeline: named from
     * the key) and its stack's (leaks) differ. */
    if (site > 0) {
        at[m++] = w;
        *via = true;
    }
    at[m++] = site;
    size_t caller = past_repeats(frames, funcs, set, n, site);
    if (caller < n)
        at[m++] = caller;
    return m;
}

void stackset_site_key(stackset_site *k, const char *const *frames, const namehash *hashes,
                       const struct ptrmap *funcs, struct ptrmap *kinds, size_t n)
{
    size_t at[STACKSET_SITE_MAX];
    bool via;
    k->n = site_at(frames, funcs, kinds, NULL, n, at, &via);
    for (size_t i = 0; i < k->n; i++) {
        k->frames[i] = frames[at[i]];
        if (hashes)
            k->hashes[i] = hashes[at[i]];
    }
}

int stackset_add_sites(stackset *dst, const stackset *src)
{
    if (dst->nprof != src->nprof || dst->ntypes != src->ntypes || dst->nfixed != src->nfixed ||
        dst->own)
        return -1;
    size_t ncells = src->nprof * src->ntypes + src->nfixed;
    /* Each key frame's hash, computed once per distinct name pointer (src's
     * rows share their names' pointers): hashed at every row, two 200 KB
     * names over 20000 stacks made leaks --by site 60 times slower. */
    ptrmap hashed = PTRMAP_INIT;
    int err = 0;
    for (size_t i = 0; !err && i < src->nrows; i++) {
        const stackset_row *r = src->rows[i];
        size_t at[STACKSET_SITE_MAX];
        const char *key[STACKSET_SITE_MAX];
        namehash hk[STACKSET_SITE_MAX];
        bool via;
        /* src's notes of its frames' functions, as stackset_row_site_name
         * reads them: the site names the row's stack as leaks named it. */
        size_t n = site_at(r->frames, NULL, NULL, src, r->nframes, at, &via);
        for (size_t k = 0; !err && k < n; k++) {
            uint64_t h;
            key[k] = r->frames[at[k]];
            if (!ptrmap_get(&hashed, key[k], &h)) {
                h = namehash_of(key[k]);
                err = ptrmap_put(&hashed, key[k], h) ? -1 : 0;
            }
            hk[k] = (namehash)h;
        }
        stackset_row *to = err ? NULL : stackset_row_hashed(dst, key, hk, n);
        if (!to) {
            err = -1;
            break;
        }
        for (size_t c = 0; c < ncells; c++)
            stackset_cell_add_cell(&to->cells[c], &r->cells[c]);
    }
    ptrmap_free(&hashed);
    return err;
}

/* stackset_site_name's, with set's notes of the frames' functions. */
static void site_name(char *buf, size_t len, const char *const *frames, const stackset *set,
                      size_t n)
{
    /* A key keys to itself, so a row's name and a stack's agree (timeline
     * --site reads the stacks'). */
    size_t at[STACKSET_SITE_MAX];
    bool via;
    size_t m = site_at(frames, NULL, NULL, set, n, at, &via);
    /* The site's wrapper is named too: without it, a function's
     * malloc and its strdup would be two rows reading the same. */
    char wrapper[160] = "";
    if (via)
        snprintf(wrapper, sizeof wrapper, " (via %.120s)", frames[at[0]]);
    size_t site = via ? 1 : 0;
    if (m == 0)
        snprintf(buf, len, "(no stack)");
    else if (m == site + 1)
        snprintf(buf, len, "%s%s", frames[at[site]], wrapper);
    else
        snprintf(buf, len, "%s \xe2\x86\x90 %s%s", frames[at[site]], frames[at[site + 1]],
                 wrapper);
}

void stackset_site_name(char *buf, size_t len, const char *const *frames, size_t n)
{
    site_name(buf, len, frames, NULL, n);
}

void stackset_row_site_name(char *buf, size_t len, const stackset *s, const stackset_row *r)
{
    site_name(buf, len, r->frames, s, r->nframes);
}
