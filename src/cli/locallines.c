/*
 * locallines.c - see locallines.h.
 *
 * Data: the asks (a location to fill, its address, the symbolizer's index
 * of its mapping), sorted by mapping and address, answered one batch per
 * mapping by symbols_lines_any; the strings and Functions made are
 * interned in two tables (index + 1, open addressing, at most half full)
 * so that a file or an inlined function met at many locations is one
 * string and one Function.  The tables and asks are freed before return;
 * what is added to pb is pb's.
 */
#include "locallines.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "namehash.h"
#include "sort.h"
#include "symbols.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Function pb_function;
typedef Perftools__Profiles__Line pb_line;

typedef struct table {
    size_t *slot; /* index + 1; 0: empty */
    size_t cap, used;
} table;

typedef struct filler {
    pb_profile *pb;
    size_t str_cap, func_cap;
    uint64_t next_id; /* the next new Function's id */
    bool ids_out;     /* ...none: UINT64_MAX was the last */
    table strs;       /* the strings added */
    table funcs;      /* the Functions added */
} filler;

static uint64_t hash_func(const pb_function *f)
{
    return hp_mix64((uint64_t)f->name * 0x9e3779b97f4a7c15ULL ^
                    (uint64_t)f->system_name << 21 ^ (uint64_t)f->filename);
}

static bool same_func(const pb_function *a, const pb_function *b)
{
    return a->name == b->name && a->system_name == b->system_name && a->filename == b->filename;
}

/* Doubles t, rehashing each entry by hash(entry). */
static int table_grow(table *t, const filler *fl, bool strs)
{
    size_t ncap = t->cap ? t->cap * 2 : 64;
    size_t *n = calloc(ncap, sizeof *n);
    if (!n)
        return ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        size_t v = t->slot[i];
        if (!v)
            continue;
        uint64_t h = strs ? namehash_of(fl->pb->string_table[v - 1])
                          : hash_func(fl->pb->function[v - 1]);
        size_t j = h & (ncap - 1);
        while (n[j])
            j = (j + 1) & (ncap - 1);
        n[j] = v;
    }
    free(t->slot);
    t->slot = n;
    t->cap = ncap;
    return 0;
}

/* The string index of s (NULL: 0, the empty string), added on first use. */
static int intern_str(filler *fl, const char *s, int64_t *out)
{
    pb_profile *pb = fl->pb;
    *out = 0;
    if (!s || !*s)
        return 0;
    if (((fl->strs.used + 1) * 2 > fl->strs.cap && table_grow(&fl->strs, fl, true)) ||
        !fl->strs.slot)
        return ENOMEM;
    size_t mask = fl->strs.cap - 1, j = namehash_of(s) & mask;
    for (; fl->strs.slot[j]; j = (j + 1) & mask)
        if (!strcmp(pb->string_table[fl->strs.slot[j] - 1], s)) {
            *out = (int64_t)(fl->strs.slot[j] - 1);
            return 0;
        }
    if (pb->n_string_table == fl->str_cap) {
        size_t ncap = fl->str_cap * 2 + 16;
        char **g = realloc(pb->string_table, ncap * sizeof *g);
        if (!g)
            return ENOMEM;
        pb->string_table = g;
        fl->str_cap = ncap;
    }
    char *copy = strdup(s);
    if (!copy)
        return ENOMEM;
    pb->string_table[pb->n_string_table] = copy;
    *out = (int64_t)pb->n_string_table++;
    fl->strs.slot[j] = (size_t)*out + 1;
    fl->strs.used++;
    return 0;
}

/* The id of the Function named name (system name sys) in file (string
 * indices), one of those added, made on first use. */
