// inlined.cc - allocations made inside inlined code, for pprof_names.sh:
// at -O2 std::vector<long>::push_back's growth reaches operator new
// through std::__new_allocator<long>::allocate, inlined into
// _M_realloc_insert, and hp_inl_outer calls malloc through a static inline
// wrapper that leaves no frame of its own.  The profile must show both
// inlined functions as frames, with their files and lines.  hp_inl_both is
// inlined into main and also called out of line (through a pointer): pprof
// -top must count both copies as one function.  hp_inl_local's local
// class makes its vector grow in a method GCC places inside the class's
// entry within hp_inl_local's own (as it does a lambda's operator()).

#include <cstdio>
#include <cstdlib>
#include <vector>

// A call the compiler cannot see through, so the result is used.
static void (*volatile hp_inl_keep)(void *) = [](void *p) { static_cast<char *>(p)[0] = 1; };

static inline void *hp_inl_wrap(size_t n)
{
    void *p = std::malloc(n); // hp_inl_wrap's malloc
    if (!p)
        std::abort();
    return p;
}

__attribute__((noinline)) void *hp_inl_outer(size_t n)
{
    void *p = hp_inl_wrap(n); // hp_inl_outer's call
    hp_inl_keep(p);
    return p;
}

static void *hp_inl_both(size_t n)
{
    void *p = std::calloc(1, n); // hp_inl_both's calloc
    if (!p)
        std::abort();
    return p;
}

static void *(*volatile hp_inl_both_ptr)(size_t) = hp_inl_both;

__attribute__((noinline)) long hp_inl_fill(int n)
{
    std::vector<long> v;
    for (int i = 0; i < n; i++)
        v.push_back(i);
    long s = 0;
    for (long x : v)
        s += x;
    return s;
}

__attribute__((noinline)) long hp_inl_local(int n)
{
    struct Local {
        __attribute__((noinline)) static std::vector<int> *make(int k)
        {
            auto *w = new std::vector<int>;
            for (int i = 0; i < k; i++)
                w->push_back(i); // Local::make's push_back
            return w;
        }
    };
    std::vector<int> *w = Local::make(n);
    long s = (long)w->size();
    delete w;
    return s;
}

int main()
{
    long s = 0;
    for (int i = 0; i < 1000; i++) {
        void *p = hp_inl_outer(1000);
        std::free(p);
        s += hp_inl_fill(100);
        s += hp_inl_local(100);
        std::free(hp_inl_both(300));
        std::free(hp_inl_both_ptr(300));
    }
    std::printf("%ld\n", s);
    return 0;
}
