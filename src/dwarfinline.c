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
 */
#include "dwarfinline.h"

#include <errno.h>
#include <string.h>

#include "dwarfcursor.h"
#include "mem.h"
#include "sort.h"

enum {
    /* Tags (7.5.4). */
    TAG_ARRAY_TYPE = 0x01, TAG_CLASS_TYPE = 0x02, TAG_ENUMERATION_TYPE = 0x04,
    TAG_LEXICAL_BLOCK = 0x0b, TAG_COMPILE_UNIT = 0x11, TAG_STRUCTURE_TYPE = 0x13,
    TAG_SUBROUTINE_TYPE = 0x15, TAG_UNION_TYPE = 0x17, TAG_INLINED_SUBROUTINE = 0x1d,
    TAG_SUBPROGRAM = 0x2e, TAG_PARTIAL_UNIT = 0x3c,
    /* Attributes (7.5.4). */
    AT_SIBLING = 0x01, AT_NAME = 0x03, AT_STMT_LIST = 0x10, AT_LOW_PC = 0x11, AT_HIGH_PC = 0x12,
    AT_COMP_DIR = 0x1b,
    AT_ABSTRACT_ORIGIN = 0x31, AT_DECL_FILE = 0x3a, AT_SPECIFICATION = 0x47, AT_RANGES = 0x55,
    AT_CALL_FILE = 0x58, AT_CALL_LINE = 0x59, AT_LINKAGE_NAME = 0x6e, AT_STR_OFFSETS_BASE = 0x72,
    AT_ADDR_BASE = 0x73, AT_RNGLISTS_BASE = 0x74, AT_MIPS_LINKAGE_NAME = 0x2007,
    /* Forms (7.5.6), and GNU's (binutils' dwarf2.def). */
    FORM_ADDR = 0x01, FORM_BLOCK2 = 0x03, FORM_BLOCK4, FORM_DATA2, FORM_DATA4, FORM_DATA8,
    FORM_STRING, FORM_BLOCK, FORM_BLOCK1, FORM_DATA1, FORM_FLAG, FORM_SDATA, FORM_STRP,
    FORM_UDATA, FORM_REF_ADDR, FORM_REF1, FORM_REF2, FORM_REF4, FORM_REF8, FORM_REF_UDATA,
    FORM_INDIRECT, FORM_SEC_OFFSET, FORM_EXPRLOC, FORM_FLAG_PRESENT, FORM_STRX, FORM_ADDRX,
    FORM_REF_SUP4, FORM_STRP_SUP, FORM_DATA16, FORM_LINE_STRP, FORM_REF_SIG8,
    FORM_IMPLICIT_CONST, FORM_LOCLISTX, FORM_RNGLISTX, FORM_REF_SUP8, FORM_STRX1, FORM_STRX2,
    FORM_STRX3, FORM_STRX4, FORM_ADDRX1, FORM_ADDRX2, FORM_ADDRX3, FORM_ADDRX4,
    FORM_GNU_ADDR_INDEX = 0x1f01, FORM_GNU_STR_INDEX = 0x1f02, FORM_GNU_REF_ALT = 0x1f20,
    FORM_GNU_STRP_ALT = 0x1f21,
    /* Unit types of DWARF 5 (7.5.1). */
    UT_COMPILE = 0x01, UT_PARTIAL = 0x03,
    /* Range list entries of DWARF 5 (7.25). */
    RLE_END_OF_LIST = 0, RLE_BASE_ADDRESSX, RLE_STARTX_ENDX, RLE_STARTX_LENGTH, RLE_OFFSET_PAIR,
    RLE_BASE_ADDRESS, RLE_START_END, RLE_START_LENGTH,

    /* Caps.  A unit's abbreviations: GCC writes tens to a few hundred. */
    ABBREVS_MAX = 1 << 14,
    SPECS_MAX = 1 << 16,
    /* Bytes of .debug_abbrev, of the range lists, read at once, and
     * asked for first. */
    WINDOW_MIN = 16384,
    WANT_MIN = 1024,
    /* Call files whose names a unit remembers (numbers below this). */
    FILES_MEMO = 1024,
    /* Slots of a unit's memo of function names (half of them used). */
    NAMES_MEMO = 4096,
    WINDOW_MAX = 1 << 20,
    /* Ranges of one entry (a function split hot/cold has two). */
    RANGES_MAX = 1 << 14,
    /* Nesting of entries: namespaces, classes, functions, blocks. */
    NEST_MAX = 256,
    /* Chain nodes of one unit: one per inlined entry holding a query. */
    POOL_MAX = 1 << 18,
    /* Hops from an inlined entry to its function's name. */
    REF_HOPS = 8,
    /* Units whose starts a scan remembers (a reference past them is not
     * followed), and bytes of another unit read for one entry, at first
     * and at most. */
    STARTS_MAX = 1 << 18,
    FAR_SLICE = 256,
    FAR_ENTRY_MAX = 1 << 16,
    /* Longest name read, and bytes of a string read per call. */
    NAME_MAX_LEN = 4096,
    STR_CHUNK = 256,
    /* The unit's entry is read from this first slice of the unit. */
    PREFIX = 4096,
};

typedef struct attr_spec {
    uint32_t at, form;
    int64_t implicit; /* DW_FORM_implicit_const's value */
} attr_spec;

typedef struct abbrev {
    uint64_t code;
    uint32_t tag, first, nspecs; /* specs[first .. first + nspecs) */
    int32_t fixed; /* bytes of its attributes when every form has a fixed size, else -1 */
    bool children;
} abbrev;

/* An attribute's value as read: a number, an offset in the unit's buffer
 * (DW_FORM_string), or an index or offset its form says how to follow. */
