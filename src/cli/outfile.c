/*
 * outfile.c - see outfile.h.
 */
#define _GNU_SOURCE
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"

bool outfile_is_stdout(const outfile *o) { return o->f == stdout; }

/* A temporary file beside path, with mode; NULL (errno set) if none. */
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
    if (fd >= 0 && fchmod(fd, mode) == 0)
        f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
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
    if (!there || (S_ISREG(st.st_mode) && st.st_nlink == 1)) {
        mode_t mask = umask(0);
        umask(mask);
        o->f = open_beside(o, path, there ? st.st_mode & 07777 : 0666 & ~mask);
    }
    if (!o->f)
        o->f = fopen(path, "w");
    if (!o->f) {
        diag_error("cannot write %s: %s", path, strerror(errno));
        return DIAG_FAIL;
    }
    return 0;
}

int outfile_close(outfile *o)
{
    /* The flush writes what is left, and fails again as an earlier write
     * did (a full disk, a file size limit), with that write's errno. */
    int e = 0;
    if (fflush(o->f))
        e = errno;
    else if (ferror(o->f))
        e = EIO;
    if (o->f != stdout && fclose(o->f) && !e)
        e = errno;
    if (!e && o->tmp && rename(o->tmp, o->path))
        e = errno;
    if (o->tmp && e)
        unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    o->f = NULL;
    if (e) {
        diag_error("cannot write %s: %s", o->path, strerror(e));
        return DIAG_FAIL;
    }
    return 0;
}
