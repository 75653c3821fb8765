/*
 * dwarfinline.c - the chains of inlined functions at addresses, from
 * .debug_info (see dwarfinline.h).
 *
 * Data: one unit at a time (DWARF 5, sections 7.5.1 and 7.5.3): its
 * header, then its abbreviation table, parsed from .debug_abbrev into
 * abbrevs[] (tag, children, attribute specs in specs[]), then its entries,
 * read whole into buf, as a preorder tree: an entry whose abbreviation has
 * children is followed by them and a 0 code.  The compile unit's entry
 * comes first; its code range (DW_AT_low_pc/high_pc or DW_AT_ranges) tells
 * whether any query lies in the unit at all, so most units cost their
 * header, their abbreviations and one entry.
 *
 * The walk keeps the path from the unit's entry to the current one
 * (stack[]).  Each inlined subroutine whose ranges hold a query becomes a
 * node of that query's chain (pool[], linked to the previous node); nodes
 * that are not ancestors of the new one (siblings, bogus overlaps) are
 * dropped from the chain first, so a chain is always one path down the
 * tree, outermost first; and it must then hold every inlined entry around
 * the new one (ninl[]), or the query gets no chain from the unit: an
 * entry whose ranges stray outside its parent's would skip a frame.  Once
 * the unit is walked, each chain is named: the function of each node
 * (through DW_AT_abstract_origin and DW_AT_specification to a linkage name
 * or a name) and the file it is declared in (the first DW_AT_decl_file on
 * that way), and its call site (DW_AT_call_file, and DW_AT_call_line).
 * File numbers are named by the line-program header (dwarfline.h) of the
 * unit whose entry holds them.
 *
 * A reference by DW_FORM_ref_addr may lead into another unit (GCC's -flto
 * output: the unit it makes holds the code, and names each function in
 * the unit of the source it came from, which follows it in the section;
 * dwz: the entries units shared are moved into partial units).  A
 * reference by DW_FORM_GNU_ref_alt or DW_FORM_ref_sup4/8 leads into a unit
 * of the supplementary file (`dwz -m`), whose sections the caller gives
 * as src->alt.  That entry is read from the other unit (a far one, one
 * per file: its header, its abbreviations, its own entry for
 * DW_AT_str_offsets_base and DW_AT_stmt_list, a slice of its bytes from
 * the entry on, up to FAR_ENTRY_MAX, and its line-program header if a
 * DW_AT_decl_file is met there: the scan keeps the last FAR_TABLES of
 * those, and spells the file as the scanned unit's table does, respell),
 * found through the starts of the units, which a scan
 * learns by walking their headers from the section's start as far as a
 * reference needs.  Other units are never walked, so the first profile
 * costs about what it does without -flto or dwz.
 *
 * Invariants: every read is checked (dwarfcursor.h); every entry consumes
 * at least its code, references are followed a bounded number of hops
 * (REF_HOPS, into other units too; each one there, each switch of the
 * far unit, and each line-program header read, counts against the budget
 * below, by the bytes it reads),
 * and tables, range lists, nesting and chains have caps; and the ranges
 * decoded plus the queries visited in a unit are counted against a budget
 * of 16 per byte of the unit, NEST_MAX per query and 2^20 (honest DWARF
 * stays far below it; one range list shared by thousands of entries, or
 * entries overlapping thousands of queries, made a scan of a few KiB take
 * minutes), so a unit's work is bounded by its size and the queries.  A
 * unit that breaks any of this answers nothing; a chain that cannot be
 * named whole is not given.  Units that share an abbreviation table parse
 * it once.
 *
 * Files: this one walks the units (the walk, the chains, their names);
 * dwarfinline_die.c decodes a unit's bytes (its header, abbreviations,
 * entries, range lists and strings); dwarfinline_far.c follows references
 * into other units and names file numbers; dwarfinline_split.c reads a
 * skeleton unit's split unit (-gsplit-dwarf) from its .dwo in the
 * skeleton's place; dwarfinline_impl.h holds the structs and the helpers
 * the four share.
 */
#include "dwarfinline.h"

#include <errno.h>
#include <string.h>

#include "dwarfcursor.h"
#include "dwarfinline_impl.h"
#include "mem.h"
#include "sort.h"

/* A query's tail when an inlined entry holds it but an inlined entry
 * around that one does not: the tree is not to be believed there. */
#define POISONED UINT32_MAX

/* ---- names ------------------------------------------------------------------- */

