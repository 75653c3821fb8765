/*
 * flame.c - see flame.h.
 *
 * Nodes live in one array, linked by index (first child, next sibling,
 * parent), so adding never invalidates what a caller holds but a pointer.
 * A child is found by (parent, name) in an open-addressing table of node
 * indices, keyed by the parent and the name's namehash_of (namehash.h),
 * which a profile's samples carry: a name's bytes are not hashed at every
 * frame.  The layout walks the tree without recursion: a profile from
 * another producer may hold stacks of any depth.
 */
#include "flame.h"

#include "namehash.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct flame {
    flame_node *n;
    uint32_t *parent; /* by node */
    namehash *hash;   /* by node: namehash_of its name */
    double *x;        /* by node: left edge, written by flame_layout */
    size_t len, cap;
    uint32_t *slots; /* node indices; 0 is empty (the root is no child) */
    size_t nslots;
    bool inexact; /* a node's ival or ibase left int64_t's range */
};

uint64_t flame_name_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *s = (const unsigned char *)name; *s; s++)
        h = (h ^ *s) * 1099511628211ULL;
    return h;
}

static uint64_t key_of(uint32_t parent, namehash name_hash)
{
    return namehash_fold((uint64_t)parent * 0x9e3779b97f4a7c15ULL, name_hash);
}

static int grow_slots(flame *f)
{
    size_t n = f->nslots ? f->nslots * 2 : 1024;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 1; i < f->len; i++) {
        size_t j = key_of(f->parent[i], f->hash[i]) & (n - 1);
        while (s[j])
            j = (j + 1) & (n - 1);
        s[j] = (uint32_t)i;
    }
    free(f->slots);
    f->slots = s;
    f->nslots = n;
    return 0;
}

static int grow_nodes(flame *f)
{
    size_t n = f->cap ? f->cap * 2 : 1024;
    if (n > UINT32_MAX)
        return -1;
    flame_node *a = realloc(f->n, n * sizeof *a);
    if (!a)
        return -1;
    f->n = a;
    uint32_t *p = realloc(f->parent, n * sizeof *p);
    if (!p)
        return -1;
    f->parent = p;
    namehash *h = realloc(f->hash, n * sizeof *h);
    if (!h)
        return -1;
    f->hash = h;
    f->cap = n;
    return 0;
}

flame *flame_new(void)
{
    flame *f = calloc(1, sizeof *f);
    if (!f || grow_nodes(f) || grow_slots(f)) {
        flame_free(f);
        return NULL;
    }
    f->n[0] = (flame_node){0};
    f->parent[0] = 0;
    f->len = 1;
    return f;
}

void flame_free(flame *f)
{
    if (!f)
        return;
    free(f->n);
    free(f->parent);
    free(f->hash);
    free(f->x);
    free(f->slots);
    free(f);
}

/* The child of p called name (whose namehash_of is h), made (with nothing
 * in it) if new; 0 when out of memory. */
static uint32_t child_of(flame *f, uint32_t p, const char *name, namehash h)
{
    size_t j = key_of(p, h) & (f->nslots - 1);
    for (uint32_t c; (c = f->slots[j]); j = (j + 1) & (f->nslots - 1))
        if (f->parent[c] == p && f->hash[c] == h &&
            (f->n[c].name == name || !strcmp(f->n[c].name, name)))
            return c;
    if ((f->len + 1) * 2 > f->nslots) {
        if (grow_slots(f))
            return 0;
        return child_of(f, p, name, h); /* its slot moved */
    }
    if (f->len == f->cap && grow_nodes(f))
        return 0;
    uint32_t c = (uint32_t)f->len++;
    f->n[c] = (flame_node){.name = name, .depth = f->n[p].depth + 1, .next = f->n[p].child};
    f->n[p].child = c;
    f->parent[c] = p;
    f->hash[c] = h;
    f->slots[j] = c;
    return c;
}

static void put(flame *f, flame_node *n, int64_t val, double var, unsigned sd, int64_t base)
{
    n->val += (double)val;
    n->var += var;
    n->base += (double)base;
    bool over = __builtin_add_overflow(n->ival, val, &n->ival);
    over = __builtin_add_overflow(n->ibase, base, &n->ibase) || over;
    f->inexact = f->inexact || over;
    if (sd > n->sd)
        n->sd = (unsigned char)sd;
}

int flame_add(flame *f, const char *const *frames, size_t n, int64_t val, double var,
              unsigned sd, int64_t base)
{
    return flame_add_hashed(f, frames, NULL, n, val, var, sd, base);
}

