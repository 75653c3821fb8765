/*
 * http.c - see http.h.
 *
 * Data: `conns`, a fixed table of NSLOTS connection slots, owned by the
 * server thread.  A slot moves FREE -> HEAD (reading the request head) ->
 * [PARK (a ?seconds=N request waiting for its moment, holding a snapshot)]
 * -> SEND (status line and headers from `out`, then the body from `out` or
 * from its body file, a memfd as a rule: http_body.h) -> DRAIN (our side
 * shut down; reading and discarding what the client still sends, so that
 * closing does not reset the connection before the client has read the
 * answer) -> FREE.  Every state but FREE
 * has a deadline; when it passes, HEAD answers 408, PARK answers with its
 * profile, SEND and DRAIN close.  A slot is a conn (http_conn.h).
 *
 * Bounds: at most MAX_ACTIVE connections are served at once (HEAD, PARK,
 * SEND); one accepted beyond that is answered 503 at once in one of the
 * remaining slots, which also hold the DRAINing ones, none of them counted
 * as active; when every slot is taken the listening socket is not polled
 * and new clients wait in the kernel's backlog.  A request head is at most
 * HTTP_HEAD_MAX bytes (1 MiB) in an http_head of 12 KiB, which drops the
 * header lines it has checked; http_request.c parses it, and
 * http_answer.c answers it.  A path that is not clean is answered with
 * Go's 301 to the clean one, cleaned and escaped in two static buffers of
 * the server thread's (32 KiB, no allocation but the response's own).  A
 * request heapprof has no memory for (its head, its answer) gets a static
 * 503 saying so (http_answer_no_memory).
 *
 * Descriptors: the listening socket, the wake pipe's read end, the
 * connections and their body files are in the server thread's own descriptor
 * table, or in the program's where that is refused; the wake pipe's write
 * end is always in the program's (http_fds.h says how they move, and why).
 *
 * Invariants: a descriptor in the table is open and the server's; it is
 * installed and removed under `table_lock`, which the fork handlers hold
 * across fork(), so the child knows every descriptor it must close.  That
 * lock is never held across a blocking call or together with the dump lock.
 * So a profile's fallback file (http_body.h: a path looked up, a file made
 * on a real file system, which a hung NFS $TMPDIR stalls for seconds) is
 * opened, moved high and its identity taken before the lock is taken to
 * remember it, and a body file is checked and closed before the lock that
 * forgets it (the last close of an unlinked file on NFS is a call to the
 * server).  In the thread's own table, which a fork does not copy, that
 * costs nothing; in the program's, a child forked during that open or
 * close finds the number still to close: published the moment open
 * returns it (http_fds_pending), remembered until after the close; a few
 * instructions are left where a child may still inherit it (http_fds.h),
 * so each is emptied before its close (empty_body).
 */
#define _GNU_SOURCE
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "allocstats.h"
#include "common.h"
#include "dump.h"
#include "http_body.h"
#include "http_conn.h"
#include "http_fds.h"
#include "http_request.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "profiler.h"
#include "threads.h"

enum { MAX_ACTIVE = 8, NSLOTS = 16 };

static conn conns[NSLOTS];
static int listen_fd = -1;

/* ---- descriptors the server owns -----------------------------------------------
 * In the server thread's own table as a rule, else in the program's,
 * checked before each use: http_fds.h. */
static int own(int fd) { return http_fds_own(fd); }
static int ours(int fd) { return http_fds_ours(fd); }
static void close_owned(int fd) { http_fds_close(fd); }

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static char chunk[65536]; /* the server thread's send buffer */


/* ---- addresses ------------------------------------------------------------- */

int http_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    char host[64] = "127.0.0.1"; /* ":PORT" and "PORT": loopback only */
    const char *port_s = spec, *colon = strrchr(spec, ':');
    int v6 = spec[0] == '[';
    if (v6 || colon) {
        const char *h = spec + v6, *he = v6 ? strchr(spec, ']') : colon;
        if (!he || (v6 && he[1] != ':') || (!v6 && memchr(spec, ':', (size_t)(he - spec))) ||
            (size_t)(he - h) >= sizeof host)
            return EINVAL; /* an IPv6 address needs its brackets */
        if (he > h || v6) {
            memcpy(host, h, (size_t)(he - h));
            host[he - h] = '\0';
        }
        port_s = he + 1 + v6;
    }
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    unsigned port = 0;
    for (const char *p = port_s; *p; p++)
        if (*p < '0' || *p > '9' || (port = port * 10 + (unsigned)(*p - '0')) > 65535)
            return EINVAL;
    if (!*port_s)
        return EINVAL;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (v6 ? inet_pton(AF_INET6, host, &a6->sin6_addr) != 1
           : inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return EINVAL;
    ss->ss_family = v6 ? AF_INET6 : AF_INET;
    if (v6)
        a6->sin6_port = htons((uint16_t)port);
    else
        a4->sin_port = htons((uint16_t)port);
    *len = v6 ? sizeof *a6 : sizeof *a4;
    return 0;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
    char h[INET6_ADDRSTRLEN] = "?";
    int v6 = ss->ss_family == AF_INET6;
    inet_ntop(ss->ss_family, v6 ? (const void *)&a6->sin6_addr : (const void *)&a4->sin_addr, h,
              sizeof h);
    snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", h, ntohs(v6 ? a6->sin6_port : a4->sin_port));
}