typedef struct aval {
    uint32_t form; /* 0: absent */
    uint64_t v;
} aval;

typedef struct die {
    const abbrev *ab;
    aval name, linkage, low, high, ranges, origin, spec, call_file, call_line, decl_file, sibling;
    aval stmt_list, addr_base, rnglists_base, str_offsets_base, comp_dir;
} die;

typedef struct node {
    uint64_t off; /* the inlined entry, in the unit's buffer */
    uint32_t depth;
    uint32_t prev; /* the node it was inlined into, + 1; 0: none */
    uint32_t len;  /* nodes in the chain, this one included */
} node;

/* Entries' offsets in a unit fit the names' memo (struct name_memo). */
_Static_assert(DWARFINLINE_UNIT_MAX <= UINT32_MAX, "name_memo.off");

/* A query's tail when an inlined entry holds it but an inlined entry
 * around that one does not: the tree is not to be believed there. */
#define POISONED UINT32_MAX

typedef struct unit {
    const dwarfinline_src *src;
    uint64_t off;   /* in .debug_info */
    uint64_t total; /* its length, header included */
    unsigned char *buf; /* the unit's bytes [slo, slo + len) */
    uint64_t slo;       /* 0 but in the scan's far unit */
    size_t len, cap;
    int version;
    unsigned offsize, addrsize;
    abbrev *abbrevs;
    size_t nabbrevs, capabbrevs;
    attr_spec *specs;
    size_t nspecs, capspecs;
    bool dense; /* abbrevs[i].code == i + 1 */
    unsigned char *win; /* a window on .debug_abbrev or the range lists */
    size_t wincap, winlen;
    int winsec; /* the section it holds bytes [winoff, winoff + winlen) of; -1: none */
    uint64_t winoff;
    /* From the unit's entry. */
    uint64_t base, addr_base, rnglists_base, str_offsets_base, stmt_list;
    bool has_addr_base, has_rnglists_base, has_str_offsets_base, has_stmt_list;
    uint64_t (*rng)[2]; /* one entry's ranges */
    size_t nrng, caprng;
    uint64_t stack[NEST_MAX];
    uint32_t ninl[NEST_MAX]; /* inlined entries among stack[0 .. depth) */
    bool incode[NEST_MAX];   /* a subprogram or inlined entry among stack[1 .. depth) */
    /* Ranges decoded and queries visited in this unit, and their cap:
     * honest DWARF decodes each range list once and visits a query once
     * per entry on its path; a list shared by many entries, or entries
     * overlapping many queries, would make a unit's cost quadratic. */
    uint64_t work, budget;
    dwarfinline_stats stats; /* the scan's, for its sink */
    /* The table in abbrevs[] (its forms' sizes depend on these too). */
    uint64_t abbrev_off;
    unsigned abbrev_addrsize, abbrev_offsize;
    int abbrev_version;
    bool abbrev_valid;
    node *pool;
    size_t npool, cappool;
    dwarfline_src lsrc; /* src's first sections, as the line reader sees them */
    /* The scanned unit's: the file table of its line program
     * (DW_AT_stmt_list), for DW_AT_call_file and DW_AT_decl_file (a far
     * unit's tables are the scan's: far_table). */
    dwarfline_files *files;
    bool files_tried;
    /* Its DW_AT_comp_dir (form 0: none; DW_FORM_string's offset is in
     * the buffer of a far unit's first slice: reread), for respell. */
    aval comp_dir;
    /* The scanned unit's file names as respell compares them (canon_path,
     * hashed), sorted by hash; made on the first decl file met in a far
     * unit, for the unit. */
    struct canon_ent {
        uint64_t hash, fno;
    } *canon;
    size_t ncanon, capcanon;
    bool canon_made;
    char *cdir;  /* the scanned unit's DW_AT_comp_dir, NULL: none (with canon) */
    char *cpath; /* two canon_path buffers */
    char **paths; /* FILES_MEMO names of call and decl files, made on first use */
    struct name_memo {
        uint32_t off;     /* an entry, in the unit (at most DWARFINLINE_UNIT_MAX) */
        bool decl_sought; /* its decl file was looked for */
        /* Its function's name, then its decl file's ("": none, or not
         * looked for), in one block; NULL: an empty slot.  16 bytes a
         * slot, as before decl files. */
        char *name;
    } *names; /* NAMES_MEMO slots, made on first use */
    size_t nnames;
    char *text; /* one chain's strings */
    size_t ntext, captext;
    bool oom;
} unit;

/* References into other units (GCC's -flto output names its functions in
 * the units of the sources they came from; dwz moves shared entries into
 * partial units, of the file or of its supplementary file): the entries
 * there are read through a far unit, one unit at a time and a slice of it
 * at a time, found through the starts of the units, walked from the
 * section's start as far as a reference needs.  One per .debug_info: the
 * file's own, and the supplementary file's. */
typedef struct far_file {
    unit *u;       /* made on the first reference */
    uint64_t dies; /* u's first entry, in the unit */
    uint64_t *starts;
    size_t nstarts, capstarts;
    uint64_t walked_to; /* the end of the last unit in starts[] */
    bool walk_done;     /* the walk can go no further */
} far_file;

enum { FAR_OWN, FAR_ALT, FAR_FILES };

/* The file tables of far units' line programs, kept for the scan: the
 * decl files met in far units name their numbers through them, and the
 * chains of one unit may switch far units at every frame (-flto names
 * functions in the units of their sources; a crafted file alternates), so
 * a table read per switch would read a header of up to
 * DWARFLINE_UNIT_MAX bytes per frame.  FAR_TABLES of them, the least
 * recently used replaced; each read counts against the scanned unit's
 * budget by its size, as far_entry's slices do. */