/* put_str_any for a name: "" names nothing (false, u->text as it was). */
static bool put_str(unit *u, const unit *from, const aval *a, size_t *at)
{
    size_t mark = u->ntext;
    if (!dwarfinline_die_put_str_any(u, from, a, at))
        return false;
    if (u->text[*at])
        return true;
    u->ntext = mark;
    return false;
}

/* Appends the name of the function the entry at off is (an inlined copy
 * of): the first linkage name along its abstract_origin and specification
 * references, else the first name; they may lead into other units.  The
 * first name is copied when met (the far unit's slice it lies in may be
 * read over by the next hop).
 *
 * With decl, also the file it is declared in, into *decl (SIZE_MAX:
 * none): the first DW_AT_decl_file along the same references, as an
 * entry's own attributes override those of the one it completes (DWARF 5,
 * 2.13.2: an out-of-class definition in a.cc of a method declared in a.h
 * says a.cc).  One that names no file (0 before DWARF 5, a number past
 * the table, a form no number has) leaves none: a farther one may be
 * another file.  Named when
 * met, by the line table of the unit it is met in: after a
 * DW_FORM_ref_addr or a reference into the supplementary file, a far
 * unit's (GCC's -flto, dwz), whose file numbers are not the scanned
 * unit's.  The references are followed past a linkage name for it,
 * within the same REF_HOPS. */
static bool find_name(scan *s, uint64_t off, size_t *at, size_t *decl)
{
    unit *u = s->u, *in = u;
    size_t start = u->ntext, first = 0, link = 0;
    bool named = false, bad = false, linked = false, seek = decl != NULL;
    if (decl)
        *decl = SIZE_MAX;
    die d;
    for (int hop = 0; hop < REF_HOPS && dwarfinline_far_entry_at(s, in, off, &d); hop++) {
        if (!linked && d.linkage.form) {
            if (!put_str(u, in, &d.linkage, &link))
                goto none; /* a linkage name unread names nothing, as before */
            linked = true;
        } else if (!linked && d.name.form && !named && !bad) {
            named = put_str(u, in, &d.name, &first);
            bad = !named; /* a first name unread names nothing, as before */
        }
        /* After the names: a far unit's slice may be read over for it
         * (respell), and its DW_FORM_string names point into it. */
        if (seek && d.decl_file.form) {
            seek = false;
            if (is_const(d.decl_file.form) &&
                !dwarfinline_far_file_name(s, in, d.decl_file.v, decl))
                goto none; /* out of memory */
        }
        if (linked && !seek)
            break;
        const aval *next = d.origin.form ? &d.origin : d.spec.form ? &d.spec : NULL;
        if (!next || !dwarfinline_far_follow(s, &in, next, &off))
            break;
    }
    if (linked || named) {
        *at = linked ? link : first;
        return true;
    }
none:
    u->ntext = start;
    if (decl)
        *decl = SIZE_MAX;
    return false;
}

/* find_name, remembered per entry for the unit: the chains of many
 * addresses pass through the same inlined copies, and each name read is a
 * read of .debug_str.  decl NULL: the decl file is not wanted, nor looked
 * for (emit's frames whose position has a file, and emit_func's
 * functions); an entry remembered without it is looked up again when it
 * is wanted. */
static bool func_name(scan *s, uint64_t off, size_t *at, size_t *decl)
{
    unit *u = s->u;
    if (!u->names && !(u->names = mem_calloc(NAMES_MEMO, sizeof *u->names)))
        return !(u->oom = true);
    size_t j = (size_t)((off * 0x9e3779b97f4a7c15ULL) >> 52) & (NAMES_MEMO - 1);
    while (u->names[j].name && u->names[j].off != off)
        j = (j + 1) & (NAMES_MEMO - 1);
    struct name_memo *m = &u->names[j];
    if (m->name && (!decl || m->decl_sought)) {
        if (!put_text(u, m->name, at))
            return false;
        if (!decl)
            return true;
        const char *path = m->name + (u->ntext - *at); /* past the name put and its NUL */
        *decl = SIZE_MAX;
        return !*path || put_text(u, path, decl);
    }
    if (!find_name(s, off, at, decl))
        return false;
    /* A full memo (half its slots) just stops remembering. */
    if (!m->name && u->nnames >= NAMES_MEMO / 2)
        return true;
    const char *name = u->text + *at, *path = decl && *decl != SIZE_MAX ? u->text + *decl : "";
    size_t nlen = strlen(name) + 1, plen = strlen(path) + 1;
    char *block = mem_alloc(nlen + plen);
    if (!block)
        return !(u->oom = true);
    memcpy(block, name, nlen);
    memcpy(block + nlen, path, plen);
    if (m->name)
        mem_free(m->name); /* remembered without its decl file */
    else
        u->nnames++;
    *m = (struct name_memo){ (uint32_t)off, decl != NULL, block };
    return true;
}

