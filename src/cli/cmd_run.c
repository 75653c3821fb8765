/*
 * cmd_run.c - `heapprof run [options] -- PROGRAM ARGS...`: run a program
 * with libheapprof.so preloaded and say which profiles it wrote.
 *
 * Data: `settings` maps each flag to the HEAPPROF_* variable it sets and
 * the value given (NULL: not given, the environment's value or the
 * library's default applies).  Values are checked twice before anything
 * runs: their syntax here (for a message about the flag), then their range
 * by the library's own config_parse, so the command refuses exactly what the
 * library would have replaced by its default.
 *
 * Process: the forwarded signals are blocked around fork so that the
 * handler never sees a half-set child_pid; the child restores the
 * dispositions heapprof started with (default or ignored) and the old mask
 * before exec.  exec failing is reported through a close-on-exec pipe.  A forwarded signal sent by a
 * process (kill) is passed to the program; one raised by the terminal
 * (si_code SI_KERNEL) is not, because the terminal sent it to the program's
 * process group already.  heapprof's own exit status is the program's;
 * when the program was killed by a signal, heapprof dies of the same one
 * (its parent sees 128 + signal, and a shell running a script stops on a
 * ^C that killed the program, as it does when the program runs alone);
 * 125 when heapprof fails before running it, 126/127 when it cannot be
 * executed / found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "config.h"
#include "diag.h"
#include "outname.h"
#include "preloadable.h"
#include "seqfiles.h"

enum { EXIT_OWN = 125, EXIT_NOEXEC = 126, EXIT_NOTFOUND = 127 };

enum { S_SAMPLE, S_PERIOD, S_HIGHWATER, S_KEEP, S_OUT, S_CHILDREN, S_SIGNAL, NSETTINGS };

typedef struct setting {
    const char *flag, *var;
    const char *value;
} setting;

static setting settings[NSETTINGS] = {
    [S_SAMPLE] = {"--sample", "HEAPPROF_SAMPLE", NULL},
    [S_PERIOD] = {"--period", "HEAPPROF_PERIOD", NULL},
    [S_HIGHWATER] = {"--highwater", "HEAPPROF_HIGHWATER", NULL},
    [S_KEEP] = {"--keep", "HEAPPROF_KEEP", NULL},
    [S_OUT] = {"-o", "HEAPPROF_OUT", NULL},
    [S_CHILDREN] = {"--no-children", "HEAPPROF_CHILDREN", NULL},
    [S_SIGNAL] = {"--signal", "HEAPPROF_SIGNAL", NULL},
};

/* The signals passed on to the program; the profile signal too, when it
 * is another (forwarded_signals). */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
#define NFORWARD (sizeof forwarded / sizeof forwarded[0] + 1)

static volatile sig_atomic_t child_pid;

/* Writes text from column `indent` (where the cursor is), wrapped at
 * spaces before column `width`, continuation lines indented the same. */
static void wrap(FILE *f, const char *text, int indent, int width)
{
    int col = indent;
    for (const char *w = text; *w;) {
        size_t len = strcspn(w, " ");
        if (col > indent && col + 1 + (int)len > width) {
            (void)fprintf(f, "\n%*s", indent, "");
            col = indent;
        }
        if (col > indent) {
            (void)fputc(' ', f);
            col++;
        }
        (void)fwrite(w, 1, len, f);
        col += (int)len;
        w += len;
        w += strspn(w, " ");
    }
    (void)fputc('\n', f);
}

