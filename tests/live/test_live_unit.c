/*
 * Unit tests of the live view's pure parts, without a preload: the cgroup
 * directory from /proc texts, cgroup value files, HEAPPROF_HTTP addresses,
 * HTTP request heads (what http_request.c answers; fuzz_http checks its
 * invariants), label-value escaping, and metrics_render's per-component
 * sums over a stack table built here.  The profiler functions the three
 * files call are stubbed below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "dump.h"
#include "http.h"
#include "http_body.h"
#include "http_request.h"
#include "labels.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "profiler.h"
#include "real.h"
#include "stacks.h"
#include "writer.h"

/* ---- stubs --------------------------------------------------------------- */

static hp_config cfg;
real_allocator real;
const hp_config *profiler_config(void) { return &cfg; }
int64_t profiler_guard_enter(void) { return 0; }
void profiler_guard_exit(int64_t saved) {}
uint64_t profiler_mean(void) { return 1; }
void profiler_get_stats(profiler_stats *out) { memset(out, 0, sizeof *out); }
void profiler_warn_setting(const char *line) { log_line("%s", line); }
void profiler_say_setting(const char *line) { log_line("%s", line); }
bool parent_same_cgroup(void) { return false; }
uint64_t writer_dumps_written(void) { return 7; }
int writer_dump_to_fd(int fd, const char *reason, const dump_options *opt) { return ENOSYS; }
void dump_set_comment_provider(dump_comment_fn fn) {}
dump_snapshot *dump_snapshot_take(void) { return NULL; }
void dump_snapshot_free(dump_snapshot *s) {}

/* ---- cgroup -------------------------------------------------------------- */

static const char *mountinfo =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime shared:9 - cgroup2 cgroup2 rw\n";

static void find_dir(void **state)
{
    char out[256];
    assert_int_equal(cgroup_find_dir("4:memory:/x\n0::/app.slice/a.service\n", mountinfo, out,
                                     sizeof out), 0);
    assert_string_equal(out, "/sys/fs/cgroup/uni fied/app.slice/a.service");
    assert_int_equal(cgroup_find_dir("0::/\n", mountinfo, out, sizeof out), 0);
    assert_string_equal(out, "/sys/fs/cgroup/uni fied");
    /* cgroup v1 only: no "0::" line; or no cgroup2 mount. */
    assert_int_equal(cgroup_find_dir("4:memory:/x\n", mountinfo, out, sizeof out), ENOENT);
    assert_int_equal(cgroup_find_dir("0::/a\n", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", out,
                                     sizeof out), ENOENT);
    /* A mount of a sub-tree (root /kube) holding the process's group. */
    const char *sub = "50 1 0:40 /kube /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    assert_int_equal(cgroup_find_dir("0::/kube/pod1\n", sub, out, sizeof out), 0);
    assert_string_equal(out, "/sys/fs/cgroup/pod1");
    assert_int_equal(cgroup_find_dir("0::/kubelet/x\n", sub, out, sizeof out), ENOENT);
    /* Garbage never crashes. */
    assert_int_equal(cgroup_find_dir("", "", out, sizeof out), ENOENT);
    assert_int_equal(cgroup_find_dir("0::", "- - - -\n - cgroup2", out, sizeof out), ENOENT);
}

static void values(void **state)
{
    assert_int_equal(cgroup_parse_value("123\n"), 123);
    assert_true(cgroup_parse_value("max\n") == CGROUP_NOLIMIT);
    assert_int_equal(cgroup_parse_value(""), CGROUP_UNKNOWN);
    assert_int_equal(cgroup_parse_value("12x"), CGROUP_UNKNOWN);
    assert_int_equal(cgroup_parse_value("99999999999999999999999"), CGROUP_UNKNOWN);
    const char *ev = "low 1\nhigh 22\nmax 3\noom 4\noom_kill 55\n";
    assert_int_equal(cgroup_parse_event(ev, "high"), 22);
    assert_int_equal(cgroup_parse_event(ev, "oom"), 4);
    assert_int_equal(cgroup_parse_event(ev, "oom_kill"), 55);
    assert_int_equal(cgroup_parse_event(ev, "oom_group_kill"), CGROUP_UNKNOWN);
}

/* ---- addresses ------------------------------------------------------------- */

static const char *addr(const char *spec)
{
    static char text[80];
    struct sockaddr_storage ss;
    socklen_t len;
    if (http_parse_addr(spec, &ss, &len))
        return "bad";
    char h[INET6_ADDRSTRLEN];
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        snprintf(text, sizeof text, "[%s]:%u", inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h),
                 ntohs(a->sin6_port));
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        snprintf(text, sizeof text, "%s:%u", inet_ntop(AF_INET, &a->sin_addr, h, sizeof h),
                 ntohs(a->sin_port));
    }
    return text;
}

