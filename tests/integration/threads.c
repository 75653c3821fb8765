/*
 * threads.c - producers allocate, consumers on other threads free (or grow
 * with realloc, or keep); each thread also churns privately.  Exact mode:
 * the per-function totals must match the program's atomic counters, and the
 * in-use totals of everything freed must be back to zero, whichever thread
 * did the freeing.
 *
 * Usage: threads [producers consumers items_per_producer]   (default 3 3 20000)
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "integ.h"

static site s_produce = SITE(th_produce_item);
static site s_produce_calloc = SITE(th_produce_zeroed);
static site s_consumer_grow = SITE(th_consumer_grow);
static site s_churn = SITE(th_private_churn);
static site s_thread_arg = SITE(th_make_arg);

typedef struct item {
    size_t size;       /* bytes requested for this block */
    site *site;        /* where it was allocated */
    uint32_t check;    /* producer id * 2^20 + sequence, for corruption checks */
    struct item *next;
} item;

enum { QCAP = 256 };
static item *queue[QCAP];
static size_t qhead, qlen;
static int producers_left;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qnotempty = PTHREAD_COND_INITIALIZER, qnotfull = PTHREAD_COND_INITIALIZER;

static void push(item *it)
{
    pthread_mutex_lock(&qlock);
    while (qlen == QCAP)
        pthread_cond_wait(&qnotfull, &qlock);
    queue[(qhead + qlen++) % QCAP] = it;
    pthread_cond_signal(&qnotempty);
    pthread_mutex_unlock(&qlock);
}

static item *pop(void)
{
    pthread_mutex_lock(&qlock);
    while (qlen == 0 && producers_left > 0)
        pthread_cond_wait(&qnotempty, &qlock);
    item *it = NULL;
    if (qlen) {
        it = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        pthread_cond_signal(&qnotfull);
    }
    pthread_mutex_unlock(&qlock);
    return it;
}

NOINLINE static item *th_produce_item(size_t n, uint32_t check)
{
    item *it = malloc(n);
    CHECK(it, "malloc(%zu)", n);
    it->size = n;
    it->site = &s_produce;
    it->check = check;
    it->next = NULL;
    site_alloc(&s_produce, n);
    return it;
}

NOINLINE static item *th_produce_zeroed(size_t count, uint32_t check)
{
    item *it = calloc(count, sizeof(item));
    CHECK(it, "calloc");
    it->size = count * sizeof(item);
    it->site = &s_produce_calloc;
    it->check = check;
    site_alloc(&s_produce_calloc, it->size);
    return it;
}

/* Private malloc/free pairs: everything freed on the same thread. */
NOINLINE static void th_private_churn(int k)
{
    void *v[8];
    for (int i = 0; i < 8; i++) {
        size_t n = (size_t)(k % 500 + i * 3 + 1);
        v[i] = malloc(n);
        CHECK(v[i], "malloc");
        site_alloc(&s_churn, n);
    }
    for (int i = 7; i >= 0; i--) {
        free(v[i]);
        site_free(&s_churn, (size_t)(k % 500 + i * 3 + 1));
    }
}

static int nitems;

static void *producer(void *arg)
{
    int id = *(int *)arg;
    free(arg); /* allocated by the main thread (th_make_arg), freed here */
    site_free(&s_thread_arg, sizeof(int));
    for (int i = 0; i < nitems; i++) {
        uint32_t check = (uint32_t)id << 20 | (uint32_t)i;
        item *it = i % 5 == 4 ? th_produce_zeroed((size_t)(i % 7 + 1), check)
                              : th_produce_item(sizeof(item) + (size_t)(i % 301), check);
        push(it);
        if (i % 16 == 0)
            th_private_churn(i + id);
    }
    pthread_mutex_lock(&qlock);
    producers_left--;
    pthread_cond_broadcast(&qnotempty);
    pthread_mutex_unlock(&qlock);
    return NULL;
}

/* Grows a block another thread allocated: its old size leaves that thread's
 * site, the new block is charged here. */
NOINLINE static item *th_consumer_grow(item *it)
{
    size_t old = it->size, n = old + 4096;
    site *from = it->site;
    item *q = realloc(it, n);
    CHECK(q, "realloc");
    site_free(from, old);
    site_alloc(&s_consumer_grow, n);
    q->size = n;
    q->site = &s_consumer_grow;
    return q;
}

typedef struct consumer_state {
    item *kept; /* list of blocks held to the end */
    long seen;
} consumer_state;

static void *consumer(void *arg)
{
    consumer_state *st = arg;
    item *it;
    while ((it = pop())) {
        uint32_t seq = it->check & 0xfffff;
        CHECK(seq < (uint32_t)nitems, "corrupt item %#x", it->check);
        st->seen++;
        if (seq % 97 == 0) {
            it = th_consumer_grow(it);
            it->next = st->kept;
            st->kept = it;
        } else if (seq % 50 == 1) {
            it->next = st->kept; /* kept as allocated by the producer */
            st->kept = it;
        } else {
            site_free(it->site, it->size);
            free(it);
        }
        if (st->seen % 64 == 0)
            th_private_churn((int)st->seen);
    }
    return NULL;
}

NOINLINE static int *th_make_arg(int v)
{
    int *p = malloc(sizeof *p);
    CHECK(p, "malloc");
    *p = v;
    site_alloc(&s_thread_arg, sizeof *p);
    return p;
}

int main(int argc, char **argv)
{
    int np = argc > 1 ? atoi(argv[1]) : 3;
    int nc = argc > 2 ? atoi(argv[2]) : 3;
    nitems = argc > 3 ? atoi(argv[3]) : 20000;
    CHECK(np > 0 && np <= 64 && nc > 0 && nc <= 64 && nitems > 0 && nitems < (1 << 20), "usage");
    producers_left = np;
    pthread_t pt[64], ct[64];
    consumer_state cs[64];
    memset(cs, 0, sizeof cs);
    for (int i = 0; i < nc; i++)
        CHECK(pthread_create(&ct[i], NULL, consumer, &cs[i]) == 0, "pthread_create");
    for (int i = 0; i < np; i++)
        CHECK(pthread_create(&pt[i], NULL, producer, th_make_arg(i)) == 0, "pthread_create");
    for (int i = 0; i < np; i++)
        pthread_join(pt[i], NULL);
    long seen = 0;
    for (int i = 0; i < nc; i++) {
        pthread_join(ct[i], NULL);
        seen += cs[i].seen;
    }
    CHECK(seen == (long)np * nitems, "consumed %ld of %ld items", seen, (long)np * nitems);

    /* The blocks kept by consumers stay allocated to the end: free every
     * other list head from here, the main thread. */
    for (int i = 0; i < nc; i++)
        if (cs[i].kept) {
            item *it = cs[i].kept;
            cs[i].kept = it->next;
            site_free(it->site, it->size);
            free(it);
        }

    site_print(&s_produce);
    site_print(&s_produce_calloc);
    site_print(&s_consumer_grow);
    site_print(&s_churn);
    site_print(&s_thread_arg);
    CHECK(s_churn.io == 0 && s_churn.is == 0, "bookkeeping");
    fflush(stdout);
    return 0;
}
