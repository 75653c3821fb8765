/*
 * http_body.c - see http_body.h.
 *
 * Data, all the server thread's: whether memfd_create was refused for
 * good (memfd_refused, with its errno), the directories tried instead
 * (dirs: /dev/shm, $TMPDIR as it was at start, /tmp), those whose file
 * system has no unnamed files (no_tmpfile, a bit each), those not used
 * any more (gone: a file made there may be left, not unlinked), whether the
 * last file made had a name, what the request in progress met (why:
 * memfd_create's errno and each directory's, for the 500 and the line),
 * and which of the two stderr lines were said.  A fork child copies it
 * all; it serves no HTTP (http.c).
 */
#define _GNU_SOURCE
#include "http_body.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"
#include "tmpfile.h"

enum { TMPDIR_SLOT = 1, NDIRS = 3 };
static const char name_tail[] = "/heapprof-http-XXXXXX"; /* mkostemp's */
static char tmpdir[PATH_MAX];

void http_body_init(void)
{
    /* secure_getenv: a set-user-ID program's caller does not choose
     * where its profiles go. */
    const char *t = secure_getenv("TMPDIR");
    size_t n = t ? strlen(t) : 0;
    while (n > 1 && t[n - 1] == '/')
        n--;
    tmpdir[0] = '\0';
    if (!n || t[0] != '/' || n + sizeof name_tail > sizeof tmpdir)
        return; /* relative (the program's chdir moves it), or too long: not tried */
    memcpy(tmpdir, t, n);
    tmpdir[n] = '\0';
    if (!strcmp(tmpdir, "/dev/shm") || !strcmp(tmpdir, "/tmp"))
        tmpdir[0] = '\0'; /* tried anyway, once is enough */
}

const char *http_body_dir(int at)
{
    static const char *const fixed[NDIRS] = {"/dev/shm", NULL, "/tmp"};
    if (at < 0 || at >= NDIRS)
        return NULL;
    return at == TMPDIR_SLOT ? (tmpdir[0] ? tmpdir : NULL) : fixed[at];
}

static bool memfd_refused;
static int memfd_err;
static unsigned no_tmpfile;
static int gone[NDIRS];   /* why a directory is not used any more, or 0 */
static void (*opened)(int fd); /* http_body_file's, for the call in progress */
static bool last_named;   /* the last file made had a name (mkostemp) */
/* The request in progress: memfd_create's errno at [0], directory i's at
 * [1 + i]; 0 where nothing failed (or nothing was tried). */
static int why[1 + NDIRS];
enum { SAID_FILE = 1, SAID_NONE = 2 };
static int said;

/* memfd_create's answers that will not change in this process: a seccomp
 * filter (EPERM, EACCES, ENOSYS; which no process can lift), a kernel
 * before 3.17 (ENOSYS), or one that takes none of its flags (EINVAL).
 * EMFILE, ENFILE and ENOMEM pass: the fallback serves that request only. */
static bool memfd_refusal(int err)
{
    return err == EPERM || err == EACCES || err == ENOSYS || err == EINVAL;
}

int http_body_memfd(void)
{
    memset(why, 0, sizeof why);
    if (memfd_refused) {
        errno = why[0] = memfd_err;
        return -1;
    }
    int fd = memfd_create("heapprof-http", MFD_CLOEXEC);
    if (fd >= 0)
        return fd;
    why[0] = errno;
    if (memfd_refusal(why[0])) {
        memfd_refused = true;
        memfd_err = why[0];
    }
    return -1;
}

/* A file made by name in directory i and unlinked at once, where its file
 * system has no unnamed files; -1 (errno).  The name must be gone with
 * the unlink, or the profile would be left on disk, readable by whoever
 * can reach that name: where the unlink fails, or the file is still
 * linked after it (its name swapped meanwhile, in a shared directory
 * without the sticky bit, and another file removed), it is closed.  A
 * failed unlink is tried again once the file is closed (a file system
 * that refuses to remove an open file: CIFS without POSIX extensions,
 * EBUSY); where that works, nothing was left, and the directory is tried
 * again at the next request (the refusal may have passed; on CIFS each
 * request makes and removes one empty file there).  Where it fails too,
 * or the file was moved, one empty file may be left there: that
 * directory is not used again, so never more than one. */
