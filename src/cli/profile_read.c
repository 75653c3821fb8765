/*
 * profile_read.c - see profile_read.h.
 *
 * Stages, each of which may refuse the input with one message:
 *   1. bytes:   the whole file, at most `max` bytes (HEAPPROF_MAX_INPUT);
 *   2. gunzip:  when the bytes start with the gzip magic, inflated within
 *               the same bound (input.c does both);
 *   3. decode:  protobuf-c unpacks the message (it owns all the strings),
 *               allocating through a counter that refuses the input once
 *               it has cost more than the decode bound (HEAPPROF_MAX_DECODE);
 *   4. check:   every id and string index is validated (check_*);
 *   4b. local:  with PROFILE_READ_LOCAL, the lines the profile left to
 *               pprof, from the binaries here (locallines.c, fill_local):
 *               more Lines, Functions and strings in the decoded message;
 *   5. model:   names per location (with PROFILE_READ_LINES, by source
 *               line where known: linenames.c), frames per sample,
 *               variances; control characters in strings are replaced by
 *               '?' (they would otherwise reach the terminal).
 *
 * Data of stage 5 (struct profile_mem): id indexes (sorted (id, index)
 * pairs, or "dense" when ids are exactly 1..n in order); loc_first/loc_count
 * give each location's run of names in `names`; every sample's frames are
 * one run of `frames`; values/var/sd are nsamples x ntypes, row-major.
 * Every count that sizes an allocation is bounded first (FRAMES_MAX), so a
 * small input cannot ask for a huge model.
 */
#include "profile_read.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "demangle.h"
#include "input.h"
#include "linenames.h"
#include "locallines.h"
#include "namehash.h"
#include "profile.pb-c.h"
#include "ptrmap.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Sample pb_sample;

enum {
    FRAMES_MAX = 1 << 25,  /* frames over all samples (a model of 256 MiB of pointers, and
                              128 MiB of their names' hashes; profile_read_by_tag's
                              copies as much again; list_stack_funcs
                              two words per frame of a text's second function) */
    LABEL_TYPES_MAX = 64,  /* sample types whose _sd/_samples labels are looked at */
};

typedef struct idpair {
    uint64_t id;
    size_t idx;
} idpair;

typedef struct idindex {
    idpair *v;
    size_t n;
    bool dense; /* ids are 1..n in order: index = id - 1 */
} idindex;

struct profile_mem {
    pb_profile *pb;
    idindex maps, locs, funcs;
    size_t *loc_first, *loc_count;
    const char **names;
    size_t nnames;
    char **demangled; /* per function: its C++ name as pprof shows it, or NULL */
    const char **map_name; /* per mapping: "[FILE]", or NULL */
    char *map_names;
    linenames lines;       /* the "func file:line" names, with PROFILE_READ_LINES */
    const char **name_funcs; /* ... and per names entry, its function (build_frames) */
    ptrmap funcs_of;         /* profile_sample.funcs: a distinct frame -> its function,
                                and a stack of a mixed text -> its frames' functions */
    profile_func_at *stack_funcs; /* the latter lists, back to back (NULL: none) */
    ptrmap kinds;            /* profile_sample.kinds */
    const char **frames;
    char **tag_names;       /* profile_read_by_tag: "KEY=value" per string index, and
                               "(no KEY label)" at n_string_table */
    size_t ntag_names;
    char **tag_nums;         /* profile_read_by_tag: "KEY=value unit" of a sample's numeric
                                label KEY, by sample (NULL: none) */
    size_t ntag_nums;
    const char **tag_frames; /* profile_read_by_tag: the samples' frames */
    namehash *tag_hashes;    /* ... and their names' hashes */
    namehash *tag_name_hashes; /* per tag_names entry */
    unsigned char *ctl_strs; /* sanitize_strings: a bit per string it changed (NULL: none) */
    bool ctl_all;            /* ...or, its memory lacking, as if it changed every one */
    namehash *hashes;      /* per frame: its name's hash */
    profile_sample *samples;
    double *var;
    unsigned char *sd;
    const char **type_name, **type_unit;
    char *header; /* after profile_read_shed: the strings kept */
};

/* ---- errors --------------------------------------------------------------- */

typedef struct reader {
    const char *name;
    char *err;
    size_t errlen;
} reader;

/* "NAME: message" into the caller's buffer. */
__attribute__((format(printf, 2, 3))) static void say(reader *r, const char *fmt, ...)
{
    if (!r->errlen)
        return;
    int n = snprintf(r->err, r->errlen, "%s: ", r->name);
    if (n < 0 || (size_t)n >= r->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* say(), then -1: `return fail(r, ...)` ends a stage.  A macro rather than
 * a function returning -1 so that the -1 is seen where it is returned:
 * clang's analyzer does not inline variadic functions, and would otherwise
 * follow paths where a stage that failed returned 0 and the next ran on a
 * NULL or empty model (clang-tidy's NullDereference and zero-size malloc
 * findings in check_strings and build_estimates). */
#define fail(r, ...) (say((r), __VA_ARGS__), -1)

/* ---- stage 4: checks ------------------------------------------------------ */

static int cmp_idpair(const void *a, const void *b)
{
    const idpair *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* ids[i] of n messages: nonzero and unique.  what names the kind. */
static int index_ids(reader *r, idindex *x, const uint64_t *ids, size_t n, const char *what)
{
    x->n = n;
    x->dense = true;
    for (size_t i = 0; i < n && x->dense; i++)
        x->dense = ids[i] == i + 1;
    if (x->dense)
        return 0;
    if (!(x->v = malloc((n ? n : 1) * sizeof *x->v)))
        return fail(r, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!ids[i])
            return fail(r, "broken profile: %s #%zu has id 0", what, i + 1);
        x->v[i] = (idpair){ids[i], i};
    }
    qsort(x->v, n, sizeof *x->v, cmp_idpair);
    for (size_t i = 1; i < n; i++)
        if (x->v[i].id == x->v[i - 1].id)
            return fail(r, "broken profile: two %ss have id %" PRIu64, what, x->v[i].id);
    return 0;
}

/* Index of the message with this id, or -1. */
static long find_id(const idindex *x, uint64_t id)
{
    if (x->dense)
        return id >= 1 && id <= x->n ? (long)(id - 1) : -1;
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->v[mid].id < id)
            lo = mid + 1;
        else if (x->v[mid].id > id)
            hi = mid;
        else
            return (long)x->v[mid].idx;
    }
    return -1;
}

typedef struct checker {
    reader *r;
    size_t nstr;
} checker;

static bool str_ok(const checker *c, int64_t i, const char *what)
{
    if (i >= 0 && (uint64_t)i < c->nstr)
        return true;
    say(c->r, "broken profile: %s refers to string %" PRId64 ", but the string table has %zu "
              "entries", what, i, c->nstr);
    return false;
}