void cmd_run_usage(FILE *f)
{
    (void)fputs("Usage: heapprof run [OPTIONS] [--] PROGRAM [ARGS...]\n"
                "\n"
                "Run PROGRAM with libheapprof.so preloaded, wait for it, print (to stderr) the\n"
                "profiles it wrote, and exit with its exit status; when it was killed by a\n"
                "signal, die of the same signal (status 128 + N in a shell).  Signals sent to\n"
                "heapprof with kill(1) (HUP INT QUIT TERM USR1 USR2 WINCH, and the --signal\n"
                "or HEAPPROF_SIGNAL given) are passed on to PROGRAM, so `kill -USR2\n"
                "<heapprof's pid>` asks it for a profile (`kill -s RTMIN+2` with --signal\n"
                "RTMIN+2; `heapprof dump <heapprof's pid>` sends whichever it is).\n"
                "\n"
                "Options (each sets the HEAPPROF_* variable named; unset ones keep the\n"
                "value in heapprof's environment, or the library's default):\n"
                "  --sample BYTES     mean bytes between samples, e.g. 64k; 1 = every\n"
                "                     allocation, exactly                (HEAPPROF_SAMPLE)\n"
                "  --period SECONDS   also write a profile every SECONDS (HEAPPROF_PERIOD)\n"
                "  --highwater BYTES  also write one each time the live heap exceeds the\n"
                "                     highest level written by BYTES    (HEAPPROF_HIGHWATER)\n"
                "  --keep N           keep only the first and the newest N profiles\n"
                "                                                       (HEAPPROF_KEEP)\n"
                "  --signal SIG       the signal that writes a profile: USR2, 12, off\n"
                "                                                       (HEAPPROF_SIGNAL)\n"
                "  -o, --out PREFIX   profiles are PREFIX.<pid>.<seq>.pb.gz (HEAPPROF_OUT), or\n"
                "                     PREFIX/heapprof.<pid>.<seq>.pb.gz for a directory;\n"
                "                     default: heapprof.<program name> in the current\n"
                "                     directory (unless HEAPPROF_OUT is set); a relative\n"
                "                     PREFIX is made absolute, so that children that start\n"
                "                     elsewhere (make -C DIR) write beside the program;\n"
                "                     its directory must exist (one named by a code such\n"
                "                     as %h is made), else the program is not started\n"
                "  --no-children      do not profile the program's child processes\n"
                "                                                       (HEAPPROF_CHILDREN=0)\n"
                "  -h, --help         this help\n"
                "\n"
                "BYTES: a whole number with an optional k, m or g suffix (powers of 1024;\n"
                "64k, 64K, 64kB and 64KiB are all 65536).\n"
                "\n"
                "A profile is written at exit, on the signal, and on the triggers above.\n"
                "The list printed at the end holds PREFIX.<pid>.*.pb.gz of PROGRAM's pid and,\n"
                "as \"from child processes\", those of other pids written since it started.\n"
                "\n"
                "libheapprof.so is looked for next to the heapprof executable, then in\n"
                "../lib relative to it.  LD_PRELOAD keeps what it held, after the library.\n"
                "\n"
                "A statically linked PROGRAM cannot load the library (LD_PRELOAD is the\n"
                "dynamic loader's), nor can a set-user-ID or set-group-ID one run by\n"
                "another user, nor one given capabilities by its file (setcap) that a\n"
                "user other than root gains by running it: heapprof says so before it\n"
                "starts PROGRAM, and runs it (the dynamically linked programs a static\n"
                "one starts are profiled), unless --no-children leaves nothing to\n"
                "profile.\n"
                "\n"
                "Exit status: PROGRAM's; 125 when heapprof itself fails (bad option, no\n"
                "library, no directory for the profiles, a static PROGRAM under\n"
                "--no-children), 126 when PROGRAM cannot be executed, 127 when it is not\n"
                "found.\n"
                "\n"
                "The library's variables (set them in the environment for the rest):\n", f);
    for (size_t i = 0; i < config_count(); i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s (default %s)", config_help(i), config_default(i));
        (void)fprintf(f, "  %-26s ", config_name(i));
        wrap(f, text, 29, 79);
    }
}

/* ---- options ---------------------------------------------------------------- */

static const char *lookup_setting(const char *name)
{
    for (int i = 0; i < NSETTINGS; i++)
        if (settings[i].value && !strcmp(settings[i].var, name))
            return settings[i].value;
    return NULL;
}

/* Values config_parse refused while checking the options (range_warn). */
static int range_errors;

static void range_warn(void *ctx, const char *line)
{
    (void)ctx;
    for (int i = 0; i < NSETTINGS; i++) {
        size_t n = strlen(settings[i].var);
        if (!settings[i].value || strncmp(line, settings[i].var, n) || line[n] != '=')
            continue;
        const char *cut = strstr(line, "; using the default");
        diag_usage("%s '%s': %.*s", settings[i].flag, settings[i].value,
                   cut ? (int)(cut - line) : (int)strlen(line), line);
        range_errors++;
        return;
    }
}

/* Fills settings from argv; returns the index of PROGRAM, or -1 after a
 * message (*status set). */
