/*
 * sigctor.c - linked with sigctorlib.c, whose constructor installed a
 * SIGUSR2 handler before main.  raise() runs the handler before it returns
 * (a signal to the calling thread, not blocked), so the library's count must
 * be 1 at once; prints "library_handler_hits=N", exits 0 when N is 1.
 */
#include <signal.h>
#include <stdio.h>

extern volatile sig_atomic_t sigctor_hits;

int main(void)
{
    raise(SIGUSR2);
    printf("library_handler_hits=%d\n", (int)sigctor_hits);
    return sigctor_hits == 1 ? 0 : 1;
}
