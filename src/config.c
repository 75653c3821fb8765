/*
 * config.c - the table of HEAPPROF_* variables (see config.h).
 *
 * Each row names a variable, how to parse it, where it lands in hp_config,
 * its default as a string (parsed by the same code, so default and input
 * cannot disagree), inclusive limits, and one line of help.  Nothing here
 * allocates: it may run inside the first malloc of the process.
 */
#include "config.h"
#include "outname.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* T_PREFIX: a path that may hold outname.h's codes (HEAPPROF_OUT).
 * T_DIRS: absolute directories, ':' between, or off (the field ""). */
typedef enum { T_SIZE, T_UINT, T_BOOL, T_SIGNAL, T_SECONDS, T_PATH, T_PREFIX, T_CHOICE,
               T_DIRS } row_type;

typedef struct row {
    const char *name;
    row_type type;
    size_t offset;
    const char *def;
    double min, max;
    const char *help;
    const char *choices; /* T_CHOICE: its words, '|' between; the field gets the index */
} row;

#define ROW(name, type, field, def, min, max, help) \
    {name, type, offsetof(hp_config, field), def, min, max, help, NULL}
#define ROW_CHOICE(name, field, def, choices, help) \
    {name, T_CHOICE, offsetof(hp_config, field), def, 0, 0, help, choices}

