/*
 * lineless_inline_x86_64.S - a function inlined into another, one of
 * whose calls has line 0, for pprof_names.sh (part 5).  At -O2 compilers
 * leave such calls in inlined code (GCC 12's `new T[n]` of an inline
 * function, its call to __cxa_throw_bad_array_new_length in the .cold
 * part), but not where a test can ask for one: so this file writes its own
 * .debug_line (DWARF 3), .debug_abbrev and .debug_info (DWARF 4), and is
 * assembled without -g, as lineless_entry_x86_64.S is.
 *
 * hp_lineless_inl(out, both) holds a copy of hp_lineless_mid, declared in
 * lineless_inline.h (DW_AT_decl_file of its abstract entry), inlined at
 * this file's line of .Lline_call: it allocates out[0] (3000 bytes, at
 * line 0) and, when both, out[1] (7000 bytes, at lineless_inline.h:7);
 * else out[1] = NULL.
 */
        .section .text.hp_lineless_inl,"ax",@progbits
        .globl  hp_lineless_inl
        .type   hp_lineless_inl, @function
hp_lineless_inl:
        .cfi_startproc
        pushq   %rbx; .set .Lline_entry, __LINE__
        .cfi_def_cfa_offset 16
        .cfi_offset %rbx, -16
        pushq   %rbp
        .cfi_def_cfa_offset 24
        .cfi_offset %rbp, -24
        subq    $8, %rsp
        .cfi_def_cfa_offset 32
        movq    %rdi, %rbx
        movl    %esi, %ebp; .set .Lline_call, __LINE__
.Linl_start:
        movl    $3000, %edi
        call    malloc@PLT
        movq    %rax, (%rbx)
        movq    $0, 8(%rbx)
        testl   %ebp, %ebp
        je      .Linl_end
.Lline_both:
        movl    $7000, %edi
        call    malloc@PLT
        movq    %rax, 8(%rbx)
.Linl_end:
        addq    $8, %rsp; .set .Lline_ret, __LINE__
        .cfi_def_cfa_offset 24
        popq    %rbp
        .cfi_def_cfa_offset 16
        popq    %rbx
        .cfi_def_cfa_offset 8
        ret
        .cfi_endproc
.Lend:
        .size   hp_lineless_inl, .-hp_lineless_inl

/* Rows: the entry at its line, the inlined copy from .Linl_start at line
 * 0, .Lline_both at lineless_inline.h:7, .Linl_end at its line, to .Lend
 * (DWARF 3, 6.2). */
        .section .debug_line,"",@progbits
.Lline_unit:
        .long   .Lunit_end - .Lunit_version     /* unit_length */
.Lunit_version:
        .value  3
        .long   .Lprogram - .Lheader            /* header_length */
.Lheader:
        .byte   1                               /* minimum_instruction_length */
        .byte   1                               /* default_is_stmt */
        .byte   -5                              /* line_base */
        .byte   14                              /* line_range */
        .byte   13                              /* opcode_base */
        .byte   0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1 /* standard_opcode_lengths */
        .byte   0                               /* include_directories: none */
        .asciz  __FILE__                        /* file 1 */
        .uleb128 0, 0, 0                        /* its directory, time, length */
        .asciz  "lineless_inline.h"             /* file 2 */
        .uleb128 0, 0, 0
        .byte   0                               /* file_names end */
.Lprogram:
        .byte   0, 9, 2                         /* DW_LNE_set_address */
        .quad   hp_lineless_inl
        .byte   3                               /* DW_LNS_advance_line */
        .sleb128 .Lline_entry - 1
        .byte   1                               /* DW_LNS_copy */
        .byte   0, 9, 2
        .quad   .Linl_start
        .byte   3
        .sleb128 -.Lline_entry
        .byte   1
        .byte   0, 9, 2
        .quad   .Lline_both
        .byte   4, 2                            /* DW_LNS_set_file 2 */
        .byte   3
        .sleb128 7
        .byte   1
        .byte   0, 9, 2
        .quad   .Linl_end
        .byte   4, 1
        .byte   3
        .sleb128 .Lline_ret - 7
        .byte   1
        .byte   0, 9, 2
        .quad   .Lend
        .byte   0, 1, 1                         /* DW_LNE_end_sequence */
.Lunit_end:

/* The unit: hp_lineless_mid's abstract entry, declared in file 2 of the
 * line table above, and hp_lineless_inl's, which holds its inlined copy
 * (DWARF 4, 7.5). */
        .section .debug_abbrev,"",@progbits
.Labbrev:
        .uleb128 1, 0x11, 1                     /* compile_unit, children */
        .uleb128 0x03, 0x08                     /* name, string */
        .uleb128 0x10, 0x17                     /* stmt_list, sec_offset */
        .uleb128 0x11, 0x01                     /* low_pc, addr */
        .uleb128 0x12, 0x07                     /* high_pc, data8 (a length) */
        .uleb128 0, 0
        .uleb128 2, 0x2e, 0                     /* subprogram, no children */
        .uleb128 0x03, 0x08                     /* name, string */
        .uleb128 0x3a, 0x0b                     /* decl_file, data1 */
        .uleb128 0x20, 0x0b                     /* inline, data1 */
        .uleb128 0, 0
        .uleb128 3, 0x2e, 1                     /* subprogram, children */
        .uleb128 0x03, 0x08, 0x11, 0x01, 0x12, 0x07
        .uleb128 0, 0
        .uleb128 4, 0x1d, 0                     /* inlined_subroutine */
        .uleb128 0x31, 0x13                     /* abstract_origin, ref4 */
        .uleb128 0x11, 0x01, 0x12, 0x07
        .uleb128 0x58, 0x0b                     /* call_file, data1 */
        .uleb128 0x59, 0x05                     /* call_line, data2 */
        .uleb128 0, 0
        .byte   0

        .section .debug_info,"",@progbits
.Lcu:
        .long   .Lcu_end - .Lcu_version         /* unit_length */
.Lcu_version:
        .value  4
        .long   .Labbrev
        .byte   8                               /* address_size */
        .uleb128 1
        .asciz  __FILE__
        .long   .Lline_unit
        .quad   hp_lineless_inl
        .quad   .Lend - hp_lineless_inl
.Lmid:
        .uleb128 2
        .asciz  "hp_lineless_mid"
        .byte   2                               /* lineless_inline.h */
        .byte   3                               /* DW_INL_declared_inlined */
        .uleb128 3
        .asciz  "hp_lineless_inl"
        .quad   hp_lineless_inl
        .quad   .Lend - hp_lineless_inl
        .uleb128 4
        .long   .Lmid - .Lcu
        .quad   .Linl_start
        .quad   .Linl_end - .Linl_start
        .byte   1                               /* this file */
        .value  .Lline_call
        .byte   0                               /* hp_lineless_inl's children end */
        .byte   0                               /* the unit's */
.Lcu_end:
        .section .note.GNU-stack,"",@progbits