static int check_strings(checker *c, const pb_profile *pb)
{
    if (!(str_ok(c, pb->drop_frames, "drop_frames") && str_ok(c, pb->keep_frames, "keep_frames") &&
          str_ok(c, pb->default_sample_type, "default_sample_type") &&
          str_ok(c, pb->doc_url, "doc_url")))
        return -1;
    if (pb->period_type && !(str_ok(c, pb->period_type->type, "period_type") &&
                             str_ok(c, pb->period_type->unit, "period_type unit")))
        return -1;
    for (size_t i = 0; i < pb->n_sample_type; i++)
        if (!(str_ok(c, pb->sample_type[i]->type, "a sample type") &&
              str_ok(c, pb->sample_type[i]->unit, "a sample type's unit")))
            return -1;
    for (size_t i = 0; i < pb->n_comment; i++)
        if (!str_ok(c, pb->comment[i], "a comment"))
            return -1;
    for (size_t i = 0; i < pb->n_mapping; i++)
        if (!(str_ok(c, pb->mapping[i]->filename, "a mapping's file name") &&
              str_ok(c, pb->mapping[i]->build_id, "a mapping's build id")))
            return -1;
    for (size_t i = 0; i < pb->n_function; i++) {
        const Perftools__Profiles__Function *f = pb->function[i];
        if (!(str_ok(c, f->name, "a function name") &&
              str_ok(c, f->system_name, "a function's system name") &&
              str_ok(c, f->filename, "a function's file name")))
            return -1;
    }
    for (size_t i = 0; i < pb->n_sample; i++)
        for (size_t k = 0; k < pb->sample[i]->n_label; k++) {
            const Perftools__Profiles__Label *l = pb->sample[i]->label[k];
            if (!(str_ok(c, l->key, "a label key") && str_ok(c, l->str, "a label value") &&
                  str_ok(c, l->num_unit, "a label unit")))
                return -1;
        }
    return 0;
}

static int check_ids(reader *r, struct profile_mem *m)
{
    const pb_profile *pb = m->pb;
    uint64_t *ids = malloc((pb->n_mapping + pb->n_location + pb->n_function + 1) * sizeof *ids);
    if (!ids)
        return fail(r, "out of memory");
    uint64_t *mi = ids, *li = mi + pb->n_mapping, *fi = li + pb->n_location;
    for (size_t i = 0; i < pb->n_mapping; i++)
        mi[i] = pb->mapping[i]->id;
    for (size_t i = 0; i < pb->n_location; i++)
        li[i] = pb->location[i]->id;
    for (size_t i = 0; i < pb->n_function; i++)
        fi[i] = pb->function[i]->id;
    int err = index_ids(r, &m->maps, mi, pb->n_mapping, "mapping");
    if (!err)
        err = index_ids(r, &m->locs, li, pb->n_location, "location");
    if (!err)
        err = index_ids(r, &m->funcs, fi, pb->n_function, "function");
    free(ids);
    if (err)
        return err;
    for (size_t i = 0; i < pb->n_location; i++) {
        const pb_location *l = pb->location[i];
        if (l->mapping_id && find_id(&m->maps, l->mapping_id) < 0)
            return fail(r, "broken profile: location %" PRIu64 " refers to mapping %" PRIu64
                           ", which does not exist", l->id, l->mapping_id);
        for (size_t k = 0; k < l->n_line; k++)
            if (l->line[k]->function_id && find_id(&m->funcs, l->line[k]->function_id) < 0)
                return fail(r, "broken profile: location %" PRIu64 " refers to function %" PRIu64
                               ", which does not exist", l->id, l->line[k]->function_id);
    }
    for (size_t i = 0; i < pb->n_sample; i++) {
        const pb_sample *s = pb->sample[i];
        if (s->n_value != pb->n_sample_type)
            return fail(r, "broken profile: sample %zu has %zu values, but the profile has %zu "
                           "sample types", i + 1, s->n_value, pb->n_sample_type);
        for (size_t k = 0; k < s->n_location_id; k++)
            if (find_id(&m->locs, s->location_id[k]) < 0)
                return fail(r, "broken profile: sample %zu refers to location %" PRIu64
                               ", which does not exist", i + 1, s->location_id[k]);
    }
    return 0;
}

/* With PROFILE_READ_LOCAL: the lines the profile left to pprof, from the
 * binaries on this machine (locallines.h), before any name is made, so
 * every command reads them as lines the profile held.  The Functions it
 * adds are indexed again. */
static int fill_local(reader *r, struct profile_mem *m, profile *p, const char *dirs)
{
    pb_profile *pb = m->pb;
    size_t nl = pb->n_location, nf = pb->n_function;
    long *lm = malloc((2 * nl + 1) * sizeof *lm), *lf = lm ? lm + nl : NULL;
    if (!lm)
        return fail(r, "out of memory");
    for (size_t i = 0; i < nl; i++) {
        const pb_location *l = pb->location[i];
        lm[i] = l->mapping_id ? find_id(&m->maps, l->mapping_id) : -1;
        lf[i] = l->n_line == 1 && l->line[0]->function_id
                    ? find_id(&m->funcs, l->line[0]->function_id) : -1;
    }
    locallines_stats st;
    int e = locallines_fill(pb, lm, lf, dirs, &st);
    free(lm);
    p->local_filled = st.filled;
    p->local_missing = st.missing;
    p->local_past_cap = st.past_cap;
    p->local_left = st.left;
    p->local_lost = st.lost;
    if (e)
        return fail(r, "out of memory");
    if (pb->n_function == nf)
        return 0;
    uint64_t *ids = malloc(pb->n_function * sizeof *ids);
    if (!ids)
        return fail(r, "out of memory");
    for (size_t i = 0; i < pb->n_function; i++)
        ids[i] = pb->function[i]->id;
    free(m->funcs.v);
    m->funcs = (idindex){0};
    e = index_ids(r, &m->funcs, ids, pb->n_function, "function");
    free(ids);
    return e;
}

/* ---- stage 5: the model --------------------------------------------------- */

static const char *str(const pb_profile *pb, int64_t i)
{
    const char *s = pb->string_table[i];
    return s ? s : "";
}

/* Function f's name: demangled, else its name, else its system name;
 * "" when it has none. */
static const char *func_name_at(const struct profile_mem *m, size_t f)
{
    if (m->demangled[f])
        return m->demangled[f];
    const Perftools__Profiles__Function *fn = m->pb->function[f];
    const char *n = str(m->pb, fn->name);
    return *n ? n : str(m->pb, fn->system_name);
}

/* The name of the function of this id, "" for none (id 0) or no name. */
static const char *func_name(const struct profile_mem *m, uint64_t function_id)
{
    long f = function_id ? find_id(&m->funcs, function_id) : -1;
    return f < 0 ? "" : func_name_at(m, (size_t)f);
}

/* Each function's C++ name demangled as go tool pprof shows it
 * (demangle.h): heapprof's library writes them mangled, and its rows read
 * _ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_mutateEmmPKcm
 * where pprof's read std::__cxx11::basic_string::_M_mutate.  A name that
 * is not mangled, or not understood, stays as it is (a failed
 * allocation too: it is only less readable). */
static int build_demangled(reader *r, struct profile_mem *m)
{
    const pb_profile *pb = m->pb;
    m->demangled = calloc(pb->n_function + 1, sizeof *m->demangled);
    if (!m->demangled)
        return fail(r, "out of memory");
    for (size_t f = 0; f < pb->n_function; f++) {
        const char *n = str(pb, pb->function[f]->name);
        m->demangled[f] = demangle(*n ? n : str(pb, pb->function[f]->system_name));
    }
    return 0;
}

