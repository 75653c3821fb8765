/* Unit tests: the spinlocks' contended wait (src/spin.c).  A waiter yields
 * a few times, then sleeps, so that a holder of lower priority on its CPU
 * can run (a real-time thread's yield leaves the CPU to no such thread);
 * the program's errno survives the wait, a signal in the middle of a sleep
 * included; and a lock whose holder is in another process is taken over. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "common.h"

/* sched_yield counted: spin.c's calls resolve to this definition. */
static unsigned long yields;

int sched_yield(void)
{
    __atomic_add_fetch(&yields, 1, __ATOMIC_RELAXED);
    return 0; /* the caller loops; nothing is lost by not leaving the CPU */
}

static int lock;
static int waiter_errno;

static void *waiter(void *arg)
{
    (void)arg;
    errno = 12345;
    spin_lock(&lock);
    waiter_errno = errno;
    spin_unlock(&lock);
    return NULL;
}

static void on_signal(int sig) { (void)sig; }

static void test_long_wait_sleeps(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: the sleep ends in EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    __atomic_store_n(&yields, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&lock, 1, __ATOMIC_RELEASE); /* held, as by another thread */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, waiter, NULL), 0);
    while (__atomic_load_n(&yields, __ATOMIC_RELAXED) < 64)
        usleep(1000);
    /* The waiter now sleeps between looks: however long it waits, it
     * yields no more.  Signals interrupt its sleeps meanwhile. */
    for (int i = 0; i < 50; i++) {
        pthread_kill(t, SIGUSR1);
        usleep(2000);
    }
    assert_int_equal(__atomic_load_n(&yields, __ATOMIC_RELAXED), 64);
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    assert_int_equal(waiter_errno, 12345);
    assert_int_equal(lock, 0);
    signal(SIGUSR1, SIG_DFL);
}

/* The owner is another process (a child made without fork handlers sees
 * its parent's pid there): a lock left held is taken over. */
static void test_orphan_takes_over(void **state)
{
    (void)state;
    spin_set_owner(getpid() + 1);
    int held = 1;
    errno = 777;
    spin_lock(&held);
    assert_int_equal(held, 1); /* ours now */
    assert_int_equal(errno, 777);
    spin_unlock(&held);
    spin_set_owner(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_wait_sleeps),
        cmocka_unit_test(test_orphan_takes_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
