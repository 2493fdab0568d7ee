#pragma once
/// \file
/// Calls an operation under a retry policy, recording the outcome.

#include <dualstore/error.hpp>
#include <dualstore/retry.hpp>
#include <dualstore/write_result.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <type_traits>

namespace dualstore::detail {

/// Whether `policy` allows retrying the exception being handled. A
/// `precondition_failed` (a refusal, not a fault) is never retried.
template <class Policy>
bool retry_allowed(const Policy& policy) noexcept {
    try {
        throw;
    } catch (const precondition_failed&) {
        return false;
    } catch (const std::exception& e) {
        if (!policy.retry_if) return true;
        try {
            return policy.retry_if(e);
        } catch (...) {
            return false;  // a predicate that throws cannot vouch for a retry
        }
    } catch (...) {
        return !policy.retry_if;
    }
}

/// Records the exception being handled as `status`'s failure.
inline void record_failure(side_status& status) noexcept {
    status.status = outcome::failed;
    status.error = std::current_exception();
}

/// `retry::none`: calls `fn()` once; on failure records it in `status` and
/// rethrows. Always inlined: it is on every call of every store, and the
/// try block costs nothing until something throws.
template <class Fn, class OnRetry>
[[gnu::always_inline]] inline decltype(auto) call_with_retry(const retry::none& /*policy*/,
                                                             side_status& status, Fn&& fn,
                                                             OnRetry&& /*on_retry*/) {
    status.attempts = 1;
    try {
        return fn();
    } catch (...) {
        record_failure(status);
        throw;
    }
}

/// Calls `fn()` until it returns or the policy gives up, then rethrows the
/// last exception. `status` gets the number of calls and, on failure, the
/// failed outcome and the error; `on_retry(attempt, delay, error)` runs
/// before each pause.
template <class Policy, class Fn, class OnRetry>
decltype(auto) call_with_retry(const Policy& policy, side_status& status, Fn&& fn,
                               OnRetry&& on_retry) {
    const unsigned limit = std::max(policy.attempts, 1U);
    const bool bounded_time = policy.max_elapsed > std::chrono::nanoseconds::zero();
    const auto start =
        bounded_time ? policy.clock.read_clock() : std::chrono::steady_clock::time_point{};
    for (status.attempts = 1;; ++status.attempts) {
        std::chrono::nanoseconds delay{};
        std::exception_ptr error;
        try {
            return fn();
        } catch (...) {
            if (status.attempts < limit && retry_allowed(policy)) {
                delay = policy.delay_after(status.attempts);
                const bool in_time = !bounded_time || policy.clock.read_clock() - start + delay <=
                                                          policy.max_elapsed;
                if (in_time) error = std::current_exception();
            }
            if (!error) {
                record_failure(status);
                throw;
            }
        }
        on_retry(status.attempts, delay, error);
        policy.clock.wait(delay);
    }
}

}  // namespace dualstore::detail