/* "[FILE]" for every mapping whose file name is known (FILE its last
 * path component), else NULL: one each, however many locations use it. */
static int build_map_names(reader *r, struct profile_mem *m)
{
    const pb_profile *pb = m->pb;
    size_t bytes = 0;
    m->map_name = calloc(pb->n_mapping + 1, sizeof *m->map_name);
    for (size_t k = 0; k < pb->n_mapping; k++)
        bytes += strlen(str(pb, pb->mapping[k]->filename)) + 3;
    m->map_names = malloc(bytes + 1);
    if (!m->map_name || !m->map_names)
        return fail(r, "out of memory");
    char *at = m->map_names;
    for (size_t k = 0; k < pb->n_mapping; k++) {
        const char *f = str(pb, pb->mapping[k]->filename), *slash = strrchr(f, '/');
        const char *base = slash ? slash + 1 : f;
        size_t b = strlen(base);
        if (!b)
            continue;
        snprintf(at, b + 3, "[%s]", base);
        m->map_name[k] = at;
        at += b + 3;
    }
    return 0;
}

/* Names of every location: its lines, innermost first; without lines
 * (not symbolized), or for a line without a function or whose function
 * has no name, its mapping's "[FILE]", else "<unknown>", as pprof names
 * them (its NodeInfo of no
 * function, the address dropped at any granularity but -addresses).  Not
 * the address: a shared library's addresses change from run to run
 * (ASLR), so a stack through one (glibc's __libc_start_call_main, which
 * has no dynamic symbol, is in every program's) would never match the
 * same stack of another run, nor would code without a file (JIT'd code,
 * an anonymous mapping) of two runs; and a row per address was a row
 * pprof does not have. */
static int build_names(reader *r, struct profile_mem *m)
{
    const pb_profile *pb = m->pb;
    if (build_map_names(r, m) || build_demangled(r, m))
        return -1;
    size_t n = pb->n_location, total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = pb->location[i]->n_line;
        total += k ? k : 1;
    }
    m->loc_first = malloc((n + 1) * sizeof *m->loc_first);
    m->loc_count = malloc((n + 1) * sizeof *m->loc_count);
    m->names = malloc((total + 1) * sizeof *m->names);
    m->nnames = total;
    if (!m->loc_first || !m->loc_count || !m->names)
        return fail(r, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const pb_location *l = pb->location[i];
        m->loc_first[i] = at;
        m->loc_count[i] = l->n_line ? l->n_line : 1;
        long map = l->mapping_id ? find_id(&m->maps, l->mapping_id) : -1;
        const char *where = map >= 0 && m->map_name[map] ? m->map_name[map] : "<unknown>";
        if (!l->n_line)
            m->names[at++] = where;
        for (size_t k = 0; k < l->n_line; k++) {
            const char *f = func_name(m, l->line[k]->function_id);
            m->names[at++] = *f ? f : where;
        }
    }
    return 0;
}

/* The length of func_name_at(m, f), from slen, the length of every
 * string: measured once per string, not once per use, as many functions
 * may share one long name. */
static size_t func_name_len(const struct profile_mem *m, size_t f, const size_t *slen)
{
    const Perftools__Profiles__Function *fn = m->pb->function[f];
    if (m->demangled[f])
        return strlen(m->demangled[f]); /* made for this function alone */
    return slen[fn->name] ? slen[fn->name] : slen[fn->system_name];
}

/* With PROFILE_READ_LINES: every name of a line whose function has a file
 * or whose line is not 0 becomes "func file:line" (linenames.h).  Lengths
 * are taken once per string (func_name_len). */
static int build_line_names(reader *r, struct profile_mem *m, profile *p)
{
    const pb_profile *pb = m->pb;
    size_t nf = pb->n_function, nask = 0;
    for (size_t i = 0; i < pb->n_location; i++)
        nask += pb->location[i]->n_line;
    size_t *slen = malloc((pb->n_string_table + 1) * sizeof *slen);
    const char **func = malloc((2 * nf + 1) * sizeof *func), **file = func ? func + nf : NULL;
    size_t *flen = malloc((2 * nf + 1) * sizeof *flen), *file_len = flen ? flen + nf : NULL;
    linenames_ask *ask = malloc((nask + 1) * sizeof *ask);
    int e = !slen || !func || !flen || !ask ? ENOMEM : 0;
    for (size_t i = 0; !e && i < pb->n_string_table; i++)
        slen[i] = strlen(str(pb, (int64_t)i));
    for (size_t f = 0; !e && f < nf; f++) {
        const Perftools__Profiles__Function *fn = pb->function[f];
        func[f] = func_name_at(m, f);
        flen[f] = func_name_len(m, f, slen);
        file[f] = str(pb, fn->filename);
        file_len[f] = slen[fn->filename];
    }
    /* A frame's function, as it is named without lines (profile_sample). */
    if (!e && !(m->name_funcs = malloc((m->nnames + 1) * sizeof *m->name_funcs)))
        e = ENOMEM;
    if (!e)
        memcpy(m->name_funcs, m->names, m->nnames * sizeof *m->name_funcs);
    nask = 0;
    for (size_t i = 0; !e && i < pb->n_location; i++) {
        const pb_location *l = pb->location[i];
        for (size_t k = 0; k < l->n_line; k++) {
            long f = l->line[k]->function_id ? find_id(&m->funcs, l->line[k]->function_id) : -1;
            if (f >= 0)
                ask[nask++] = (linenames_ask){m->loc_first[i] + k, (size_t)f, l->line[k]->line};
        }
    }
    if (!e)
        e = linenames_make(&m->lines, ask, nask, func, flen, file, file_len, m->names);
    /* A function without a name is no one function at every line: each
     * line is its own, as its frame is ("file:line"). */
    for (size_t i = 0; !e && i < pb->n_location; i++) {
        const pb_location *l = pb->location[i];
        for (size_t k = 0; k < l->n_line; k++)
            if (!*func_name(m, l->line[k]->function_id))
                m->name_funcs[m->loc_first[i] + k] = m->names[m->loc_first[i] + k];
    }
    free(slen);
    free(func);
    free(flen);
    free(ask);
    if (e == E2BIG)
        return fail(r, "its file:line names would take more than %u MiB; refusing it (it reads "
                       "without --lines)", LINENAMES_BYTES_MAX >> 20);
    if (e)
        return fail(r, "out of memory");
    p->lines = m->lines.made > 0;
    return 0;
}

/* With lines: a flag per names entry (in *out, NULL when none is) telling
 * whether it is another function's than its text's entry in funcs_of says
 * (the first function met for the text; none: the text itself).  Frames
 * of two functions can read alike: function "A" of file "b c.c" and
 * function "A b" of file "c.c" at line 10 both read "A b c.c:10", and so
 * does line 10 of a function without a name whose file is "A b c.c".
 * Only the entries funcs_of would answer wrongly are flagged, so that a
 * stack through the first function alone costs nothing (flagging every
 * location of such a text gave each stack through A a list, 8 bytes a
 * frame: 64 MB more to read cli_recursion's deep profile).  0, or
 * ENOMEM. */
