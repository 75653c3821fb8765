/*
 * tinylib.c - a small library the dlopen stress test loads and unloads in a
 * loop.  It allocates in its constructor (inside dlopen, under the loader's
 * lock), in an exported function, through a dynamic TLS variable (glibc
 * allocates dynamic TLS blocks with malloc), and frees in its destructor
 * (inside dlclose).
 */
#include <stdlib.h>
#include <string.h>

#ifndef TINY_NAME
#define TINY_NAME "tiny"
#endif

static char *ctor_block;
static __thread char tls_buf[256];

__attribute__((constructor)) static void tiny_ctor(void)
{
    ctor_block = malloc(100);
    if (ctor_block)
        strcpy(ctor_block, TINY_NAME);
}

__attribute__((destructor)) static void tiny_dtor(void)
{
    free(ctor_block);
    ctor_block = NULL;
}

/* Allocates n bytes and returns them (the caller frees them). */
__attribute__((noinline, visibility("default"))) void *tiny_alloc(size_t n)
{
    tls_buf[0] = (char)n;
    char *p = malloc(n);
    if (p)
        memset(p, tls_buf[0], n);
    return p;
}
