/*
 * tuning.cc - what glibc's malloc has learned about the program after the
 * profiler has written profiles (lifecycle_host_malloc_tuning).
 *
 * glibc serves a request of its mmap threshold or more (128 KiB at first)
 * by mmap, and raises the threshold to the size of any such block freed,
 * up to 32 MiB; the trim threshold follows at twice that.  A profiler that
 * frees one large temporary of its own through the program's malloc so
 * changes how every later large block of the program is served, and how
 * much freed memory the program keeps.
 *
 *   tuning [DUMPS]   allocates (operator new, so that libstdc++'s frames
 *                    and its symbols are in the profile) from 2^14 distinct
 *                    stacks, keeps it all, asks for DUMPS profiles (default
 *                    2) when the profiler is there, then allocates blocks
 *                    of 132 KiB to 32 MiB, keeping each, and prints
 *                    "SIZE=mmap" or "SIZE=heap" for each: which glibc
 *                    served by mmap (mallinfo2's hblks).  Nothing it
 *                    allocated before is freed, so that its own frees
 *                    cannot move the threshold.
 *   tuning DUMPS DIR [GO]
 *                    then waits (60 s at most each) until the file GO
 *                    exists, if given (the test has made requests of the
 *                    profiler's HTTP server), and until DIR holds two
 *                    more files than it did, the periodic profiles the
 *                    profiler's writer thread writes, and prints
 *                    "arenas=N", the arenas malloc_info() lists: a thread
 *                    of the profiler's that called malloc had one of its
 *                    own in the program.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

enum { LEVELS = 14 };
static char *kept[1 << LEVELS];
static unsigned nkept;

/* Two functions that call each other along the bits of `path`: each path
 * is a stack of its own. */
NOINLINE static void left(unsigned path, int level);
NOINLINE static void right(unsigned path, int level);

NOINLINE static void step(unsigned path, int level)
{
    if (level == LEVELS) {
        kept[nkept++] = new char[32 + path % 64];
        return;
    }
    if (path >> level & 1)
        right(path, level + 1);
    else
        left(path, level + 1);
}

NOINLINE static void left(unsigned path, int level) { step(path, level); }
NOINLINE static void right(unsigned path, int level) { step(path, level); }

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    while (struct dirent *e = readdir(d))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void print_arenas(const char *dir, const char *go)
{
    for (int i = 0; go && i < 6000 && access(go, F_OK) != 0; i++)
        usleep(10000);
    int start = files_in(dir);
    for (int i = 0; i < 6000 && files_in(dir) < start + 2; i++)
        usleep(10000);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || malloc_info(0, f) != 0) {
        printf("malloc_info failed\n");
        return;
    }
    fclose(f);
    int arenas = 0;
    for (const char *p = text; (p = strstr(p, "<heap nr=")); p++)
        arenas++;
    printf("arenas=%d\n", arenas);
    free(text);
}

int main(int argc, char **argv)
{
    int dumps = argc > 1 ? atoi(argv[1]) : 2;
    for (unsigned p = 0; p < 1u << LEVELS; p++)
        step(p, 0);
    int (*dump)(const char *) = (int (*)(const char *))dlsym(RTLD_DEFAULT, "heapprof_dump");
    for (int i = 0; dump && i < dumps; i++)
        if (dump(NULL) != 0)
            printf("dump %d failed\n", i);
    static const size_t kib[] = { 132, 140, 160, 200, 256, 512, 1024, 4096, 16384, 32768 };
    static void *probes[sizeof kib / sizeof kib[0]];
    for (size_t i = 0; i < sizeof kib / sizeof kib[0]; i++) {
        size_t before = mallinfo2().hblks;
        probes[i] = malloc(kib[i] << 10);
        size_t after = mallinfo2().hblks;
        printf("%zuK=%s\n", kib[i], after > before ? "mmap" : "heap");
    }
    printf("stacks=%u\n", nkept);
    if (argc > 2)
        print_arenas(argv[2], argc > 3 ? argv[3] : NULL);
    if (!probes[0]) /* and keeps the compiler from dropping the blocks */
        printf("probe failed\n");
    return 0;
}
