/*
 * preloadable.c - see preloadable.h.
 *
 * Static: an ELF file of this machine's class and byte order that is an
 * executable (ET_EXEC) without PT_INTERP, or a position-independent one
 * (ET_DYN with DF_1_PIE in DT_FLAGS_1) without PT_INTERP, which is what
 * gcc -static-pie makes.  ET_DYN without PT_INTERP and without that flag
 * is the loader itself (`heapprof run -- ld.so PROGRAM` preloads into the
 * program it loads) or a shared object: not judged.  A script (#!) is not
 * judged either: its interpreter is what runs.
 *
 * Secure mode (AT_SECURE): the kernel sets it where exec changes the
 * effective ids, which a set-user-ID bit does when the file's owner is not
 * the real user, unless the file system is mounted nosuid or the process
 * has no_new_privs (both make the kernel ignore the bits).  File
 * capabilities (a security.capability attribute, setcap(8)) set it too,
 * for a user other than root, whose exec gains them (commoncap.c:
 * root's real uid keeps it off), with the same two exceptions: a program
 * such as ping or a packet capture tool run under `heapprof run` went
 * without a word, then got advice (SIGUSR2, --period) that cannot work.
 * Only where the exec gains something, though (cap_bprm_creds_from_file):
 * the file's effective bit is set, or the permitted set it gives, (file
 * permitted & bounding set) | (file inheritable & the process's
 * inheritable), is not empty.  The attribute is little-endian 32-bit
 * words (linux/capability.h): magic_etc (revision in the top byte, the
 * effective bit at bit 0), then permitted and inheritable pairs, low word
 * first (one pair in revision 1, two from 2), then in revision 3 the uid
 * of the user namespace's root the capabilities are for.
 */
