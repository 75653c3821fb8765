/*
 * pprof_lines.c - step 2b of a pprof encode (pprof.c's data model): the
 * Lines of the locations, and their Functions.
 *
 * Once step 2 has seen every location, the mappings whose names the
 * profile keeps (keep_names: pprof adds no file:line there) are asked for
 * the file and line of their locations, and the functions inlined there,
 * one sorted batch per mapping (add_lines).  A Line left without a file
 * takes its function's file: an inlined function's the file the DWARF
 * declares it in (set_lines); a function's own Line the file of the
 * function's entry, asked in one more batch right after its mapping's
 * (entry_files); else (adopt_files) the one its other Lines agree on.
 * Then each Line gets its Function, by name and file (intern_func): the
 * Functions without a file are found through str_func[], those with one
 * through ftab[], a hash table (index + 1, at most half full);
 * adopt_files' own table lives for one call.  Every allocation is the
 * builder's, or freed before return.
 */
#include <string.h>

#include "common.h"
#include "mem.h"
#include "pprof_builder.h"
#include "sort.h"

/* ---- functions ----------------------------------------------------------- */

static int add_func(builder *b, uint32_t name, uint32_t file, uint32_t *out)
{
    if (b->nfuncs >= UINT32_MAX - 1)
        return ENOMEM;
    RESERVE(b->funcs, b->funcs_cap, b->nfuncs);
    b->funcs[b->nfuncs++] = (func_rec){ name, file };
    *out = (uint32_t)b->nfuncs;
    return 0;
}

static int ftab_grow(builder *b)
{
    size_t ncap = b->ftab_cap ? b->ftab_cap * 2 : TABLE_MIN;
    uint32_t *t = zalloc_array(ncap, sizeof *t);
    if (!t)
        return ENOMEM;
    for (size_t i = 0; i < b->ftab_cap; i++) {
        if (!b->ftab[i])
            continue;
        const func_rec *f = &b->funcs[b->ftab[i] - 1];
        size_t j = hp_mix64((uint64_t)f->name_str << 32 | f->file_str) & (ncap - 1);
        while (t[j])
            j = (j + 1) & (ncap - 1);
        t[j] = b->ftab[i];
    }
    mem_free(b->ftab);
    b->ftab = t;
    b->ftab_cap = ncap;
    return 0;
}

/* The Function id for a name and a file (string indices; file 0: none),
 * created on first use. */
static int intern_func(builder *b, uint32_t name, uint32_t file, uint32_t *out)
{
    if (!file) {
        if (!b->str_func[name] && add_func(b, name, 0, &b->str_func[name]))
            return ENOMEM;
        *out = b->str_func[name];
        return 0;
    }
    /* Counting every Function keeps the table at most half full. */
    if ((b->nfuncs + 1) * 2 > b->ftab_cap && ftab_grow(b))
        return ENOMEM;
    size_t mask = b->ftab_cap - 1;
    size_t j = hp_mix64((uint64_t)name << 32 | file) & mask;
    for (; b->ftab[j]; j = (j + 1) & mask) {
        const func_rec *f = &b->funcs[b->ftab[j] - 1];
        if (f->name_str == name && f->file_str == file) {
            *out = b->ftab[j];
            return 0;
        }
    }
    if (add_func(b, name, file, out))
        return ENOMEM;
    b->ftab[j] = *out;
    return 0;
}

/* ---- lines --------------------------------------------------------------- */

/* The index of mapping id (the inverse of pprof.c's map_id). */
static size_t map_index(const builder *b, uint32_t id)
{
    if (b->main_map >= b->nmaps)
        return id - 1;
    if (id == 1)
        return b->main_map;
    return id - 2 < b->main_map ? id - 2 : id - 1;
}

typedef struct line_ask {
    uint64_t addr;
    uint32_t map, loc;
} line_ask;