static int find_odd(const struct profile_mem *m, unsigned char **out)
{
    *out = NULL;
    for (size_t i = 0; i < m->nnames; i++) {
        uint64_t v;
        const char *first = m->names[i];
        if (ptrmap_get(&m->funcs_of, m->names[i], &v))
            first = (const char *)(uintptr_t)v;
        if (m->name_funcs[i] == first)
            continue;
        if (!*out && !(*out = calloc(m->nnames, 1)))
            return ENOMEM;
        (*out)[i] = 1;
    }
    return 0;
}

/* For each sample holding a frame flagged odd (find_odd), its exceptions
 * (profile_func_at: those frames' indexes and functions), listed in
 * stack_funcs and put in funcs_of under the sample's frames
 * (profile_read.h).  Where the samples' frames will be: build_frames lays
 * them out next, in the same order.  Only the odd frames cost anything,
 * two words each.  0, or ENOMEM. */
static int list_stack_funcs(struct profile_mem *m, const unsigned char *odd)
{
    const pb_profile *pb = m->pb;
    size_t need = 0;
    for (size_t i = 0; i < pb->n_sample; i++) {
        size_t n = 0;
        for (size_t k = 0; k < pb->sample[i]->n_location_id; k++) {
            size_t l = (size_t)find_id(&m->locs, pb->sample[i]->location_id[k]);
            for (size_t j = 0; j < m->loc_count[l]; j++)
                n += odd[m->loc_first[l] + j];
        }
        need += n ? n + 1 : 0; /* + the count */
    }
    if (!(m->stack_funcs = malloc((need + 1) * sizeof *m->stack_funcs)))
        return ENOMEM;
    profile_func_at *to = m->stack_funcs;
    size_t at = 0; /* the sample's first frame in m->frames */
    for (size_t i = 0; i < pb->n_sample; i++) {
        const pb_sample *s = pb->sample[i];
        profile_func_at *list = to++;
        size_t frame = 0;
        for (size_t k = 0; k < s->n_location_id; k++) {
            size_t l = (size_t)find_id(&m->locs, s->location_id[k]);
            for (size_t j = 0; j < m->loc_count[l]; j++, frame++)
                if (odd[m->loc_first[l] + j])
                    *to++ = (profile_func_at){frame, m->name_funcs[m->loc_first[l] + j]};
        }
        *list = (profile_func_at){(size_t)(to - list - 1), NULL};
        if (to == list + 1)
            to = list; /* none: nothing kept */
        else if (ptrmap_put(&m->funcs_of, &m->frames[at], (uint64_t)(uintptr_t)list))
            return ENOMEM;
        at += frame;
    }
    return 0;
}

static int build_frames(reader *r, struct profile_mem *m, profile *p)
{
    const pb_profile *pb = m->pb;
    size_t total = 0;
    for (size_t i = 0; i < pb->n_sample; i++)
        for (size_t k = 0; k < pb->sample[i]->n_location_id; k++) {
            total += m->loc_count[find_id(&m->locs, pb->sample[i]->location_id[k])];
            if (total > FRAMES_MAX)
                return fail(r, "too many frames (more than %d over all samples); refusing it",
                            FRAMES_MAX);
        }
    m->frames = malloc((total + 1) * sizeof *m->frames);
    m->hashes = malloc((total + 1) * sizeof *m->hashes);
    m->samples = calloc(pb->n_sample + 1, sizeof *m->samples);
    /* Each location's names hashed once, for the frames to copy. */
    namehash *name_hash = malloc((m->nnames + 1) * sizeof *name_hash);
    /* Equal names one pointer, the funcs' too (profile_read.h), the
     * names' hashes made as they are interned. */
    namehash_set set = NAMEHASH_SET_INIT;
    int e = !m->frames || !m->hashes || !m->samples || !name_hash ||
            namehash_intern(&set, m->names, m->nnames, name_hash) ||
            (m->name_funcs && namehash_intern(&set, m->name_funcs, m->nnames, NULL));
    namehash_set_free(&set);
    /* Each distinct frame's function, where it is not the frame itself:
     * an entry per distinct name, not per frame of every sample (a
     * pointer per frame grew a 16M-frame profile's reading by 125 MB).
     * A text of two functions keeps the first's here; the stacks that
     * hold one get their own list (below). */
    for (size_t i = 0; !e && m->name_funcs && i < m->nnames; i++) {
        uint64_t v;
        if (m->name_funcs[i] != m->names[i] && !ptrmap_get(&m->funcs_of, m->names[i], &v))
            e = ptrmap_put(&m->funcs_of, m->names[i], (uint64_t)(uintptr_t)m->name_funcs[i]);
    }
    unsigned char *odd = NULL;
    if (!e && m->name_funcs)
        e = find_odd(m, &odd);
    if (!e && odd)
        e = list_stack_funcs(m, odd);
    free(odd);
    bool lined = m->name_funcs != NULL;
    free(m->name_funcs);
    m->name_funcs = NULL;
    if (e) {
        free(name_hash);
        return fail(r, "out of memory");
    }
    size_t at = 0;
    for (size_t i = 0; i < pb->n_sample; i++) {
        const pb_sample *s = pb->sample[i];
        m->samples[i].frames = &m->frames[at];
        m->samples[i].hashes = &m->hashes[at];
        m->samples[i].funcs = lined ? &m->funcs_of : NULL;
        m->samples[i].kinds = &m->kinds;
        for (size_t k = 0; k < s->n_location_id; k++) {
            size_t l = (size_t)find_id(&m->locs, s->location_id[k]);
            memcpy(&m->frames[at], &m->names[m->loc_first[l]], m->loc_count[l] * sizeof *m->names);
            memcpy(&m->hashes[at], &name_hash[m->loc_first[l]],
                   m->loc_count[l] * sizeof *name_hash);
            at += m->loc_count[l];
        }
        m->samples[i].nframes = (size_t)(&m->frames[at] - m->samples[i].frames);
        m->samples[i].values = s->value;
    }
    free(name_hash);
    p->samples = m->samples;
    p->nsamples = pb->n_sample;
    return 0;
}

/* Per sample type: the label keys that carry its error, and its partner
 * types for the Poisson model ("P_objects" and "P_space" of its prefix P). */
typedef struct type_keys {
    char sd[128], samples[128];
    long objects, space;
} type_keys;

static void type_keys_for(const profile *p, size_t t, type_keys *k)
{
    const char *name = p->type_name[t];
    const char *us = strrchr(name, '_');
    int plen = us ? (int)(us - name) : -1;
    snprintf(k->sd, sizeof k->sd, "%s_sd", name);
    k->samples[0] = '\0';
    k->objects = k->space = -1;
    if (plen < 0 || plen > 100)
        return;
    char buf[128];
    snprintf(k->samples, sizeof k->samples, "%.*s_samples", plen, name);
    snprintf(buf, sizeof buf, "%.*s_objects", plen, name);
    k->objects = profile_read_type(p, buf);
    snprintf(buf, sizeof buf, "%.*s_space", plen, name);
    k->space = profile_read_type(p, buf);
}

