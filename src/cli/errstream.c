/*
 * errstream.c - see errstream.h.  A stream is a glibc cookie stream whose
 * cookie holds the descriptor and the first failed write's errno; a short
 * write is retried until the kernel refuses, so an errno is always the
 * kernel's word on why.
 */
#define _GNU_SOURCE
#include "errstream.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct cookie {
    int fd;
    int own;
    int err; /* first failed write's errno, or 0 */
} cookie;

/* The open streams made here, to find a FILE's cookie: a command has
 * stdout and one output file at a time. */
static struct {
    FILE *f;
    cookie *c;
} made[4];

static ssize_t cookie_write(void *c_, const char *buf, size_t n)
{
    cookie *c = c_;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(c->fd, buf + done, n - done);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (!c->err)
            c->err = w < 0 ? errno : EIO; /* nothing taken, and no errno */
        return -1;
    }
    return (ssize_t)n;
}

static int cookie_close(void *c_)
{
    cookie *c = c_;
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
        if (made[i].c == c)
            made[i].f = NULL, made[i].c = NULL;
    int rc = c->own ? close(c->fd) : 0;
    free(c);
    return rc;
}

FILE *errstream_open(int fd, int own)
{
    size_t slot = 0;
    while (slot < sizeof made / sizeof made[0] && made[slot].c)
        slot++;
    if (slot == sizeof made / sizeof made[0]) {
        errno = EMFILE;
        return NULL;
    }
    cookie *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = (cookie){fd, own, 0};
    cookie_io_functions_t io = {NULL, cookie_write, NULL, cookie_close};
    FILE *f = fopencookie(c, "w", io);
    if (!f) {
        int e = errno;
        free(c);
        errno = e;
        return NULL;
    }
    made[slot].f = f;
    made[slot].c = c;
    return f;
}

void errstream_wrap_stdout(void)
{
    FILE *f = errstream_open(STDOUT_FILENO, 0);
    if (!f)
        return;
    if (isatty(STDOUT_FILENO))
        (void)setvbuf(f, NULL, _IOLBF, BUFSIZ);
    stdout = f;
}

int errstream_flush(FILE *f)
{
    int failed = fflush(f) != 0 || ferror(f);
    if (!failed)
        return 0;
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
        if (made[i].f == f && made[i].c->err)
            return made[i].c->err;
    return EIO;
}
