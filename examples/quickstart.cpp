// quickstart: what dualstore does, in four short scenes.
//   1. a dual write lands in both stores;
//   2. the new store fails: the write still succeeds, the failure is recorded;
//   3. shadow reads compare both stores and report a mismatch;
//   4. dual-primary writes: a secondary failure rolls the primary back.
// Runs on in-memory stores; no server needed.

#include <dualstore/dualstore.hpp>
#include <dualstore/testing/counting_observer.hpp>
#include <dualstore/testing/faulty.hpp>
#include <dualstore/testing/memory_store.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

namespace ds = dualstore;
using namespace std::chrono_literals;
using store_t = ds::testing::memory_store<std::string, std::string>;

namespace {

/// Prints every mismatch and rollback as it happens.
struct printing_observer {
    template <class Key, class P, class S>
    void on(const ds::observe::mismatch_event<Key, P, S>& e) const {
        fmt::print("    observer: mismatch on '{}': old={} new={}\n", *e.key,
                   answer(e.primary, e.primary_error), answer(e.secondary, e.secondary_error));
    }
    template <class Key>
    void on(const ds::observe::rollback_event<Key>& e) const {
        fmt::print("    observer: rolled back {} of '{}' ({})\n", e.op, *e.key,
                   e.restored() ? "primary restored" : "restore FAILED");
    }
    static std::string show(const std::optional<std::string>& v) {
        return v ? fmt::format("\"{}\"", *v) : "<absent>";
    }
    /// One side's answer, or the error it failed with.
    static std::string answer(const std::optional<std::string>* v, const std::exception_ptr& error) {
        return v ? show(*v) : fmt::format("<error: {}>", ds::describe(error));
    }
};

std::string show(const std::optional<std::string>& v) { return printing_observer::show(v); }

}  // namespace

int main() {
    store_t old_kv, new_kv;
    ds::testing::faulty new_side{new_kv};  // the new store, with fault injection
    printing_observer printer;
    std::vector<std::string> repair_queue;  // stands in for a durable retry queue

    ds::dual_store store{old_kv,
                         new_side,
                         ds::write::sequential{},
                         ds::read::shadow{.sample = 1.0},
                         ds::retry::exponential{.attempts = 3,
                                                .backoff = {.base = 1ms, .cap = 10ms}},
                         ds::on_secondary_failure{[&](const std::string& key, ds::operation op,
                                                      std::exception_ptr error) {
                             fmt::print("    sink: {} '{}' failed on the new store: {}\n", op,
                                        key, ds::describe(error));
                             repair_queue.push_back(key);
                         }},
                         ds::observe::with(printer)};

    fmt::print("1. dual write\n");
    auto result = store.put("order:1", "2 x widget");
    fmt::print("    put order:1 -> {}\n", result);
    fmt::print("    old={} new={}\n", show(old_kv.get("order:1")), show(new_kv.get("order:1")));

    fmt::print("2. the new store is down: the write succeeds, the failure is recorded\n");
    new_side.fail_always(ds::testing::fault_on::writes);
    result = store.put("order:2", "1 x gadget");
    fmt::print("    put order:2 -> {}\n", result);
    fmt::print("    repair queue: [{}]\n", fmt::join(repair_queue, ", "));
    new_side.heal();

    fmt::print("3. shadow reads compare both stores\n");
    new_kv.put("order:1", "2 x widgets");  // drift, as a buggy backfill might cause
    fmt::print("    get order:1 -> {} (the old store answers)\n", show(store.get("order:1")));
    fmt::print("    get order:2 -> {}\n", show(store.get("order:2")));

    fmt::print("4. dual-primary: both must succeed, or the old store is rolled back\n");
    ds::dual_store strict{old_kv, new_side, ds::write::dual_primary{}, ds::rollback::snapshot{},
                          ds::observe::with(printer)};
    new_side.fail_next(1, ds::testing::fault_on::writes);
    try {
        strict.put("order:1", "3 x widget");
    } catch (const ds::rolled_back& e) {
        fmt::print("    put order:1 threw rolled_back: {}\n", e.what());
    }
    fmt::print("    old store still has order:1 = {}\n", show(old_kv.get("order:1")));
    return old_kv.get("order:1") == "2 x widget" ? 0 : 1;
}