enum { FAR_TABLES = 4 };
/* A header longer than this is not kept but held until the next far
 * table is asked for (scan.big): FAR_TABLES kept headers of up to
 * DWARFLINE_UNIT_MAX each would hold 64 MiB inside the program for a
 * crafted file, where real headers are a few KiB (the largest of
 * libheapprof.so's units: 5 KiB).  One held at a time keeps the bound
 * at the kept ones' 4 MiB plus one header, as before the tables were
 * kept; each read of it still counts against the budget. */
#define FAR_TABLE_KEEP ((uint64_t)1 << 20)
typedef struct far_table {
    const dwarfinline_src *src; /* the file (the supplementary one's too) */
    uint64_t off;               /* DW_AT_stmt_list */
    dwarfline_files *f;         /* NULL: it could not be read */
    uint64_t used;              /* 0: an empty slot */
} far_table;

typedef struct scan {
    const dwarfinline_src *src;
    const dwarfinline_sink *out;
    const uint64_t *addrs;
    size_t n;
    uint32_t *tail;  /* per query, its chain's innermost node + 1 in this unit */
    size_t *touched; /* the queries with a chain in this unit */
    size_t ntouched;
    bool *done;
    /* With out->func: per query, the innermost function entry holding it
     * in this unit (its offset + 1), and the queries that have one. */
    uint64_t *sub;
    size_t *subs;
    size_t nsubs;
    unit *u;
    far_file far[FAR_FILES];
    far_table tables[FAR_TABLES];
    uint64_t clock;        /* far_table.used's */
    dwarfline_files *big;  /* the last one over FAR_TABLE_KEEP, or NULL */
} scan;

/* ---- growing arrays ---------------------------------------------------------- */

/* Makes room for one more of n elements of size sz in the array whose
 * pointer is at arrp, up to max.  false: over max, or out of memory
 * (*oom).  (The pointer is copied through memcpy: arrays of several
 * types share this.) */
static bool room(void *arrp, size_t *cap, size_t n, size_t sz, size_t max, bool *oom)
{
    if (n >= max)
        return false;
    if (n < *cap)
        return true;
    void *arr;
    memcpy(&arr, arrp, sizeof arr);
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = mem_realloc(arr, ncap * sz);
    if (!p) {
        *oom = true;
        return false;
    }
    memcpy(arrp, &p, sizeof p);
    *cap = ncap;
    return true;
}

/* Reads the len bytes at off of section sec into *dst (grown to hold
 * them, its capacity in *cap). */
static bool load(unit *u, int sec, uint64_t off, size_t len, unsigned char **dst, size_t *cap)
{
    if (len > *cap) {
        unsigned char *p = mem_realloc(*dst, len);
        if (!p) {
            u->oom = true;
            return false;
        }
        *dst = p;
        *cap = len;
    }
    return u->src->read(u->src->ctx, sec, off, *dst, len);
}

/* A cursor on at least WANT_MIN << k bytes of section sec from off, or
 * up to the section's end.  false when k has reached WINDOW_MAX or the
 * end already (a table that does not end there is malformed).  A unit's
 * range lists follow one another in its entries' order: the WINDOW_MIN
 * bytes read for one serve the next ones without another read. */
static bool window(unit *u, int sec, uint64_t off, unsigned k, cursor *c)
{
    uint64_t size = u->src->size[sec];
    size_t want = (size_t)WANT_MIN << k;
    if (off >= size || want > WINDOW_MAX || (k && ((size_t)WANT_MIN << (k - 1)) >= size - off))
        return false;
    size_t need = size - off < want ? (size_t)(size - off) : want;
    if (u->winsec != sec || off < u->winoff || off - u->winoff > u->winlen ||
        u->winlen - (off - u->winoff) < need) {
        size_t len = want > WINDOW_MIN ? want : WINDOW_MIN;
        if (size - off < len)
            len = (size_t)(size - off);
        u->winsec = -1;
        if (!load(u, sec, off, len, &u->win, &u->wincap))
            return false;
        u->winsec = sec;
        u->winoff = off;
        u->winlen = len;
    }
    *c = (cursor){ u->win + (off - u->winoff), u->win + u->winlen, false };
    return true;
}

/* ---- abbreviations ----------------------------------------------------------- */

static int abbrev_cmp(const void *pa, const void *pb)
{
    const abbrev *a = pa, *b = pb;
    return (a->code > b->code) - (a->code < b->code);
}

/* The size of a value of form `form` when it is fixed, else -1. */
static int form_size(const unit *u, uint64_t form)
{
    switch (form) {
    case FORM_FLAG_PRESENT: case FORM_IMPLICIT_CONST: return 0;
    case FORM_DATA1: case FORM_FLAG: case FORM_REF1: case FORM_STRX1: case FORM_ADDRX1: return 1;
    case FORM_DATA2: case FORM_REF2: case FORM_STRX2: case FORM_ADDRX2: return 2;
    case FORM_STRX3: case FORM_ADDRX3: return 3;
    case FORM_DATA4: case FORM_REF4: case FORM_STRX4: case FORM_ADDRX4: case FORM_REF_SUP4: return 4;
    case FORM_DATA8: case FORM_REF8: case FORM_REF_SIG8: case FORM_REF_SUP8: return 8;
    case FORM_DATA16: return 16;
    case FORM_ADDR: return (int)u->addrsize;
    case FORM_STRP: case FORM_SEC_OFFSET: case FORM_STRP_SUP: case FORM_LINE_STRP:
    case FORM_GNU_REF_ALT: case FORM_GNU_STRP_ALT:
        return (int)u->offsize;
    case FORM_REF_ADDR: return (int)(u->version <= 2 ? u->addrsize : u->offsize);
    default: return -1;
    }
}