/* ---- the table -------------------------------------------------------------- */

/* The server thread's kernel id while it runs, 0 once joined: for
 * threads_join, and empty_body's test of the calling thread. */
static pid_t http_kernel_tid;

/* A body file in the program's table emptied before its close: a child
 * forked in the instructions between its open and the store of its number
 * (http_fds.h), or made with _Fork (no handlers), holds a copy unknowing
 * for its life, and the file would keep the profile's bytes as long.
 * Emptied, it keeps an inode; what the child could have read from it
 * meanwhile is the profile it served, the file holds nothing else.
 * Only what c->body_empty says (http_open_body): a fallback file, not a
 * memfd (which a child made with handlers never holds but for the same
 * window, and which is memory the kernel accounts to it), on tmpfs, where
 * the cost is memory and where no other file takes our file's identity
 * while any copy of it lives (http_fds.c): on a disk file system a freed
 * inode is soon another file's, so if the program closed our number
 * (closefrom while we served) and freed the file, its own next file at
 * that number may pass http_fds_check, and a truncate would destroy its
 * data.  There the child keeps a file of the profile's size, on disk.
 * And only as our file: unlinked (ours always are) and of the length
 * written, checked just before.  Between the caller's http_fds_check and
 * the fstat, or the fstat and the ftruncate, the program may still put a
 * file of its own at our number: by dup2 onto it, or by closing it
 * (closefrom while we serve) and opening at the same number; such a
 * file, unlinked and of our length, would be emptied.  Both are accepted
 * exceptions, as for the close that follows (the program closed or
 * replaced a number it never opened, within microseconds).  Whether it
 * is still ours after is the caller's to check again.  Not on a program
 * thread (take_back, inside a set*id call, and http_resume close
 * connections): a file-system call
 * there is one more delay in the program's own call, for a window that
 * thread's fork cannot meet (it is not forking).  A failure (EIO) costs
 * the child's copy its bytes only: the close follows either way.  errno:
 * the server thread's, kept for the caller. */
static void empty_body(const conn *c, int fd)
{
    struct stat st;
    int err = errno;
    if (c->body_empty && gettid() == __atomic_load_n(&http_kernel_tid, __ATOMIC_ACQUIRE) &&
        !fstat(fd, &st) && st.st_nlink == 0 && c->body_len > 0 && st.st_size == c->body_len)
        (void)!ftruncate(fd, 0);
    errno = err;
}

/* c's body file closed after its check and before the lock that forgets
 * it, so that no file-system call (fstat, the last close of an unlinked
 * file on NFS) is made under the lock (see the invariants), and a child
 * forked meanwhile still finds the number to close: while open, it is
 * remembered; once closed, the child's check fails (http_fds_check).  The
 * number, still open when checked, is not one the program's open() can
 * be given meanwhile: only its own dup2 or close of our number in those
 * microseconds would be met, as between conn_fd's check and the call. */
void http_drop_body(conn *c)
{
    int fd = c->body_fd;
    if (fd < 0)
        return;
    if (http_fds_check(fd)) {
        empty_body(c, fd);
        if (!c->body_empty || http_fds_check(fd))
            close(fd);
    }
    pthread_mutex_lock(&table_lock);
    http_fds_forget(fd);
    c->body_fd = -1;
    pthread_mutex_unlock(&table_lock);
}

/* c's body file fd (or -1: none made) made the server's, under
 * table_lock, which the caller holds; fd or -1 (errno).  settled: a
 * fallback file's, http_fds_settle'd outside the lock. */
static int own_body(conn *c, int fd, int at, bool settled)
{
    c->body_fd = settled ? http_fds_keep_pending(fd) : own(fd);
    int err = errno;
    if (fd >= 0 && c->body_fd < 0)
        http_body_failed(at, err);
    errno = err;
    return c->body_fd;
}

/* A file for c's body (c->body_fd: http_body.h).  A memfd is made in the
 * kernel, with no file system to wait on: made and owned under the lock in
 * one step, as ever.  A fallback file is opened, and in the program's
 * table moved high and its identity taken, before the lock is taken to
 * remember it (see the invariants; http_fds_pending says how a child
 * forked meanwhile closes it).  The descriptor, or -1 with errno set. */
