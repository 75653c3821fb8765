/*
 * outfile.c - see outfile.h.
 *
 * An unnamed file gets its name with linkat(2), which fails with EEXIST
 * where the name is taken: a sequence's name is never written over
 * (keep_existing) without a rename.  Where a name may be replaced, it is
 * linked under the temporary name and renamed over PATH, so the named
 * temporary file exists for microseconds only.  linkat by descriptor
 * (AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; without it the link goes
 * through /proc/thread-self/fd/N (linkat(2), "O_TMPFILE" in open(2);
 * thread-self since Linux 3.17, three releases after O_TMPFILE).  With
 * neither (no /proc in a chroot, or a seccomp filter refusing linkat), the
 * profile written is not lost: it is copied into a named temporary file,
 * and the process writes named files from then on.
 *
 * The descriptors are moved high and checked before each use, as a
 * program may close them and open its own on their numbers (fdid.h).
 */
#define _GNU_SOURCE
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"
#include "fault.h"
#include "lifecycle.h"
#include "profiler.h"
#include "tmpfile.h"

/* An unnamed file could be written but never named here, so a copy had
 * to be made: from then on, named temporary files only. */
static bool link_refused;
/* linkat(AT_EMPTY_PATH) refused (no CAP_DAC_READ_SEARCH): through /proc. */
static bool empty_path_refused;

/* The directory where O_TMPFILE was refused for good, so that later
 * profiles of the process open a named file at once rather than ask again
 * each time.  A directory, not a flag: a fork child inherits it, and its
 * prefix may expand to another directory (%p), perhaps on a file system
 * that has unnamed files.  The prefix is made absolute (profiler.c), so
 * the same string is the same directory for the life of the process;
 * where it could not be (no current directory to tell) the program's
 * chdir moves it, and nothing is remembered.  One dump at a time writes
 * it (writer.c serialises dumps), but a fork may copy it half-written:
 * no_tmpfile_set is cleared before and set after. */
static char no_tmpfile_dir[sizeof(((outfile *)0)->tmp)];
static bool no_tmpfile_set;

static bool no_tmpfile_in(const char *dir)
{
    return __atomic_load_n(&no_tmpfile_set, __ATOMIC_ACQUIRE) && !strcmp(no_tmpfile_dir, dir);
}

static void remember_no_tmpfile(const char *dir)
{
    __atomic_store_n(&no_tmpfile_set, false, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE); /* cleared before the string changes */
    snprintf(no_tmpfile_dir, sizeof no_tmpfile_dir, "%s", dir);
    __atomic_store_n(&no_tmpfile_set, true, __ATOMIC_RELEASE);
}

/* linkat's ways of saying "not like this" rather than "the file system
 * failed" (EIO, ENOSPC, a name taken): no capability or no /proc (ENOENT),
 * a seccomp filter (EPERM, ENOSYS), and the rest for good measure.  The
 * profile is then copied (copy_named). */
static bool link_refusal(int err)
{
    return err == ENOENT || err == EPERM || err == ENOSYS || err == EINVAL || err == EACCES ||
           err == EOPNOTSUPP || err == EXDEV;
}

/* The directory of path, "." for a bare name. */
static int dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    int n = slash ? snprintf(dir, len, "%.*s", (int)(slash - path) + (slash == path), path)
                  : snprintf(dir, len, ".");
    return n < 0 || (size_t)n >= len ? ENAMETOOLONG : 0;
}

/* A named temporary file at tmp, moved high.  One there already was left
 * by a dead process that had our pid. */
static int open_named(const char *tmp, fdid *id)
{
    int fd = fault_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        unlink(tmp);
        fd = fault_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    return fd < 0 ? -1 : fdid_move_high(fd, id);
}

int outfile_open(outfile *f, const char *path)
{
    /* The pid makes the temporary name this process's alone, even when
     * two processes are told to write the same explicit path; the pid
     * namespace too, where containers share an output directory and their
     * pids repeat (dump_start_scan). */
    unsigned long long ns = dump_pid_ns();
    int pid = (int)lifecycle_pid();
    int n = ns ? snprintf(f->tmp, sizeof f->tmp, "%s.%d.%llu.tmp", path, pid, ns)
               : snprintf(f->tmp, sizeof f->tmp, "%s.%d.tmp", path, pid);
    if (n < 0 || (size_t)n >= sizeof f->tmp)
        return ENAMETOOLONG;
    f->path = path;
    f->unnamed = false;
    if (!__atomic_load_n(&link_refused, __ATOMIC_RELAXED)) {
        char dir[sizeof f->tmp];
        int err = dir_of(path, dir, sizeof dir);
        if (err)
            return err;
        if (!no_tmpfile_in(dir)) {
            /* O_RDWR: a copy may have to read it back (copy_named). */
            int fd = fault_open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
            if (fd >= 0) {
                f->unnamed = true;
                return (f->fd = fdid_move_high(fd, &f->id)) < 0 ? errno : 0;
            }
            if (!tmpfile_refused(err = errno))
                return err;
            if (tmpfile_unsupported(err) && dir[0] == '/')
                remember_no_tmpfile(dir);
        }
    }
    return (f->fd = open_named(f->tmp, &f->id)) < 0 ? errno : 0;
}

/* Flush before the file gets its name so that after a crash the final
 * name never points at a file whose blocks did not reach the disk; unless
 * told not to (HEAPPROF_SYNC=0), where that wait costs more than a lost
 * profile.  EINVAL, EROFS: a file that cannot be synced (a pipe's kin). */