/* The variance of sample s's value of type t, and where it comes from. */
static void estimate(const profile *p, const pb_sample *s, size_t t, const type_keys *k,
                     double *var, unsigned char *sd)
{
    double v = (double)s->value[t];
    *var = 0;
    *sd = PROFILE_SD_EXACT;
    if (p->exact)
        return;
    double count = -1;
    for (size_t i = 0; t < LABEL_TYPES_MAX && i < s->n_label; i++) {
        const Perftools__Profiles__Label *l = s->label[i];
        if (l->str)
            continue;
        const char *key = p->mem->pb->string_table[l->key];
        if (key && !strcmp(key, k->sd)) {
            *var = (double)l->num * (double)l->num;
            *sd = PROFILE_SD_LABEL;
            return;
        }
        if (key && k->samples[0] && !strcmp(key, k->samples))
            count = (double)l->num;
    }
    *sd = PROFILE_SD_APPROX;
    if (count > 0) {
        *var = v * v / count;
        return;
    }
    if (count == 0 && v == 0) {
        *sd = PROFILE_SD_EXACT; /* nothing sampled: exactly 0, known (profile_read.h) */
        return;
    }
    bool heap = !strcmp(p->period_unit, "bytes") && p->period > 0 && k->objects >= 0 &&
                k->space >= 0 && ((long)t == k->objects || (long)t == k->space);
    if (!heap) {
        *sd = PROFILE_SD_UNKNOWN;
        return;
    }
    /* Magnitudes: a difference's base samples (`pprof -base` negates them)
     * are estimates like any other, and -X varies as X does. */
    double n = fabs((double)s->value[k->objects]), b = fabs((double)s->value[k->space]);
    if (n <= 0 || b <= 0)
        return;
    double a = b / n, q = -expm1(-a / (double)p->period); /* q = 1 - exp(-a/period) */
    if (!(q > 0))
        return;
    *var = ((long)t == k->objects ? n : b * a) * (1 - q) / q;
}

/* Seconds per unit of a numeric "age" label; 0: not a time unit.  An
 * empty unit is taken as seconds, pprof's reading of a bare number. */
static double age_unit(const char *u)
{
    static const struct {
        const char *name;
        double s;
    } units[] = {
        {"", 1},           {"s", 1},           {"sec", 1},          {"second", 1},
        {"seconds", 1},    {"ms", 1e-3},       {"millisecond", 1e-3}, {"milliseconds", 1e-3},
        {"us", 1e-6},      {"microseconds", 1e-6}, {"ns", 1e-9},    {"nanoseconds", 1e-9},
        {"minute", 60},    {"minutes", 60},    {"hour", 3600},      {"hours", 3600},
        {"hr", 3600},      {"day", 86400},     {"days", 86400},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(u, units[i].name))
            return units[i].s;
    return 0;
}

/* The first numeric label `key` of s in a time unit, in seconds (a
 * negative value as 0); -1: none. */
static double time_label(const pb_profile *pb, const pb_sample *s, const char *key)
{
    for (size_t k = 0; k < s->n_label; k++) {
        const Perftools__Profiles__Label *l = s->label[k];
        double unit;
        if (l->str || strcmp(str(pb, l->key), key) || !(unit = age_unit(str(pb, l->num_unit))))
            continue;
        return l->num > 0 ? (double)l->num * unit : 0;
    }
    return -1;
}

/* Each sample's "age" and "lifetime" labels. */
static void build_ages(struct profile_mem *m, profile *p)
{
    const pb_profile *pb = m->pb;
    p->naged = p->nlifetimes = 0;
    for (size_t i = 0; i < pb->n_sample; i++) {
        m->samples[i].age = time_label(pb, pb->sample[i], "age");
        m->samples[i].lifetime = time_label(pb, pb->sample[i], "lifetime");
        p->naged += m->samples[i].age >= 0;
        p->nlifetimes += m->samples[i].lifetime >= 0;
    }
}

/* Whether a numeric label is one of a sample's error estimates (estimate:
 * inuse_space_sd, alloc_samples), which no one groups by. */
static bool estimate_key(const char *key)
{
    size_t n = strlen(key);
    return (n > 3 && !strcmp(key + n - 3, "_sd")) || (n > 8 && !strcmp(key + n - 8, "_samples"));
}

/* The distinct string label keys of p's samples into have (", " between),
 * at most 16 of them; nums: numeric ones too (what --by tag reads), but
 * the error estimates'. */
static void label_keys(const pb_profile *pb, bool nums, char *have, size_t len)
{
    enum { MAX_KEYS = 16 };
    int64_t seen[MAX_KEYS];
    size_t nseen = 0, used = 0;
    have[0] = '\0';
    for (size_t i = 0; i < pb->n_sample && nseen < MAX_KEYS; i++)
        for (size_t k = 0; k < pb->sample[i]->n_label && nseen < MAX_KEYS; k++) {
            const Perftools__Profiles__Label *l = pb->sample[i]->label[k];
            size_t j = 0;
            while (j < nseen && seen[j] != l->key)
                j++;
            if ((!l->str && (!nums || estimate_key(str(pb, l->key)))) || j < nseen)
                continue;
            seen[nseen++] = l->key;
            int w = snprintf(have + used, len - used, "%s%s", used ? ", " : "", str(pb, l->key));
            used = w < 0 || (size_t)w >= len - used ? len - 1 : used + (size_t)w;
        }
    if (!nseen)
        snprintf(have, len, "none");
}

size_t profile_read_keep_tagged(profile *p, size_t n, const char *const *keys,
                                const char *const *globs, char *have, size_t havelen)
{
    struct profile_mem *m = p->mem;
    const pb_profile *pb = m->pb;
    size_t kept = 0, had = p->nsamples;
    p->naged = p->nlifetimes = 0;
    for (size_t i = 0; i < had; i++) {
        bool ok = true;
        const pb_sample *s = pb->sample[i];
        for (size_t t = 0; ok && t < n; t++) {
            /* Every key must match one of its patterns, with any of the
             * sample's values of it (as pprof's -tagfocus). */
            ok = false;
            for (size_t k = 0; !ok && k < s->n_label; k++) {
                if (!s->label[k]->str || strcmp(str(pb, s->label[k]->key), keys[t]))
                    continue;
                const char *v = str(pb, s->label[k]->str);
                for (size_t u = 0; !ok && u < n; u++)
                    ok = !strcmp(keys[u], keys[t]) && fnmatch(globs[u], v, 0) == 0;
            }
        }
        if (!ok)
            continue;
        p->naged += m->samples[i].age >= 0;
        p->nlifetimes += m->samples[i].lifetime >= 0;
        m->samples[kept++] = m->samples[i];
    }
    p->nsamples = kept;
    if (!kept && had && have && havelen)
        label_keys(pb, false, have, havelen);
    return kept;
}

/* "KEY=value" for the value at string index v, "(no KEY label)" for
 * v = n_string_table; made once per distinct value. */
static const char *tag_name(struct profile_mem *m, const char *key, size_t v)
{
    char **slot = &m->tag_names[v];
    if (!*slot) {
        bool none = v == m->pb->n_string_table;
        const char *val = none ? "" : str(m->pb, (int64_t)v);
        size_t len = strlen(key) + strlen(val) + sizeof "(no  label)";
        if ((*slot = malloc(len)) && none)
            snprintf(*slot, len, "(no %s label)", key);
        else if (*slot)
            snprintf(*slot, len, "%s=%s", key, val);
        if (*slot)
            m->tag_name_hashes[v] = namehash_of(*slot);
    }
    return *slot;
}

