/*
 * dwarfinline_split.c - a skeleton unit's split unit (-gsplit-dwarf), read
 * in the scanned unit's place by dwarfinline.c's walk.
 *
 * With -gsplit-dwarf (DWARF 5, sections 3.1.3 and 7.3.2) the compiler
 * leaves in the binary's .debug_info one skeleton unit per source: its
 * code ranges, DW_AT_addr_base, DW_AT_stmt_list, and the name of the .dwo
 * file that holds the rest (DW_AT_dwo_name, relative to DW_AT_comp_dir
 * when not absolute), whose split unit carries the skeleton's dwo_id in
 * its header.  The split unit's entries are read as any unit's, but for
 * where their forms lead (7.3.2.1: a split unit has no bases of its own):
 *   DW_FORM_addrx     the binary's .debug_addr, at the skeleton's
 *                     DW_AT_addr_base (unit.asrc);
 *   DW_FORM_strx      .debug_str_offsets.dwo, past its header, into
 *                     .debug_str.dwo;
 *   DW_FORM_rnglistx  .debug_rnglists.dwo, past its header;
 *   file numbers      the .dwo's .debug_line.dwo (a header only: the file
 *                     names; GCC 12 writes the skeleton's table there), or
 *                     the skeleton's line table where the .dwo has none.
 * A .dwo whose split unit's dwo_id is not the skeleton's is from another
 * build (a stale object file): nothing is read from it.  The file is found
 * and opened by the caller (src->split: srclines.c caps how many a lookup
 * opens and remembers those missing); references out of the split unit
 * are not followed (dwarfinline_far.c).
 */
#include "dwarfinline_impl.h"

#include <string.h>

#include "dwarfcursor.h"

/* Units of a .dwo looked through for the split one (a .dwo holds one
 * compile unit, and the type units of -fdebug-types-section). */
enum { SPLIT_UNITS_MAX = 64 };

/* The end of the header of the first contribution to section sec of d
 * (.debug_str_offsets.dwo: unit_length, version, padding; or
 * .debug_rnglists.dwo: unit_length, version, address and segment sizes,
 * offset_entry_count), where a split unit's indices count from; false:
 * no section, or too short. */
static bool header_end(const dwarfinline_src *d, int sec, uint64_t *end)
{
    unsigned char b[4];
    if (d->size[sec] < sizeof b || !d->read(d->ctx, sec, 0, b, sizeof b))
        return false;
    cursor c = { b, b + sizeof b, false };
    uint64_t len = get_u(&c, 4);
    *end = (len == 0xffffffffu ? 12 : 4) + (sec == DWARFINLINE_STR_OFFSETS ? 4 : 8);
    return *end <= d->size[sec];
}

/* The path of skeleton cu's .dwo into u->text at *at: DW_AT_dwo_name,
 * joined to DW_AT_comp_dir unless absolute.  Each is at most
 * NAME_MAX_LEN (put_str_any); a path longer than that together is not
 * followed (no file system takes it). */
static bool dwo_path(unit *u, const die *cu, size_t *at)
{
    size_t name, dir;
    if (!cu->dwo_name.form || !dwarfinline_die_put_str_any(u, u, &cu->dwo_name, &name) ||
        !u->text[name])
        return false;
    if (u->text[name] == '/' || !cu->comp_dir.form) {
        *at = name;
        return true;
    }
    if (!dwarfinline_die_put_str_any(u, u, &cu->comp_dir, &dir))
        return false;
    size_t nlen = strlen(u->text + name), dlen = strlen(u->text + dir);
    if (nlen + dlen + 2 > NAME_MAX_LEN || !text_room(u, nlen + dlen + 2))
        return false;
    *at = u->ntext;
    memcpy(u->text + *at, u->text + dir, dlen);
    u->text[*at + dlen] = '/';
    memcpy(u->text + *at + dlen + 1, u->text + name, nlen + 1);
    u->ntext += nlen + dlen + 2;
    return true;
}

/* The split unit of d whose dwo_id is want: its header into u, its
 * abbreviation table's offset into *abbrev_off, its first entry into
 * *dies. */
