/* jelinked.c - needs jelib.c's library, and through it jemalloc, loaded
 * after libc (see jelib.c).  Usage: jelinked [rounds] */
#include <stdlib.h>

int jelib_run(int rounds);

int main(int argc, char **argv) { return jelib_run(argc > 1 ? atoi(argv[1]) : 3); }
