/* The demo's program: a toy request loop with a steady working set
 * (handle_request) and a cache that never evicts (cache_insert): the leak
 * the early/late diff should point at. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { stop = 1; }

struct entry { struct entry *next; char *key; char payload[200]; };
static struct entry *cache;

__attribute__((noinline)) static void cache_insert(unsigned id)
{
    struct entry *e = malloc(sizeof *e);
    char key[32];
    snprintf(key, sizeof key, "request-%u", id);
    e->key = strdup(key);
    memset(e->payload, (int)id, sizeof e->payload);
    e->next = cache;
    cache = e; /* never evicted: grows with every request */
}

__attribute__((noinline)) static unsigned long handle_request(unsigned id)
{
    size_t n = 4096 + (id % 64) * 1024;
    unsigned char *buf = malloc(n); /* freed at the end of the request */
    memset(buf, (int)id, n);
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i += 512)
        sum += buf[i];
    free(buf);
    return sum;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    signal(SIGTERM, on_term);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long sum = 0;
    unsigned id = 0;
    do {
        for (int i = 0; i < 1000; i++, id++) {
            sum += handle_request(id);
            if (id % 4 == 0)
                cache_insert(id);
        }
        struct timespec pause = {0, 2000000};
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (!stop && (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9 < seconds);
    printf("served %u requests (checksum %lu)\n", id, sum);
    return 0;
}