static bool find_unit(unit *u, const dwarfinline_src *d, uint64_t want, uint64_t *abbrev_off,
                      uint64_t *dies)
{
    uint64_t at = 0, next;
    for (int k = 0; k < SPLIT_UNITS_MAX && at < d->size[DWARFINLINE_INFO]; k++, at = next) {
        if (dwarfinline_die_unit_header(u, at, abbrev_off, dies, &next) &&
            u->unit_type == UT_SPLIT_COMPILE && u->dwo_id == want)
            return true;
        if (next == UINT64_MAX)
            break;
    }
    return false;
}

/* Switches u from skeleton entry cu (its header just read into u) to its
 * split unit: u's sections, buffer, abbreviations and bases become the
 * split unit's, *dies its first entry after the unit's own.  false: none
 * to read (no .dwo, another build's, or unreadable; u->oom: out of
 * memory), u back on the scanned file. */
bool dwarfinline_split_enter(scan *s, const die *cu, uint64_t *dies, bool *again)
{
    unit *u = s->u;
    size_t mark = u->ntext, path;
    *again = false;
    if (!s->src->split || u->unit_type != UT_SKELETON || !dwo_path(u, cu, &path))
        return false;
    const dwarfinline_src *d = s->src->split(s->src->ctx, u->text + path);
    u->ntext = mark;
    if (!d) {
        *again = s->src->split_again && s->src->split_again(s->src->ctx, false);
        return false;
    }
    uint64_t want = u->dwo_id, abbrev_off, at;
    u->src = d;
    u->asrc = s->src;
    u->winsec = -1;         /* the window and the table were read from the */
    u->abbrev_valid = false; /* scanned file's sections of the same index */
    die scu;
    const abbrev *ab = NULL;
    bool found = find_unit(u, d, want, &abbrev_off, &at);
    if (!found || !dwarfinline_die_load_abbrevs(u, abbrev_off) ||
        !dwarfinline_die_load(u, DWARFINLINE_INFO, u->off, (size_t)u->total, &u->buf, &u->cap))
        goto fail;
    u->len = (size_t)u->total;
    cursor e = { u->buf + at, u->buf + u->len, false };
    ab = dwarfinline_die_find_abbrev(u, get_uleb(&e));
    if (e.bad || !ab || ab->tag != TAG_COMPILE_UNIT || !dwarfinline_die_read(u, &e, ab, &scu))
        goto fail;
    *dies = (uint64_t)(e.p - u->buf);
    u->has_str_offsets_base = header_end(d, DWARFINLINE_STR_OFFSETS, &u->str_offsets_base);
    u->has_rnglists_base = header_end(d, DWARFINLINE_RNGLISTS, &u->rnglists_base);
    u->comp_dir = scu.comp_dir;
    if (d->size[DWARFLINE_LINE]) {
        u->lsrc = (dwarfline_src){ d->ctx, d->read, { 0 } };
        memcpy(u->lsrc.size, d->size, sizeof u->lsrc.size);
        u->has_stmt_list = true;
        u->stmt_list = 0;
    }
    /* The budget is the split unit's, by its size, as one_unit's. */
    u->budget = 16 * u->total + (uint64_t)NEST_MAX * s->n + ((uint64_t)1 << 20);
    return true;
fail:
    /* No unit of the skeleton's dwo_id: another build's .dwo (or one
     * unreadable), which the caller need not open again. */
    *again = dwarfinline_split_leave(s, !found);
    return false;
}

bool dwarfinline_split_leave(scan *s, bool other_build)
{
    unit *u = s->u;
    const dwarfinline_src *src = s->src;
    u->src = src;
    u->asrc = NULL;
    u->winsec = -1;
    u->abbrev_valid = false;
    u->lsrc = (dwarfline_src){ src->ctx, src->read, { 0 } };
    memcpy(u->lsrc.size, src->size, sizeof u->lsrc.size);
    /* The split unit's file table, from the .dwo about to be closed. */
    dwarfline_files_close(u->files);
    u->files = NULL;
    u->files_tried = false;
    return src->split_again && src->split_again(src->ctx, other_build);
}
