/*
 * lineless_x86_64.S - a function one of whose calls has no source line,
 * for pprof_names.sh (part 4).  Compilers leave some instructions without
 * one (line 0 in .debug_line, or no row at all); GNU as drops a .loc of
 * line 0, so here the instructions before the first .loc have none.
 * hp_lineless_pair(out) allocates out[0] (1000 bytes, no line) and out[1]
 * (2000 bytes, at the line of the .loc).
 */
        .file 1 __FILE__
        .section .text.hp_lineless_pair,"ax",@progbits
        .globl  hp_lineless_pair
        .type   hp_lineless_pair, @function
hp_lineless_pair:
        .cfi_startproc
        pushq   %rbx
        .cfi_def_cfa_offset 16
        .cfi_offset %rbx, -16
        movq    %rdi, %rbx
        movl    $1000, %edi
        call    malloc@PLT
        movq    %rax, (%rbx)
        .loc 1 __LINE__
        movl    $2000, %edi
        call    malloc@PLT
        movq    %rax, 8(%rbx)
        popq    %rbx
        .cfi_def_cfa_offset 8
        ret
        .cfi_endproc
        .size   hp_lineless_pair, .-hp_lineless_pair
        .section .note.GNU-stack,"",@progbits
