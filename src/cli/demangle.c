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
 */
#include "demangle.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

char *demangle(const char *name)
{
    if (strncmp(name, "_Z", 2) || strnlen(name, DEMANGLE_IN_MAX + 1) > DEMANGLE_IN_MAX)
        return NULL;
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