static int mkostemp_unlinked(int i)
{
    static char name[sizeof tmpdir + sizeof name_tail]; /* the server thread's */
    snprintf(name, sizeof name, "%s%s", http_body_dir(i), name_tail);
    int fd = fault_point(FAULT_IO) ? (errno = EIO, -1) : mkostemp(name, O_CLOEXEC);
    if (fd < 0)
        return -1;
    opened(fd);
    struct stat st;
    bool unlinked = !unlink(name);
    int err = !unlinked ? errno : fstat(fd, &st) ? errno : st.st_nlink ? EEXIST : 0;
    if (!err)
        return fd;
    opened(-1);
    close(fd);
    /* Only EBUSY's refusal may pass with the file closed: after another
     * failure (ENOENT: the name was moved, and what is there now may be
     * another's file) the directory is not used again. */
    if (unlinked || err != EBUSY || unlink(name))
        gone[i] = err;
    errno = err;
    return -1;
}

/* An unnamed file in directory i, or a named one unlinked at once where
 * its file system has none (remembered, not asked again); -1 (errno).
 * O_EXCL: the unnamed file can never be linked into the file system
 * (open(2)), not even through /proc/self/fd. */
static int open_in(int i)
{
    last_named = false;
    if (!(no_tmpfile & 1U << i)) {
        int fd = fault_open(http_body_dir(i), O_TMPFILE | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
            opened(fd);
        if (fd >= 0 || !tmpfile_refused(errno))
            return fd;
        if (tmpfile_unsupported(errno))
            no_tmpfile |= 1U << i;
    }
    last_named = true;
    return mkostemp_unlinked(i);
}

static void opened_none(int fd) { (void)fd; }

int http_body_file(int from, int *at, void (*seen)(int fd))
{
    int err = ENOENT;
    *at = -1;
    opened = seen ? seen : opened_none;
    for (int i = from < 0 ? 0 : from; i < NDIRS; i++) {
        if (!http_body_dir(i))
            continue;
        int fd = gone[i] ? (errno = gone[i], -1) : open_in(i);
        if (fd >= 0) {
            *at = i;
            return fd;
        }
        err = why[1 + i] = errno;
    }
    errno = err;
    return -1;
}

void http_body_failed(int at, int err)
{
    if (at >= -1 && at < NDIRS)
        why[1 + at] = err;
}

/* The request's failures into buf, "WHERE: ERROR; ...", memfd_create's
 * among them with memfd. */
static void reasons(char *buf, size_t len, bool memfd)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = memfd ? -1 : 0; i < NDIRS && n < len; i++) {
        if (!why[1 + i])
            continue;
        int k = snprintf(buf + n, len - n, "%s%s: %s", n ? "; " : "",
                         i < 0 ? "memfd_create" : http_body_dir(i), strerror(why[1 + i]));
        n = k < 0 ? len : n + (size_t)k;
    }
}

void http_body_why(char *buf, size_t len)
{
    char r[320];
    reasons(r, sizeof r, true);
    snprintf(buf, len, r[0] ? "cannot write the profile (%s)" : "cannot write the profile%s", r);
}

void http_body_written(int at)
{
    if (!memfd_refused || at < 0 || (said & SAID_FILE))
        return;
    /* On 0 (held back) the line is tried again at the next request. */
    if (log_line("memfd_create is refused (%s); the HTTP server renders profiles into %s in %s",
                 strerror(memfd_err),
                 last_named ? "files unlinked as soon as made" : "unnamed files",
                 http_body_dir(at)))
        said |= SAID_FILE;
}

void http_body_none(void)
{
    if (!memfd_refused || (said & SAID_NONE))
        return;
    char r[320];
    reasons(r, sizeof r, false);
    if (log_line("memfd_create is refused (%s), and no file in /dev/shm, $TMPDIR or /tmp takes a "
                 "profile either (%s); the HTTP server answers profile requests 500 while that "
                 "lasts",
                 strerror(memfd_err), r[0] ? r : strerror(ENOENT)))
        said |= SAID_NONE;
}
