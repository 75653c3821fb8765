/*
 * demangle_rust_v0.h - Rust's v0 symbol names (RFC 2603) as `go tool
 * pprof` shows them: "_RNvMs4_NtCslNYArtu3iFV_5alloc7raw_vecNtB5_
 * 11RawVecInner11finish_growB7_" is <alloc::raw_vec::RawVecInner>::
 * finish_grow: crate hashes, the instantiating crate and an LLVM suffix
 * dropped, generic arguments kept ("m::gen::<u8, false, 'x'>").
 */
#ifndef HEAPPROF_CLI_DEMANGLE_RUST_V0_H
#define HEAPPROF_CLI_DEMANGLE_RUST_V0_H

/* The name pprof shows for a Rust v0 symbol ("_R..."), allocated (the
 * caller frees it), or NULL when name is not one, uses what this reader
 * does not know (constants other than integers, bools and chars; a later
 * version of the scheme), is malformed, nests or expands too far, or there
 * is no memory: then the name is shown as it is. */
char *demangle_rust_v0(const char *name);

#endif
