/*
 * retired.c - see retired.h.
 *
 * Data: table[] holds one executable segment per slot, seq 0 when empty,
 * else its age (higher is newer); paths are malloc'd under the reentrancy
 * guard, so the program's allocator serves them unsampled.  lock guards
 * the table; it is taken only by dlclose() (rare) and once per profile, and
 * is held across fork() by lifecycle.c, after its quiesce lock and before
 * the stack and live tables' locks (a free() under it may reach those).
 *
 * Where a segment was mapped is worked out the way ld.so maps it
 * (elf/dl-map-segments.h): the file from the page holding p_offset, at the
 * page holding l_addr + p_vaddr, up to the page end after p_filesz, which
 * is what /proc/self/maps shows for it.
 */
#define _GNU_SOURCE
#include "retired.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lifecycle.h"
#include "mem.h"
#include "profiler.h"

/* A GNU build-id is 20 bytes from ld's default sha1; up to 64 is kept. */
enum { ID_BYTES = 64, MAX_SEGS = 8 };

typedef struct entry {
    uint64_t seq, start, limit, offset;
    char *path;
    char build_id[2 * ID_BYTES + 1];
} entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry table[RETIRED_MAX];
static uint64_t last_seq;

/* What dl_iterate_phdr found for the object loaded at addr under name. */
typedef struct found {
    uintptr_t addr;
    const char *name;
    bool hit;
    size_t nsegs;
    entry segs[MAX_SEGS];
    char build_id[2 * ID_BYTES + 1];
} found;

/* The build-id note in a PT_NOTE segment of a loaded object, as hex. */
static void note_build_id(const unsigned char *p, size_t len, size_t align, char *out)
{
    static const char hex[] = "0123456789abcdef";
    align = align == 8 ? 8 : 4;
    while (len >= sizeof(ElfW(Nhdr))) {
        ElfW(Nhdr) nh;
        memcpy(&nh, p, sizeof nh);
        size_t namesz = ((size_t)nh.n_namesz + align - 1) & ~(align - 1);
        size_t descsz = ((size_t)nh.n_descsz + align - 1) & ~(align - 1);
        if (namesz > len - sizeof nh || descsz > len - sizeof nh - namesz)
            return;
        const unsigned char *name = p + sizeof nh, *desc = name + namesz;
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(name, "GNU", 4) &&
            nh.n_descsz > 0 && nh.n_descsz <= ID_BYTES) {
            for (size_t k = 0; k < nh.n_descsz; k++) {
                out[2 * k] = hex[desc[k] >> 4];
                out[2 * k + 1] = hex[desc[k] & 15];
            }
            out[2 * (size_t)nh.n_descsz] = '\0';
            return;
        }
        p = desc + descsz;
        len -= sizeof nh + namesz + descsz;
    }
}

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    found *f = arg;
    if (info->dlpi_addr != f->addr || !info->dlpi_name || strcmp(info->dlpi_name, f->name))
        return 0;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    f->hit = true;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t at = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_NOTE && !f->build_id[0])
            note_build_id((const unsigned char *)(uintptr_t)at, ph->p_filesz, ph->p_align,
                          f->build_id);
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && ph->p_filesz &&
            f->nsegs < MAX_SEGS)
            f->segs[f->nsegs++] = (entry){ .start = at & ~(page - 1),
                                           .limit = (at + ph->p_filesz + page - 1) & ~(page - 1),
                                           .offset = ph->p_offset & ~(page - 1) };
    }
    return 1;
}

static bool same(const entry *a, const entry *b, const char *path, const char *id)
{
    return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
           !strcmp(a->path, path) && !strcmp(a->build_id, id);
}

/* Into the table: an identical slot becomes newest, else the oldest (or an
 * empty one) is replaced. */
static void commit(const entry *seg, const char *path, const char *id)
{
    pthread_mutex_lock(&lock);
    entry *slot = &table[0];
    for (size_t i = 0; i < RETIRED_MAX; i++) {
        if (table[i].seq && same(&table[i], seg, path, id)) {
            slot = &table[i];
            break;
        }
        if (table[i].seq < slot->seq)
            slot = &table[i];
    }
    if (!slot->seq || !same(slot, seg, path, id)) {
        char *copy = mem_strdup(path);
        if (!copy) {
            pthread_mutex_unlock(&lock);
            return;
        }
        mem_free(slot->path);
        *slot = *seg;
        slot->path = copy;
        memcpy(slot->build_id, id, strlen(id) + 1);
    }
    slot->seq = ++last_seq;
    pthread_mutex_unlock(&lock);
}

void retired_record(void *handle)
{
    /* A thread already inside the profiler may hold `lock` itself: another
     * library's fork handler between lifecycle.c's prepare and parent or
     * child, or a signal handler that interrupted this file.  And in an
     * orphaned child the parent's writer may have held it (lifecycle.h).
     * The object's frames then go unnamed in later profiles. */
    if (hp_tls.guard || lifecycle_orphaned())
        return;
    int saved = errno;
    int64_t g = profiler_guard_enter();
    struct link_map *lm = NULL;
    /* dlinfo's dlerror() state does not show: dlclose() sets or clears it
     * right after. */
    if (handle && dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name &&
        lm->l_name[0]) {
        found f = { .addr = lm->l_addr, .name = lm->l_name };
        dl_iterate_phdr(find_object, &f);
        /* The path as /proc/self/maps prints it: absolute, links resolved. */
        char path[PATH_MAX];
        const char *p = realpath(lm->l_name, path) ? path
                        : lm->l_name[0] == '/' ? lm->l_name : NULL;
        for (size_t i = 0; f.hit && p && i < f.nsegs; i++)
            commit(&f.segs[i], p, f.build_id);
    }
    profiler_guard_exit(g);
    errno = saved;
}

size_t retired_snapshot(hp_mapping **out)
{
    *out = NULL;
    pthread_mutex_lock(&lock);
    const entry *order[RETIRED_MAX];
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < RETIRED_MAX; i++)
        if (table[i].seq) {
            order[n++] = &table[i];
            bytes += strlen(table[i].path) + strlen(table[i].build_id) + 2;
        }
    /* Newest first: insertion sort, n <= RETIRED_MAX and nearly sorted. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && order[j - 1]->seq < order[j]->seq; j--) {
            const entry *t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    hp_mapping *m = n ? mem_alloc(n * sizeof *m + bytes) : NULL;
    char *str = m ? (char *)(m + n) : NULL; /* the strings follow the array */
    for (size_t i = 0; str && i < n; i++) {
        size_t lp = strlen(order[i]->path) + 1, lb = strlen(order[i]->build_id) + 1;
        m[i] = (hp_mapping){ order[i]->start, order[i]->limit, order[i]->offset, str, str + lp };
        memcpy(str, order[i]->path, lp);
        memcpy(str + lp, order[i]->build_id, lb);
        str += lp + lb;
    }
    pthread_mutex_unlock(&lock);
    *out = m;
    return m ? n : 0;
}

void retired_atfork_prepare(void) { pthread_mutex_lock(&lock); }

void retired_atfork_parent(void) { pthread_mutex_unlock(&lock); }

void retired_atfork_child(void) { pthread_mutex_unlock(&lock); }

void retired_atfork_renew(void)
{
    pthread_mutex_init(&lock, NULL);
    pthread_mutex_lock(&lock);
}
