/*
 * elfread.h - bounded reading of one ELF file from disk: its header,
 * program and section headers, named sections and GNU build-id.
 *
 * Nothing read is trusted: every offset and size is checked against the
 * size fstat() reported when the file was opened, and every read goes
 * through pread(), so a truncated, corrupt or concurrently shrinking file
 * reads as "not there", never as a fault (an mmap would SIGBUS on
 * truncation).  Only ELF64 in the host's byte order is accepted.
 * elffile.c reads the files a process maps through it, debugfile.c the
 * separate debug files it looks for.  Memory comes from mem.h: this runs
 * inside the profiled process, on the profiler's own threads.
 */
#ifndef HEAPPROF_ELFREAD_H
#define HEAPPROF_ELFREAD_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdid.h"

/* An open ELF file. */
typedef struct elf_in {
    int fd;
    fdid fd_id; /* fdid_open's */
    uint64_t size;
    Elf64_Ehdr eh;
} elf_in;

/* Opens path read-only (O_CLOEXEC, O_NONBLOCK: a path turned into a FIFO
 * must not hang open; fdid_open) into e->fd, its stat into *st; false,
 * with nothing left open, when it cannot be opened or is no regular
 * file. */
bool elfread_open(const char *path, elf_in *e, struct stat *st);

/* Reads and checks the ELF header of e (fd and size set): false, and the
 * file closed, when it is no ELF64 file of the host's byte order. */
bool elfread_header(elf_in *e);

void elfread_close(elf_in *e);

/* Whether [off, off + len) lies inside the file. */
bool elfread_in(const elf_in *e, uint64_t off, uint64_t len);

/* Copies the len bytes at off into dst; false when they are not all
 * there.  elfread_cb is the same as a zsection.h/srclines.h reader (ctx
 * the elf_in). */
bool elfread_at(const elf_in *e, uint64_t off, void *dst, size_t len);
bool elfread_cb(void *ctx, uint64_t off, void *dst, size_t len);

/* A mem_alloc'd copy of [off, off + len), or NULL (out of range, short
 * read, or out of memory, the last also setting *oom). */
void *elfread_alloc(const elf_in *e, uint64_t off, uint64_t len, bool *oom);

/* The program and section headers (mem_free), *n of them; NULL and 0 when
 * there are none or they cannot be read (*oom: for memory). */
Elf64_Phdr *elfread_phdrs(const elf_in *e, size_t *n, bool *oom);
Elf64_Shdr *elfread_shdrs(const elf_in *e, size_t *n, bool *oom);

/* The index of the section named name (at most 31 bytes), or nsh. */
size_t elfread_section(const elf_in *e, const Elf64_Shdr *sh, size_t nsh, const char *name);

/* The GNU build-id as mem_alloc'd lowercase hex, or NULL (none, or *oom).
 * Program headers first: they are what the loader uses and survive
 * section-header stripping; sections cover files with no PT_NOTE (a
 * separate debug file's notes are kept as sections). */
char *elfread_build_id(const elf_in *e, bool *oom);

#endif