int http_open_body(conn *c, int from, int *at)
{
    *at = -1;
    c->body_len = 0; /* until written: no earlier length matches (empty_body) */
    c->body_empty = false;
    int fd = -1;
    if (from < 0) {
        pthread_mutex_lock(&table_lock);
        bool made = (fd = http_body_memfd()) >= 0;
        fd = own_body(c, fd, -1, false);
        int err = errno;
        pthread_mutex_unlock(&table_lock);
        errno = err;
        if (made)
            return fd;
    }
    bool shared = !http_fds_private();
    if ((fd = http_body_file(from, at, shared ? http_fds_pending : NULL)) < 0)
        return -1;
    int err = 0;
    if (shared && (fd = http_fds_settle(fd)) < 0)
        err = errno;
    pthread_mutex_lock(&table_lock);
    if (err) {
        http_fds_pending(-1); /* under the lock: see http_fds_pending */
        http_body_failed(*at, err);
    } else {
        c->body_empty = shared && http_fds_pending_tmpfs();
        fd = own_body(c, fd, *at, shared);
        err = errno;
    }
    pthread_mutex_unlock(&table_lock);
    errno = err;
    return fd;
}

static void close_conn(conn *c)
{
    http_drop_body(c);
    pthread_mutex_lock(&table_lock);
    close_owned(c->fd);
    c->fd = -1;
    c->state = FREE;
    pthread_mutex_unlock(&table_lock);
    mem_free(c->head);
    c->head = NULL;
    metrics_buf_free(&c->out);
    if (c->snap)
        dump_snapshot_free(c->snap);
    c->snap = NULL;
}

/* c's socket (or, with body, its body file), checked again just before each
 * use.  The check before poll(2) is not enough: poll holds the files it
 * waits on, so when the program takes a number of ours meanwhile (dup2
 * onto it by mistake) our socket's events still come, and a recv, send or
 * shutdown would then reach the program's file (live_fdreuse).  A number
 * no longer ours ends the connection without touching it.  What remains
 * is the microseconds between fstat and the call: a number can only be
 * checked, not pinned, from user space.  All of this in the program's
 * table only: in the thread's own, which the program cannot reach, every
 * number holds (http_fds_ours). */
static int conn_fd(conn *c, int body)
{
    int fd = body ? c->body_fd : c->fd;
    if (fd >= 0 && ours(fd))
        return fd;
    if (body)
        c->body_fd = -1;
    else
        c->fd = -1;
    close_conn(c);
    return -1;
}

/* ---- the connection's steps ---------------------------------------------------------------- */

static void on_readable(conn *c)
{
    char discard[4096];
    char *buf = c->state == HEAD ? c->head->buf + c->head->len : discard;
    size_t room = c->state == HEAD ? http_head_room(c->head) : sizeof discard;
    int fd = conn_fd(c, 0);
    if (fd < 0)
        return;
    ssize_t r = recv(fd, buf, room, MSG_DONTWAIT);
    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            close_conn(c);
        return;
    }
    if (r == 0) {
        /* An incomplete head, the end of a drained one, or a client gone
         * while parked (one that only shut its writing side is taken as
         * gone too: it would otherwise hold a slot for up to 300 s). */
        close_conn(c);
        return;
    }
    if (c->state == HEAD)
        http_answer_examine(c, (size_t)r);
}

static void finish_send(conn *c)
{
    int fd = conn_fd(c, 0);
    if (fd < 0)
        return;
    shutdown(fd, SHUT_WR);
    http_drop_body(c);
    metrics_buf_free(&c->out);
    c->fixed = NULL;
    c->state = DRAIN;
    c->counted = 0; /* answered: no longer one of the MAX_ACTIVE being served */
    c->deadline = clock_mono_s() + DRAIN_S;
}

/* Bytes sent, or -1 when the caller must stop (it would block, or the
 * connection failed and is closed). */
static ssize_t send_some(conn *c, const char *p, size_t n)
{
    int fd = conn_fd(c, 0);
    if (fd < 0)
        return -1;
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        close_conn(c);
    return w;
}

static void on_writable(conn *c)
{
    ssize_t w, n;
    const char *out = c->fixed ? c->fixed : c->out.p;
    size_t len = c->fixed ? c->fixed_len : c->out.len;
    for (; c->out_off < len; c->out_off += (size_t)w)
        if ((w = send_some(c, out + c->out_off, len - c->out_off)) < 0)
            return;
    for (; c->body_fd >= 0 && c->body_off < c->body_len; c->body_off += w) {
        size_t want = (size_t)(c->body_len - c->body_off);
        int fd = conn_fd(c, 1);
        if (fd < 0)
            return;
        if ((n = pread(fd, chunk, want < sizeof chunk ? want : sizeof chunk,
                       c->body_off)) <= 0) {
            close_conn(c);
            return;
        }
        if ((w = send_some(c, chunk, (size_t)n)) < 0)
            return;
    }
    finish_send(c);
}