static int ask_cmp(const void *pa, const void *pb)
{
    const line_ask *a = pa, *b = pb;
    if (a->map != b->map)
        return a->map < b->map ? -1 : 1;
    return (a->addr > b->addr) - (a->addr < b->addr);
}

/* The string index of s, or 0 for NULL. */
static int intern_or_none(builder *b, const char *s, uint32_t *out)
{
    int64_t idx = 0;
    if (s && pprof_intern(b, s, &idx))
        return ENOMEM;
    *out = (uint32_t)idx;
    return 0;
}

/* Location r's answer g: its Line's file and line, and before it a Line
 * per function inlined there (symbols.h): the innermost at g's file and
 * line, each other one at the call site of the one inlined into it, and
 * the location's own function at the call site of the outermost.  An
 * inlined function's Line whose position has no file (line 0) takes the
 * file the function is declared in (fr->decl_file), where the DWARF says
 * it: adopt_files has nothing else for it but the profile's vote
 * (interned only then: nothing more for a Line with a file). */
static int set_lines(builder *b, loc_rec *r, const symbols_line *g)
{
    uint32_t file = 0, line = g->file ? g->line : 0;
    if (intern_or_none(b, g->file, &file))
        return ENOMEM;
    /* Past what a uint32_t numbers, the location keeps one Line. */
    uint32_t ninl = b->ninls > UINT32_MAX - g->ninl ? 0 : g->ninl;
    size_t first = b->ninls;
    for (uint32_t k = 0; k < ninl; k++) {
        const symbols_frame *fr = &g->inl[k];
        uint32_t name, call_file;
        RESERVE(b->inls, b->inls_cap, b->ninls);
        if (intern_or_none(b, fr->name, &name) || intern_or_none(b, fr->file, &call_file) ||
            (!file && intern_or_none(b, fr->decl_file, &file)))
            return ENOMEM;
        b->inls[b->ninls++] = (inl_rec){ name, file, line };
        file = call_file;
        line = fr->file ? fr->line : 0;
    }
    r->inl = (uint32_t)first;
    r->ninl = ninl;
    r->file_str = file;
    r->line = line;
    return 0;
}

/* A location's answer: its name where no symbol gave one, and its Lines;
 * a location gets lines only once named. */
static int take_lines(builder *b, const line_ask *a, const symbols_line *g)
{
    loc_rec *r = &b->locs[a->loc];
    if (!r->func && g->func) {
        int64_t name = 0;
        if (pprof_intern(b, g->func, &name))
            return ENOMEM;
        r->func = (uint32_t)name;
    }
    if (!r->func || ((!g->file || !g->line) && !g->ninl))
        return 0;
    int err = set_lines(b, r, g);
    b->lined[a->map] |= r->file_str != 0;
    return err;
}

/* An entry's answer: the file of its function's own Line, as set_lines
 * finds it (where the outermost inlined function was called, else the
 * row's), for the location that asked; none leaves it without. */
static int take_entry(builder *b, const line_ask *a, const symbols_line *g)
{
    const char *file = g->ninl ? g->inl[g->ninl - 1].file : g->line ? g->file : NULL;
    int err = intern_or_none(b, file, &b->locs[a->loc].file_str);
    b->lined[a->map] |= b->locs[a->loc].file_str != 0;
    return err;
}

/* Asks the symbol source the lines of ask[0..n), all of one mapping,
 * sorted by ask_cmp, each address once, and gives each ask its answer:
 * take_entry's for entries, else take_lines'.  addrs and got hold n.
 * Direct calls, so that take_lines is inlined: through a function pointer
 * the encode took 15 instructions a location more (callgrind, 200k
 * locations).  A batch the source cannot answer (out of memory, no
 * .debug_line) leaves its locations as they are. */
