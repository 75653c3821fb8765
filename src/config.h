/*
 * config.h - every HEAPPROF_* variable, parsed once at start-up.
 *
 * The variables are rows of one table in config.c (name, type, default,
 * limits, help).  config_parse fills a struct from any lookup function, so
 * tests need no environment; the profiler calls it once with getenv and then
 * treats the result as read-only.  A bad value never stops the program: it
 * prints one line naming the variable, the value and the default used.
 */
#ifndef HEAPPROF_CONFIG_H
#define HEAPPROF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CONFIG_PATH_MAX = 3072 };

/* HEAPPROF_THREAD_LABEL's values, in its row's order (labels.h). */
enum { CONFIG_THREAD_OFF, CONFIG_THREAD_NAME, CONFIG_THREAD_POOL };

typedef struct hp_config {
    uint64_t sample;        /* HEAPPROF_SAMPLE: mean bytes between samples; 1 = every allocation */
    uint64_t depth;         /* HEAPPROF_DEPTH: frames kept per stack */
    uint64_t seed;          /* HEAPPROF_SEED: sampler seed, 0 = new each run */
    uint64_t filter_granule; /* HEAPPROF_FILTER_GRANULE: free filter granule, 0 = interval / 128 */
    char out[CONFIG_PATH_MAX]; /* HEAPPROF_OUT: file prefix */
    int64_t signal;         /* HEAPPROF_SIGNAL: dump signal number, 0 = none */
    double period;          /* HEAPPROF_PERIOD: seconds between dumps, 0 = off */
    bool on_exit;           /* HEAPPROF_ON_EXIT: dump at exit */
    bool sync;              /* HEAPPROF_SYNC: fdatasync each profile before its rename */
    uint64_t max_live;      /* HEAPPROF_MAX_LIVE: bound on live sampled objects */
    uint64_t max_stacks;    /* HEAPPROF_MAX_STACKS: bound on distinct stacks */
    uint64_t stack_memory;  /* HEAPPROF_STACK_MEMORY: bytes of whole stacks (stacks.h, "Bounds") */
    uint64_t highwater;     /* HEAPPROF_HIGHWATER: dump when live heap grows this much, 0 = off */
    double highwater_min_s; /* HEAPPROF_HIGHWATER_MIN_S: at most one such dump per this many s */
    int thread_label;       /* HEAPPROF_THREAD_LABEL: CONFIG_THREAD_* */
    uint64_t keep;          /* HEAPPROF_KEEP: newest files kept, 0 = all */
    bool children;          /* HEAPPROF_CHILDREN: profile child processes too */
    bool fast_unwind;       /* HEAPPROF_FAST_UNWIND: heapprof's walker before libunwind */
    char http[CONFIG_PATH_MAX];   /* HEAPPROF_HTTP: HOST:PORT of the live endpoint, "off" = none */
    char cgroup[CONFIG_PATH_MAX]; /* HEAPPROF_CGROUP: cgroup v2 directory, "auto" = own */
    uint64_t limit_dump;    /* HEAPPROF_LIMIT_DUMP: percent of the memory limit, 0 = off */
    uint64_t limit_bytes;   /* HEAPPROF_LIMIT_BYTES: limit for RSS when no cgroup limit, 0 = none */
    char debug_dirs[CONFIG_PATH_MAX]; /* HEAPPROF_DEBUG_DIRS: roots of debug files, "" = none */
} hp_config;

/* Receives one complaint line (without "heapprof: " or newline). */
typedef void (*config_warn_fn)(void *ctx, const char *line);
typedef const char *(*config_lookup_fn)(const char *name);

/* Fill *cfg from the defaults and lookup().  Returns the number of bad values. */
int config_parse(hp_config *cfg, config_lookup_fn lookup, config_warn_fn warn, void *ctx);

/* One line through warn() for each HEAPPROF_* name in envp (NAME=VALUE
 * strings, NULL-terminated; any case) that is neither a row nor one of
 * heapprof's other tools' variables, naming the nearest row when one is
 * close: a misspelled setting would otherwise leave its default in force
 * with no word said.  The first CONFIG_NAMES_SAID get a line each, any
 * more one line together.  Returns their number.  Allocates nothing. */
enum { CONFIG_NAMES_SAID = 4 };
int config_check_names(char *const *envp, config_warn_fn warn, void *ctx);

/* Parsers shared with the CLI and tests.  Return 0 or EINVAL/ERANGE. */
int config_parse_size(const char *s, uint64_t *out);   /* 512k, 4m, 1g, 123 */
int config_parse_signal(const char *s, int64_t *out);  /* USR2, SIGUSR2, 12, 0, off */

/* Number of rows, and each row's name and help (for --help and README). */
size_t config_count(void);
const char *config_name(size_t i);
const char *config_help(size_t i);
const char *config_default(size_t i);

#endif
