/*
 * threadnames.c - thread labels (HEAPPROF_THREAD_LABEL), for
 * integ_thread_labels.  Every allocation is tn_alloc(1000) and stays live.
 *
 *   threads io-1 and io-22 (named by pthread_setname_np from inside) and
 *   db (named by the main thread once it has made 2 under main's name,
 *   which glibc does by writing /proc/self/task/TID/comm): 10 each;
 *   thread early (named with prctl), inside component=cache: 4, then it
 *   renames itself late (prctl) and makes 6 more, still inside the
 *   component (pushed before its first allocation);
 *   main, under the program's own name: 5 (and db's first 2).
 *
 * Checks errno around the renames and prints "ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <heapprof.h>
#include <pthread.h>
#include <sys/prctl.h>

#include "integ.h"

NOINLINE static void *tn_alloc(size_t n) { return malloc(n); }

static int bad;

static void make(int n)
{
    for (int i = 0; i < n; i++)
        if (!tn_alloc(1000))
            bad = 1;
}

static pthread_barrier_t named_go;

static void *named(void *arg)
{
    const char *name = arg;
    if (name) {
        errno = 4242;
        if (pthread_setname_np(pthread_self(), name) != 0 || errno != 4242)
            bad = 1;
    } else {
        make(2); /* under the name it was born with, main's */
        pthread_barrier_wait(&named_go);
        pthread_barrier_wait(&named_go); /* named by main meanwhile */
    }
    make(10);
    return NULL;
}

static void *renamed(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "early", 0, 0, 0);
    heapprof_label_push("component", "cache");
    make(4);
    errno = 4242;
    if (prctl(PR_SET_NAME, "late", 0, 0, 0) != 0 || errno != 4242)
        bad = 1;
    make(6);
    heapprof_label_pop();
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    pthread_create(&t[0], NULL, named, "io-1");
    pthread_create(&t[1], NULL, named, "io-22");
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    pthread_barrier_init(&named_go, NULL, 2);
    pthread_create(&t[2], NULL, named, NULL);
    pthread_barrier_wait(&named_go);
    if (pthread_setname_np(t[2], "db") != 0)
        bad = 1;
    pthread_barrier_wait(&named_go);
    pthread_join(t[2], NULL);
    pthread_create(&t[3], NULL, renamed, NULL);
    pthread_join(t[3], NULL);
    make(5);
    printf(bad ? "bad\n" : "ok\n");
    return bad;
}