void profile_read_label_keys(const profile *p, char *have, size_t len)
{
    label_keys(p->mem->pb, true, have, len);
}

/* Whether sanitize_strings changed string i (below). */
static bool ctl_changed(const struct profile_mem *m, int64_t i)
{
    return m->ctl_all ||
           (m->ctl_strs && i >= 0 && (uint64_t)i < m->pb->n_string_table &&
            (m->ctl_strs[i / 8] >> (i % 8) & 1));
}

void profile_read_label_bytes(const profile *p, bool *key_colon, bool *value_wide,
                              bool *control)
{
    const pb_profile *pb = p->mem->pb;
    *key_colon = *value_wide = *control = false;
    for (size_t i = 0; i < pb->n_sample; i++)
        for (size_t k = 0; k < pb->sample[i]->n_label; k++) {
            const Perftools__Profiles__Label *l = pb->sample[i]->label[k];
            if (!l->str)
                continue;
            *key_colon = *key_colon || strchr(str(pb, l->key), ':');
            *control = *control || ctl_changed(p->mem, l->key) || ctl_changed(p->mem, l->str);
            for (const char *c = str(pb, l->str); *c && !*value_wide; c++)
                *value_wide = (unsigned char)*c >= 0x80;
        }
}

/* "KEY=value unit" of a numeric label, as pprof's -tags reads one: its
 * value with its num_unit (none when it has none), whole, so that two
 * values are two rows; NULL when out of memory. */
static char *tag_num_name(const pb_profile *pb, const char *key,
                          const Perftools__Profiles__Label *l)
{
    const char *unit = str(pb, l->num_unit);
    size_t len = strlen(key) + strlen(unit) + 32;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s=%" PRId64 "%s%s", key, l->num, *unit ? " " : "", unit);
    return s;
}

int profile_read_by_tag(profile *p, const char *key, bool root, size_t *labelled)
{
    *labelled = 0;
    struct profile_mem *m = p->mem;
    const pb_profile *pb = m->pb;
    size_t nptr = p->nsamples + 1; /* frames already fit in memory: no overflow */
    for (size_t i = 0; root && i < p->nsamples; i++)
        nptr += p->samples[i].nframes;
    m->tag_names = calloc(pb->n_string_table + 1, sizeof *m->tag_names);
    m->ntag_names = m->tag_names ? pb->n_string_table + 1 : 0;
    m->tag_frames = malloc(nptr * sizeof *m->tag_frames);
    m->tag_hashes = malloc(nptr * sizeof *m->tag_hashes);
    m->tag_name_hashes = malloc((pb->n_string_table + 1) * sizeof *m->tag_name_hashes);
    m->tag_nums = calloc(p->nsamples + 1, sizeof *m->tag_nums);
    m->ntag_nums = m->tag_nums ? p->nsamples : 0;
    if (!m->tag_names || !m->tag_frames || !m->tag_hashes || !m->tag_name_hashes ||
        !m->tag_nums)
        return -1;
    const char **at = m->tag_frames;
    namehash *hat = m->tag_hashes;
    for (size_t i = 0; i < p->nsamples; i++) {
        size_t v = pb->n_string_table;
        const Perftools__Profiles__Label *num = NULL; /* a numeric label KEY (str 0) */
        for (size_t k = 0; k < pb->sample[i]->n_label && !num; k++) {
            const Perftools__Profiles__Label *l = pb->sample[i]->label[k];
            if (strcmp(str(pb, l->key), key))
                continue;
            ++*labelled;
            if (!l->str) {
                num = l;
                continue;
            }
            v = (size_t)l->str;
            break;
        }
        profile_sample *smp = &m->samples[i];
        size_t n = root ? smp->nframes : 0; /* frames are leaf first: the root is last */
        if (n) {
            memcpy(at, smp->frames, n * sizeof *at);
            memcpy(hat, smp->hashes, n * sizeof *hat);
        }
        if (num) {
            if (!(m->tag_nums[i] = tag_num_name(pb, key, num)))
                return -1;
            at[n] = m->tag_nums[i];
            hat[n] = namehash_of(at[n]);
        } else {
            if (!(at[n] = tag_name(m, key, v)))
                return -1;
            hat[n] = m->tag_name_hashes[v];
        }
        smp->frames = at; /* the label, in no funcs, is its own function */
        smp->hashes = hat;
        smp->nframes = n + 1;
        at += n + 1;
        hat += n + 1;
    }
    return 0;
}

static int build_estimates(reader *r, struct profile_mem *m, profile *p)
{
    size_t nt = p->ntypes, ns = p->nsamples;
    if (ns && nt > SIZE_MAX / sizeof(double) / ns)
        return fail(r, "too many values");
    m->var = malloc(ns * nt * sizeof *m->var + 1);
    m->sd = malloc(ns * nt + 1);
    type_keys *keys = malloc(nt * sizeof *keys);
    if (!m->var || !m->sd || !keys) {
        free(keys);
        return fail(r, "out of memory");
    }
    for (size_t t = 0; t < nt; t++)
        type_keys_for(p, t, &keys[t]);
    for (size_t i = 0; i < ns; i++) {
        for (size_t t = 0; t < nt; t++)
            estimate(p, m->pb->sample[i], t, &keys[t], &m->var[i * nt + t], &m->sd[i * nt + t]);
        m->samples[i].var = &m->var[i * nt];
        m->samples[i].sd = &m->sd[i * nt];
    }
    free(keys);
    return 0;
}

/* heapprof writes "sample_interval_bytes=1 (exact: every allocation)" when
 * the interval has been 1 all along.  An interval of 1 alone is not enough:
 * set in the run (heapprof_set_sample), it follows samples taken at
 * another, which are estimates. */
static bool is_exact(const profile *p)
{
    static const char key[] = "sample_interval_bytes=1 (exact: every allocation)";
    for (size_t i = 0; i < p->ncomments; i++)
        if (strstr(p->comments[i], key))
            return true;
    return false;
}

/* heapprof writes "process run=<16 hex digits> host=... pidns=..." */
static uint64_t run_id(const profile *p)
{
    static const char key[] = "process run=";
    for (size_t i = 0; i < p->ncomments; i++) {
        if (strncmp(p->comments[i], key, sizeof key - 1))
            continue;
        const char *r = p->comments[i] + sizeof key - 1;
        uint64_t v = 0;
        size_t k = 0;
        for (; k < 16 && isxdigit((unsigned char)r[k]); k++)
            v = v << 4 | (uint64_t)(isdigit((unsigned char)r[k]) ? r[k] - '0'
                                                                 : (r[k] | 0x20) - 'a' + 10);
        if (k == 16 && (r[k] == ' ' || r[k] == '\0'))
            return v;
    }
    return 0;
}

/* Control characters in a name would reach the user's terminal: replace
 * them in the string table itself, so every use agrees.  Which strings it
 * changed is kept: --tag matches the '?', where pprof's -tagfocus would
 * see the control character (profile_read_label_bytes). */
static void sanitize_strings(struct profile_mem *m)
{
    pb_profile *pb = m->pb;
    for (size_t i = 0; i < pb->n_string_table; i++)
        for (char *c = pb->string_table[i]; c && *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                *c = '?';
                if (!m->ctl_strs && !m->ctl_all &&
                    !(m->ctl_strs = calloc(pb->n_string_table / 8 + 1, 1)))
                    m->ctl_all = true;
                if (m->ctl_strs)
                    m->ctl_strs[i / 8] |= (unsigned char)(1u << (i % 8));
            }
}

