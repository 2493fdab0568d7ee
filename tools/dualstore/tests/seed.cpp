// Fills stores for the dualstore tool's end-to-end test:
//
//   seed URL COUNT base      keys key-00000.. with values v-<i>, and one binary key
//   seed URL COUNT drifted   as base, but every 10th key from 3 missing, every
//                            10th from 5 with another value, and extra-<i> every 50th
//   seed URL COUNT queue [KIND [NAME]]
//                            a retry queue (default prefix or name; kind kv,
//                            redis-stream or postgresql) with an entry for each
//                            key that "drifted" lacks or changed
#include "queue_url.hpp"
#include "store_url.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <utility>

int main(int argc, char** argv) {
    if (argc < 4 || (argc > 4 && std::string(argv[3]) != "queue") || argc > 6) {
        fmt::print(stderr, "usage: seed URL COUNT base|drifted|queue [KIND [NAME]]\n");
        return 2;
    }
    const int count = std::atoi(argv[2]);
    const std::string variant = argv[3];
    if (variant == "queue") {
        dualstore_tool::queue_spec spec{.url = argv[1]};
        if (argc > 4) spec.kind = argv[4];
        if (argc > 5) spec.name = argv[5];
        dualstore_tool::with_queue(spec, [&](auto& queue, const std::string&) {
            for (int i = 0; i < count; ++i) {
                if (i % 10 != 3 && i % 10 != 5) continue;
                dualstore::retry_entry entry;
                entry.key = fmt::format("key-{:05}", i);
                queue.push(std::move(entry));
            }
        });
        return 0;
    }
    auto store = dualstore_tool::open_store(argv[1]);
    const bool drifted = variant == "drifted";
    for (int i = 0; i < count; ++i) {
        if (drifted && i % 10 == 3) continue;
        store.put(fmt::format("key-{:05}", i),
                  drifted && i % 10 == 5 ? fmt::format("changed-{}", i) : fmt::format("v-{}", i));
        if (drifted && i % 50 == 0) store.put(fmt::format("extra-{}", i), "x");
    }
    store.put(std::string("bin\0\xff", 5), std::string("\x01\x00\x02", 3));
    return 0;
}
