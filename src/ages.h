/*
 * ages.h - how long the live sampled objects have been alive.
 *
 * A leak is memory allocated steadily and never freed, so in one profile
 * its live objects are of every age since it began; a working set's are
 * young, start-up state's as old as the process.  Each live entry keeps
 * the second it was allocated (live.h), and a profile splits each stack's
 * in-use values by age band (dump.c): `go tool pprof -tagfocus
 * age=600s:` shows what has been live for ten minutes or more, from one
 * profile, with no earlier one to diff against.
 *
 * Time is CLOCK_MONOTONIC_COARSE in whole seconds, modulo 2^28 (8.5
 * years), the 28 bits an entry has room for: one vDSO read per sample (~10 ticks
 * of a ~300-tick sample, read before the walk so the two overlap), none on
 * any other path.  Ages are exact to a second, and read modulo 8.5 years.
 * A fork child keeps its parent's entries and clock, so their ages stay
 * (integ_ages).  A process that moves into another time namespace
 * (setns) reads another monotonic clock: the ages of what it allocated
 * before are then off by the namespaces' difference.
 */
#ifndef HEAPPROF_AGES_H
#define HEAPPROF_AGES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AGES_CLOCK_MASK 0xfffffffu

/* Now, as an entry stores it. */
static inline uint32_t ages_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts))
        return 0; /* cannot fail with this clock id; ages then read 0 */
    return (uint32_t)ts.tv_sec & AGES_CLOCK_MASK;
}

/* The age, in seconds, at `now` of an object born at `born` (both
 * ages_now() values).  An object born after `now`, by a second or two (a
 * sample taken while a profile is written), is 0 s old, not 8.5 years. */
uint32_t ages_of(uint32_t born, uint32_t now);

/* The bands: AGES_BANDS lower bounds in seconds, ascending, at round
 * values (1 s, 2 s, 5 s, 10 s, 20 s, 30 s, 1 min, 2, 5, 10, 20, 30 min,
 * 1 h, 2, 3, 6, 12 h, 1 day, 2, 4 days, 1 week, 2, 4, 8, 16 weeks) so
 * that a filter at a round age falls on a boundary.  A profile's `age`
 * label is its band's lower bound: an object 700 s old counts as 600 s. */
enum { AGES_BANDS = 26 };
extern const uint32_t ages_band_lower[AGES_BANDS];

/* The list itself, for the CLI's reader too (src/cli/age.c), which must
 * know the bands the library writes but links none of its tables. */
#define AGES_BAND_LOWER                                                      \
    {                                                                        \
        0, 1, 2, 5, 10, 20, 30,                /* seconds */                 \
        60, 120, 300, 600, 1200, 1800,         /* 1, 2, 5, 10, 20, 30 min */ \
        3600, 7200, 10800, 21600, 43200,       /* 1, 2, 3, 6, 12 h */        \
        86400, 172800, 345600,                 /* 1, 2, 4 days */            \
        604800, 1209600, 2419200, 4838400, 9676800 /* 1, 2, 4, 8, 16 weeks */ \
    }

/* The band of an age in seconds. */
unsigned ages_band(uint32_t age);

/* Lifetimes: how long a sampled object lived, from its allocation to its
 * free, read on the same clock when a sampled free removes its entry
 * (profiler.c, stacks_add_freed).  Few bands, so that a stack's counts of
 * them stay small (stacks.h): under 1 s, 1 s, 10 s, 1 min, 10 min, 1 h and
 * more, lower bounds like the ages' (and a subset of them).  Whole seconds
 * of a coarse clock: an object lives in band 0 when its allocation and its
 * free fall in the same second, so one freed within microseconds reads
 * 1 s when a tick falls between the two (about one in a thousand for a
 * lifetime of a millisecond), and one that lived 1.9 s may read 1 s or 2 s;
 * band L holds lifetimes of L - 1 s to the next bound (exclusive) at worst. */
enum { AGES_LIFETIMES = 6 };
#define AGES_LIFETIME_LOWER {0, 1, 10, 60, 600, 3600}
extern const uint32_t ages_lifetime_lower[AGES_LIFETIMES];

/* The lifetime band of a lifetime in seconds. */
unsigned ages_lifetime_band(uint32_t lifetime);

struct stack_totals;

/* Each stack's in-use totals by band, for the stacks of id below n: the
 * live table folded at one moment (ages_fold), kept for one profile. */
typedef struct ages_table ages_table;

/* Fold the live table by stack and band.  Two passes (which bands each
 * stack has, then the totals into exactly that many slots), so its memory
 * is 8 bytes per stack plus 40 per stack and band in use, not 40 per
 * stack and possible band.  An entry inserted between the passes in a
 * band its stack had not is left for the next profile, like a sample
 * taken after the fold (dump.c).  NULL when out of memory. */
ages_table *ages_fold(size_t n);
void ages_free(ages_table *a);

/* The bands stack `id` has live objects in: bit b for band b (0 for none,
 * or an id beyond the table). */
uint32_t ages_mask(const ages_table *a, uint32_t id);

/* Stack id's totals in band b (a bit of ages_mask). */
const struct stack_totals *ages_totals(const ages_table *a, uint32_t id, unsigned b);

/* The estimated bytes of the live sampled objects by band, now: one pass
 * over the live table, no allocation (metrics.c). */
void ages_live_bytes(uint64_t by_band[AGES_BANDS]);

#endif
