#pragma once
// The check every `range_digest_store` passes: over the same records (binary
// keys, empty values, an expired record), its digests and split keys equal
// the in-memory store's, computed in C++, so two engines agree; so do its
// key samples when it is a `key_sampling_store`; and `bisect_diff` between
// two of its stores finds exactly the differences.

#include "support.hpp"

#include <dualstore/reconcile/bisect.hpp>
#include <dualstore/reconcile/key_sample.hpp>
#include <dualstore/reconcile/range_digest.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace range_digest_conformance {

/// Runs the check on stores `make()` returns (empty, each its own table or
/// file, as `std::unique_ptr`).
template <class Make>
void check(Make make) {
    auto store = make();
    kv reference;
    std::vector<std::pair<std::string, std::string>> items;
    for (int i = 0; i < 1000; ++i)
        items.emplace_back(fmt::format("k{:04}", i), fmt::format("v{}", i));
    items.emplace_back(std::string("\0\xff", 2), "");
    items.emplace_back("\xff\xfe", std::string("\0", 1));
    for (const auto& [k, v] : items) {
        store->put(k, v);
        reference.put(k, v);
    }
    store->put("k0500x", "expired", std::chrono::milliseconds(-1000));
    const std::vector<ds::key_range> ranges{{},
                                            {.after = "k0100"},
                                            {.up_to = "k0100"},
                                            {.after = "k0100", .up_to = "k0200"},
                                            {.after = "k0500", .up_to = "k0501"},
                                            {.after = "\xff\xff"}};
    for (const auto& range : ranges) {
        CHECK(store->digest(range) == reference.digest(range));
        CHECK(store->keys_every(range, 97, 5) == reference.keys_every(range, 97, 5));
    }
    CHECK(store->digest({}).count == 1002);
    if constexpr (ds::key_sampling_store<std::remove_cvref_t<decltype(*store)>>) {
        for (const std::size_t n : {0U, 1U, 10U, 5000U}) {
            for (const std::uint64_t salt : {0ULL, 42ULL, ~0ULL}) {
                const auto sample = store->sample_keys(salt, n);
                CHECK(sample.keys == 1002);
                CHECK(sample.smallest == reference.sample_keys(salt, n).smallest);
            }
        }
    }

    auto other = make();
    other->put_many(items);
    other->erase("k0007");
    other->put("k0500", "changed");
    other->put("k0999z", "extra");
    std::vector<std::string> found;
    const auto report =
        ds::bisect_diff(*store, *other, [&](const ds::sample_result& r) { found.push_back(r.key); },
                        {.fanout = 4, .leaf_rows = 16});
    CHECK(found == std::vector<std::string>{"k0007", "k0500", "k0999z"});
    CHECK(report.rows_read < 200);
}

}  // namespace range_digest_conformance
