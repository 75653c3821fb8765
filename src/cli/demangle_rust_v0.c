/*
 * demangle_rust_v0.c - Rust's v0 symbol names (RFC 2603, "_R...") as
 * `go tool pprof` shows them (see demangle_rust_v0.h).
 *
 * A recursive-descent reader of the RFC's grammar that writes as it reads
 * into one bounded buffer.  Crate disambiguators (the hashes) are read and
 * not shown, and neither are an impl's own path, the instantiating crate
 * nor a suffix after the first '.' (".llvm.123"), as pprof shows them.
 * Where pprof's demangler reads differently from the RFC, this reads as
 * pprof does, so that a name reads the same in both: a decimal number is
 * every digit there is (decimal()), a backref in text that is not shown
 * is not followed (backref()), numbers wrap past 64 bits (base62()).
 *
 * The name comes from a profile, which may be hostile, so every step is
 * bounded: recursion depth (MAX_DEPTH), output (OUT_MAX; a backref can
 * repeat a long subtree, so a short name can describe a huge one), and the
 * total number of grammar steps (MAX_STEPS, which also bounds the work of
 * reading the instantiating crate, whose text is not written).  A backref
 * must point strictly before the 'B' that names it, so it cannot loop.
 * Anything unexpected sets `failed`, and the caller shows the name as is.
 */
#include "demangle_rust_v0.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_MAX = 16384, MAX_DEPTH = 200, MAX_STEPS = 200000 };

typedef struct {
    const char *s; /* the name after "_R", up to its first '.' */
    size_t n, pos;
    char *out;
    size_t o;
    bool skip; /* reading without writing (the instantiating crate) */
    bool failed;
    int depth;
    long steps;
    uint64_t lifetimes; /* bound by the binders around this point */
} v0;

static bool fail(v0 *p)
{
    p->failed = true;
    return false;
}

/* Counts one grammar step and one level of nesting; false to stop. */
static bool enter(v0 *p)
{
    if (p->failed || ++p->steps > MAX_STEPS || ++p->depth > MAX_DEPTH)
        return fail(p);
    return true;
}

static void leave(v0 *p) { p->depth--; }

static char peek(const v0 *p) { return p->pos < p->n ? p->s[p->pos] : '\0'; }

static bool eat(v0 *p, char c)
{
    if (peek(p) != c)
        return false;
    p->pos++;
    return true;
}

static void put(v0 *p, const char *t, size_t len)
{
    if (p->skip || p->failed)
        return;
    if (len > OUT_MAX - p->o) {
        fail(p);
        return;
    }
    memcpy(p->out + p->o, t, len);
    p->o += len;
}

static void puts_(v0 *p, const char *t) { put(p, t, strlen(t)); }

static void put_u64(v0 *p, uint64_t v)
{
    char b[24];
    size_t i = sizeof b;
    do
        b[--i] = (char)('0' + v % 10);
    while (v /= 10);
    put(p, b + i, sizeof b - i);
}

/* base-62-number: "_" is 0, digits then "_" are their value plus one.
 * It wraps past 64 bits, as pprof's does: a disambiguator is not shown,
 * and a backref or lifetime that large is out of range anyway. */
static bool base62(v0 *p, uint64_t *v)
{
    if (eat(p, '_')) {
        *v = 0;
        return true;
    }
    uint64_t x = 0;
    for (;;) {
        char c = peek(p);
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'Z')
            d = c - 'A' + 36;
        else if (c == '_')
            break;
        else
            return fail(p);
        x = x * 62 + (uint64_t)d;
        p->pos++;
    }
    p->pos++; /* the '_' */
    *v = x + 1;
    return true;
}

/* An optional "s" base-62-number: absent is 0, present its value + 1. */
static bool disambiguator(v0 *p, uint64_t *v)
{
    *v = 0;
    if (!eat(p, 's'))
        return true;
    if (!base62(p, v))
        return false;
    ++*v;
    return true;
}

