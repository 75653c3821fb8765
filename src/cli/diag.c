/*
 * diag.c - see diag.h.  The only state is the command name, set once before
 * any message is printed.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

static const char *command;

void diag_set_command(const char *cmd) { command = cmd; }

const char *diag_command(void) { return command; }

static void vmessage(const char *fmt, va_list ap)
{
    /* Writes to stderr go unchecked: a message that cannot be shown has
     * nowhere else to go.  A failed stdout is reported at exit (main.c). */
    (void)fflush(stdout); /* keep the order of what a terminal shows */
    if (command)
        (void)fprintf(stderr, "heapprof %s: ", command);
    else
        (void)fputs("heapprof: ", stderr);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputc('\n', stderr);
}

static int quiet;

void diag_quiet(int on) { quiet = on; }

void diag_error(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
}

int diag_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    if (command)
        (void)fprintf(stderr, "Try 'heapprof %s --help'.\n", command);
    else
        (void)fputs("Try 'heapprof --help'.\n", stderr);
    return DIAG_USAGE;
}
