/*
 * demangle_rust.h - Rust's legacy symbol names as `go tool pprof` shows
 * them: "_ZN1r4main17h086b0cfd890a8ea9E" is r::main, and
 * "_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$8grow_one17h...E" is
 * alloc::raw_vec::RawVec<T,A>::grow_one: the hash dropped, the escapes
 * decoded, generic parameters kept (they are part of the identifier).
 * Rust's v0 names ("_R...") are read by demangle_rust_v0.h.
 */
#ifndef HEAPPROF_CLI_DEMANGLE_RUST_H
#define HEAPPROF_CLI_DEMANGLE_RUST_H

/* The name pprof shows for a Rust legacy symbol, allocated (the caller
 * frees it), or NULL when name is not one (a C++ name) or has no memory. */
char *demangle_rust_legacy(const char *name);

#endif
