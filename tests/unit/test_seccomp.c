/* Unit tests: which seccomp filters may kill or trap one of the profiler's
 * own system calls (src/seccomp.h).  The filters are the shapes programs
 * install: an allow-list with a kill or trap default, a deny-list that
 * refuses with an errno, libseccomp's architecture and x32 checks before
 * either, a test of an argument, a return of the accumulator. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp.h"

#define LD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define ERR(e) (SECCOMP_RET_ERRNO | (e))

static bool may_kill(struct sock_filter *f, unsigned short n)
{
    struct sock_fprog p = {.len = n, .filter = f};
    return seccomp_may_kill(&p);
}
#define MAY_KILL(...)                                                                              \
    ({                                                                                             \
        struct sock_filter f_[] = {__VA_ARGS__};                                                   \
        may_kill(f_, (unsigned short)(sizeof f_ / sizeof f_[0]));                                  \
    })

/* The native architecture's, so that its check settles as for our calls. */
#if defined(__x86_64__)
#define NATIVE AUDIT_ARCH_X86_64
#else
#define NATIVE AUDIT_ARCH_AARCH64
#endif

static void strict_mode_and_unreadable_filters_may_kill(void **state)
{
    (void)state;
    assert_true(seccomp_may_kill(NULL));
    struct sock_fprog empty = {.len = 0, .filter = NULL};
    assert_true(seccomp_may_kill(&empty));
}

static void errno_only_filters_do_not(void **state)
{
    (void)state;
    assert_false(MAY_KILL(RET(SECCOMP_RET_ALLOW)));
    /* A deny-list, behind the architecture check that kills any other. */
    assert_false(MAY_KILL(LD(arch), JEQ(NATIVE, 1, 0), RET(SECCOMP_RET_KILL_PROCESS), LD(nr),
                          JEQ(SYS_ptrace, 0, 1), RET(ERR(EPERM)), JEQ(SYS_mount, 0, 1),
                          RET(ERR(ENOSYS)), RET(SECCOMP_RET_LOG)));
    /* libseccomp's x32 check: numbers with bit 30 set are another ABI. */
    assert_false(MAY_KILL(LD(arch), JEQ(NATIVE, 1, 0), RET(SECCOMP_RET_KILL_PROCESS), LD(nr),
                          BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
                          RET(SECCOMP_RET_KILL_PROCESS), JEQ(SYS_ptrace, 0, 1), RET(ERR(EPERM)),
                          RET(SECCOMP_RET_ALLOW)));
    /* An errno returned through the accumulator, and through memory. */
    assert_false(MAY_KILL(LD(nr), JEQ(SYS_ptrace, 0, 2), BPF_STMT(BPF_LD | BPF_IMM, ERR(EPERM)),
                          BPF_STMT(BPF_RET | BPF_A, 0), BPF_STMT(BPF_LD | BPF_IMM, ERR(EACCES)),
                          BPF_STMT(BPF_ST, 3), BPF_STMT(BPF_LDX | BPF_MEM, 3),
                          BPF_STMT(BPF_MISC | BPF_TXA, 0), BPF_STMT(BPF_RET | BPF_A, 0)));
}