static int build_header(reader *r, struct profile_mem *m, profile *p)
{
    pb_profile *pb = m->pb;
    sanitize_strings(m);
    size_t nt = pb->n_sample_type;
    m->type_name = malloc((nt + 1) * sizeof *m->type_name);
    m->type_unit = malloc((nt + 1) * sizeof *m->type_unit);
    const char **comments = malloc((pb->n_comment + 1) * sizeof *comments);
    if (!m->type_name || !m->type_unit || !comments) {
        free(comments);
        return fail(r, "out of memory");
    }
    for (size_t t = 0; t < nt; t++) {
        m->type_name[t] = str(pb, pb->sample_type[t]->type);
        m->type_unit[t] = str(pb, pb->sample_type[t]->unit);
    }
    p->ntypes = nt;
    p->type_name = m->type_name;
    p->type_unit = m->type_unit;
    p->default_type = nt - 1;
    if (pb->default_sample_type) {
        long d = profile_read_type(p, str(pb, pb->default_sample_type));
        if (d >= 0)
            p->default_type = (size_t)d;
    }
    for (size_t i = 0; i < pb->n_comment; i++)
        comments[i] = str(pb, pb->comment[i]);
    p->comments = comments;
    p->ncomments = pb->n_comment;
    p->time_nanos = pb->time_nanos;
    p->duration_nanos = pb->duration_nanos;
    p->period = pb->period;
    p->period_type = pb->period_type ? str(pb, pb->period_type->type) : "";
    p->period_unit = pb->period_type ? str(pb, pb->period_type->unit) : "";
    p->exact = is_exact(p);
    p->run = run_id(p);
    return 0;
}

/* ---- entry points --------------------------------------------------------- */

static bool looks_like_text(const uint8_t *d, size_t n)
{
    size_t k = n < 64 ? n : 64;
    for (size_t i = 0; i < k; i++)
        if (d[i] != '\n' && d[i] != '\r' && d[i] != '\t' && (d[i] < 0x20 || d[i] > 0x7e))
            return false;
    return k > 0;
}

/* The message for bytes that hold no profile at all (protobuf-c failed on
 * them, or read them as a message with neither strings nor sample types,
 * as it reads "x\n": a varint of an unknown field): what they are, as far
 * as their first bytes tell, and what the commands read instead. */
static int not_profile(reader *r, const uint8_t *d, size_t n, bool gz, bool decoded)
{
    const char *what = decoded ? "protobuf data with no profile in it (no strings, no sample types)"
                               : "data that protobuf cannot decode (corrupt, or another format)";
    if (looks_like_text(d, n)) {
        size_t i = 0;
        while (i < n && isspace(d[i]))
            i++;
        what = i < n && (d[i] == '{' || d[i] == '[') ? "JSON text" : "text";
    }
    return fail(r, "not a pprof profile: it is %s%s; %s", gz ? "gzipped " : "", what, INPUT_WANTS);
}

/* The memory protobuf-c has asked for so far, against a bound.  Frees are
 * not subtracted (free is not told the size): the count is the total ever
 * allocated, which is what a profile's structs add up to, plus the
 * scratch tables unpack frees before it returns.  Each request is charged
 * what glibc's malloc takes for it (8 bytes of header, 16-byte multiples,
 * 32 at least), as sub-messages are many and small. */
typedef struct budget {
    uint64_t used, max;
    bool over;
} budget;

static void *budget_alloc(void *data, size_t size)
{
    budget *b = data;
    uint64_t cost = size < 24 ? 32 : ((uint64_t)size + 8 + 15) & ~(uint64_t)15;
    if (size > b->max || cost > b->max - b->used) {
        b->over = true;
        return NULL; /* unpack fails, freeing what it had */
    }
    b->used += cost;
    return malloc(size);
}

/* Plain free, so the unpacked message is freed with the default allocator. */
static void budget_free(void *data, void *p)
{
    (void)data;
    free(p);
}

/* The decode bound for n decompressed bytes (profile_read.h). */
static uint64_t decode_max(const profile_limits *lim, size_t n)
{
    if (lim->decode)
        return lim->decode;
    uint64_t v = (uint64_t)n * PROFILE_DECODE_FACTOR;
    if (v < PROFILE_DECODE_FLOOR)
        v = PROFILE_DECODE_FLOOR;
    return v < PROFILE_DECODE_DEFAULT ? v : PROFILE_DECODE_DEFAULT;
}

/* gz: d was inflated from gzip data (said in the messages). */
static int decode(reader *r, const uint8_t *d, size_t n, bool gz, const profile_limits *lim,
                  struct profile_mem *m)
{
    if (n == 0)
        return fail(r, "%s (no profile in it)", gz ? "empty gzip data" : "empty file");
    if (n >= 13 && !memcmp(d, "heap profile:", 13))
        return fail(r, "a legacy text heap profile (as ?debug=1 serves); fetch it without "
                       "?debug=1, or convert it with `go tool pprof -proto FILE > FILE.pb`");
    budget b = {0, decode_max(lim, n), false};
    ProtobufCAllocator a = {budget_alloc, budget_free, &b};
    m->pb = perftools__profiles__profile__unpack(&a, n, d);
    if (!m->pb && b.over)
        return fail(r, "needs more than %" PRIu64 " %s of memory to decode; refusing it "
                       "(HEAPPROF_MAX_DECODE raises the limit)",
                    b.max >> 20 ? b.max >> 20 : b.max, b.max >> 20 ? "MiB" : "bytes");
    if (!m->pb)
        return not_profile(r, d, n, gz, false);
    const pb_profile *pb = m->pb;
    if (!pb->n_string_table && !pb->n_sample_type)
        return not_profile(r, d, n, gz, true);
    if (!pb->n_string_table || !pb->string_table[0] || pb->string_table[0][0])
        return fail(r, "not a pprof profile: its string table does not start with \"\"");
    if (!pb->n_sample_type)
        return fail(r, "not a pprof profile: it has no sample types");
    return 0;
}

profile *profile_read_mem(const uint8_t *data, size_t len, const char *name,
                          const profile_limits *lim, unsigned flags, char *err, size_t errlen)
{
    uint64_t max = lim->input;
    reader r = {name, err, errlen};
    profile *p = calloc(1, sizeof *p);
    struct profile_mem *m = calloc(1, sizeof *m);
    char *path = strdup(name);
    if (!p || !m || !path) {
        free(p);
        free(m);
        free(path);
        say(&r, "out of memory");
        return NULL;
    }
    p->mem = m;
    p->path = path;
    uint8_t *plain = NULL;
    size_t plen = len;
    int e = 0;
    char why[256];
    if (len > max)
        e = fail(&r, "larger than %" PRIu64 " bytes; refusing it", max);
    else if (input_is_gzip(data, len) &&
             input_gunzip(data, len, max, &plain, &plen, why, sizeof why))
        e = fail(&r, "%s", why);
    if (!e)
        e = decode(&r, plain ? plain : data, plen, plain != NULL, lim, m);
    free(plain); /* protobuf-c copied what it keeps */
    checker c = {&r, m->pb ? m->pb->n_string_table : 0};
    if (!e)
        e = check_strings(&c, m->pb);
    if (!e)
        e = check_ids(&r, m);
    if (!e && (flags & PROFILE_READ_LINES) && (flags & PROFILE_READ_LOCAL))
        e = fill_local(&r, m, p, lim->debug_dirs);
    if (!e)
        e = build_header(&r, m, p);
    if (!e)
        e = build_names(&r, m);
    if (!e && (flags & PROFILE_READ_LINES))
        e = build_line_names(&r, m, p);
    if (!e)
        e = build_frames(&r, m, p);
    if (!e)
        e = build_estimates(&r, m, p);
    if (!e)
        build_ages(m, p);
    if (e) {
        profile_read_free(p);
        return NULL;
    }
    return p;
}

