// The dwz test's C++ programs (dwz.sh): two programs, each of two files,
// that include this header, so their DWARF shares the entries of the
// standard containers and of these inline functions.  dwz moves the
// entries a program's units share into partial units, and with -m those
// both programs share into a supplementary file; the allocations inlined
// here are named through them.
#include <map>
#include <memory>
#include <string>
#include <vector>

struct dwz_registry {
    std::vector<std::string> names;
    std::map<std::string, std::unique_ptr<int[]>> blocks;
    void add(const char *s, int n)
    {
        names.push_back(std::string(s) + "/" + std::to_string(n));
        blocks[names.back()] = grow(n);
    }
    static std::unique_ptr<int[]> grow(int n) { return std::unique_ptr<int[]>(new int[n + 1]()); }
};

template <class T> inline T *dwz_make(int n)
{
    return new T[static_cast<size_t>(n) + 1]();
}

int dwz_fill(dwz_registry &r, int n);