/* decimal-number, as pprof reads it: every digit there is ("00" is 0,
 * where the RFC has two numbers), and none at all is 0.  Nested closures
 * ("...00s_0") are named by this reading in pprof, so here too. */
static bool decimal(v0 *p, size_t *v)
{
    if (p->pos >= p->n)
        return fail(p);
    *v = 0;
    for (char c; (c = peek(p)) >= '0' && c <= '9'; p->pos++) {
        if (*v > OUT_MAX) /* longer than any name left */
            return fail(p);
        *v = *v * 10 + (size_t)(c - '0');
    }
    return true;
}

static void put_utf8(v0 *p, uint32_t c)
{
    char b[4];
    size_t k;
    if (c < 0x80) {
        b[0] = (char)c;
        k = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xc0 | c >> 6);
        b[1] = (char)(0x80 | (c & 0x3f));
        k = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xe0 | c >> 12);
        b[1] = (char)(0x80 | (c >> 6 & 0x3f));
        b[2] = (char)(0x80 | (c & 0x3f));
        k = 3;
    } else {
        b[0] = (char)(0xf0 | c >> 18);
        b[1] = (char)(0x80 | (c >> 12 & 0x3f));
        b[2] = (char)(0x80 | (c >> 6 & 0x3f));
        b[3] = (char)(0x80 | (c & 0x3f));
        k = 4;
    }
    put(p, b, k);
}

/* RFC 3492's decoding of a punycode identifier (rustc writes '_' for
 * the delimiter '-'), written as UTF-8.  At most 128 code points: longer
 * is not a name a person wrote, and the insertion below is quadratic. */
static bool punycode(v0 *p, const char *t, size_t len)
{
    enum { MAXCP = 128, BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700 };
    uint32_t cp[MAXCP];
    size_t ncp = 0, start = 0;
    for (size_t i = len; i-- > 0;)
        if (t[i] == '_') {
            if (i > MAXCP)
                return fail(p);
            for (size_t k = 0; k < i; k++) {
                if ((unsigned char)t[k] >= 0x80)
                    return fail(p);
                cp[ncp++] = (unsigned char)t[k];
            }
            start = i + 1;
            break;
        }
    uint64_t n = 128, i = 0, bias = 72;
    size_t k = start;
    while (k < len) {
        uint64_t old = i, w = 1;
        for (uint64_t kk = BASE;; kk += BASE) {
            if (k >= len)
                return fail(p);
            char c = t[k++];
            uint64_t d;
            if (c >= 'a' && c <= 'z')
                d = (uint64_t)(c - 'a');
            else if (c >= 'A' && c <= 'Z') /* case does not matter */
                d = (uint64_t)(c - 'A');
            else if (c >= '0' && c <= '9')
                d = (uint64_t)(c - '0') + 26;
            else
                return fail(p);
            if (d > (UINT32_MAX - i) / w)
                return fail(p);
            i += d * w;
            uint64_t th = kk <= bias ? TMIN : kk >= bias + TMAX ? TMAX : kk - bias;
            if (d < th)
                break;
            if (w > UINT32_MAX / (BASE - th))
                return fail(p);
            w *= BASE - th;
        }
        if (ncp >= MAXCP)
            return fail(p);
        /* adapt the bias (RFC 3492, 6.1) */
        uint64_t delta = old == 0 ? i / DAMP : (i - old) / 2;
        delta += delta / (ncp + 1);
        uint64_t kb = 0;
        while (delta > ((BASE - TMIN) * TMAX) / 2) {
            delta /= BASE - TMIN;
            kb += BASE;
        }
        bias = kb + (BASE - TMIN + 1) * delta / (delta + SKEW);
        n += i / (ncp + 1);
        i %= ncp + 1;
        if (n > 0x10ffff || (n >= 0xd800 && n < 0xe000))
            return fail(p);
        memmove(cp + i + 1, cp + i, (ncp - i) * sizeof cp[0]);
        cp[i++] = (uint32_t)n;
        ncp++;
    }
    for (size_t j = 0; j < ncp; j++)
        put_utf8(p, cp[j]);
    return true;
}

