#pragma once
/// \file
/// Key samples a store draws on its server: a `key_sampling_store` returns
/// the keys of smallest `key_sample_hash` under a salt (a bottom-k sample)
/// and how many keys it holds, so a sampled reconciliation reads about the
/// sample instead of every key.

#include <dualstore/detail/md5.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore {

/// The keys of smallest hash a store holds, and how many keys it holds.
struct key_hash_sample {
    /// At most the asked-for number of (hash, key), ascending.
    std::vector<std::pair<std::uint64_t, std::string>> smallest;
    /// Every live key of the store.
    std::uint64_t keys = 0;
};

namespace detail {
/// The salt as `key_sample_hash` hashes it before the key: 8 bytes, big-endian.
[[nodiscard]] inline std::array<char, 8> key_sample_salt(std::uint64_t salt) noexcept {
    std::array<char, 8> bytes{};
    for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>(salt >> (56 - 8 * i));
    return bytes;
}
}  // namespace detail

/// The hash keys are sampled by under `salt`: the first 8 bytes, as a
/// big-endian number, of MD5 over the salt (8 bytes, big-endian) and the
/// key. In SQL: the first 16 hex digits of `md5(salt || k)`. The same in
/// every store, so samples of two stores meet on the keys both hold.
[[nodiscard]] inline std::uint64_t key_sample_hash(std::string_view key,
                                                   std::uint64_t salt) noexcept {
    const auto be = detail::key_sample_salt(salt);
    return detail::md5_prefix64({std::string_view(be.data(), be.size()), key});
}

/// Whether `S` draws key samples itself: `sample_keys(salt, n)` returns the
/// `n` live keys of smallest `key_sample_hash(key, salt)` (ties by key, in
/// byte order) with their hashes, and the number of live keys, reading on
/// its server what it must and sending back only the sample.
template <class S>
concept key_sampling_store = requires(S& s, std::uint64_t salt, std::size_t n) {
    { s.sample_keys(salt, n) } -> std::same_as<key_hash_sample>;
};

}  // namespace dualstore
