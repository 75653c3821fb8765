// cxx.cc - C++ allocation under the preload: every form of operator new and
// delete, containers, exceptions that carry allocated objects, operator new
// failing with std::bad_alloc, and all of it on several threads.
//
// Prints "expect" lines for the functions that call new/delete directly
// (bytes are the sizes operator new is asked for: sizeof(T), n * sizeof(T),
// plus the array cookie where the ABI adds one), and "cumexpect <function>
// <min alloc_space>" lines for functions whose allocations happen deeper
// (containers): their cumulative alloc_space must be at least that much.
//
// Usage: cxx [threads]   (default 4)

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "integ.h"

namespace hp {

static site s_new_delete = {"hp::hp_new_delete", 0, 0, 0, 0};
static site s_new_array = {"hp::hp_new_array", 0, 0, 0, 0};
static site s_new_array_cookie = {"hp::hp_new_array_cookie", 0, 0, 0, 0};
static site s_nothrow = {"hp::hp_nothrow", 0, 0, 0, 0};
static site s_aligned = {"hp::hp_aligned", 0, 0, 0, 0};
static site s_throw_payload = {"hp::hp_throw_payload", 0, 0, 0, 0};
static site s_bad_alloc = {"hp::hp_bad_alloc", 0, 0, 0, 0};
static site s_thread_work = {"hp::hp_thread_work", 0, 0, 0, 0};

struct Small {
    int a[5];
    long b;
};

struct alignas(64) Aligned {
    char c[100];
};
static_assert(sizeof(Aligned) == 128, "Aligned is 128 bytes");

// A type with a non-trivial destructor: new[] stores the element count in a
// cookie before the array (Itanium ABI: max(sizeof(size_t), alignof(T))).
struct WithDtor {
    double d[3];
    ~WithDtor() { d[0] = 0; }
};
static const size_t kCookie = sizeof(size_t) > alignof(WithDtor) ? sizeof(size_t) : alignof(WithDtor);

// The exception carries an object allocated by the thrower and released by
// the catcher.
struct Payload {
    char data[200];
};
struct PayloadError {
    Payload *payload;
};

NOINLINE void hp_new_delete(int n, std::vector<Small *> &keep_out)
{
    for (int i = 0; i < n; i++) {
        Small *p = new Small();
        site_alloc(&s_new_delete, sizeof(Small));
        p->b = i;
        if (i % 4 == 0) {
            keep_out.push_back(p); // push_back may allocate: not in this leaf
        } else {
            delete p; // sized delete: operator delete(void*, size_t)
            site_free(&s_new_delete, sizeof(Small));
        }
    }
}

NOINLINE void hp_new_array(int n)
{
    for (int i = 1; i <= n; i++) {
        int *a = new int[i];
        site_alloc(&s_new_array, sizeof(int) * i);
        a[i - 1] = i;
        if (i != 3) {
            delete[] a;
            site_free(&s_new_array, sizeof(int) * i);
        } else {
            keep(a);
        }
    }
}

NOINLINE void hp_new_array_cookie(int n)
{
    for (int i = 1; i <= n; i++) {
        WithDtor *a = new WithDtor[i];
        size_t bytes = sizeof(WithDtor) * i + kCookie;
        site_alloc(&s_new_array_cookie, bytes);
        delete[] a;
        site_free(&s_new_array_cookie, bytes);
    }
}

NOINLINE void hp_nothrow(int n)
{
    for (int i = 0; i < n; i++) {
        Small *p = new (std::nothrow) Small();
        CHECK(p, "nothrow new failed");
        site_alloc(&s_nothrow, sizeof(Small));
        char *a = new (std::nothrow) char[100 + i];
        CHECK(a, "nothrow new[] failed");
        site_alloc(&s_nothrow, 100 + i);
        delete p;
        site_free(&s_nothrow, sizeof(Small));
        if (i % 2) {
            delete[] a;
            site_free(&s_nothrow, 100 + i);
        } else {
            keep(a);
        }
    }
    // A huge nothrow request returns nullptr and counts nothing.
    volatile size_t huge = SIZE_MAX / 4;
    char *h = new (std::nothrow) char[huge];
    CHECK(h == nullptr, "nothrow new of %zu bytes succeeded", (size_t)huge);
}

NOINLINE void hp_aligned(int n)
{
    for (int i = 0; i < n; i++) {
        Aligned *p = new Aligned(); // operator new(size_t, align_val_t)
        CHECK(((uintptr_t)p & 63) == 0, "aligned new returned %p", (void *)p);
        site_alloc(&s_aligned, sizeof(Aligned));
        Aligned *arr = new Aligned[3]; // operator new[](size_t, align_val_t)
        CHECK(((uintptr_t)arr & 63) == 0, "aligned new[] returned %p", (void *)arr);
        site_alloc(&s_aligned, 3 * sizeof(Aligned));
        Aligned *q = new (std::nothrow) Aligned(); // aligned nothrow
        CHECK(q && ((uintptr_t)q & 63) == 0, "aligned nothrow new");
        site_alloc(&s_aligned, sizeof(Aligned));
        delete p; // operator delete(void*, size_t, align_val_t)
        site_free(&s_aligned, sizeof(Aligned));
        delete[] arr;
        site_free(&s_aligned, 3 * sizeof(Aligned));
        if (i % 2) {
            delete q;
            site_free(&s_aligned, sizeof(Aligned));
        } else {
            keep(q);
        }
    }
    // Explicit calls of the remaining forms.
    void *r = ::operator new(48, std::align_val_t(256));
    CHECK(((uintptr_t)r & 255) == 0, "operator new(48, 256)");
    site_alloc(&s_aligned, 48);
    ::operator delete(r, std::align_val_t(256));
    site_free(&s_aligned, 48);
    r = ::operator new[](96, std::align_val_t(128), std::nothrow);
    CHECK(r && ((uintptr_t)r & 127) == 0, "operator new[](96, 128, nothrow)");
    site_alloc(&s_aligned, 96);
    ::operator delete[](r, std::align_val_t(128), std::nothrow);
    site_free(&s_aligned, 96);
    r = ::operator new(40, std::nothrow);
    site_alloc(&s_aligned, 40);
    ::operator delete(r, std::nothrow);
    site_free(&s_aligned, 40);
}

NOINLINE void hp_throw_payload(int i)
{
    Payload *p = new Payload();
    site_alloc(&s_throw_payload, sizeof(Payload));
    p->data[0] = (char)i;
    throw PayloadError{p}; // the exception object itself: __cxa_allocate_exception
}

NOINLINE int hp_catch_payload(int n)
{
    int caught = 0;
    for (int i = 0; i < n; i++) {
        try {
            hp_throw_payload(i);
        } catch (const PayloadError &e) {
            CHECK(e.payload->data[0] == (char)i, "payload damaged");
            delete e.payload;
            site_free(&s_throw_payload, sizeof(Payload));
            caught++;
        }
        try {
            throw std::runtime_error(std::string(300, 'x')); // string inside the exception
        } catch (const std::runtime_error &e) {
            CHECK(std::string(e.what()).size() == 300, "what() lost");
        }
    }
    return caught;
}

// operator new failing: std::bad_alloc is thrown through the preloaded
// operator new and caught here; nothing is counted.
NOINLINE int hp_bad_alloc(void)
{
    int caught = 0;
    volatile size_t huge = SIZE_MAX / 4;
    try {
        char *p = new char[huge];
        keep(p);
    } catch (const std::bad_alloc &) {
        caught++;
    }
    try {
        void *p = ::operator new(huge);
        keep(p);
    } catch (const std::bad_alloc &) {
        caught++;
    }
    try {
        void *p = ::operator new(huge, std::align_val_t(64));
        keep(p);
    } catch (const std::bad_alloc &) {
        caught++;
    }
    try {
        std::vector<char> v;
        v.reserve(v.max_size()); // throws length_error or bad_alloc
    } catch (const std::bad_alloc &) {
        caught++;
    } catch (const std::length_error &) {
        caught++;
    }
    // 2^63 and more: the profiler's countdown once took such a size as a
    // negative number, and each of the three operators new[] goes through
    // (ours, libstdc++'s new[] and new, and its malloc) added 2^61 to the
    // thread's budget: the Small below went unrecorded.  And a throw in
    // place of a return must still leave the countdown to stop at the next
    // allocation.
    volatile size_t huger = (size_t)7 << 61;
    try {
        char *p = new char[huger];
        keep(p);
    } catch (const std::bad_alloc &) {
        caught++;
    }
    // After all that the allocator still works.
    Small *s = new Small();
    site_alloc(&s_bad_alloc, sizeof(Small));
    delete s;
    site_free(&s_bad_alloc, sizeof(Small));
    return caught;
}

NOINLINE size_t hp_containers(int n)
{
    std::vector<long> v;
    for (int i = 0; i < n * 100; i++)
        v.push_back(i);
    std::string s;
    for (int i = 0; i < n * 50; i++)
        s += "abcdefgh";
    std::map<int, std::string> m;
    for (int i = 0; i < n * 20; i++)
        m[i] = std::string(64, 'm');
    return v.size() + s.size() + m.size();
}

NOINLINE void hp_thread_work(int id, int n)
{
    std::vector<Small *> mine;
    for (int i = 0; i < n; i++) {
        Small *p = new Small();
        site_alloc(&s_thread_work, sizeof(Small));
        mine.push_back(p);
    }
    for (size_t i = 0; i < mine.size(); i++) {
        if (i % 10 != 0) {
            delete mine[i];
            site_free(&s_thread_work, sizeof(Small));
        } else {
            keep(mine[i]);
        }
    }
    // Exceptions on threads too.
    int caught = hp_catch_payload(20 + id);
    CHECK(caught == 20 + id, "caught %d", caught);
}

} // namespace hp

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    std::vector<hp::Small *> kept;
    hp::hp_new_delete(1000, kept);
    hp::hp_new_array(50);
    hp::hp_new_array_cookie(20);
    hp::hp_nothrow(30);
    hp::hp_aligned(25);
    int caught = hp::hp_catch_payload(40);
    CHECK(caught == 40, "caught %d payload exceptions", caught);
    int bad = hp::hp_bad_alloc();
    CHECK(bad == 5, "caught %d of 5 allocation failures", bad);
    size_t c = hp::hp_containers(100);
    CHECK(c > 0, "containers");

    std::vector<std::thread> ts;
    for (int i = 0; i < nthreads; i++)
        ts.emplace_back([i] { hp::hp_thread_work(i, 2000); });
    for (auto &t : ts)
        t.join();

    site_print(&hp::s_new_delete);
    site_print(&hp::s_new_array);
    site_print(&hp::s_new_array_cookie);
    site_print(&hp::s_nothrow);
    site_print(&hp::s_aligned);
    site_print(&hp::s_throw_payload);
    site_print(&hp::s_bad_alloc);
    site_print(&hp::s_thread_work);
    // Containers allocate from library code (std::allocator...): the function
    // is in the stack, not the leaf.  100*100 longs alone are 80000 bytes.
    printf("cumexpect hp::hp_containers %d\n", 80000 + 100 * 50 * 8 + 100 * 20 * 64);
    // Every throw allocates its exception object in libstdc++: two throws
    // per hp_catch_payload iteration, 40 on main, 20+id on thread id.
    int throws = 2 * 40;
    for (int i = 0; i < nthreads; i++)
        throws += 2 * (20 + i);
    printf("exceptions %d\n", throws);
    printf("caught %d %d\n", caught, bad);
    fflush(stdout);
    for (auto *p : kept)
        keep(p);
    return 0;
}