/* The call site of inlined entry d: file into u->text (*at, or SIZE_MAX
 * when unknown), and line. */
static bool call_site(scan *s, const die *d, size_t *at, uint32_t *line)
{
    unit *u = s->u;
    *at = SIZE_MAX;
    *line = d->call_line.form && is_const(d->call_line.form) && d->call_line.v <= UINT32_MAX
                ? (uint32_t)d->call_line.v
                : 0;
    if (!d->call_file.form || !is_const(d->call_file.form))
        return true;
    return dwarfinline_far_file_name(s, u, d->call_file.v, at);
}

/* Names query q's chain and hands it out: nothing when any function of it
 * cannot be named (a decl file that cannot be named is left out).  A
 * frame's decl file is looked for only where its position names no file
 * (out->placed): the innermost's is the address's row, each other's the
 * call site of the one inlined into it, named just before. */
static void emit(scan *s, size_t q)
{
    unit *u = s->u;
    size_t name[DWARFINLINE_DEPTH_MAX], file[DWARFINLINE_DEPTH_MAX], decl[DWARFINLINE_DEPTH_MAX];
    dwarfinline_frame f[DWARFINLINE_DEPTH_MAX];
    size_t n = 0;
    u->ntext = 0;
    if (s->tail[q] == POISONED)
        return;
    for (uint32_t t = s->tail[q]; t; t = u->pool[t - 1].prev) {
        die d;
        if (n == DWARFINLINE_DEPTH_MAX || !dwarfinline_die_at(u, u->pool[t - 1].off, &d))
            return;
        const dwarfinline_sink *o = s->out;
        bool want = !o->placed || (n ? file[n - 1] == SIZE_MAX : !o->placed(o->ctx, q));
        decl[n] = SIZE_MAX;
        if (!func_name(s, u->pool[t - 1].off, &name[n], want ? &decl[n] : NULL) ||
            !call_site(s, &d, &file[n], &f[n].line))
            return;
        n++;
    }
    for (size_t k = 0; k < n; k++) {
        f[k].name = u->text + name[k];
        f[k].file = file[k] == SIZE_MAX ? NULL : u->text + file[k];
        f[k].decl_file = decl[k] == SIZE_MAX ? NULL : u->text + decl[k];
    }
    if (n) {
        s->out->found(s->out->ctx, q, f, n);
        s->done[q] = true;
    }
}

/* Hands out the name of the function entry holding query q. */
static void emit_func(scan *s, size_t q)
{
    unit *u = s->u;
    size_t at;
    u->ntext = 0;
    if (func_name(s, s->sub[q] - 1, &at, NULL))
        s->out->func(s->out->ctx, q, u->text + at);
}

/* ---- the walk ---------------------------------------------------------------- */

static bool any_query(const scan *s)
{
    const unit *u = s->u;
    for (size_t k = 0; k < u->nrng; k++) {
        size_t i = sort_lower_bound(s->addrs, s->n, u->rng[k][0]);
        if (i < s->n && s->addrs[i] < u->rng[k][1])
            return true;
    }
    return false;
}

/* Query q lies in the inlined entry at off, depth deep: its chain drops
 * what is not an ancestor of that entry, then takes it, if every inlined
 * entry around it holds q too (else q is POISONED for this unit). */
static bool add_node(scan *s, size_t q, uint64_t off, uint32_t depth)
{
    unit *u = s->u;
    uint32_t t = s->tail[q];
    if (!t)
        s->touched[s->ntouched++] = q;
    if (t == POISONED)
        return true;
    while (t && !(u->pool[t - 1].depth < depth && u->stack[u->pool[t - 1].depth] == u->pool[t - 1].off))
        t = u->pool[t - 1].prev;
    uint32_t len = t ? u->pool[t - 1].len : 0;
    if (len != u->ninl[depth]) {
        s->tail[q] = POISONED;
        return true;
    }
    if (!room(&u->pool, &u->cappool, u->npool, sizeof *u->pool, POOL_MAX, &u->oom))
        return false;
    u->pool[u->npool++] = (node){ off, depth, t, len + 1 };
    s->tail[q] = (uint32_t)u->npool;
    return true;
}