static const row rows[] = {
    ROW("HEAPPROF_SAMPLE", T_SIZE, sample, "524288", 1, 1ULL << 40,
        "mean bytes between samples (k/m/g suffixes); 1 records every allocation exactly"),
    ROW("HEAPPROF_DEPTH", T_UINT, depth, "64", 1, 256, "most frames kept per stack"),
    ROW("HEAPPROF_SEED", T_UINT, seed, "0", 0, 1ULL << 62,
        "0: sample points differ from run to run; N: the same every run of a deterministic "
        "program (the k-th thread to allocate draws from N and k)"),
    ROW("HEAPPROF_FILTER_GRANULE", T_SIZE, filter_granule, "0", 0, 65536,
        "bytes of address per byte of the free filter: 0 = the interval / 128; else rounded down "
        "to a power of two (values below 512 count as 512)"),
    ROW("HEAPPROF_FAST_UNWIND", T_BOOL, fast_unwind, "1", 0, 1,
        "1: stacks walked by heapprof's own unwinder (.eh_frame rules cached per return "
        "address), libunwind for those it cannot walk; 0: libunwind only"),
    ROW("HEAPPROF_OUT", T_PREFIX, out, "heapprof", 0, 0,
        "profile file prefix: files are PREFIX.<pid>.<seq>.pb.gz (DIR/, or a directory, is DIR/heapprof); a "
        "relative one is relative to the directory the program started in; %h = host name, "
        "%n = pid namespace, %p = pid, %e = executable's name, %% = %"),
    ROW("HEAPPROF_SIGNAL", T_SIGNAL, signal, "USR2", 0, 64,
        "signal that writes a profile (name or number; 0 or off disables)"),
    ROW("HEAPPROF_PERIOD", T_SECONDS, period, "0", 0.001, 1e7,
        "seconds between periodic profiles (decimals allowed, at least 0.001; 0 = off)"),
    ROW("HEAPPROF_ON_EXIT", T_BOOL, on_exit, "1", 0, 1, "write a profile at exit (1/0)"),
    /* The flush is what a process waits for at exit for its exit profile:
     * on this machine's disk 1.1 ms idle, 7.5 ms while other work writes,
     * per process of a build profiled as a whole (finding 37).  Off, a
     * crash of the process still leaves no torn file (the rename follows
     * the last write); one of the machine can leave an empty file under a
     * final name. */
    ROW("HEAPPROF_SYNC", T_BOOL, sync, "1", 0, 1,
        "1: each profile reaches the disk (fdatasync) before it takes its final name; 0: no "
        "flush, each profile ends sooner, and only a crash of the machine can leave a final "
        "name on an incomplete file"),
    ROW("HEAPPROF_MAX_LIVE", T_UINT, max_live, "4194304", 1024, 1ULL << 32,
        "most live sampled objects tracked; beyond it samples are dropped and counted"),
    ROW("HEAPPROF_MAX_STACKS", T_UINT, max_stacks, "262144", 64, 1ULL << 24,
        "most distinct stacks kept; from 7/8 of it on, new stacks are merged under "
        "[other stacks] (see HEAPPROF_STACK_MEMORY)"),
    /* 6 MiB: the profiler's whole memory is meant to stay under 16 MiB plus
     * 10 % of the live heap; sites, whose stacks never repeat, peaks at
     * +10.5 MiB of RSS with it at 64 and 4 KiB (finding 25).  4 MiB merged
     * in tests holding 2^13 stacks of ~25 frames (about 4 MiB with their
     * second CPU's counters); 6 MiB holds ~14 000 stacks of 20 frames
     * before the live heap's 1/16 adds more. */
    ROW("HEAPPROF_STACK_MEMORY", T_SIZE, stack_memory, "6m", 65536, 1ULL << 40,
        "bytes the stack table may fill with whole stacks, plus 1/16 of the estimated live heap "
        "(k/m/g); beyond it, samples of new stacks are merged: their 4 innermost frames under "
        "an [other stacks] root, counted"),
    ROW("HEAPPROF_HIGHWATER", T_SIZE, highwater, "0", 0, 1ULL << 50,
        "write a profile each time the estimated live heap exceeds the highest level already "
        "written by this many bytes (k/m/g; 0 = off)"),
    ROW("HEAPPROF_HIGHWATER_MIN_S", T_SECONDS, highwater_min_s, "1", 0, 1e7,
        "at most one high-water profile per this many seconds"),
    ROW_CHOICE("HEAPPROF_THREAD_LABEL", thread_label, "off", "off|name|pool",
               "off: no thread label; name: each sample carries thread=<its thread's name>; pool: "
               "the same with each run of digits as * (worker-17 is worker-*), one value per pool"),
    ROW("HEAPPROF_KEEP", T_UINT, keep, "0", 0, 1ULL << 32,
        "keep only the newest N profiles of the sequence, plus the first (0 = keep all)"),
    ROW("HEAPPROF_CHILDREN", T_BOOL, children, "1", 0, 1,
        "1: child processes inherit the preload and are profiled; 0: removed from their environment"),
    ROW("HEAPPROF_HTTP", T_PATH, http, "off", 0, 0,
        "serve live profiles and metrics at HOST:PORT, [IPv6]:PORT, :PORT or PORT (127.0.0.1); "
        "port 0 picks a free one (:0); off or 0 = no server"),
    ROW("HEAPPROF_CGROUP", T_PATH, cgroup, "auto", 0, 0,
        "cgroup v2 directory whose memory.* files are read; auto = the process's own"),
    ROW("HEAPPROF_LIMIT_DUMP", T_UINT, limit_dump, "0", 0, 100,
        "write a profile when memory use crosses this percent of the memory limit (0 = off)"),
    ROW("HEAPPROF_LIMIT_BYTES", T_SIZE, limit_bytes, "0", 0, 1ULL << 50,
        "memory limit for HEAPPROF_LIMIT_DUMP when the cgroup sets none: compared with RSS "
        "(k/m/g; 0 = none)"),
    ROW("HEAPPROF_DEBUG_DIRS", T_DIRS, debug_dirs, "/usr/lib/debug", 0, 0,
        "where the separate debug files of stripped programs and libraries are found "
        "(DIR/.build-id/xx/rest.debug, or by .gnu_debuglink also beside the file and in its "
        ".debug/ and DIR/its-directory/): absolute directories, ':' between; off = none"),
};

enum { NROWS = sizeof rows / sizeof rows[0] };

size_t config_count(void) { return NROWS; }
const char *config_name(size_t i) { return i < NROWS ? rows[i].name : NULL; }
const char *config_help(size_t i) { return i < NROWS ? rows[i].help : NULL; }
const char *config_default(size_t i) { return i < NROWS ? rows[i].def : NULL; }