static void addresses(void **state)
{
    assert_string_equal(addr("127.0.0.1:6060"), "127.0.0.1:6060");
    assert_string_equal(addr(":6060"), "127.0.0.1:6060");
    assert_string_equal(addr("6060"), "127.0.0.1:6060");
    assert_string_equal(addr("localhost:0"), "127.0.0.1:0");
    assert_string_equal(addr("[::1]:80"), "[::1]:80");
    assert_string_equal(addr("0.0.0.0:1"), "0.0.0.0:1");
    const char *bad[] = {"", ":", "x:1", "::1:80", "[::1]", "[::1]80", "1.2.3:4", "1.2.3.4:65536",
                         "1.2.3.4:-1", "1.2.3.4:1 ", "[nothex]:1", "example.com:80", "[]:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(addr(bad[i]), "bad");
}

/* ---- request heads ------------------------------------------------------------ */

/* The parse of a NUL-terminated head: its status, and for 0 "METHOD PATH
 * QUERY SECONDS" ("-" for no query). */
static const char *head(const char *text)
{
    static char out[256];
    http_request r;
    int code = http_request_parse(text, strlen(text), &r);
    if (code)
        snprintf(out, sizeof out, "%d", code);
    else
        snprintf(out, sizeof out, "%.*s %.*s %.*s %d", (int)r.mlen, r.method, (int)r.plen,
                 r.path, r.query ? (int)r.qlen : 1, r.query ? r.query : "-", r.seconds);
    return out;
}

static void requests(void **state)
{
    assert_string_equal(head("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "GET / - 0");
    assert_string_equal(head("GET /metrics HTTP/1.0\n\n"), "GET /metrics - 0");
    assert_string_equal(head("POST /debug/pprof/symbol HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"),
                        "POST /debug/pprof/symbol - 0");
    assert_string_equal(head("GET /debug/pprof/allocs?seconds=30 HTTP/1.1\r\n\r\n"),
                        "GET /debug/pprof/allocs seconds=30 30");
    assert_string_equal(head("GET /debug/pprof/heap?gc=1&seconds=0300& HTTP/1.1\r\n\r\n"),
                        "GET /debug/pprof/heap gc=1&seconds=0300& 300");
    assert_string_equal(head("GET /? HTTP/1.1\r\n\r\n"), "GET /  0"); /* an empty query */
    /* Empty lines before the request line are ignored (RFC 9112, 2.2). */
    assert_string_equal(head("\r\nGET / HTTP/1.1\r\n\r\n"), "GET / - 0");
    assert_string_equal(head("\n\r\n\nGET /metrics HTTP/1.0\n\n"), "GET /metrics - 0");
    /* ?seconds= as Go's FormValue reads it: the first one counts, empty is
     * absent, percent-decoded ('+' a space), a pair with a bad escape or a
     * ';' skipped; then strconv.ParseInt, which takes a sign. */
    const struct { const char *query; int secs; } go[] = {
        {"seconds=1&seconds=2", 1}, {"seconds=&seconds=5", 0}, {"seconds", 0},
        {"seconds=%33%30", 30}, {"second%73=7", 7}, {"seconds=%2B5", 5},
        {"seconds=%zz&seconds=5", 5}, {"seconds%=1&seconds=6", 6}, {"seconds=5;&seconds=6", 6},
        {"seconds=1&seconds=0", 1}, {"seconds=0&seconds=1", -1}, {"x=%&seconds=4", 4},
        {"seconds=+5", -1}, {"seconds=%2D1", -1}, {"seconds=%2B", -1}, {"seconds=%2B%2B1", -1},
        {"seconds=000000000000000000000000000007", 7}, {"Seconds=5", 0}, {"seconds=%205", -1}};
    for (size_t i = 0; i < sizeof go / sizeof go[0]; i++) {
        char text[160], want[160];
        snprintf(text, sizeof text, "GET /a?%s HTTP/1.1\n\n", go[i].query);
        snprintf(want, sizeof want, "GET /a %s %d", go[i].query, go[i].secs);
        assert_string_equal(head(text), want);
    }
    const char *bad_seconds[] = {"0", "301", "-1", "-0", "1x", "x", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad_seconds / sizeof bad_seconds[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "GET /a?b=1&seconds=%s&seconds=5 HTTP/1.1\n\n",
                 bad_seconds[i]);
        assert_string_equal(strrchr(head(text), ' '), " -1");
    }
    /* Not complete yet, then the answers to what is wrong. */
    assert_string_equal(head(""), "1");
    assert_string_equal(head("\r\n\r"), "1");
    assert_string_equal(head("GET /metrics HTTP/1.1\r"), "1");
    assert_string_equal(head("GET /metrics HTTP/1.1\r\nHost: x\r\n\r"), "1");
    assert_string_equal(head("GET /metrics HTTP/1.1\r\nHost: x\r"), "1");
    assert_string_equal(head("GET /metrics HTTP/1.1\r\nHo"), "1");
    assert_string_equal(head("GET /metrics HTTP/9.9\r\n\r\n"), "505");
    assert_string_equal(head("GET /metrics HTTP/2"), "1"); /* 505 once the line ends */
    const char *bad[] = {"garbage\r\n", "GET metrics HTTP/1.1\r\n", "GET http://x/ HTTP/1.1\r\n",
                         "GET  / HTTP/1.1\r\n", "get / http/1.1\r\n", "GET /a\x01 HTTP/1.1\r\n",
                         "\r\rGET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nA : b\r\n\r\n",
                         "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
                         "GET / HTTP/1.1\r\nA: \x7f\r\n\r\n",
                         /* a header line no ending can make valid: answered at once */
                         "GET / HTTP/1.1\r\nA b", "GET / HTTP/1.1\r\nHost\r",
                         "GET / HTTP/1.1\r\nA: b\rc",
                         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}; /* a method over 32 bytes */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(head(bad[i]), "400");
    /* A request line without its LF in HTTP_LINE_MAX bytes. */
    static char big[HTTP_LINE_MAX + 2];
    memset(big, 'a', HTTP_LINE_MAX + 1);
    memcpy(big, "GET /", 5);
    assert_string_equal(head(big), "400");
}

/* The request line "GET TARGET HTTP/1.1": its status, and for 0 the path
 * as routed (decoded, a NUL shown as "\\0"), whether the path is
 * "/debug/pprof/heap" by http_request_path_is, ?seconds= and ?debug=. */
static const char *target(const char *t)
{
    static char out[300];
    char text[200], path[64];
    http_request r;
    snprintf(text, sizeof text, "GET %s HTTP/1.1\r\n\r\n", t);
    int code = http_request_parse(text, strlen(text), &r);
    if (code) {
        snprintf(out, sizeof out, "%d %s", code, r.why);
        return out;
    }
    size_t n = http_request_path(&r, path, sizeof path), o = 0;
    assert_true(n < sizeof path);
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, path[i] ? "%c" : "\\0", path[i]);
    snprintf(out + o, sizeof out - o, " %d %d %d", http_request_path_is(&r, "/debug/pprof/heap"),
             r.seconds, r.debug);
    return out;
}

/* Paths are %-decoded before routing, as Go's net/http decodes them
 * (url.ParseRequestURI); a bad escape is 400, as there. */
static void request_paths(void **state)
{
    assert_string_equal(target("/debug/pprof/heap"), "/debug/pprof/heap 1 0 0");
    assert_string_equal(target("/debug/pprof/%68eap"), "/debug/pprof/heap 1 0 0");
    assert_string_equal(target("/%64%65%62%75%67/pprof/h%65%61%70"), "/debug/pprof/heap 1 0 0");
    assert_string_equal(target("/debug/pprof/HEAP"), "/debug/pprof/HEAP 0 0 0");
    assert_string_equal(target("/debug/pprof/%48EAP"), "/debug/pprof/HEAP 0 0 0");
    /* Go serves /debug/pprof%2Fheap as the heap profile: its ServeMux
     * routes the decoded path.  A NUL matches no route: 404 there too. */
    assert_string_equal(target("/debug/pprof%2Fheap"), "/debug/pprof/heap 1 0 0");
    assert_string_equal(target("/debug/pprof%2fheap"), "/debug/pprof/heap 1 0 0");
    assert_string_equal(target("/debug/pprof/heap%00"), "/debug/pprof/heap\\0 0 0 0");
    assert_string_equal(target("/a%25b"), "/a%b 0 0 0"); /* decoded once */
    assert_string_equal(target("/a+b"), "/a+b 0 0 0");   /* '+' is a space in queries only */
    /* The query is cut off first: an escaped '?' stays in the path. */
    assert_string_equal(target("/debug/pprof/heap%3Fseconds=5"), "/debug/pprof/heap?seconds=5 0 0 0");
    assert_string_equal(target("/debug/pprof/h%65ap?seconds=5"), "/debug/pprof/heap 1 5 0");
    /* Query escapes are FormValue's business (a bad one skips its pair),
     * not the path's. */
    assert_string_equal(target("/debug/pprof/heap?x=%zz"), "/debug/pprof/heap 1 0 0");
    const char *bad[] = {"/debug/pprof/heap%", "/debug/pprof/heap%4", "/debug/pprof/heap%zz",
                         "/%g0", "/%0g", "/a%?x", "/a%4?x", "/%%41"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(target(bad[i]), "400 malformed %-escape in the path");
    /* Not yet known to be bad: the escape's digits may follow. */
    assert_int_equal(http_request_parse("GET /a%", 7, &(http_request){0}), HTTP_REQUEST_MORE);
    assert_int_equal(http_request_parse("GET /a%4", 8, &(http_request){0}), HTTP_REQUEST_MORE);
    assert_int_equal(http_request_parse("GET /a%4 ", 9, &(http_request){0}), 400);
    /* The first thing wrong on the line is the answer, however much of it
     * has come: the escape before the byte that breaks the target. */
    assert_string_equal(target("/a%zz\x01"), "400 malformed %-escape in the path");
}

/* ?debug= as Go's handler reads it: strconv.Atoi of FormValue("debug"),
 * its error ignored, compared with 0 (text for debug=1, 2, -1). */
static void request_debug(void **state)
{
    const struct { const char *query; int debug; } go[] = {
        {"debug=1", 1}, {"debug=2", 1}, {"debug=-1", 1}, {"debug=%31", 1}, {"debug=%2B1", 1},
        {"debug=99999999999999999999", 1}, {"debug=007", 1}, {"debug=0", 0}, {"debug=-0", 0},
        {"debug=000", 0}, {"debug=", 0}, {"debug", 0}, {"debug=+1", 0} /* '+' is a space */,
        {"debug=x", 0}, {"debug=1x", 0}, {"debug=1.0", 0}, {"debug=1_0", 0}, {"Debug=1", 0},
        {"debug=0&debug=1", 0}, {"debug=%zz&debug=1", 1}, {"debug=1;&debug=0", 0},
        {"de%62ug=1", 1}, {"seconds=5&debug=1", 1}};
    for (size_t i = 0; i < sizeof go / sizeof go[0]; i++) {
        char t[100], want[100];
        snprintf(t, sizeof t, "/debug/pprof/heap?%s", go[i].query);
        snprintf(want, sizeof want, "/debug/pprof/heap 1 %d %d",
                 strstr(go[i].query, "seconds=5") ? 5 : 0, go[i].debug);
        assert_string_equal(target(t), want);
    }
}

/* The answer to text fed to an http_head in reads of `step` bytes (as many
 * as it has room for when less), as head() says it, with the head's length
 * for 0. */
static const char *fed(const char *text, size_t len, size_t step)
{
    static http_head h;
    static char out[300];
    http_request r;
    http_head_init(&h, HTTP_HEAD_MAX);
    int code = HTTP_REQUEST_MORE;
    for (size_t got = 0; got < len && code == HTTP_REQUEST_MORE;) {
        size_t room = http_head_room(&h), n = len - got < step ? len - got : step;
        assert_true(room > 0);
        n = n < room ? n : room;
        memcpy(h.buf + h.len, text + got, n);
        got += n;
        code = http_head_feed(&h, n, &r);
        assert_true(h.len <= HTTP_HEAD_BUF);
    }
    if (code)
        snprintf(out, sizeof out, "%d", code);
    else
        snprintf(out, sizeof out, "%.*s %.*s %d %zu", (int)r.mlen, r.method, (int)r.plen, r.path,
                 r.seconds, r.head_len);
    return out;
}

/* Heads far over the 12 KiB buffer: a browser's Cookie line, many header
 * lines, up to HTTP_HEAD_MAX and one byte over. */
static void large_heads(void **state)
{
    static char text[HTTP_HEAD_MAX + 64];
    const char *line = "GET /debug/pprof/heap?seconds=9 HTTP/1.1\r\n";
    size_t steps[] = {1, 7, 1000, 4096, HTTP_HEAD_MAX};
    char want[100];
    /* One Cookie line of 200 KiB, then 3000 short lines. */
    size_t n = (size_t)sprintf(text, "%sCookie: ", line);
    for (size_t i = 0; i < 200 * 1024; i++)
        text[n++] = "a=b; "[i % 5];
    n += (size_t)sprintf(text + n, "\r\n");
    for (int i = 0; i < 3000; i++)
        n += (size_t)sprintf(text + n, "X-%d: %d\t:\r\n", i, i);
    n += (size_t)sprintf(text + n, "\r\nbody");
    snprintf(want, sizeof want, "GET /debug/pprof/heap 9 %zu", n - 4);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        assert_string_equal(fed(text, n, steps[i]), want);
    /* A head of exactly HTTP_HEAD_MAX bytes, with a leading empty line;
     * then one byte longer. */
    for (size_t extra = 0; extra < 2; extra++) {
        n = (size_t)sprintf(text, "\r\n%sA: ", line);
        size_t fill = HTTP_HEAD_MAX + extra - n - 4;
        memset(text + n, 'v', fill);
        memcpy(text + n + fill, "\r\n\r\n", 4);
        n += fill + 4;
        snprintf(want, sizeof want, "GET /debug/pprof/heap 9 %d", HTTP_HEAD_MAX);
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
            assert_string_equal(fed(text, n, steps[i]), extra ? "431" : want);
    }
    /* A bad line far in: 400, not 431. */
    n = (size_t)sprintf(text, "%s", line);
    for (int i = 0; i < 20000; i++)
        n += (size_t)sprintf(text + n, "X-%d: y\r\n", i);
    n += (size_t)sprintf(text + n, "Bad line\r\n\r\n");
    assert_string_equal(fed(text, n, 4096), "400");
    assert_string_equal(fed(text, n, 1), "400");
}

/* ---- the clean path (Go's ServeMux redirect) ------------------------------- */

/* Go's cleanPath of each input.  The inputs are those of Go's own
 * path.Clean tests (src/path/path_test.go), which cleanPath roots ("abc"
 * is "/abc", ".." at the root is the root) and whose '/' at the end it
 * keeps; then the paths users type, and the corners of "." and "..".
 * Every answer was checked against Go 1.19's cleanPath. */
static const struct { const char *in, *out; } clean_cases[] = {
    /* already clean, once rooted */
    {"", "/"}, {"abc", "/abc"}, {"abc/def", "/abc/def"}, {"a/b/c", "/a/b/c"}, {".", "/"},
    {"..", "/"}, {"../..", "/"}, {"../../abc", "/abc"}, {"/abc", "/abc"}, {"/", "/"},
    /* a '/' at the end: kept */
    {"abc/", "/abc/"}, {"abc/def/", "/abc/def/"}, {"a/b/c/", "/a/b/c/"}, {"./", "/"},
    {"../", "/"}, {"../../", "/"}, {"/abc/", "/abc/"},
    /* doubled slashes */
    {"abc//def//ghi", "/abc/def/ghi"}, {"//abc", "/abc"}, {"///abc", "/abc"},
    {"//abc//", "/abc/"}, {"abc//", "/abc/"}, {"//", "/"}, {"///", "/"}, {"/a//", "/a/"},
    /* "." elements */
    {"abc/./def", "/abc/def"}, {"/./abc/def", "/abc/def"}, {"abc/.", "/abc"},
    {"/a/b/./", "/a/b/"}, {"/a/b/.", "/a/b"}, {"/./", "/"}, {"/.", "/"},
    /* ".." elements, at the root staying there */
    {"abc/def/ghi/../jkl", "/abc/def/jkl"}, {"abc/def/../ghi/../jkl", "/abc/jkl"},
    {"abc/def/..", "/abc"}, {"abc/def/../..", "/"}, {"/abc/def/../..", "/"},
    {"abc/def/../../..", "/"}, {"/abc/def/../../..", "/"},
    {"abc/def/../../../ghi/jkl/../../../mno", "/mno"}, {"/a/b/..", "/a"}, {"/a/b/../", "/a/"},
    {"/..", "/"}, {"/../", "/"}, {"/../metrics", "/metrics"},
    /* combinations */
    {"abc/./../def", "/def"}, {"abc//./../def", "/def"}, {"abc/../../././../def", "/def"},
    /* what users type */
    {"//debug//pprof/heap", "/debug/pprof/heap"}, {"/debug/pprof/./heap", "/debug/pprof/heap"},
    {"/a/../metrics", "/metrics"}, {"/debug/pprof//", "/debug/pprof/"},
    {"/debug/pprof/", "/debug/pprof/"}, {"/debug/pprof/../../../metrics/", "/metrics/"},
    /* dots that are names */
    {"/...", "/..."}, {"/.../", "/.../"}, {"/.a/..b/a./b../", "/.a/..b/a./b../"},
    {"/.../../x", "/x"},
};

static void clean_paths(void **state)
{
    for (size_t i = 0; i < sizeof clean_cases / sizeof clean_cases[0]; i++) {
        const char *in = clean_cases[i].in, *want = clean_cases[i].out;
        size_t n = strlen(in);
        char out[128], again[128], inplace[128];
        memset(out, '#', sizeof out);
        size_t m = http_path_clean(in, n, out);
        assert_true(m <= n + 1);
        assert_true(out[n + 1] == '#'); /* nothing written past n + 1 bytes */
        out[m] = '\0';
        if (strcmp(out, want))
            fail_msg("clean(\"%s\") = \"%s\", want \"%s\"", in, out, want);
        assert_int_equal(http_path_clean(out, m, again), m); /* idempotent */
        assert_memory_equal(again, out, m);
        if (in[0] == '/') { /* in place, as http_request_clean does it */
            memcpy(inplace, in, n);
            assert_int_equal(http_path_clean(inplace, n, inplace), m);
            assert_memory_equal(inplace, out, m);
            assert_true((m == n) == !strcmp(in, want)); /* same length: unchanged */
        }
    }
    /* A NUL is a byte of its element like any other. */
    char out[16];
    assert_int_equal(http_path_clean("/a\0/../b", 8, out), 2);
    assert_memory_equal(out, "/b", 2);
    assert_int_equal(http_path_clean("/\0//", 4, out), 3);
    assert_memory_equal(out, "/\0/", 3);
}

/* The target of "GET TARGET HTTP/1.1" decoded and cleaned as
 * http_answer.c routes it: "-" when clean (served as it is), else the
 * clean path and the Location of Go's redirect. */
static const char *moved(const char *t)
{
    static char out[400];
    static char clean[HTTP_LINE_MAX];
    char text[200], loc[300];
    http_request r;
    int mv = -1;
    snprintf(text, sizeof text, "GET %s HTTP/1.1\r\n\r\n", t);
    assert_int_equal(http_request_parse(text, strlen(text), &r), 0);
    size_t m = http_request_clean(&r, clean, &mv);
    assert_true(mv == 0 || mv == 1);
    if (!mv)
        return "-";
    size_t n = http_location(clean, m, r.query, r.qlen, loc, sizeof loc);
    assert_true(n < sizeof loc);
    snprintf(out, sizeof out, "%.*s", (int)n, loc);
    return out;
}

/* Go (1.19, and later ones with GODEBUG=httpmuxgo121=1) cleans the decoded
 * path, and writes the Location as url.URL.String escapes that path, the
 * query as sent: each answer here is what Go answered. */
static void request_clean(void **state)
{
    assert_string_equal(moved("/debug/pprof/heap"), "-");
    assert_string_equal(moved("/debug/pprof/"), "-");
    assert_string_equal(moved("/"), "-");
    assert_string_equal(moved("/metrics/"), "-");       /* clean: 404, not moved */
    assert_string_equal(moved("/%6detrics"), "-");      /* decoded, it is clean */
    assert_string_equal(moved("/a%2Fb"), "-");
    assert_string_equal(moved("/..."), "-");
    assert_string_equal(moved("//debug//pprof/heap"), "/debug/pprof/heap");
    assert_string_equal(moved("/debug/pprof/./heap"), "/debug/pprof/heap");
    assert_string_equal(moved("/a/../metrics"), "/metrics");
    assert_string_equal(moved("/../metrics"), "/metrics");
    assert_string_equal(moved("/debug/pprof//"), "/debug/pprof/");
    assert_string_equal(moved("/./"), "/");
    assert_string_equal(moved("/metrics/."), "/metrics");
    assert_string_equal(moved("/metrics/.."), "/");
    /* the query kept as sent; "?" with nothing after it is dropped */
    assert_string_equal(moved("//debug/pprof/heap?seconds=5&debug=%31"),
                        "/debug/pprof/heap?seconds=5&debug=%31");
    assert_string_equal(moved("/a/../metrics?x=\"<>'"), "/metrics?x=\"<>'");
    assert_string_equal(moved("//metrics?"), "/metrics");
    /* escapes decoded first: "%2e%2e" is "..", "%2F" a '/' */
    assert_string_equal(moved("/%2e%2e/metrics"), "/metrics");
    assert_string_equal(moved("/%2E"), "/");
    assert_string_equal(moved("/debug/pprof%2F..%2F..%2Fmetrics"), "/metrics");
    assert_string_equal(moved("/%00/../metrics"), "/metrics");
    /* and escaped again in the Location: no CR, LF, space, NUL, '?' or
     * '#' of the decoded path reaches the header as itself */
    assert_string_equal(moved("/%0d%0aSet-Cookie:%20x//"), "/%0D%0ASet-Cookie:%20x/");
    assert_string_equal(moved("/%0A/."), "/%0A");
    assert_string_equal(moved("/x%3F/./y"), "/x%3F/y");
    assert_string_equal(moved("/a#b//c"), "/a%23b/c");
    assert_string_equal(moved("/%20//"), "/%20/");
    assert_string_equal(moved("/%25//"), "/%25/");
    assert_string_equal(moved("/%c3%a9//x"), "/%C3%A9/x");
    assert_string_equal(moved("/!*'()$&+,;=:@~-_.//x"), "/%21%2A%27%28%29$&+,;=:@~-_./x");
}

/* http_location on every byte: only the bytes Go leaves alone pass. */
static void locations(void **state)
{
    char p[256], out[3 * 256 + 8];
    for (int c = 0; c < 256; c++)
        p[c] = (char)c;
    size_t n = http_location(p, 256, "a=1", 3, out, sizeof out);
    assert_true(n <= sizeof out);
    const char *safe = "-_.~$&+,/:;=@";
    size_t o = 0;
    for (int c = 0; c < 256; c++) {
        char want[4];
        if (isalnum(c) && c < 0x80)
            snprintf(want, sizeof want, "%c", c);
        else if (c && strchr(safe, c))
            snprintf(want, sizeof want, "%c", c);
        else
            snprintf(want, sizeof want, "%%%02X", c);
        assert_memory_equal(out + o, want, strlen(want));
        o += strlen(want);
    }
    assert_int_equal(n, o + 4);
    assert_memory_equal(out + o, "?a=1", 4);
    /* Too small a buffer: the length all the same, nothing past cap. */
    char small[6] = "#####";
    assert_int_equal(http_location("/\r\n", 3, "q", 1, small, 4), 9);
    assert_memory_equal(small, "/%0D#", 5);
}

/* ---- metrics --------------------------------------------------------------- */

static void escaping(void **state)
{
    metrics_buf b = {0};
    metrics_escape_label(&b, "a\"b\\c\nd\xff\xc3\xa9\xed\xa0\x80z");
    assert_string_equal(b.p, "a\\\"b\\\\c\\nd?\xc3\xa9???z");
    metrics_buf_free(&b);
}

/* A sample as profiler.c records it (counted, then a live entry), and its
 * free unless it stays live (the entry removed: in use is the live
 * table's). */
static void add(const char *component, uint64_t pc, uint64_t bytes, int live)
{
    if (component)
        assert_int_equal(labels_push("component", component), 0);
    stack_rec *r = stacks_intern(&pc, 1, labels_current());
    assert_non_null(r);
    stack_sample x = stacks_weigh(bytes, 1.0);
    stacks_add_alloc(r, 0, &x);
    live_entry e = {.addr = 0x10000000 + pc * 64, .size = bytes, .stack = r, .weight = 1.0f,
                    .stack_id = r->id};
    live_entry old;
    bool had_old;
    assert_int_equal(live_insert(&e, &old, &had_old), 0);
    if (!live)
        assert_true(live_remove(e.addr, &old));
    if (component)
        labels_pop();
}

/* Empty tables for a render, and no cgroup to read. */
static void render_setup(void)
{
    stacks_reset();
    labels_reset();
    live_reset();
    metrics_reset();
    assert_int_equal(stacks_init(1000, 1ULL << 30), 0);
    assert_int_equal(live_init(1024, LIVE_SHIFT_MIN), 0);
    strcpy(cfg.cgroup, "/nonexistent");
}

/* Each of want[] somewhere in a render's text. */
static void expect_lines(const char *text, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strstr(text, want[i]))
            fail_msg("missing: %s\nin:\n%s", want[i], text);
}

static void render(void **state)
{
    render_setup();
    add("parser", 1, 100, 1);
    add("parser", 2, 50, 0);
    add(NULL, 3, 7, 1);
    add("sink", 4, 30, 1);
    metrics_buf b = {0};
    assert_int_equal(metrics_render(&b), 0);
    const char *want[] = {
        "heapprof_allocated_bytes_total 187\n",
        "heapprof_deallocated_bytes_total 50\n",
        "heapprof_live_bytes 137\n",
        "heapprof_live_objects 3\n",
        "component_allocated_bytes{component=\"parser\"} 100\n",
        "component_allocated_bytes{component=\"root\"} 7\n",
        "component_allocated_bytes_total{component=\"parser\"} 150\n",
        "component_deallocated_bytes_total{component=\"parser\"} 50\n",
        "component_deallocated_objects_total{component=\"parser\"} 1\n",
        "component_allocated_bytes{component=\"sink\"} 30\n",
        "heapprof_profiles_written_total 7\n",
        "# TYPE heapprof_live_bytes gauge\n",
        "# TYPE component_allocated_bytes_total counter\n",
    };
    expect_lines(b.p, want, sizeof want / sizeof want[0]);
    /* No cgroup there: its families are left out, not shown as 0. */
    assert_null(strstr(b.p, "heapprof_cgroup_"));
    metrics_buf_free(&b);
}

/* Names that differ only in bytes that are not UTF-8 show alike ('?'):
 * one series each, their sums, never the same label set twice in a scrape
 * (Prometheus keeps the first sample of a series repeated). */
static void render_alike(void **state)
{
    render_setup();
    add("a\xff", 1, 100, 1);
    add("a\xfe", 2, 20, 1);
    add("a?", 3, 3, 0);
    add("a\xc3\xa9", 4, 4000, 1); /* valid UTF-8: a name of its own */
    metrics_buf b = {0};
    assert_int_equal(metrics_render(&b), 0);
    const char *want[] = {
        "\ncomponent_allocated_bytes{component=\"a?\"} 120\n",
        "\ncomponent_allocated_bytes_total{component=\"a?\"} 123\n",
        "\ncomponent_deallocated_bytes_total{component=\"a?\"} 3\n",
        "\ncomponent_allocated_bytes{component=\"a\xc3\xa9\"} 4000\n",
    };
    expect_lines(b.p, want, sizeof want / sizeof want[0]);
    const char *once = "\ncomponent_allocated_bytes{component=\"a?\"}", *p = strstr(b.p, once);
    if (strstr(p + 1, once))
        fail_msg("the series %s is there twice:\n%s", once + 1, b.p);
    metrics_buf_free(&b);
}

/* Scrapes while another thread samples (as profiler.c records: into the
 * live table, then counted) on 50 stacks and on new ones: with nothing
 * freed, deallocated never moves from where it stood, though the counts
 * and the table are read at different times; with frees, it never goes
 * down, and once the thread stops it reads exactly what was freed. */
enum { SAMPLER_BYTES = 100 };
static int sampler_stop, sampler_frees;
static uint64_t sampler_freed;

static void *sampler_thread(void *arg)
{
    stack_sample x = stacks_weigh(SAMPLER_BYTES, 1.0);
    uint64_t i = 0;
    for (; !__atomic_load_n(&sampler_stop, __ATOMIC_RELAXED) && i < 100000; i++) {
        uint64_t pc = i % 4 ? 0x7000 + i % 50 : 0x100000 + i; /* every 4th a new stack */
        stack_rec *r = stacks_intern(&pc, 1, 0);
        assert_non_null(r);
        live_entry e = {.addr = 0x20000000 + i * 64,
                        .size = SAMPLER_BYTES,
                        .stack = r,
                        .weight = 1.0f,
                        .stack_id = r->id};
        live_entry old;
        bool had;
        assert_int_equal(live_insert(&e, &old, &had), 0);
        stacks_add_alloc(r, 0, &x);
        if (sampler_frees && i % 2) { /* free the one before */
            assert_true(live_remove(e.addr - 64, &old));
            stacks_gone(1, SAMPLER_BYTES);
            __atomic_add_fetch(&sampler_freed, SAMPLER_BYTES, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

static uint64_t scrape_freed(void)
{
    metrics_buf b = {0};
    assert_int_equal(metrics_render(&b), 0);
    const char *k = "\nheapprof_deallocated_bytes_total ", *p = strstr(b.p, k);
    assert_non_null(p);
    uint64_t v = strtoull(p + strlen(k), NULL, 10);
    metrics_buf_free(&b);
    return v;
}

static void scrape_while_sampling(void **state)
{
    for (int frees = 0; frees < 2; frees++) {
        stacks_reset();
        live_reset();
        assert_int_equal(stacks_init(1 << 20, 1ULL << 30), 0);
        assert_int_equal(live_init(1 << 22, LIVE_SHIFT_MIN), 0);
        sampler_stop = 0;
        sampler_frees = frees;
        sampler_freed = 0;
        metrics_reset();
        uint64_t base = scrape_freed(), last = base;
        assert_int_equal(base, 0);
        pthread_t t;
        pthread_create(&t, NULL, sampler_thread, NULL);
        for (int k = 0; k < 1000; k++) {
            uint64_t f = scrape_freed();
            if (frees ? f < last : f != base)
                fail_msg("scrape %d: deallocated %llu after %llu (base %llu, frees %d)", k,
                         (unsigned long long)f, (unsigned long long)last,
                         (unsigned long long)base, frees);
            last = f;
        }
        __atomic_store_n(&sampler_stop, 1, __ATOMIC_RELAXED);
        pthread_join(t, NULL);
        assert_int_equal(scrape_freed(), sampler_freed);
    }
}

/* http_body.h's directories where memfd_create is refused: $TMPDIR as it
 * was at start, absolute, its trailing slashes dropped, left out where it
 * is /dev/shm or /tmp (tried anyway) or relative (the program's chdir
 * would move it); and a file made there from `from` on, unlinked. */
static void body_dirs(void **state)
{
    (void)state;
    static const struct { const char *tmpdir, *want; } t[] = {
        {"/var/tmp", "/var/tmp"}, {"/var/tmp//", "/var/tmp"}, {"/tmp", NULL},
        {"/tmp/", NULL},          {"/dev/shm", NULL},         {"tmp", NULL},
        {"", NULL},               {"/", "/"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        setenv("TMPDIR", t[i].tmpdir, 1);
        http_body_init();
        const char *d = http_body_dir(1);
        if (t[i].want ? !d || strcmp(d, t[i].want) : d != NULL)
            fail_msg("TMPDIR=\"%s\": directory %s, expected %s", t[i].tmpdir, d ? d : "none",
                     t[i].want ? t[i].want : "none");
    }
    unsetenv("TMPDIR");
    http_body_init();
    assert_string_equal(http_body_dir(0), "/dev/shm");
    assert_null(http_body_dir(1));
    assert_string_equal(http_body_dir(2), "/tmp");
    assert_null(http_body_dir(3));
    int at = -5, fd = http_body_file(2, &at, NULL);
    assert_true(fd >= 0);
    assert_int_equal(at, 2);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_nlink, 0); /* nothing left in /tmp */
    assert_int_equal(st.st_mode & 0777, 0600);
    close(fd);
    assert_int_equal(http_body_file(3, &at, NULL), -1);
    assert_int_equal(at, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(find_dir), cmocka_unit_test(values), cmocka_unit_test(addresses),
        cmocka_unit_test(requests), cmocka_unit_test(request_paths),
        cmocka_unit_test(request_debug), cmocka_unit_test(large_heads),
        cmocka_unit_test(clean_paths), cmocka_unit_test(request_clean),
        cmocka_unit_test(locations), cmocka_unit_test(body_dirs),
        cmocka_unit_test(escaping), cmocka_unit_test(render), cmocka_unit_test(render_alike),
        cmocka_unit_test(scrape_while_sampling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
