/*
 * dwarfline.c - file and line of addresses from .debug_line (see
 * dwarfline.h).
 *
 * Data: one unit at a time, its bytes read whole into a buffer (DWARF 5,
 * section 6.2): unit_length (4 bytes, or 0xffffffff and 8 for 64-bit
 * DWARF), version, in DWARF 5 the address and segment selector sizes,
 * header_length, the fixed parameters, the standard opcodes' operand
 * counts, the directory and file tables (strings in DWARF 2-4; in DWARF 5
 * entries described by (content type, form) pairs, their strings inline or
 * offsets into .debug_line_str or .debug_str), then the program.  The
 * tables keep references to strings (strref), read only for the files
 * that answer a query.  The program runs the state machine of 6.2.2; each
 * pair of consecutive rows of one sequence covers [row, next row), and
 * the queries inside get the first row's file and line.
 *
 * Invariants: every read is checked against the unit's end (cursor.bad),
 * and every opcode consumes at least one byte, so a unit's work is bounded
 * by its size.  Each query is answered at most once: next[] links every
 * query to the next unanswered one (path halving), so overlapping rows
 * cost a binary search each, not a walk over answered queries.
 */
#include "dwarfline.h"

#include <errno.h>
#include <string.h>

#include "dwarfcursor.h"
#include "mem.h"
#include "sort.h"

enum {
    /* Standard opcodes (6.2.5.2). */
    LNS_COPY = 1, LNS_ADVANCE_PC, LNS_ADVANCE_LINE, LNS_SET_FILE, LNS_SET_COLUMN,
    LNS_NEGATE_STMT, LNS_SET_BASIC_BLOCK, LNS_CONST_ADD_PC, LNS_FIXED_ADVANCE_PC,
    LNS_SET_PROLOGUE_END, LNS_SET_EPILOGUE_BEGIN, LNS_SET_ISA,
    /* Extended opcodes (6.2.5.3). */
    LNE_END_SEQUENCE = 1, LNE_SET_ADDRESS, LNE_DEFINE_FILE, LNE_SET_DISCRIMINATOR,
    /* Content types of DWARF 5 entry formats (6.2.4.1). */
    LNCT_PATH = 1, LNCT_DIRECTORY_INDEX = 2,
    /* Forms (7.5.6). */
    FORM_BLOCK2 = 0x03, FORM_BLOCK4 = 0x04, FORM_DATA2 = 0x05, FORM_DATA4 = 0x06,
    FORM_DATA8 = 0x07, FORM_STRING = 0x08, FORM_BLOCK = 0x09, FORM_BLOCK1 = 0x0a,
    FORM_DATA1 = 0x0b, FORM_FLAG = 0x0c, FORM_SDATA = 0x0d, FORM_STRP = 0x0e,
    FORM_UDATA = 0x0f, FORM_SEC_OFFSET = 0x17, FORM_STRX = 0x1a, FORM_STRP_SUP = 0x1d,
    FORM_DATA16 = 0x1e, FORM_LINE_STRP = 0x1f, FORM_STRX1 = 0x25, FORM_STRX2 = 0x26,
    FORM_STRX3 = 0x27, FORM_STRX4 = 0x28,
    /* Most (content type, form) pairs of one DWARF 5 entry format taken;
     * GCC and clang write two to four. */
    FORMATS_MAX = 32,
    /* Bytes of a string in another section read per call. */
    STR_CHUNK = 256,
    /* Most entries of a unit's directory or file table.  An entry can be
     * one byte and costs 16 or 24 here, so a table bounded only by the
     * unit's size (DWARFLINE_UNIT_MAX) could cost 400 MiB inside the
     * profiled process; real units, LTO's included, list thousands. */
    TABLE_MAX = 1 << 17,
};

/* A string: at off in the unit's buffer (sec IN_UNIT), at off in another
 * section, or none (NO_STR: a form we cannot resolve, such as strx). */
enum { IN_UNIT = -1, NO_STR = -2 };
typedef struct strref {
    int sec;
    uint64_t off;
} strref;

typedef struct file_ent {
    strref name;
    uint64_t dir;
} file_ent;