/* Parses the table at c; false when it does not end inside c (or a cap). */
static bool parse_abbrevs(unit *u, cursor *c)
{
    u->nabbrevs = u->nspecs = 0;
    for (;;) {
        uint64_t code = get_uleb(c);
        if (c->bad)
            return false;
        if (code == 0)
            break;
        abbrev a = { code, (uint32_t)get_uleb(c), (uint32_t)u->nspecs, 0, 0, get_u(c, 1) != 0 };
        for (;;) {
            uint64_t at = get_uleb(c), form = get_uleb(c);
            if (c->bad)
                return false;
            if (at == 0 && form == 0)
                break;
            int64_t implicit = form == FORM_IMPLICIT_CONST ? (int64_t)get_sleb(c) : 0;
            if (!room(&u->specs, &u->capspecs, u->nspecs, sizeof *u->specs, SPECS_MAX,
                      &u->oom))
                return false;
            u->specs[u->nspecs++] = (attr_spec){ (uint32_t)at, (uint32_t)form, implicit };
            a.nspecs++;
            int size = form_size(u, form);
            a.fixed = a.fixed < 0 || size < 0 || a.fixed > INT32_MAX - 64 ? -1 : a.fixed + size;
        }
        if (!room(&u->abbrevs, &u->capabbrevs, u->nabbrevs, sizeof *u->abbrevs,
                  ABBREVS_MAX, &u->oom))
            return false;
        u->abbrevs[u->nabbrevs++] = a;
    }
    u->dense = true;
    for (size_t i = 0; i < u->nabbrevs && u->dense; i++)
        u->dense = u->abbrevs[i].code == i + 1;
    if (!u->dense)
        sort_array(u->abbrevs, u->nabbrevs, sizeof *u->abbrevs, abbrev_cmp);
    return true;
}

static bool load_abbrevs(unit *u, uint64_t off)
{
    if (u->abbrev_valid && u->abbrev_off == off && u->abbrev_addrsize == u->addrsize &&
        u->abbrev_offsize == u->offsize && u->abbrev_version == u->version)
        return true; /* units may share a table: parsed once */
    u->abbrev_valid = false;
    u->stats.abbrev_tables++;
    cursor c;
    for (unsigned k = 0; !u->oom && window(u, DWARFINLINE_ABBREV, off, k, &c); k++)
        if (parse_abbrevs(u, &c)) {
            u->abbrev_valid = true;
            u->abbrev_off = off;
            u->abbrev_addrsize = u->addrsize;
            u->abbrev_offsize = u->offsize;
            u->abbrev_version = u->version;
            return true;
        }
    return false;
}

