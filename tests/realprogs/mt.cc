// mt.cc - a multi-threaded C++ program of ours for tests/realprogs: the
// C++ features that stress an allocator interposer, with its own count of
// what it allocated so that an exact-mode profile (HEAPPROF_SAMPLE=1) can
// be checked to the byte.
//
//   - std::thread workers, each allocating through three sites:
//       mt_aligned   new of an alignas(64) type: operator new(size_t, align_val_t)
//       mt_array     new[] of a plain type
//       mt_throw     throws and catches an exception (the exception object
//                    comes from __cxa_allocate_exception, inside libstdc++)
//   - fork(): the child allocates, then execs /bin/true (argument "true") or
//     this program again (argument "self"); the parent waits.
//
// Output (stdout), identical with and without the profiler:
//   expect <site> <alloc_objects> <alloc_space>     in the parent, before exit
//   child <status>                                  per fork
//   self ok                                         from the exec'd copy
//   done <checksum>
// With --pidfile F the parent's pid goes to F (not to stdout, which must
// not change between runs).
#include <unistd.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 4;
constexpr int kIters = 2000;

struct alignas(64) Cell {
    unsigned long v[12];
};

struct Plain {
    unsigned long a, b, c;
};

std::atomic<unsigned long> aligned_objs{0}, aligned_bytes{0};
std::atomic<unsigned long> array_objs{0}, array_bytes{0};
std::atomic<unsigned long> caught{0};
std::atomic<unsigned long> checksum{0};

}  // namespace

// Not static, not inlined: each is the leaf frame of its allocations.
__attribute__((noinline)) Cell *mt_aligned(unsigned long seed)
{
    Cell *c = new Cell;
    if (reinterpret_cast<uintptr_t>(c) % alignof(Cell) != 0)
        std::abort();  // the interposer must honour the alignment
    c->v[0] = seed;
    aligned_objs++;
    aligned_bytes += sizeof(Cell);
    return c;
}

__attribute__((noinline)) Plain *mt_array(size_t n)
{
    Plain *p = new Plain[n];
    p[0].a = n;
    array_objs++;
    array_bytes += n * sizeof(Plain);
    return p;
}

__attribute__((noinline)) void mt_throw(int i)
{
    throw std::runtime_error("mt_throw " + std::to_string(i));
}

static void worker(int id)
{
    std::vector<Cell *> keep;
    unsigned long sum = 0;
    for (int i = 0; i < kIters; i++) {
        Cell *c = mt_aligned(static_cast<unsigned long>(id * kIters + i));
        if (i % 3)
            keep.push_back(c);
        else
            delete c;
        Plain *p = mt_array(1 + static_cast<size_t>(i % 17));
        sum += p[0].a;
        delete[] p;
        if (i % 100 == 0) {
            try {
                mt_throw(i);
            } catch (const std::exception &e) {
                sum += std::strlen(e.what());
                caught++;
            }
        }
    }
    for (Cell *c : keep) {
        sum += c->v[0];
        delete c;
    }
    checksum += sum;
}

static int run_child(const char *self, const char *what)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        std::vector<std::string> v(100, std::string(200, 'x'));  // the child allocates too
        if (!std::strcmp(what, "self"))
            execl(self, self, "self", static_cast<char *>(nullptr));
        else
            execl("/bin/true", "true", static_cast<char *>(nullptr));
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !std::strcmp(argv[1], "self")) {
        std::string s(1000, 'y');  // an allocation of the exec'd copy
        std::printf("self ok\n");
        return s.size() == 1000 ? 0 : 1;
    }
    if (argc > 2 && !std::strcmp(argv[1], "--pidfile")) {
        if (FILE *f = std::fopen(argv[2], "w")) {
            std::fprintf(f, "%d\n", static_cast<int>(getpid()));
            std::fclose(f);
        }
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++)
        threads.emplace_back(worker, t);
    for (auto &t : threads)
        t.join();
    std::fflush(stdout);  // nothing buffered may be duplicated by fork
    std::printf("child %d\n", run_child(argv[0], "true"));
    std::fflush(stdout);
    std::printf("child %d\n", run_child(argv[0], "self"));
    std::printf("expect mt_aligned %lu %lu\n", aligned_objs.load(), aligned_bytes.load());
    std::printf("expect mt_array %lu %lu\n", array_objs.load(), array_bytes.load());
    std::printf("caught %lu\n", caught.load());
    std::printf("done %lu\n", checksum.load());
    return 0;
}
