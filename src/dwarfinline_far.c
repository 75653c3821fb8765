/*
 * dwarfinline_far.c - what an entry of the scanned unit names outside its
 * own bytes: entries of other units, and files.
 *
 * References into other units (DW_FORM_ref_addr: GCC's -flto, dwz's
 * partial units; DW_FORM_GNU_ref_alt and DW_FORM_ref_sup4/8: the
 * supplementary file) are followed through a far unit per .debug_info
 * (scan.far[]): the units' starts learnt by walking their headers as far
 * as a reference needs (unit_holding), the unit holding the entry opened
 * (its header, abbreviations and own entry: far_open), and a slice of its
 * bytes read from the entry on (far_entry).  File numbers (DW_AT_call_file,
 * DW_AT_decl_file) are named by the line table of the unit whose entry
 * holds them: the scanned unit's, read once, its first FILES_MEMO names
 * remembered (file_name), or a far unit's, one of the scan's last
 * FAR_TABLES (far_files), whose name is then spelled as the scanned
 * unit's table spells that file (respell).  Each reference followed, far
 * unit opened, slice and line-table header read, and name made canonical
 * counts against the scanned unit's budget, by the bytes it reads or
 * makes (dwarfinline.c's invariants).
 */
#include "dwarfinline_impl.h"

#include <string.h>

#include "dwarfline.h"
#include "mem.h"
#include "sort.h"

/* ---- references into other units ---------------------------------------------- */

/* The start of the unit of ff's .debug_info that holds offset g, walking
 * the units' headers from where the last walk stopped as far as g; false
 * when none does (past the section's end, or a header that cannot be
 * followed before it).  The walk reads only the units' lengths, with the
 * far unit's struct (its unit is forgotten). */
static bool unit_holding(scan *s, far_file *ff, uint64_t g, uint64_t *start)
{
    unit *far = ff->u;
    while (!ff->walk_done && ff->walked_to <= g) {
        uint64_t at = ff->walked_to, abbrev_off, dies, next;
        dwarfinline_die_unit_header(far, at, &abbrev_off, &dies, &next);
        far->total = 0;
        far->len = 0;
        if (next == UINT64_MAX ||
            !room(&ff->starts, &ff->capstarts, ff->nstarts, sizeof *ff->starts, STARTS_MAX, &s->u->oom)) {
            ff->walk_done = true;
            break;
        }
        ff->starts[ff->nstarts++] = at;
        ff->walked_to = next;
    }
    size_t i = sort_lower_bound(ff->starts, ff->nstarts, g + 1);
    if (!i || g >= ff->walked_to)
        return false;
    *start = ff->starts[i - 1];
    return true;
}

/* The entry at offset off of far unit `far`, into *d: read from a slice of
 * the unit that starts there, grown until the entry fits (up to
 * FAR_ENTRY_MAX bytes); each slice read counts against the scanned
 * unit's budget by its size. */
static bool far_entry(scan *s, unit *far, uint64_t off, die *d)
{
    unit *u = s->u;
    if (off >= far->total)
        return false;
    if (dwarfinline_die_at(far, off, d))
        return true;
    uint64_t rest = far->total - off;
    for (size_t want = FAR_SLICE; want <= FAR_ENTRY_MAX; want *= 2) {
        size_t len = rest < want ? (size_t)rest : want;
        u->work += 1 + len / FAR_SLICE;
        far->slo = off;
        far->len = 0;
        if (u->work > u->budget ||
            !dwarfinline_die_load(far, DWARFINLINE_INFO, far->off + off, len, &far->buf,
                                  &far->cap)) {
            u->oom |= far->oom;
            return false;
        }
        far->len = len;
        if (dwarfinline_die_at(far, off, d))
            return true;
        if (len == rest)
            return false;
    }
    return false;
}

/* Makes the unit at `start` ff's far one: its header, abbreviations and
 * own entry (for DW_AT_str_offsets_base, and DW_AT_stmt_list and
 * DW_AT_comp_dir: the file numbers of its entries' DW_AT_decl_file are its
 * line table's, read only if a decl_file is met there, and kept for the
 * scan: far_table).  Each switch of unit counts against the scanned
 * unit's budget, with its table's size. */