/* Digits only (no sign, no spaces): strtoull alone would accept " -5". */
static int parse_u64(const char *s, const char **end, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return EINVAL;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return ERANGE;
        v = v * 10 + d;
    }
    *end = s;
    *out = v;
    return 0;
}

/* Digits, then at most one unit: k, m or g (powers of 1024), alone or
 * followed by B or iB (64k, 64kB, 64KiB are one size: written either way
 * in the wild, and kB read as 1000 would make 64kB a size no allocator
 * rounds to), or B alone for bytes; any case.  Nothing else: "64ki" was
 * taken, an i that no spelling of a unit ends with, and "64B" refused. */
int config_parse_size(const char *s, uint64_t *out)
{
    const char *end;
    uint64_t v;
    int err = parse_u64(s, &end, &v);
    if (err)
        return err;
    unsigned shift = 0;
    switch (*end) {
    case '\0': case 'b': case 'B': break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    default: return EINVAL;
    }
    if (shift) {
        end++;
        if (*end == 'i' || *end == 'I') {
            end++;
            if (*end != 'b' && *end != 'B')
                return EINVAL;
        }
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return ERANGE;
    *out = v << shift;
    return 0;
}

static const struct { const char *name; int num; } signames[] = {
    {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
};

/* Signals a dump trigger may not take: uncatchable; synchronous faults
 * whose handler must not return; and those whose default action the
 * program's behaviour rests on, which a handler would replace: SIGPIPE's
 * end of a writer to a closed pipe (`yes | head` would print "Broken pipe"
 * and go on), the resource limits' (XCPU, XFSZ) and seccomp's (SYS) ends,
 * and the signals that by default are ignored or stop or continue the
 * process (job control; a handler makes their arrival interrupt calls). */
static int signal_forbidden(int64_t n)
{
    switch (n) {
    case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL:
    case SIGABRT: case SIGTRAP:
    case SIGPIPE: case SIGXCPU: case SIGXFSZ: case SIGSYS:
    case SIGCHLD: case SIGCONT: case SIGTSTP: case SIGTTIN: case SIGTTOU: case SIGURG:
    case SIGWINCH:
        return 1;
    }
    return 0;
}

int config_parse_signal(const char *s, int64_t *out)
{
    if (!strcasecmp(s, "off") || !strcmp(s, "0")) {
        *out = 0;
        return 0;
    }
    const char *end;
    uint64_t v;
    if (parse_u64(s, &end, &v) == 0 && *end == '\0') {
        /* 32 up to SIGRTMIN are glibc's own (SIGCANCEL, SIGSETXID):
         * sigaction refuses them, and the default would not be used. */
        if (v < 1 || v > 64 || signal_forbidden((int64_t)v) ||
            (v >= 32 && v < (uint64_t)SIGRTMIN))
            return ERANGE;
        *out = (int64_t)v;
        return 0;
    }
    const char *name = strncasecmp(s, "SIG", 3) ? s : s + 3;
    for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
        if (!strcasecmp(name, signames[i].name)) {
            if (signal_forbidden(signames[i].num))
                return ERANGE;
            *out = signames[i].num;
            return 0;
        }
    /* v is compared before it is added: a huge v would wrap the sum negative
     * (the fuzzer's RTMIN+0999099999940999999990). */
    if (!strncasecmp(name, "RTMIN+", 6) && parse_u64(name + 6, &end, &v) == 0 && !*end &&
        v <= (uint64_t)(SIGRTMAX - SIGRTMIN)) {
        *out = SIGRTMIN + (int64_t)v;
        return 0;
    }
    return EINVAL;
}

static int parse_seconds(const char *s, double *out)
{
    /* Bounded length: glibc's strtod may allocate for very long inputs, and
     * this can run inside the process's first malloc.  Decimal only:
     * strtod also reads "0x10" as 16 s, which no one means by a period. */
    if (!((*s >= '0' && *s <= '9') || *s == '.') || strlen(s) > 32 || strpbrk(s, "xX"))
        return EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v != v)
        return EINVAL;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return EINVAL;
}

/* Parse one value into its field; 0 or EINVAL/ERANGE.  The field is only
 * written on success. */
static int parse_row(const row *r, const char *s, hp_config *cfg)
{
    char *field = (char *)cfg + r->offset;
    uint64_t u;
    int64_t sig;
    double d;
    bool b;
    int err;
    switch (r->type) {
    case T_SIZE:
    case T_UINT:
        if (r->type == T_SIZE)
            err = config_parse_size(s, &u);
        else {
            const char *end;
            err = parse_u64(s, &end, &u);
            if (!err && *end)
                err = EINVAL;
        }
        if (!err && ((double)u < r->min || (double)u > r->max))
            err = ERANGE;
        if (!err)
            memcpy(field, &u, sizeof u);
        return err;
    case T_SIGNAL:
        if (!(err = config_parse_signal(s, &sig)))
            memcpy(field, &sig, sizeof sig);
        return err;
    case T_SECONDS:
        err = parse_seconds(s, &d);
        /* 0 is "off" wherever it is allowed at all (min 0): a period's
         * minimum keeps the writer from a loop of profiles (and from a
         * step too small to move the clock). */
        if (!err && d != 0 && (d < r->min || d > r->max))
            err = ERANGE;
        if (!err)
            memcpy(field, &d, sizeof d);
        return err;
    case T_BOOL:
        if (!(err = parse_bool(s, &b)))
            memcpy(field, &b, sizeof b);
        return err;
    case T_CHOICE: {
        size_t len = strlen(s);
        int i = 0;
        for (const char *w = r->choices; *w; i++) {
            size_t n = strcspn(w, "|");
            if (n == len && !strncasecmp(w, s, n)) {
                memcpy(field, &i, sizeof i);
                return 0;
            }
            w += n + (w[n] == '|');
        }
        return EINVAL;
    }
    case T_DIRS:
        if (!strcasecmp(s, "off")) {
            *field = '\0';
            return 0;
        }
        if (strlen(s) >= CONFIG_PATH_MAX)
            return ERANGE;
        /* Each one absolute: a relative one would name the program's
         * working directory of the moment. */
        for (const char *dir = s; ; dir += strcspn(dir, ":") + 1) {
            if (*dir != '/')
                return EINVAL;
            if (!strchr(dir, ':'))
                break;
        }
        strcpy(field, s);
        return 0;
    case T_PATH:
    case T_PREFIX: {
        if (!*s)
            return EINVAL;
        /* Room for .<pid>.<seq>.pb.gz.tmp; a prefix's codes at their
         * longest, so that no process's expansion can be too long. */
        long n = r->type == T_PREFIX ? outname_max_len(s, NULL) : (long)strlen(s);
        if (n < 0)
            return EINVAL;
        /* A prefix that ends in '/' names a directory: its files are
         * DIR/heapprof.<pid>.<seq>.pb.gz, not hidden ones, DIR/.<pid>... */
        const char *name = r->type == T_PREFIX && s[strlen(s) - 1] == '/' ? "heapprof" : "";
        if (n + (long)strlen(name) >= CONFIG_PATH_MAX - 64 ||
            strlen(s) + strlen(name) >= CONFIG_PATH_MAX)
            return ERANGE;
        strcpy(field, s);
        strcat(field, name);
        return 0;
    }
    }
    return EINVAL;
}

/* A number past the last signal: config_parse_signal's ERANGE for it
 * means no signal at all, not one heapprof may not take. */
static bool beyond_signals(const char *value)
{
    const char *end;
    uint64_t v;
    return parse_u64(value, &end, &v) == 0 && !*end && v > (uint64_t)SIGRTMAX;
}

static void complain(const row *r, const char *value, int err, config_warn_fn warn, void *ctx)
{
    char line[256];
    const char *why = err == ERANGE ? "out of range" : "not understood";
    if (r->type == T_SECONDS)
        snprintf(line, sizeof line, "%s=\"%.64s\" is %s (allowed %s%g to %g); using the default %s",
                 r->name, value, why, r->min > 0 ? "0, or " : "", r->min, r->max, r->def);
    else if (r->type == T_SIZE && err == EINVAL)
        snprintf(line, sizeof line,
                 "%s=\"%.64s\" is not a size (a whole number of bytes, with an optional k, m or g "
                 "suffix: 64k, 64KiB); using the default %s",
                 r->name, value, r->def);
    else if (r->type == T_SIZE || r->type == T_UINT)
        snprintf(line, sizeof line, "%s=\"%.64s\" is %s (allowed %.0f to %.0f); using the default %s",
                 r->name, value, why, r->min, r->max, r->def);
    else if (r->type == T_SIGNAL && err == ERANGE && beyond_signals(value))
        snprintf(line, sizeof line,
                 "%s=\"%.64s\" is out of range (signals are 1 to %d, or off); using the default %s",
                 r->name, value, SIGRTMAX, r->def);
    else if (r->type == T_SIGNAL && err == ERANGE)
        snprintf(line, sizeof line,
                 "%s=\"%.64s\" is a signal heapprof may not take (uncatchable, a fault, the C library's, or one "
                 "whose default action programs rely on); using the default %s",
                 r->name, value, r->def);
    else if (r->type == T_SIGNAL)
        snprintf(line, sizeof line,
                 "%s=\"%.64s\" is not a signal (a name such as USR1, SIGUSR1 or RTMIN+2, a number, "
                 "or 0 or off for none); using the default %s", r->name, value, r->def);
    else if (r->type == T_BOOL)
        snprintf(line, sizeof line,
                 "%s=\"%.64s\" is not understood (1 or 0; also true, yes, on, false, no, off); "
                 "using the default %s", r->name, value, r->def);
    else if ((r->type == T_PATH || r->type == T_PREFIX) && err == ERANGE)
        snprintf(line, sizeof line, "%s=\"%.64s...\" is too long (at most about %d bytes%s); "
                 "using the default %s", r->name, value, CONFIG_PATH_MAX - 64,
                 r->type == T_PREFIX ? ", its % codes at their longest" : "", r->def);
    else if ((r->type == T_PATH || r->type == T_PREFIX) && !*value)
        snprintf(line, sizeof line, "%s=\"\" is empty; using the default %s", r->name, r->def);
    else if (r->type == T_DIRS && err == EINVAL)
        snprintf(line, sizeof line,
                 "%s=\"%.64s\" is not a list of absolute directories (':' between) or off; using "
                 "the default %s",
                 r->name, value, r->def);
    else if (r->type == T_CHOICE)
        snprintf(line, sizeof line, "%s=\"%.64s\" is not one of %s; using the default %s", r->name,
                 value, r->choices, r->def);
    else if (r->type == T_PREFIX && err == EINVAL && *value)
        snprintf(line, sizeof line,
                 "%s=\"%.64s\" holds a %% code heapprof does not know (%%h host name, %%n pid "
                 "namespace, %%p pid, %%e executable, %%%% a %%); using the default %s",
                 r->name, value, r->def);
    else
        snprintf(line, sizeof line, "%s=\"%.64s\" is %s; using the default %s", r->name, value, why,
                 r->def);
    if (warn)
        warn(ctx, line);
}

/* HEAPPROF_* names that are not the library's settings but are read by
 * other parts of heapprof and so reach a profiled program's environment:
 * the CLI's decoding limits, the fault-injection build's, and the test
 * suite's.  config_check_names passes them in silence. */
static const char *const not_settings[] = {
    "HEAPPROF_MAX_INPUT", "HEAPPROF_MAX_DECODE",              /* src/cli/profile_read.c */
    "HEAPPROF_LOCAL_LINES",                                   /* src/cli/report.c */
    "HEAPPROF_FAULT",     "HEAPPROF_FAULT_LOG",               /* src/fault.c */
    "HEAPPROF_LIB",       "HEAPPROF_CLI", "HEAPPROF_SKIP_GO", /* tests/ */
};

enum { NAME_MAX_CMP = 48 }; /* longer names are never "close" to a row's */

/* Edit distance (insert, delete, replace, case-insensitive) of a and b,
 * both at most NAME_MAX_CMP long: two rows on the stack, as this runs
 * where nothing may allocate. */
static unsigned edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    unsigned prev[NAME_MAX_CMP + 1], cur[NAME_MAX_CMP + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (strncasecmp(&a[i - 1], &b[j - 1], 1) != 0);
            unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

/* The row whose name is nearest to `name` (len bytes), if it is near
 * enough to be what was meant: at most 2 edits, or 3 for names of 15
 * letters and more (HEAPPROF_HIGHWATER_MIN_S).  A case-only difference
 * counts 0 edits. */
static const row *nearest_row(const char *name, size_t len)
{
    if (len > NAME_MAX_CMP)
        return NULL;
    const row *best = NULL;
    unsigned best_d = ~0u;
    for (size_t i = 0; i < NROWS; i++) {
        size_t lr = strlen(rows[i].name);
        unsigned d = edit_distance(name, len, rows[i].name, lr);
        if (d < best_d) {
            best_d = d;
            best = &rows[i];
        }
    }
    return best && best_d <= (len >= 15 ? 3u : 2u) ? best : NULL;
}

/* The names said one per line; the rest share one line, so that an
 * environment full of them cannot use up the log's burst (log.c) before
 * the lines that follow at start-up. */
enum { NAMES_SAID = CONFIG_NAMES_SAID, MORE_MAX = 160 };

int config_check_names(char *const *envp, config_warn_fn warn, void *ctx)
{
    static const char prefix[] = "HEAPPROF_";
    int unknown = 0;
    char more[MORE_MAX] = "";
    size_t used = 0;
    for (char *const *e = envp; e && *e; e++) {
        const char *s = *e;
        /* Any case: heapprof_sample=64k is a mistake worth a line too. */
        if (strncasecmp(s, prefix, sizeof prefix - 1))
            continue;
        const char *eq = strchr(s, '=');
        size_t len = eq ? (size_t)(eq - s) : strlen(s);
        bool known = false;
        for (size_t i = 0; i < NROWS && !known; i++)
            known = strlen(rows[i].name) == len && !strncmp(rows[i].name, s, len);
        for (size_t i = 0; i < sizeof not_settings / sizeof not_settings[0] && !known; i++)
            known = strlen(not_settings[i]) == len && !strncmp(not_settings[i], s, len);
        if (known)
            continue;
        unknown++;
        if (!warn)
            continue;
        int shown = (int)(len < 64 ? len : 64);
        if (unknown > NAMES_SAID) {
            if (used < sizeof more) {
                int n = snprintf(more + used, sizeof more - used, "%s%.*s", used ? ", " : "", shown, s);
                used += n > 0 ? (size_t)n : 0;
            }
            continue;
        }
        char line[256];
        const row *near = nearest_row(s, len);
        if (near)
            snprintf(line, sizeof line, "%.*s is not a heapprof setting and is ignored; did you mean %s?",
                     shown, s, near->name);
        else
            snprintf(line, sizeof line,
                     "%.*s is not a heapprof setting and is ignored ('heapprof run --help' lists them)",
                     shown, s);
        warn(ctx, line);
    }
    if (warn && unknown > NAMES_SAID) {
        char line[MORE_MAX + 128];
        snprintf(line, sizeof line, "%d more HEAPPROF_* names are not heapprof settings and are ignored: %s%s",
                 unknown - NAMES_SAID, more, used >= sizeof more ? " ..." : "");
        warn(ctx, line);
    }
    return unknown;
}

int config_parse(hp_config *cfg, config_lookup_fn lookup, config_warn_fn warn, void *ctx)
{
    int bad = 0;
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NROWS; i++) {
        const row *r = &rows[i];
        parse_row(r, r->def, cfg); /* defaults are known good; unit-tested */
        const char *v = lookup ? lookup(r->name) : NULL;
        if (!v)
            continue;
        int err = parse_row(r, v, cfg);
        if (err) {
            bad++;
            complain(r, v, err, warn, ctx);
        }
    }
    return bad;
}
