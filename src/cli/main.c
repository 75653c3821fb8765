/*
 * main.c - `heapprof COMMAND ...`: finds the command and hands it its own
 * argv.  The table below is the single list of commands; --help prints it.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "diag.h"
#include "errstream.h"

#ifndef HEAPPROF_VERSION
#define HEAPPROF_VERSION "unknown"
#endif

typedef struct command {
    const char *name;
    int (*main)(int argc, char **argv);
    void (*usage)(FILE *f);
    const char *summary;
} command;

static const command commands[] = {
    {"run", cmd_run_main, cmd_run_usage, "run a program with the profiler preloaded"},
    {"dump", cmd_dump_main, cmd_dump_usage, "ask a running profiled process for a profile now"},
    {"top", cmd_top_main, cmd_top_usage, "heaviest functions or stacks of a profile, with errors"},
    {"leaks", cmd_leaks_main, cmd_leaks_usage,
     "what grew between profiles; leak or working set over a series"},
    {"timeline", cmd_timeline_main, cmd_timeline_usage,
     "SVG chart of the live heap over time by allocation site, or by birth"},
    {"ages", cmd_ages_main, cmd_ages_usage,
     "how old each site's live bytes are: leak, start-up state or working set"},
    {"flame", cmd_flame_main, cmd_flame_usage,
     "SVG flame graph of a profile, or of what changed since an earlier one"},
};

enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *f)
{
    (void)fputs("Usage: heapprof COMMAND [OPTIONS] [ARGS...]\n"
          "\n"
          "heapprof is a sampling heap profiler for Linux programs: the library\n"
          "libheapprof.so, preloaded into a program, writes pprof heap profiles\n"
          "(PREFIX.<pid>.<seq>.pb.gz); this command runs programs under it and reads\n"
          "the profiles (its own and other producers', gzipped or not).\n"
          "\n"
          "Commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        (void)fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    (void)fputs("\n"
          "Options:\n"
          "  -h, --help      this help; `heapprof COMMAND --help` for a command's own\n"
          "  --version       print the version\n"
          "\n"
          "Example:\n"
          "  heapprof run --sample 64k -- ./server --port 8080     # profiles at exit\n"
          "  heapprof dump $(pidof server)                         # one more, now\n"
          "  heapprof top heapprof.server.1234.0002.pb.gz\n"
          "  heapprof leaks heapprof.server.1234.*.pb.gz\n"
          "  heapprof timeline heapprof.server.1234.*.pb.gz -o heap.svg\n"
          "  heapprof timeline heapprof.server.1234.*.pb.gz --by birth -o births.svg\n"
          "  heapprof ages heapprof.server.1234.0002.pb.gz            # leak suspects by age\n"
          "  heapprof flame heapprof.server.1234.0002.pb.gz -o heap.svg\n"
          "  heapprof flame --base heapprof.server.1234.0001.pb.gz heapprof.server.1234.0002.pb.gz\n"
          "\n"
          "Environment: HEAPPROF_MAX_INPUT bounds the size of a profile the readers\n"
          "accept after decompression (default 1g), HEAPPROF_MAX_DECODE the memory\n"
          "they may use to decode it (default 32 times that size, 64m to 1g).\n"
          "See heapprof(1).\n", f);
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return DIAG_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
        usage(stdout);
        return DIAG_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("heapprof %s\n", HEAPPROF_VERSION);
        return DIAG_OK;
    }
    if (!strcmp(name, "help")) {
        for (size_t i = 0; argc > 2 && i < NCOMMANDS; i++)
            if (!strcmp(argv[2], commands[i].name)) {
                commands[i].usage(stdout);
                return DIAG_OK;
            }
        if (argc > 2) /* as `heapprof NAME` says it, not the whole usage unexplained */
            return diag_usage("unknown command '%s' (commands: run, dump, top, leaks, timeline, "
                              "ages, flame)", argv[2]);
        usage(stdout);
        return DIAG_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, commands[i].name)) {
            diag_set_command(name);
            return commands[i].main(argc - 1, argv + 1);
        }
    return diag_usage("unknown command '%s' (commands: run, dump, top, leaks, timeline, ages, flame)", name);
}

/*
 * What a command printed must have reached stdout: a full disk, a closed
 * stdout or a pipe whose reader left (with SIGPIPE ignored) would otherwise
 * leave a cut or empty report and exit 0.  Writes to stdout are not checked
 * one by one (their (void) casts, cert-err33-c): stdout is an errstream,
 * which keeps the errno of its first failed write, checked once here after
 * the last flush, as coreutils' close_stdout does.  A command's own failure
 * status is kept.
 */
static int finish_stdout(int rc)
{
    int e = errstream_flush(stdout);
    if (!e)
        return rc;
    diag_error("cannot write standard output: %s", strerror(e));
    return rc == DIAG_OK ? DIAG_FAIL : rc;
}

int main(int argc, char **argv)
{
    errstream_wrap_stdout();
    return finish_stdout(dispatch(argc, argv));
}