static void on_deadline(conn *c)
{
    dump_snapshot *s = c->snap;
    if (c->state == HEAD) {
        http_answer_text(c, 408, "the request head did not arrive within 5 s", NULL);
    } else if (c->state == PARK) { /* its moment: the profile relative to the snapshot */
        c->snap = NULL;
        http_answer_profile(c, c->alloc_default, s, 0);
        dump_snapshot_free(s);
    } else {
        close_conn(c);
    }
}

static void accept_some(void)
{
    for (;;) {
        conn *c = NULL;
        int active = 0;
        for (int i = 0; i < NSLOTS; i++) {
            if (conns[i].state == FREE && !c)
                c = &conns[i];
            else if (conns[i].state != FREE && conns[i].counted)
                active++;
        }
        if (!c)
            return;
        if (!ours(listen_fd))
            return; /* taken by the program while poll waited: http_main stops */
        pthread_mutex_lock(&table_lock);
        int fd = own(accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (fd >= 0) {
            *c = (conn){.fd = fd, .state = HEAD, .body_fd = -1};
        }
        pthread_mutex_unlock(&table_lock);
        if (fd < 0) {
            int e = errno;
            if (e == EINTR || e == ECONNABORTED)
                continue;
            if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
                poll(NULL, 0, 50); /* the backlog keeps them; don't spin */
            return;
        }
        c->deadline = clock_mono_s() + HEAD_S;
        if (active >= MAX_ACTIVE) {
            http_answer_text(c, 503, "too many connections; try again", "Retry-After: 1\r\n");
            continue;
        }
        c->counted = 1;
        if (!(c->head = mem_alloc(sizeof *c->head)))
            http_answer_no_memory(c, "for a request's head");
        else
            http_head_init(c->head, HTTP_HEAD_MAX);
    }
}

/* The thread, while it runs; http_pause() asks it to leave through the
 * wake pipe, which is always the last descriptor polled. */
static pthread_t http_tid;
static int http_running, http_stop;

/* The wake pipe, made anew for each thread.  Its read end is the server's
 * like its other descriptors; its write end stays in the program's table
 * (at FDID_FLOOR and above, checked before each write), because the
 * program's threads write it (http_pause), and a thread reaches into
 * another's descriptor table only through a pidfd of that thread (Linux
 * 6.9): a descriptor in the waking thread's own table is the one way to
 * wake a poll(2) on every kernel (a signal would need a handler, and
 * handlers are the program's).  The server thread holds no copy of the
 * write end, so that when the program closes it (closefrom) the read end
 * reports POLLHUP at once: the thread then stops polling the pipe and
 * looks for a stop every DOORBELL_MS instead, until a pause makes a new
 * pipe.  A copy of the write end in a child made without fork handlers
 * (_Fork, clone) keeps the pipe open with no POLLHUP, so the thread looks
 * for a stop every STOP_CHECK_MS all the same: a pause may wait that long,
 * never for ever.  In the program's table (the fallback), a pipe end the
 * program closed stops the server (descriptors_lost). */
static int http_wake[2] = {-1, -1};
enum { DOORBELL_MS = 100, STOP_CHECK_MS = 1000 };
static bool doorbell_lost; /* the server thread's */

/* Moving the server's descriptors between tables (http_fds.h): spawn()
 * has the new thread take them from thread handoff_tid's table into one
 * of its own and waits for its verdict; http_pause() gives it a socket in
 * handoff_tid's table to send them back over (handoff_chan) as it ends. */
enum { VERDICT_TAKEN = 1, VERDICT_SHARED, VERDICT_FAILED };
static bool handoff_want;
static pid_t handoff_tid;
static int handoff_chan = -1, handoff_verdict, handoff_err;
static sem_t handoff_sem;
static bool handoff_sem_ready;
/* A move was refused (EPERM, EACCES, ENOSYS: a seccomp filter the program
 * installed after start, which the threads it makes inherit): the server
 * stays in the program's table for good.  Tried again at each restart, a
 * daemon that changed its effective uid for each request said so each
 * time, and started two threads each time (live_latefilter). */
static bool moves_refused;

/* Every slot of a server descriptor but the wake pipe's write end: the
 * listening socket, the wake pipe's read end, each connection's socket and
 * body file. */
enum { NMOVED = 2 + 2 * NSLOTS };
_Static_assert(NMOVED + 3 <= HTTP_FDS_MAX, "http_fds.h remembers every slot, the wake pipe's "
                                           "write end and a move's socket pair");

static void moved_slots(int **slot)
{
    slot[0] = &listen_fd;
    slot[1] = &http_wake[0];
    for (int i = 0; i < NSLOTS; i++) {
        slot[2 + 2 * i] = &conns[i].fd;
        slot[3 + 2 * i] = &conns[i].body_fd;
    }
}

/* The server's own descriptors closed (and perhaps reused) by the
 * program: it stops serving, touching none of those numbers again, and
 * says so once.  Asked by the thread at each wake, and before it is
 * started again after a pause: a pause's wake finds the thread stopping,
 * and the line then came from the restarted thread, or not at all when
 * the program ended first (live_fdreuse, wake).  Only in the program's
 * table: nothing reaches the thread's own, and the wake pipe's write end,
 * which stays in the program's, is only a doorbell then (http_wake). */
static bool descriptors_lost(void)
{
    if (listen_fd < 0)
        return true; /* and said so */
    if (http_fds_private() || (ours(listen_fd) && (http_wake[0] < 0 || ours(http_wake[0])) &&
                               (http_wake[1] < 0 || ours(http_wake[1]))))
        return false;
    log_line("the program closed the HTTP server's descriptors; the server stops");
    for (int i = 0; i < NSLOTS; i++)
        if (conns[i].state != FREE)
            close_conn(&conns[i]);
    pthread_mutex_lock(&table_lock);
    close_owned(listen_fd);
    close_owned(http_wake[0]);
    close_owned(http_wake[1]);
    listen_fd = http_wake[0] = http_wake[1] = -1;
    pthread_mutex_unlock(&table_lock);
    return true;
}

/* On a new server thread: into a descriptor table of its own, with copies
 * of the server's descriptors, whose originals spawn() then closes. */
static int take_table(void)
{
    if (!threads_private_fds())
        return VERDICT_SHARED;
    int *slot[NMOVED], got[NMOVED];
    moved_slots(slot);
    handoff_err = http_fds_pull(slot, NMOVED, handoff_tid, got);
    if (handoff_err)
        return VERDICT_FAILED;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < NMOVED; i++)
        *slot[i] = got[i];
    http_fds_set_private(true);
    pthread_mutex_unlock(&table_lock);
    return VERDICT_TAKEN;
}