typedef struct unit {
    const dwarfline_src *src;
    unsigned char *buf;
    size_t len;
    int version;
    unsigned offsize; /* 4, or 8 in 64-bit DWARF */
    uint8_t min_inst, max_ops, line_range, opcode_base;
    int8_t line_base;
    const unsigned char *std_lens; /* operand counts of opcodes 1..opcode_base-1 */
    strref *dirs;
    size_t ndirs, capdirs;
    file_ent *files;
    size_t nfiles, capfiles;
    uint64_t lo, hi; /* addresses the rows cover */
    bool oom;        /* a table could not grow */
    bool cached;     /* path[] holds file cached_file's name (or its failure) */
    bool cached_ok;
    uint64_t cached_file;
    char path[DWARFLINE_PATH_MAX];
    char name[DWARFLINE_PATH_MAX];
} unit;

typedef struct scan {
    const dwarfline_src *src;
    const dwarfline_sink *out;
    const uint64_t *addrs;
    size_t n;
    size_t *next; /* n + 1 links: next[i] == i while query i is open */
    size_t left;  /* queries not answered yet */
    unit *u;
} scan;

/* ---- reading bytes --------------------------------------------------------- */

/* A NUL-terminated string in the unit: its reference, past its NUL. */
static strref get_cstr(cursor *c, const unit *u)
{
    const unsigned char *nul = c->bad ? NULL : memchr(c->p, 0, (size_t)(c->end - c->p));
    if (!nul) {
        c->bad = true;
        return (strref){ NO_STR, 0 };
    }
    strref r = { IN_UNIT, (uint64_t)(c->p - u->buf) };
    c->p = nul + 1;
    return r;
}

/* ---- the header's tables --------------------------------------------------- */

/* false: out of memory (u->oom), or a table over TABLE_MAX (the unit is
 * not read further). */
static bool push_dir(unit *u, strref r)
{
    if (u->ndirs >= TABLE_MAX)
        return false;
    if (u->ndirs == u->capdirs) {
        size_t cap = u->capdirs ? u->capdirs * 2 : 16;
        strref *d = mem_realloc(u->dirs, cap * sizeof *d);
        if (!d)
            return !(u->oom = true);
        u->dirs = d;
        u->capdirs = cap;
    }
    u->dirs[u->ndirs++] = r;
    return true;
}

static bool push_file(unit *u, strref name, uint64_t dir)
{
    if (u->nfiles >= TABLE_MAX)
        return false;
    if (u->nfiles == u->capfiles) {
        size_t cap = u->capfiles ? u->capfiles * 2 : 16;
        file_ent *f = mem_realloc(u->files, cap * sizeof *f);
        if (!f)
            return !(u->oom = true);
        u->files = f;
        u->capfiles = cap;
    }
    u->files[u->nfiles++] = (file_ent){ name, dir };
    return true;
}

/* One attribute value of form `form`: a number into *num, a string into
 * *str (either may stay untouched).  false for a form this reader does
 * not know the size of: the unit cannot be read past it. */
static bool form_value(cursor *c, const unit *u, uint64_t form, uint64_t *num, strref *str)
{
    switch (form) {
    case FORM_STRING: *str = get_cstr(c, u); return true;
    case FORM_LINE_STRP: *str = (strref){ DWARFLINE_LINE_STR, get_u(c, u->offsize) }; return true;
    case FORM_STRP: *str = (strref){ DWARFLINE_STR, get_u(c, u->offsize) }; return true;
    case FORM_STRP_SUP: case FORM_SEC_OFFSET: *num = get_u(c, u->offsize); return true;
    case FORM_UDATA: *num = get_uleb(c); return true;
    case FORM_SDATA: *num = get_sleb(c); return true;
    case FORM_DATA1: case FORM_FLAG: case FORM_STRX1: *num = get_u(c, 1); return true;
    case FORM_DATA2: case FORM_STRX2: *num = get_u(c, 2); return true;
    case FORM_STRX3: *num = get_u(c, 3); return true;
    case FORM_DATA4: case FORM_STRX4: *num = get_u(c, 4); return true;
    case FORM_DATA8: *num = get_u(c, 8); return true;
    case FORM_DATA16: skip(c, 16); return true;
    case FORM_STRX: *num = get_uleb(c); return true; /* needs .debug_str_offsets: no name */
    case FORM_BLOCK: skip(c, get_uleb(c)); return true;
    case FORM_BLOCK1: skip(c, get_u(c, 1)); return true;
    case FORM_BLOCK2: skip(c, get_u(c, 2)); return true;
    case FORM_BLOCK4: skip(c, get_u(c, 4)); return true;
    default: return false;
    }
}