static int ask_batch(builder *b, const line_ask *ask, size_t n, bool entries, uint64_t *addrs,
                     symbols_line *got)
{
    const pprof_symbols *sy = &b->p->symbols;
    for (size_t k = 0; k < n; k++)
        addrs[k] = ask[k].addr;
    if (sy->lines(sy->ctx, ask[0].map, addrs, n, got) == ENOMEM)
        return 0; /* counted by the source */
    int err = 0;
    for (size_t k = 0; !err && k < n; k++)
        err = entries ? take_entry(b, &ask[k], &got[k]) : take_lines(b, &ask[k], &got[k]);
    return err;
}

/* Whether location r has Lines of a kept mapping, under a name. */
static inline bool lines_kept(const builder *b, const loc_rec *r)
{
    return r->func && r->mapping_id && b->keep[map_index(b, r->mapping_id)];
}

/* The locations of ask[0..n), one mapping's batch, sorted, whose own Line
 * has no file take the file the line table gives their function's entry:
 * the address func_at names the function at, less the offset it gives;
 * one more batch, each entry asked once (addrs and got, as ask_batch's).
 * Taken in ask's order, the entries come sorted too (functions do not
 * overlap), and are sorted only where they do not. */
static int entry_files(builder *b, const line_ask *ask, size_t n, uint64_t *addrs,
                       symbols_line *got)
{
    const pprof_symbols *sy = &b->p->symbols;
    size_t holes = 0;
    for (size_t k = 0; k < n; k++) {
        const loc_rec *r = &b->locs[ask[k].loc];
        holes += !r->file_str && lines_kept(b, r);
    }
    if (!holes)
        return 0;
    line_ask *e = alloc_array(holes, sizeof *e), *once = alloc_array(holes, sizeof *once);
    int err = e && once ? 0 : ENOMEM;
    size_t ne = 0, nonce = 0;
    bool sorted = true;
    for (size_t k = 0; !err && k < n && ne < holes; k++) {
        const loc_rec *r = &b->locs[ask[k].loc];
        if (r->file_str || !lines_kept(b, r))
            continue;
        /* Offset 0: the entry is this address, which named no file.  A
         * name not the location's (named by the DWARF where no symbol
         * is) would be another function's entry. */
        uint64_t off = 0;
        const char *name = sy->func_at(sy->ctx, r->addr, &off);
        if (!name || !off || strcmp(name, b->strs[r->func]) != 0)
            continue;
        e[ne] = (line_ask){ r->addr - off, ask[k].map, ask[k].loc };
        sorted &= !ne || ask_cmp(&e[ne - 1], &e[ne]) <= 0;
        ne++;
    }
    if (!sorted)
        sort_array(e, ne, sizeof *e, ask_cmp);
    for (size_t k = 0; !err && k < ne; k++)
        if (!k || ask_cmp(&e[k - 1], &e[k]))
            once[nonce++] = e[k];
    if (!err && nonce)
        err = ask_batch(b, once, nonce, true, addrs, got);
    /* The others of one entry take the first's answer. */
    for (size_t k = 1; !err && k < ne; k++)
        if (!ask_cmp(&e[k - 1], &e[k]))
            b->locs[e[k].loc].file_str = b->locs[e[k - 1].loc].file_str;
    mem_free(e);
    mem_free(once);
    return err;
}

/* File and line of the locations of mappings whose names are kept, one
 * sorted batch per mapping, and right after each, the batch of the
 * entries its Lines without a file need (entry_files): the source may
 * keep what it read of the mapping's file from one to the other
 * (lines_hold), where inflating a compressed debug file again took 40 to
 * 70 ms (Debian's libc). */
static int add_lines(builder *b, line_ask *ask, size_t n)
{
    const pprof_symbols *sy = &b->p->symbols;
    sort_array(ask, n, sizeof *ask, ask_cmp);
    uint64_t *addrs = alloc_array(n, sizeof *addrs);
    symbols_line *got = alloc_array(n, sizeof *got);
    int err = addrs && got ? 0 : ENOMEM;
    bool hold = !err && sy->lines_hold;
    if (hold)
        sy->lines_hold(sy->ctx, true);
    for (size_t i = 0, j; !err && i < n; i = j) {
        j = i + 1;
        while (j < n && ask[j].map == ask[i].map)
            j++;
        err = ask_batch(b, ask + i, j - i, false, addrs, got);
        if (!err && sy->func_at)
            err = entry_files(b, ask + i, j - i, addrs, got);
    }
    if (hold)
        sy->lines_hold(sy->ctx, false);
    mem_free(addrs);
    mem_free(got);
    return err;
}

