/*
 * dlstress.c - threads dlopen/dlclose libraries in a loop while others
 * malloc/free, while the profiler writes profiles (HEAPPROF_PERIOD and
 * SIGUSR2 from the main thread): allocation inside dlopen (library
 * constructors, dynamic TLS), unwinding through code being loaded and
 * unloaded, and symbolization of a changing set of mappings.  Must finish
 * and leave valid profiles.
 *
 * Usage: dlstress LIB_A LIB_B [iterations]   (default 300)
 *   also opens libm.so.6 (already loaded: reference counts only) and libz.so.1
 *   (loaded and unloaded, as libheapprof.so has zlib built in; already
 *   loaded where it is built with HEAPPROF_STATIC_DEPS=OFF)
 * Prints expect lines for the churn site (exact mode).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "integ.h"

static site s_churn = SITE(dl_churn);
static site s_dl_caller = SITE(dl_caller_kept);

static const char *libs[4];
static int iterations;
static volatile int stop_signals;

typedef void *(*tiny_alloc_fn)(size_t);

/* Blocks from tiny_alloc, kept: their leaf is tiny_alloc, in a library that
 * may be unloaded when a profile is written. */
static void *dl_kept[4096];
static int ndl_kept;
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

NOINLINE static void dl_caller_kept(void *p, size_t n)
{
    /* Not an allocation site: just records it (the leaf is tiny_alloc). */
    pthread_mutex_lock(&kept_lock);
    if (ndl_kept < 4096)
        dl_kept[ndl_kept++] = p;
    else
        free(p);
    pthread_mutex_unlock(&kept_lock);
    (void)n;
}

static void *dl_thread(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < iterations; i++) {
        const char *name = libs[(i + id) % 4];
        void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
        CHECK(h, "dlopen(%s): %s", name, dlerror());
        tiny_alloc_fn f = (tiny_alloc_fn)dlsym(h, "tiny_alloc");
        if (f) {
            void *p = f(64 + (size_t)i);
            CHECK(p, "tiny_alloc");
            if (i % 8 == 0)
                dl_caller_kept(p, 64 + (size_t)i);
            else
                free(p);
        } else {
            CHECK(dlsym(h, strstr(name, "libm") ? "cos" : "zlibVersion"), "dlsym: %s", dlerror());
        }
        CHECK(dlclose(h) == 0, "dlclose(%s): %s", name, dlerror());
    }
    return NULL;
}

NOINLINE static void dl_churn(int k)
{
    void *v[16];
    for (int i = 0; i < 16; i++) {
        size_t n = (size_t)(k % 4000 + i * 13 + 1);
        v[i] = malloc(n);
        CHECK(v[i], "malloc");
        site_alloc(&s_churn, n);
    }
    for (int i = 0; i < 16; i++) {
        size_t n = (size_t)(k % 4000 + i * 13 + 1);
        if (i == 5 && k % 100 == 0) {
            keep(v[i]); /* leaked on purpose: stays in use */
            continue;
        }
        free(v[i]);
        site_free(&s_churn, n);
    }
}

static void *churn_thread(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int k = 0; k < iterations * 20; k++)
        dl_churn(k * 7 + id);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 3, "usage: dlstress LIB_A LIB_B [iterations]");
    libs[0] = argv[1];
    libs[1] = argv[2];
    libs[2] = "libm.so.6";
    libs[3] = "libz.so.1";
    iterations = argc > 3 ? atoi(argv[3]) : 300;
    enum { NDL = 3, NCHURN = 2 };
    pthread_t t[NDL + NCHURN];
    for (int i = 0; i < NDL; i++)
        CHECK(pthread_create(&t[i], NULL, dl_thread, (void *)(intptr_t)i) == 0, "pthread_create");
    for (int i = 0; i < NCHURN; i++)
        CHECK(pthread_create(&t[NDL + i], NULL, churn_thread, (void *)(intptr_t)i) == 0,
              "pthread_create");
    /* Profiles on demand while all that runs (the handler only wakes the
     * writer; a signal that arrives while a profile is being written is
     * merged into the next). */
    for (int i = 0; i < 20; i++) {
        kill(getpid(), SIGUSR2);
        testlib_sleep_ms(10);
    }
    for (int i = 0; i < NDL + NCHURN; i++)
        pthread_join(t[i], NULL);
    printf("kept_from_tiny %d\n", ndl_kept);
    site_print(&s_churn);
    site_print(&s_dl_caller);
    fflush(stdout);
    return 0;
}