static bool far_open(scan *s, far_file *ff, uint64_t start)
{
    unit *u = s->u, *far = ff->u;
    if (far->total && far->off == start)
        return true;
    uint64_t abbrev_off, dies, next, tables = far->stats.abbrev_tables;
    far->total = 0;
    far->has_stmt_list = false;
    far->comp_dir.form = 0;
    if (!dwarfinline_die_unit_header(far, start, &abbrev_off, &dies, &next) ||
        !dwarfinline_die_load_abbrevs(far, abbrev_off))
        return false;
    u->work += 1 + (far->stats.abbrev_tables - tables) * (uint64_t)far->nspecs;
    far->len = 0;
    die cu;
    if (u->work > u->budget || !far_entry(s, far, dies, &cu) ||
        (cu.ab->tag != TAG_COMPILE_UNIT && cu.ab->tag != TAG_PARTIAL_UNIT)) {
        far->total = 0;
        return false;
    }
    far->has_str_offsets_base = cu.str_offsets_base.form != 0;
    far->str_offsets_base = cu.str_offsets_base.v;
    far->has_stmt_list = cu.stmt_list.form != 0;
    far->stmt_list = cu.stmt_list.v;
    far->comp_dir = cu.comp_dir;
    ff->dies = dies;
    return true;
}

/* Follows reference a, from an entry of unit *in (the scanned one or a
 * far one), to the unit it leads to (*in) and the entry's offset there
 * (*off).  DW_FORM_ref_addr leads anywhere in the .debug_info *in is
 * from; dwz's DW_FORM_GNU_ref_alt, and DWARF 5's DW_FORM_ref_sup4/8,
 * anywhere in the supplementary file's (which refers to no other). */
bool dwarfinline_far_follow(scan *s, unit **in, const aval *a, uint64_t *off)
{
    unit *u = s->u;
    bool alt = a->form == FORM_GNU_REF_ALT || a->form == FORM_REF_SUP4 || a->form == FORM_REF_SUP8;
    if (a->form != FORM_REF_ADDR && !alt)
        return dwarfinline_die_ref_of(*in, a, off);
    /* A split unit's references stay in it (its .dwo holds no other unit
     * the far units could be read from: they read the scanned file). */
    if (u->src != s->src) {
        uint64_t g = a->v;
        if (alt || g < u->off || g - u->off >= u->total)
            return false;
        *off = g - u->off;
        return true;
    }
    far_file *ff = &s->far[alt || *in == s->far[FAR_ALT].u ? FAR_ALT : FAR_OWN];
    const dwarfinline_src *src = ff == &s->far[FAR_ALT] ? s->src->alt : s->src;
    if (!src || (alt && (*in)->src != s->src))
        return false; /* no supplementary file, or one that claims another */
    uint64_t g = a->v, start;
    if (ff == &s->far[FAR_OWN] && g >= u->off && g - u->off < u->total) {
        *in = u;
        *off = g - u->off;
        return true;
    }
    if (!ff->u) {
        if (!(ff->u = mem_calloc(1, sizeof *ff->u)))
            return !(u->oom = true);
        ff->u->src = src;
        ff->u->winsec = -1;
        ff->u->lsrc = (dwarfline_src){ src->ctx, src->read, { 0 } };
        memcpy(ff->u->lsrc.size, src->size, sizeof ff->u->lsrc.size);
    }
    if (++u->work > u->budget || !unit_holding(s, ff, g, &start) || !far_open(s, ff, start) ||
        g - start < ff->dies) {
        u->oom |= ff->u->oom; /* the scan says ENOMEM, not "no chain" */
        return false;
    }
    *in = ff->u;
    *off = g - start;
    return true;
}

/* The entry at off of unit in (the scanned one or a far one). */
bool dwarfinline_far_entry_at(scan *s, unit *in, uint64_t off, die *d)
{
    return in == s->u ? dwarfinline_die_at(in, off, d) : far_entry(s, in, off, d);
}

