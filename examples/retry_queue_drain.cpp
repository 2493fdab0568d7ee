// Key-value dual write with a durable retry queue and an hourly drain.
//
// Writes go to the old store and the new one. When the new store fails (here
// a fault injected on purpose), the write still succeeds and the key goes to
// a retry queue kept in a key-value store (in production: a Redis, a
// PostgreSQL or an SQLite table shared by every instance). A job, normally
// run every hour, drains the queue: for each key it re-reads the old store
// and applies its current state to the new one, so a replay never writes an
// older value.

#include <dualstore/dualstore.hpp>
#include <dualstore/kv_retry_queue.hpp>
#include <dualstore/repair/drain.hpp>
#include <dualstore/testing/faulty.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <string>

namespace ds = dualstore;
using namespace std::chrono_literals;
using kv = ds::testing::memory_store<std::string, std::string>;

int main() {
    kv old_store, new_data, queue_store;
    ds::testing::faulty new_store{new_data};
    ds::kv_retry_queue queue{queue_store, "profiles:"};  // durable when queue_store is

    ds::dual_store profiles{
        old_store, new_store,
        ds::retry::exponential{.attempts = 3, .backoff = {.base = 1ms, .cap = 10ms}},
        ds::on_secondary_failure{queue}};  // held by reference

    new_store.fail_always(ds::testing::fault_on::writes);  // the new store is down
    for (int i = 0; i < 5; ++i) {
        const auto r = profiles.put(fmt::format("user:{}", i), fmt::format("name-{}", i));
        fmt::print("put user:{} -> primary {}, secondary {}, enqueued {}\n", i, r.primary.status,
                   r.secondary.status, r.enqueued);
    }
    profiles.put("user:0", "renamed");  // a newer write, also queued
    fmt::print("queue depth: {}\n", queue.size());

    new_store.heal();  // an hour later, the new store is back: the drain job runs
    const auto report = ds::drain(queue, profiles, {.batch_size = 100});
    fmt::print("drain: {}\n", report);
    fmt::print("new store has user:0 = {}\n", new_data.get("user:0").value_or("<none>"));
    return new_data.get("user:0") == "renamed" && queue.size() == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