/* The readers' variables, one row each: a bad value is named in one line
 * and the default is used, as the library does with its own (STYLE.md). */
static const struct {
    const char *name;
    size_t offset;
    uint64_t def;
    const char *def_text;
} limit_vars[] = {
    {"HEAPPROF_MAX_INPUT", offsetof(profile_limits, input), PROFILE_READ_MAX_DEFAULT, "1g"},
    {"HEAPPROF_MAX_DECODE", offsetof(profile_limits, decode), 0,
     "32 times the decompressed size, at least 64m and at most 1g"},
};

void profile_read_limits(profile_limits *lim, void (*warn)(const char *line))
{
    for (size_t i = 0; i < sizeof limit_vars / sizeof limit_vars[0]; i++) {
        const char *s = getenv(limit_vars[i].name);
        uint64_t v = limit_vars[i].def;
        int e = s ? config_parse_size(s, &v) : 0;
        if (s && !e && v == 0)
            e = EDOM;
        if (e) {
            char line[512];
            snprintf(line, sizeof line, "%s=\"%.64s\" %s; using the default, %s",
                     limit_vars[i].name, s,
                     e == ERANGE ? "is too large"
                     : e == EDOM ? "must be above 0"
                                 : "is not a size (a whole number of bytes, with an optional "
                                   "k, m or g suffix: 64k, 64KiB)",
                     limit_vars[i].def_text);
            warn(line);
            v = limit_vars[i].def;
        }
        memcpy((char *)lim + limit_vars[i].offset, &v, sizeof v);
    }
}

profile *profile_read(const char *path, const profile_limits *lim, unsigned flags, char *err,
                      size_t errlen)
{
    reader r = {path, err, errlen};
    bool std_in = !strcmp(path, "-");
    int fd = std_in ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        say(&r, "%s", e == ENOENT ? "no such file" : strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        say(&r, "is a directory, not a profile");
        return NULL;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    char why[256];
    int e = input_read_fd(fd, lim->input, &data, &len, why, sizeof why);
    if (!std_in)
        close(fd);
    if (e) {
        say(&r, "%s", why);
        return NULL;
    }
    profile *p = profile_read_mem(data, len, path, lim, flags, err, errlen);
    free(data);
    return p;
}

/* Frees what the samples and names are made of (profile_read_shed and
 * profile_read_free), leaving m's pointers NULL. */
static void free_model(struct profile_mem *m)
{
    if (m->demangled)
        for (size_t f = 0; m->pb && f < m->pb->n_function; f++)
            free(m->demangled[f]);
    free(m->demangled);
    m->demangled = NULL;
    if (m->pb)
        perftools__profiles__profile__free_unpacked(m->pb, NULL);
    m->pb = NULL;
    free(m->maps.v);
    free(m->locs.v);
    free(m->funcs.v);
    free(m->loc_first);
    free(m->loc_count);
    free(m->names);
    free(m->name_funcs);
    m->name_funcs = NULL;
    ptrmap_free(&m->funcs_of);
    ptrmap_free(&m->kinds); /* its keys are the names freed here */
    free(m->stack_funcs);
    m->stack_funcs = NULL;
    free(m->map_name);
    free(m->map_names);
    linenames_free(&m->lines);
    free(m->frames);
    for (size_t i = 0; m->tag_names && i < m->ntag_names; i++)
        free(m->tag_names[i]);
    free(m->tag_names);
    for (size_t i = 0; m->tag_nums && i < m->ntag_nums; i++)
        free(m->tag_nums[i]);
    free(m->tag_nums);
    m->tag_nums = NULL;
    free(m->tag_frames);
    free(m->tag_hashes);
    free(m->tag_name_hashes);
    free(m->ctl_strs);
    m->ctl_strs = NULL;
    m->tag_name_hashes = NULL;
    m->tag_names = NULL;
    m->tag_frames = NULL;
    m->tag_hashes = NULL;
    free(m->hashes);
    free(m->samples);
    free(m->var);
    free(m->sd);
    m->maps.v = m->locs.v = m->funcs.v = NULL;
    m->loc_first = m->loc_count = NULL;
    m->names = m->map_name = m->frames = NULL;
    m->hashes = NULL;
    m->map_names = NULL;
    m->samples = NULL;
    m->var = NULL;
    m->sd = NULL;
}

/* Copies s to *at, returning the copy. */
static const char *keep(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = memcpy(*at, s, n);
    *at += n;
    return c;
}

int profile_read_shed(profile *p)
{
    struct profile_mem *m = p->mem;
    size_t bytes = strlen(p->period_type) + strlen(p->period_unit) + 2;
    for (size_t t = 0; t < p->ntypes; t++)
        bytes += strlen(p->type_name[t]) + strlen(p->type_unit[t]) + 2;
    for (size_t i = 0; i < p->ncomments; i++)
        bytes += strlen(p->comments[i]) + 1;
    char *h = malloc(bytes), *at = h;
    if (!h)
        return -1;
    for (size_t t = 0; t < p->ntypes; t++) {
        m->type_name[t] = keep(&at, p->type_name[t]);
        m->type_unit[t] = keep(&at, p->type_unit[t]);
    }
    const char **comments = (const char **)p->comments;
    for (size_t i = 0; i < p->ncomments; i++)
        comments[i] = keep(&at, p->comments[i]);
    p->period_type = keep(&at, p->period_type);
    p->period_unit = keep(&at, p->period_unit);
    free(m->header);
    m->header = h;
    free_model(m);
    p->samples = NULL;
    p->nsamples = 0;
    return 0;
}

void profile_read_free(profile *p)
{
    if (!p)
        return;
    struct profile_mem *m = p->mem;
    if (m) {
        free_model(m);
        free(m->header);
        free(m->type_name);
        free(m->type_unit);
        free(m);
    }
    free((void *)p->comments);
    free((void *)p->path);
    free(p);
}

const char *profile_read_short(const profile *p, const char *frame)
{
    return linenames_short(&p->mem->lines, frame);
}

long profile_read_type(const profile *p, const char *name)
{
    for (size_t t = 0; t < p->ntypes; t++)
        if (!strcmp(p->type_name[t], name))
            return (long)t;
    return -1;
}

void profile_read_type_list(const profile *p, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t t = 0; t < p->ntypes && at < len; t++) {
        int n = snprintf(buf + at, len - at, "%s%s", t ? ", " : "", p->type_name[t]);
        if (n < 0)
            break;
        at += (size_t)n;
    }
}