static int flush(int fd, const fdid *id)
{
    if (!fdid_same(fd, id))
        return EBADF;
    if (profiler_config()->sync && fault_fdatasync(fd) && errno != EINVAL && errno != EROFS)
        return errno;
    return 0;
}

/* Close fd unless the program has taken its number since; close's error
 * (it can report a failed writeback), else 0. */
static int close_checked(int fd, const fdid *id)
{
    return fdid_same(fd, id) && fault_close(fd) ? errno : 0;
}

void outfile_discard(outfile *f)
{
    fdid_close(f->fd, &f->id);
    if (!f->unnamed)
        unlink(f->tmp);
}

/* tmp under its final name.  A profile of the sequence never goes over a
 * file already there: with our pid in its name, that is another process's,
 * one of another pid namespace writing to the same prefix (or the image
 * before an exec in place, if its last profile came after our start).
 * RENAME_NOREPLACE says so atomically; where the file system lacks it, a
 * hard link fails the same way; where it has neither (vfat, and FUSE file
 * systems without a link operation, whose link fails with ENOSYS), a look
 * before the rename is the best there is. */
static int publish_named(const char *tmp, const char *path, bool keep_existing)
{
    if (!keep_existing)
        return fault_rename(tmp, path) ? errno : 0;
    if (fault_point(FAULT_IO))
        return EIO;
    if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE))
        return 0;
    /* EPERM too: a seccomp filter older than renameat2 (2014) refuses it
     * so; a real permission error fails the link and the rename again. */
    if (errno != EINVAL && errno != ENOSYS && errno != EPERM)
        return errno; /* EEXIST among them */
    if (!link(tmp, path)) {
        unlink(tmp);
        return 0;
    }
    if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
        return errno;
    if (!faccessat(AT_FDCWD, path, F_OK, AT_EACCESS))
        return EEXIST;
    return rename(tmp, path) ? errno : 0;
}

/* The unnamed file fd under the name to; EEXIST where to is taken. */
static int link_unnamed(int fd, const fdid *id, const char *to)
{
    if (!fdid_same(fd, id))
        return EBADF;
    if (!__atomic_load_n(&empty_path_refused, __ATOMIC_RELAXED)) {
        if (!fault_linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH))
            return 0;
        if (!link_refusal(errno))
            return errno;
        __atomic_store_n(&empty_path_refused, true, __ATOMIC_RELAXED);
    }
    /* thread-self, not self: the writer's thread has a descriptor table
     * of its own (threads.c), and /proc/self/fd/N is N of the main
     * thread's, a file of the program's perhaps. */
    char proc[40];
    snprintf(proc, sizeof proc, "/proc/thread-self/fd/%d", fd);
    return fault_linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) ? errno : 0;
}

/* The unnamed file under f->path: linked there, or where a name may be
 * replaced, linked under the temporary name and renamed over it.
 * *refused: linkat said it cannot name the file this way (link_refusal),
 * rather than that a name is taken or the file system failed. */
static int name_unnamed(outfile *f, bool keep_existing, bool *refused)
{
    const char *to = keep_existing ? f->path : f->tmp;
    int err = link_unnamed(f->fd, &f->id, to);
    if (err == EEXIST && !keep_existing) { /* left by a dead process that had our pid */
        unlink(f->tmp);
        err = link_unnamed(f->fd, &f->id, f->tmp);
    }
    *refused = link_refusal(err);
    if (!err && !keep_existing && fault_rename(f->tmp, f->path)) {
        err = errno;
        unlink(f->tmp);
    }
    return err;
}

/* The unnamed file's bytes into the named temporary file, flushed and
 * closed.  Read back in 4 KiB steps, on the stack (heapprof_dump() may
 * run on a program's small one; each_name reads directories alike): this
 * is the fallback of a fallback, and a copy by the kernel
 * (copy_file_range) would be one more way to be refused. */
static int copy_named(const outfile *f)
{
    fdid id;
    int out = open_named(f->tmp, &id);
    if (out < 0)
        return errno;
    char buf[4096];
    int err = 0;
    for (off_t off = 0; !err;) {
        if (!fdid_same(f->fd, &f->id)) {
            err = EBADF;
            break;
        }
        ssize_t n = pread(f->fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : 0;
            break;
        }
        off += n;
        for (ssize_t done = 0; !err && done < n;) {
            if (!fdid_same(out, &id)) {
                err = EBADF;
                break;
            }
            ssize_t w = fault_write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno != EINTR)
                err = errno;
            else if (w == 0)
                err = EIO; /* no progress and no reason: don't spin */
            else if (w > 0)
                done += w;
        }
    }
    if (!err)
        err = flush(out, &id);
    int cerr = close_checked(out, &id);
    return err ? err : cerr;
}

int outfile_publish(outfile *f, bool keep_existing)
{
    int err = flush(f->fd, &f->id);
    if (f->unnamed) {
        bool refused = false;
        if (!err)
            err = name_unnamed(f, keep_existing, &refused);
        if (refused) {
            /* Written, but not to be named here: a named copy, published
             * as one, and named files only from now on if the copy could
             * be made where the link could not. */
            err = copy_named(f);
            if (!err)
                __atomic_store_n(&link_refused, true, __ATOMIC_RELAXED);
        }
        /* Named (or copied), flushed: what close could say of a failed
         * writeback, fdatasync said (or HEAPPROF_SYNC=0 waived). */
        fdid_close(f->fd, &f->id);
        if (!refused)
            return err;
    } else {
        int cerr = close_checked(f->fd, &f->id);
        err = err ? err : cerr;
    }
    if (!err)
        err = publish_named(f->tmp, f->path, keep_existing);
    if (err)
        unlink(f->tmp);
    return err;
}