/* adopt_files' table: per mapping id and function name of the kept
 * mappings' Lines with a file, the one file they name.  Open addressing,
 * as the tables above. */
typedef struct file_slot {
    uint64_t key; /* mapping id << 32 | name's string index; 0: empty */
    uint32_t file; /* 0: several */
} file_slot;

typedef struct file_table {
    file_slot *slots;
    size_t cap, used;
} file_table;

/* key's slot: its own, or the empty one where it goes. */
static file_slot *file_slot_of(const file_table *ft, uint64_t key)
{
    size_t mask = ft->cap - 1;
    size_t j = hp_mix64(key) & mask;
    while (ft->slots[j].key && ft->slots[j].key != key)
        j = (j + 1) & mask;
    return &ft->slots[j];
}

static int file_table_grow(file_table *ft)
{
    file_table n = { .cap = ft->cap ? ft->cap * 2 : TABLE_MIN, .used = ft->used };
    if (!(n.slots = zalloc_array(n.cap, sizeof *n.slots)))
        return ENOMEM;
    for (size_t i = 0; i < ft->cap; i++)
        if (ft->slots[i].key)
            *file_slot_of(&n, ft->slots[i].key) = ft->slots[i];
    mem_free(ft->slots);
    *ft = n;
    return 0;
}

/* A Line of key names file. */
static int file_vote(file_table *ft, uint64_t key, uint32_t file)
{
    if ((ft->used + 1) * 2 > ft->cap && file_table_grow(ft))
        return ENOMEM;
    file_slot *sl = file_slot_of(ft, key);
    if (!sl->key) {
        *sl = (file_slot){ key, file };
        ft->used++;
    } else if (sl->file != file) {
        sl->file = 0;
    }
    return 0;
}

/* The one file key's Lines name, or 0 (none, or several). */
static uint32_t file_agreed(const file_table *ft, uint64_t key)
{
    return file_slot_of(ft, key)->file;
}

/* Line k of location r (its inlined functions' first, innermost first; its
 * own at k == r->ninl): where its file is kept, and its function's name
 * into *name (a string index until pprof_lines_and_functions ends). */
static uint32_t *line_file(builder *b, loc_rec *r, uint32_t k, uint32_t *name)
{
    if (k < r->ninl) {
        inl_rec *x = &b->inls[r->inl + k];
        *name = x->func;
        return &x->file_str;
    }
    *name = r->func;
    return &r->file_str;
}