/* A DWARF 5 directory or file table: its entry format, then its entries. */
static bool v5_table(cursor *c, unit *u, bool files)
{
    uint64_t type[FORMATS_MAX], form[FORMATS_MAX];
    unsigned nfmt = (unsigned)get_u(c, 1);
    if (nfmt > FORMATS_MAX)
        return false;
    for (unsigned k = 0; k < nfmt; k++) {
        type[k] = get_uleb(c);
        form[k] = get_uleb(c);
    }
    uint64_t count = get_uleb(c);
    /* Every form takes a byte at least, so a count beyond the bytes left
     * is a lie; with no format at all, entries would be empty. */
    if (c->bad || count > (uint64_t)(c->end - c->p) || count > TABLE_MAX || (count && !nfmt))
        return false;
    for (uint64_t i = 0; i < count; i++) {
        strref name = { NO_STR, 0 };
        uint64_t dir = 0;
        for (unsigned k = 0; k < nfmt; k++) {
            uint64_t num = 0;
            strref str = { NO_STR, 0 };
            if (!form_value(c, u, form[k], &num, &str))
                return false;
            if (type[k] == LNCT_PATH)
                name = str;
            else if (type[k] == LNCT_DIRECTORY_INDEX && str.sec == NO_STR)
                dir = num;
        }
        if (c->bad || !(files ? push_file(u, name, dir) : push_dir(u, name)))
            return false;
    }
    return true;
}

/* DWARF 2-4: include_directories and file_names, each ended by an empty
 * entry. */
static bool old_tables(cursor *c, unit *u)
{
    while (!c->bad && c->p < c->end && *c->p)
        if (!push_dir(u, get_cstr(c, u)))
            return false;
    skip(c, 1);
    while (!c->bad && c->p < c->end && *c->p) {
        strref name = get_cstr(c, u);
        uint64_t dir = get_uleb(c);
        get_uleb(c); /* modification time */
        get_uleb(c); /* length */
        if (c->bad || !push_file(u, name, dir))
            return false;
    }
    skip(c, 1);
    return !c->bad;
}

/* Parses the header of the unit in u->buf; the program's bytes into *prog.
 * false: a unit this reader cannot read, or out of memory (u->oom). */
static bool header(unit *u, cursor *prog)
{
    cursor c = { u->buf, u->buf + u->len, false };
    u->ndirs = u->nfiles = 0;
    u->offsize = get_u(&c, 4) == 0xffffffffu ? 8 : 4;
    if (u->offsize == 8)
        skip(&c, 8);
    u->version = (int)get_u(&c, 2);
    if (c.bad || u->version < 2 || u->version > 5)
        return false;
    if (u->version >= 5)
        skip(&c, 2); /* address_size, segment_selector_size: set_address says */
    uint64_t hlen = get_u(&c, u->offsize);
    if (c.bad || hlen > (uint64_t)(c.end - c.p))
        return false;
    prog->p = c.p + hlen;
    prog->end = c.end;
    prog->bad = false;
    c.end = prog->p; /* the tables end with the header */
    u->min_inst = (uint8_t)get_u(&c, 1);
    u->max_ops = u->version >= 4 ? (uint8_t)get_u(&c, 1) : 1;
    get_u(&c, 1); /* default_is_stmt */
    u->line_base = (int8_t)get_u(&c, 1);
    u->line_range = (uint8_t)get_u(&c, 1);
    u->opcode_base = (uint8_t)get_u(&c, 1);
    /* Both divide; an opcode base of 0 leaves no room for opcode 0. */
    if (c.bad || !u->max_ops || !u->line_range || !u->opcode_base)
        return false;
    u->std_lens = c.p;
    skip(&c, u->opcode_base - 1u);
    bool ok = u->version >= 5 ? v5_table(&c, u, false) && v5_table(&c, u, true)
                              : old_tables(&c, u);
    return ok && !c.bad;
}

/* ---- file names ------------------------------------------------------------ */

/* Copies string r into dst (cap bytes, NUL included); its length, or -1
 * when it is not there or does not fit. */
static long get_str(const unit *u, strref r, char *dst, size_t cap)
{
    if (r.sec == IN_UNIT) {
        const char *s = (const char *)u->buf + r.off; /* get_cstr checked its NUL */
        size_t len = strlen(s);
        if (len >= cap)
            return -1;
        memcpy(dst, s, len + 1);
        return (long)len;
    }
    if (r.sec < 0 || r.sec >= DWARFLINE_NSECS)
        return -1;
    uint64_t size = u->src->size[r.sec];
    size_t got = 0;
    while (r.off < size && got < cap) {
        uint64_t n = size - r.off;
        if (n > STR_CHUNK)
            n = STR_CHUNK;
        if (n > cap - got)
            n = cap - got;
        if (!u->src->read(u->src->ctx, r.sec, r.off, dst + got, (size_t)n))
            return -1;
        const char *nul = memchr(dst + got, 0, (size_t)n);
        if (nul)
            return (long)(nul - dst);
        got += (size_t)n;
        r.off += n;
    }
    return -1;
}