int flame_add_hashed(flame *f, const char *const *frames, const namehash *hashes, size_t n,
                     int64_t val, double var, unsigned sd, int64_t base)
{
    uint32_t cur = 0;
    put(f, &f->n[0], val, var, sd, base);
    for (size_t k = n; k-- > 0;) {
        namehash h = hashes ? hashes[k] : namehash_of(frames[k]);
        if (!(cur = child_of(f, cur, frames[k], h)))
            return -1;
        put(f, &f->n[cur], val, var, sd, base);
    }
    return 0;
}

bool flame_exact(const flame *f) { return !f->inexact; }

static const flame *sort_f;

static int cmp_nodes(const void *a, const void *b)
{
    const flame_node *x = &sort_f->n[*(const uint32_t *)a], *y = &sort_f->n[*(const uint32_t *)b];
    if (x->val != y->val)
        return x->val > y->val ? -1 : 1;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->base > y->base ? -1 : x->base < y->base;
}

int flame_sort(flame *f)
{
    free(f->x);
    f->x = calloc(f->len, sizeof *f->x);
    uint32_t *kids = malloc(f->len * sizeof *kids);
    if (!f->x || !kids) {
        free(kids);
        return -1;
    }
    sort_f = f;
    for (size_t i = 0; i < f->len; i++) {
        size_t k = 0;
        for (uint32_t c = f->n[i].child; c; c = f->n[c].next)
            kids[k++] = c;
        if (k < 2)
            continue;
        qsort(kids, k, sizeof *kids, cmp_nodes);
        f->n[i].child = kids[0];
        for (size_t j = 0; j < k; j++)
            f->n[kids[j]].next = j + 1 < k ? kids[j + 1] : 0;
    }
    free(kids);
    return 0;
}

size_t flame_count(const flame *f) { return f->len; }

const flame_node *flame_node_at(const flame *f, size_t i) { return &f->n[i]; }

uint32_t flame_layout(const flame *f, double min_w,
                      void (*fn)(void *ctx, const flame_node *n, double x, double w), void *ctx)
{
    const double total = f->n[0].val;
    if (!(total > 0) || !f->x)
        return 0;
    /* Children come heaviest first: the first too narrow ends its row. */
#define WIDE(i) (f->n[i].val > 0 && f->n[i].val / total >= min_w)
    uint32_t cur = 0, deepest = 0;
    f->x[0] = 0;
    fn(ctx, &f->n[0], 0, 1);
    for (;;) {
        uint32_t c = f->n[cur].child;
        if (c && WIDE(c)) {
            f->x[c] = f->x[cur];
            cur = c;
        } else {
            for (;;) {
                if (!cur)
                    return deepest;
                uint32_t s = f->n[cur].next;
                if (s && WIDE(s)) {
                    f->x[s] = f->x[cur] + f->n[cur].val / total;
                    cur = s;
                    break;
                }
                cur = f->parent[cur];
            }
        }
        if (f->n[cur].depth > deepest)
            deepest = f->n[cur].depth;
        fn(ctx, &f->n[cur], f->x[cur], f->n[cur].val / total);
    }
#undef WIDE
}

int flame_self(const flame *f,
               void (*fn)(void *ctx, const char *const *path, size_t n, double val, double base,
                          const int64_t *exact),
               void *ctx)
{
    uint32_t deepest = 0;
    for (size_t i = 0; i < f->len; i++)
        deepest = f->n[i].depth > deepest ? f->n[i].depth : deepest;
    const char **path = malloc(((size_t)deepest + 1) * sizeof *path);
    if (!path)
        return -1;
    /* Depth first, so that a node's ancestors are path[0..depth-2] still. */
    uint32_t cur = 0;
    for (;;) {
        if (f->n[cur].child) {
            cur = f->n[cur].child;
        } else {
            while (cur && !f->n[cur].next)
                cur = f->parent[cur];
            if (!cur)
                break;
            cur = f->n[cur].next;
        }
        const flame_node *n = &f->n[cur];
        path[n->depth - 1] = n->name;
        double val = n->val, base = n->base;
        int64_t exact[2] = {n->ival, n->ibase};
        bool ok = !f->inexact;
        for (uint32_t k = n->child; k; k = f->n[k].next) {
            val -= f->n[k].val;
            base -= f->n[k].base;
            ok = ok && !__builtin_sub_overflow(exact[0], f->n[k].ival, &exact[0]) &&
                 !__builtin_sub_overflow(exact[1], f->n[k].ibase, &exact[1]);
        }
        fn(ctx, path, n->depth, val, base, ok ? exact : NULL);
    }
    free(path);
    return 0;
}
