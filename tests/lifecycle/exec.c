/*
 * exec.c - a parent that runs another program.
 *
 *   exec forkexec CHILD   5 x ex_parent live, fork, the child execs CHILD;
 *                         waits for it and prints "parent PID child PID STATUS".
 *   exec exec CHILD       5 x ex_parent live, a SIGUSR2 profile (waits for its
 *                         0001), then execs CHILD in place (same pid).
 *   exec held CHILD       5 x ex_parent live, a SIGUSR2 profile that holdsync.c
 *                         (listed first) holds in its fdatasync until
 *                         HOLDSYNC_FILE exists; execs CHILD in place while it
 *                         is held (without HOLDSYNC_FILE), and a thread
 *                         creates that file 300 ms later.
 *   exec forms SH         each exec function in a fork child, running
 *                         SH -c 'echo ...' with arguments and LC_FORM in the
 *                         environment, and execv in a vfork child: prints what
 *                         the shell was given; then a SIGUSR2 profile.
 */
#include "lc.h" /* first: it defines _GNU_SOURCE (execvpe, execveat) */

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

NOINLINE void *ex_parent(void) { return malloc(1000); }

static void *keep[5];

static const char *go_file;

static void *release(void *arg)
{
    (void)arg;
    struct timespec ms300 = {0, 300000000L};
    nanosleep(&ms300, NULL);
    lc_touch(go_file);
    return NULL;
}

/* exec held: exec while the profile is held in its fdatasync. */
static int held(const char *child)
{
    char mark[4096];
    go_file = getenv("HOLDSYNC_FILE");
    if (!go_file)
        return 2;
    snprintf(mark, sizeof mark, "%s.held", go_file);
    raise(SIGUSR2);
    for (int i = 0; i < 30000 && access(mark, F_OK); i++) {
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
    pthread_t t;
    if (pthread_create(&t, NULL, release, NULL))
        return 3;
    /* The new image's own fdatasync is not held: without HOLDSYNC_FILE. */
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **envp = calloc(n + 1, sizeof *envp), **e = envp;
    for (size_t i = 0; envp && i < n; i++)
        if (strncmp(environ[i], "HOLDSYNC_FILE=", 14))
            *e++ = environ[i];
    printf("parent %d execs held\n", (int)getpid());
    char *cargv[] = {(char *)child, NULL};
    execve(child, cargv, envp ? envp : environ);
    perror("execve");
    return 3;
}

/* exec forms: each function runs sh -c SCRIPT zero one, LC_FORM=<its name>. */
static const char script[] = "echo \"form $LC_FORM: [$0] [$1] [$#]\"";

static void one_form(const char *sh, int form)
{
    static const char *const names[] = {"execl", "execlp", "execle", "execv", "execvp",
                                        "execvpe", "execve", "fexecve", "execveat"};
    char env1[64];
    snprintf(env1, sizeof env1, "LC_FORM=%s", names[form]);
    char *envp[] = {env1, NULL};
    char *argv[] = {"sh", "-c", (char *)script, "zero", "one", NULL};
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        exit(3);
    if (c == 0) {
        setenv("LC_FORM", names[form], 1);
        int fd;
        switch (form) {
        case 0: execl(sh, "sh", "-c", script, "zero", "one", (char *)NULL); break;
        case 1: execlp(sh, "sh", "-c", script, "zero", "one", (char *)NULL); break;
        case 2: execle(sh, "sh", "-c", script, "zero", "one", (char *)NULL, envp); break;
        case 3: execv(sh, argv); break;
        case 4: execvp(sh, argv); break;
        case 5: execvpe(sh, argv, envp); break;
        case 6: execve(sh, argv, envp); break;
        case 7:
            if ((fd = open(sh, O_RDONLY)) >= 0)
                fexecve(fd, argv, envp);
            break;
        case 8: execveat(AT_FDCWD, sh, argv, envp, 0); break;
        }
        perror(names[form]);
        _exit(127);
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
        printf("form %s: the child failed (status %d)\n", names[form], st);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: exec forkexec|exec CHILD\n");
        return 2;
    }
    for (int i = 0; i < 5; i++)
        keep[i] = ex_parent();
    char *cargv[] = {argv[2], NULL};
    if (!strcmp(argv[1], "held"))
        return held(argv[2]);
    if (!strcmp(argv[1], "forms")) {
        for (int f = 0; f < 9; f++)
            one_form(argv[2], f);
        /* A vfork child's exec, in the parent's memory: the profile after
         * it is still written (nothing of the exec's stays held). */
        char *vargv[] = {"sh", "-c", (char *)script, "zero", "one", NULL};
        setenv("LC_FORM", "vfork", 1);
        fflush(stdout);
        pid_t c = vfork();
        if (c == 0) {
            execv(argv[2], vargv);
            _exit(127);
        }
        int st;
        if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
            printf("form vfork: the child failed\n");
        /* A failed exec returns its error, and the profiler goes on. */
        errno = 0;
        if (execl("/nonexistent/x", "x", (char *)NULL) != -1 || errno != ENOENT)
            printf("execl of a missing file: errno %d\n", errno);
        if (execv("/nonexistent/x", cargv) != -1 || errno != ENOENT)
            printf("execv of a missing file: errno %d\n", errno);
        raise(SIGUSR2);
        lc_wait_seq(1);
        printf("forms done\n");
        return 0;
    }
    if (!strcmp(argv[1], "exec")) {
        raise(SIGUSR2);
        lc_wait_seq(1);
        printf("parent %d execs\n", (int)getpid());
        execv(argv[2], cargv);
        perror("execv");
        return 3;
    }
    pid_t c = fork();
    if (c < 0)
        return 3;
    if (c == 0) {
        execv(argv[2], cargv);
        perror("execv");
        _exit(127);
    }
    int st;
    if (waitpid(c, &st, 0) != c)
        return 4;
    printf("parent %d child %d %d\n", (int)getpid(), (int)c,
           WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return 0;
}
