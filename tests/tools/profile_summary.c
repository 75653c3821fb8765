/*
 * profile_summary.c - decode a pprof profile (.pb.gz or plain) and print a
 * stable, grep-friendly summary.  Used by the integration tests.
 *
 * Usage: profile_summary [--cum] [--samples] FILE
 *
 * Output, one record per line, fields separated by single spaces:
 *
 *   sample_type <i> <type> <unit>          one per sample type, in order
 *   period_type <type> <unit>
 *   period <n>
 *   default_sample_type <type>
 *   time_nanos <n>
 *   duration_nanos <n>
 *   samples <n>
 *   locations <n>
 *   functions <n>
 *   mappings <n>
 *   strings <n>
 *   locations_without_line <n>
 *   max_depth <n>
 *   comment <text>                         one per comment
 *   total <v0> <v1> ...                    sum over all samples
 *   leaf <name> <v0> <v1> ...              per leaf function, sorted by name
 *   cum <name> <v0> <v1> ...               (--cum) per function anywhere in
 *                                          the stack, counted once per sample
 *   sample <v0> <v1> ... | <leaf> ... <root>   (--samples) one per sample
 *
 * The leaf of a sample is the function of the first Line of its first
 * Location ("?" when that Location has no Line, "(empty)" when the sample has
 * no Location).  Whitespace inside names is replaced by '_' so that the name
 * is always exactly one field.
 *
 * Before printing anything the whole profile is checked: every id a sample,
 * location or line refers to exists, ids are nonzero and unique, every string
 * index is in range, string_table[0] is "", and every sample carries one value
 * per sample type.  Any violation is reported on stderr and the exit status
 * is 2; a file that cannot be read or is not a profile gives exit status 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Function pb_function;
typedef Perftools__Profiles__Sample pb_sample;

static const char *prog_path = "";

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "profile_summary: %s: ", prog_path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

static int integrity_errors;

static void bad(const char *fmt, ...)
{
    va_list ap;
    if (integrity_errors < 20) {
        fprintf(stderr, "profile_summary: %s: broken profile: ", prog_path);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    integrity_errors++;
}

/* ---- reading ------------------------------------------------------------- */

static uint8_t *read_all(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        die(1, "cannot open: %s", errno ? strerror(errno) : "gzopen failed");
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        die(1, "out of memory");
    for (;;) {
        if (cap - n < (1 << 15)) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                die(1, "out of memory");
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            die(1, "read error: %s", zerr == Z_ERRNO ? strerror(errno) : msg);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (zerr != Z_OK)
        die(1, "corrupt or truncated gzip data: %s", msg);
    int rc = gzclose_r(f);
    if (rc == Z_BUF_ERROR)
        die(1, "truncated gzip data (the stream ends in the middle)");
    if (rc != Z_OK)
        die(1, "error closing (zlib error %d)", rc);
    *len = n;
    return buf;
}

/* ---- id lookup ----------------------------------------------------------- */

typedef struct id_ix {
    uint64_t id;
    size_t ix;
} id_ix;

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = ((const id_ix *)a)->id, y = ((const id_ix *)b)->id;
    return x < y ? -1 : x > y;
}

static id_ix *index_ids(const char *what, size_t n, uint64_t (*get)(const pb_profile *, size_t),
                        const pb_profile *p)
{
    id_ix *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        die(1, "out of memory");
    for (size_t i = 0; i < n; i++) {
        v[i].id = get(p, i);
        v[i].ix = i;
        if (v[i].id == 0)
            bad("%s #%zu has id 0 (ids must be nonzero)", what, i);
    }
    qsort(v, n, sizeof *v, cmp_id);
    for (size_t i = 1; i < n; i++)
        if (v[i].id == v[i - 1].id)
            bad("%s id %llu is used twice", what, (unsigned long long)v[i].id);
    return v;
}

static long find_id(const id_ix *v, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].id == id ? (long)v[lo].ix : -1;
}

static uint64_t map_id(const pb_profile *p, size_t i) { return p->mapping[i]->id; }
static uint64_t loc_id(const pb_profile *p, size_t i) { return p->location[i]->id; }
static uint64_t fun_id(const pb_profile *p, size_t i) { return p->function[i]->id; }

/* ---- validation ---------------------------------------------------------- */

static const pb_profile *P;

static void check_str(int64_t ix, const char *what, size_t which)
{
    if (ix < 0 || (uint64_t)ix >= P->n_string_table)
        bad("%s #%zu: string index %lld out of range (table has %zu)", what, which, (long long)ix,
            P->n_string_table);
}

static const char *str(int64_t ix)
{
    if (ix < 0 || (uint64_t)ix >= P->n_string_table)
        return "<bad-string>";
    return P->string_table[ix];
}

static id_ix *maps_ix, *locs_ix, *funs_ix;

