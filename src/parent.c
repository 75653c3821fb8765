/*
 * parent.c - see parent.h.
 *
 * A process that said a thing (its settings are wrong, it ignores a
 * signal, its profiles' directory cannot be written) leaves a mark in its
 * address space: a one-page PROT_NONE mapping of an empty memfd named for
 * the thing, for this library's build (own_tag) and for the file it was said to
 * (its stderr's device and inode), which its maps show as
 * "/memfd:NAME (deleted)", which a fork child inherits and which an exec
 * drops (the new image marks itself again, if the thing still holds).
 * Where memfd_create is refused (a container's seccomp profile: EPERM or
 * ENOSYS), the page is anonymous and named with PR_SET_VMA_ANON_NAME
 * (Linux 5.17, CONFIG_ANON_VMA_NAME), shown as "[anon:NAME]", inherited
 * and dropped alike.  /proc/PID/maps is searched for either.
 * /proc/PID/status's SigIgn is the mask of ignored signals, in hex, signal
 * n at bit n-1.  /proc/PID/environ is the
 * environment the parent's image started with, NUL-separated: what its
 * heapprof read.  Files are
 * read in fixed buffers: this runs at start-up, where nothing may allocate
 * (the first malloc of the process may be what started the profiler).
 */
#define _GNU_SOURCE
#include "parent.h"

#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdid.h"

#ifndef PR_SET_VMA /* <linux/prctl.h> before 5.17 */
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif
/* From CMake's project version: what a mark says of which heapprof said
 * the thing where this library has no GNU build ID (own_tag). */
#ifndef HEAPPROF_VERSION
#define HEAPPROF_VERSION "unknown"
#endif

enum { LINE_MAX_BYTES = 4096 + 256 }; /* a path of PATH_MAX and the fields before it */

/* A mark's whole name: PARENT_MARK_MAX, "-", the tag (TAG_MAX: own_tag),
 * and "-%llx-%llx" of 64-bit numbers.  An anonymous page's name is at
 * most 79 bytes (ANON_VMA_NAME_MAX_LEN, 80 with its NUL), a memfd's 249. */
enum { TAG_MAX = 8, FULL_MAX = PARENT_MARK_MAX + 1 + TAG_MAX + 34 };
_Static_assert(FULL_MAX <= 79, "mark names must fit PR_SET_VMA_ANON_NAME's 79 bytes: "
                               "a smaller PARENT_MARK_MAX");

/* This library's ELF header (GNU ld, gold and lld define the symbol);
 * weak: NULL where a linker does not (gold would give the load base).  Of
 * no known size: declared as the 64-byte header, the program headers read
 * past it were out of its bounds, and UBSan's object-size check stopped
 * the program at its first mark (a reviewer, session 49). */
extern const char __ehdr_start[] __attribute__((weak, visibility("hidden")));

/* Whether [at, at + len) lies in one of the loaded segments ph[0..n). */
static bool loaded(const ElfW(Phdr) *ph, int n, uintptr_t base, uintptr_t at, uintptr_t len)
{
    for (int i = 0; i < n; i++)
        if (ph[i].p_type == PT_LOAD && at >= base + ph[i].p_vaddr &&
            at - (base + ph[i].p_vaddr) <= ph[i].p_filesz &&
            len <= ph[i].p_filesz - (at - (base + ph[i].p_vaddr)))
            return true;
    return false;
}

/* Which heapprof says a thing, into tag: the first 4 bytes of this
 * library's GNU build ID in hex, else HEAPPROF_VERSION (cut to TAG_MAX).
 * Another build's rules of what is said, and when, may differ, and the
 * project's version is not bumped with every change of them: a mark that
 * named the version alone silenced a child of another build of the same
 * version (a reviewer, session 49).  Read from our own program headers in
 * memory: no lock, no system call (dl_iterate_phdr takes the loader's
 * lock, which the first malloc may run under). */
static void own_tag(char tag[TAG_MAX + 1])
{
    snprintf(tag, TAG_MAX + 1, "%s", HEAPPROF_VERSION);
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)(const void *)__ehdr_start;
    if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG))
        return;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(const void *)((const char *)eh + eh->e_phoff);
    uintptr_t base = 0;
    bool have_base = false;
    for (int i = 0; i < eh->e_phnum && !have_base; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
            base = (uintptr_t)eh - ph[i].p_vaddr; /* the header is the segment's first byte */
            have_base = true;
        }
    for (int i = 0; i < eh->e_phnum && have_base; i++) {
        if (ph[i].p_type != PT_NOTE)
            continue;
        uintptr_t align = ph[i].p_align == 8 ? 8 : 4, at = base + ph[i].p_vaddr;
        uintptr_t end = at + ph[i].p_filesz;
        if (!loaded(ph, eh->e_phnum, base, at, ph[i].p_filesz))
            continue; /* a linker's notes always are; read nothing that is not */
        while (at < end && end - at >= sizeof(ElfW(Nhdr))) { /* at: past end after padding */
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)at;
            uintptr_t name = at + sizeof *n;
            uintptr_t desc = (name + n->n_namesz + align - 1) & ~(align - 1);
            if (n->n_namesz > end - name || desc > end || n->n_descsz > end - desc)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                !memcmp((const void *)name, "GNU", 4) && n->n_descsz >= TAG_MAX / 2) {
                const unsigned char *id = (const unsigned char *)desc;
                for (size_t k = 0; k < TAG_MAX / 2; k++)
                    snprintf(tag + 2 * k, 3, "%02x", id[k]);
                return;
            }
            at = (desc + n->n_descsz + align - 1) & ~(align - 1);
        }
    }
}

