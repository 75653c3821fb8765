/*
 * labels.c - see labels.h.
 *
 * Two lock-free interning tables of the same shape: an array of records
 * filled in id order, and an open-addressing index of slots holding
 * id + 1 (0 = empty).  To intern: hash the key, probe; a slot naming a
 * matching record is the answer; at an empty slot, take the next id, fill
 * the record, and publish it with a compare-and-swap of the slot.  If the
 * CAS loses, the winner's record is compared like any other and the
 * loser's id is abandoned (one wasted record per race, bounded).  Records
 * are complete before their slot is published (release/acquire), and never
 * change afterwards, so readers need no lock.
 *
 * Memory is mapped once at first use (mem.h), sized for the bounds below.
 */
#include "labels.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>

#include "common.h"
#include "config.h"
#include "mem.h"

enum {
    MAX_PAIRS = 4096,   /* distinct key=value pairs */
    MAX_SETS = 65536,   /* distinct label sets */
    PAIR_SLOTS = 2 * MAX_PAIRS,
    THREAD_NAMES_MAX = MAX_PAIRS / 4, /* thread labels' share (thread_base) */
    THREAD_POOLS_MAX = MAX_PAIRS / 16, /* and past it, their pools' (thread_base) */
    SET_SLOTS = 2 * MAX_SETS,
};

typedef struct pair_rec {
    char key[LABELS_TEXT_MAX], value[LABELS_TEXT_MAX];
} pair_rec;

typedef struct set_rec {
    uint32_t parent; /* set id */
    uint32_t pair;   /* pair id */
} set_rec;

typedef struct label_stack {
    uint32_t cur;
    uint32_t base; /* the set the chain starts from: {thread=name}, or 0 */
    uint32_t gen;  /* thread_gen when the base was read */
    uint32_t depth;
    uint32_t overflow; /* pushes beyond LABELS_MAX_DEPTH, refused but counted */
    uint32_t busy;     /* a push, pop or rebase of this thread under way (hold/release) */
    uint32_t saved[LABELS_MAX_DEPTH];
} label_stack;

static __thread label_stack tls_labels __attribute__((tls_model("initial-exec")));

static pair_rec *pairs;
static uint32_t *pair_slots;
static uint32_t npairs;
static set_rec *sets;
static uint32_t *set_slots;
static uint32_t nsets = 1; /* set 0: empty */
static int mapped;         /* 0 no, 1 in progress, 2 yes, 3 failed */
static int thread_mode;    /* CONFIG_THREAD_* */
static uint32_t thread_gen; /* 0: thread labels off; else one more at each rename */
static uint32_t thread_names; /* distinct names interned as they are (about) */

static int map_tables(void)
{
    int st = __atomic_load_n(&mapped, __ATOMIC_ACQUIRE);
    if (st == 2)
        return 0;
    int expect = 0;
    if (st == 0 && __atomic_compare_exchange_n(&mapped, &expect, 1, false, __ATOMIC_ACQ_REL,
                                               __ATOMIC_ACQUIRE)) {
        pairs = mem_map(MAX_PAIRS * sizeof *pairs);
        pair_slots = mem_map(PAIR_SLOTS * sizeof *pair_slots);
        sets = mem_map(MAX_SETS * sizeof *sets);
        set_slots = mem_map(SET_SLOTS * sizeof *set_slots);
        st = pairs && pair_slots && sets && set_slots ? 2 : 3;
        __atomic_store_n(&mapped, st, __ATOMIC_RELEASE);
        return st == 2 ? 0 : ENOMEM;
    }
    while ((st = __atomic_load_n(&mapped, __ATOMIC_ACQUIRE)) == 1)
        ;
    return st == 2 ? 0 : ENOMEM;
}

static uint32_t hash_bytes(const char *s, uint32_t h)
{
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352d;
    x ^= x >> 15;
    x *= 0x846ca68b;
    return x ^ (x >> 16);
}

