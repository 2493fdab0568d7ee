#pragma once
/// \file
/// The retry queue port: where secondary writes that failed for good wait to
/// be repaired by `drain`. `on_secondary_failure{queue}` (failure_sink.hpp)
/// plugs a queue into a `dual_store` or `migration`.

#include <dualstore/detail/random_bits.hpp>
#include <dualstore/error.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/stage.hpp>

#include <fmt/format.h>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dualstore {

/// The clock of retry queue times (wall clock: entries outlive processes).
using queue_clock = std::chrono::system_clock;

/// One failed write waiting for repair. Keys are byte strings.
struct retry_entry {
    /// The queue's identifier of the entry (set by `push` when empty).
    std::string id;
    /// The key whose secondary state must be repaired.
    std::string key;
    /// The write that failed (`put`, `erase` or a keyed generic `write`).
    operation op = operation::put;
    /// When the failure was first enqueued.
    queue_clock::time_point first_enqueued{};
    /// When the entry is next due (it is not taken before).
    queue_clock::time_point next_attempt{};
    /// Repairs tried so far.
    unsigned attempts = 0;
    /// The text of the last error.
    std::string last_error;
    /// The stage of the `migration` whose write failed, which says which
    /// store was authoritative then (`authoritative_store`); empty for a
    /// `dual_store` (its primary is always authoritative) and for entries
    /// stored before this field existed (DSQ v1).
    std::optional<stage> recorded_stage;

    /// Entries are equal when every field is.
    friend bool operator==(const retry_entry&, const retry_entry&) = default;
};

/// An entry moved aside for good, with the reason. `entry` is empty when the
/// stored bytes could not be decoded; `raw` then keeps them.
struct dead_letter {
    /// The queue's identifier of the entry.
    std::string id;
    /// The entry, when it could be decoded.
    std::optional<retry_entry> entry;
    /// Why it was dead-lettered.
    std::string reason;
    /// The undecodable bytes (empty when `entry` is set).
    std::string raw;
};

/// A durable list of failed writes. `push` adds an entry; `take(n, now)`
/// claims up to `n` entries due at `now` (claimed entries are not returned
/// to other takers until acknowledged or failed, or until the claim lapses);
/// `ack` removes a repaired entry; `fail` records a failed repair and when to
/// try again; `dead_letter` moves an entry aside with a reason; `size` counts
/// the waiting entries, `dead_letters` lists the ones moved aside.
template <class Q>
concept retry_queue = requires(Q& q, const Q& cq, retry_entry e, const retry_entry& ce,
                               std::size_t n, queue_clock::time_point t, std::string text) {
    q.push(std::move(e));
    { q.take(n, t) } -> std::same_as<std::vector<retry_entry>>;
    q.ack(ce);
    q.fail(ce, text, t);
    q.dead_letter(ce, text);
    { cq.size() } -> std::convertible_to<std::size_t>;
    { cq.dead_letters() } -> std::same_as<std::vector<dead_letter>>;
};

namespace detail {

/// A new entry identifier: the time in nanoseconds, then 64 random bits, in
/// hex, so identifiers sort roughly by creation time and never collide. (A
/// template so that only a file that queues entries compiles it.)
template <class = void>
std::string new_entry_id(queue_clock::time_point now) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
    return fmt::format("{:016x}{:016x}", static_cast<std::uint64_t>(ns.count()), random_bits());
}

/// The key of a failed write as a byte string.
template <class Key>
std::string key_bytes(const Key& key) {
    if constexpr (std::is_convertible_v<const Key&, std::string_view>) {
        return std::string(std::string_view(key));
    } else {
        static_assert(fmt::is_formattable<Key>::value,
                      "dualstore: on_secondary_failure{queue}: the key type must convert to "
                      "std::string_view or be printable with fmt, to be stored in a retry queue");
        return fmt::format("{}", key);
    }
}

}  // namespace detail

}  // namespace dualstore