static void *http_main(void *arg)
{
    __atomic_store_n(&http_kernel_tid, gettid(), __ATOMIC_RELEASE);
    profiler_guard_enter(); /* for the thread's whole life */
    if (handoff_want) {
        int v = take_table();
        __atomic_store_n(&handoff_verdict, v, __ATOMIC_RELEASE);
        sem_post(&handoff_sem);
        if (v == VERDICT_FAILED)
            return NULL;
    }
    bool priv = http_fds_private();
    while (!__atomic_load_n(&http_stop, __ATOMIC_ACQUIRE)) {
        struct pollfd pfd[NSLOTS + 2];
        conn *who[NSLOTS + 2];
        int n = 0, used = 0;
        if (descriptors_lost())
            break;
        double now = clock_mono_s(), next = -1;
        for (int i = 0; i < NSLOTS; i++) {
            conn *c = &conns[i];
            if (c->state == FREE)
                continue;
            if (!ours(c->fd) || (c->body_fd >= 0 && !ours(c->body_fd))) {
                if (!ours(c->fd))
                    c->fd = -1; /* not ours to close any more */
                if (c->body_fd >= 0 && !ours(c->body_fd))
                    c->body_fd = -1;
                close_conn(c);
                continue;
            }
            used++;
            if (next < 0 || c->deadline < next)
                next = c->deadline;
            pfd[n] = (struct pollfd){c->fd, c->state == SEND ? POLLOUT : POLLIN, 0};
            who[n++] = c;
        }
        if (used < NSLOTS) {
            pfd[n] = (struct pollfd){listen_fd, POLLIN, 0};
            who[n++] = NULL;
        }
        int timeout = next < 0 ? -1 : next <= now ? 0 : (int)((next - now) * 1e3) + 1;
        int most = doorbell_lost ? DOORBELL_MS : STOP_CHECK_MS;
        if (timeout < 0 || timeout > most)
            timeout = most;
        pfd[n] = (struct pollfd){http_wake[0], POLLIN, 0};
        if (poll(pfd, (nfds_t)n + !doorbell_lost, timeout) < 0) {
            poll(NULL, 0, 10);
            continue;
        }
        if (doorbell_lost || !pfd[n].revents) {
        } else if (priv && (pfd[n].revents & POLLHUP)) {
            doorbell_lost = true; /* the program closed the write end: see http_wake */
        } else if (ours(http_wake[0])) { /* checked again: see conn_fd */
            char drain[16];
            while (read(http_wake[0], drain, sizeof drain) > 0)
                ;
        }
        for (int i = 0; i < n; i++) {
            if (!pfd[i].revents)
                continue;
            conn *c = who[i];
            if (!c)
                accept_some();
            else if (c->state == SEND)
                on_writable(c);
            else if (pfd[i].revents & (POLLERR | POLLNVAL | POLLHUP)) /* reset or gone */
                close_conn(c);
            else
                on_readable(c);
        }
        now = clock_mono_s();
        for (int i = 0; i < NSLOTS; i++)
            if (conns[i].state != FREE && now >= conns[i].deadline)
                on_deadline(&conns[i]);
    }
    /* Paused: this table ends with the thread, so what is in it goes to
     * the program's first (http_pause).  The wake pipe does not: the next
     * thread gets a new one. */
    if (priv && __atomic_load_n(&handoff_chan, __ATOMIC_ACQUIRE) >= 0) {
        int *slot[NMOVED];
        moved_slots(slot);
        close(http_wake[0]);
        http_wake[0] = -1;
        handoff_err = http_fds_push(slot, NMOVED, handoff_chan, handoff_tid);
    }
    return NULL;
}

