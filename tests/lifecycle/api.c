/*
 * api.c - the public API of include/heapprof.h, from a program that links
 * without libheapprof (weak declarations) and runs with or without it.
 *
 *   api weak EXPLICIT MISSING   the whole API (see steps below); prints one
 *                               "key=value" line per fact, and exits 1 with
 *                               "FAIL ..." on stderr when a call's result is
 *                               wrong.  Without the preload: checks that
 *                               heapprof_loaded() is 0 and exits 0.
 *   api dlsym PATH              the dlsym(RTLD_DEFAULT, ...) pattern of the
 *                               header: dump to PATH if found.
 *
 * Deterministic sampling: heapprof_set_sample(1) takes effect at each
 * thread's next sample point, after at most one budget of the old interval
 * (at most about 36.7 means: sampler.c bounds the draw).  api_flush
 * allocates more than that before each exact part.
 */
#include <dlfcn.h>
#include <heapprof.h>

#include "lc.h"

enum { N = 100, SZ = 1000 };

static int failures;
#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* malloc/free `mib` blocks of 1 MiB: uses up any budget drawn with a mean of
 * at most mib/37 MiB. */
NOINLINE void api_flush(int mib)
{
    for (int i = 0; i < mib; i++)
        free(malloc((size_t)1 << 20));
}

static void *exact_objs[N], *paused_objs[N], *resumed_objs[10];

NOINLINE void *api_exact(void) { return malloc(SZ); }
NOINLINE void *api_paused(void) { return malloc(SZ); }
NOINLINE void *api_resumed(void) { return malloc(SZ); }

static int dump_keeps_errno(const char *path, int *ret)
{
    errno = EDOM;
    *ret = heapprof_dump(path);
    return errno == EDOM;
}

static int weak(const char *explicit_path, const char *missing_path)
{
    int loaded = heapprof_loaded();
    printf("loaded=%d\n", loaded);
    if (!loaded) {
        /* The weak symbols are NULL: the program must not call them. */
        CHECK(heapprof_dump == NULL && heapprof_set_sample == NULL && heapprof_get_sample == NULL,
              "without the library every API function should be NULL");
        for (int i = 0; i < N; i++)
            exact_objs[i] = api_exact();
        printf("without_library=ok\n");
        return failures ? 1 : 0;
    }
    printf("version=%s\n", heapprof_version());
    printf("sample_initial=%zu\n", heapprof_get_sample());

    /* Exact from here on. */
    CHECK(heapprof_set_sample(1) == 0, "heapprof_set_sample(1) should return 0");
    printf("sample_after_set1=%zu\n", heapprof_get_sample());
    api_flush(32); /* default interval 512 KiB: budget at most ~19 MiB */
    for (int i = 0; i < N; i++)
        exact_objs[i] = api_exact();
    for (int i = 60; i < N; i++)
        free(exact_objs[i]); /* 60 live */

    int r, kept = dump_keeps_errno(NULL, &r);
    CHECK(r == 0, "heapprof_dump(NULL) returned %d (%s), expected 0", r, strerror(r));
    CHECK(kept, "heapprof_dump(NULL) changed errno");
    printf("dump_null=%d errno_kept=%d\n", r, kept);
    char first[4096];
    testlib_profile_path(first, sizeof first, getpid(), 1);
    CHECK(testlib_exists(first), "heapprof_dump(NULL) returned but %s does not exist", first);

    /* Paused: nothing new is recorded, but sampled objects are still
     * followed to their free. */
    CHECK(heapprof_set_sample(0) == 0, "heapprof_set_sample(0) should return 0");
    printf("sample_paused=%zu\n", heapprof_get_sample());
    for (int i = 0; i < N; i++)
        paused_objs[i] = api_paused();
    for (int i = 30; i < 60; i++)
        free(exact_objs[i]); /* 30 live */

    kept = dump_keeps_errno(explicit_path, &r);
    CHECK(r == 0, "heapprof_dump(\"%s\") returned %d (%s), expected 0", explicit_path, r, strerror(r));
    CHECK(kept, "heapprof_dump(explicit path) changed errno");
    CHECK(testlib_exists(explicit_path), "heapprof_dump returned 0 but %s does not exist", explicit_path);
    printf("dump_explicit=%d errno_kept=%d\n", r, kept);

    kept = dump_keeps_errno(missing_path, &r);
    CHECK(r == ENOENT, "heapprof_dump(\"%s\") returned %d (%s), expected ENOENT (%d)", missing_path, r,
          strerror(r), ENOENT);
    CHECK(kept, "a failing heapprof_dump changed errno");
    printf("dump_missing=%s errno_kept=%d\n", r == ENOENT ? "ENOENT" : strerror(r), kept);

    /* Resume: exact again after one paused budget (at most ~37 x 64 MiB). */
    CHECK(heapprof_set_sample(1) == 0, "heapprof_set_sample(1) should return 0");
    printf("sample_resumed=%zu\n", heapprof_get_sample());
    api_flush(2600);
    for (int i = 0; i < 10; i++)
        resumed_objs[i] = api_resumed();

    kept = dump_keeps_errno(NULL, &r);
    CHECK(r == 0 && kept, "second heapprof_dump(NULL): returned %d, errno kept %d", r, kept);
    char second[4096];
    testlib_profile_path(second, sizeof second, getpid(), 2);
    CHECK(testlib_exists(second), "the second in-sequence dump should be %s (an explicit path takes no number)",
          second);
    printf("dump_null_2=%d\n", r);

    /* Far below the interval the free filter's granule was chosen for (4 KiB
     * granules at the default 512 KiB): one line on stderr, only once. */
    CHECK(heapprof_set_sample(4096) == 0, "heapprof_set_sample(4096) should return 0");
    CHECK(heapprof_set_sample(2048) == 0, "heapprof_set_sample(2048) should return 0");
    printf("sample_small=%zu\n", heapprof_get_sample());
    printf("pid=%d\n", (int)getpid());
    return failures ? 1 : 0;
}

static int by_dlsym(const char *path)
{
    int (*dump)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "heapprof_dump");
    const char *(*version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "heapprof_version");
    for (int i = 0; i < N; i++)
        exact_objs[i] = api_exact();
    if (!dump) {
        CHECK(version == NULL, "heapprof_version found but not heapprof_dump");
        printf("dlsym=absent\n");
        return failures ? 1 : 0;
    }
    CHECK(version != NULL, "heapprof_dump found but not heapprof_version");
    errno = EDOM;
    int r = dump(path);
    CHECK(errno == EDOM, "dump changed errno");
    CHECK(r == 0, "dump(\"%s\") returned %d (%s)", path, r, strerror(r));
    CHECK(testlib_exists(path), "dump returned 0 but %s does not exist", path);
    printf("dlsym=found version=%s dump=%d\n", version ? version() : "?", r);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 4 && !strcmp(argv[1], "weak"))
        return weak(argv[2], argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "dlsym"))
        return by_dlsym(argv[2]);
    fprintf(stderr, "usage: api weak EXPLICIT MISSING | api dlsym PATH\n");
    return 2;
}
