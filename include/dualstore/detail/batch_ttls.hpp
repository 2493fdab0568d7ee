#pragma once
/// \file
/// What every `expiring_batch_store` does with a batch's times to live:
/// checks there is one per record and turns each into an expiry.

#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace dualstore::detail {

/// Throws `error` unless a batch of `items` records came with as many times
/// to live; `who` names the call in the message.
inline void require_ttl_per_item(std::size_t items, std::size_t ttls, std::string_view who) {
    if (items != ttls) {
        throw error(
            fmt::format("dualstore: {}: {} records came with {} times to live", who, items, ttls));
    }
}

/// When item `i` of a batch written at `now_ms` (milliseconds since the
/// epoch) expires, in the same unit: never when `ttls` gives it no time to
/// live (or is empty).
inline std::optional<std::int64_t> expiry_ms(std::int64_t now_ms,
                                             std::span<const time_to_live> ttls, std::size_t i) {
    if (i >= ttls.size() || !ttls[i]) return std::nullopt;
    return now_ms + ttls[i]->count();
}

}  // namespace dualstore::detail