#define _GNU_SOURCE
#include "preloadable.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Where execvp(program) finds it: the first regular executable file of
 * that name in PATH (glibc's default where PATH is unset).  false: none. */
static bool resolve(const char *program, char *out, size_t len)
{
    if (strchr(program, '/'))
        return snprintf(out, len, "%s", program) < (int)len;
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    for (const char *p = path;; p++) {
        size_t n = strcspn(p, ":");
        /* An empty entry is the current directory. */
        int w = n ? snprintf(out, len, "%.*s/%s", (int)n, p, program)
                  : snprintf(out, len, "%s", program);
        struct stat st;
        if (w > 0 && (size_t)w < len && !stat(out, &st) && S_ISREG(st.st_mode) &&
            !access(out, X_OK))
            return true;
        p += n;
        if (!*p)
            return false;
    }
}

static bool read_at(int fd, void *buf, size_t n, off_t off)
{
    return pread(fd, buf, n, off) == (ssize_t)n;
}

/* DF_1_PIE in the dynamic section that ph describes. */
static bool flagged_pie(int fd, const ElfW(Phdr) *ph)
{
    size_t n = ph->p_filesz / sizeof(ElfW(Dyn));
    for (size_t i = 0; i < n && i < 4096; i++) {
        ElfW(Dyn) d;
        if (!read_at(fd, &d, sizeof d, (off_t)(ph->p_offset + i * sizeof d)) || d.d_tag == DT_NULL)
            return false;
        if (d.d_tag == DT_FLAGS_1)
            return (d.d_un.d_val & DF_1_PIE) != 0;
    }
    return false;
}

typedef enum kind { NOT_ELF, DYNAMIC, STATIC } kind;

/* What the file open at fd is: an ELF file of this machine's that is
 * statically linked, or dynamically; else NOT_ELF (a script, another
 * machine's, a shared object, or one that cannot be read). */
static kind elf_kind(int fd)
{
    ElfW(Ehdr) eh;
    if (!read_at(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG))
        return NOT_ELF;
    /* Another class or byte order: not this library's to load anyway, and
     * the loader says so itself. */
    bool native = eh.e_ident[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) &&
                  eh.e_ident[EI_DATA] ==
                      (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB);
    if (!native || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
        eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
        return NOT_ELF;
    ElfW(Phdr) dynamic = {0};
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        ElfW(Phdr) ph;
        if (!read_at(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)))
            return NOT_ELF;
        if (ph.p_type == PT_INTERP)
            return DYNAMIC;
        if (ph.p_type == PT_DYNAMIC)
            dynamic = ph;
    }
    if (eh.e_type == ET_EXEC || (dynamic.p_type == PT_DYNAMIC && flagged_pie(fd, &dynamic)))
        return STATIC;
    return NOT_ELF;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whether exec of path gains capabilities from its file, for a real user
 * other than root (see the top).  A file whose attribute gives nothing
 * (inheritable bits the process lacks, permitted ones its bounding set
 * has dropped, as a container's does) is run in normal mode and
 * profiled: heapprof said it could not be, then listed its profile.  An
 * attribute the kernel cannot read (a size or revision it does not know)
 * fails the exec, which heapprof reports; one of revision 3 that getxattr
 * shows with a root other than 0 is another user namespace's, which the
 * kernel ignores here (it would show ours as revision 2, or refuse with
 * EOVERFLOW one it cannot map). */
static bool gains_caps(const char *path)
{
    if (getuid() == 0)
        return false;
    unsigned char v[XATTR_CAPS_SZ_3];
    ssize_t n = getxattr(path, "security.capability", v, sizeof v);
    if (n < 4)
        return false;
    uint32_t magic = le32(v), rev = magic & VFS_CAP_REVISION_MASK;
    uint64_t permitted, inheritable;
    if (rev == VFS_CAP_REVISION_1 && n == XATTR_CAPS_SZ_1) {
        permitted = le32(v + 4);
        inheritable = le32(v + 8);
    } else if ((rev == VFS_CAP_REVISION_2 && n == XATTR_CAPS_SZ_2) ||
               (rev == VFS_CAP_REVISION_3 && n == XATTR_CAPS_SZ_3 && !le32(v + 20))) {
        permitted = le32(v + 4) | (uint64_t)le32(v + 12) << 32;
        inheritable = le32(v + 8) | (uint64_t)le32(v + 16) << 32;
    } else {
        return false;
    }
    if (magic & VFS_CAP_FLAGS_EFFECTIVE)
        return true;
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d))
        return true; /* cannot tell: counted, as most such files are gained (ping) */
    if (inheritable & (d[0].inheritable | (uint64_t)d[1].inheritable << 32))
        return true;
    /* A capability the kernel does not know (EINVAL) is in no bounding set. */
    for (int c = 0; c < 64; c++)
        if (permitted >> c & 1 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            return true;
    return false;
}

/* Whether exec of path (st) puts the loader in secure mode; which bit, or
 * file capabilities.  The kernel honours set-group-ID only with group
 * execute permission (without it the bit marks mandatory locking). */
static preloadable set_id(const struct stat *st, const char *path)
{
    bool uid = (st->st_mode & S_ISUID) && st->st_uid != getuid();
    bool gid = (st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != getgid();
    bool caps = gains_caps(path);
    if (!uid && !gid && !caps)
        return PRELOAD_OK;
    struct statvfs fs;
    if ((!statvfs(path, &fs) && (fs.f_flag & ST_NOSUID)) ||
        prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
        return PRELOAD_OK;
    return uid ? PRELOAD_SETUID : gid ? PRELOAD_SETGID : PRELOAD_CAPS;
}

preloadable preloadable_check(const char *program)
{
    char path[PATH_MAX];
    struct stat st;
    if (!resolve(program, path, sizeof path) || stat(path, &st) || !S_ISREG(st.st_mode))
        return PRELOAD_OK;
    /* One that cannot be read is a binary (an interpreter could not read
     * a script): execute-only set-user-ID programs exist (sudo, mode 4111
     * on some systems).  The kernel ignores the bits on a script. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    kind k = fd < 0 ? DYNAMIC : elf_kind(fd);
    if (fd >= 0)
        close(fd);
    if (k == STATIC)
        return PRELOAD_STATIC;
    return k == DYNAMIC ? set_id(&st, path) : PRELOAD_OK;
}