/* undisambiguated-identifier: ["u"] decimal ["_"] bytes.  The text is
 * returned (not written) so that the caller can place it.  Its bytes must
 * be ASCII letters, digits and '_' (punycode's too), as pprof requires,
 * read or skipped: a name with another ("a$", "a.b" cut short) is shown as
 * it is there, so here. */
static bool ident(v0 *p, const char **t, size_t *len, bool *puny)
{
    *puny = eat(p, 'u');
    if (!decimal(p, len))
        return false;
    eat(p, '_');
    if (*len > p->n - p->pos)
        return fail(p);
    *t = p->s + p->pos;
    for (size_t i = 0; i < *len; i++) {
        char c = (*t)[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_'))
            return fail(p);
    }
    p->pos += *len;
    return true;
}

static bool put_ident(v0 *p, const char *t, size_t len, bool puny)
{
    if (puny)
        return punycode(p, t, len);
    put(p, t, len);
    return true;
}

static bool path(v0 *p, bool in_value);
static bool type(v0 *p);
static bool konst(v0 *p);

/* Reads "B" base-62-number and moves to where it points, which must be
 * before the 'B'; what is read there must end before the 'B' too, so a
 * backref can neither loop nor reach past itself.  *back and *end are
 * where to return to.  Reading without writing (p->skip), pprof does not
 * follow a backref, so neither does this: false, nothing to read. */
static bool backref(v0 *p, size_t *back, size_t *end)
{
    size_t at = p->pos;
    p->pos++; /* the 'B' */
    uint64_t to;
    if (!base62(p, &to))
        return false;
    if (p->skip)
        return false;
    if (to >= at)
        return fail(p);
    *back = p->pos;
    *end = p->n;
    p->pos = (size_t)to;
    p->n = at;
    return true;
}

/* Follows a backref with read(), then returns to after it. */
static bool follow(v0 *p, bool (*read)(v0 *))
{
    size_t back, end;
    if (!backref(p, &back, &end))
        return !p->failed;
    bool ok = read(p);
    p->pos = back;
    p->n = end;
    return ok;
}

static bool lifetime_name(v0 *p, uint64_t v)
{
    if (v == 0) {
        puts_(p, "'_");
        return true;
    }
    if (v > p->lifetimes)
        return fail(p);
    uint64_t d = p->lifetimes - v;
    if (d < 26) {
        char b[2] = {'\'', (char)('a' + d)};
        put(p, b, 2);
    } else { /* pprof's names past 'z: 'z1, 'z2... */
        puts_(p, "'z");
        put_u64(p, d - 25);
    }
    return true;
}

/* binder: "G" base-62-number, the number of lifetimes bound minus one.
 * pprof refuses a count not under what is left of the name (every
 * lifetime bound should be used after it) less those bound already, which
 * also bounds the output. */
static bool binder(v0 *p)
{
    uint64_t k;
    if (!eat(p, 'G'))
        return true;
    if (!base62(p, &k) || k >= p->n - p->pos || p->lifetimes >= p->n - p->pos - k - 1)
        return fail(p);
    puts_(p, "for<");
    for (uint64_t j = 0; j <= k; j++) {
        if (j)
            puts_(p, ", ");
        p->lifetimes++;
        lifetime_name(p, 1);
    }
    puts_(p, "> ");
    return true;
}

/* generic-args up to "E", after their opening '<' */
static bool generic_args(v0 *p)
{
    for (size_t k = 0; !eat(p, 'E'); k++) {
        if (p->failed || p->pos >= p->n)
            return fail(p);
        if (k)
            puts_(p, ", ");
        if (eat(p, 'L')) {
            uint64_t v;
            if (!base62(p, &v) || !lifetime_name(p, v))
                return false;
        } else if (eat(p, 'K')) {
            if (!konst(p))
                return false;
        } else if (!type(p)) {
            return false;
        }
    }
    return !p->failed;
}

static bool path_body(v0 *p, bool in_value, bool *open);

/* A path; with open non-NULL its generic arguments are left open ("<..."
 * without '>') and *open says so, for a dyn trait's bindings. */
static bool path_open(v0 *p, bool in_value, bool *open)
{
    if (!enter(p))
        return false;
    bool ok;
    size_t back, end;
    if (peek(p) != 'B') {
        ok = path_body(p, in_value, open);
    } else if (backref(p, &back, &end)) {
        ok = path_open(p, in_value, open);
        p->pos = back;
        p->n = end;
    } else {
        ok = !p->failed; /* skipped */
    }
    leave(p);
    return ok && !p->failed;
}

static bool path(v0 *p, bool in_value) { return path_open(p, in_value, NULL); }

static bool path_body(v0 *p, bool in_value, bool *open)
{
    char c = peek(p);
    p->pos++;
    uint64_t dis;
    const char *t;
    size_t len;
    bool puny;
    switch (c) {
    case 'C': /* crate root: its disambiguator (a hash) not shown */
        if (!disambiguator(p, &dis) || !ident(p, &t, &len, &puny))
            return false;
        return put_ident(p, t, len, puny);
    case 'M': /* inherent impl: <T> */
    case 'X': /* trait impl: <T as Trait> */
    case 'Y': /* <T as Trait> */
        if (c != 'Y') {
            bool was = p->skip;
            p->skip = true; /* the impl's own path is not shown */
            bool ok = disambiguator(p, &dis) && path(p, false);
            p->skip = was;
            if (!ok)
                return false;
        }
        puts_(p, "<");
        if (!type(p))
            return false;
        if (c != 'M') {
            puts_(p, " as ");
            if (!path(p, false))
                return false;
        }
        puts_(p, ">");
        return true;
    case 'N': {
        char ns = peek(p);
        if (!((ns >= 'a' && ns <= 'z') || (ns >= 'A' && ns <= 'Z')))
            return fail(p);
        p->pos++;
        if (!path(p, in_value) || !disambiguator(p, &dis) || !ident(p, &t, &len, &puny))
            return false;
        puts_(p, "::");
        if (ns >= 'a' && ns <= 'z') /* types, values: the name as is */
            return put_ident(p, t, len, puny);
        puts_(p, "{");
        puts_(p, ns == 'C' ? "closure" : ns == 'S' ? "shim" : (char[]){ns, '\0'});
        if (len) {
            puts_(p, ":");
            if (!put_ident(p, t, len, puny))
                return false;
        }
        puts_(p, "#");
        put_u64(p, dis);
        puts_(p, "}");
        return true;
    }
    case 'I':
        if (!path(p, in_value))
            return false;
        puts_(p, in_value ? "::<" : "<");
        if (!generic_args(p))
            return false;
        if (open)
            *open = true;
        else
            puts_(p, ">");
        return true;
    default:
        return fail(p);
    }
}

static const char *basic_type(char c)
{
    switch (c) {
    case 'a': return "i8";
    case 'b': return "bool";
    case 'c': return "char";
    case 'd': return "f64";
    case 'e': return "str";
    case 'f': return "f32";
    case 'h': return "u8";
    case 'i': return "isize";
    case 'j': return "usize";
    case 'l': return "i32";
    case 'm': return "u32";
    case 'n': return "i128";
    case 'o': return "u128";
    case 's': return "i16";
    case 't': return "u16";
    case 'u': return "()";
    case 'v': return "...";
    case 'x': return "i64";
    case 'y': return "u64";
    case 'z': return "!";
    case 'p': return "_";
    default: return NULL;
    }
}

/* Types up to an 'E', written ", "-separated (a fn's parameters, a
 * tuple's elements); *count, if asked, says how many. */
static bool types_to_end(v0 *p, size_t *count)
{
    size_t k = 0;
    for (; !eat(p, 'E'); k++) {
        if (p->failed || p->pos >= p->n)
            return fail(p);
        if (k)
            puts_(p, ", ");
        if (!type(p))
            return false;
    }
    if (count)
        *count = k;
    return true;
}

/* fn-sig: [binder] ["U"] ["K" abi] {type} "E" type */
static bool fn_sig(v0 *p)
{
    uint64_t saved = p->lifetimes;
    if (!binder(p))
        return false;
    if (eat(p, 'U'))
        puts_(p, "unsafe ");
    if (eat(p, 'K')) {
        puts_(p, "extern \"");
        if (eat(p, 'C')) {
            puts_(p, "C");
        } else {
            const char *t;
            size_t len;
            bool puny;
            if (!ident(p, &t, &len, &puny) || puny)
                return fail(p);
            for (size_t i = 0; i < len; i++) /* "rust_call" is rust-call */
                put(p, t[i] == '_' ? "-" : t + i, 1);
        }
        puts_(p, "\" ");
    }
    puts_(p, "fn(");
    if (!types_to_end(p, NULL))
        return false;
    puts_(p, ")");
    if (eat(p, 'u')) {
        p->lifetimes = saved;
        return true;
    }
    puts_(p, " -> ");
    bool ok = type(p);
    p->lifetimes = saved;
    return ok;
}

/* dyn-bounds: [binder] {path {"p" ident type}} "E", then a lifetime */
static bool dyn_bounds(v0 *p)
{
    uint64_t saved = p->lifetimes;
    puts_(p, "dyn ");
    if (!binder(p))
        return false;
    for (size_t k = 0; !eat(p, 'E'); k++) {
        if (p->failed || p->pos >= p->n)
            return fail(p);
        if (k)
            puts_(p, " + ");
        bool open = false;
        if (!path_open(p, false, &open))
            return false;
        for (size_t b = 0; eat(p, 'p'); b++) {
            const char *t;
            size_t len;
            bool puny;
            puts_(p, open ? ", " : "<");
            open = true;
            if (!ident(p, &t, &len, &puny) || !put_ident(p, t, len, puny))
                return false;
            puts_(p, " = ");
            if (!type(p))
                return false;
        }
        if (open)
            puts_(p, ">");
    }
    p->lifetimes = saved;
    uint64_t v;
    if (!eat(p, 'L') || !base62(p, &v))
        return fail(p);
    if (v) {
        bool space = !p->skip && p->o && p->out[p->o - 1] == ' ';
        puts_(p, space ? "+ " : " + ");
        return lifetime_name(p, v);
    }
    return true;
}

static bool type_body(v0 *p)
{
    char c = peek(p);
    const char *basic = basic_type(c);
    if (basic) {
        p->pos++;
        puts_(p, basic);
        return true;
    }
    switch (c) {
    case 'A':
    case 'S':
        p->pos++;
        puts_(p, "[");
        if (!type(p))
            return false;
        if (c == 'A') {
            puts_(p, "; ");
            if (!konst(p))
                return false;
        }
        puts_(p, "]");
        return true;
    case 'T': {
        p->pos++;
        puts_(p, "(");
        size_t k;
        if (!types_to_end(p, &k))
            return false;
        puts_(p, k == 1 ? ",)" : ")");
        return true;
    }
    case 'R':
    case 'Q':
        p->pos++;
        puts_(p, "&");
        if (eat(p, 'L')) {
            uint64_t v;
            if (!base62(p, &v))
                return false;
            if (v) {
                if (!lifetime_name(p, v))
                    return false;
                puts_(p, " ");
            }
        }
        if (c == 'Q')
            puts_(p, "mut ");
        return type(p);
    case 'P':
    case 'O':
        p->pos++;
        puts_(p, c == 'P' ? "*const " : "*mut ");
        return type(p);
    case 'F':
        p->pos++;
        return fn_sig(p);
    case 'D':
        p->pos++;
        return dyn_bounds(p);
    default:
        return path(p, false);
    }
}

/* A type or a constant: a backref to one read before (read again by
 * self), or one written out (body). */
static bool backref_or(v0 *p, bool (*self)(v0 *), bool (*body)(v0 *))
{
    if (!enter(p))
        return false;
    bool ok = peek(p) == 'B' ? follow(p, self) : body(p);
    leave(p);
    return ok && !p->failed;
}

static bool type(v0 *p) { return backref_or(p, type, type_body); }

/* A char constant as pprof shows it: printable ASCII quoted, with
 * Rust's escapes for \t \r \n \\ \', anything else as '\u{hex}'. */
static void put_char(v0 *p, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    puts_(p, "'");
    if (v == '\t' || v == '\r' || v == '\n' || v == '\\' || v == '\'') {
        char b[2] = {'\\', v == '\t' ? 't' : v == '\r' ? 'r' : v == '\n' ? 'n' : (char)v};
        put(p, b, 2);
    } else if (v >= ' ' && v <= '~') {
        char ch = (char)v;
        put(p, &ch, 1);
    } else {
        puts_(p, "\\u{");
        char b[8];
        size_t i = sizeof b;
        do
            b[--i] = hex[v & 15];
        while (v >>= 4);
        put(p, b + i, sizeof b - i);
        puts_(p, "}");
    }
    puts_(p, "'");
}

/* const: type const-data | "p" | backref, for integer, bool and char
 * types; const-data is ["n"] {hex-digit} "_". */
static bool konst_body(v0 *p)
{
    char ty = peek(p);
    p->pos++;
    if (ty == 'p') {
        puts_(p, "_");
        return true;
    }
    if (!strchr("ashlxnitmyojbc", ty) || ty == '\0')
        return fail(p);
    bool neg = eat(p, 'n');
    if (neg && !strchr("aslxni", ty))
        return fail(p);
    uint64_t v = 0;
    size_t digits = 0, start = p->pos;
    while (!eat(p, '_')) {
        char c = peek(p);
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return fail(p);
        p->pos++;
        if (v == 0 && d == 0 && peek(p) != '_') /* a leading zero */
            return fail(p);
        v = v << 4 | (uint64_t)d;
        digits++;
    }
    if (digits == 0) /* zero is "0_" */
        return fail(p);
    if (ty == 'b') {
        if (v > 1 || digits > 1)
            return fail(p);
        puts_(p, v ? "true" : "false");
    } else if (ty == 'c') {
        if (digits > 6)
            return fail(p);
        put_char(p, v);
    } else {
        if (neg)
            puts_(p, "-");
        if (digits > 16) { /* past 64 bits, as pprof: the hex digits */
            puts_(p, "0x");
            put(p, p->s + start, digits);
        } else {
            put_u64(p, v);
        }
    }
    return true;
}

static bool konst(v0 *p) { return backref_or(p, konst, konst_body); }

char *demangle_rust_v0(const char *name)
{
    if (strncmp(name, "_R", 2))
        return NULL;
    v0 p = {.s = name + 2};
    p.n = strcspn(p.s, ".");
    if (p.n == 0 || (p.s[0] >= '0' && p.s[0] <= '9')) /* a later version */
        return NULL;
    p.out = malloc(OUT_MAX + 1);
    if (!p.out)
        return NULL;
    if (path(&p, true) && p.pos < p.n) {
        p.skip = true; /* the instantiating crate: read, not shown */
        path(&p, false);
    }
    if (p.failed || p.pos != p.n || p.o == 0) {
        free(p.out);
        return NULL;
    }
    p.out[p.o] = '\0';
    return p.out;
}