static int intern_func(filler *fl, int64_t name, int64_t sys, int64_t file, uint64_t *id)
{
    pb_profile *pb = fl->pb;
    pb_function key = PERFTOOLS__PROFILES__FUNCTION__INIT;
    key.name = name;
    key.system_name = sys;
    key.filename = file;
    if (((fl->funcs.used + 1) * 2 > fl->funcs.cap && table_grow(&fl->funcs, fl, false)) ||
        !fl->funcs.slot)
        return ENOMEM;
    size_t mask = fl->funcs.cap - 1, j = hash_func(&key) & mask;
    for (; fl->funcs.slot[j]; j = (j + 1) & mask)
        if (same_func(pb->function[fl->funcs.slot[j] - 1], &key)) {
            *id = pb->function[fl->funcs.slot[j] - 1]->id;
            return 0;
        }
    /* UINT64_MAX was given: a next id would wrap to 0, which is no id
     * (profile_read refused the profile: "function #n has id 0"). */
    if (fl->ids_out)
        return ENOSPC;
    if (pb->n_function == fl->func_cap) {
        size_t ncap = fl->func_cap * 2 + 16;
        pb_function **g = realloc(pb->function, ncap * sizeof *g);
        if (!g)
            return ENOMEM;
        pb->function = g;
        fl->func_cap = ncap;
    }
    pb_function *f = malloc(sizeof *f);
    if (!f)
        return ENOMEM;
    *f = key;
    f->id = *id = fl->next_id;
    fl->ids_out = fl->next_id++ == UINT64_MAX;
    pb->function[pb->n_function] = f;
    fl->funcs.slot[j] = pb->n_function++ + 1;
    fl->funcs.used++;
    return 0;
}

/* Location l's Lines from answer g, as the library's set_lines makes them
 * (pprof_lines.c): a Line per function inlined there, innermost first, the
 * innermost at g's file and line, each other at the call site of the one
 * inlined into it, then l's own function (name and sys, string indices)
 * at the call site of the outermost.  An inlined function's Line whose
 * position has no file takes the file the function is declared in.  The
 * old Lines are freed.  An answer with neither a line nor an inlined frame
 * leaves l as it is (*filled false), but for a location without any Line:
 * it takes one of its name alone (line 0, no file), as the library names
 * a location its lines miss (take_lines), or it read as its binary's
 * "[libstdc++.so.6]" with a name known.  No Function id left (ENOSPC
 * from intern_func): l is left as it is. */
static int set_lines(filler *fl, pb_location *l, int64_t name, int64_t sys,
                     const symbols_line *g, bool *filled)
{
    *filled = false;
    bool named_only = (!g->file || !g->line) && !g->ninl;
    if (named_only && l->n_line)
        return 0;
    size_t n = (size_t)g->ninl + 1;
    pb_line **lines = calloc(n, sizeof *lines);
    if (!lines)
        return ENOMEM;
    const char *file = named_only ? NULL : g->file;
    int64_t line = file ? g->line : 0;
    int err = 0;
    for (size_t k = 0; !err && k < n; k++) {
        const symbols_frame *fr = k < g->ninl ? &g->inl[k] : NULL;
        int64_t fname = name, fsys = sys, ffile = 0;
        uint64_t id = 0;
        if (fr)
            err = intern_str(fl, fr->name, &fname);
        fsys = fr ? fname : sys;
        if (!err)
            err = intern_str(fl, file ? file : fr ? fr->decl_file : NULL, &ffile);
        if (!err)
            err = intern_func(fl, fname, fsys, ffile, &id);
        if (!err && !(lines[k] = malloc(sizeof *lines[k])))
            err = ENOMEM;
        if (err)
            break;
        *lines[k] = (pb_line)PERFTOOLS__PROFILES__LINE__INIT;
        lines[k]->function_id = id;
        lines[k]->line = line;
        if (fr) {
            file = fr->file;
            line = fr->file ? fr->line : 0;
        }
    }
    if (err) {
        for (size_t k = 0; k < n; k++)
            free(lines[k]);
        free(lines);
        return err == ENOSPC ? 0 : err;
    }
    for (size_t k = 0; k < l->n_line; k++)
        perftools__profiles__line__free_unpacked(l->line[k], NULL);
    free(l->line);
    l->line = lines;
    l->n_line = n;
    *filled = true;
    return 0;
}

