/*
 * demangle.c - C++ function names as `go tool pprof` shows them (see
 * demangle.h).
 *
 * libstdc++'s __cxa_demangle writes the full name, "void app::churn<std::
 * __cxx11::basic_string<char, ...> >(std::vector<...>&, int)"; pprof's
 * default (its demangler's NoParams, NoEnclosingParams and
 * NoTemplateParams) shows "app::churn".  The simplification works on that
 * text, in one pass that only drops or keeps characters, so in place.
 * Input is bounded (DEMANGLE_IN_MAX): __cxa_demangle recurses over the
 * name without a limit of its own, and a profile is untrusted input.
 *
 * Output is not bounded by the input: a back-reference (S<seq>_, T<seq>_)
 * repeats a component written before it, and a component that holds two
 * references to the one before doubles it, so a 464-byte name demangles
 * to 2^40 characters (__cxa_demangle then ran for ever, and went on
 * printing after its memory ran out: `heapprof top` on such a profile
 * never ended); nested pack expansions multiply the same way.  It has no
 * limit to pass.  A name of few references (REFS_INLINE: at most about
 * 3^(n/3) times its length) and at most one pack expansion is demangled
 * here; another, rare in real programs, in a child process given
 * demangle_child_ms, and CHILD_BUDGET_MS for all of them in one run: a name not
 * demangled in time is shown mangled, and the answers are kept, so that
 * a name reads the same in every profile.
 */
#define _GNU_SOURCE /* pipe2 */
#include "demangle.h"
#include "demangle_rust.h"
#include "demangle_rust_v0.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* libstdc++ (the C++ ABI), declared in <cxxabi.h> for C++ only. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The index past the group that opens at s[i] (open ... close, nested),
 * or the end of s when it does not close.  In template arguments, the '>'
 * of a "->" closes nothing. */
static size_t past_group(const char *s, size_t i, char open, char close)
{
    int depth = 0;
    for (; s[i]; i++) {
        if (s[i] == open)
            depth++;
        else if (s[i] == close && !(close == '>' && i && s[i - 1] == '-') && --depth == 0)
            return i + 1;
    }
    return i;
}

/* Whether s[i] starts the word "operator" as a name (not "operators_"). */
static bool operator_at(const char *s, size_t i)
{
    return !strncmp(s + i, "operator", 8) && (i == 0 || s[i - 1] == ':' || s[i - 1] == ' ') &&
           !ident_char(s[i + 8]);
}

/* Copies the operator's name at s[*i] ("operator<<", "operator()",
 * "operator new[]", a conversion "operator unsigned long") to s[*o],
 * up to its template arguments or parameters. */
static void copy_operator(char *s, size_t *i, size_t *o)
{
    memmove(s + *o, s + *i, 8);
    *o += 8;
    *i += 8;
    if (s[*i] == '(' && s[*i + 1] == ')') {
        s[(*o)++] = '(';
        s[(*o)++] = ')';
        *i += 2;
    } else if (s[*i] == ' ') {
        /* new, delete, or a conversion's type: words up to the parameters */
        while (s[*i] && s[*i] != '(') {
            if (s[*i] == '<')
                *i = past_group(s, *i, '<', '>');
            else
                s[(*o)++] = s[(*i)++];
        }
    } else {
        while (s[*i] && strchr("+-*/%^&|~!=<>,[]", s[*i]))
            s[(*o)++] = s[(*i)++];
    }
}

void demangle_simplify(char *s)
{
    /* A thunk's name keeps what it is a thunk to. */
    static const char *const kept[] = {"non-virtual thunk to ", "virtual thunk to ",
                                       "covariant return thunk to "};
    size_t base = 0;
    for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
        if (!strncmp(s, kept[k], strlen(kept[k])))
            base = strlen(kept[k]);
    size_t i = base, o = base;
    while (s[i]) {
        char c = s[i];
        if (operator_at(s, i)) {
            copy_operator(s, &i, &o);
        } else if (c == '<') {
            i = past_group(s, i, '<', '>');
        } else if (c == '{') { /* {lambda(int)#1}, {unnamed type#1} */
            size_t end = past_group(s, i, '{', '}');
            memmove(s + o, s + i, end - i);
            o += end - i;
            i = end;
        } else if (c == '(' && (o == base || (o - base >= 2 && s[o - 1] == ':' && s[o - 2] == ':'))) {
            size_t end = past_group(s, i, '(', ')'); /* (anonymous namespace) */
            memmove(s + o, s + i, end - i);
            o += end - i;
            i = end;
        } else if (c == '(') {
            /* Parameters: an enclosing function's ("f(int)::x") are
             * dropped and the name goes on; the function's own end it
             * (what follows is const, &, [clone .cold]). */
            i = past_group(s, i, '(', ')');
            if (strncmp(s + i, "::", 2))
                break;
        } else if (c == ' ') {
            /* "std::operator<< <char>": the space before template
             * arguments; any other ends a return type, dropped. */
            if (s[i + 1] != '<')
                o = base;
            i++;
        } else {
            s[o++] = s[i++];
        }
    }
    s[o] = '\0';
}

