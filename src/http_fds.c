/*
 * http_fds.c - see http_fds.h.
 *
 * Data: `owned`, the descriptors of the server's in the program's table,
 * each with its identity (fdid.h); `pend`, a body file's numbers on their
 * way into `owned`; `priv`, whether the server's slots name numbers of the
 * server thread's own table.  Invariant: an entry of
 * `owned` is open in the program's table and the server's, or forgotten
 * at its next check; nothing in the server thread's own table is in it.
 */
#define _GNU_SOURCE
#include "http_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fdid.h"

/* A pidfd of one thread (Linux 6.9; glibc 2.36 does not name the flag). */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

static bool priv;

bool http_fds_private(void) { return __atomic_load_n(&priv, __ATOMIC_ACQUIRE); }

void http_fds_set_private(bool on) { __atomic_store_n(&priv, on, __ATOMIC_RELEASE); }

/* fd + 1 (0: a free entry) and the file's identity. */
static struct owned {
    int fd;
    fdid id;
} owned[HTTP_FDS_MAX];

static struct owned *entry(int fd)
{
    for (int i = 0; fd >= 0 && i < HTTP_FDS_MAX; i++)
        if (owned[i].fd == fd + 1)
            return &owned[i];
    return NULL;
}

/* At the lowest free number the listening socket and the wake pipe took
 * 3, 4 and 5 for the life of the process, and each connection and profile
 * memfd one more, so the program's open() returned a number it would not
 * have without heapprof (a program that closes stdin and opens /dev/null
 * expects 0; lifecycle_host_lowfd). */
static int remember(int fd, const fdid *id)
{
    struct owned *gone = entry(fd); /* a number just given out: what it was is closed */
    if (gone)
        gone->fd = 0;
    for (int i = 0; i < HTTP_FDS_MAX; i++)
        if (owned[i].fd <= 0) {
            owned[i] = (struct owned){fd + 1, *id};
            return fd;
        }
    close(fd); /* cannot be checked before use: not kept (never: the table has room for all) */
    errno = EMFILE;
    return -1;
}

int http_fds_own_shared(int fd)
{
    fdid id;
    if (fd < 0 || (fd = fdid_move_high(fd, &id)) < 0)
        return -1;
    return remember(fd, &id);
}

/* The body file being made the server's outside the caller's lock
 * (http_fds_pending): the number open gave at [0], its copy up high at
 * [1], -1 where none; id, once known, the file's, taken as the number is
 * published; tmpfs, whether that file is on tmpfs (below).  Written by the
 * server thread alone, read by a fork child (http_fds_close_pending).
 * fork(2) copies the descriptor table before the memory, and the server
 * thread runs on between the two: so a number is stored the moment it
 * exists, and withdrawn under the lock (which the fork handlers hold
 * across the whole fork) once the file is remembered, or else before its
 * close: a file closed unused (mkostemp_unlinked's failed unlink in
 * http_body.c, a failed http_fds_settle) is withdrawn just before, never
 * after, so that a child never finds a number we closed; one forked
 * between the two inherits it, the window http_fds.h describes.  A child
 * that finds a number its table no longer holds, or holds for another
 * file, fails its check. */
static struct {
    int fd[2];
    bool known;
    bool tmpfs;
    pid_t pid; /* the process whose server thread published fd[0] */
    fdid id;
} pend = {{-1, -1}, false, false, 0, {0, 0}};

/* The file system type of the device the last body file was on (dev,
 * tmpfs; seen false until one was looked at): fstatfs once per device,
 * not at every request while the file is at its low number (on NFS a
 * call to the server).  A device number names a mounted file system until
 * it is unmounted, and no longer: tmpfs, NFS, FUSE, overlay and btrfs
 * subvolumes have anonymous device numbers, the lowest free one given at
 * once to the next such mount, so the profiles' tmpfs unmounted while the
 * program runs and a file system of another kind mounted next would have
 * its number and be taken for tmpfs (an NFS file emptied before its
 * close; the checks of empty_body in http.c still hold): an accepted
 * exception.  The server thread's alone. */
static struct {
    bool seen, tmpfs;
    dev_t dev;
} fs_kind;

static bool on_tmpfs(int fd, dev_t dev)
{
    struct statfs sf;
    if (!fs_kind.seen || fs_kind.dev != dev) {
        if (fstatfs(fd, &sf))
            return false; /* not cached: asked again next time */
        fs_kind.seen = true;
        fs_kind.dev = dev;
        fs_kind.tmpfs = sf.f_type == TMPFS_MAGIC;
    }
    return fs_kind.tmpfs;
}

static void pend_set(int i, int fd) { __atomic_store_n(&pend.fd[i], fd, __ATOMIC_RELEASE); }

