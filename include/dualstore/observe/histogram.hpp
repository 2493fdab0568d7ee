#pragma once
/// \file
/// `observe::latency_histogram`: a lock-free histogram of durations with
/// fixed log-scale buckets, and percentiles read from it.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace dualstore::observe {

/// Durations counted in fixed buckets from 1 µs to 10 s (1-2.5-5 steps) and
/// one for anything slower. `record` is wait-free (relaxed atomics).
class latency_histogram {
public:
    /// The upper bounds of the finite buckets, in nanoseconds.
    static constexpr std::array<std::int64_t, 22> bounds{
        1'000,         2'500,         5'000,         10'000,        25'000,      50'000,
        100'000,       250'000,       500'000,       1'000'000,     2'500'000,   5'000'000,
        10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000, 500'000'000,
        1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};

    /// An empty histogram.
    latency_histogram() = default;
    /// A snapshot of `other`'s counts (each read on its own, relaxed).
    latency_histogram(const latency_histogram& other) noexcept { add(other); }
    latency_histogram& operator=(const latency_histogram&) = delete;

    /// Adds the counts of `other` to this histogram's.
    void add(const latency_histogram& other) noexcept {
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            counts_[i].fetch_add(other.bucket(i), std::memory_order_relaxed);
        }
        sum_ns_.fetch_add(other.sum_ns_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }

    /// Counts one duration.
    void record(std::chrono::nanoseconds d) noexcept {
        std::size_t i = 0;
        while (i < bounds.size() && d.count() > bounds[i]) ++i;
        counts_[i].fetch_add(1, std::memory_order_relaxed);
        sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count()),
                          std::memory_order_relaxed);
    }

    /// The durations in bucket `i` (the last one is above every bound).
    [[nodiscard]] std::uint64_t bucket(std::size_t i) const noexcept {
        return counts_[i].load(std::memory_order_relaxed);
    }

    /// How many durations were counted.
    [[nodiscard]] std::uint64_t count() const noexcept {
        std::uint64_t n = 0;
        for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
        return n;
    }

    /// Their sum.
    [[nodiscard]] std::chrono::nanoseconds sum() const noexcept {
        return std::chrono::nanoseconds(
            static_cast<std::int64_t>(sum_ns_.load(std::memory_order_relaxed)));
    }

    /// The `q`-quantile (0 < q ≤ 1), interpolated linearly inside its
    /// bucket; the largest bound when it lies above all of them; zero when
    /// empty. Accurate to the bucket's width.
    [[nodiscard]] std::chrono::nanoseconds percentile(double q) const noexcept {
        const auto total = count();
        if (total == 0) return {};
        const double rank = q * static_cast<double>(total);
        double seen = 0;
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            const auto in_bucket = static_cast<double>(bucket(i));
            if (in_bucket > 0 && seen + in_bucket >= rank) {
                const double low = i == 0 ? 0.0 : static_cast<double>(bounds[i - 1]);
                const double high = static_cast<double>(bounds[i]);
                const double within = (rank - seen) / in_bucket;
                return std::chrono::nanoseconds(
                    static_cast<std::int64_t>(low + within * (high - low)));
            }
            seen += in_bucket;
        }
        return std::chrono::nanoseconds(bounds.back());
    }

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> counts_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace dualstore::observe
