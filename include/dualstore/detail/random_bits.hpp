#pragma once
/// \file
/// `random_bits()`: 64 random bits per call from a per-thread splitmix64
/// generator, for backoff jitter, shadow sampling and identifiers that must
/// not collide. Each thread's seed mixes both clocks, an address on its
/// stack and a process-wide count of threads seeded, so threads and
/// processes draw different sequences; not for secrets. It keeps `<random>`
/// out of the headers every user includes (measured in benchmarks/README.md).

#include <atomic>
#include <chrono>
#include <cstdint>

namespace dualstore::detail {

/// The next output of splitmix64 (Steele, Lea and Flood) from `state`,
/// which it advances.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
}

/// 64 random bits from the calling thread's generator.
inline std::uint64_t random_bits() noexcept {
    static constinit std::atomic<std::uint64_t> seeded{0};
    thread_local std::uint64_t state = [] {
        std::uint64_t seed =
            static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        seed ^=
            static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())
            << 17U;
        seed ^= static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&seed));
        seed += seeded.fetch_add(1, std::memory_order_relaxed) * 0xD1B54A32D192ED03ULL;
        return splitmix64(seed);
    }();
    return splitmix64(state);
}

/// A seeded splitmix64 generator: a uniform random bit generator (for
/// `std::shuffle`, say) whose sequence a seed fixes, without `<random>`.
class splitmix64_engine {
public:
    /// The generated numbers: 64 bits.
    using result_type = std::uint64_t;
    /// Starts the sequence `seed` fixes.
    explicit splitmix64_engine(std::uint64_t seed) noexcept : state_(seed) {}
    /// The smallest number generated.
    static constexpr result_type min() noexcept { return 0; }
    /// The largest number generated.
    static constexpr result_type max() noexcept { return ~result_type{0}; }
    /// The next number.
    result_type operator()() noexcept { return splitmix64(state_); }

private:
    std::uint64_t state_;
};

/// A double uniform in [0, 1): the top 53 of 64 random bits.
inline double random_fraction() noexcept {
    return static_cast<double>(random_bits() >> 11U) * 0x1.0p-53;
}

}  // namespace dualstore::detail