/* ---- file names -------------------------------------------------------------- */

/* Opens the file table of the line program at off of in's .debug_line,
 * counting it against the scanned unit's budget by its size (1 +
 * len / FAR_SLICE, as far_entry's slices): one longer than the budget
 * left (*max) is not read, and costs 1 (its first bytes), so that the
 * budget it did not use stays for the unit's other names.  NULL: none
 * (*len > *max: over the budget), or out of memory (u->oom). */
static dwarfline_files *open_files(unit *u, const unit *in, uint64_t off, uint64_t *len,
                                   uint64_t *max)
{
    uint64_t left = u->work < u->budget ? u->budget - u->work : 0;
    *max = left > UINT64_MAX / FAR_SLICE ? UINT64_MAX : left * FAR_SLICE;
    dwarfline_files *f = dwarfline_files_open(&in->lsrc, off, *max, len, &u->oom);
    bool read = *len <= *max;
    u->work += 1 + (read ? *len / FAR_SLICE : 0);
    u->stats.line_tables += read;
    u->stats.line_bytes += f ? *len : 0;
    return f;
}

/* The scanned unit's file table, read on first use. */
static dwarfline_files *own_files(unit *u)
{
    if (!u->files_tried) {
        uint64_t len, max;
        u->files_tried = true;
        u->files = open_files(u, u, u->stmt_list, &len, &max);
    }
    return u->files;
}

/* The file table of far unit in's line program, from the scan's
 * far_tables (read into the least recently used slot when not there).
 * It lives until the next call.  NULL: none, or out of memory. */
static dwarfline_files *far_files(scan *s, const unit *in)
{
    unit *u = s->u;
    far_table *lru = &s->tables[0];
    for (size_t k = 0; k < FAR_TABLES; k++) {
        far_table *t = &s->tables[k];
        if (t->used && t->src == in->src && t->off == in->stmt_list) {
            t->used = ++s->clock;
            return t->f;
        }
        if (t->used < lru->used)
            lru = t;
    }
    uint64_t len, max;
    dwarfline_files_close(s->big);
    s->big = NULL;
    dwarfline_files *f = open_files(u, in, in->stmt_list, &len, &max);
    /* A table over the budget is not remembered as unreadable: a later
     * unit, with a budget of its own, may read it. */
    if (u->oom) {
        dwarfline_files_close(f);
        return NULL;
    }
    if (!f && len > max)
        return NULL;
    if (len > FAR_TABLE_KEEP) {
        s->big = f;
        return f;
    }
    dwarfline_files_close(lru->f);
    *lru = (far_table){ in->src, in->stmt_list, f, ++s->clock };
    return f;
}

/* Copies the canonical form of file name `name` into out (cap bytes):
 * joined to directory dir when it is relative and dir is not NULL, then
 * without "." and empty components, each ".." taking the component
 * before it away (lexically, as the compilers wrote them: a symbolic link
 * is not followed), "." when nothing is left.  Its length; 0 when it
 * does not fit. */
static size_t canon_path(const char *dir, const char *name, char *out, size_t cap)
{
    if (!name) /* the callers check; clang-analyzer cannot follow them */
        return 0;
    const char *parts[2] = { name[0] != '/' ? dir : NULL, name };
    size_t n = 0;
    if ((parts[0] ? parts[0] : name)[0] == '/')
        out[n++] = '/';
    size_t base = n; /* out[0 .. base): "/", or a relative name's leading ".." */
    for (int k = 0; k < 2; k++) {
        for (const char *p = parts[k]; p && *p;) {
            while (*p == '/')
                p++;
            const char *e = p;
            while (*e && *e != '/')
                e++;
            size_t len = (size_t)(e - p);
            bool dots = len == 2 && p[0] == '.' && p[1] == '.';
            if (!len || (len == 1 && p[0] == '.') || (dots && n == 1 && out[0] == '/')) {
                p = e; /* nothing, ".", and the root's ".." (the root) */
                continue;
            }
            if (dots && n > base) {
                size_t i = n;
                while (i > base && out[i - 1] != '/')
                    i--;
                n = i > base ? i - 1 : base;
                p = e;
                continue;
            }
            if (n + 1 + len + 1 > cap)
                return 0;
            if (n && out[n - 1] != '/')
                out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
            if (dots)
                base = n; /* nothing before it to take away */
            p = e;
        }
    }
    /* "", "." and "x/.." are the directory itself: "." (0 would read as
     * "does not fit", and two units compiled in "." as different). */
    if (!n)
        out[n++] = '.';
    out[n] = '\0';
    return n;
}