static bool is_type(uint32_t tag)
{
    return tag == TAG_STRUCTURE_TYPE || tag == TAG_CLASS_TYPE || tag == TAG_UNION_TYPE ||
           tag == TAG_ENUMERATION_TYPE || tag == TAG_ARRAY_TYPE || tag == TAG_SUBROUTINE_TYPE;
}

/* Walks the entries after the unit's own, from c: the chains of the
 * queries they hold, and the range of code they cover into lo, hi.
 * false: the unit could not be walked (its chains are not to be given). */
static bool walk(scan *s, cursor *c, uint64_t *lo, uint64_t *hi)
{
    unit *u = s->u;
    uint32_t depth = 1;
    u->ninl[1] = 0;
    u->incode[1] = false;
    while (!c->bad && c->p < c->end) {
        uint64_t off = (uint64_t)(c->p - u->buf);
        uint64_t code = get_uleb(c);
        if (c->bad)
            return false;
        if (code == 0) {
            if (--depth == 0)
                return true;
            continue;
        }
        const abbrev *ab = dwarfinline_die_find_abbrev(u, code);
        if (!ab)
            return false;
        bool code_tag = ab->tag == TAG_SUBPROGRAM || ab->tag == TAG_INLINED_SUBROUTINE;
        /* Most entries (members, parameters, variables, types) matter
         * only for their size: skipped whole where their forms say it. */
        if (!code_tag && !ab->children && ab->fixed >= 0) {
            skip(c, (uint64_t)ab->fixed);
            continue;
        }
        die d;
        if (!dwarfinline_die_read(u, c, ab, &d))
            return false;
        uint64_t sib;
        /* Types outside any function hold no code (GCC and clang put a
         * member function's code at the unit's or namespace's level):
         * their members are skipped.  Inside a function they may: GCC
         * puts a local class's methods, a lambda's operator() among them,
         * in the class's entry within the function's (helper D, session
         * 41: every inlined frame of a lambda was lost). */
        if (is_type(ab->tag) && ab->children && !u->incode[depth] &&
            dwarfinline_die_ref_of(u, &d.sibling, &sib) && sib > off) {
            c->p = u->buf + sib;
            continue;
        }
        if (code_tag) {
            if (!dwarfinline_die_ranges(u, &d))
                return false;
            for (size_t k = 0; k < u->nrng; k++) {
                *lo = u->rng[k][0] < *lo ? u->rng[k][0] : *lo;
                *hi = u->rng[k][1] > *hi ? u->rng[k][1] : *hi;
                for (size_t i = sort_lower_bound(s->addrs, s->n, u->rng[k][0]);
                     i < s->n && s->addrs[i] < u->rng[k][1]; i++) {
                    u->stats.visits++;
                    if (++u->work > u->budget)
                        return false;
                    if (ab->tag == TAG_INLINED_SUBROUTINE && !s->done[i] &&
                        !add_node(s, i, off, depth))
                        return false;
                    if (ab->tag == TAG_SUBPROGRAM && s->sub) {
                        if (!s->sub[i])
                            s->subs[s->nsubs++] = i;
                        s->sub[i] = off + 1; /* a nested one (a local class's) is met later */
                    }
                }
            }
            /* Its children are read even when its code holds no query: a
             * function's children may hold code outside it (GCC's local
             * classes and lambdas, above). */
        }
        if (ab->children) {
            if (depth + 1 >= NEST_MAX)
                return false;
            u->ninl[depth + 1] = u->ninl[depth] + (ab->tag == TAG_INLINED_SUBROUTINE);
            u->incode[depth + 1] = u->incode[depth] || code_tag;
            u->stack[depth++] = off;
        }
    }
    return false; /* the unit ended inside an entry's children */
}

/* ---- units ------------------------------------------------------------------- */

/* Empties the memos of call files and names for the next unit (their
 * tables stay: allocating them per unit costs page faults). */
static void forget_names(unit *u)
{
    for (size_t k = 0; u->paths && k < FILES_MEMO; k++) {
        mem_free(u->paths[k]);
        u->paths[k] = NULL;
    }
    for (size_t k = 0; u->names && k < NAMES_MEMO; k++) {
        mem_free(u->names[k].name);
        u->names[k].name = NULL;
    }
    u->nnames = 0;
}

/* Reads the unit's first `len` bytes into u->buf. */
static bool load_unit(unit *u, size_t len)
{
    u->len = len;
    return dwarfinline_die_load(u, DWARFINLINE_INFO, u->off, len, &u->buf, &u->cap);
}

