/* jedlopen.c - opens jelib.c's library with dlopen(RTLD_LOCAL) and runs it
 * (see jelib.c).  Usage: jedlopen LIBRARY [rounds] */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: jedlopen LIBRARY [rounds]\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    int (*run)(int) = h ? (int (*)(int))dlsym(h, "jelib_run") : NULL;
    if (!run) {
        fprintf(stderr, "jedlopen: %s\n", dlerror());
        return 2;
    }
    return run(argc > 2 ? atoi(argv[2]) : 3);
}
