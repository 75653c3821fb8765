/*
 * dwarfabbrev.h - does a file's DWARF leave some of its functions without a
 * name for go tool pprof?
 *
 * go tool pprof (cmd/pprof: dwarfSourceLineEntry, Go 1.19) names an address from
 * the DW_AT_name of the DW_TAG_subprogram whose range holds it, and from
 * nothing else.  Two common kinds of function carry no DW_AT_name of their
 * own but point at the entry that has it: a C++ member function defined
 * outside its class (DW_AT_specification), and the out-of-line copy of any
 * function the compiler also inlined somewhere (DW_AT_abstract_origin: a
 * C program at -O2, libpython's _PyObject_Malloc).  pprof, finding the
 * binary, then replaces the profile's name with "" and shows "[binary]".
 * Such entries are declared by an abbreviation of that shape, so one pass
 * over the small .debug_abbrev section tells, without reading
 * .debug_info; symbols.c then has the profile keep heapprof's names for
 * that file (symbols_keep_names).
 */
#ifndef HEAPPROF_DWARFABBREV_H
#define HEAPPROF_DWARFABBREV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether the .debug_abbrev bytes p[0..n) declare a subprogram entry with a
 * code range (DW_AT_low_pc or DW_AT_ranges) that refers to another entry
 * (DW_AT_abstract_origin or DW_AT_specification) and has no DW_AT_name; or
 * the skeleton of a split unit (-gsplit-dwarf: DW_TAG_skeleton_unit, or
 * DWARF 4's compile unit with DW_AT_GNU_dwo_name), whose functions are in
 * a .dwo file that pprof does not read: it finds the unit and its lines
 * in the binary, and no function there to name them.  Malformed or truncated input is read as far as it goes. */
bool dwarfabbrev_nameless_functions(const unsigned char *p, size_t n);

#endif
