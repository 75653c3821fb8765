/* lowfdctor: the descriptor numbers the program's open() gets from its
 * first instant, when the profiler's writer thread has just started.  Its
 * constructor (which runs right after the preloaded profiler's) closes
 * fd 0, as a daemon does, then for 30 ms opens /dev/null, which must be
 * fd 0 every time (the lowest free number, POSIX), and closes it.  Prints
 * "opens=N elsewhere=K" and exits 1 when K > 0. */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int opens, elsewhere;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

__attribute__((constructor)) static void watch(void)
{
    close(0);
    double end = now_s() + 0.03;
    do {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        opens++;
        if (fd != 0)
            elsewhere++;
        if (fd >= 0)
            close(fd);
    } while (now_s() < end);
}

int main(void)
{
    printf("opens=%d elsewhere=%d\n", opens, elsewhere);
    return elsewhere > 0;
}