/* The bases unit entry cu sets for the reads of its unit u (and the
 * base address of its range lists).  false: its DW_AT_low_pc cannot be
 * read. */
static bool unit_bases(unit *u, const die *cu)
{
    u->has_addr_base = cu->addr_base.form != 0;
    u->addr_base = cu->addr_base.v;
    u->has_rnglists_base = cu->rnglists_base.form != 0;
    u->rnglists_base = cu->rnglists_base.v;
    u->has_str_offsets_base = cu->str_offsets_base.form != 0;
    u->str_offsets_base = cu->str_offsets_base.v;
    u->has_stmt_list = cu->stmt_list.form != 0;
    u->stmt_list = cu->stmt_list.v;
    u->comp_dir = cu->comp_dir; /* DW_FORM_string: in u->buf, which holds the unit from its start */
    u->canon_made = false;
    u->base = 0;
    return !cu->low.form || dwarfinline_die_addr_of(u, &cu->low, &u->base);
}

/* Tells the sink (later) of the queries in the unit's ranges (u->rng). */
static void defer(scan *s)
{
    const unit *u = s->u;
    for (size_t k = 0; k < u->nrng; k++)
        for (size_t i = sort_lower_bound(s->addrs, s->n, u->rng[k][0]);
             i < s->n && s->addrs[i] < u->rng[k][1]; i++)
            s->out->later(s->out->ctx, i);
}

/* Reads and walks the unit at *off; *off moves to the next one, or to
 * UINT64_MAX when the section cannot be followed further.  ENOMEM or 0. */
static int one_unit(scan *s, uint64_t *off)
{
    unit *u = s->u;
    uint64_t at = *off, abbrev_off, dies;
    if (!dwarfinline_die_unit_header(u, at, &abbrev_off, &dies, off))
        return 0;
    uint64_t total = u->total;
    u->work = 0;
    u->budget = 16 * total + (uint64_t)NEST_MAX * s->n + ((uint64_t)1 << 20);
    u->files_tried = false;
    u->npool = 0;
    if (!dwarfinline_die_load_abbrevs(u, abbrev_off))
        return u->oom ? ENOMEM : 0;

    /* The unit's own entry, from its first bytes (all of them if it needs). */
    die cu;
    const abbrev *ab = NULL;
    bool whole = total <= PREFIX;
    if (!load_unit(u, whole ? (size_t)total : PREFIX))
        return u->oom ? ENOMEM : 0;
    for (;;) {
        cursor e = { u->buf + dies, u->buf + u->len, false };
        ab = dwarfinline_die_find_abbrev(u, get_uleb(&e));
        if (!e.bad && ab && dwarfinline_die_read(u, &e, ab, &cu)) {
            dies = (uint64_t)(e.p - u->buf);
            break;
        }
        if (whole || !load_unit(u, (size_t)total))
            return u->oom ? ENOMEM : 0;
        whole = true;
    }
    bool skeleton = ab->tag == TAG_SKELETON_UNIT;
    if (ab->tag != TAG_COMPILE_UNIT && ab->tag != TAG_PARTIAL_UNIT && !skeleton)
        return 0;
    if (!unit_bases(u, &cu))
        return 0;
    /* The unit's code: whether any query lies there, and the range an
     * index keeps.  A unit that says nothing of its code is walked. */
    uint64_t lo = UINT64_MAX, hi = 0;
    bool ranged = cu.low.form || cu.ranges.form;
    if (!dwarfinline_die_ranges(u, &cu))
        return u->oom ? ENOMEM : 0;
    for (size_t k = 0; k < u->nrng; k++) {
        lo = u->rng[k][0] < lo ? u->rng[k][0] : lo;
        hi = u->rng[k][1] > hi ? u->rng[k][1] : hi;
    }
    bool walked = true, split = false, again = false;
    /* A skeleton's entries are its split unit's, read in its place
     * (dwarfinline_split.c); without it, the unit answers nothing but
     * says its range (the skeleton's). */
    if ((ab->children || skeleton) && (!ranged || any_query(s)) &&
        (!skeleton || (split = dwarfinline_split_enter(s, &cu, &dies, &again)))) {
        if (!whole && !split && !load_unit(u, (size_t)total))
            return u->oom ? ENOMEM : 0;
        cursor w = { u->buf + dies, u->buf + u->len, false };
        uint64_t wlo = UINT64_MAX, whi = 0;
        walked = walk(s, &w, &wlo, &whi);
        if (!ranged) {
            lo = wlo;
            hi = whi;
        }
        for (size_t k = 0; k < s->ntouched && walked && !u->oom; k++)
            emit(s, s->touched[k]);
        for (size_t k = 0; k < s->ntouched; k++)
            s->tail[s->touched[k]] = 0;
        s->ntouched = 0;
        for (size_t k = 0; k < s->nsubs && walked && !u->oom; k++)
            emit_func(s, s->subs[k]);
        for (size_t k = 0; k < s->nsubs; k++)
            s->sub[s->subs[k]] = 0;
        s->nsubs = 0;
        /* The split unit's walk read over u's bases and ranges: the
         * skeleton's are read again for its queries (defer). */
        if (split && dwarfinline_split_leave(s, false))
            again = unit_bases(u, &cu) && dwarfinline_die_ranges(u, &cu);
    }
    /* Its queries' answers lack the split unit a later scan may read: not
     * final.  A skeleton without ranges says of none of them. */
    if (again && ranged && s->out->later)
        defer(s);
    dwarfline_files_close(u->files);
    u->files = NULL;
    forget_names(u);
    if (u->oom)
        return ENOMEM;
    /* A unit whose walk failed answers nothing; one that could not say
     * its range is read by every later scan, as it may not fail then. */
    if (s->out->unit) {
        if (!walked && !ranged)
            s->out->unit(s->out->ctx, at, 0, UINT64_MAX);
        else
            s->out->unit(s->out->ctx, at, lo < hi ? lo : 0, lo < hi ? hi : 0);
    }
    return 0;
}