/* Generic lock-free intern: see the file comment. */
static int intern(uint32_t *slots, uint32_t nslots, uint32_t *count, uint32_t max, uint32_t h,
                  int (*match)(uint32_t id, const void *key), void (*fill)(uint32_t id, const void *key),
                  const void *key, uint32_t *out)
{
    for (uint32_t i = h & (nslots - 1), n = 0; n < nslots; i = (i + 1) & (nslots - 1), n++) {
        uint32_t v = __atomic_load_n(&slots[i], __ATOMIC_ACQUIRE);
        if (v) {
            if (match(v - 1, key)) {
                *out = v - 1;
                return 0;
            }
            continue;
        }
        uint32_t id = __atomic_fetch_add(count, 1, __ATOMIC_RELAXED);
        if (id >= max) {
            __atomic_store_n(count, max, __ATOMIC_RELAXED);
            return ENOSPC;
        }
        fill(id, key);
        uint32_t expect = 0;
        if (__atomic_compare_exchange_n(&slots[i], &expect, id + 1, false, __ATOMIC_RELEASE,
                                        __ATOMIC_ACQUIRE)) {
            *out = id;
            return 0;
        }
        if (match(expect - 1, key)) { /* lost the race to the same key */
            *out = expect - 1;
            return 0;
        }
    }
    return ENOSPC;
}

static int pair_match(uint32_t id, const void *key)
{
    const char *const *kv = key;
    return !strcmp(pairs[id].key, kv[0]) && !strcmp(pairs[id].value, kv[1]);
}

static void pair_fill(uint32_t id, const void *key)
{
    const char *const *kv = key;
    strcpy(pairs[id].key, kv[0]);
    strcpy(pairs[id].value, kv[1]);
}

static int set_match(uint32_t id, const void *key)
{
    const set_rec *r = key;
    return sets[id].parent == r->parent && sets[id].pair == r->pair;
}

static void set_fill(uint32_t id, const void *key) { sets[id] = *(const set_rec *)key; }

/* The set `parent` plus pair, interned (the tables mapped): 0 or ENOSPC. */
static int intern_on(uint32_t parent, uint32_t pair, uint32_t *set)
{
    set_rec r = {parent, pair};
    return intern(set_slots, SET_SLOTS, &nsets, MAX_SETS, mix32(r.parent * 0x9E3779B9u ^ r.pair),
                  set_match, set_fill, &r, set);
}

