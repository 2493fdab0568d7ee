#pragma once
/// \file
/// The hashes a reconciler uses: `digest_equal`, which compares values by a
/// 64-bit FNV-1a digest, and the salted key hash that picks a sampled
/// pass's keys.

#include <cstdint>
#include <string_view>

namespace dualstore {

/// Compares two values by a 64-bit FNV-1a digest of their bytes instead of
/// byte by byte: for stores whose values are digests already, or to keep
/// only digests in reports.
struct digest_equal {
    /// The digest of `bytes`.
    static std::uint64_t digest(std::string_view bytes) noexcept {
        std::uint64_t h = 14695981039346656037ULL;
        for (const char c : bytes) {
            h ^= static_cast<unsigned char>(c);
            h *= 1099511628211ULL;
        }
        return h;
    }
    /// Whether the digests of `a` and `b` are equal.
    bool operator()(std::string_view a, std::string_view b) const noexcept {
        return digest(a) == digest(b);
    }
};

namespace detail {

/// A 64-bit hash of `key` under `salt`: FNV-1a, then the splitmix64
/// finaliser, so that every bit depends on the salt.
[[nodiscard]] inline std::uint64_t sample_hash(std::string_view key, std::uint64_t salt) noexcept {
    std::uint64_t h = digest_equal::digest(key) ^ salt;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

}  // namespace detail

}  // namespace dualstore
