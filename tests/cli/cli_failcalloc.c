/*
 * cli_failcalloc.c - preloaded into the heapprof command by the CLI tests
 * to reach its out-of-memory paths, which no input can: calloc(N, S) fails
 * with ENOMEM for the N and S of CLI_FAIL_CALLOC="N,S[,K]", every such call
 * or only the K-th.  Every other call goes to glibc's calloc.
 */
#include <errno.h>
#include <stdlib.h>

extern void *__libc_calloc(size_t n, size_t size);

void *calloc(size_t n, size_t size)
{
    /* Parsed once, without allocating (getenv and strtoul do not). */
    static int parsed;
    static unsigned long want_n, want_size, want_k, seen;
    if (!parsed) {
        const char *s = getenv("CLI_FAIL_CALLOC");
        char *end;
        if (s) {
            want_n = strtoul(s, &end, 10);
            if (*end == ',')
                want_size = strtoul(end + 1, &end, 10);
            if (*end == ',')
                want_k = strtoul(end + 1, &end, 10);
        }
        parsed = 1;
    }
    if (want_n && n == want_n && size == want_size && (++seen == want_k || !want_k)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_calloc(n, size);
}
