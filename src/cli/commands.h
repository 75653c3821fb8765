/*
 * commands.h - the subcommands of heapprof, one file each (cmd_<name>.c).
 *
 * Each cmd_<name>_main gets the command's own argv (argv[0] is the command
 * name) and returns the process exit status (diag.h; `run` returns the
 * program's).  Each cmd_<name>_usage prints the command's full help.
 */
#ifndef HEAPPROF_CLI_COMMANDS_H
#define HEAPPROF_CLI_COMMANDS_H

#include <stdio.h>

int cmd_run_main(int argc, char **argv);
int cmd_dump_main(int argc, char **argv);
int cmd_top_main(int argc, char **argv);
int cmd_leaks_main(int argc, char **argv);
int cmd_timeline_main(int argc, char **argv);
int cmd_ages_main(int argc, char **argv);
int cmd_flame_main(int argc, char **argv);

void cmd_run_usage(FILE *f);
void cmd_dump_usage(FILE *f);
void cmd_top_usage(FILE *f);
void cmd_leaks_usage(FILE *f);
void cmd_timeline_usage(FILE *f);
void cmd_ages_usage(FILE *f);
void cmd_flame_usage(FILE *f);

#endif
