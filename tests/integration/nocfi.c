/*
 * nocfi.c - an allocating function without unwind tables (compiled with
 * -fno-asynchronous-unwind-tables -fno-unwind-tables, with a frame
 * pointer): heapprof's walker stops at it and hands the stack to
 * libunwind, which follows the frame pointer (unwind_pipe.h).
 */
#include <stdlib.h>

__attribute__((noinline)) void *nocfi_alloc(size_t n)
{
    void *p = malloc(n);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}
