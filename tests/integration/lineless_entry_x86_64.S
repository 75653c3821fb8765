/*
 * lineless_entry_x86_64.S - a function whose first instruction has a
 * source line and one of whose calls has line 0, for pprof_names.sh
 * (part 4).  GNU as drops a .loc of line 0 (and then every instruction
 * after a .loc has a line), so this file writes its own .debug_line unit
 * (DWARF 3) and is assembled without -g.  hp_lineless_entry(out, both)
 * allocates out[0] (3000 bytes, line 0) and, when both, out[1] (5000
 * bytes, at the line of its call); else out[1] = NULL.
 */
        .section .text.hp_lineless_entry,"ax",@progbits
        .globl  hp_lineless_entry
        .type   hp_lineless_entry, @function
hp_lineless_entry:
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
        movl    %esi, %ebp
.Lline0:
        movl    $3000, %edi
        call    malloc@PLT
        movq    %rax, (%rbx)
.Lline_both:
        movq    $0, 8(%rbx); .set .Lline_both_no, __LINE__
        testl   %ebp, %ebp
        je      1f
        movl    $5000, %edi
        call    malloc@PLT
        movq    %rax, 8(%rbx)
1:
        addq    $8, %rsp
        .cfi_def_cfa_offset 24
        popq    %rbp
        .cfi_def_cfa_offset 16
        popq    %rbx
        .cfi_def_cfa_offset 8
        ret
        .cfi_endproc
.Lend:
        .size   hp_lineless_entry, .-hp_lineless_entry

/* Rows: the entry at its line, .Lline0 at line 0, .Lline_both at its
 * line, to .Lend (DWARF 3, 6.2). */
        .section .debug_line,"",@progbits
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
        .byte   0                               /* file_names end */
.Lprogram:
        .byte   0, 9, 2                         /* DW_LNE_set_address */
        .quad   hp_lineless_entry
        .byte   3                               /* DW_LNS_advance_line */
        .sleb128 .Lline_entry - 1
        .byte   1                               /* DW_LNS_copy */
        .byte   0, 9, 2
        .quad   .Lline0
        .byte   3
        .sleb128 -.Lline_entry
        .byte   1
        .byte   0, 9, 2
        .quad   .Lline_both
        .byte   3
        .sleb128 .Lline_both_no
        .byte   1
        .byte   0, 9, 2
        .quad   .Lend
        .byte   0, 1, 1                         /* DW_LNE_end_sequence */
.Lunit_end:
        .section .note.GNU-stack,"",@progbits
