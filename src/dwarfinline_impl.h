/*
 * dwarfinline_impl.h - the state of one scan of dwarfinline.h, private to
 * its four files: dwarfinline.c (the walk of a unit, the chains and their
 * names, the units in turn), dwarfinline_die.c (a unit's bytes decoded:
 * its header, abbreviations, entries, range lists and strings),
 * dwarfinline_far.c (references into other units, and the names of file
 * numbers) and dwarfinline_split.c (a skeleton's split unit, in its .dwo).
 *
 * Here: the DWARF codes the reader knows and its caps, a unit as read (the
 * scanned one or a far one), and the scan; what they hold and their
 * invariants are dwarfinline.c's data model (its header comment).  The
 * small helpers more than one file calls (growing an array, a form's
 * class, a chain's strings) are static inline here, so that they are
 * inlined as they were in one file; the functions that cross files are
 * named for theirs (STYLE.md rule 2) and hidden (-fvisibility=hidden:
 * libheapprof.so exports none of them).
 */
#ifndef HEAPPROF_DWARFINLINE_IMPL_H
#define HEAPPROF_DWARFINLINE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dwarfcursor.h"
#include "dwarfinline.h"
#include "dwarfline.h"
#include "mem.h"

enum {
    /* Tags (7.5.4). */
    TAG_ARRAY_TYPE = 0x01, TAG_CLASS_TYPE = 0x02, TAG_ENUMERATION_TYPE = 0x04,
    TAG_LEXICAL_BLOCK = 0x0b, TAG_COMPILE_UNIT = 0x11, TAG_STRUCTURE_TYPE = 0x13,
    TAG_SUBROUTINE_TYPE = 0x15, TAG_UNION_TYPE = 0x17, TAG_INLINED_SUBROUTINE = 0x1d,
    TAG_SUBPROGRAM = 0x2e, TAG_PARTIAL_UNIT = 0x3c, TAG_SKELETON_UNIT = 0x4a,
    /* Attributes (7.5.4). */
    AT_SIBLING = 0x01, AT_NAME = 0x03, AT_STMT_LIST = 0x10, AT_LOW_PC = 0x11, AT_HIGH_PC = 0x12,
    AT_COMP_DIR = 0x1b,
    AT_ABSTRACT_ORIGIN = 0x31, AT_DECL_FILE = 0x3a, AT_SPECIFICATION = 0x47, AT_RANGES = 0x55,
    AT_CALL_FILE = 0x58, AT_CALL_LINE = 0x59, AT_LINKAGE_NAME = 0x6e, AT_STR_OFFSETS_BASE = 0x72,
    AT_ADDR_BASE = 0x73, AT_RNGLISTS_BASE = 0x74, AT_DWO_NAME = 0x76,
    AT_MIPS_LINKAGE_NAME = 0x2007,
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
    UT_COMPILE = 0x01, UT_PARTIAL = 0x03, UT_SKELETON = 0x04, UT_SPLIT_COMPILE = 0x05,
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
    aval stmt_list, addr_base, rnglists_base, str_offsets_base, comp_dir, dwo_name;
} die;

typedef struct node {
    uint64_t off; /* the inlined entry, in the unit's buffer */
    uint32_t depth;
    uint32_t prev; /* the node it was inlined into, + 1; 0: none */
    uint32_t len;  /* nodes in the chain, this one included */
} node;

/* Entries' offsets in a unit fit the names' memo (struct name_memo). */
_Static_assert(DWARFINLINE_UNIT_MAX <= UINT32_MAX, "name_memo.off");

