/*
 * lifecycle.c - the process events the profiler follows: load, fork, the
 * environment it hands to exec'd children, and exit.
 *
 * Load: the constructor brings the profiler up (if no allocation has done
 * so already) and starts the writer; it runs before main, outside any
 * allocator call, which is why thread creation and signal handling live
 * here rather than in the first malloc.
 *
 * fork: the prepare handler takes every profiler lock (dump lock first, then
 * the table locks) so the child never inherits one held by a thread that
 * does not exist there.  The child keeps its tables: the objects they
 * describe are really alive in its copy of the heap.  Its cumulative
 * alloc_* totals therefore include what the parent allocated before the
 * fork, as its address space does.
 *
 * exit: the destructor writes the exit profile.  It runs for exit() and a
 * return from main, not for _exit(), abort() or a fatal signal: those leave
 * whatever earlier profiles were written, each complete.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "log.h"
#include "profiler.h"
#include "stacks.h"
#include "writer.h"

extern char **environ;

static void prepare(void)
{
    int64_t g = profiler_guard_enter();
    writer_atfork_prepare();
    stacks_lock_all();
    live_lock_all();
    profiler_guard_exit(g);
}

static void parent(void)
{
    live_unlock_all();
    stacks_unlock_all();
    writer_atfork_parent();
}

static void child(void)
{
    live_unlock_all();
    stacks_unlock_all();
    int64_t g = profiler_guard_enter();
    writer_atfork_child();
    profiler_guard_exit(g);
}

/* HEAPPROF_CHILDREN=0: take libheapprof out of LD_PRELOAD, in place (the
 * string is the process's own; setenv would allocate and could race with
 * the program's getenv).  Entries are separated by spaces or colons. */
static void unpreload_children(void)
{
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11))
            continue;
        char *src = *e + 11, *dst = src;
        while (*src) {
            size_t sep = strspn(src, " :");
            size_t len = strcspn(src + sep, " :");
            const char *tok = src + sep, *base = memrchr(tok, '/', len);
            base = base ? base + 1 : tok;
            if (!(len && strncmp(base, "libheapprof", 11) == 0)) {
                if (dst != *e + 11 && len)
                    *dst++ = ' ';
                memmove(dst, tok, len);
                dst += len;
            }
            src += sep + len;
        }
        *dst = '\0';
    }
}

__attribute__((constructor)) static void on_load(void)
{
    if (!profiler_init())
        return;
    int64_t g = profiler_guard_enter();
    if (!profiler_config()->children)
        unpreload_children();
    int err = pthread_atfork(prepare, parent, child);
    if (err)
        log_line("cannot register fork handlers (%s); a child that forks while a profile is "
                 "written may hang", strerror(err));
    writer_start();
    profiler_guard_exit(g);
}

__attribute__((destructor)) static void on_unload(void) { writer_at_exit(); }
