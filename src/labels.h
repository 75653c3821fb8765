/*
 * labels.h - component labels: per-thread sets of key=value pairs that
 * sampled allocations carry into the profile.
 *
 * A program brackets work with heapprof_label_push("component", "parser")
 * / heapprof_label_pop().  Each distinct key=value pair is interned once
 * (a "pair"), and each distinct chain of pushes is interned once (a "set":
 * its parent set plus one pair), so a thread's current labels are one
 * 32-bit set id, and push/pop are a hash lookup and a store.  Set 0 is the
 * empty set ("root").  Interned pairs and sets live for the whole process,
 * are bounded, and are found without locks (slots are claimed by CAS).
 *
 * Within a set, the innermost value of a key wins: push(component, http)
 * then push(component, parser) means component=parser until the pop.
 *
 * Thread labels (HEAPPROF_THREAD_LABEL): each thread's chain of pushes
 * then starts from a set of one pair, thread=<its name>, rather than from
 * the root, so a sample's set holds its thread as one more pair and costs
 * the sample nothing more.  The name is read (prctl PR_GET_NAME, one
 * system call) at the thread's first sample and again after any thread of
 * the process is renamed through pthread_setname_np or prctl(PR_SET_NAME)
 * (labels_thread_renamed, a generation every thread compares at its next
 * sample); the thread's chain is then re-interned on its new base (or
 * kept as it was, old name and all, when the tables cannot hold it).  A name
 * written to /proc/self/task/TID/comm directly is seen at the next rename
 * of any thread only.
 */
#ifndef HEAPPROF_LABELS_H
#define HEAPPROF_LABELS_H

#include <stddef.h>
#include <stdint.h>

/* A set holds at most LABELS_MAX_PAIRS pairs: the pushes, and the
 * thread's. */
enum { LABELS_MAX_DEPTH = 16, LABELS_MAX_PAIRS = LABELS_MAX_DEPTH + 1, LABELS_TEXT_MAX = 64 };

/* The calling thread's current set. */
uint32_t labels_current(void);

/* The set a sample of the calling thread carries: labels_current(), its
 * base first brought up to date with the thread's name when thread labels
 * are on and a name may have changed.  errno is kept. */
uint32_t labels_for_sample(void);

/* Thread labels on (CONFIG_THREAD_NAME, CONFIG_THREAD_POOL) or off; set
 * once at start, before any sample. */
void labels_thread_mode(int mode);

/* A thread of the process was renamed: every thread's next sample reads
 * its name again.  Async-signal-safe. */
void labels_thread_renamed(void);

/* name as a pool's label: each run of digits as one '*' (worker-17 and
 * worker-3 are both worker-*), into out (at least strlen(name) + 1). */
void labels_pool_name(const char *name, char *out);

/* Push key=value on the calling thread: 0, EINVAL (empty/too long key or
 * value), ENOSPC (table full: the thread's labels stay as they were, and
 * the matching pop is still required), or E2BIG (nested too deep). */
int labels_push(const char *key, const char *value);

/* Undo the last push (no-op at depth 0). */
void labels_pop(void);

/* The pairs of a set, innermost first, one per key (inner wins).  Returns
 * how many were stored (at most max). */
typedef struct label_pair {
    const char *key, *value;
} label_pair;
size_t labels_expand(uint32_t set, label_pair *out, size_t max);

/* Value of `key` in set, or NULL. */
const char *labels_value(uint32_t set, const char *key);

/* Number of sets interned (including the empty one). */
uint32_t labels_set_count(void);

/* In a fork child: a mapping of the tables that a thread of the parent had
 * in progress at the fork is given up (no such thread here), so that the
 * child's first push maps them anew rather than waiting forever.  Only
 * atomics: async-signal-safe. */
void labels_atfork_child(void);

/* Forget everything (unit tests; not thread-safe). */
void labels_reset(void);

#endif