/* Appends string r and then `sep` (when not NUL) at *pos of u->path. */
static bool append(unit *u, size_t *pos, strref r, char sep)
{
    long len = get_str(u, r, u->path + *pos, sizeof u->path - *pos);
    if (len < 0 || (sep && *pos + (size_t)len + 1 >= sizeof u->path))
        return false;
    *pos += (size_t)len;
    if (sep) {
        u->path[(*pos)++] = sep;
        u->path[*pos] = '\0';
    }
    return true;
}

/* The name of file register value `file`, joined with its directory as
 * addr2line joins them; NULL when it has none. */
static const char *file_path(unit *u, uint64_t file)
{
    if (u->cached && u->cached_file == file)
        return u->cached_ok ? u->path : NULL;
    u->cached = true;
    u->cached_file = file;
    u->cached_ok = false;
    /* DWARF 5 numbers files from 0, earlier versions from 1. */
    uint64_t idx = u->version >= 5 ? file : file - 1;
    if ((u->version < 5 && file == 0) || idx >= u->nfiles)
        return NULL;
    const file_ent *f = &u->files[idx];
    long nlen = get_str(u, f->name, u->name, sizeof u->name);
    if (nlen <= 0)
        return NULL;
    size_t pos = 0;
    /* Directory 0 is the compilation directory in DWARF 5, and not in the
     * table before.  A directory that cannot be read leaves the bare name. */
    uint64_t d = u->version >= 5 ? f->dir : f->dir - 1;
    if (u->name[0] != '/' && (u->version >= 5 || f->dir) && d < u->ndirs) {
        /* A relative directory is under the compilation directory. */
        if (u->version >= 5 && d != 0 && (!append(u, &pos, u->dirs[0], '/') || pos == 1))
            pos = 0;
        size_t mark = pos;
        if (!append(u, &pos, u->dirs[d], '/') || pos == mark + 1) {
            pos = mark; /* unreadable, or "" */
        } else if (mark && u->path[mark] == '/') {
            /* An absolute directory replaces the compilation directory. */
            memmove(u->path, u->path + mark, pos - mark + 1);
            pos -= mark;
        }
    }
    if (pos + (size_t)nlen >= sizeof u->path)
        return NULL;
    memcpy(u->path + pos, u->name, (size_t)nlen + 1);
    u->cached_ok = true;
    return u->path;
}

/* ---- a unit's file table alone ---------------------------------------------- */

struct dwarfline_files {
    unit u;
};

bool dwarfline_files_extent(const dwarfline_src *src, uint64_t off, uint64_t *hlenp)
{
    uint64_t size = src->size[DWARFLINE_LINE];
    *hlenp = 0;
    /* unit_length (4 or 12), version, DWARF 5's two sizes, header_length */
    unsigned char head[DWARFLINE_FILES_PEEK];
    if (off >= size)
        return false;
    size_t n = size - off < sizeof head ? (size_t)(size - off) : sizeof head;
    if (!src->read(src->ctx, DWARFLINE_LINE, off, head, n))
        return false;
    cursor c = { head, head + n, false };
    uint64_t len = get_u(&c, 4);
    unsigned offsize = 4;
    if (len == 0xffffffffu) {
        len = get_u(&c, 8);
        offsize = 8;
    }
    uint64_t lenbytes = (uint64_t)(c.p - head);
    int version = (int)get_u(&c, 2);
    if (version >= 5)
        skip(&c, 2);
    uint64_t hlen = get_u(&c, offsize);
    uint64_t hend = (uint64_t)(c.p - head);
    /* Only the header is read: the program is not needed for names. */
    if (c.bad || len > size - off - lenbytes || hlen > len || hend + hlen > lenbytes + len ||
        hend + hlen > DWARFLINE_UNIT_MAX)
        return false;
    *hlenp = hend + hlen;
    return true;
}

