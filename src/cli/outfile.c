/*
 * outfile.c - see outfile.h.
 *
 * While a temporary file exists, the signals whose default action ends
 * the process (HUP, INT, QUIT, TERM: ^C during a long flame graph) are
 * caught by a handler that removes it and then dies of the same signal,
 * as the default action would have, so that the parent sees the same
 * status.  The handler reads only tmp_name and tmp_live: the name is
 * copied there (a path that open took is shorter than PATH_MAX), and the
 * signals are blocked whenever the two change, so the handler never sees
 * a name half written or a file already renamed.  SIGXFSZ (a file size
 * limit, ulimit -f) is ignored while the file is open: its default action
 * killed the command mid-write and left the temporary file; ignored, the
 * write fails with EFBIG, which outfile_close reports and cleans up after.
 * A signal the command was started with ignored (nohup) stays ignored.
 */
#define _GNU_SOURCE
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "errstream.h"

static const int fatal[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
enum { NFATAL = sizeof fatal / sizeof fatal[0] };

static char tmp_name[PATH_MAX];
static volatile sig_atomic_t tmp_live;
static struct sigaction fatal_was[NFATAL], xfsz_was;

bool outfile_is_stdout(const outfile *o) { return o->f == stdout; }

static void fatal_set(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < NFATAL; i++)
        sigaddset(set, fatal[i]);
}

/* Removes the temporary file, then lets the signal's default action end
 * the process: the signal is blocked in here, so the one raised is
 * delivered, to SIG_DFL, as the handler returns. */
static void on_fatal(int sig)
{
    int e = errno;
    if (tmp_live)
        (void)unlink(tmp_name);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
    (void)raise(sig);
    errno = e;
}

/* The handlers for a temporary file named name (signals blocked). */
static void guard_on(const char *name)
{
    size_t n = strlen(name);
    if (n >= sizeof tmp_name)
        return; /* cannot be: open refuses a path of PATH_MAX bytes or more */
    memcpy(tmp_name, name, n + 1);
    tmp_live = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal;
    fatal_set(&sa.sa_mask); /* one handler at a time */
    for (size_t i = 0; i < NFATAL; i++) {
        (void)sigaction(fatal[i], NULL, &fatal_was[i]);
        if (fatal_was[i].sa_handler != SIG_IGN)
            (void)sigaction(fatal[i], &sa, NULL);
    }
}

/* The dispositions guard_on found (signals blocked). */
static void guard_off(void)
{
    if (!tmp_live)
        return;
    tmp_live = 0;
    for (size_t i = 0; i < NFATAL; i++)
        (void)sigaction(fatal[i], &fatal_was[i], NULL);
}

/* A temporary file beside path, with mode; NULL (errno set) if none.
 * Called with the fatal signals blocked; guarded once it exists. */
static FILE *open_beside(outfile *o, const char *path, mode_t mode)
{
    size_t n = strlen(path);
    /* The temporary name is path's with ".XXXXXX" after it, which must fit
     * in a directory entry too: a last component of more than NAME_MAX - 7
     * bytes is cut short for it, or a name that fopen takes was refused,
     * "File name too long" (cli_flame). */
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash + 1 - path) : 0;
    if (n - dir > NAME_MAX - 7)
        n = dir + NAME_MAX - 7;
    o->tmp = malloc(n + sizeof ".XXXXXX");
    if (!o->tmp)
        return NULL;
    memcpy(o->tmp, path, n);
    memcpy(o->tmp + n, ".XXXXXX", sizeof ".XXXXXX");
    int fd = mkostemp(o->tmp, O_CLOEXEC);
    FILE *f = NULL;
    /* mkstemp's file is 0600: fchmod gives it the mode the file it
     * replaces had. */
    if (fd >= 0)
        guard_on(o->tmp);
    if (fd >= 0 && fchmod(fd, mode) == 0)
        f = errstream_open(fd, 1);
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
            guard_off();
        }
        free(o->tmp);
        o->tmp = NULL;
        errno = e;
    }
    return f;
}

int outfile_open(outfile *o, const char *path)
{
    *o = (outfile){NULL, path, NULL};
    if (!strcmp(path, "-")) {
        o->f = stdout;
        return 0;
    }
    struct stat st;
    bool there = lstat(path, &st) == 0;
    if (there && S_ISDIR(st.st_mode)) {
        diag_error("cannot write %s: it is a directory", path);
        return DIAG_FAIL;
    }
    /* Replaced only where a replacement looks the same as a rewrite: a new
     * name, or a regular file of one link (a rename would turn a symbolic
     * link into a file, and leave a hard link's other names the old SVG),
     * in a directory the user may write to.  Anything else, a FIFO, a
     * device, is written in place, as fopen did. */
    sigset_t block, old;
    fatal_set(&block);
    (void)sigprocmask(SIG_BLOCK, &block, &old);
    if (!there || (S_ISREG(st.st_mode) && st.st_nlink == 1)) {
        mode_t mask = umask(0);
        umask(mask);
        o->f = open_beside(o, path, there ? st.st_mode & 07777 : 0666 & ~mask);
    }
    (void)sigprocmask(SIG_SETMASK, &old, NULL);
    if (!o->f) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        o->f = fd >= 0 ? errstream_open(fd, 1) : NULL;
        if (fd >= 0 && !o->f) {
            int e = errno;
            close(fd);
            errno = e;
        }
    }
    if (!o->f) {
        diag_error("cannot write %s: %s", path, strerror(errno));
        return DIAG_FAIL;
    }
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    (void)sigaction(SIGXFSZ, &ign, &xfsz_was);
    return 0;
}

int outfile_close(outfile *o)
{
    /* The errno of the first write that failed (a full disk, a file size
     * limit), not of whatever ran since. */
    int e = errstream_flush(o->f);
    bool own = o->f != stdout;
    if (own && fclose(o->f) && !e)
        e = errno;
    if (own)
        (void)sigaction(SIGXFSZ, &xfsz_was, NULL);
    /* A signal that comes while the name changes waits until it has. */
    sigset_t block, old;
    fatal_set(&block);
    (void)sigprocmask(SIG_BLOCK, &block, &old);
    if (!e && o->tmp && rename(o->tmp, o->path))
        e = errno;
    if (o->tmp && e)
        unlink(o->tmp);
    if (o->tmp)
        guard_off();
    (void)sigprocmask(SIG_SETMASK, &old, NULL);
    free(o->tmp);
    o->tmp = NULL;
    o->f = NULL;
    if (e) {
        /* Standard output's error is left to main's final check, which says
         * it once for every command. */
        if (own)
            diag_error("cannot write %s: %s", o->path, strerror(e));
        return DIAG_FAIL;
    }
    return 0;
}