static int parse(int argc, char **argv, int *status)
{
    static const struct option longs[] = {
        {"sample", required_argument, NULL, 's'}, {"period", required_argument, NULL, 'p'},
        {"highwater", required_argument, NULL, 'w'}, {"keep", required_argument, NULL, 'k'},
        {"out", required_argument, NULL, 'o'}, {"no-children", no_argument, NULL, 'C'},
        {"signal", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t u;
    double d;
    int64_t sig;
    int c, err = 0;
    opterr = 0;
    optind = 1;
    while (!err && (c = args_getopt(argc, argv, "+:o:h", longs)) != -1) {
        switch (c) {
        case 's':
            err = args_size("--sample", optarg, &u);
            settings[S_SAMPLE].value = optarg;
            break;
        case 'w':
            err = args_size("--highwater", optarg, &u);
            settings[S_HIGHWATER].value = optarg;
            break;
        case 'p':
            /* As HEAPPROF_PERIOD (src/config.c): 0 is off, else 0.001 s or more. */
            err = args_seconds("--period", optarg, 0, 1e7, &d);
            if (!err && d != 0 && d < 0.001)
                err = diag_usage("--period '%s': out of range (0 for off, or 0.001 to 1e+07 "
                                 "seconds)", optarg);
            settings[S_PERIOD].value = optarg;
            break;
        case 'k':
            err = args_count("--keep", optarg, 0, UINT64_MAX, &u);
            settings[S_KEEP].value = optarg;
            break;
        case 'o':
            if (!*optarg)
                err = diag_usage("-o: the prefix is empty");
            settings[S_OUT].value = optarg;
            break;
        case 'C':
            settings[S_CHILDREN].value = "0";
            break;
        case 'S':
            if (config_parse_signal(optarg, &sig))
                err = diag_usage("--signal '%s': not a signal this profiler can use (a name "
                                 "such as USR2 or SIGUSR1, a number, or off)", optarg);
            settings[S_SIGNAL].value = optarg;
            break;
        case 'h':
            cmd_run_usage(stdout);
            *status = DIAG_OK;
            return -1;
        default:
            err = args_getopt_error(c, argv, optind, optopt, longs);
        }
    }
    if (!err) {
        hp_config cfg;
        range_errors = 0;
        config_parse(&cfg, lookup_setting, range_warn, NULL);
        err = range_errors;
    }
    if (!err && optind >= argc)
        err = diag_usage("no program given (heapprof run [OPTIONS] -- PROGRAM [ARGS...])");
    if (err) {
        *status = EXIT_OWN;
        return -1;
    }
    return optind;
}

/* ---- environment -------------------------------------------------------------- */

static const char *lookup_env(const char *name) { return getenv(name); }

static int find_library(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        diag_error("cannot find its own executable (/proc/self/exe: %s), so cannot find "
                   "libheapprof.so", strerror(errno));
        return -1;
    }
    exe[n] = '\0';
    char *dir = dirname(exe);
    char cand[2][PATH_MAX + 32];
    snprintf(cand[0], sizeof cand[0], "%s/libheapprof.so", dir);
    snprintf(cand[1], sizeof cand[1], "%s/../lib/libheapprof.so", dir);
    for (int i = 0; i < 2; i++) {
        if (access(cand[i], R_OK) == 0 && realpath(cand[i], out) && strlen(out) < len)
            return 0;
    }
    diag_error("cannot find libheapprof.so; looked for it in:\n  %s\n  %s\n"
               "(install heapprof with its library, or keep libheapprof.so next to the "
               "heapprof executable)", cand[0], cand[1]);
    return -1;
}

/* The directory heapprof runs in, when it was put before a relative prefix
 * (else ""): the report shows the files under it as the user named them. */
static char run_cwd[PATH_MAX];

/* A relative prefix (-o, HEAPPROF_OUT, the default) made absolute against
 * the directory the program starts in, as the library makes it for the
 * program itself.  Its child processes start where it runs them: each took
 * the prefix as relative to its own directory, so `heapprof run -o
 * 'prof/%e' -- make -C build` had every compiler fail to write into a
 * build/prof that did not exist, one line each, and the default prefix
 * scattered a build's profiles over its directories, none listed.  One
 * that cannot be made absolute (too long, a bad code, no current
 * directory) is left as it was, for the library to say so. */
static void make_absolute(void)
{
    static char out[CONFIG_PATH_MAX];
    const char *was = settings[S_OUT].value ? settings[S_OUT].value : getenv("HEAPPROF_OUT");
    if (!was || was[0] == '/' || strlen(was) >= sizeof out || !getcwd(run_cwd, sizeof run_cwd))
        return;
    snprintf(out, sizeof out, "%s", was);
    /* CONFIG_PATH_MAX - 64: the room config.c keeps for .<pid>.<seq>.pb.gz.tmp */
    if (run_cwd[0] != '/' || outname_absolute(run_cwd, out, CONFIG_PATH_MAX - 64)) {
        run_cwd[0] = '\0';
        return;
    }
    settings[S_OUT].value = out;
}

/* path as the report shows it: relative again, when it is under run_cwd. */
static const char *shown(const char *path)
{
    size_t n = strlen(run_cwd);
    if (!path || !n || strncmp(path, run_cwd, n))
        return path;
    if (run_cwd[n - 1] == '/') /* "/" */
        return path + n;
    return path[n] == '/' ? path + n + 1 : path;
}

/* Whether a file can be made in dir: 0 or an errno value.  A file is made
 * and removed, as access(W_OK) tells nothing true of a read-only mount for
 * root, nor of /proc, which takes no new files (ENOENT) while its mode
 * says root may write: `run -o /proc/x` passed, and every process failed
 * to write its profile. */
static int can_create_in(const char *dir)
{
    char probe[CONFIG_PATH_MAX + 32];
    if ((size_t)snprintf(probe, sizeof probe, "%s/.heapprof-check-XXXXXX", dir) >= sizeof probe)
        return ENAMETOOLONG;
    int fd = mkstemp(probe);
    if (fd < 0)
        return errno;
    (void)close(fd);
    (void)unlink(probe);
    return 0;
}

/* The directory profiles go to must be there, and writable, before the
 * program starts: the library makes only a directory named by a code
 * (src/writer.c's prefix_make_dirs), so `heapprof run -o missing/dir/p`
 * ran the whole program for nothing, and a build said "cannot write
 * profile" once per process, with heapprof's own report last.  -1 after
 * a message.  The prefix is read as the library will read it (an
 * environment's bad HEAPPROF_OUT is its default); `given` names it in the
 * message as the user wrote it.  Where no -o named it (the default, in the
 * current directory, or HEAPPROF_OUT), the message says how to name
 * another: a user in a directory of someone else's got a refusal and no
 * way out. */
static int check_out_dir(const char *given, bool by_o)
{
    hp_config cfg;
    config_parse(&cfg, lookup_env, NULL, NULL);
    const char *slash = strrchr(cfg.out, '/');
    char pattern[CONFIG_PATH_MAX], dir[CONFIG_PATH_MAX];
    size_t n = !slash ? 0 : slash == cfg.out ? 1 : (size_t)(slash - cfg.out);
    memcpy(pattern, slash ? cfg.out : ".", slash ? n : 1);
    pattern[slash ? n : 1] = '\0';
    outname_vals none = {0};
    if (outname_uses(pattern, "hnpe") || outname_expand(pattern, &none, dir, sizeof dir))
        return 0; /* made by each process; or a %% only that cannot expand */
    /* A prefix that names a directory is where the files go (outname_dir),
     * which may be writable where its parent is not. */
    struct stat st;
    char whole[CONFIG_PATH_MAX];
    if (!outname_uses(cfg.out, "hnpe") && !outname_expand(cfg.out, &none, whole, sizeof whole) &&
        !stat(whole, &st) && S_ISDIR(st.st_mode))
        memcpy(dir, whole, sizeof dir);
    int err = stat(dir, &st) ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
    bool there = !err;
    if (there)
        err = can_create_in(dir);
    if (!err)
        return 0;
    diag_error("%s: profiles cannot be written in %s: %s%s; the program was not started%s", given,
               shown(dir), there ? "no file can be created there: " : "",
               there && err == ENOENT ? "its filesystem takes no new files (as /proc)"
                                      : strerror(err),
               !there && err == ENOENT ? " (make the directory first)"
               : !by_o                 ? " (name a writable place with -o DIR/PREFIX)"
                                       : "");
    return -1;
}

static int set_environment(const char *lib, const char *program)
{
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(lib) + (old ? strlen(old) : 0) + 2;
    char *preload = malloc(len);
    if (!preload)
        return -1;
    if (old && *old)
        snprintf(preload, len, "%s:%s", lib, old);
    else
        snprintf(preload, len, "%s", lib);
    int err = setenv("LD_PRELOAD", preload, 1);
    free(preload);
    static char def_out[PATH_MAX];
    /* How the user named the prefix, for check_out_dir's message */
    char given[PATH_MAX + 32];
    bool by_o = settings[S_OUT].value != NULL;
    if (settings[S_OUT].value)
        snprintf(given, sizeof given, "-o '%s'", settings[S_OUT].value);
    else if (getenv("HEAPPROF_OUT"))
        snprintf(given, sizeof given, "HEAPPROF_OUT=%s", getenv("HEAPPROF_OUT"));
    else
        snprintf(given, sizeof given, "the default prefix");
    if (!settings[S_OUT].value && !getenv("HEAPPROF_OUT")) {
        const char *slash = strrchr(program, '/');
        char name[PATH_MAX - 16];
        /* A % in the program's name is no code of HEAPPROF_OUT's (outname.h) */
        if (outname_escape(slash ? slash + 1 : program, name, sizeof name) == (size_t)-1)
            snprintf(name, sizeof name, "program");
        snprintf(def_out, sizeof def_out, "heapprof.%s", name);
        settings[S_OUT].value = def_out;
    }
    make_absolute();
    for (int i = 0; i < NSETTINGS && !err; i++)
        if (settings[i].value)
            err = setenv(settings[i].var, settings[i].value, 1);
    if (err) {
        diag_error("cannot set the environment: %s", strerror(errno));
        return err;
    }
    return check_out_dir(given, by_o);
}

/* ---- a program the library cannot be loaded into ------------------------------ */

static const char *unpreloadable_what(preloadable why)
{
    return why == PRELOAD_STATIC   ? "statically linked"
           : why == PRELOAD_SETUID ? "set-user-ID"
           : why == PRELOAD_SETGID ? "set-group-ID"
                                   : "given capabilities by its file";
}

/* One line before the program starts, where the loader will not load the
 * library into it (preloadable.h): it ran to its end, and only then was
 * told there was no profile, with advice (send it SIGUSR2) that could not
 * work.  It still runs: a static program (busybox sh) may start dynamic
 * ones, which are profiled, and a set-ID one is run for its work.  Unless
 * the children are left out too (--no-children): with a static program
 * nothing would be profiled, and its children would be after all, as the
 * library that takes itself out of their LD_PRELOAD never ran.  -1 after
 * a message: do not start it. */
static int say_unpreloadable(const char *program, preloadable why)
{
    if (why == PRELOAD_OK)
        return 0;
    hp_config cfg;
    config_parse(&cfg, lookup_env, NULL, NULL);
    if (why == PRELOAD_STATIC && !cfg.children) {
        diag_error("%s is statically linked: LD_PRELOAD cannot load the library into it, and %s "
                   "leaves out the programs it starts; the program was not started",
                   program, settings[S_CHILDREN].value ? "--no-children" : "HEAPPROF_CHILDREN=0");
        return -1;
    }
    if (why == PRELOAD_STATIC)
        diag_error("%s is statically linked: LD_PRELOAD cannot load the library into it, so it "
                   "writes no profile (the dynamically linked programs it starts do)", program);
    else
        diag_error("%s is %s: the loader ignores LD_PRELOAD for it and removes it from the "
                   "environment of the programs it starts, so neither it nor they write a "
                   "profile", program, unpreloadable_what(why));
    return 0;
}

/* ---- the child ---------------------------------------------------------------- */

/* Into sigs, the signals passed on to the program: the fixed ones, and the
 * one that makes it write a profile (--signal, HEAPPROF_SIGNAL, as the
 * library will read it), so that `kill -SIG <heapprof's pid>` asks for a
 * profile whatever SIG is: RTMIN+2 reached heapprof, not the program. */
static size_t forwarded_signals(int sigs[NFORWARD])
{
    size_t n = 0;
    bool listed = false;
    hp_config cfg;
    config_parse(&cfg, lookup_env, NULL, NULL);
    for (size_t i = 0; i < NFORWARD - 1; i++) {
        sigs[n++] = forwarded[i];
        listed = listed || forwarded[i] == (int)cfg.signal;
    }
    if (cfg.signal && !listed)
        sigs[n++] = (int)cfg.signal;
    return n;
}

static void forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (si && si->si_code == SI_KERNEL)
        return; /* from the terminal: the program's process group has it too */
    pid_t p = (pid_t)child_pid;
    if (p > 0)
        kill(p, sig);
}