static const threads_kind http_kind = {http_main, "heapprof-http"};

/* ---- start, pause and fork ------------------------------------------------------------- */

/* The two ends of a pipe or socket pair just made (made: the result of
 * the call that made them) made the server's in the program's table; 0 or
 * an errno value, with an end that was not made or kept -1.  Under
 * table_lock. */
static int own_pair_shared(int made, int pair[2])
{
    if (made) {
        int err = errno;
        pair[0] = pair[1] = -1;
        return err;
    }
    pair[0] = http_fds_own_shared(pair[0]);
    int err = pair[0] < 0 ? errno : 0;
    pair[1] = http_fds_own_shared(pair[1]);
    return err ? err : pair[1] < 0 ? errno : 0;
}

/* A new wake pipe, the thread, and the server's descriptors in the
 * thread's own table if that can be had; 0 or an errno value, with the
 * wake pipe closed again.  Where the new thread takes the descriptors but
 * cannot copy them (the main thread ended before Linux 6.9; the program
 * closed one meanwhile) it ends, and another serves from the program's
 * table, as where a table of its own is refused. */
static int spawn(void)
{
    __atomic_store_n(&http_stop, 0, __ATOMIC_RELEASE);
    doorbell_lost = false;
    if (!handoff_sem_ready) {
        sem_init(&handoff_sem, 0, 0);
        handoff_sem_ready = true;
    }
    pthread_mutex_lock(&table_lock);
    int err = own_pair_shared(pipe2(http_wake, O_CLOEXEC | O_NONBLOCK), http_wake);
    pthread_mutex_unlock(&table_lock);
    handoff_want = !moves_refused;
    handoff_tid = gettid();
    if (!err)
        err = threads_start(&http_tid, &http_kind);
    if (!err && handoff_want) {
        while (sem_wait(&handoff_sem) && errno == EINTR)
            ;
        int v = __atomic_load_n(&handoff_verdict, __ATOMIC_ACQUIRE);
        if (v == VERDICT_TAKEN) {
            pthread_mutex_lock(&table_lock);
            http_fds_close_all_shared(http_wake[1]); /* the thread has its copies */
            pthread_mutex_unlock(&table_lock);
        } else if (v == VERDICT_FAILED) {
            threads_join(http_tid, &http_kernel_tid);
            __atomic_store_n(&http_kernel_tid, 0, __ATOMIC_RELEASE); /* a reused id is not ours */
            moves_refused = handoff_err == EPERM || handoff_err == EACCES || handoff_err == ENOSYS;
            log_line("cannot move the HTTP server's descriptors out of the program's table (%s); "
                     "they stay there%s", strerror(handoff_err), moves_refused ? " for good" : "");
            handoff_want = false;
            err = threads_start(&http_tid, &http_kind);
        }
    }
    if (err) {
        pthread_mutex_lock(&table_lock);
        http_fds_close_shared(http_wake[0]);
        http_fds_close_shared(http_wake[1]);
        http_wake[0] = http_wake[1] = -1;
        pthread_mutex_unlock(&table_lock);
    }
    http_running = !err;
    return err;
}

/* A listening socket on *ss, its address read back into it (port 0's
 * pick); -1 with errno set. */
static int listen_on(struct sockaddr_storage *ss, socklen_t *len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)ss, *len) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)ss, len)) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* The address the server listens on, as bound at start (listen_again). */
static struct sockaddr_storage bound;
static socklen_t bound_len;

