/*
 * altmalloc.c - malloc in a signal handler on a small alternate stack
 * (host_altstack_malloc.sh): what a crash handler that formats its report
 * with backtrace_symbols() does.  The stack is the kernel's minimum signal
 * frame (AT_MINSIGSTKSZ: 3.4 KiB with AVX-512) plus 5 KiB, under a
 * PROT_NONE page, so a sample that takes more of it than it has faults
 * there instead of writing into whatever lies below.
 *
 * Prints: ok SIGNALS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SIGNALS = 200, PER_SIGNAL = 20 };
static volatile sig_atomic_t handled;

static void *in_handler(size_t n) { return malloc(n); }

static void handler(int sig)
{
    (void)sig;
    for (int i = 0; i < PER_SIGNAL; i++)
        free(in_handler(32 + (size_t)i * 8));
    handled++;
}

int main(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), min = getauxval(AT_MINSIGSTKSZ);
    if (min < MINSIGSTKSZ)
        min = MINSIGSTKSZ;
    /* Its bottom on the guard page; its top need not be page-aligned. */
    size_t size = min + 5 * 1024, map = (size + page - 1) / page * page;
    unsigned char *m = mmap(NULL, map + page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m, page, PROT_NONE)) {
        perror("altmalloc: mmap");
        return 2;
    }
    stack_t ss = {.ss_sp = m + page, .ss_size = size};
    struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    if (sigaltstack(&ss, NULL) || sigaction(SIGUSR1, &sa, NULL)) {
        perror("altmalloc: sigaltstack");
        return 2;
    }
    for (int i = 0; i < SIGNALS; i++)
        raise(SIGUSR1);
    printf("ok %d\n", (int)handled);
    return 0;
}
