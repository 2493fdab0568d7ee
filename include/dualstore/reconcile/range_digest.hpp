#pragma once
/// \file
/// Range digests: a store that can digest a `key_range` on its server
/// (`range_digest_store`) lets two stores be compared by exchanging a few
/// bytes per range instead of every row (`bisect_diff`). The digest is
/// defined to be computable in SQL, so two engines agree on it.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/md5.hpp>
#include <dualstore/key_range.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dualstore {

/// The digest of a key range: how many live records it holds and the XOR of
/// their row hashes (`row_hash`), so it does not depend on the order rows
/// are read in. Two ranges with equal digests hold the same records but
/// with a probability of about 2^-64 per range compared.
struct range_digest {
    std::uint64_t count = 0;  ///< live records in the range
    std::uint64_t hash = 0;   ///< XOR of their row hashes

    /// The hash of one record: the first 8 bytes, as a big-endian number, of
    /// MD5 over the key's length (4 bytes, big-endian), the key and the
    /// value. In PostgreSQL: the first 16 hex digits of
    /// `md5(int4send(length(k)) || k || v)`, cast to bit(64), then to int8.
    [[nodiscard]] static std::uint64_t row_hash(std::string_view key,
                                                std::string_view value) noexcept {
        const auto n = static_cast<std::uint32_t>(key.size());
        const char length[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                static_cast<char>(n >> 8), static_cast<char>(n)};
        return detail::md5_prefix64({std::string_view(length, 4), key, value});
    }

    /// Adds a record.
    void add(std::string_view key, std::string_view value) noexcept {
        ++count;
        hash ^= row_hash(key, value);
    }

    /// Digests are equal when both fields are.
    friend bool operator==(const range_digest&, const range_digest&) = default;
};

/// A key-ordered store of byte strings that works on key ranges on its own
/// side: `s.digest(range)` is the range's `range_digest`, and
/// `s.keys_every(range, step, limit)` the range's `step`-th, 2·`step`-th, ...
/// keys in order (at most `limit`), which cut it into parts of about `step`
/// records. Both read rows on the server and send back a few bytes.
template <class S>
concept range_digest_store = key_ordered_store<S> &&
    requires(S& s, const key_range& range, std::uint64_t step, std::size_t limit) {
    { s.digest(range) } -> std::same_as<range_digest>;
    { s.keys_every(range, step, limit) } -> std::same_as<std::vector<std::string>>;
};

}  // namespace dualstore
