/* cli_locallines: a program built -O2 -g whose mapping heapprof leaves to
 * pprof (not marked as having line numbers): an always_inline helper that
 * allocates (mk), inlined into leafy, called by main.  VARIANT changes the
 * code, and so the GNU build-id: cli_locallines_other is "another build". */
#include <stdlib.h>
#include <string.h>
static inline __attribute__((always_inline)) char *mk(size_t n) { char *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) char *leafy(size_t n) { return mk(n + VARIANT); }
int main(void) { char *v[4000]; for (int i = 0; i < 4000; i++) v[i] = leafy(4096); return v[10][0] - 1; }
