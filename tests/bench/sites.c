/*
 * sites - small-object churn under stacks drawn from thousands of call
 * sites: a large program's code, where the unwinder's per-address caches
 * meet more return addresses than they hold.
 *
 *   sites [threads=2] [requests=1m] [allocs=8] [depth=24] [funcs=2048]
 *         [slots=4096] [seed=1]
 *
 * The code is a pool of 2048 functions (generated below by macros), each
 * with four call sites.  A function either calls, from one of its four
 * sites at random, a function of the pool picked at random among the
 * first `funcs`, or at the bottom makes `allocs` malloc/free pairs as
 * churn makes them (a random slot's object freed, a new one of 16-1040
 * bytes in its place, first and last byte touched).  Each request
 * descends `depth` frames, so a sample's stack is new every time and a
 * run's samples return through 5 * `funcs` call sites (four into the pool
 * and one into `bottom` in each function): ~10 000 distinct return
 * addresses by default, where churn's samples have ~15 and deep's ~60.  Large programs (a browser, a database server, an interpreter with
 * its extensions) have tens of thousands.  No two functions compile to
 * the same code (each uses its own constant), so none is folded into
 * another; none is a tail call.
 */
#include "bench.h"

typedef struct ctx {
    bench_slots s;
    uint64_t allocs, funcs;
} ctx;


static __attribute__((noinline)) void bottom(ctx *c)
{
    for (uint64_t a = 0; a < c->allocs; a++)
        bench_pair(&c->s);
}

typedef void fn(ctx *, unsigned);
static fn *pool[2048];

/* One function of the pool; id is its octal name, which also sizes its
 * frame (1-4 words) and makes its code its own.  Four call sites, one
 * picked at random: four return addresses per function, so that 2048
 * functions make the 8192 sites into the pool (the compiler takes ~10 ms
 * a function here, 20-35 s for these, and 8192 functions took it two
 * minutes).  The work after each call differs, so the four calls cannot
 * be merged into one. */
#define FN(id)                                                                   \
    static __attribute__((noinline)) void f##id(ctx *c, unsigned left)           \
    {                                                                            \
        volatile uint64_t pad[1 + (0##id & 3)];                                  \
        pad[0] = left;                                                           \
        if (!left) {                                                             \
            bottom(c);                                                           \
            c->s.sum += pad[0];                                                  \
            return;                                                              \
        }                                                                        \
        uint64_t r = bench_rand(&c->s.rng);                                      \
        fn *next = pool[((r >> 32) * c->funcs) >> 32];                           \
        switch (r & 3) {                                                         \
        case 0: next(c, left - 1); c->s.sum += pad[0] + 0##id; break;            \
        case 1: next(c, left - 1); c->s.sum ^= pad[0] + 0##id; break;            \
        case 2: next(c, left - 1); c->s.sum -= pad[0] + 0##id; break;            \
        default: next(c, left - 1); c->s.sum += pad[0] * 0##id; break;           \
        }                                                                        \
    }
#define L1(m, p) m(p##0) m(p##1) m(p##2) m(p##3) m(p##4) m(p##5) m(p##6) m(p##7)
#define L2(m, p) L1(m, p##0) L1(m, p##1) L1(m, p##2) L1(m, p##3) \
                 L1(m, p##4) L1(m, p##5) L1(m, p##6) L1(m, p##7)
#define L3(m, p) L2(m, p##0) L2(m, p##1) L2(m, p##2) L2(m, p##3) \
                 L2(m, p##4) L2(m, p##5) L2(m, p##6) L2(m, p##7)
L3(FN, 1)
L3(FN, 2)
L3(FN, 3)
L3(FN, 4)
#define ENTRY(id) f##id,
static fn *pool[2048] = {L3(ENTRY, 1) L3(ENTRY, 2) L3(ENTRY, 3) L3(ENTRY, 4)};

typedef struct job {
    uint64_t requests, allocs, depth, funcs, slots, seed;
    bench_slots out; /* the thread's table, freed: its sums */
} __attribute__((aligned(64))) job;

static void *run(void *arg)
{
    job *j = arg;
    ctx c = {0};
    bench_slots_init(&c.s, j->slots, j->seed);
    c.allocs = j->allocs;
    c.funcs = j->funcs;
    for (uint64_t r = 0; r < j->requests; r++)
        pool[bench_below(&c.s.rng, c.funcs)](&c, (unsigned)j->depth - 1);
    bench_slots_free(&c.s);
    j->out = c.s;
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t threads = bench_arg(argc, argv, "threads", 2);
    uint64_t requests = bench_arg(argc, argv, "requests", 1000000);
    uint64_t allocs = bench_arg(argc, argv, "allocs", 8);
    uint64_t depth = bench_arg(argc, argv, "depth", 24);
    uint64_t funcs = bench_arg(argc, argv, "funcs", 2048);
    uint64_t slots = bench_arg(argc, argv, "slots", 4096);
    uint64_t seed = bench_arg(argc, argv, "seed", 1);
    if (threads < 1 || threads > 256 || depth < 1 || depth > 1000 || funcs < 1 || funcs > 2048) {
        fprintf(stderr, "sites: threads must be 1..256, depth 1..1000, funcs 1..2048\n");
        return 2;
    }
    job jobs[256];
    for (uint64_t t = 0; t < threads; t++)
        jobs[t] = (job){requests / threads + (t < requests % threads), allocs, depth, funcs, slots,
                        seed * 1000 + t, {0}};
    bench_run_jobs(run, jobs, sizeof jobs[0], threads);
    bench_slots_report("sites", jobs, sizeof jobs[0], offsetof(job, out), threads);
    return 0;
}
