/*
 * log.c - see log.h.  The bucket holds LOG_BURST lines and refills one line
 * per second; a suppressed line is counted and the count reported with the
 * next line that gets through.  Formatting uses vsnprintf, which in glibc
 * does not allocate for the plain conversions used here (%s %d %u %zu %llu).
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* LOG_MAX: room for the longest HEAPPROF_OUT path plus its message. */
enum { LOG_BURST = 10, LOG_MAX = 4096 };

static const int log_fd = 2;
static long log_tokens = LOG_BURST;
static time_t log_last_refill;
static unsigned long log_suppressed;

/* Returns nonzero if a line may be written now.  The bucket state is shared
 * by threads without a lock: a race can let one extra line through, which is
 * harmless, and taking a lock here could deadlock a caller inside malloc. */
static int log_take_token(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    time_t last = __atomic_load_n(&log_last_refill, __ATOMIC_RELAXED);
    if (ts.tv_sec > last) {
        long refill = (long)(ts.tv_sec - last);
        long t = __atomic_load_n(&log_tokens, __ATOMIC_RELAXED) + refill;
        __atomic_store_n(&log_tokens, t > LOG_BURST ? LOG_BURST : t, __ATOMIC_RELAXED);
        __atomic_store_n(&log_last_refill, ts.tv_sec, __ATOMIC_RELAXED);
    }
    if (__atomic_sub_fetch(&log_tokens, 1, __ATOMIC_RELAXED) >= 0)
        return 1;
    __atomic_store_n(&log_tokens, 0, __ATOMIC_RELAXED);
    __atomic_add_fetch(&log_suppressed, 1, __ATOMIC_RELAXED);
    return 0;
}

int log_line(const char *fmt, ...)
{
    int saved = errno;
    if (!log_take_token()) {
        errno = saved;
        return 0;
    }
    char buf[LOG_MAX];
    size_t n = (size_t)snprintf(buf, sizeof buf, "heapprof: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : (n + (size_t)m >= sizeof buf - 1 ? sizeof buf - 2 : n + (size_t)m);
    unsigned long lost = __atomic_exchange_n(&log_suppressed, 0, __ATOMIC_RELAXED);
    if (lost && n < sizeof buf - 40)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " (%lu earlier messages suppressed)", lost);
    if (n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    for (size_t off = 0; off < n;) {
        ssize_t w = write(log_fd, buf + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    errno = saved;
    return 1;
}
