/*
 * atforklib.c - a library the program links (lc_forkhandlers) that
 * registers fork handlers from its constructor, as many libraries do, and
 * allocates and frees in them.  Its constructor runs before libheapprof's
 * (ld.so initialises the program's own libraries first), so glibc runs its
 * prepare handler after heapprof's and its parent and child handlers before
 * heapprof's: all of them while heapprof's prepare holds its locks.
 *
 *   prepare   malloc and free
 *   parent    malloc and free; dlopen and dlclose ATFORK_DLLIB (if set);
 *             heapprof_dump(), looked up at run time, whose answer is
 *             kept in atfork_dump_result
 *   child     frees the buffer allocated before (by the constructor or the
 *             last child handler) and allocates a new one of ATFORK_SIZE
 *             bytes (default 256), the per-process state such libraries
 *             rebuild
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

int atfork_dump_result = -1;

static void *state;
static size_t size = 256;
static const char *dllib;

static void prepare(void) { free(malloc(64)); }

static void parent(void)
{
    free(malloc(64));
    if (dllib) {
        void *h = dlopen(dllib, RTLD_NOW | RTLD_LOCAL);
        if (h)
            dlclose(h);
    }
    int (*dump)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "heapprof_dump");
    if (dump)
        atfork_dump_result = dump(NULL);
}

static void child(void)
{
    free(state);
    state = malloc(size);
}

__attribute__((constructor)) static void init(void)
{
    if (getenv("ATFORK_SIZE"))
        size = strtoul(getenv("ATFORK_SIZE"), NULL, 0);
    dllib = getenv("ATFORK_DLLIB");
    state = malloc(size);
    pthread_atfork(prepare, parent, child);
}