/* A Line without a file (line 0, or an address .debug_line leaves out)
 * takes its function's file, else pprof -filefunctions shows one function
 * as two, "f" and "f a.c" (and -lines that frame as "f", without its
 * file).  Its line stays 0.
 *
 * A function's own Line (not inlined) takes the file the line table gives
 * the function's entry (entry_files): a fact of the binary, so the frame
 * reads the same in every profile, and pprof -diff_base of two profiles
 * shows f as one row, not a minus row "f" and a plus row "f a.c" because
 * only one of them sampled another frame of f.  That also tells two
 * static functions of one name apart.
 *
 * An inlined function's Line has no entry of its own here (the entry
 * func_at finds is that of the function it was inlined into, and its own,
 * an out-of-line copy if any, nothing here finds): it took the file the
 * DWARF declares the function in before this (set_lines, decl_file), as
 * much a fact of the binary, so "mid a.h" in every profile, not "mid" in
 * one that sampled no other frame of mid and "mid a.h" in one that did.
 * Such a Line votes as any with a file.
 *
 * Where the entry names no file (no func_at, an entry without a row, a
 * name the symbols do not give), and for the Lines of inlined functions
 * whose DWARF declares none, the mapping's Lines of that name with a
 * file, own and inlined alike, vote: where they all name one file, it is
 * taken; where they name two (two static functions of one name) or none,
 * the Line stays without.  That is per profile: such a frame may read
 * "mid" in one profile and "mid a.h" in another.  A function of the same
 * name without any line (an object built without -g) would take the
 * other's file: names cannot tell them apart.
 *
 * The entries were asked with each mapping's lines (add_lines); then
 * passes over the Lines: count those without a file (nothing else when
 * none); table those with one; adopt.  A table, not a sort: on 200k
 * locations, one in ten without a line, sorting the Lines (as add_lines
 * sorts its batch) added 29% to the encode's instructions, the table 1.5%
 * (callgrind).  The entries cost a scan of each mapping's batch, a
 * func_at and a strcmp per Line without a file, and their batch: 1.1%
 * more there when no entry names a file, 1.8% less than the table alone
 * when all do (the table is then skipped), 0.5% more with no Line without
 * a file (0.24% when the scan waited on pass 0's count, before each
 * mapping's entries followed its lines). */
static int adopt_files(builder *b)
{
    file_table ft = { 0 };
    size_t holes = 0;
    int err = 0;
    for (int pass = 0; pass < 3 && !err; pass++) {
        if ((pass == 1 && !holes) || (pass == 2 && !ft.used))
            break;
        for (size_t i = 0; i < b->nlocs && !err; i++) {
            loc_rec *r = &b->locs[i];
            if (!lines_kept(b, r))
                continue;
            for (uint32_t k = 0; k <= r->ninl && !err; k++) {
                uint32_t name, *file = line_file(b, r, k, &name);
                uint64_t key = (uint64_t)r->mapping_id << 32 | name;
                if (!name)
                    continue;
                if (pass == 0)
                    holes += !*file;
                else if (pass == 1 && *file)
                    err = file_vote(&ft, key, *file);
                else if (pass == 2 && !*file)
                    *file = file_agreed(&ft, key);
            }
        }
    }
    mem_free(ft.slots);
    return err;
}

/* Step 2b (pprof_builder.h). */
int pprof_lines_and_functions(builder *b)
{
    const pprof_symbols *sy = &b->p->symbols;
    if (!(b->keep = zalloc_array(b->nmaps, sizeof *b->keep)) ||
        !(b->lined = zalloc_array(b->nmaps, sizeof *b->lined)))
        return ENOMEM;
    /* Names were looked up during interning, so the answer is known. */
    bool any = false;
    for (size_t i = 0; i < b->nmaps; i++)
        any |= b->keep[i] = sy->keep_names && sy->keep_names(sy->ctx, i);
    size_t n = 0;
    line_ask *ask = any && sy->lines ? alloc_array(b->nlocs, sizeof *ask) : NULL;
    if (any && sy->lines && !ask)
        return ENOMEM;
    for (size_t i = 0; ask && i < b->nlocs; i++) {
        const loc_rec *r = &b->locs[i];
        size_t m = r->mapping_id ? map_index(b, r->mapping_id) : b->nmaps;
        if (m < b->nmaps && b->keep[m])
            ask[n++] = (line_ask){ r->addr, (uint32_t)m, (uint32_t)i };
    }
    int err = n ? add_lines(b, ask, n) : 0;
    mem_free(ask);
    if (!err && n)
        err = adopt_files(b);
    for (size_t i = 0; !err && i < b->nlocs; i++) {
        loc_rec *r = &b->locs[i];
        if (r->func)
            err = intern_func(b, r->func, r->file_str, &r->func);
    }
    for (size_t i = 0; !err && i < b->ninls; i++)
        err = intern_func(b, b->inls[i].func, b->inls[i].file_str, &b->inls[i].func);
    return err;
}