dwarfline_files *dwarfline_files_open(const dwarfline_src *src, uint64_t off, uint64_t max,
                                      uint64_t *hlenp, bool *oom)
{
    if (!dwarfline_files_extent(src, off, hlenp) || *hlenp > max)
        return NULL;
    dwarfline_files *f = mem_calloc(1, sizeof *f);
    unit *u = f ? &f->u : NULL;
    if (u) {
        u->src = src;
        u->len = (size_t)*hlenp;
        u->buf = mem_alloc(u->len);
    }
    cursor prog;
    if (!u || !u->buf) {
        *oom = true;
    } else if (src->read(src->ctx, DWARFLINE_LINE, off, u->buf, u->len) && header(u, &prog)) {
        return f;
    }
    *oom |= u && u->oom;
    dwarfline_files_close(f);
    return NULL;
}

const char *dwarfline_files_name(dwarfline_files *f, uint64_t file)
{
    return file_path(&f->u, file);
}

void dwarfline_files_numbers(const dwarfline_files *f, uint64_t *first, uint64_t *end)
{
    *first = f->u.version >= 5 ? 0 : 1;
    *end = *first + f->u.nfiles;
}

void dwarfline_files_close(dwarfline_files *f)
{
    if (!f)
        return;
    mem_free(f->u.buf);
    mem_free(f->u.dirs);
    mem_free(f->u.files);
    mem_free(f);
}

/* ---- the program ----------------------------------------------------------- */

static size_t open_query(scan *s, size_t i)
{
    while (s->next[i] != i) {
        s->next[i] = s->next[s->next[i]];
        i = s->next[i];
    }
    return i;
}

/* Rows say [a, b) is at line of file. */
static void cover(scan *s, uint64_t a, uint64_t b, uint64_t file, uint64_t line)
{
    unit *u = s->u;
    if (a < u->lo)
        u->lo = a;
    if (b > u->hi)
        u->hi = b;
    if (!s->left || line == 0 || line > UINT32_MAX) /* 0: no source line */
        return;
    for (size_t i = open_query(s, sort_lower_bound(s->addrs, s->n, a));
         i < s->n && s->addrs[i] < b; i = open_query(s, i + 1)) {
        const char *path = file_path(u, file);
        if (!path)
            return;
        s->out->found(s->out->ctx, i, path, (uint32_t)line);
        s->next[i] = i + 1;
        s->left--;
    }
}

typedef struct regs {
    uint64_t addr, op_index, file, line;
} regs;

static void advance(const unit *u, regs *r, uint64_t adv)
{
    if (u->max_ops == 1) {
        r->addr += u->min_inst * adv;
    } else {
        uint64_t t = r->op_index + adv;
        r->addr += u->min_inst * (t / u->max_ops);
        r->op_index = t % u->max_ops;
    }
}

static void run_program(scan *s, cursor *c)
{
    const unit *u = s->u;
    const regs start = { 0, 0, 1, 1 };
    regs r = start, prev = start;
    /* dead: the address was set to one a linker gives the rows of a
     * function it discarded (--gc-sections, COMDAT duplicates): 0 (GNU
     * ld) or all ones (lld's tombstone, from which advances wrap to 0 and
     * up).  Those rows would claim real code at low addresses (a PIE's, a
     * library's) ahead of its own rows: they cover nothing, up to the next
     * live address either. */
    bool have_prev = false, dead = false;
    while (!c->bad && c->p < c->end && !s->u->oom) {
        unsigned op = *c->p++;
        bool row = false, end = false;
        if (op >= u->opcode_base) {
            unsigned adj = op - u->opcode_base;
            advance(u, &r, adj / u->line_range);
            r.line += (uint64_t)(int64_t)(u->line_base + (int)(adj % u->line_range));
            row = true;
        } else if (op == 0) {
            uint64_t len = get_uleb(c);
            if (c->bad || len > (uint64_t)(c->end - c->p))
                return;
            cursor e = { c->p, c->p + len, false };
            c->p += len;
            unsigned sub = len ? (unsigned)get_u(&e, 1) : 0;
            if (sub == LNE_END_SEQUENCE) {
                row = end = true;
            } else if (sub == LNE_SET_ADDRESS && len >= 2 && len - 1 <= 8) {
                unsigned bits = 8 * (unsigned)(len - 1);
                r.addr = get_u(&e, (size_t)(len - 1));
                r.op_index = 0;
                dead = r.addr == 0 || r.addr == (bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1);
            } else if (sub == LNE_DEFINE_FILE && u->version < 5) {
                strref name = get_cstr(&e, u);
                uint64_t dir = get_uleb(&e);
                if (!e.bad && !push_file(s->u, name, dir))
                    return;
            } /* set_discriminator, and any other: skipped by length */
        } else if (op == LNS_COPY) {
            row = true;
        } else if (op == LNS_ADVANCE_PC) {
            advance(u, &r, get_uleb(c));
        } else if (op == LNS_ADVANCE_LINE) {
            r.line += get_sleb(c);
        } else if (op == LNS_SET_FILE) {
            r.file = get_uleb(c);
        } else if (op == LNS_CONST_ADD_PC) {
            advance(u, &r, (255u - u->opcode_base) / u->line_range);
        } else if (op == LNS_FIXED_ADVANCE_PC) {
            r.addr += get_u(c, 2);
            r.op_index = 0;
        } else if (op == LNS_SET_COLUMN || op == LNS_SET_ISA) {
            get_uleb(c);
        } else if (op > LNS_SET_ISA) {
            /* Opcodes of later versions: their operands are ULEB128s, as
             * many as the header says. */
            for (unsigned k = u->std_lens[op - 1]; k; k--)
                get_uleb(c);
        }
        if (c->bad)
            return;
        if (row) {
            if (have_prev && !dead && r.addr > prev.addr)
                cover(s, prev.addr, r.addr, prev.file, prev.line);
            prev = r;
            have_prev = !end && !dead;
            if (end) {
                r = start;
                dead = false;
            }
        }
    }
}

