/*
 * deep - small-object churn under deep, varied call stacks: a server's
 * request handlers, where the cost of walking a stack shows.
 *
 *   deep [threads=2] [requests=600k] [allocs=32] [depth=32] [kinds=4]
 *        [leaves=3] [slots=4096] [seed=1]
 *
 * Each request descends depth + 1 frames of handler functions (levels
 * depth down to 0), the same for every request but for the innermost ones:
 * from level KIND_LEVELS down, each handler picks its callee by the
 * request's kind too (one of `kinds`, at most 8, at random).  Then it makes
 * `allocs` malloc/free pairs as churn does (a random slot's object freed, a
 * new one of 16-1040 bytes in its place, first and last byte touched),
 * each from the end of a random path of `leaves` more frames (4^leaves
 * paths).  So a thread's allocations share the frames from its start down
 * to the kind's handlers (about 28 at the default depth), those of one
 * request the handlers too, and few the whole stack: unlike churn's, where
 * every allocation has the same stack.  The handlers are eight functions with frames of different sizes,
 * none of them a tail call, as compiled code without frame pointers has
 * them (-O2).
 */
#include "bench.h"

typedef struct ctx {
    bench_slots s;
    uint64_t allocs, leaves, kind;
} ctx;

/* The leaf paths: four functions, each calling one of the four by the next
 * two bits of the path, `left` more times, then allocating.  The work
 * after each call keeps it from being a tail call (one frame fewer). */
typedef void leaf_fn(ctx *, unsigned, uint64_t);
static leaf_fn *const leaf[4];
#define LEAF(k)                                                                          \
    static __attribute__((noinline)) void leaf##k(ctx *c, unsigned left, uint64_t bits) \
    {                                                                                    \
        volatile unsigned char pad[16 * (k + 1)];                                       \
        pad[0] = (unsigned char)bits;                                                    \
        if (left)                                                                        \
            leaf[bits & 3](c, left - 1, bits >> 2);                                      \
        else                                                                             \
            bench_pair(&c->s);                                                           \
        c->s.sum += pad[0] + k;                                                          \
    }
LEAF(0)
LEAF(1)
LEAF(2)
LEAF(3)
static leaf_fn *const leaf[4] = {leaf0, leaf1, leaf2, leaf3};

static void serve(ctx *c)
{
    for (uint64_t a = 0; a < c->allocs; a++) {
        uint64_t bits = bench_rand(&c->s.rng);
        if (c->leaves)
            leaf[bits & 3](c, (unsigned)c->leaves - 1, bits >> 2);
        else
            bench_pair(&c->s);
    }
}

/* The handlers: eight functions; which one runs at a level depends on the
 * level, and in the last KIND_LEVELS on the request's kind. */
enum { KIND_LEVELS = 8 };
typedef void step_fn(ctx *, unsigned);
static step_fn *const step[8];
#define STEP(k)                                                             \
    static __attribute__((noinline)) void step##k(ctx *c, unsigned level) \
    {                                                                       \
        volatile uint64_t pad[2 * (k + 1)];                                \
        pad[0] = level;                                                     \
        if (level)                                                          \
            step[(level * 5 + (level <= KIND_LEVELS) * c->kind * 3 + k) & 7](c, level - 1); \
        else                                                                \
            serve(c);                                                       \
        c->s.sum += pad[0];                                                 \
    }
STEP(0)
STEP(1)
STEP(2)
STEP(3)
STEP(4)
STEP(5)
STEP(6)
STEP(7)
static step_fn *const step[8] = {step0, step1, step2, step3, step4, step5, step6, step7};

typedef struct job {
    uint64_t requests, allocs, depth, kinds, leaves, slots, seed;
    bench_slots out; /* the thread's table, freed: its sums */
} __attribute__((aligned(64))) job;

static void *run(void *arg)
{
    job *j = arg;
    ctx c = {0};
    bench_slots_init(&c.s, j->slots, j->seed);
    c.allocs = j->allocs;
    c.leaves = j->leaves;
    for (uint64_t r = 0; r < j->requests; r++) {
        c.kind = bench_below(&c.s.rng, j->kinds);
        step[0](&c, (unsigned)j->depth);
    }
    bench_slots_free(&c.s);
    j->out = c.s;
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t threads = bench_arg(argc, argv, "threads", 2);
    uint64_t requests = bench_arg(argc, argv, "requests", 600000);
    uint64_t allocs = bench_arg(argc, argv, "allocs", 32);
    uint64_t depth = bench_arg(argc, argv, "depth", 32);
    uint64_t kinds = bench_arg(argc, argv, "kinds", 4);
    uint64_t leaves = bench_arg(argc, argv, "leaves", 3);
    uint64_t slots = bench_arg(argc, argv, "slots", 4096);
    uint64_t seed = bench_arg(argc, argv, "seed", 1);
    if (threads < 1 || threads > 256 || kinds < 1 || kinds > 8 || depth > 1000 || leaves > 30) {
        fprintf(stderr, "deep: threads must be 1..256, kinds 1..8, depth at most 1000, "
                        "leaves at most 30\n");
        return 2;
    }
    job jobs[256];
    for (uint64_t t = 0; t < threads; t++)
        jobs[t] = (job){requests / threads + (t < requests % threads), allocs, depth, kinds, leaves,
                        slots, seed * 1000 + t, {0}};
    bench_run_jobs(run, jobs, sizeof jobs[0], threads);
    bench_slots_report("deep", jobs, sizeof jobs[0], offsetof(job, out), threads);
    return 0;
}
