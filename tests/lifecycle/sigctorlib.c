/*
 * sigctorlib.c - a library linked by the program (not preloaded) whose
 * constructor installs a SIGUSR2 handler, as language runtimes and agents
 * do.  Constructors of the program's libraries run before those of a
 * preloaded library, so the profiler finds this handler in place.
 */
#include <signal.h>
#include <string.h>

volatile sig_atomic_t sigctor_hits;

static void on_usr2(int sig)
{
    (void)sig;
    sigctor_hits++;
}

__attribute__((constructor)) static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
}
