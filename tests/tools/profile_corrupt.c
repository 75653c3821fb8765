/*
 * profile_corrupt.c - read a pprof profile, break one thing in it on
 * purpose, and write it back uncompressed.  Used to prove that
 * profile_summary's integrity checks actually fire.
 *
 * Usage: profile_corrupt MODE IN OUT
 *   copy      no change (checks that plain, uncompressed files decode too)
 *   location  a sample refers to a location id that does not exist
 *   function  a line refers to a function id that does not exist
 *   mapping   a location refers to a mapping id that does not exist
 *   string    a function name is a string index past the table
 *   string0   string_table[0] is not ""
 *   values    a sample has one value fewer than there are sample types
 *   dupid     two locations share one id
 *   zeroid    a function has id 0
 *   notypes   no sample types at all
 *   has_functions  not a corruption: sets Mapping.has_functions on every
 *             mapping (pprof then keeps the profile's names instead of
 *             re-symbolizing), to compare what pprof shows
 * Exit status 0 when written, 1 when the input cannot be used for MODE.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;

static int fail(const char *msg)
{
    fprintf(stderr, "profile_corrupt: %s\n", msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return fail("usage: profile_corrupt MODE IN OUT");
    const char *mode = argv[1];
    gzFile f = gzopen(argv[2], "rb");
    if (!f)
        return fail("cannot open input");
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    int r;
    while ((r = gzread(f, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    gzclose(f);
    if (r < 0)
        return fail("read error");
    pb_profile *p = perftools__profiles__profile__unpack(NULL, n, buf);
    if (!p)
        return fail("input is not a profile");

    uint64_t maxloc = 0, maxfun = 0, maxmap = 0;
    for (size_t i = 0; i < p->n_location; i++)
        if (p->location[i]->id > maxloc)
            maxloc = p->location[i]->id;
    for (size_t i = 0; i < p->n_function; i++)
        if (p->function[i]->id > maxfun)
            maxfun = p->function[i]->id;
    for (size_t i = 0; i < p->n_mapping; i++)
        if (p->mapping[i]->id > maxmap)
            maxmap = p->mapping[i]->id;

    /* A victim location with a line, for the modes that need one. */
    Perftools__Profiles__Location *lv = NULL;
    for (size_t i = 0; i < p->n_location && !lv; i++)
        if (p->location[i]->n_line)
            lv = p->location[i];

    if (!strcmp(mode, "copy")) {
    } else if (!strcmp(mode, "location")) {
        if (!p->n_sample || !p->sample[0]->n_location_id)
            return fail("no sample with a location");
        p->sample[p->n_sample - 1]->location_id[0] = maxloc + 1000;
    } else if (!strcmp(mode, "function")) {
        if (!lv)
            return fail("no location with a line");
        lv->line[0]->function_id = maxfun + 1000;
    } else if (!strcmp(mode, "mapping")) {
        if (!p->n_location)
            return fail("no location");
        p->location[0]->mapping_id = maxmap + 1000;
    } else if (!strcmp(mode, "string")) {
        if (!p->n_function)
            return fail("no function");
        p->function[0]->name = (int64_t)p->n_string_table + 5;
    } else if (!strcmp(mode, "string0")) {
        static char x[] = "not-empty";
        p->string_table[0] = x;
    } else if (!strcmp(mode, "values")) {
        if (!p->n_sample || !p->sample[0]->n_value)
            return fail("no sample with values");
        p->sample[0]->n_value--;
    } else if (!strcmp(mode, "dupid")) {
        if (p->n_location < 2)
            return fail("fewer than two locations");
        p->location[1]->id = p->location[0]->id;
    } else if (!strcmp(mode, "zeroid")) {
        if (!p->n_function)
            return fail("no function");
        p->function[0]->id = 0;
    } else if (!strcmp(mode, "notypes")) {
        p->n_sample_type = 0;
        for (size_t i = 0; i < p->n_sample; i++)
            p->sample[i]->n_value = 0;
    } else if (!strcmp(mode, "has_functions")) {
        for (size_t i = 0; i < p->n_mapping; i++)
            p->mapping[i]->has_functions = 1;
    } else {
        return fail("unknown mode");
    }

    size_t len = perftools__profiles__profile__get_packed_size(p);
    uint8_t *out = malloc(len ? len : 1);
    perftools__profiles__profile__pack(p, out);
    FILE *o = fopen(argv[3], "wb");
    if (!o || fwrite(out, 1, len, o) != len || fclose(o))
        return fail("cannot write output");
    /* The message was modified in place: protobuf-c's free_unpacked would
     * then free our static string; the process is about to exit anyway. */
    free(out);
    free(buf);
    return 0;
}