/* The listening socket went with a thread's table that could not send it
 * back: a seccomp filter that refuses pidfd_getfd installed on every
 * thread at once (SECCOMP_FILTER_FLAG_TSYNC) after start, or the main
 * thread gone before Linux 6.9 (http_fds_push).  The server stopped at
 * the program's next set*id call.  A new socket on the same address, made
 * here, before the credentials change (a privileged port binds as
 * before), in the program's table, where the threads after keep it
 * (moves_refused).  Under table_lock; the socket or -1. */
static int listen_again(void)
{
    if (!bound_len)
        return -1;
    socklen_t len = bound_len;
    int fd = listen_on(&bound, &len);
    return fd < 0 ? -1 : http_fds_own_shared(fd);
}

/* After a thread with a table of its own ended: what it sent over chan
 * into the program's table; the numbers it had name nothing now. */
static void take_back(const int chan[2], bool keep)
{
    int saved = errno; /* inside the program's set*id call */
    int *slot[NMOVED];
    bool body[NSLOTS];
    moved_slots(slot);
    for (int i = 0; i < NSLOTS; i++)
        body[i] = conns[i].body_fd >= 0;
    pthread_mutex_lock(&table_lock);
    http_fds_set_private(false);
    for (int i = 0; i < NMOVED; i++)
        *slot[i] = -1;
    int err = handoff_err ? handoff_err : http_fds_receive(slot, NMOVED, chan[0]);
    http_fds_close_shared(chan[0]);
    http_fds_close_shared(chan[1]);
    bool again = keep && listen_fd < 0 && (listen_fd = listen_again()) >= 0;
    pthread_mutex_unlock(&table_lock);
    for (int i = 0; i < NSLOTS; i++)
        if (conns[i].state != FREE &&
            (conns[i].fd < 0 || listen_fd < 0 || again || (body[i] && conns[i].body_fd < 0)))
            close_conn(&conns[i]);
    if (again) {
        moves_refused = true;
        log_line("cannot keep the HTTP server's descriptors while heapprof's threads are stopped "
                 "(%s); its connections were dropped, and it listens again on the same address, "
                 "from the program's descriptor table", strerror(err ? err : EBADF));
    } else if (keep && listen_fd < 0) {
        log_line("cannot keep the HTTP server's descriptors while heapprof's threads are stopped "
                 "(%s); the server stops", strerror(err ? err : EBADF));
    }
    errno = saved;
}

/* Stop the thread; with keep, its descriptors stay for http_resume. */
static void pause_server(bool keep)
{
    if (!http_running)
        return;
    bool priv = http_fds_private();
    int chan[2] = {-1, -1};
    handoff_err = 0;
    if (priv && keep) {
        pthread_mutex_lock(&table_lock);
        handoff_err = own_pair_shared(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, chan), chan);
        pthread_mutex_unlock(&table_lock);
        handoff_tid = gettid();
        __atomic_store_n(&handoff_chan, handoff_err ? -1 : chan[1], __ATOMIC_RELEASE);
    }
    __atomic_store_n(&http_stop, 1, __ATOMIC_RELEASE);
    if (http_fds_ours_shared(http_wake[1]))
        (void)!write(http_wake[1], "", 1);
    threads_join(http_tid, &http_kernel_tid);
    __atomic_store_n(&http_kernel_tid, 0, __ATOMIC_RELEASE); /* a reused id is not ours */
    http_running = 0;
    __atomic_store_n(&handoff_chan, -1, __ATOMIC_RELEASE);
    if (!priv)
        descriptors_lost(); /* the thread may have left at the wake before looking */
    /* The wake pipe first: the number of a write end the program closed
     * may come back for a descriptor take_back receives, and closing the
     * pipe by number after that closed a connection (live_daemon). */
    pthread_mutex_lock(&table_lock);
    if (!priv)
        http_fds_close_shared(http_wake[0]);
    http_fds_close_shared(http_wake[1]);
    http_wake[0] = http_wake[1] = -1;
    pthread_mutex_unlock(&table_lock);
    if (priv)
        take_back(chan, keep);
}

void http_pause(void) { pause_server(true); }

static void drop_descriptors(void);

void http_stand_down(void)
{
    /* Stopped first (a request in progress is answered), then closed, so
     * that clients are refused rather than left waiting in the backlog.
     * A table of the thread's own closes with it. */
    pause_server(false);
    pthread_mutex_lock(&table_lock);
    drop_descriptors();
    pthread_mutex_unlock(&table_lock);
}

void http_resume(void)
{
    /* Connections keep their state and deadlines across the pause. */
    if (http_running || listen_fd < 0 || descriptors_lost())
        return;
    int err = spawn();
    if (!err)
        return;
    /* No thread (a daemon that dropped root to a user at its process
     * limit): stand down, closing the socket, so that clients are refused
     * rather than left waiting in its backlog (lifecycle_host_nproc). */
    log_line("cannot restart its HTTP thread after the program changed its credentials or "
             "namespaces (%s); the HTTP server is off", strerror(err));
    for (int i = 0; i < NSLOTS; i++)
        if (conns[i].state != FREE)
            close_conn(&conns[i]);
    pthread_mutex_lock(&table_lock);
    close_owned(listen_fd);
    listen_fd = -1;
    pthread_mutex_unlock(&table_lock);
}

