/*
 * sigwindow.c - a signal handler that allocates, and one that jumps out,
 * between heapprof's countdown and its slow path (integ_sigwindow).
 *
 * raiser.c, preloaded after heapprof as the allocator, raises SIGUSR1 in
 * its malloc of RAISER_SIZE bytes, before it allocates.  Run in exact mode
 * (HEAPPROF_SAMPLE=1): the handler's allocations, and every allocation
 * after a handler that jumped out with siglongjmp, must be recorded.  The
 * unsigned countdown left the budget past its end there until the slow
 * path ran: the handler's malloc went unrecorded, and after the jump the
 * thread was never sampled again.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>

#include "integ.h"

#define RAISER_SIZE 424242

static site s_raised = SITE(sw_raised);
static site s_in_handler = SITE(sw_in_handler);
static site s_after_jump = SITE(sw_after_jump);

static sigjmp_buf jump_back;
static volatile sig_atomic_t jumping;

NOINLINE static void sw_in_handler(void)
{
    void *p = malloc(77);
    keep(p);
    site_alloc(&s_in_handler, 77);
}

static void on_usr1(int sig)
{
    (void)sig;
    sw_in_handler();
    if (jumping)
        siglongjmp(jump_back, 1);
}

NOINLINE static void *sw_raised(void)
{
    void *p = malloc(RAISER_SIZE);
    CHECK(p, "malloc");
    site_alloc(&s_raised, RAISER_SIZE);
    return p;
}

NOINLINE static void sw_after_jump(void)
{
    for (int i = 0; i < 10; i++) {
        void *p = malloc(55);
        CHECK(p, "malloc");
        keep(p);
        site_alloc(&s_after_jump, 55);
    }
}

int main(void)
{
    int *armed = dlsym(RTLD_DEFAULT, "raiser_armed");
    CHECK(armed, "raiser.so is not preloaded");
    struct sigaction sa = {.sa_handler = on_usr1};
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
    __atomic_store_n(armed, 1, __ATOMIC_RELEASE);
    /* 1. The handler allocates and returns. */
    keep(sw_raised());
    /* 2. The handler allocates and jumps out of the allocator: the
     * malloc it interrupted never returns and allocates nothing. */
    jumping = 1;
    if (!sigsetjmp(jump_back, 1)) {
        malloc(RAISER_SIZE);
        CHECK(0, "the handler did not jump");
    }
    jumping = 0;
    __atomic_store_n(armed, 0, __ATOMIC_RELEASE);
    sw_after_jump();
    site_print(&s_raised);
    site_print(&s_in_handler);
    site_print(&s_after_jump);
    fflush(stdout);
    return 0;
}