int dwarfinline_scan(const dwarfinline_src *src, const uint64_t *addrs, size_t n,
                     const uint64_t *units, size_t nunits, const dwarfinline_sink *out)
{
    if (!n)
        return 0;
    if (n >= SIZE_MAX / sizeof(size_t))
        return ENOMEM;
    scan s = { .src = src, .out = out, .addrs = addrs, .n = n,
               .tail = mem_calloc(n, sizeof *s.tail), .touched = mem_alloc(n * sizeof *s.touched),
               .done = mem_calloc(n, sizeof *s.done), .u = mem_calloc(1, sizeof(unit)) };
    if (out->func) {
        s.sub = mem_calloc(n, sizeof *s.sub);
        s.subs = mem_alloc(n * sizeof *s.subs);
    }
    int err = 0;
    if (!s.tail || !s.touched || !s.done || !s.u || (out->func && (!s.sub || !s.subs))) {
        err = ENOMEM;
    } else {
        s.u->src = src;
        s.u->winsec = -1;
        s.u->lsrc = (dwarfline_src){ src->ctx, src->read, { 0 } };
        memcpy(s.u->lsrc.size, src->size, sizeof s.u->lsrc.size);
        uint64_t off = 0;
        for (size_t k = 0; !err && next_unit(units, nunits, k, &off); k++)
            err = one_unit(&s, &off);
    }
    for (int k = 0; k < FAR_FILES; k++) {
        unit *far = s.far[k].u;
        if (far) {
            if (out->stats)
                out->stats->abbrev_tables += far->stats.abbrev_tables;
            mem_free(far->buf);
            mem_free(far->abbrevs);
            mem_free(far->specs);
            mem_free(far->win);
            mem_free(far);
        }
        mem_free(s.far[k].starts);
    }
    for (int k = 0; k < FAR_TABLES; k++)
        dwarfline_files_close(s.tables[k].f);
    dwarfline_files_close(s.big);
    if (s.u) {
        if (out->stats) {
            out->stats->abbrev_tables += s.u->stats.abbrev_tables;
            out->stats->ranges += s.u->stats.ranges;
            out->stats->visits += s.u->stats.visits;
            out->stats->line_tables += s.u->stats.line_tables;
            out->stats->line_bytes += s.u->stats.line_bytes;
        }
        mem_free(s.u->buf);
        mem_free(s.u->abbrevs);
        mem_free(s.u->specs);
        mem_free(s.u->win);
        mem_free(s.u->rng);
        mem_free(s.u->pool);
        mem_free(s.u->text);
        forget_names(s.u);
        mem_free(s.u->paths);
        mem_free(s.u->names);
        mem_free(s.u->canon);
        mem_free(s.u->cdir);
        mem_free(s.u->cpath);
    }
    mem_free(s.u);
    mem_free(s.tail);
    mem_free(s.touched);
    mem_free(s.done);
    mem_free(s.sub);
    mem_free(s.subs);
    return err;
}