static void validate(void)
{
    const pb_profile *p = P;
    if (p->n_string_table == 0)
        die(1, "not a pprof profile: empty string table");
    if (p->string_table[0][0] != '\0')
        die(1, "not a pprof profile: string_table[0] is \"%s\", not \"\"", p->string_table[0]);
    if (p->n_sample_type == 0)
        die(1, "not a pprof profile: no sample types");

    for (size_t i = 0; i < p->n_sample_type; i++) {
        check_str(p->sample_type[i]->type, "sample_type.type", i);
        check_str(p->sample_type[i]->unit, "sample_type.unit", i);
    }
    if (p->period_type) {
        check_str(p->period_type->type, "period_type.type", 0);
        check_str(p->period_type->unit, "period_type.unit", 0);
    }
    check_str(p->default_sample_type, "default_sample_type", 0);
    check_str(p->drop_frames, "drop_frames", 0);
    check_str(p->keep_frames, "keep_frames", 0);
    check_str(p->doc_url, "doc_url", 0);
    for (size_t i = 0; i < p->n_comment; i++)
        check_str(p->comment[i], "comment", i);

    maps_ix = index_ids("mapping", p->n_mapping, map_id, p);
    locs_ix = index_ids("location", p->n_location, loc_id, p);
    funs_ix = index_ids("function", p->n_function, fun_id, p);

    for (size_t i = 0; i < p->n_mapping; i++) {
        check_str(p->mapping[i]->filename, "mapping.filename", i);
        check_str(p->mapping[i]->build_id, "mapping.build_id", i);
        if (p->mapping[i]->memory_limit < p->mapping[i]->memory_start)
            bad("mapping id %llu: memory_limit below memory_start",
                (unsigned long long)p->mapping[i]->id);
    }
    for (size_t i = 0; i < p->n_function; i++) {
        check_str(p->function[i]->name, "function.name", i);
        check_str(p->function[i]->system_name, "function.system_name", i);
        check_str(p->function[i]->filename, "function.filename", i);
    }
    for (size_t i = 0; i < p->n_location; i++) {
        const pb_location *l = p->location[i];
        if (l->mapping_id && find_id(maps_ix, p->n_mapping, l->mapping_id) < 0)
            bad("location id %llu refers to mapping id %llu, which does not exist",
                (unsigned long long)l->id, (unsigned long long)l->mapping_id);
        for (size_t k = 0; k < l->n_line; k++) {
            uint64_t f = l->line[k]->function_id;
            if (!f || find_id(funs_ix, p->n_function, f) < 0)
                bad("location id %llu line %zu refers to function id %llu, which does not exist",
                    (unsigned long long)l->id, k, (unsigned long long)f);
        }
    }
    for (size_t i = 0; i < p->n_sample; i++) {
        const pb_sample *s = p->sample[i];
        if (s->n_value != p->n_sample_type)
            bad("sample #%zu has %zu values for %zu sample types", i, s->n_value,
                p->n_sample_type);
        for (size_t k = 0; k < s->n_location_id; k++) {
            uint64_t id = s->location_id[k];
            if (!id || find_id(locs_ix, p->n_location, id) < 0)
                bad("sample #%zu frame %zu refers to location id %llu, which does not exist", i, k,
                    (unsigned long long)id);
        }
        for (size_t k = 0; k < s->n_label; k++) {
            check_str(s->label[k]->key, "label.key", i);
            check_str(s->label[k]->str, "label.str", i);
            check_str(s->label[k]->num_unit, "label.num_unit", i);
        }
    }
    if (integrity_errors)
        die(2, "%d referential integrity error(s)", integrity_errors);
}

/* ---- names --------------------------------------------------------------- */

/* Name of the function of a location's first line, or NULL without line. */
static const char *loc_func_name(uint64_t lid)
{
    long li = find_id(locs_ix, P->n_location, lid);
    const pb_location *l = P->location[li];
    if (l->n_line == 0)
        return NULL;
    long fi = find_id(funs_ix, P->n_function, l->line[0]->function_id);
    const char *n = str(P->function[fi]->name);
    return *n ? n : "?";
}

static void print_name(const char *s)
{
    for (; *s; s++)
        putchar(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ? '_' : *s);
}

/* ---- aggregation --------------------------------------------------------- */

typedef struct row {
    const char *name;
    size_t sample;
} row;

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const row *)a)->name, ((const row *)b)->name);
}

/* Sorts rows by name and prints one line per name with summed values. */
static void print_rows(const char *tag, row *rows, size_t n)
{
    qsort(rows, n, sizeof *rows, cmp_row);
    size_t nv = P->n_sample_type;
    int64_t *sum = calloc(nv, sizeof *sum);
    for (size_t i = 0; i < n;) {
        memset(sum, 0, nv * sizeof *sum);
        size_t j = i;
        for (; j < n && strcmp(rows[j].name, rows[i].name) == 0; j++)
            for (size_t v = 0; v < nv; v++)
                sum[v] += P->sample[rows[j].sample]->value[v];
        printf("%s ", tag);
        print_name(rows[i].name);
        for (size_t v = 0; v < nv; v++)
            printf(" %lld", (long long)sum[v]);
        putchar('\n');
        i = j;
    }
    free(sum);
}

