/*
 * diag.h - how every heapprof command talks to the user about problems.
 *
 * Messages go to stderr as "heapprof CMD: what went wrong", one line each,
 * where CMD is the command being run (set once by main).  Exit statuses are
 * shared by all commands: DIAG_OK, DIAG_FAIL (the work could not be done:
 * bad input file, no such process, timeout), DIAG_USAGE (the command line
 * is wrong; the message is followed by a pointer to --help).
 */
#ifndef HEAPPROF_CLI_DIAG_H
#define HEAPPROF_CLI_DIAG_H

enum { DIAG_OK = 0, DIAG_FAIL = 1, DIAG_USAGE = 2 };

/* The command named in messages ("top", "run", ...; NULL for none). */
void diag_set_command(const char *cmd);
/* That command, or NULL: for a hint that differs between commands. */
const char *diag_command(void);

__attribute__((format(printf, 1, 2))) void diag_error(const char *fmt, ...);

/* While on, diag_error prints nothing: for a step whose problems a later
 * step says again (run's listing of the files there before the program). */
void diag_quiet(int on);

/* Prints the message and "Try 'heapprof CMD --help'."; returns DIAG_USAGE. */
__attribute__((format(printf, 1, 2))) int diag_usage(const char *fmt, ...);

#endif
