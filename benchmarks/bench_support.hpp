#pragma once
/// \file
/// The data set the in-memory benchmarks share: 1024 pre-generated 16-byte
/// keys cycled through, one 32-byte value, and stores filled before timing.

#include <dualstore/testing/memory_store.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <vector>

namespace bench {

/// The in-memory store every benchmark uses.
using store_t = dualstore::testing::memory_store<std::string, std::string>;

/// Number of distinct keys cycled through (a power of two, so the next index is a mask).
constexpr std::size_t key_count = 1024;
static_assert((key_count & (key_count - 1)) == 0);

/// The keys ("key-000000000000" ... : 16 bytes each) and the value (32 bytes),
/// built once. Both are longer than the std::string small-buffer size, as
/// real keys and values usually are.
struct dataset {
    std::vector<std::string> keys;
    std::string value;
};

inline const dataset& data() {
    static const dataset d = [] {
        dataset made;
        made.keys.reserve(key_count);
        for (std::size_t i = 0; i < key_count; ++i)
            made.keys.push_back(fmt::format("key-{:012}", i));
        made.value.assign(32, 'v');
        return made;
    }();
    return d;
}

/// The index of the key after `i`.
inline constexpr std::size_t next(std::size_t i) noexcept {
    return (i + 1) & (key_count - 1);
}

/// Writes every key, so timed puts replace existing values and timed gets hit.
inline void fill(store_t& store) {
    for (const auto& key : data().keys) store.put(key, data().value);
}

}  // namespace bench
