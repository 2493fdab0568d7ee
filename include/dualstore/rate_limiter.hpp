#pragma once
/// \file
/// `rate_limiter`: a token bucket on an injectable clock.

#include <dualstore/timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace dualstore {

/// Lets at most `rate` operations per second through on average, with
/// bursts of at most `burst`; `acquire(n)` sleeps (on the timer) until `n`
/// tokens are there. A rate of 0 means unlimited. Not thread-safe.
class rate_limiter {
public:
    /// A bucket of `burst` tokens refilled at `rate` per second, on `clock`.
    rate_limiter(double rate, std::size_t burst, timer clock = {})
        : rate_(rate),
          burst_(static_cast<double>(std::max<std::size_t>(burst, 1))),
          clock_(std::move(clock)),
          tokens_(burst_),
          last_(clock_.read_clock()) {}

    /// Takes `n` tokens, waiting for them if needed.
    void acquire(std::size_t n) {
        if (rate_ <= 0) return;
        refill();
        const auto wanted = static_cast<double>(n);
        if (tokens_ < wanted) {
            const auto missing = wanted - tokens_;
            clock_.wait(std::chrono::nanoseconds(static_cast<std::int64_t>(missing / rate_ * 1e9)));
            refill();
        }
        tokens_ -= wanted;  // may go below zero for n > burst: repaid by the next wait
    }

private:
    void refill() {
        const auto now = clock_.read_clock();
        const std::chrono::duration<double> elapsed = now - last_;
        last_ = now;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    }

    double rate_;
    double burst_;
    timer clock_;
    double tokens_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace dualstore
