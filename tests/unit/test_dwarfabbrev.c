/* Unit tests: which .debug_abbrev tables declare a function go tool pprof
 * finds nameless (src/dwarfabbrev.h), on tables written out by hand in the
 * layout of DWARF 5 section 7.5.3, as GCC writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "dwarfabbrev.h"

/* Tags, attributes and forms (DWARF 5, 7.5.4-7.5.6). */
enum {
    CU = 0x11, SUBPROGRAM = 0x2e, INLINED = 0x1d, VARIABLE = 0x34,
    NAME = 0x03, LOW_PC = 0x11, HIGH_PC = 0x12, ORIGIN = 0x31, SPEC = 0x47, RANGES = 0x55,
    INLINE = 0x20, FILE_ = 0x3a, SKELETON = 0x4a, STMT_LIST = 0x10, DWO_NAME = 0x76,
    COMP_DIR = 0x1b, ADDR_BASE = 0x73,
    STRP = 0x0e, ADDR = 0x01, DATA8 = 0x07, REF4 = 0x13, DATA1 = 0x0b, SEC_OFFSET = 0x17,
    IMPLICIT = 0x21,
};

#define CHECK(want, ...)                                                       \
    do {                                                                       \
        static const unsigned char t[] = { __VA_ARGS__ };                      \
        assert_int_equal(dwarfabbrev_nameless_functions(t, sizeof t), want);   \
    } while (0)

static void named_functions(void **state)
{
    (void)state;
    /* A unit, a named function with its code, an abstract instance (named,
     * no code), and an inlined copy (not a subprogram): nothing nameless. */
    CHECK(false, 1, CU, 1, NAME, STRP, 0, 0,
          2, SUBPROGRAM, 0, NAME, STRP, LOW_PC, ADDR, HIGH_PC, DATA8, 0, 0,
          3, SUBPROGRAM, 1, NAME, STRP, INLINE, DATA1, 0, 0,
          4, INLINED, 0, ORIGIN, REF4, LOW_PC, ADDR, HIGH_PC, DATA8, 0, 0, 0);
    /* A reference without code: no address falls in it. */
    CHECK(false, 1, SUBPROGRAM, 0, ORIGIN, REF4, 0, 0, 0);
    CHECK(false);
}

static void nameless_functions(void **state)
{
    (void)state;
    /* GCC's out-of-line copy of an inlined function. */
    CHECK(true, 1, CU, 1, NAME, STRP, 0, 0,
          2, SUBPROGRAM, 0, ORIGIN, REF4, LOW_PC, ADDR, HIGH_PC, DATA8, 0, 0, 0);
    /* A C++ member function defined outside its class, code by ranges. */
    CHECK(true, 7, SUBPROGRAM, 1, SPEC, REF4, RANGES, SEC_OFFSET, 0, 0, 0);
    /* In the second unit's table, after the first one's end. */
    CHECK(true, 1, CU, 1, NAME, STRP, 0, 0, 0,
          1, SUBPROGRAM, 0, ORIGIN, REF4, LOW_PC, ADDR, 0, 0, 0);
    /* Codes and constants of more than one byte, and implicit constants
     * (DWARF 5), whose values must be skipped: the second one's, 0x03,
     * read as an attribute, would be a DW_AT_name. */
    CHECK(true, 0x80, 0x01, SUBPROGRAM, 0, FILE_, IMPLICIT, 0x81, 0x01, ORIGIN, REF4,
          LOW_PC, ADDR, 0, 0, 0);
    CHECK(true, 2, SUBPROGRAM, 0, FILE_, IMPLICIT, NAME, ORIGIN, REF4, LOW_PC, ADDR, 0, 0, 0);
}

/* -gsplit-dwarf: the binary's .debug_abbrev declares the skeleton unit
 * only, its functions being in the .dwo file, which pprof does not read
 * (it showed "[binary]" for every function of such a C program). */
static void split_units(void **state)
{
    (void)state;
    /* GCC 12's DWARF 5 skeleton, as readelf shows it. */
    CHECK(true, 1, SKELETON, 0, RANGES, SEC_OFFSET, LOW_PC, ADDR, STMT_LIST, SEC_OFFSET,
          DWO_NAME, STRP, COMP_DIR, STRP, ADDR_BASE, SEC_OFFSET, 0, 0, 0);
    /* DWARF 4: a compile unit with DW_AT_GNU_dwo_name (0x2130, two bytes). */
    CHECK(true, 1, CU, 0, 0xb0, 0x42, STRP, LOW_PC, ADDR, STMT_LIST, SEC_OFFSET, 0, 0, 0);
    /* A whole unit (not split) with the same attributes otherwise. */
    CHECK(false, 1, CU, 1, NAME, STRP, LOW_PC, ADDR, STMT_LIST, SEC_OFFSET, COMP_DIR, STRP, 0, 0, 0);
    /* A skeleton cut short is not taken for one. */
    static const unsigned char cut[] = { 1, SKELETON, 0, RANGES, SEC_OFFSET };
    assert_false(dwarfabbrev_nameless_functions(cut, sizeof cut));
}

static void truncated(void **state)
{
    (void)state;
    static const unsigned char t[] = { 2, SUBPROGRAM, 0, ORIGIN, REF4, LOW_PC, ADDR, 0, 0 };
    assert_true(dwarfabbrev_nameless_functions(t, sizeof t));
    /* Every shorter prefix stops where it is cut, without reading past it:
     * the declaration is incomplete, so it counts for nothing. */
    for (size_t n = 0; n < sizeof t; n++)
        assert_false(dwarfabbrev_nameless_functions(t, n));
    /* A number that never ends. */
    static const unsigned char endless[] = { 0x80, 0x80, 0x80, 0x80, 0x80 };
    assert_false(dwarfabbrev_nameless_functions(endless, sizeof endless));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(named_functions),
        cmocka_unit_test(nameless_functions),
        cmocka_unit_test(split_units),
        cmocka_unit_test(truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
