/*
 * dllib.c - a library fail.c loads and unloads at run time; its allocating
 * function must be named in a profile taken while it is loaded.
 */
#include <stdlib.h>

__attribute__((noinline, visibility("default"))) void *lcdl_alloc(size_t n);
__attribute__((noinline, visibility("default"))) void *lcdl_alloc(size_t n) { return malloc(n); }