/* ---- units ----------------------------------------------------------------- */

/* Reads and runs the unit at *off; *off moves to the next one, or to
 * UINT64_MAX when the section cannot be followed further.  ENOMEM or 0. */
static int one_unit(scan *s, uint64_t *off)
{
    const dwarfline_src *src = s->src;
    uint64_t size = src->size[DWARFLINE_LINE], at = *off;
    unsigned char lenbuf[12];
    *off = UINT64_MAX;
    if (at >= size || size - at < 4 || !src->read(src->ctx, DWARFLINE_LINE, at, lenbuf, 4))
        return 0;
    cursor c = { lenbuf, lenbuf + 4, false };
    uint64_t len = get_u(&c, 4), hdr = 4;
    if (len == 0xffffffffu) {
        if (size - at < 12 || !src->read(src->ctx, DWARFLINE_LINE, at, lenbuf, 12))
            return 0;
        c = (cursor){ lenbuf + 4, lenbuf + 12, false };
        len = get_u(&c, 8);
        hdr = 12;
    } else if (len >= 0xfffffff0u) {
        return 0; /* reserved values: nothing after can be found */
    }
    if (len > size - at - hdr)
        return 0;
    *off = at + hdr + len;
    if (len > DWARFLINE_UNIT_MAX)
        return 0;
    unit *u = s->u;
    u->len = (size_t)(hdr + len);
    u->buf = mem_alloc(u->len);
    if (!u->buf)
        return ENOMEM;
    cursor prog;
    u->cached = u->oom = false;
    u->lo = UINT64_MAX;
    u->hi = 0;
    if (src->read(src->ctx, DWARFLINE_LINE, at, u->buf, u->len) && header(u, &prog)) {
        run_program(s, &prog);
        /* Out of memory, the range may be short: not reported. */
        if (s->out->unit && !u->oom)
            s->out->unit(s->out->ctx, at, u->lo < u->hi ? u->lo : 0, u->lo < u->hi ? u->hi : 0);
    }
    mem_free(u->buf);
    u->buf = NULL;
    return u->oom ? ENOMEM : 0;
}

int dwarfline_scan(const dwarfline_src *src, const uint64_t *addrs, size_t n,
                   const uint64_t *units, size_t nunits, const dwarfline_sink *out)
{
    if (!n)
        return 0;
    if (n >= SIZE_MAX / sizeof(size_t))
        return ENOMEM;
    scan s = { src, out, addrs, n, mem_alloc((n + 1) * sizeof(size_t)), n,
               mem_calloc(1, sizeof(unit)) };
    int err = 0;
    if (!s.next || !s.u) {
        err = ENOMEM;
    } else {
        for (size_t i = 0; i <= n; i++)
            s.next[i] = i;
        s.u->src = src;
        uint64_t off = 0;
        /* A full scan that indexes units reads them all, answered or not. */
        bool all = !units && out->unit;
        for (size_t k = 0; (s.left || all) && !err && next_unit(units, nunits, k, &off); k++)
            err = one_unit(&s, &off);
    }
    if (s.u) {
        mem_free(s.u->dirs);
        mem_free(s.u->files);
    }
    mem_free(s.u);
    mem_free(s.next);
    return err;
}
