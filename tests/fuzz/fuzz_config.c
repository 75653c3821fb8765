/*
 * fuzz_config.c - libFuzzer target for the environment-configuration
 * parser (config.c): config_parse with a fuzzed lookup, and the two parsers
 * shared with the CLI, config_parse_size and config_parse_signal.
 *
 * Input: the first byte picks the parser; the rest is the text.  For
 * config_parse the text is split at '\n' into one value per variable, in
 * table order (an empty line or a missing one means "unset"), so every
 * variable sees arbitrary values, together.
 *
 * Beyond "no crash, no sanitizer report", it checks what callers rely on:
 *  - config_parse: one warning per bad value, each a non-empty line under
 *    256 bytes; every field inside its documented limits, whatever the
 *    input; and the same input parsed twice gives the same struct;
 *  - config_parse_size: on success the value round-trips through its
 *    decimal spelling; no input makes it succeed with trailing junk;
 *  - config_parse_signal: on success 0 (off) or a catchable, non-fault
 *    signal within 1..64;
 *  - config_check_names (first byte 0xff; the text's lines are the
 *    environment): one warning per name it counts, each a line under 256
 *    bytes, and the same count twice.
 */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_config: check failed: %s (line %d)\n", #cond, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

enum { MAXROWS = 64, MAXTEXT = 8192 };

static char text[MAXTEXT + 1];
static const char *values[MAXROWS];
static int warnings;

static const char *lookup(const char *name)
{
    for (size_t i = 0; i < config_count() && i < MAXROWS; i++)
        if (!strcmp(config_name(i), name))
            return values[i];
    return NULL;
}

static void warn(void *ctx, const char *line)
{
    size_t n = strlen(line);
    CHECK(n > 0 && n < 256);
    CHECK(!strchr(line, '\n'));
    warnings++;
}

static void check_config(const hp_config *c)
{
    CHECK(c->sample >= 1 && c->sample <= (1ULL << 40));
    CHECK(c->depth >= 1 && c->depth <= 256);
    CHECK(memchr(c->out, '\0', sizeof c->out) != NULL);
    CHECK(c->out[0] != '\0');
    CHECK(strlen(c->out) < CONFIG_PATH_MAX - 64);
    CHECK(c->signal >= 0 && c->signal <= 64);
    CHECK(c->signal != SIGKILL && c->signal != SIGSTOP && c->signal != SIGSEGV);
    CHECK(isfinite(c->period) && c->period >= 0 && c->period <= 1e7);
    CHECK(isfinite(c->highwater_min_s) && c->highwater_min_s >= 0);
    CHECK(c->max_live >= 1024 && c->max_live <= (1ULL << 32));
    CHECK(c->max_stacks >= 64 && c->max_stacks <= (1ULL << 24));
    CHECK(c->highwater <= (1ULL << 50));
}

static void fuzz_parse(const char *s)
{
    size_t n = config_count() < MAXROWS ? config_count() : MAXROWS;
    memset(values, 0, sizeof values);
    char *p = (char *)s;
    for (size_t i = 0; i < n && p; i++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        values[i] = *p ? p : NULL;
        p = nl ? nl + 1 : NULL;
    }
    static hp_config a, b;
    warnings = 0;
    int bad = config_parse(&a, lookup, warn, NULL);
    CHECK(bad == warnings);
    check_config(&a);
    warnings = 0;
    CHECK(config_parse(&b, lookup, warn, NULL) == bad);
    CHECK(!memcmp(&a, &b, sizeof a));
}

static void fuzz_size(const char *s)
{
    uint64_t v = 0;
    if (config_parse_size(s, &v))
        return;
    /* Accepted: digits, then at most one of k/m/g with an optional i and b. */
    CHECK(s[0] >= '0' && s[0] <= '9');
    size_t digits = strspn(s, "0123456789");
    const char *suffix = s + digits;
    CHECK(strlen(suffix) <= 3);
    if (!*suffix) {
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        uint64_t w = 0;
        CHECK(config_parse_size(buf, &w) == 0 && w == v);
        /* Leading zeros aside, the spelling is the number. */
        const char *t = s;
        while (t[0] == '0' && t[1])
            t++;
        CHECK(!strcmp(t, buf));
    }
}

static void fuzz_signal(const char *s)
{
    int64_t v = -1;
    if (config_parse_signal(s, &v))
        return;
    CHECK(v >= 0 && v <= 64);
    CHECK(v != SIGKILL && v != SIGSTOP && v != SIGSEGV && v != SIGBUS && v != SIGFPE &&
          v != SIGILL && v != SIGABRT && v != SIGTRAP);
}

static void fuzz_names(char *s)
{
    enum { MAXENV = 256 };
    char *env[MAXENV + 1];
    size_t n = 0;
    for (char *p = s; p && n < MAXENV;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        env[n++] = p;
        p = nl ? nl + 1 : NULL;
    }
    env[n] = NULL;
    warnings = 0;
    int unknown = config_check_names(env, warn, NULL);
    /* One line a name up to CONFIG_NAMES_SAID, then one for the rest. */
    CHECK(unknown >= 0 && (size_t)unknown <= n);
    CHECK(warnings == (unknown <= CONFIG_NAMES_SAID ? unknown : CONFIG_NAMES_SAID + 1));
    CHECK(config_check_names(env, NULL, NULL) == unknown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = size - 1 < MAXTEXT ? size - 1 : MAXTEXT;
    memcpy(text, data + 1, n);
    text[n] = '\0';
    if (data[0] == 0xff) { /* not a %3 case: the corpus's first bytes keep their meaning */
        fuzz_names(text);
        return 0;
    }
    switch (data[0] % 3) {
    case 0: fuzz_parse(text); break;
    case 1: fuzz_size(text); break;
    default: fuzz_signal(text); break;
    }
    return 0;
}
