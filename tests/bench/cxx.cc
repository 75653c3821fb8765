// cxx - allocation-heavy C++: std::map, std::string, std::vector.
//
//   cxx [ops=3m] [keys=20000] [seed=4]
//
// A std::map<std::string, std::vector<uint32_t>> of at most `keys` entries.
// Each step draws a key (a std::string built from a random number, often
// longer than the small-string buffer), then erases the entry (1 in 8),
// appends 1-16 values to its vector (growing it through operator new), or
// rebuilds its vector from scratch; every 64 steps a string of all the keys
// of a small range is built by concatenation.  The map's nodes, the key
// strings and the vectors' buffers are all heap blocks of varied sizes.
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench.h"

int main(int argc, char **argv)
{
    uint64_t ops = bench_arg(argc, argv, "ops", 3000000);
    uint64_t keys = bench_arg(argc, argv, "keys", 20000);
    uint64_t rng = bench_mix(bench_arg(argc, argv, "seed", 4)), sum = 0;
    std::map<std::string, std::vector<uint32_t>> m;
    for (uint64_t k = 0; k < ops; k++) {
        uint64_t r = bench_rand(&rng);
        uint64_t id = bench_below(&rng, keys);
        std::string key = "object/" + std::to_string(id) + "/" +
                          std::string(1 + (id % 23), (char)('a' + id % 26));
        switch (r & 7) {
        case 0:
            sum += m.erase(key);
            break;
        case 1: {
            std::vector<uint32_t> v;
            for (uint32_t j = 0; j < (r >> 8) % 64; j++)
                v.push_back((uint32_t)(j * id));
            m[key].swap(v);
            sum += v.size();
            break;
        }
        default: {
            std::vector<uint32_t> &v = m[key];
            for (uint32_t j = 0; j <= (r >> 8) % 16; j++)
                v.push_back((uint32_t)(r >> 32) + j);
            if (v.size() > 4096)
                std::vector<uint32_t>().swap(v);
            sum += v.size();
        }
        }
        if ((k & 63) == 0) {
            std::string joined;
            auto it = m.lower_bound(key);
            for (int j = 0; j < 16 && it != m.end(); j++, ++it)
                joined += it->first + ",";
            sum += joined.size();
        }
    }
    uint64_t live = 0;
    for (auto &e : m)
        live += e.first.capacity() + e.second.capacity() * sizeof(uint32_t) + 64;
    std::printf("cxx checksum=%016llx ops=%llu live_peak_bytes=%llu\n", (unsigned long long)sum,
                (unsigned long long)ops, (unsigned long long)live);
    return 0;
}