void labels_atfork_child(void)
{
    /* A fork while another thread was in map_tables: that thread is not in
     * the child, and every push there waited for it, spinning for ever
     * (100 % CPU from the child's first heapprof_label_push).  No set can
     * exist yet (ids come only from mapped tables): start over, leaving the
     * parent's partial mappings to the child as they are. */
    int busy = 1;
    __atomic_compare_exchange_n(&mapped, &busy, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* The set `parent` plus the pair key=value, interned: 0 or ENOSPC/ENOMEM. */
static int intern_pair_on(uint32_t parent, const char *key, const char *value, uint32_t *set)
{
    int err = map_tables();
    if (err)
        return err;
    const char *kv[2] = {key, value};
    uint32_t pair;
    err = intern(pair_slots, PAIR_SLOTS, &npairs, MAX_PAIRS,
                 mix32(hash_bytes(value, hash_bytes(key, 2166136261u) * 31)), pair_match, pair_fill,
                 kv, &pair);
    return err ? err : intern_on(parent, pair, set);
}

uint32_t labels_current(void) { return tls_labels.cur; }

/* ---- thread labels (labels.h) ---------------------------------------------- */

void labels_thread_mode(int mode)
{
    thread_mode = mode;
    __atomic_store_n(&thread_gen, mode != CONFIG_THREAD_OFF, __ATOMIC_RELEASE);
}

void labels_thread_renamed(void)
{
    uint32_t g = __atomic_load_n(&thread_gen, __ATOMIC_RELAXED);
    /* Never back to 0 (off), nor to 0 after 2^32 renames. */
    while (g && !__atomic_compare_exchange_n(&thread_gen, &g, g + 1 ? g + 1 : 1, true,
                                             __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void labels_pool_name(const char *name, char *out)
{
    bool in_digits = false;
    for (; *name; name++) {
        bool digit = *name >= '0' && *name <= '9';
        if (!digit)
            *out++ = *name;
        else if (!in_digits)
            *out++ = '*';
        in_digits = digit;
    }
    *out = '\0';
}

/* The pair key=value if interned already (the tables mapped). */
static bool pair_find(const char *key, const char *value, uint32_t *pair)
{
    const char *kv[2] = {key, value};
    uint32_t h = mix32(hash_bytes(value, hash_bytes(key, 2166136261u) * 31));
    for (uint32_t i = h & (PAIR_SLOTS - 1), n = 0; n < PAIR_SLOTS; i = (i + 1) & (PAIR_SLOTS - 1), n++) {
        uint32_t v = __atomic_load_n(&pair_slots[i], __ATOMIC_ACQUIRE);
        if (!v)
            return false;
        if (pair_match(v - 1, kv)) {
            *pair = v - 1;
            return true;
        }
    }
    return false;
}

/* The calling thread's base set, {thread=name}: 0 when the name cannot be
 * read (a seccomp filter that refuses prctl) or interned (tables full).
 * Names take at most THREAD_NAMES_MAX of the pair table, so that a program
 * that names a thread per connection leaves the pushes their room: past
 * it, a name not seen yet is folded as in pool mode (conn-5000 is conn-*),
 * pools taking THREAD_POOLS_MAX more at most, and when that is full too,
 * it is "[other]".  In pool mode the names are the pools already. */
static uint32_t thread_base(void)
{
    char name[17] = "", pool[17];
    if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0 || !name[0] || map_tables())
        return 0;
    name[16] = '\0';
    labels_pool_name(name, pool);
    const char *shown = thread_mode == CONFIG_THREAD_POOL ? pool : name;
    uint32_t pair, set;
    if (!pair_find("thread", shown, &pair)) {
        uint32_t n = __atomic_load_n(&thread_names, __ATOMIC_RELAXED);
        if (n >= THREAD_NAMES_MAX && pair_find("thread", pool, &pair))
            return intern_on(0, pair, &set) ? 0 : set;
        bool fold = n >= THREAD_NAMES_MAX;
        if (fold && n < THREAD_NAMES_MAX + THREAD_POOLS_MAX && strcmp(pool, shown))
            shown = pool;
        else if (fold)
            shown = "[other]";
        if (shown[0] != '[' || !fold)
            __atomic_fetch_add(&thread_names, 1, __ATOMIC_RELAXED);
        return intern_pair_on(0, "thread", shown, &set) ? 0 : set;
    }
    return intern_on(0, pair, &set) ? 0 : set;
}

/* A sample taken by a signal handler on this thread (an allocation
 * there) may land inside a push, a pop or a rebase.  It takes the set the
 * thread has at that moment, which is always a whole set, but it must not
 * rebase a chain that is half updated: the interrupted call would then
 * finish with what it had read before, a set on the old name that
 * outlives the rename, or a level of the chain taken for a push it was not.
 * So these calls hold the thread's chain, and a sample that finds it held
 * leaves the rebase to the next sample (its generation stays unread).
 * Signal fences only: the handler runs on this thread. */
static void hold(label_stack *t)
{
    t->busy++;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void release(label_stack *t)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->busy--;
}

/* t's chain of pushes interned again from base: each level a push made
 * gets that push's pair on the level below's new set.  Level 0 is
 * saved[0] (the chain's start), level depth the current set.  All or
 * nothing: when a push's pair cannot be interned on the new base (the set
 * table full), the chain stays as it was, the old name with every
 * component, as a push that finds the tables full leaves the thread's
 * labels as they were; false then. */
static bool rebase(label_stack *t, uint32_t base)
{
    uint32_t now[LABELS_MAX_DEPTH + 1];
    uint32_t old_below = 0, new_below = base;
    for (uint32_t i = 0; i <= t->depth; i++) {
        uint32_t old = i < t->depth ? t->saved[i] : t->cur;
        now[i] = new_below;
        if (i > 0 && old != old_below && old && old < MAX_SETS &&
            intern_on(new_below, sets[old].pair, &now[i]))
            return false;
        old_below = old;
        new_below = now[i];
    }
    for (uint32_t i = 0; i < t->depth; i++)
        t->saved[i] = now[i];
    t->cur = now[t->depth];
    t->base = base;
    return true;
}

uint32_t labels_for_sample(void)
{
    label_stack *t = &tls_labels;
    uint32_t g = __atomic_load_n(&thread_gen, __ATOMIC_RELAXED);
    if (hp_unlikely(g != t->gen) && !t->busy) {
        int saved_errno = errno;
        hold(t);
        t->gen = g;
        uint32_t base = g ? thread_base() : 0;
        if (base != t->base)
            (void)rebase(t, base);
        release(t);
        errno = saved_errno;
    }
    return t->cur;
}

int labels_push(const char *key, const char *value)
{
    label_stack *t = &tls_labels;
    if (t->depth >= LABELS_MAX_DEPTH) {
        t->overflow++; /* so that the matching pop stays balanced */
        return E2BIG;
    }
    int err = 0;
    hold(t);
    uint32_t set = t->cur;
    size_t kl = key ? strlen(key) : 0, vl = value ? strlen(value) : 0;
    /* An empty value too (heapprof.h): Prometheus reads component="" as
     * no label, so it would have been a second "root". */
    if (!kl || kl >= LABELS_TEXT_MAX || !vl || vl >= LABELS_TEXT_MAX)
        err = EINVAL;
    else
        err = intern_pair_on(t->cur, key, value, &set);
    /* Balanced even on failure: the pop that follows restores t->cur. */
    t->saved[t->depth++] = t->cur;
    t->cur = err ? t->cur : set;
    release(t);
    return err;
}

void labels_pop(void)
{
    label_stack *t = &tls_labels;
    hold(t);
    if (t->overflow)
        t->overflow--;
    else if (t->depth)
        t->cur = t->saved[--t->depth];
    release(t);
}

size_t labels_expand(uint32_t set, label_pair *out, size_t max)
{
    size_t n = 0;
    for (uint32_t hops = 0; set && set < MAX_SETS && hops < LABELS_MAX_PAIRS; hops++) {
        const pair_rec *p = &pairs[sets[set].pair];
        size_t i = 0;
        while (i < n && strcmp(out[i].key, p->key))
            i++;
        if (i == n && n < max)
            out[n++] = (label_pair){p->key, p->value};
        set = sets[set].parent;
    }
    return n;
}

const char *labels_value(uint32_t set, const char *key)
{
    label_pair ps[LABELS_MAX_PAIRS];
    size_t n = labels_expand(set, ps, LABELS_MAX_PAIRS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ps[i].key, key))
            return ps[i].value;
    return NULL;
}

uint32_t labels_set_count(void)
{
    uint32_t n = __atomic_load_n(&nsets, __ATOMIC_RELAXED);
    return n < MAX_SETS ? n : MAX_SETS;
}

void labels_reset(void)
{
    mem_unmap(pairs, MAX_PAIRS * sizeof *pairs);
    mem_unmap(pair_slots, PAIR_SLOTS * sizeof *pair_slots);
    mem_unmap(sets, MAX_SETS * sizeof *sets);
    mem_unmap(set_slots, SET_SLOTS * sizeof *set_slots);
    pairs = NULL;
    pair_slots = set_slots = NULL;
    sets = NULL;
    npairs = 0;
    nsets = 1;
    mapped = 0;
    thread_mode = CONFIG_THREAD_OFF;
    thread_gen = 0;
    thread_names = 0;
    tls_labels = (label_stack){0};
}