/* Starts argv; -1 when it could not be (said already; *exec_errno set
 * when exec failed, read from a close-on-exec pipe). */
static pid_t start(char **argv, sigset_t *old, int *exec_errno)
{
    int ep[2];
    *exec_errno = 0;
    if (pipe2(ep, O_CLOEXEC)) {
        diag_error("cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    int sigs[NFORWARD];
    size_t nsigs = forwarded_signals(sigs);
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < nsigs; i++)
        sigaddset(&block, sigs[i]);
    sigprocmask(SIG_BLOCK, &block, old);
    /* A signal heapprof was started with ignored (nohup, a background job)
     * stays ignored, here and in the program; the others are forwarded. */
    struct sigaction sa, was[NFORWARD];
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < nsigs; i++) {
        sigaction(sigs[i], NULL, &was[i]);
        if (was[i].sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
    (void)fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < nsigs; i++)
            sigaction(sigs[i], &was[i], NULL);
        sigprocmask(SIG_SETMASK, old, NULL);
        close(ep[0]);
        execvp(argv[0], argv);
        int e = errno;
        (void)!write(ep[1], &e, sizeof e);
        _exit(EXIT_NOEXEC);
    }
    close(ep[1]);
    if (pid < 0) {
        diag_error("cannot start %s: %s", argv[0], strerror(errno));
        close(ep[0]);
        sigprocmask(SIG_SETMASK, old, NULL);
        return -1;
    }
    child_pid = pid;
    sigprocmask(SIG_SETMASK, old, NULL);
    int e;
    ssize_t got;
    while ((got = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(ep[0]);
    if (got == (ssize_t)sizeof e) {
        *exec_errno = e;
        child_pid = 0;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        diag_error("cannot run %s: %s", argv[0], strerror(e));
        return -1;
    }
    return pid;
}

/* ---- the report ------------------------------------------------------------- */

static int newer(struct timespec a, struct timespec b)
{
    return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

/* The profile files under HEAPPROF_OUT (as the library takes it: one it
 * refuses is its default) of every pid, pid's prefix in prefix: 0, an errno
 * value, or -1 when the prefix is not known (after a message). */
static int list_files(long pid, char *prefix, size_t len, seqfile **v, size_t *n)
{
    hp_config cfg;
    config_parse(&cfg, lookup_env, NULL, NULL);
    *v = NULL;
    *n = 0;
    if (seqfiles_prefix(cfg.out, pid, "/proc/self", prefix, len))
        return -1;
    /* With %p or %e, each child's prefix holds its own pid or name. */
    if (outname_uses(cfg.out, "pe"))
        return seqfiles_list_pattern(cfg.out, pid, "/proc/self", v, n);
    return seqfiles_list(prefix, -1, v, n);
}

/* Whether f is one of the files that were there before the program
 * started (pre, npre), unchanged. */
static bool was_there(const seqfile *f, const seqfile *pre, size_t npre)
{
    for (size_t i = 0; i < npre; i++)
        if (pre[i].pid == f->pid && pre[i].seq == f->seq && !strcmp(pre[i].path, f->path))
            return pre[i].mtime.tv_sec == f->mtime.tv_sec &&
                   pre[i].mtime.tv_nsec == f->mtime.tv_nsec;
    return false;
}

/* A build or a script under `heapprof run` starts hundreds of processes,
 * each with its exit profile: the list of its children's stops at the
 * CHILDREN_LISTED largest, the files with the most stacks or the most
 * live objects (a make of heapprof listed 291 lines). */
enum { CHILDREN_LISTED = 20 };

/* Children's files (pid not 0) first, largest first. */
static int by_size(const void *a, const void *b)
{
    const seqfile *x = a, *y = b;
    if (!x->pid != !y->pid)
        return !x->pid - !y->pid;
    return (x->size < y->size) - (x->size > y->size);
}

/* The children's largest file, named as the one to look at (v sorted or
 * not; a child's pid is not 0, the program's own are none). */
static void largest_child(const seqfile *v, size_t n, pid_t pid)
{
    const seqfile *big = NULL;
    for (size_t i = 0; i < n; i++)
        if (v[i].pid && v[i].pid != pid && (!big || v[i].size > big->size))
            big = &v[i];
    if (big)
        (void)fprintf(stderr, "heapprof: see the largest child's with: heapprof top %s\n",
                      shown(big->path));
}

/* Why the program wrote no profile, as far as can be told once it has
 * ended, and how to have profiles next time: the bare "it wrote no
 * profiles" left a user of `heapprof run -- ./script.sh` (a #!/bin/sh
 * script: dash ends with _exit, which runs no exit profile) or of a
 * program killed by a signal guessing.  The children's files, when there
 * are some, are the ones to look at: the largest is named.  A program the
 * library cannot be loaded into (why) gets no advice that cannot work. */
static void no_profile_hint(const char *program, preloadable why, int status, const seqfile *v,
                            size_t n, pid_t pid)
{
    hp_config cfg;
    config_parse(&cfg, lookup_env, NULL, NULL);
    if (why != PRELOAD_OK) {
        /* Said before it started (say_unpreloadable); neither the signal
         * nor a period reaches a process without the library. */
        (void)fprintf(stderr, "heapprof: %s ran without the library (%s): nothing can make it "
                      "write a profile\n", program, unpreloadable_what(why));
        largest_child(v, n, pid);
        return;
    }
    if (WIFSIGNALED(status))
        (void)fputs("heapprof: a process killed by a signal writes no profile at exit\n", stderr);
    else if (!cfg.on_exit)
        (void)fputs("heapprof: HEAPPROF_ON_EXIT=0: no profile is written at exit\n", stderr);
    else
        (void)fputs("heapprof: no profile at exit: a process that ends with _exit() writes none "
                    "(dash, a common /bin/sh, does), nor one that runs without the library "
                    "(statically linked, set-user-ID, exec'd in place under --no-children)\n",
                    stderr);
    /* The dump signal, which heapprof passes on (forwarded_signals) */
    char sig[64] = "";
    if (cfg.signal) {
        const char *name = sigabbrev_np((int)cfg.signal);
        if (name)
            snprintf(sig, sizeof sig, "SIG%s", name);
        else /* glibc names no real-time signal */
            snprintf(sig, sizeof sig, "SIGRTMIN+%d", (int)cfg.signal - SIGRTMIN);
    }
    (void)fprintf(stderr, "heapprof: for profiles while it runs: %s%s%s%s\n",
                  cfg.period > 0 ? "a --period shorter than its run" : "--period SECONDS",
                  *sig ? ", or " : "", sig, *sig ? " sent to it or to heapprof" : "");
    largest_child(v, n, pid);
}

static void report(const char *program, preloadable why, pid_t pid, int status,
                   struct timespec started, const seqfile *pre, size_t npre)
{
    char prefix[CONFIG_PATH_MAX];
    /* The program has ended; it had our namespaces.  Its status is said
     * even where its files cannot be found (the message before says why).
     * They are listed first, so that a message of the listing's comes
     * before that line, not inside it. */
    seqfile *v = NULL;
    size_t n = 0;
    int err = list_files((long)pid, prefix, sizeof prefix, &v, &n);
    if (WIFEXITED(status))
        (void)fprintf(stderr, "heapprof: %s (pid %d) exited with status %d", program, (int)pid,
                      WEXITSTATUS(status));
    else
        (void)fprintf(stderr, "heapprof: %s (pid %d) was killed by signal %d (%s%s)", program,
                      (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
                      WCOREDUMP(status) ? ", core dumped" : "");
    if (err < 0) {
        (void)fputc('\n', stderr);
        return;
    }
    if (err) {
        (void)fprintf(stderr, "; cannot list its profiles %s.%d.*.pb.gz: %s\n", shown(prefix),
                      (int)pid, strerror(err));
        return;
    }
    size_t own = 0, others = 0;
    const char *first = NULL, *last = NULL;
    /* Another pid's file is a child's when it was written since the start:
     * not there before (another run's, also of the last second, which the
     * slack for file systems with coarse timestamps let in), and new.  Its
     * pid is set to 0 when it is not (no process has pid 0). */
    started.tv_sec -= 1; /* file systems with coarse timestamps */
    for (size_t i = 0; i < n; i++) {
        if (v[i].pid == pid) {
            own++;
            first = first ? first : v[i].path;
            last = v[i].path;
        } else {
            v[i].pid = newer(v[i].mtime, started) && !was_there(&v[i], pre, npre) ? v[i].pid : 0;
            others += v[i].pid != 0;
        }
    }
    if (!own) {
        outname_dir(prefix, sizeof prefix); /* where a directory's files would be */
        (void)fprintf(stderr, "; it wrote no profiles (%s.%d.*.pb.gz)\n", shown(prefix),
                      (int)pid);
    }
    else
        (void)fprintf(stderr, "; %zu profile%s:\n", own, own == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        if (v[i].pid == pid)
            (void)fprintf(stderr, "  %s\n", shown(v[i].path));
    if (others > CHILDREN_LISTED) {
        (void)fprintf(stderr, "heapprof: %zu more from child processes; the %d largest:\n", others,
                      CHILDREN_LISTED);
        for (size_t i = 0; i < n; i++)
            v[i].pid = v[i].pid == pid ? 0 : v[i].pid; /* the program's own are listed */
        qsort(v, n, sizeof *v, by_size);
        for (size_t i = 0; i < CHILDREN_LISTED; i++)
            (void)fprintf(stderr, "  %s\n", shown(v[i].path));
        (void)fprintf(stderr, "  and %zu more\n", others - CHILDREN_LISTED);
    } else if (others) {
        (void)fprintf(stderr, "heapprof: %zu more from child processes:\n", others);
        for (size_t i = 0; i < n; i++)
            if (v[i].pid != pid && v[i].pid)
                (void)fprintf(stderr, "  %s\n", shown(v[i].path));
    }
    if (!own)
        no_profile_hint(program, why, status, v, n, pid);
    else if (own == 1)
        (void)fprintf(stderr, "heapprof: see it with: heapprof top %s\n", shown(last));
    else if (own > 1)
        (void)fprintf(stderr, "heapprof: see them with: heapprof top %s; heapprof leaks %s %s\n",
                      shown(last), shown(first), shown(last));
    seqfiles_free(v, n);
}

/* Ends heapprof by signal sig, as the program ended.  A shell tells a
 * command that died of SIGINT from one that exited 130: only the first
 * stops a script on ^C (bash's "wait and cooperative exit"), so an exit
 * status would let a loop of `heapprof run` go on where a loop of the
 * program stops.  heapprof dumps no core of its own (the program's is
 * the one wanted).  Returns 128 + sig when the signal does not end a
 * process (none that can kill one does not). */
static int die_by(int sig)
{
    (void)fflush(stdout);
    (void)fflush(stderr);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    (void)sigprocmask(SIG_UNBLOCK, &set, NULL);
    (void)raise(sig);
    return 128 + sig;
}

int cmd_run_main(int argc, char **argv)
{
    int status = 0;
    int prog = parse(argc, argv, &status);
    if (prog < 0)
        return status;
    char lib[PATH_MAX];
    if (find_library(lib, sizeof lib) || set_environment(lib, argv[prog]))
        return EXIT_OWN;
    preloadable why = preloadable_check(argv[prog]);
    if (say_unpreloadable(argv[prog], why))
        return EXIT_OWN;
    /* The files already there (another run's) are not the program's
     * children's.  A problem listing them is said once, after the run,
     * where the same listing meets it. */
    seqfile *pre;
    size_t npre;
    char prefix[CONFIG_PATH_MAX];
    diag_quiet(1);
    (void)list_files((long)getpid(), prefix, sizeof prefix, &pre, &npre);
    diag_quiet(0);
    struct timespec started;
    clock_gettime(CLOCK_REALTIME, &started);
    sigset_t old;
    int exec_errno;
    pid_t pid = start(&argv[prog], &old, &exec_errno);
    if (pid < 0) {
        seqfiles_free(pre, npre);
        return exec_errno == ENOENT ? EXIT_NOTFOUND : exec_errno ? EXIT_NOEXEC : EXIT_OWN;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            diag_error("cannot wait for %s: %s", argv[prog], strerror(errno));
            seqfiles_free(pre, npre);
            return EXIT_OWN;
        }
    }
    child_pid = 0;
    report(argv[prog], why, pid, st, started, pre, npre);
    seqfiles_free(pre, npre);
    return WIFEXITED(st) ? WEXITSTATUS(st) : die_by(WTERMSIG(st));
}