static const abbrev *find_abbrev(const unit *u, uint64_t code)
{
    if (u->dense)
        return code && code <= u->nabbrevs ? &u->abbrevs[code - 1] : NULL;
    size_t lo = 0, hi = u->nabbrevs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u->abbrevs[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < u->nabbrevs && u->abbrevs[lo].code == code ? &u->abbrevs[lo] : NULL;
}

/* ---- entries ----------------------------------------------------------------- */

/* One value of *form (DW_FORM_indirect: the form read first) into *v.
 * false for a form this reader does not know the size of. */
static bool form_value(const unit *u, cursor *c, uint32_t *form, int64_t implicit, uint64_t *v)
{
    *v = 0;
    if (*form == FORM_INDIRECT) {
        uint64_t f = get_uleb(c);
        /* implicit_const has its value in the abbreviation, which an
         * indirect form has none of; indirect again could nest. */
        if (f == FORM_INDIRECT || f == FORM_IMPLICIT_CONST || f > UINT32_MAX)
            return false;
        *form = (uint32_t)f;
    }
    switch (*form) {
    case FORM_ADDR: *v = get_u(c, u->addrsize); break;
    case FORM_DATA1: case FORM_FLAG: case FORM_REF1: case FORM_STRX1: case FORM_ADDRX1:
        *v = get_u(c, 1); break;
    case FORM_DATA2: case FORM_REF2: case FORM_STRX2: case FORM_ADDRX2: *v = get_u(c, 2); break;
    case FORM_STRX3: case FORM_ADDRX3: *v = get_u(c, 3); break;
    case FORM_DATA4: case FORM_REF4: case FORM_STRX4: case FORM_ADDRX4: case FORM_REF_SUP4:
        *v = get_u(c, 4); break;
    case FORM_DATA8: case FORM_REF8: case FORM_REF_SIG8: case FORM_REF_SUP8: *v = get_u(c, 8); break;
    case FORM_DATA16: skip(c, 16); break;
    case FORM_SDATA: *v = get_sleb(c); break;
    case FORM_UDATA: case FORM_REF_UDATA: case FORM_STRX: case FORM_ADDRX: case FORM_LOCLISTX:
    case FORM_RNGLISTX: case FORM_GNU_ADDR_INDEX: case FORM_GNU_STR_INDEX:
        *v = get_uleb(c); break;
    case FORM_STRP: case FORM_SEC_OFFSET: case FORM_STRP_SUP: case FORM_LINE_STRP:
    case FORM_GNU_REF_ALT: case FORM_GNU_STRP_ALT:
        *v = get_u(c, u->offsize); break;
    /* DWARF 2 wrote references to other units address-sized. */
    case FORM_REF_ADDR: *v = get_u(c, u->version <= 2 ? u->addrsize : u->offsize); break;
    case FORM_FLAG_PRESENT: *v = 1; break;
    case FORM_IMPLICIT_CONST: *v = (uint64_t)implicit; break;
    case FORM_BLOCK1: skip(c, get_u(c, 1)); break;
    case FORM_BLOCK2: skip(c, get_u(c, 2)); break;
    case FORM_BLOCK4: skip(c, get_u(c, 4)); break;
    case FORM_BLOCK: case FORM_EXPRLOC: skip(c, get_uleb(c)); break;
    case FORM_STRING: {
        const unsigned char *nul = c->bad ? NULL : memchr(c->p, 0, (size_t)(c->end - c->p));
        if (!nul)
            return false;
        *v = (uint64_t)(c->p - u->buf);
        c->p = nul + 1;
        break;
    }
    default: return false;
    }
    return !c->bad;
}

/* Reads the entry at c (its code already read) into *d. */
static bool read_die(const unit *u, cursor *c, const abbrev *ab, die *d)
{
    memset(d, 0, sizeof *d);
    d->ab = ab;
    for (uint32_t k = 0; k < ab->nspecs; k++) {
        const attr_spec *sp = &u->specs[ab->first + k];
        aval a = { sp->form, 0 };
        if (!form_value(u, c, &a.form, sp->implicit, &a.v))
            return false;
        aval *to = NULL;
        switch (sp->at) {
        case AT_NAME: to = &d->name; break;
        case AT_LINKAGE_NAME: case AT_MIPS_LINKAGE_NAME: to = &d->linkage; break;
        case AT_LOW_PC: to = &d->low; break;
        case AT_HIGH_PC: to = &d->high; break;
        case AT_RANGES: to = &d->ranges; break;
        case AT_ABSTRACT_ORIGIN: to = &d->origin; break;
        case AT_SPECIFICATION: to = &d->spec; break;
        case AT_CALL_FILE: to = &d->call_file; break;
        case AT_CALL_LINE: to = &d->call_line; break;
        case AT_DECL_FILE: to = &d->decl_file; break;
        case AT_SIBLING: to = &d->sibling; break;
        case AT_STMT_LIST: to = &d->stmt_list; break;
        case AT_ADDR_BASE: to = &d->addr_base; break;
        case AT_RNGLISTS_BASE: to = &d->rnglists_base; break;
        case AT_STR_OFFSETS_BASE: to = &d->str_offsets_base; break;
        case AT_COMP_DIR: to = &d->comp_dir; break;
        default: break;
        }
        if (to)
            *to = a;
    }
    return true;
}

/* The entry at offset off of the unit's buffer. */
static bool die_at(const unit *u, uint64_t off, die *d)
{
    if (off < u->slo || off - u->slo >= u->len)
        return false;
    cursor c = { u->buf + (off - u->slo), u->buf + u->len, false };
    const abbrev *ab = find_abbrev(u, get_uleb(&c));
    return !c.bad && ab && read_die(u, &c, ab, d);
}

static bool is_const(uint32_t form)
{
    return form == FORM_DATA1 || form == FORM_DATA2 || form == FORM_DATA4 ||
           form == FORM_DATA8 || form == FORM_UDATA || form == FORM_SDATA ||
           form == FORM_IMPLICIT_CONST;
}

/* The offset in the unit of the entry reference a points at; false for
 * one into another unit or file. */
static bool ref_of(const unit *u, const aval *a, uint64_t *off)
{
    switch (a->form) {
    case FORM_REF1: case FORM_REF2: case FORM_REF4: case FORM_REF8: case FORM_REF_UDATA:
        *off = a->v;
        break;
    case FORM_REF_ADDR:
        if (a->v < u->off)
            return false;
        *off = a->v - u->off;
        break;
    default: return false;
    }
    return *off < u->total;
}

/* Entry idx of .debug_addr's table for the unit. */
static bool addrx(unit *u, uint64_t idx, uint64_t *out)
{
    unsigned char b[8];
    uint64_t size = u->src->size[DWARFINLINE_ADDR];
    if (!u->has_addr_base || idx > size / u->addrsize || u->addr_base > size ||
        idx * u->addrsize > size - u->addr_base ||
        size - u->addr_base - idx * u->addrsize < u->addrsize ||
        !u->src->read(u->src->ctx, DWARFINLINE_ADDR, u->addr_base + idx * u->addrsize, b,
                      u->addrsize))
        return false;
    cursor c = { b, b + u->addrsize, false };
    *out = get_u(&c, u->addrsize);
    return true;
}

static bool addr_of(unit *u, const aval *a, uint64_t *out)
{
    switch (a->form) {
    case FORM_ADDR: *out = a->v; return true;
    case FORM_ADDRX: case FORM_ADDRX1: case FORM_ADDRX2: case FORM_ADDRX3: case FORM_ADDRX4:
    case FORM_GNU_ADDR_INDEX:
        return addrx(u, a->v, out);
    default: return false;
    }
}

/* ---- ranges ------------------------------------------------------------------ */

/* Adds [lo, hi) to the entry's ranges, unless empty or discarded: GNU ld
 * sets a discarded function's addresses to 0, lld to all ones; such a
 * range, from 0 up by the function's length, would claim real code. */
static bool add_range(unit *u, uint64_t lo, uint64_t hi)
{
    u->stats.ranges++;
    if (++u->work > u->budget)
        return false;
    uint64_t ones = u->addrsize == 8 ? UINT64_MAX : UINT32_MAX;
    if (lo == 0 || lo >= ones || hi <= lo)
        return true;
    if (!room(&u->rng, &u->caprng, u->nrng, sizeof *u->rng, RANGES_MAX, &u->oom))
        return false;
    u->rng[u->nrng][0] = lo;
    u->rng[u->nrng++][1] = hi;
    return true;
}

/* DWARF 2-4's list in .debug_ranges at c: pairs of addresses, offsets from
 * the base address, which an all-ones first one sets; 0, 0 ends it. */
static bool old_ranges(unit *u, cursor *c)
{
    uint64_t ones = u->addrsize == 8 ? UINT64_MAX : UINT32_MAX, base = u->base;
    for (size_t k = 0; k < RANGES_MAX; k++) {
        uint64_t a = get_u(c, u->addrsize), b = get_u(c, u->addrsize);
        if (c->bad)
            return false;
        if (a == 0 && b == 0)
            return true;
        if (a == ones)
            base = b;
        else if (!add_range(u, base + a, base + b))
            return false;
    }
    return false;
}

/* DWARF 5's list in .debug_rnglists at c (7.25). */
static bool new_ranges(unit *u, cursor *c)
{
    uint64_t base = u->base;
    for (size_t k = 0; k < RANGES_MAX; k++) {
        uint64_t a = 0, b = 0, kind = get_u(c, 1);
        bool ok = true, add = true;
        switch (kind) {
        case RLE_END_OF_LIST: return !c->bad;
        case RLE_BASE_ADDRESSX: ok = addrx(u, get_uleb(c), &base); add = false; break;
        case RLE_STARTX_ENDX: ok = addrx(u, get_uleb(c), &a) && addrx(u, get_uleb(c), &b); break;
        case RLE_STARTX_LENGTH: ok = addrx(u, get_uleb(c), &a); b = a + get_uleb(c); break;
        case RLE_OFFSET_PAIR: a = base + get_uleb(c); b = base + get_uleb(c); break;
        case RLE_BASE_ADDRESS: base = get_u(c, u->addrsize); add = false; break;
        case RLE_START_END: a = get_u(c, u->addrsize); b = get_u(c, u->addrsize); break;
        case RLE_START_LENGTH: a = get_u(c, u->addrsize); b = a + get_uleb(c); break;
        default: return false;
        }
        if (!ok || c->bad || (add && !add_range(u, a, b)))
            return false;
    }
    return false;
}

/* Where the range list of DW_AT_ranges value a lies. */
static bool ranges_off(unit *u, const aval *a, uint64_t *off)
{
    if (a->form != FORM_RNGLISTX) {
        *off = a->v;
        return is_const(a->form) || a->form == FORM_SEC_OFFSET;
    }
    /* rnglistx: an index into the offsets that follow the list table's
     * header, themselves relative to that point (7.28). */
    unsigned char b[8];
    uint64_t size = u->src->size[DWARFINLINE_RNGLISTS], at;
    if (!u->has_rnglists_base || u->rnglists_base > size || a->v > size / u->offsize)
        return false;
    at = u->rnglists_base + a->v * u->offsize;
    if (at > size || size - at < u->offsize ||
        !u->src->read(u->src->ctx, DWARFINLINE_RNGLISTS, at, b, u->offsize))
        return false;
    cursor c = { b, b + u->offsize, false };
    *off = u->rnglists_base + get_u(&c, u->offsize);
    return true;
}

/* The code ranges of entry d into u->rng.  false: they cannot be read
 * (the unit is not to be trusted further). */
static bool die_ranges(unit *u, const die *d)
{
    u->nrng = 0;
    if (d->low.form && d->high.form) {
        uint64_t lo, hi;
        if (!addr_of(u, &d->low, &lo))
            return false;
        if (is_const(d->high.form))
            hi = lo + d->high.v;
        else if (!addr_of(u, &d->high, &hi))
            return false;
        return add_range(u, lo, hi);
    }
    if (!d->ranges.form)
        return true; /* no code, or a single address (low_pc alone) */
    uint64_t off;
    int sec = u->version >= 5 ? DWARFINLINE_RNGLISTS : DWARFINLINE_RANGES;
    if (!ranges_off(u, &d->ranges, &off))
        return false;
    cursor c;
    for (unsigned k = 0; !u->oom && window(u, sec, off, k, &c); k++) {
        u->nrng = 0;
        if (u->version >= 5 ? new_ranges(u, &c) : old_ranges(u, &c))
            return true;
        if (!c.bad || u->nrng >= RANGES_MAX)
            return false; /* malformed, not cut short by the window */
    }
    return false;
}

/* ---- names ------------------------------------------------------------------- */

/* Room for extra more bytes of u->text (a chain's strings: at most
 * DWARFINLINE_DEPTH_MAX names and paths of a few KiB each). */
static bool text_room(unit *u, size_t extra)
{
    if (extra <= u->captext - u->ntext)
        return true;
    size_t cap = u->captext ? u->captext : 1024;
    while (cap - u->ntext < extra)
        cap *= 2;
    char *p = mem_realloc(u->text, cap);
    if (!p) {
        u->oom = true;
        return false;
    }
    u->text = p;
    u->captext = cap;
    return true;
}

/* Appends string a, read from an entry of unit `from` (u or a far one),
 * with its NUL to u->text; its offset there in *at.  The string is in
 * from's file, or in its supplementary file (dwz's DW_FORM_GNU_strp_alt,
 * DWARF 5's DW_FORM_strp_sup).  "" too: a compilation directory may be
 * empty (put_str, for names, refuses it). */
static bool put_str_any(unit *u, const unit *from, const aval *a, size_t *at)
{
    const dwarfinline_src *src = from->src;
    int sec;
    uint64_t off = a->v;
    switch (a->form) {
    case FORM_STRING: {
        const char *s = (const char *)from->buf + a->v; /* form_value checked its NUL */
        size_t len = strlen(s);
        if (len >= NAME_MAX_LEN || !text_room(u, len + 1))
            return false;
        *at = u->ntext;
        memcpy(u->text + u->ntext, s, len + 1);
        u->ntext += len + 1;
        return true;
    }
    case FORM_STRP: sec = DWARFLINE_STR; break;
    case FORM_LINE_STRP: sec = DWARFLINE_LINE_STR; break;
    case FORM_GNU_STRP_ALT: case FORM_STRP_SUP:
        /* A supplementary file's own entries name no other file. */
        if (src != u->src || !(src = src->alt))
            return false;
        sec = DWARFLINE_STR;
        break;
    case FORM_STRX: case FORM_STRX1: case FORM_STRX2: case FORM_STRX3: case FORM_STRX4:
    case FORM_GNU_STR_INDEX: {
        unsigned char b[8];
        uint64_t size = src->size[DWARFINLINE_STR_OFFSETS];
        if (!from->has_str_offsets_base || from->str_offsets_base > size ||
            a->v > size / from->offsize)
            return false;
        uint64_t p = from->str_offsets_base + a->v * from->offsize;
        if (p > size || size - p < from->offsize ||
            !src->read(src->ctx, DWARFINLINE_STR_OFFSETS, p, b, from->offsize))
            return false;
        cursor c = { b, b + from->offsize, false };
        off = get_u(&c, from->offsize);
        sec = DWARFLINE_STR;
        break;
    }
    default: return false;
    }
    uint64_t size = src->size[sec];
    size_t start = u->ntext;
    while (off < size && u->ntext - start < NAME_MAX_LEN) {
        size_t n = size - off < STR_CHUNK ? (size_t)(size - off) : STR_CHUNK;
        if (!text_room(u, n) || !src->read(src->ctx, sec, off, u->text + u->ntext, n))
            break;
        const char *nul = memchr(u->text + u->ntext, 0, n);
        if (nul) {
            u->ntext = (size_t)(nul - u->text) + 1;
            *at = start;
            return true;
        }
        u->ntext += n;
        off += n;
    }
    u->ntext = start;
    return false;
}

/* put_str_any for a name: "" names nothing (false, u->text as it was). */
static bool put_str(unit *u, const unit *from, const aval *a, size_t *at)
{
    size_t mark = u->ntext;
    if (!put_str_any(u, from, a, at))
        return false;
    if (u->text[*at])
        return true;
    u->ntext = mark;
    return false;
}

/* ---- references into other units ---------------------------------------------- */

static bool unit_header(unit *u, uint64_t at, uint64_t *abbrev_off, uint64_t *dies,
                        uint64_t *next);

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
        unit_header(far, at, &abbrev_off, &dies, &next);
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
    if (die_at(far, off, d))
        return true;
    uint64_t rest = far->total - off;
    for (size_t want = FAR_SLICE; want <= FAR_ENTRY_MAX; want *= 2) {
        size_t len = rest < want ? (size_t)rest : want;
        u->work += 1 + len / FAR_SLICE;
        far->slo = off;
        far->len = 0;
        if (u->work > u->budget ||
            !load(far, DWARFINLINE_INFO, far->off + off, len, &far->buf, &far->cap)) {
            u->oom |= far->oom;
            return false;
        }
        far->len = len;
        if (die_at(far, off, d))
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
    if (!unit_header(far, start, &abbrev_off, &dies, &next) || !load_abbrevs(far, abbrev_off))
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
static bool follow(scan *s, unit **in, const aval *a, uint64_t *off)
{
    unit *u = s->u;
    bool alt = a->form == FORM_GNU_REF_ALT || a->form == FORM_REF_SUP4 || a->form == FORM_REF_SUP8;
    if (a->form != FORM_REF_ADDR && !alt)
        return ref_of(*in, a, off);
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
static bool entry_at(scan *s, unit *in, uint64_t off, die *d)
{
    return in == s->u ? die_at(in, off, d) : far_entry(s, in, off, d);
}

/* ---- names (continued) ---------------------------------------------------------- */

/* Appends s with its NUL to u->text, its offset there in *at (inline:
 * per name and file of every frame, 1% of a first lookup out of line). */
static inline bool put_text(unit *u, const char *s, size_t *at)
{
    size_t len = strlen(s) + 1;
    if (!text_room(u, len))
        return false;
    memcpy(u->text + u->ntext, s, len);
    *at = u->ntext;
    u->ntext += len;
    return true;
}

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
    if (!put_str_any(u, in, &a, at))
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
static bool file_name(scan *s, unit *in, uint64_t fno, size_t *at)
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
    for (int hop = 0; hop < REF_HOPS && entry_at(s, in, off, &d); hop++) {
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
            if (is_const(d.decl_file.form) && !file_name(s, in, d.decl_file.v, decl))
                goto none; /* out of memory */
        }
        if (linked && !seek)
            break;
        const aval *next = d.origin.form ? &d.origin : d.spec.form ? &d.spec : NULL;
        if (!next || !follow(s, &in, next, &off))
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
    return file_name(s, u, d->call_file.v, at);
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
        if (n == DWARFINLINE_DEPTH_MAX || !die_at(u, u->pool[t - 1].off, &d))
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
        const abbrev *ab = find_abbrev(u, code);
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
        if (!read_die(u, c, ab, &d))
            return false;
        uint64_t sib;
        /* Types outside any function hold no code (GCC and clang put a
         * member function's code at the unit's or namespace's level):
         * their members are skipped.  Inside a function they may: GCC
         * puts a local class's methods, a lambda's operator() among them,
         * in the class's entry within the function's (helper D, session
         * 41: every inlined frame of a lambda was lost). */
        if (is_type(ab->tag) && ab->children && !u->incode[depth] && ref_of(u, &d.sibling, &sib) &&
            sib > off) {
            c->p = u->buf + sib;
            continue;
        }
        if (code_tag) {
            if (!die_ranges(u, &d))
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
    return load(u, DWARFINLINE_INFO, u->off, len, &u->buf, &u->cap);
}

/* The header of the unit at `at` of .debug_info into u (its offset
 * size, version, address size, offset and total length), its table of
 * abbreviations' offset into *abbrev_off, its first entry's offset in it
 * into *dies.  *next: the unit after it, or UINT64_MAX when the section
 * cannot be followed further.  false: no unit this reader reads (type
 * units and skeletons included), and u's offset and length unchanged. */
static bool unit_header(unit *u, uint64_t at, uint64_t *abbrev_off, uint64_t *dies,
                        uint64_t *next)
{
    const dwarfinline_src *src = u->src;
    uint64_t size = src->size[DWARFINLINE_INFO];
    unsigned char head[24];
    *next = UINT64_MAX;
    if (at >= size || size - at < 11)
        return false;
    size_t hn = size - at < sizeof head ? (size_t)(size - at) : sizeof head;
    if (!src->read(src->ctx, DWARFINLINE_INFO, at, head, hn))
        return false;
    cursor c = { head, head + hn, false };
    uint64_t len = get_u(&c, 4);
    u->offsize = 4;
    if (len == 0xffffffffu) {
        len = get_u(&c, 8);
        u->offsize = 8;
    } else if (len >= 0xfffffff0u) {
        return false; /* reserved values: nothing after can be found */
    }
    uint64_t lenbytes = (uint64_t)(c.p - head);
    if (c.bad || len > size - at - lenbytes)
        return false;
    *next = at + lenbytes + len;
    u->version = (int)get_u(&c, 2);
    if (u->version >= 5) {
        unsigned type = (unsigned)get_u(&c, 1);
        u->addrsize = (unsigned)get_u(&c, 1);
        *abbrev_off = get_u(&c, u->offsize);
        /* Type units, and skeletons of split DWARF, whose entries are in
         * a .dwo file, hold no code of interest here. */
        if (type != UT_COMPILE && type != UT_PARTIAL)
            return false;
    } else {
        *abbrev_off = get_u(&c, u->offsize);
        u->addrsize = (unsigned)get_u(&c, 1);
    }
    *dies = (uint64_t)(c.p - head);
    uint64_t total = lenbytes + len;
    /* The header read from `head` may run past a unit that claims to be
     * shorter than it. */
    if (c.bad || *dies >= total || u->version < 2 || u->version > 5 ||
        (u->addrsize != 4 && u->addrsize != 8) || total > DWARFINLINE_UNIT_MAX)
        return false;
    u->off = at;
    u->total = total;
    return true;
}

/* Reads and walks the unit at *off; *off moves to the next one, or to
 * UINT64_MAX when the section cannot be followed further.  ENOMEM or 0. */
static int one_unit(scan *s, uint64_t *off)
{
    unit *u = s->u;
    uint64_t at = *off, abbrev_off, dies;
    if (!unit_header(u, at, &abbrev_off, &dies, off))
        return 0;
    uint64_t total = u->total;
    u->work = 0;
    u->budget = 16 * total + (uint64_t)NEST_MAX * s->n + ((uint64_t)1 << 20);
    u->files_tried = false;
    u->npool = 0;
    if (!load_abbrevs(u, abbrev_off))
        return u->oom ? ENOMEM : 0;

    /* The unit's own entry, from its first bytes (all of them if it needs). */
    die cu;
    const abbrev *ab = NULL;
    bool whole = total <= PREFIX;
    if (!load_unit(u, whole ? (size_t)total : PREFIX))
        return u->oom ? ENOMEM : 0;
    for (;;) {
        cursor e = { u->buf + dies, u->buf + u->len, false };
        ab = find_abbrev(u, get_uleb(&e));
        if (!e.bad && ab && read_die(u, &e, ab, &cu)) {
            dies = (uint64_t)(e.p - u->buf);
            break;
        }
        if (whole || !load_unit(u, (size_t)total))
            return u->oom ? ENOMEM : 0;
        whole = true;
    }
    if (ab->tag != TAG_COMPILE_UNIT && ab->tag != TAG_PARTIAL_UNIT)
        return 0;
    u->has_addr_base = cu.addr_base.form != 0;
    u->addr_base = cu.addr_base.v;
    u->has_rnglists_base = cu.rnglists_base.form != 0;
    u->rnglists_base = cu.rnglists_base.v;
    u->has_str_offsets_base = cu.str_offsets_base.form != 0;
    u->str_offsets_base = cu.str_offsets_base.v;
    u->has_stmt_list = cu.stmt_list.form != 0;
    u->stmt_list = cu.stmt_list.v;
    u->comp_dir = cu.comp_dir; /* DW_FORM_string: in u->buf, which holds the unit from its start */
    u->canon_made = false;
    u->base = 0;
    if (cu.low.form && !addr_of(u, &cu.low, &u->base))
        return 0;
    /* The unit's code: whether any query lies there, and the range an
     * index keeps.  A unit that says nothing of its code is walked. */
    uint64_t lo = UINT64_MAX, hi = 0;
    bool ranged = cu.low.form || cu.ranges.form;
    if (!die_ranges(u, &cu))
        return u->oom ? ENOMEM : 0;
    for (size_t k = 0; k < u->nrng; k++) {
        lo = u->rng[k][0] < lo ? u->rng[k][0] : lo;
        hi = u->rng[k][1] > hi ? u->rng[k][1] : hi;
    }
    bool walked = true;
    if (ab->children && (!ranged || any_query(s))) {
        if (!whole && !load_unit(u, (size_t)total))
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
    }
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