typedef bool (*line_fn)(const char *line, size_t len, void *ctx); /* true: stop */

/* Each whole record of `path` (ended by `sep`) to fn, until it returns
 * true: then 1; 0 when none did, -1 when the file cannot be opened.
 * Records longer than the buffer are given to too_long, if any, and
 * otherwise skipped. */
static int each_record(const char *path, char sep, line_fn fn, void (*too_long)(void *),
                       void *ctx)
{
    fdid id; /* moved high like every file the profiler reads (fdid.h): a library
              * loaded before us may already run threads of its own */
    int fd = fdid_open(path, O_RDONLY | O_CLOEXEC, &id);
    if (fd < 0)
        return -1;
    char buf[LINE_MAX_BYTES];
    size_t have = 0;
    bool skipping = false, stopped = false;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t start = 0;
        for (char *nl; !stopped && (nl = memchr(buf + start, sep, have - start));) {
            size_t end = (size_t)(nl - buf);
            if (!skipping)
                stopped = fn(buf + start, end - start, ctx);
            skipping = false;
            start = end + 1;
        }
        if (stopped)
            break;
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == sizeof buf) { /* a record longer than the buffer: drop it */
            if (!skipping && too_long)
                too_long(ctx);
            have = 0;
            skipping = true;
        }
    }
    fdid_close(fd, &id);
    return stopped;
}

/* Whether fn stopped on a line of `path` (not when it cannot be read). */
static bool each_line(const char *path, line_fn fn, void *ctx)
{
    return each_record(path, '\n', fn, NULL, ctx) > 0;
}

typedef struct ignmask {
    unsigned long long mask;
    bool found;
} ignmask;

static bool sigign_line(const char *line, size_t len, void *ctx)
{
    ignmask *m = ctx;
    if (len < 8 || memcmp(line, "SigIgn:", 7))
        return false;
    char tmp[64];
    size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
    memcpy(tmp, line, n);
    tmp[n] = '\0';
    char *end;
    const char *hex = tmp + 7 + strspn(tmp + 7, " \t");
    m->mask = strtoull(hex, &end, 16);
    m->found = end != hex;
    return true;
}

static pid_t parent_pid(void)
{
    pid_t pp = getppid();
    return pp > 1 ? pp : 0; /* init or a subreaper's stand-in, or outside our PID namespace */
}

/* A mark's name as both of its kinds show it in /proc/PID/maps, the whole
 * last field of a line. */
typedef struct mark_want {
    char memfd[FULL_MAX + sizeof "/memfd: (deleted)"];
    char anon[FULL_MAX + sizeof "[anon:]"];
} mark_want;

static bool ends_field(const char *line, size_t len, const char *want)
{
    size_t wl = strlen(want);
    return len > wl && line[len - wl - 1] == ' ' && !memcmp(line + len - wl, want, wl);
}

static bool has_mark(const char *line, size_t len, void *ctx)
{
    const mark_want *w = ctx;
    return ends_field(line, len, w->memfd) || ends_field(line, len, w->anon);
}

/* name, this library's build (own_tag), then the device and inode of this
 * process's stderr now (0:0 for none): a mark says to which file the
 * thing was said.  Compared with the parent's stderr of now, a parent
 * that moved its own (`exec 2>log`) before starting a child made the
 * child silent on a file that was told nothing.  At most FULL_MAX bytes. */
static bool mark_name(char out[FULL_MAX + 1], const char *name)
{
    if (strlen(name) > PARENT_MARK_MAX)
        return false;
    fdid err = {0, 0};
    (void)fdid_take(2, &err);
    char tag[TAG_MAX + 1];
    own_tag(tag);
    snprintf(out, FULL_MAX + 1, "%s-%s-%llx-%llx", name, tag, (unsigned long long)err.dev,
             (unsigned long long)err.ino);
    return true;
}

bool parent_has_mark(const char *name)
{
    /* As parent_leave_mark: the program's errno stays as it was (an
     * unreadable maps, a closed stderr), whoever asks. */
    int saved_errno = errno;
    pid_t pp = parent_pid();
    char path[64], full[FULL_MAX + 1];
    mark_want want;
    bool found = false;
    if (pp && mark_name(full, name)) {
        snprintf(want.memfd, sizeof want.memfd, "/memfd:%s (deleted)", full);
        snprintf(want.anon, sizeof want.anon, "[anon:%s]", full);
        snprintf(path, sizeof path, "/proc/%d/maps", (int)pp);
        found = each_line(path, has_mark, &want);
    }
    errno = saved_errno;
    return found;
}