int main(int argc, char **argv)
{
    int cum = 0, samples = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cum"))
            cum = 1;
        else if (!strcmp(argv[i], "--samples"))
            samples = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "usage: profile_summary [--cum] [--samples] FILE\n");
            return 64;
        } else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: profile_summary [--cum] [--samples] FILE\n");
        return 64;
    }
    prog_path = path;

    size_t len;
    uint8_t *buf = read_all(path, &len);
    if (len == 0)
        die(1, "not a pprof profile: the file is empty");
    pb_profile *p = perftools__profiles__profile__unpack(NULL, len, buf);
    if (!p)
        die(1, "not a pprof profile: protobuf decoding of %zu bytes failed", len);
    P = p;
    validate();

    /* header */
    for (size_t i = 0; i < p->n_sample_type; i++)
        printf("sample_type %zu %s %s\n", i, str(p->sample_type[i]->type),
               str(p->sample_type[i]->unit));
    if (p->period_type)
        printf("period_type %s %s\n", str(p->period_type->type), str(p->period_type->unit));
    else
        printf("period_type - -\n");
    printf("period %lld\n", (long long)p->period);
    printf("default_sample_type %s\n", p->default_sample_type ? str(p->default_sample_type) : "-");
    printf("time_nanos %lld\n", (long long)p->time_nanos);
    printf("duration_nanos %lld\n", (long long)p->duration_nanos);
    printf("samples %zu\n", p->n_sample);
    printf("locations %zu\n", p->n_location);
    printf("functions %zu\n", p->n_function);
    printf("mappings %zu\n", p->n_mapping);
    printf("strings %zu\n", p->n_string_table);
    size_t noline = 0, maxdepth = 0;
    for (size_t i = 0; i < p->n_location; i++)
        noline += p->location[i]->n_line == 0;
    for (size_t i = 0; i < p->n_sample; i++)
        if (p->sample[i]->n_location_id > maxdepth)
            maxdepth = p->sample[i]->n_location_id;
    printf("locations_without_line %zu\n", noline);
    printf("max_depth %zu\n", maxdepth);
    for (size_t i = 0; i < p->n_comment; i++) {
        printf("comment ");
        const char *c = str(p->comment[i]);
        for (; *c; c++)
            putchar(*c == '\n' ? ' ' : *c);
        putchar('\n');
    }
    size_t nv = p->n_sample_type;
    printf("total");
    for (size_t v = 0; v < nv; v++) {
        int64_t t = 0;
        for (size_t i = 0; i < p->n_sample; i++)
            t += p->sample[i]->value[v];
        printf(" %lld", (long long)t);
    }
    putchar('\n');

    /* leaf */
    row *rows = calloc(p->n_sample ? p->n_sample : 1, sizeof *rows);
    for (size_t i = 0; i < p->n_sample; i++) {
        const pb_sample *s = p->sample[i];
        const char *n = "(empty)";
        if (s->n_location_id) {
            n = loc_func_name(s->location_id[0]);
            if (!n)
                n = "?";
        }
        rows[i] = (row){n, i};
    }
    print_rows("leaf", rows, p->n_sample);
    free(rows);

    if (cum) {
        size_t total = 0;
        for (size_t i = 0; i < p->n_sample; i++)
            total += p->sample[i]->n_location_id;
        row *c = calloc(total ? total : 1, sizeof *c);
        size_t n = 0;
        for (size_t i = 0; i < p->n_sample; i++) {
            const pb_sample *s = p->sample[i];
            size_t first = n;
            for (size_t k = 0; k < s->n_location_id; k++) {
                const char *name = loc_func_name(s->location_id[k]);
                if (!name)
                    name = "?";
                int dup = 0; /* once per sample, even under recursion */
                for (size_t j = first; j < n && !dup; j++)
                    dup = strcmp(c[j].name, name) == 0;
                if (!dup)
                    c[n++] = (row){name, i};
            }
        }
        print_rows("cum", c, n);
        free(c);
    }

    if (samples) {
        for (size_t i = 0; i < p->n_sample; i++) {
            const pb_sample *s = p->sample[i];
            printf("sample");
            for (size_t v = 0; v < nv; v++)
                printf(" %lld", (long long)s->value[v]);
            printf(" |");
            for (size_t k = 0; k < s->n_location_id; k++) {
                const char *name = loc_func_name(s->location_id[k]);
                putchar(' ');
                print_name(name ? name : "?");
            }
            putchar('\n');
        }
    }

    free(maps_ix);
    free(locs_ix);
    free(funs_ix);
    perftools__profiles__profile__free_unpacked(p, NULL);
    free(buf);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "profile_summary: write error on stdout\n");
        return 1;
    }
    return 0;
}