/* The full demangled, simplified name, allocated, or NULL. */
static char *demangle_here(const char *name)
{
    int status = 0;
    char *full = __cxa_demangle(name, NULL, NULL, &status);
    if (!full || status) {
        free(full);
        return NULL;
    }
    demangle_simplify(full);
    if (!*full) {
        free(full);
        return NULL;
    }
    return full;
}

enum { REFS_INLINE = 24, CHILD_BUDGET_MS = 3000, CHILD_OUT_MAX = 65536 };

int demangle_child_ms = 500; /* demangle.h */

/* Back-references (S<seq>_, T<seq>_, seq in [0-9A-Z]) and pack
 * expansions ("Dp" in a type, "sp" in an expression: each prints its
 * pattern once per element of the pack, so nested ones multiply) in a
 * mangled name, outside its source names (<length><identifier>), whose
 * letters are the program's words: "display" and "response" hold "sp" and
 * expand nothing, yet counted, they sent such a name to a child process,
 * and a large C++ program's names used up CHILD_BUDGET_MS and were shown
 * mangled.  A source name is taken to start where a number follows N, Z,
 * St, I, E, K, R, P or another source name; a number elsewhere is an array
 * bound, a discriminator, a seq-id or a literal's value (A10_, _1, S0_,
 * Li5E).  An estimate either way: a misread name is only demangled where
 * it need not have been, or the reverse. */
static void count_risks(const char *s, size_t *refs, size_t *packs)
{
    *refs = *packs = 0;
    bool after_name = false;
    for (size_t i = 0; s[i];) {
        if (s[i] >= '1' && s[i] <= '9' && (after_name || (i && strchr("NZtIEKRP", s[i - 1])))) {
            size_t len = 0, j = i;
            while (s[j] >= '0' && s[j] <= '9' && len <= DEMANGLE_IN_MAX)
                len = len * 10 + (size_t)(s[j++] - '0');
            if (len <= strnlen(s + j, DEMANGLE_IN_MAX + 1)) {
                i = j + len;
                after_name = true;
                continue;
            }
        }
        after_name = false;
        if ((s[i] == 'D' || s[i] == 's') && s[i + 1] == 'p') {
            (*packs)++;
            i += 2;
            continue;
        }
        if (s[i] == 'S' || s[i] == 'T') {
            const char *q = s + i + 1;
            while ((*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z'))
                q++;
            if (*q == '_')
                (*refs)++;
        }
        i++;
    }
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* demangle_here in a child process, given at most ms milliseconds. */
static char *demangle_child(const char *name, int ms)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        char *got = demangle_here(name);
        size_t len = got ? strlen(got) : 0, off = 0;
        while (off < len) {
            ssize_t w = write(p[1], got + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        int rc = got && off == len ? 0 : 1;
        free(got); /* a leak checker (valgrind) counts the child's too, and fails its exit */
        _exit(rc);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return NULL;
    }
    char *out = malloc(CHILD_OUT_MAX + 1);
    size_t len = 0;
    bool whole = false;
    long long end = now_ms() + ms;
    while (out && len < CHILD_OUT_MAX) {
        long long left = end - now_ms();
        struct pollfd pfd = {p[0], POLLIN, 0};
        int r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t got = read(p[0], out + len, CHILD_OUT_MAX - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            whole = got == 0;
            break;
        }
        len += (size_t)got;
    }
    close(p[0]);
    if (!whole)
        kill(pid, SIGKILL); /* out of time, or too long an answer */
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!out || !whole || !len || !WIFEXITED(st) || WEXITSTATUS(st)) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    return out;
}

/* Whether name may demangle to far more than its length: more
 * back-references than REFS_INLINE, or two pack expansions
 * (count_risks). */
static bool may_explode(const char *name)
{
    size_t refs, packs;
    count_risks(name, &refs, &packs);
    return packs >= 2 || refs > REFS_INLINE;
}

/* What the children answered, by name, so that a name reads the same in
 * every profile of a series (its stacks are matched by name). */
typedef struct answer {
    struct answer *next;
    char *name, *got; /* got NULL: shown mangled */
} answer;
static answer *answers[256];

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % (sizeof answers / sizeof answers[0]);
}

static char *copy(const char *s) { return s ? strdup(s) : NULL; }

char *demangle(const char *name)
{
    static long long spent_ms; /* in children, this run */
    if (strnlen(name, DEMANGLE_IN_MAX + 1) > DEMANGLE_IN_MAX)
        return NULL;
    if (!strncmp(name, "_R", 2)) /* Rust's v0 names: bounded, no child */
        return demangle_rust_v0(name);
    if (strncmp(name, "_Z", 2))
        return NULL;
    char *rust = demangle_rust_legacy(name); /* before C++, as pprof reads them */
    if (rust)
        return rust;
    if (!may_explode(name))
        return demangle_here(name);
    unsigned h = name_hash(name);
    for (answer *a = answers[h]; a; a = a->next)
        if (!strcmp(a->name, name))
            return copy(a->got);
    if (spent_ms >= CHILD_BUDGET_MS)
        return NULL; /* and for every name not answered yet, from here on */
    long long t0 = now_ms();
    char *got = demangle_child(name, demangle_child_ms);
    spent_ms += now_ms() - t0;
    answer *a = malloc(sizeof *a);
    if (a && (a->name = strdup(name))) {
        a->got = got;
        a->next = answers[h];
        answers[h] = a;
        return copy(got);
    }
    free(a);
    return got;
}
