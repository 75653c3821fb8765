/*
 * fdprobe.c - what a program sees of its descriptors, for integ_unwind_pipe.
 *
 *   fdprobe start           the descriptors below 512 open at main, and the
 *                           number the first open() gets: heapprof keeps
 *                           nothing there (libunwind's pipe sits at 512 and
 *                           above), so the output is the same with and
 *                           without it, also when stdin or stderr were closed
 *                           at start
 *   fdprobe closefrom DIR   a daemon's start: allocate through a frame
 *                           without unwind tables (libunwind's pipe in use),
 *                           close every descriptor from 3 up, open its own
 *                           input and output in DIR, allocate the same way
 *                           again on a new thread, then read and write them: the input must
 *                           arrive whole and the output hold only what the
 *                           program wrote.  Exit 0 when it did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *nocfi_alloc(size_t n);

enum { BEFORE = 40, AFTER = 30 };

static void *after_close(void *arg)
{
    for (int i = 0; i < AFTER; i++)
        free(nocfi_alloc(2000 + i));
    return arg;
}

static int start(void)
{
    for (int fd = 0; fd < 512; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            printf("open at main: %d\n", fd);
    char c;
    errno = 0;
    ssize_t n = read(0, &c, 1);
    printf("read(0): %zd %s\n", n, n < 0 ? strerror(errno) : "");
    int fd = open("/dev/null", O_RDONLY);
    printf("first open(): %d\n", fd);
    return 0;
}

static int closefrom3(const char *dir)
{
    static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";
    char in_path[4096], out_path[4096];
    snprintf(in_path, sizeof in_path, "%s/in", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    FILE *f = fopen(in_path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        perror(in_path);
        return 2;
    }
    for (int i = 0; i < BEFORE; i++)
        free(nocfi_alloc(1000 + i));
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int in = open(in_path, O_RDONLY), out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    /* On a new thread: libunwind remembers the last pages it found
     * readable per thread, and a new thread's stack is pages it has not
     * seen, so it checks them through its pipe. */
    pthread_t t;
    if (pthread_create(&t, NULL, after_close, NULL) || pthread_join(t, NULL)) {
        printf("FAIL pthread\n");
        return 2;
    }
    char buf[64] = "";
    ssize_t n = read(in, buf, sizeof buf);
    ssize_t w = write(out, "program output\n", 15);
    close(in);
    close(out);
    int rc = 0;
    if (n != (ssize_t)strlen(text) || memcmp(buf, text, strlen(text))) {
        printf("FAIL read(input) = %zd: '%.*s', expected all %zu bytes\n", n,
               (int)(n > 0 ? n : 0), buf, strlen(text));
        rc = 1;
    }
    f = fopen(out_path, "r");
    char got[64] = "";
    size_t g = f ? fread(got, 1, sizeof got, f) : 0;
    if (f)
        fclose(f);
    if (w != 15 || g != 15 || memcmp(got, "program output\n", 15)) {
        printf("FAIL write = %zd; the output file holds %zu bytes: '%.*s'\n", w, g, (int)g, got);
        rc = 1;
    }
    printf("closefrom: %s\n", rc ? "FAIL" : "ok");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "start"))
        return start();
    if (argc == 3 && !strcmp(argv[1], "closefrom"))
        return closefrom3(argv[2]);
    fprintf(stderr, "usage: fdprobe start | closefrom DIR\n");
    return 2;
}