typedef struct unit {
    const dwarfinline_src *src;
    /* Where .debug_addr is read from: src, but in a split unit, whose
     * addresses are in the skeleton's file (NULL: src). */
    const dwarfinline_src *asrc;
    uint64_t off;   /* in .debug_info */
    uint64_t total; /* its length, header included */
    unsigned char *buf; /* the unit's bytes [slo, slo + len) */
    uint64_t slo;       /* 0 but in the scan's far unit */
    size_t len, cap;
    int version;
    unsigned offsize, addrsize;
    /* DWARF 5's skeleton and split units: the dwo_id their headers carry
     * (unit_type: the header's, 0 before DWARF 5). */
    unsigned unit_type;
    uint64_t dwo_id;
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
static inline bool room(void *arrp, size_t *cap, size_t n, size_t sz, size_t max, bool *oom)
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

/* ---- entries ----------------------------------------------------------------- */

static inline bool is_const(uint32_t form)
{
    return form == FORM_DATA1 || form == FORM_DATA2 || form == FORM_DATA4 ||
           form == FORM_DATA8 || form == FORM_UDATA || form == FORM_SDATA ||
           form == FORM_IMPLICIT_CONST;
}

/* ---- names ------------------------------------------------------------------- */

/* Room for extra more bytes of u->text (a chain's strings: at most
 * DWARFINLINE_DEPTH_MAX names and paths of a few KiB each). */
static inline bool text_room(unit *u, size_t extra)
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

/* ---- across the files -------------------------------------------------------- */

/* dwarfinline_die.c, each said in full at its definition. */
/* The len bytes at off of section sec into *dst, grown to hold them. */
bool dwarfinline_die_load(unit *u, int sec, uint64_t off, size_t len, unsigned char **dst,
                          size_t *cap);
/* The header of the unit at `at` of .debug_info into u; *next: the one after. */
bool dwarfinline_die_unit_header(unit *u, uint64_t at, uint64_t *abbrev_off, uint64_t *dies,
                                 uint64_t *next);
/* The abbreviation table at off of .debug_abbrev into u (kept when shared). */
bool dwarfinline_die_load_abbrevs(unit *u, uint64_t off);
/* Abbreviation `code` of u's table, or NULL. */
const abbrev *dwarfinline_die_find_abbrev(const unit *u, uint64_t code);
/* The entry at c (its code already read) into *d. */
bool dwarfinline_die_read(const unit *u, cursor *c, const abbrev *ab, die *d);
/* The entry at offset off of u's buffer. */
bool dwarfinline_die_at(const unit *u, uint64_t off, die *d);
/* The offset in u of the entry reference a points at (none in another unit). */
bool dwarfinline_die_ref_of(const unit *u, const aval *a, uint64_t *off);
/* The address a says (DW_FORM_addr, or an index into .debug_addr). */
bool dwarfinline_die_addr_of(unit *u, const aval *a, uint64_t *out);
/* The code ranges of entry d into u->rng. */
bool dwarfinline_die_ranges(unit *u, const die *d);
/* String a of an entry of unit `from` appended to u->text, at *at. */
bool dwarfinline_die_put_str_any(unit *u, const unit *from, const aval *a, size_t *at);

/* dwarfinline_split.c, likewise. */
/* Switches u from skeleton entry cu to its split unit, *dies its first
 * entry after the unit's own; false: none read (u as it was), *again
 * when a later scan may read it (src->split_again). */
bool dwarfinline_split_enter(scan *s, const die *cu, uint64_t *dies, bool *again);
/* Switches u back to the scanned file after dwarfinline_split_enter;
 * true: a later scan may read the split unit more wholly
 * (src->split_again, told other_build). */
bool dwarfinline_split_leave(scan *s, bool other_build);

/* dwarfinline_far.c, likewise. */
/* Follows reference a, from an entry of *in, to its unit and offset there. */
bool dwarfinline_far_follow(scan *s, unit **in, const aval *a, uint64_t *off);
/* The entry at off of unit in (the scanned one or a far one). */
bool dwarfinline_far_entry_at(scan *s, unit *in, uint64_t off, die *d);
/* The name of file number fno of unit in's line table appended to u->text. */
bool dwarfinline_far_file_name(scan *s, unit *in, uint64_t fno, size_t *at);

#endif