void http_start(void)
{
    const char *spec = profiler_config()->http;
    if (!*spec || !strcmp(spec, "off") || !strcmp(spec, "0"))
        return;
    for (int i = 0; i < NSLOTS; i++)
        conns[i] = (conn){.fd = -1, .body_fd = -1};
    struct sockaddr_storage ss;
    socklen_t len;
    if (http_parse_addr(spec, &ss, &len)) {
        /* A setting's line, which every child with the same settings
         * repeated (lifecycle_host_tree_lines). */
        char line[256];
        snprintf(line, sizeof line,
                 "HEAPPROF_HTTP=\"%.64s\" is not understood (expected HOST:PORT, [IPv6]:PORT or "
                 ":PORT, with a numeric HOST or localhost); the HTTP server is off", spec);
        profiler_warn_setting(line);
        return;
    }
    allocstats_find(); /* here, not on the HTTP thread: see allocstats.h */
    http_body_init();
    /* Made here, in the program's table, so that a failed bind is said by
     * the thread that starts the server; the thread takes it into its own
     * (spawn). */
    int fd = listen_on(&ss, &len);
    if (fd < 0) {
        int err = errno;
        char line[256];
        snprintf(line, sizeof line, "cannot serve HTTP on %.64s: %s; the HTTP server is off", spec,
                 strerror(err));
        /* An address in use, where the parent runs this heapprof with the
         * same settings on the same stderr, is the parent's: it serves
         * there, or said it could not.  A server that starts a child every
         * few seconds, or a pyenv shim's dozens of processes, repeated the
         * line with each one (a fixed port's children all fail to bind).
         * So are the other faults of the address, which the parent met
         * first: not this host's, a port below 1024 that it could bind and
         * they cannot, IPv6 where the kernel has none.  A fault of this
         * process (out of descriptors or memory) is said. */
        if (err == EADDRINUSE || err == EADDRNOTAVAIL || err == EACCES || err == EAFNOSUPPORT)
            profiler_warn_setting(line);
        else
            log_line("%s", line);
        return;
    }
    bound = ss;
    bound_len = len;
    pthread_mutex_lock(&table_lock);
    listen_fd = http_fds_own_shared(fd);
    pthread_mutex_unlock(&table_lock);
    int err = listen_fd < 0 ? errno : spawn();
    if (err) {
        log_line("cannot start its HTTP thread (%s); the HTTP server is off", strerror(err));
        pthread_mutex_lock(&table_lock);
        http_fds_close_shared(listen_fd);
        listen_fd = -1;
        pthread_mutex_unlock(&table_lock);
        return;
    }
    char text[96];
    addr_text(&ss, text, sizeof text);
    char line[128];
    snprintf(line, sizeof line, "serving http://%s/", text);
    profiler_say_setting(line); /* its children, same settings, find the address in use */
}

void http_atfork_prepare(void) { pthread_mutex_lock(&table_lock); }

void http_atfork_parent(void) { pthread_mutex_unlock(&table_lock); }

void http_atfork_renew(void)
{
    pthread_mutex_init(&table_lock, NULL);
    pthread_mutex_lock(&table_lock);
}

/* No server thread in a child: drop every descriptor of the parent's
 * server.  Those in the thread's own table are not the child's (its table
 * is a copy of the program's): forgotten, not closed.  Those in the
 * program's table (all of them in the fallback; the wake pipe's write
 * end; a move's copies) are closed, each only while it is still the
 * server's: the parent's thread may have been changing the table at the
 * fork (http_atfork_child_inside), and a connection accepted and owned
 * but not yet in its slot is closed too.  The slots' memory was the
 * parent thread's to free; leave it.  Only close and fstat, both
 * async-signal-safe. */
static void drop_descriptors(void)
{
    http_fds_set_private(false);
    http_fds_close_all_shared(-1);
    http_fds_close_pending();
    listen_fd = -1;
    http_running = 0;
    http_wake[0] = http_wake[1] = -1;
    for (int i = 0; i < NSLOTS; i++)
        conns[i] = (conn){.fd = -1, .body_fd = -1};
}

void http_atfork_child(void)
{
    drop_descriptors();
    pthread_mutex_unlock(&table_lock);
}

/* prepare took no lock: the parent's server thread may have been changing
 * the tables at the fork; drop_descriptors copes. */
void http_atfork_child_inside(void) { drop_descriptors(); }
