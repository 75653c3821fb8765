/*
 * cxxplugin.cc - a C++ library that a C program opens with dlopen
 * (dlthrow.c): it throws and catches an exception of its own.  What it
 * prints must be the same with and without the preload
 * (integ_dlopen_cxx).
 *
 * A library opened after start-up is mapped where the kernel finds room,
 * and that may be inside the address range of a library loaded at start
 * (a part it unmapped).  The unwinder finds a frame's unwind information
 * with _dl_find_object (glibc 2.35, libgcc 12), by address range: an
 * object mapped inside another's range has its frames looked up in the
 * wrong object, and every exception it throws ends in std::terminate.
 */
#include <cstdio>
#include <stdexcept>

__attribute__((noinline)) static int thrower(int i)
{
    if (i >= 0)
        throw std::runtime_error("thrown in the library");
    return i;
}

extern "C" int cxxplugin_run(void)
{
    try {
        thrower(1);
        std::printf("no exception\n");
    } catch (const std::exception &e) {
        std::printf("caught: %s\n", e.what());
    }
    return 0;
}
