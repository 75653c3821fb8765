/* noop.c - a library that does nothing: a second LD_PRELOAD entry that
 * HEAPPROF_CHILDREN=0 must leave in place. */
int lc_noop_marker(void);
int lc_noop_marker(void) { return 42; }
