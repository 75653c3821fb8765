/*
 * dlthrow.c - a C program that opens a C++ library (cxxplugin.cc) after
 * start-up, as an interpreter opens its extension modules, and runs it:
 * libstdc++ comes in with the library, not with the program.
 *
 * Usage: dlthrow LIBRARY local|global
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int mode = RTLD_NOW | (strcmp(argv[2], "global") ? RTLD_LOCAL : RTLD_GLOBAL);
    void *h = dlopen(argv[1], mode);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    int (*run)(void) = (int (*)(void))dlsym(h, "cxxplugin_run");
    if (!run) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 1;
    }
    int rc = run();
    fflush(stdout);
    return rc;
}