/* No ftruncate: nothing reads the page, PROT_NONE; the mapping holds the
 * file once its descriptor is closed.  The descriptor is moved high and
 * closed only while still ours, as every file heapprof opens where a
 * library loaded before it may already run threads (fdid.h). */
static void *memfd_mark(const char *full, size_t page)
{
    fdid id;
    int fd = memfd_create(full, MFD_CLOEXEC);
    if (fd < 0 || (fd = fdid_move_high(fd, &id)) < 0)
        return NULL;
    void *mark = mmap(NULL, page, PROT_NONE, MAP_PRIVATE, fd, 0);
    fdid_close(fd, &id);
    return mark == MAP_FAILED ? NULL : mark;
}

/* A page that its name alone marks.  A kernel without anonymous VMA names
 * says EINVAL: no mark. */
static void *anon_mark(const char *full, size_t page)
{
    void *mark = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mark == MAP_FAILED)
        return NULL;
    if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)mark, page, (unsigned long)full)) {
        munmap(mark, page);
        return NULL;
    }
    return mark;
}

void *parent_leave_mark(const char *name)
{
    /* A refused memfd_create is a way through here, not a fault: the
     * program's errno stays as it was, whichever way is taken (mark_name's
     * fstat of a closed stderr too). */
    int saved_errno = errno;
    char full[FULL_MAX + 1];
    if (!mark_name(full, name)) {
        errno = saved_errno;
        return NULL;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *mark = memfd_mark(full, page);
    if (!mark)
        mark = anon_mark(full, page);
    errno = saved_errno;
    return mark; /* NULL, no mark: each child says it again */
}

void parent_drop_mark(void *mark)
{
    if (mark)
        munmap(mark, (size_t)sysconf(_SC_PAGESIZE));
}

static void ignoring_mark(char buf[64], int sig) { snprintf(buf, 64, "heapprof-ignores-%d", sig); }

bool parent_said_ignoring(int sig)
{
    pid_t pp = parent_pid();
    if (sig < 1 || sig > 64 || !pp)
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pp);
    ignmask m = {0, false};
    each_line(path, sigign_line, &m);
    if (!m.found || !(m.mask >> (sig - 1) & 1))
        return false;
    char name[64];
    ignoring_mark(name, sig);
    return parent_has_mark(name);
}

void parent_mark_ignoring(int sig)
{
    char name[64];
    ignoring_mark(name, sig);
    (void)parent_leave_mark(name); /* never dropped: the signal stays ignored */
}

typedef struct envcmp {
    const char *prefix;
    size_t plen;
    char *const *envp;
    size_t matched; /* the parent's prefixed entries found among ours */
    bool differ;
} envcmp;

static bool prefixed(const char *e, size_t len, const envcmp *c)
{
    return len >= c->plen && !strncasecmp(e, c->prefix, c->plen);
}

static bool env_entry(const char *e, size_t len, void *ctx)
{
    envcmp *c = ctx;
    if (!prefixed(e, len, c))
        return false;
    for (char *const *o = c->envp; o && *o; o++)
        if (strlen(*o) == len && !memcmp(*o, e, len)) {
            c->matched++;
            return false;
        }
    c->differ = true;
    return true;
}

static void env_too_long(void *ctx)
{
    /* It may be one of ours, or one that differs: not the same, to be safe. */
    ((envcmp *)ctx)->differ = true;
}

bool parent_env_same(const char *prefix, char *const *envp)
{
    pid_t pp = parent_pid();
    if (!pp)
        return false;
    envcmp c = {prefix, strlen(prefix), envp, 0, false};
    size_t ours = 0;
    for (char *const *o = envp; o && *o; o++)
        ours += prefixed(*o, strlen(*o), &c);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pp);
    if (each_record(path, '\0', env_entry, env_too_long, &c) < 0)
        return false; /* unreadable: nothing is known to be the same */
    /* Our entries are distinct names, so as many matches as ours, none
     * differing, is the same set. */
    return !c.differ && c.matched == ours;
}

/* The whole of `path` into buf; its length, or -1 when it cannot be read or
 * does not fit. */
static ssize_t read_whole(const char *path, char *buf, size_t n)
{
    fdid id;
    int fd = fdid_open(path, O_RDONLY | O_CLOEXEC, &id);
    if (fd < 0)
        return -1;
    size_t have = 0;
    ssize_t r = 0;
    while (have < n && (r = read(fd, buf + have, n - have)) > 0)
        have += (size_t)r;
    char more;
    bool whole = r >= 0 && (have < n || read(fd, &more, 1) == 0); /* not an error, all of it */
    fdid_close(fd, &id);
    return whole ? (ssize_t)have : -1;
}

bool parent_same_cgroup(void)
{
    pid_t pp = parent_pid();
    if (!pp)
        return false;
    char path[64], ours[LINE_MAX_BYTES], theirs[LINE_MAX_BYTES];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pp);
    ssize_t a = read_whole("/proc/self/cgroup", ours, sizeof ours);
    ssize_t b = read_whole(path, theirs, sizeof theirs);
    return a >= 0 && a == b && !memcmp(ours, theirs, (size_t)a);
}
