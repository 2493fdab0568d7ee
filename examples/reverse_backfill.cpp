// Reverse backfill with expiry translation and a rate limit.
//
// After the cutover the new store takes the writes. To keep a rollback to the
// old store possible, its missing data is copied back: the same backfill
// call with the stores swapped. Session records carry an absolute expiry in
// the new store; the copy gets the remaining time to live (at least 60 s),
// and sessions already expired are skipped. The copy runs at most 2000
// records per second so it does not starve the live traffic.

#include <dualstore/backfill/backfill.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace ds = dualstore;
using namespace std::chrono_literals;
using kv = ds::testing::memory_store<std::string, std::string>;

int main() {
    kv new_store, old_store, checkpoints;
    for (int i = 0; i < 3000; ++i) {
        // Every third session lasts 30 s, the others an hour.
        new_store.put(fmt::format("session:{:05}", i), fmt::format("user-{}", i % 97),
                      i % 3 == 0 ? std::chrono::milliseconds(30s) : std::chrono::milliseconds(1h));
    }
    new_store.put("config:theme", "dark");  // no expiry: stays without

    const auto report =
        ds::backfill(new_store, old_store,
                     {.batch_size = 250,
                      .rate = 2000,
                      .min_ttl = 60s,
                      .checkpoint = ds::checkpoint_in(checkpoints, "reverse:sessions")});
    fmt::print("reverse backfill: {}\n", report);

    const auto short_session = old_store.expiry("session:00000");  // 30 s left: raised to 60 s
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(*short_session - ds::expiry_clock::now());
    fmt::print("session:00000 expires in {} s in the old store\n", left.count());
    fmt::print("config:theme has {} expiry\n", old_store.expiry("config:theme") ? "an" : "no");
    const bool ok = report.written == 3001 && left > 55s && !old_store.expiry("config:theme");
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