void http_fds_pending(int fd)
{
    pend_set(0, -1); /* withdrawn before known is cleared: never a stale number unchecked */
    pend_set(1, -1);
    __atomic_store_n(&pend.known, false, __ATOMIC_RELEASE);
    __atomic_store_n(&pend.tmpfs, false, __ATOMIC_RELEASE);
    if (fd < 0)
        return;
    __atomic_store_n(&pend.pid, getpid(), __ATOMIC_RELEASE);
    pend_set(0, fd);
    /* The identity at once, not after the rest of the file's making (a
     * named file's unlink, on NFS a call to the server): a child made
     * without handlers (_Fork) keeps this record as it is, and only a
     * known file can be closed by its own children (close_pending).  An
     * fstat refused (EPERM) leaves it unknown; http_fds_settle then says
     * so. */
    fdid id;
    if (!fdid_take(fd, &id))
        return;
    pend.id = id;
    __atomic_store_n(&pend.tmpfs, on_tmpfs(fd, id.dev), __ATOMIC_RELEASE);
    __atomic_store_n(&pend.known, true, __ATOMIC_RELEASE);
}

/* fdid_move_high's steps, each new number published as it comes.  Where
 * the identity was taken as the number was published, fd must still be
 * that file: otherwise the program closed our number meanwhile (its own
 * close or dup2 in those microseconds), and what is there now is its. */
int http_fds_settle(int fd)
{
    fdid id;
    bool known = __atomic_load_n(&pend.known, __ATOMIC_ACQUIRE);
    bool taken = fdid_take(fd, &id);
    if (!taken || (known && (id.dev != pend.id.dev || id.ino != pend.id.ino))) {
        int err = taken ? EBADF : errno;
        pend_set(0, -1); /* before the close: a child may inherit it, never close another */
        if (err != EBADF)
            close(fd);
        errno = err;
        return -1;
    }
    pend.id = id;
    __atomic_store_n(&pend.known, true, __ATOMIC_RELEASE);
    long floor = fdid_floor(fd);
    int high = floor > fd ? fcntl(fd, F_DUPFD_CLOEXEC, (int)floor) : -1;
    if (high >= 0)
        pend_set(1, high);
    if (high < 0 && fdid_same(fd, &id))
        return fd; /* no number free up there: the low one it is */
    if (high < 0 || !fdid_same(high, &id)) { /* fd was the program's by then */
        if (high >= 0)
            close(high);
        errno = EBADF;
        return -1;
    }
    if (fdid_same(fd, &id))
        close(fd);
    return high;
}

bool http_fds_pending_tmpfs(void) { return __atomic_load_n(&pend.tmpfs, __ATOMIC_ACQUIRE); }

int http_fds_keep_pending(int fd)
{
    fdid id = pend.id;
    fd = fd < 0 ? -1 : remember(fd, &id);
    http_fds_pending(-1);
    return fd;
}

/* Which numbers a child takes:
 *  - not known yet: the number open gave a moment ago, unchecked, in a
 *    direct child of the process that opened it only: its table is the
 *    copy made at the fork, where the program cannot have been given that
 *    number since (only its own close or dup2 of a number it never opened
 *    would reuse it).  A _Fork child's child may find there a file the
 *    _Fork child opened after closing what it inherited (a daemon's
 *    closefrom); live_http_nomemfd step 8.
 *  - known: in a direct child, where it is still that file.  The check
 *    catches the program's close of our number and open of a file of its
 *    own there, unless that file took our file's identity: on a disk file
 *    system (ext4, XFS) a freed inode number is soon given to the next
 *    file made, and until http_fds_settle's copy up high exists (fd[1])
 *    nothing else of ours keeps the file alive.  So a direct child may
 *    still close a file of the program's there, as in the unknown case
 *    above, and for the same accepted exception (the program closed a
 *    number it never opened, within microseconds of a fork): narrower,
 *    not gone.  In a later generation (the children of a _Fork child,
 *    which ran no handlers and kept the record as it was, and the file
 *    with it) only on tmpfs, and still that file: there a file's inode
 *    number comes from a counter, so no other file has ours while ours
 *    lives, and none after until that 32-bit counter wraps (UINT_MAX
 *    files made in that tmpfs with inode32 since Linux 5.9, never with
 *    inode64; before 5.9 a counter shared system-wide with sockets and
 *    pipes, which a busy host may wrap in hours or days): such a wrap
 *    while the _Fork child lives, with the program's file at our number,
 *    is an accepted exception.  A descriptor of that identity is then
 *    ours: the _Fork child's copy, or, the other accepted exception, a
 *    dup of it that the program made without knowing it was ours.  On a
 *    disk file system the _Fork child may have closed ours, the server
 *    its own, and tmpfile(3) made the program a file at that number with
 *    that very identity: kept there, at its full size (the server empties
 *    a body file before its close on tmpfs only: http.c); it was closed
 *    on any file system once known. */
void http_fds_close_pending(void)
{
    bool direct = getppid() == __atomic_load_n(&pend.pid, __ATOMIC_ACQUIRE);
    bool known = __atomic_load_n(&pend.known, __ATOMIC_ACQUIRE);
    for (int i = 0; i < 2; i++) {
        int fd = __atomic_load_n(&pend.fd[i], __ATOMIC_ACQUIRE);
        if (fd >= 0 && (!known ? i == 0 && direct
                               : (direct || pend.tmpfs) && fdid_same(fd, &pend.id)))
            close(fd);
    }
    http_fds_pending(-1);
}