static uint64_t hash_str(const char *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h;
}

static int canon_cmp(const void *pa, const void *pb)
{
    const struct canon_ent *a = pa, *b = pb;
    return (a->hash > b->hash) - (a->hash < b->hash);
}

enum { CANON_MAX = 2 * DWARFLINE_PATH_MAX + 2 };

/* The DW_AT_comp_dir of unit in (the scanned one, or far unit in of the
 * scan) appended to u->text, its offset in *at; SIZE_MAX: none, or it
 * cannot be read. */
static void comp_dir_of(scan *s, unit *in, size_t *at)
{
    unit *u = s->u;
    aval a = in->comp_dir;
    *at = SIZE_MAX;
    if (!a.form)
        return;
    if (in != u && a.form == FORM_STRING) {
        /* In the far unit's first slice, which a later one read over. */
        const far_file *ff = in == s->far[FAR_ALT].u ? &s->far[FAR_ALT] : &s->far[FAR_OWN];
        die cu;
        if (!far_entry(s, in, ff->dies, &cu) || cu.comp_dir.form != FORM_STRING)
            return;
        a = cu.comp_dir;
    }
    if (!dwarfinline_die_put_str_any(u, in, &a, at))
        *at = SIZE_MAX;
}

/* Makes the scanned unit's canon[] and cdir: each name of its file table,
 * canonical (under its DW_AT_comp_dir), hashed.  Each name counts against
 * the budget, by its canonical length as far_entry's slices do; over it,
 * the index stays empty (nothing matches).  false: out of memory. */
static bool canon_make(scan *s)
{
    unit *u = s->u;
    u->canon_made = true;
    u->ncanon = 0;
    mem_free(u->cdir);
    u->cdir = NULL;
    if (!u->cpath && !(u->cpath = mem_alloc((size_t)2 * CANON_MAX)))
        return !(u->oom = true);
    size_t mark = u->ntext, at;
    comp_dir_of(s, u, &at);
    if (at != SIZE_MAX && !(u->cdir = mem_strdup(u->text + at)))
        u->oom = true;
    u->ntext = mark;
    if (u->oom || !u->has_stmt_list || !own_files(u))
        return !u->oom;
    uint64_t first, end;
    dwarfline_files_numbers(u->files, &first, &end);
    if (end - first > u->budget - (u->work < u->budget ? u->work : u->budget))
        return true;
    u->work += end - first;
    for (uint64_t fno = first; fno < end; fno++) {
        const char *name = dwarfline_files_name(u->files, fno);
        size_t len = name ? canon_path(u->cdir, name, u->cpath, CANON_MAX) : 0;
        /* Each name is joined to a compilation directory of up to 4 KiB:
         * a header of one-byte names would cost 4 KiB each. */
        u->work += len / FAR_SLICE;
        if (u->work > u->budget) {
            u->ncanon = 0;
            return true;
        }
        if (!len)
            continue;
        if (!room(&u->canon, &u->capcanon, u->ncanon, sizeof *u->canon, SIZE_MAX, &u->oom))
            return false;
        u->canon[u->ncanon++] = (struct canon_ent){ hash_str(u->cpath, len), fno };
    }
    sort_array(u->canon, u->ncanon, sizeof *u->canon, canon_cmp);
    return true;
}