typedef struct ask {
    uint64_t addr;
    size_t map; /* the symbolizer's index */
    size_t loc;
} ask;

static int ask_cmp(const void *pa, const void *pb)
{
    const ask *a = pa, *b = pb;
    if (a->map != b->map)
        return a->map < b->map ? -1 : 1;
    return (a->addr > b->addr) - (a->addr < b->addr);
}

/* Whether location l, of mapping index map, is one to fill: a mapping not
 * marked as having line numbers, whose file is named by an absolute path,
 * and no Line with a line or a file (func: its one Line's function index). */
static bool wants_lines(const pb_profile *pb, const pb_location *l, long map, long func)
{
    if (map < 0 || !l->address || l->n_line > 1)
        return false;
    const Perftools__Profiles__Mapping *m = pb->mapping[map];
    if (m->has_line_numbers || pb->string_table[m->filename][0] != '/')
        return false;
    if (!l->n_line)
        return true;
    return func >= 0 && !l->line[0]->line && !pb->function[func]->filename;
}

/* At most this many mappings are given to the symbolizer, the first ones
 * of the profile (the library writes the program's first): every mapping
 * of code a process has (a few hundred at most in a large program) with
 * room for a few merged profiles.  The symbolizer checks each retired
 * mapping against those taken before it, and looks each one's file up in
 * its cache, one by one: 1024 bounds that to half a million comparisons
 * (a few ms), where a profile of 100k mappings took minutes (and 100 MB
 * for as many files).  Those past it are counted apart (st->past_cap).
 * LOCALLINES_MAPS_MAX is in locallines.h, for the note that says so. */

/* The file a mapping names.  The fuzz target reads every mapping from
 * its own executable (linked without a build-id, so that a mapping that
 * records none is read): fuzz input must not open files it names. */
static const char *map_path(const pb_profile *pb, const Perftools__Profiles__Mapping *m)
{
#ifdef LOCALLINES_FUZZ_PATH
    (void)pb;
    (void)m;
    return LOCALLINES_FUZZ_PATH;
#else
    return pb->string_table[m->filename];
#endif
}

typedef struct taken {
    hp_mapping m;
    size_t index; /* the profile's */
} taken;

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

/* By what the symbolizer takes of a mapping, then the profile's order. */
static int taken_key_cmp(const void *pa, const void *pb)
{
    const taken *a = pa, *b = pb;
    int c = cmp_u64(a->m.start, b->m.start);
    if (!c)
        c = cmp_u64(a->m.limit, b->m.limit);
    if (!c)
        c = cmp_u64(a->m.offset, b->m.offset);
    if (!c)
        c = strcmp(a->m.path, b->m.path);
    if (!c)
        c = strcmp(a->m.build_id, b->m.build_id);
    return c ? c : cmp_u64(a->index, b->index);
}

static int taken_index_cmp(const void *pa, const void *pb)
{
    return cmp_u64(((const taken *)pa)->index, ((const taken *)pb)->index);
}

static bool same_key(const hp_mapping *a, const hp_mapping *b)
{
    return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
           !strcmp(a->path, b->path) && !strcmp(a->build_id, b->build_id);
}

/* What a mapping is to the lookup (locallines_fill's state[]). */
enum {
    MAP_UNASKED, /* no location of it is filled */
    MAP_ASKED,   /* some location is: given to the symbolizer (or alike one that is) */
    MAP_PAST,    /* ...but past LOCALLINES_MAPS_MAX: not given, counted in st->past_cap */
    MAP_LEFT,    /* ...given, but some location not found in it (counted in st->left) */
};

/* The mappings some location asks about (state[i] MAP_ASKED), each one
 * once (those alike in all the symbolizer takes of them are one), at most
 * LOCALLINES_MAPS_MAX (the rest marked MAP_PAST and counted in
 * st->past_cap), given to the symbolizer as retired ones (named only while
 * their build-ids are the recorded ones).  0, or ENOMEM: the profile's own
 * (*lookup false) or the symbolizer's (*lookup true). */