bool http_fds_ours_shared(int fd)
{
    struct owned *e = entry(fd);
    if (!e)
        return false;
    if (fdid_same(fd, &e->id))
        return true;
    e->fd = 0;
    return false;
}

void http_fds_close_shared(int fd)
{
    if (!http_fds_ours_shared(fd))
        return;
    entry(fd)->fd = 0;
    close(fd);
}

void http_fds_close_all_shared(int keep)
{
    for (int i = 0; i < HTTP_FDS_MAX; i++)
        if (owned[i].fd > 0 && owned[i].fd != keep + 1)
            http_fds_close_shared(owned[i].fd - 1);
}

int http_fds_own(int fd) { return http_fds_private() ? fd : http_fds_own_shared(fd); }

/* In the thread's own table nothing but the thread itself opens or closes
 * a number, so an open one is the server's. */
bool http_fds_ours(int fd) { return http_fds_private() ? fd >= 0 : http_fds_ours_shared(fd); }

bool http_fds_check(int fd)
{
    if (http_fds_private())
        return fd >= 0;
    const struct owned *e = entry(fd);
    return e && fdid_same(fd, &e->id);
}

void http_fds_forget(int fd)
{
    struct owned *e = http_fds_private() ? NULL : entry(fd);
    if (e)
        e->fd = 0;
}

void http_fds_close(int fd)
{
    if (!http_fds_private())
        http_fds_close_shared(fd);
    else if (fd >= 0)
        close(fd);
}

/* A pidfd whose table is that of thread tid: the thread's own pidfd
 * (Linux 6.9), else the process's, whose table is its main thread's, the
 * same as tid's unless tid unshared its table or the main thread has ended
 * (the copies then fail, or are found to be other files). */
static int table_pidfd(pid_t tid)
{
    int p = pidfd_open(tid, PIDFD_THREAD);
    if (p < 0 && errno == EINVAL)
        p = pidfd_open(getpid(), 0);
    return p;
}

int http_fds_pull(int *const *slot, size_t n, pid_t from, int *got)
{
    int pidfd = table_pidfd(from), err = pidfd < 0 ? errno : 0;
    for (size_t i = 0; i < n; i++) {
        got[i] = -1;
        if (err || *slot[i] < 0)
            continue;
        const struct owned *e = entry(*slot[i]);
        if (!e) {
            err = EBADF;
            continue;
        }
        got[i] = pidfd_getfd(pidfd, *slot[i], 0); /* close-on-exec, at our lowest free number */
        if (got[i] < 0)
            err = errno;
        else if (!fdid_same(got[i], &e->id))
            err = EBADF; /* the program's file by now */
    }
    if (pidfd >= 0)
        close(pidfd);
    for (size_t i = 0; err && i < n; i++)
        if (got[i] >= 0) {
            close(got[i]);
            got[i] = -1;
        }
    return err;
}

/* Room for the control message of HTTP_FDS_MAX descriptors, aligned. */
union fds_cmsg {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int) * HTTP_FDS_MAX)];
};

int http_fds_push(int *const *slot, size_t n, int chan, pid_t to)
{
    uint32_t idx[HTTP_FDS_MAX];
    int fds[HTTP_FDS_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < HTTP_FDS_MAX; i++)
        if (*slot[i] >= 0) {
            idx[k] = (uint32_t)i;
            fds[k++] = *slot[i];
        }
    const struct owned *e = entry(chan);
    if (!k || !e)
        return k ? EBADF : 0;
    int pidfd = table_pidfd(to);
    if (pidfd < 0)
        return errno;
    int s = pidfd_getfd(pidfd, chan, 0), err = s < 0 ? errno : 0;
    close(pidfd);
    if (!err && !fdid_same(s, &e->id))
        err = EBADF;
    if (!err) {
        union fds_cmsg c;
        memset(&c, 0, sizeof c);
        struct iovec iov = {idx, k * sizeof idx[0]};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                           .msg_controllen = CMSG_SPACE(sizeof(int) * k)};
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int) * k);
        memcpy(CMSG_DATA(h), fds, sizeof(int) * k);
        if (sendmsg(s, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            err = errno;
    }
    if (s >= 0)
        close(s);
    return err;
}

int http_fds_receive(int *const *slot, size_t n, int chan)
{
    uint32_t idx[HTTP_FDS_MAX];
    union fds_cmsg c;
    struct iovec iov = {idx, sizeof idx};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
                       .msg_controllen = sizeof c.buf};
    if (!http_fds_ours_shared(chan))
        return EBADF;
    ssize_t r = recvmsg(chan, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (r < 0)
        return errno;
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    size_t k = 0, want = (size_t)r / sizeof idx[0];
    int fds[HTTP_FDS_MAX];
    if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
        k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds, CMSG_DATA(h), sizeof(int) * k);
    }
    for (size_t i = 0; i < k; i++) {
        int fd = http_fds_own_shared(fds[i]);
        if (fd >= 0 && i < want && idx[i] < n)
            *slot[idx[i]] = fd;
        else if (fd >= 0)
            http_fds_close_shared(fd);
    }
    return k == want && !(m.msg_flags & MSG_CTRUNC) ? 0 : EBADF;
}