static void kills_and_traps_may(void **state)
{
    (void)state;
    /* An allow-list whose default kills: every other call would. */
    assert_true(MAY_KILL(LD(nr), JEQ(SYS_read, 2, 0), JEQ(SYS_write, 1, 0),
                         RET(SECCOMP_RET_KILL_PROCESS), RET(SECCOMP_RET_ALLOW)));
    assert_true(MAY_KILL(LD(nr), JEQ(SYS_getpid, 0, 1), RET(SECCOMP_RET_TRAP),
                         RET(SECCOMP_RET_ALLOW)));
    assert_true(MAY_KILL(LD(nr), JEQ(SYS_openat, 0, 1), RET(SECCOMP_RET_KILL_THREAD),
                         RET(SECCOMP_RET_ALLOW)));
    assert_true(MAY_KILL(RET(SECCOMP_RET_USER_NOTIF)));
    assert_true(MAY_KILL(RET(SECCOMP_RET_TRACE)));
    /* A kill that depends on an argument: it may be ours. */
    assert_true(MAY_KILL(LD(nr), JEQ(SYS_ioctl, 0, 3), LD(args[1]), JEQ(0x5401, 0, 1),
                         RET(SECCOMP_RET_KILL_PROCESS), RET(SECCOMP_RET_ALLOW)));
    /* A return of the accumulator loaded from an argument (not known), or
     * left holding the call's number on one path (0 is KILL_THREAD). */
    assert_true(MAY_KILL(LD(args[0]), BPF_STMT(BPF_RET | BPF_A, 0)));
    assert_true(MAY_KILL(BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW), LD(nr),
                         JEQ(SYS_ptrace, 0, 1), BPF_STMT(BPF_LD | BPF_IMM, ERR(EPERM)),
                         BPF_STMT(BPF_RET | BPF_A, 0)));
    /* The architecture check alone, were the architecture another. */
    assert_true(MAY_KILL(LD(arch), JEQ(AUDIT_ARCH_I386, 0, 1), RET(SECCOMP_RET_ALLOW),
                         RET(SECCOMP_RET_KILL_PROCESS)));
}

static void malformed_filters_may(void **state)
{
    (void)state;
    /* A jump past the end, a last instruction that is not a return: the
     * kernel refuses both; not understood counts as a kill. */
    assert_true(MAY_KILL(LD(nr), JEQ(SYS_read, 5, 0), RET(SECCOMP_RET_ALLOW)));
    assert_true(MAY_KILL(LD(nr)));
}

/* A filter at the program's address, read as the kernel reads it: what
 * the kernel refuses (EFAULT, EINVAL) installs nothing. */
static void filters_read_as_the_kernel_does(void **state)
{
    (void)state;
    pid_t self = getpid();
    struct sock_filter allow[] = {RET(SECCOMP_RET_ALLOW)}, kill[] = {RET(SECCOMP_RET_KILL_PROCESS)};
    struct sock_fprog ok = {.len = 1, .filter = allow}, bad = {.len = 1, .filter = kill};
    assert_int_equal(seccomp_judge(self, &ok), SECCOMP_COPES);
    assert_int_equal(seccomp_judge(self, &bad), SECCOMP_MAY_KILL);
    void *gone = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(gone != MAP_FAILED);
    assert_int_equal(munmap(gone, 4096), 0);
    struct sock_fprog insns_gone = {.len = 1, .filter = gone}, empty = {.len = 0, .filter = allow},
                      too_long = {.len = BPF_MAXINSNS + 1, .filter = allow};
    assert_int_equal(seccomp_judge(self, NULL), SECCOMP_REFUSED);
    assert_int_equal(seccomp_judge(self, gone), SECCOMP_REFUSED);
    assert_int_equal(seccomp_judge(self, &insns_gone), SECCOMP_REFUSED);
    assert_int_equal(seccomp_judge(self, &empty), SECCOMP_REFUSED);
    assert_int_equal(seccomp_judge(self, &too_long), SECCOMP_REFUSED);
    /* Instructions that end where the mapping does are read; one more is
     * not. */
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(two != MAP_FAILED);
    assert_int_equal(munmap(two + 4096, 4096), 0);
    struct sock_filter *last = (struct sock_filter *)(two + 4096) - 1;
    *last = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
    struct sock_fprog at_end = {.len = 1, .filter = last}, past_end = {.len = 2, .filter = last};
    assert_int_equal(seccomp_judge(self, &at_end), SECCOMP_COPES);
    assert_int_equal(seccomp_judge(self, &past_end), SECCOMP_REFUSED);
    munmap(two, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strict_mode_and_unreadable_filters_may_kill),
        cmocka_unit_test(errno_only_filters_do_not),
        cmocka_unit_test(kills_and_traps_may),
        cmocka_unit_test(malformed_filters_may),
        cmocka_unit_test(filters_read_as_the_kernel_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