static int take_mappings(const pb_profile *pb, symbolizer *s, unsigned char *state,
                         locallines_stats *st, bool *lookup)
{
    *lookup = false;
    size_t n = 0;
    for (size_t i = 0; i < pb->n_mapping; i++)
        n += state[i] == MAP_ASKED;
    taken *t = calloc(n + 1, sizeof *t), *one = calloc(n + 1, sizeof *one);
    hp_mapping *maps = calloc(n + 1, sizeof *maps);
    if (!t || !one || !maps) {
        free(t);
        free(one);
        free(maps);
        return ENOMEM;
    }
    n = 0;
    for (size_t i = 0; i < pb->n_mapping; i++) {
        const Perftools__Profiles__Mapping *m = pb->mapping[i];
        if (state[i] == MAP_ASKED && m->memory_start < m->memory_limit)
            t[n++] = (taken){ { m->memory_start, m->memory_limit, m->file_offset,
                                map_path(pb, m), pb->string_table[m->build_id] },
                              i };
    }
    sort_array(t, n, sizeof *t, taken_key_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || !same_key(&one[u - 1].m, &t[i].m))
            one[u++] = t[i];
    sort_array(one, u, sizeof *one, taken_index_cmp);
    /* Past the cap: the mappings from the first one left out on, in the
     * profile's order, and those alike them (each alike the first of its
     * kind, t sorted by key). */
    if (u > LOCALLINES_MAPS_MAX) {
        st->past_cap += u - LOCALLINES_MAPS_MAX;
        size_t cut = one[LOCALLINES_MAPS_MAX].index;
        for (size_t i = 0, first = 0; i < n; i++) {
            if (i && !same_key(&t[i - 1].m, &t[i].m))
                first = i;
            if (t[first].index >= cut)
                state[t[i].index] = MAP_PAST;
        }
        u = LOCALLINES_MAPS_MAX;
    }
    for (size_t i = 0; i < u; i++)
        maps[i] = one[i].m;
    int err = symbols_refresh_retired(s, NULL, maps, u);
    *lookup = err != 0;
    free(t);
    free(one);
    free(maps);
    return err;
}

/* Answers asks[0..n) (one mapping's, sorted) and fills their locations. */
static int fill_batch(filler *fl, symbolizer *s, const ask *asks, size_t n, const long *loc_func,
                      uint64_t *addrs, symbols_line *got, locallines_stats *st)
{
    pb_profile *pb = fl->pb;
    for (size_t k = 0; k < n; k++)
        addrs[k] = asks[k].addr;
    if (!symbols_mapping_found(s, asks[0].map)) {
        st->missing++;
        return 0;
    }
    /* Out of memory reading the file: its locations are left as they are,
     * as the library leaves such a batch (ask_batch); the profile reads. */
    if (symbols_lines_any(s, asks[0].map, addrs, n, got) == ENOMEM) {
        st->lost++;
        return 0;
    }
    int err = 0;
    for (size_t k = 0; !err && k < n; k++) {
        pb_location *l = pb->location[asks[k].loc];
        long f = loc_func[asks[k].loc];
        int64_t name = 0, sys = 0;
        if (l->n_line && f >= 0) {
            name = pb->function[f]->name;
            sys = pb->function[f]->system_name;
        } else {
            /* Not symbolized: named as the library names it, the symbol
             * table's name, else the DWARF's. */
            const char *nm = symbols_func_name(s, addrs[k]);
            err = intern_str(fl, nm ? nm : got[k].func, &name);
            sys = name;
        }
        bool filled = false;
        if (!err && (name || sys))
            err = set_lines(fl, l, name, sys, &got[k], &filled);
        st->filled += filled;
    }
    return err;
}