/* The decl file at *at of u->text (its last string), named by far unit
 * in's line table, spelled as the scanned unit's own table spells it:
 * rows and call files are named through that one, relative to its
 * compilation directory (-flto's link directory), and a far unit's
 * spelling is relative to its own (the directory its source was compiled
 * in): GCC's -flto run from another directory says src/inl.h there and
 * ../proj/src/inl.h in the rows, and one function would be two in a
 * profile.  The names are compared canonical (canon_path, each under its
 * unit's DW_AT_comp_dir).  None matching (the scanned unit names no such
 * file), the far spelling is kept only when the two units have the same
 * compilation directory (the same spelling rules: dwz's partial units, a
 * build in one directory), else none is given: pprof_lines.c's vote then
 * takes the file the function's other frames give, as before decl files,
 * where a spelling no row uses could only make a second function.
 * false: out of memory. */
static bool respell(scan *s, unit *in, size_t *at)
{
    unit *u = s->u;
    if (!u->canon_made && !canon_make(s))
        return false;
    size_t mark = *at, keep = mark + strlen(u->text + mark) + 1, fdir;
    comp_dir_of(s, in, &fdir);
    if (u->oom)
        return false;
    const char *dir = fdir == SIZE_MAX ? NULL : u->text + fdir;
    char *want = u->cpath, *have = u->cpath + CANON_MAX;
    bool same_dir = !dir || !u->cdir ? !in->comp_dir.form && !u->comp_dir.form
                    : canon_path(NULL, dir, want, CANON_MAX) &&
                          canon_path(NULL, u->cdir, have, CANON_MAX) && !strcmp(want, have);
    size_t len = canon_path(dir, u->text + mark, want, CANON_MAX);
    u->ntext = keep;
    if (len && u->ncanon && u->files) {
        struct canon_ent key = { hash_str(want, len), 0 };
        size_t lo = 0, hi = u->ncanon;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (canon_cmp(&u->canon[mid], &key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < u->ncanon && u->canon[lo].hash == key.hash; lo++) {
            const char *name = dwarfline_files_name(u->files, u->canon[lo].fno);
            if (name && canon_path(u->cdir, name, have, CANON_MAX) == len && !memcmp(have, want, len)) {
                u->ntext = mark;
                return put_text(u, name, at);
            }
        }
    }
    if (!same_dir) {
        u->ntext = mark;
        *at = SIZE_MAX;
    }
    return true;
}

/* Appends the name of file number fno of unit in's line table (the
 * scanned unit or a far one) to u->text, its offset in *at; SIZE_MAX
 * when it has none.  The numbers are the line program's (from 1 in DWARF
 * 2-4, from 0 in 5: dwarfline_files_name): DW_AT_call_file's and
 * DW_AT_decl_file's of the entries of that unit, and of no other.  The
 * scanned unit remembers the names of its first FILES_MEMO numbers:
 * chains switch between a few files, each joined once; a far one
 * remembers none (its names are, with the functions' names: func_name),
 * its table is the scan's (far_files), and its name is respelled as the
 * scanned unit's table spells it (respell).  false: out of memory. */
bool dwarfinline_far_file_name(scan *s, unit *in, uint64_t fno, size_t *at)
{
    unit *u = s->u;
    *at = SIZE_MAX;
    if (!in->has_stmt_list)
        return true;
    /* A far unit may share the scanned one's table (dwz's partial units
     * may): named, and spelled, as the scanned unit's numbers are. */
    if (in != u && (in->src != u->src || !u->has_stmt_list || in->stmt_list != u->stmt_list)) {
        dwarfline_files *f = far_files(s, in);
        const char *path = f ? dwarfline_files_name(f, fno) : NULL;
        if (!path)
            return !u->oom;
        return put_text(u, path, at) && respell(s, in, at);
    }
    own_files(u);
    bool memo = fno < FILES_MEMO;
    const char *path = memo && u->paths ? u->paths[fno] : NULL;
    if (!path && (path = u->files ? dwarfline_files_name(u->files, fno) : NULL) && memo) {
        if (!u->paths && !(u->paths = mem_calloc(FILES_MEMO, sizeof *u->paths)))
            return !(u->oom = true);
        if (!(u->paths[fno] = mem_strdup(path)))
            return !(u->oom = true);
    }
    if (!path)
        return !u->oom;
    return put_text(u, path, at);
}
