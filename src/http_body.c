/*
 * http_body.c - see http_body.h.
 *
 * Data, all the server thread's: whether memfd_create was refused for
 * good (memfd_refused, with its errno), the directories tried instead
 * (dirs: /dev/shm, $TMPDIR as it was at start, /tmp), those whose file
 * system has no unnamed files (no_tmpfile, a bit each), what the last
 * call met (for the 500's body), and which of the two stderr lines were
 * said.  A fork child copies it all; it serves no HTTP (http.c).
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
#include <unistd.h>

#include "fault.h"
#include "log.h"

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
/* The last call: memfd_create's errno (0: not asked, or it worked), the
 * last directory that failed and why. */
static int why_memfd, why_dir = -1, why_err;
/* The first fallback file made after the refusal, for the line. */
static int used_dir = -1;
static bool used_named;
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

/* O_TMPFILE's answers where the file system has no unnamed files
 * (EOPNOTSUPP: NFS, vfat, some FUSE), the kernel is older than 3.11
 * (EISDIR: it opened the directory), or either says EINVAL (open(2)). */
static bool tmpfile_unsupported(int err)
{
    return err == EOPNOTSUPP || err == EISDIR || err == EINVAL;
}

static int mkostemp_unlinked(const char *dir, bool *named)
{
    static char name[sizeof tmpdir + sizeof name_tail]; /* the server thread's */
    *named = true;
    snprintf(name, sizeof name, "%s%s", dir, name_tail);
    int fd = fault_point(FAULT_IO) ? (errno = EIO, -1) : mkostemp(name, O_CLOEXEC);
    if (fd >= 0 && unlink(name)) { /* a file we cannot remove again is not left to grow */
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* An unnamed file in directory i, or a file there unlinked at once where
 * its file system has none (remembered, not asked again); -1 (errno). */
static int open_in(int i, bool *named)
{
    const char *dir = http_body_dir(i);
    *named = false;
    if (!(no_tmpfile & 1U << i)) {
        int fd = fault_open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0 || !tmpfile_unsupported(errno))
            return fd;
        no_tmpfile |= 1U << i;
    }
    return mkostemp_unlinked(dir, named);
}

int http_body_open(int from, int *at)
{
    *at = -1;
    why_memfd = 0;
    why_dir = -1;
    why_err = 0;
    if (from < 0 && !memfd_refused) {
        int fd = memfd_create("heapprof-http", MFD_CLOEXEC);
        if (fd >= 0)
            return fd;
        why_memfd = why_err = errno;
        if (memfd_refusal(why_memfd)) {
            memfd_refused = true;
            memfd_err = why_memfd;
        }
    } else if (from < 0) {
        why_memfd = memfd_err;
    }
    for (int i = from < 0 ? 0 : from; i < NDIRS; i++) {
        if (!http_body_dir(i))
            continue;
        bool named;
        int fd = open_in(i, &named);
        if (fd >= 0) {
            if (memfd_refused && used_dir < 0) {
                used_dir = i;
                used_named = named;
            }
            *at = i;
            return fd;
        }
        why_err = errno;
        why_dir = i;
    }
    errno = why_err ? why_err : ENOENT;
    return -1;
}

void http_body_why(char *buf, size_t len)
{
    const char *dir = http_body_dir(why_dir);
    if (why_memfd && dir)
        snprintf(buf, len, "cannot create a file for the profile (memfd_create: %s; %s: %s)",
                 strerror(why_memfd), dir, strerror(why_err));
    else if (dir)
        snprintf(buf, len, "cannot create a file for the profile (%s: %s)", dir,
                 strerror(why_err));
    else
        snprintf(buf, len, "cannot create a file for the profile (%s)",
                 strerror(why_err ? why_err : ENOENT));
}

void http_body_say(void)
{
    if (!memfd_refused)
        return;
    /* On 0 (held back) the line is tried again at the next request. */
    if (used_dir >= 0 && !(said & SAID_FILE)) {
        if (log_line("memfd_create is refused (%s); the HTTP server renders profiles into %s in %s",
                     strerror(memfd_err),
                     used_named ? "files unlinked as soon as made" : "unnamed files",
                     http_body_dir(used_dir)))
            said |= SAID_FILE;
    } else if (used_dir < 0 && why_dir >= 0 && !(said & SAID_NONE)) {
        if (log_line("memfd_create is refused (%s), and no file for a profile can be made in "
                     "/dev/shm, $TMPDIR or /tmp either (%s: %s); the HTTP server answers "
                     "profile requests 500 while that lasts",
                     strerror(memfd_err), http_body_dir(why_dir), strerror(why_err)))
            said |= SAID_NONE;
    }
}