int locallines_fill(pb_profile *pb, const long *loc_map, const long *loc_func, const char *dirs,
                    locallines_stats *st)
{
    *st = (locallines_stats){ 0 };
    size_t nask = 0;
    for (size_t i = 0; i < pb->n_location; i++)
        nask += wants_lines(pb, pb->location[i], loc_map[i], loc_func[i]);
    if (!nask)
        return 0; /* no file is opened */
    /* The largest id first, then one past it: taking id + 1 as the ids go
     * by would wrap to 0 at UINT64_MAX and restart below it at the next
     * id ([7, UINT64_MAX, 5] gave 6, then 7: two Functions of id 7). */
    uint64_t max_id = 0;
    for (size_t i = 0; i < pb->n_function; i++)
        if (pb->function[i]->id > max_id)
            max_id = pb->function[i]->id;
    if (max_id == UINT64_MAX)
        return 0; /* no id is left for a new Function */
    filler fl = { pb, pb->n_string_table, pb->n_function, max_id + 1, false, { 0 }, { 0 } };
    /* One symbolizer for the command: the files of one profile that the
     * next one maps again keep what was read of them (symbols.c's cache,
     * srclines.h), so leaks and timeline of a series read libc's debug
     * file once, not once a profile.  Reachable until exit. */
    static symbolizer *cache;
    if (!cache)
        cache = symbols_new();
    symbolizer *s = cache;
    ask *asks = calloc(nask, sizeof *asks);
    uint64_t *addrs = calloc(nask, sizeof *addrs);
    symbols_line *got = calloc(nask, sizeof *got);
    unsigned char *state = calloc(pb->n_mapping + 1, sizeof *state);
    int err = asks && addrs && got && state ? 0 : ENOMEM;
    bool lookup = !s; /* the symbolizer is out of memory: nothing is filled */
    if (!err && s) {
        for (size_t i = 0; i < pb->n_location; i++)
            if (wants_lines(pb, pb->location[i], loc_map[i], loc_func[i]))
                state[loc_map[i]] = MAP_ASKED;
        symbols_set_debug_dirs(s, dirs);
        err = take_mappings(pb, s, state, st, &lookup);
    }
    if (lookup) {
        st->lost++;
        err = 0;
    }
    size_t n = 0;
    for (size_t i = 0; !err && !lookup && i < pb->n_location; i++) {
        const pb_location *l = pb->location[i];
        if (!wants_lines(pb, l, loc_map[i], loc_func[i]))
            continue;
        const Perftools__Profiles__Mapping *m = pb->mapping[loc_map[i]];
        long at = symbols_find_mapping(s, l->address);
        const hp_mapping *hm = at < 0 ? NULL : symbols_mapping(s, (size_t)at);
        /* The mapping found must be the location's own, file and build-id
         * too: of two mappings at one range (a merged profile, two
         * programs not PIE), the symbolizer keeps the first, and the
         * second's locations would read the first's lines. */
        if (hm && hm->start == m->memory_start && hm->limit == m->memory_limit &&
            hm->offset == m->file_offset && !strcmp(hm->path, map_path(pb, m)) &&
            !strcmp(hm->build_id, pb->string_table[m->build_id])) {
            asks[n++] = (ask){ l->address, (size_t)at, i };
        } else if (state[loc_map[i]] == MAP_ASKED) {
            /* Its mapping lost to another of its range taken before it
             * (or is empty, or the address is outside it): counted, once
             * a mapping, that the note says why these frames have none. */
            state[loc_map[i]] = MAP_LEFT;
            st->left++;
        }
    }
    if (n)
        sort_array(asks, n, sizeof *asks, ask_cmp);
    /* A mapping's batch reads its file's compressed sections once. */
    if (n)
        symbols_lines_hold(s, true);
    for (size_t i = 0, j; !err && i < n; i = j) {
        for (j = i + 1; j < n && asks[j].map == asks[i].map;)
            j++;
        err = fill_batch(&fl, s, asks + i, j - i, loc_func, addrs, got, st);
    }
    if (n)
        symbols_lines_hold(s, false);
    free(asks);
    free(addrs);
    free(got);
    free(state);
    free(fl.strs.slot);
    free(fl.funcs.slot);
    return err;
}
