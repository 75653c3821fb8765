/* jefirst.c - needs jefake.c's library, loaded after libc (see there).
 * Usage: jefirst [rounds] */
#include <stdlib.h>

int jefake_run(int rounds);

int main(int argc, char **argv) { return jefake_run(argc > 1 ? atoi(argv[1]) : 3); }
