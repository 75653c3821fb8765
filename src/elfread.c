/*
 * elfread.c - bounded reading of an ELF file (see elfread.h).
 *
 * Every read is checked against e->size, the size fstat() gave when the
 * file was opened, and made with pread(), which a file shrinking under us
 * answers short rather than with SIGBUS.
 */
#define _GNU_SOURCE
#include "elfread.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HP_ELFDATA ELFDATA2LSB
#else
#define HP_ELFDATA ELFDATA2MSB
#endif

/* A note region larger than this cannot be a real build-id carrier. */
#define NOTE_MAX ((uint64_t)1 << 20)

bool elfread_open(const char *path, elf_in *e, struct stat *st)
{
    /* O_NONBLOCK: should the path have turned into a FIFO since it was
     * stat'ed, open must not hang; fstat then rejects it anyway. */
    e->fd = fdid_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, &e->fd_id);
    if (e->fd < 0)
        return false;
    if (fstat(e->fd, st) != 0 || !S_ISREG(st->st_mode)) {
        elfread_close(e);
        return false;
    }
    e->size = (uint64_t)st->st_size;
    return true;
}

bool elfread_header(elf_in *e)
{
    if (!elfread_at(e, 0, &e->eh, sizeof e->eh) ||
        memcmp(e->eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        e->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        e->eh.e_ident[EI_DATA] != HP_ELFDATA) {
        elfread_close(e);
        return false;
    }
    return true;
}

void elfread_close(elf_in *e)
{
    fdid_close(e->fd, &e->fd_id);
    e->fd = -1;
}

bool elfread_in(const elf_in *e, uint64_t off, uint64_t len)
{
    return off <= e->size && len <= e->size - off;
}

bool elfread_at(const elf_in *e, uint64_t off, void *dst, size_t len)
{
    if (!elfread_in(e, off, len))
        return false;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(e->fd, (char *)dst + done, len - done,
                          (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)  /* the file shrank under us, or an I/O error */
            return false;
        done += (size_t)n;
    }
    return true;
}

bool elfread_cb(void *ctx, uint64_t off, void *dst, size_t len)
{
    return elfread_at(ctx, off, dst, len);
}

void *elfread_alloc(const elf_in *e, uint64_t off, uint64_t len, bool *oom)
{
    if (!elfread_in(e, off, len) || len >= SIZE_MAX)
        return NULL;
    void *p = mem_alloc(len ? (size_t)len : 1);
    if (!p) {
        *oom = true;
        return NULL;
    }
    if (!elfread_at(e, off, p, (size_t)len)) {
        mem_free(p);
        return NULL;
    }
    return p;
}

/* num records of entsize bytes each, repacked to recsize bytes each (files
 * may use larger entries than the structs we know). */
static void *read_table(const elf_in *e, uint64_t off, uint64_t num,
                        uint64_t entsize, size_t recsize, bool *oom)
{
    if (num == 0 || entsize < recsize || num > e->size / entsize)
        return NULL;
    unsigned char *raw = elfread_alloc(e, off, num * entsize, oom);
    if (raw && entsize != recsize)
        for (uint64_t i = 1; i < num; i++)
            memmove(raw + i * recsize, raw + i * entsize, recsize);
    return raw;
}

Elf64_Phdr *elfread_phdrs(const elf_in *e, size_t *n, bool *oom)
{
    /* PN_XNUM (count kept in section 0) only occurs in core files. */
    size_t num = e->eh.e_phnum == PN_XNUM ? 0 : e->eh.e_phnum;
    Elf64_Phdr *ph = read_table(e, e->eh.e_phoff, num, e->eh.e_phentsize,
                                sizeof *ph, oom);
    *n = ph ? num : 0;
    return ph;
}

Elf64_Shdr *elfread_shdrs(const elf_in *e, size_t *n, bool *oom)
{
    uint64_t num = e->eh.e_shnum;
    *n = 0;
    if (e->eh.e_shoff == 0 || e->eh.e_shentsize < sizeof(Elf64_Shdr))
        return NULL;
    if (num == 0) {  /* more than SHN_LORESERVE sections: count in shdr 0 */
        Elf64_Shdr first;
        if (!elfread_at(e, e->eh.e_shoff, &first, sizeof first))
            return NULL;
        num = first.sh_size;
    }
    Elf64_Shdr *sh = read_table(e, e->eh.e_shoff, num, e->eh.e_shentsize,
                                sizeof *sh, oom);
    if (sh)
        *n = (size_t)num;
    return sh;
}

size_t elfread_section(const elf_in *e, const Elf64_Shdr *sh, size_t nsh, const char *name)
{
    size_t strndx = e->eh.e_shstrndx == SHN_XINDEX && nsh ? sh[0].sh_link : e->eh.e_shstrndx;
    if (strndx >= nsh)
        return nsh;
    size_t len = strlen(name) + 1;
    char got[32];
    if (len > sizeof got)
        return nsh;
    for (size_t i = 0; i < nsh; i++)
        if (sh[i].sh_name < sh[strndx].sh_size &&
            elfread_at(e, sh[strndx].sh_offset + sh[i].sh_name, got, len) &&
            !memcmp(got, name, len))
            return i;
    return nsh;
}

/* The build-id in a region of notes, as malloc'd lowercase hex, or NULL. */
/* *budget: the note bytes a file may still have read of it, NOTE_MAX in
 * all: a crafted file of many note headers over one large region would
 * otherwise be read again for each (tens of GiB for a few MB of file). */
static char *scan_notes(const elf_in *e, uint64_t off, uint64_t len,
                        uint64_t align, uint64_t *budget, bool *oom)
{
    /* Notes are 4-aligned in practice even in ELF64; 8 only when the
     * segment or section says so (e.g. .note.gnu.property). */
    align = align == 8 ? 8 : 4;
    if (len > *budget)
        len = *budget;
    *budget -= len;
    if (!len)
        return NULL;
    unsigned char *buf = elfread_alloc(e, off, len, oom);
    if (!buf)
        return NULL;
    char *hex = NULL;
    uint64_t pos = 0;
    while (len - pos >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr nh;
        memcpy(&nh, buf + pos, sizeof nh);
        pos += sizeof nh;
        uint64_t namesz = ((uint64_t)nh.n_namesz + align - 1) & ~(align - 1);
        if (namesz > len - pos)
            break;
        const unsigned char *name = buf + pos;
        pos += namesz;
        if (nh.n_descsz > len - pos)
            break;
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
            memcmp(name, "GNU", 4) == 0 && nh.n_descsz > 0) {
            hex = mem_alloc((size_t)nh.n_descsz * 2 + 1);
            if (!hex) {
                *oom = true;
                break;
            }
            for (size_t i = 0; i < nh.n_descsz; i++) {
                hex[2 * i] = "0123456789abcdef"[buf[pos + i] >> 4];
                hex[2 * i + 1] = "0123456789abcdef"[buf[pos + i] & 15];
            }
            hex[2 * (size_t)nh.n_descsz] = '\0';
            break;
        }
        uint64_t descsz = ((uint64_t)nh.n_descsz + align - 1) & ~(align - 1);
        if (descsz > len - pos)
            break;
        pos += descsz;
    }
    mem_free(buf);
    return hex;
}

char *elfread_build_id(const elf_in *e, bool *oom)
{
    char *id = NULL;
    size_t n;
    uint64_t budget = NOTE_MAX;
    Elf64_Phdr *ph = elfread_phdrs(e, &n, oom);
    for (size_t i = 0; ph && i < n && !id && !*oom && budget; i++)
        if (ph[i].p_type == PT_NOTE)
            id = scan_notes(e, ph[i].p_offset, ph[i].p_filesz, ph[i].p_align, &budget, oom);
    mem_free(ph);
    /* The sections again, with a budget of their own: a debug file's note
     * segments may lie over sections it has as NOBITS. */
    budget = NOTE_MAX;
    if (!id && !*oom) {
        Elf64_Shdr *sh = elfread_shdrs(e, &n, oom);
        for (size_t i = 0; sh && i < n && !id && !*oom && budget; i++)
            if (sh[i].sh_type == SHT_NOTE)
                id = scan_notes(e, sh[i].sh_offset, sh[i].sh_size,
                                sh[i].sh_addralign, &budget, oom);
        mem_free(sh);
    }
    return id;
}
