#pragma once
/// \file
/// `testing::faulty`: wraps a backend and makes chosen calls fail (next n, at
/// a seeded rate, on chosen keys, always) or slow down, for failure tests and
/// benchmarks.

#include <dualstore/detail/forwarding_store.hpp>
#include <dualstore/detail/holder.hpp>
#include <dualstore/error.hpp>
#include <dualstore/testing/call_kind.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dualstore::testing {

/// Which calls a fault rule applies to.
enum class fault_on {
    all,     ///< every call
    reads,   ///< get, expiry, scan, get_many, change_stamp
    writes,  ///< put, put with ttl, erase, put_if_absent (with or without ttl),
             ///< put_many[_if_absent]
};

/// Whether a rule for `on` applies to a call of `kind`.
[[nodiscard]] constexpr bool applies(fault_on on, call_kind kind) noexcept {
    switch (on) {
        case fault_on::all:
            return true;
        case fault_on::reads:
            return !is_write(kind);
        case fault_on::writes:
            return is_write(kind);
    }
    return false;
}

/// The failure `faulty` throws instead of forwarding a call.
class injected_fault : public error {
public:
    /// A fault injected into a call of `kind`.
    explicit injected_fault(call_kind kind)
        : error(
              fmt::format("dualstore: injected fault: testing::faulty failed {} on purpose", kind)),
          kind_(kind) {}

    /// The call that was made to fail.
    [[nodiscard]] call_kind kind() const noexcept { return kind_; }

private:
    call_kind kind_;
};

/// Wraps the backend `S` (held by reference when `S` is `T&`, owned when it is
/// `T`) and models exactly the capability concepts `S` models. Before each
/// forwarded call it applies the fault rules: it sleeps for the latency set by
/// `add_latency`, then throws `injected_fault` (without touching the backend)
/// when a rule says so. Rules are checked in the order fail_always, fail_keys,
/// fail_next, fail_rate; a call failed by an earlier rule consumes no count and
/// no random draw of a later one. Setting a rule replaces the previous rule of
/// that kind.
///
/// Thread-safe when the backend is: the controls may be called while other
/// threads use the store. With no rule and no latency set, a call costs one
/// relaxed atomic load more than the backend's.
template <class S>
class faulty : public detail::forwarding_store<faulty<S>, S> {
    using base = detail::forwarding_store<faulty<S>, S>;
    friend base;

public:
    /// The backend's key type.
    using key_type = typename base::key_type;

    /// Wraps `inner`: refers to it when `S` is a reference, else moves it in.
    explicit faulty(S&& inner) : base(std::in_place, std::forward<S>(inner)) {}

    /// Wraps an owned backend built in place from `args` (for backends that
    /// cannot move, such as `memory_store`).
    template <class... Args>
    explicit faulty(std::in_place_t, Args&&... args)
        : base(std::in_place, std::forward<Args>(args)...) {}

    /// The next `n` calls that match `on` fail (`n` = 0 removes the rule).
    void fail_next(std::size_t n, fault_on on = fault_on::all) {
        update([&] { rules_.next = {n, on}; });
    }

    /// Each call that matches `on` fails with probability `p`, drawn from a
    /// generator seeded with `seed`: the same seed and the same sequence of
    /// calls on one thread fail the same calls, on every platform. `p` = 0
    /// removes the rule. Throws `std::invalid_argument` unless 0 <= p <= 1.
    void fail_rate(double p, std::uint64_t seed, fault_on on = fault_on::all) {
        if (!(p >= 0.0 && p <= 1.0)) {
            throw std::invalid_argument("dualstore: faulty::fail_rate needs 0 <= p <= 1");
        }
        update([&] { rules_.rate = {p, on, std::mt19937_64(seed)}; });
    }

    /// Calls that match `on` and name one of `keys` fail (a batch call fails
    /// when any of its keys is listed; a scan names no key). An empty list
    /// removes the rule.
    void fail_keys(std::vector<key_type> keys, fault_on on = fault_on::all) {
        update([&] { rules_.keys = {std::move(keys), on}; });
    }

    /// Every call that matches `on` fails, until `heal`.
    void fail_always(fault_on on = fault_on::all) {
        update([&] { rules_.always = on; });
    }

    /// Removes every fault rule; the latency set by `add_latency` stays.
    void heal() {
        update([&] { rules_ = {}; });
    }

    /// Sleeps `d` before each call that matches `on` (a real sleep, also before
    /// a call that then fails). Replaces the previous latency; zero removes it.
    void add_latency(std::chrono::microseconds d, fault_on on = fault_on::all) {
        update([&] { latency_ = {d, on}; });
    }

    /// The number of faults thrown so far.
    [[nodiscard]] std::size_t injected() const noexcept {
        return injected_.load(std::memory_order_relaxed);
    }

private:
    struct next_rule {
        std::size_t remaining = 0;
        fault_on on = fault_on::all;
    };
    struct rate_rule {
        double p = 0.0;
        fault_on on = fault_on::all;
        std::mt19937_64 generator;
    };
    struct keys_rule {
        std::vector<key_type> keys;
        fault_on on = fault_on::all;
    };
    struct latency_rule {
        std::chrono::microseconds delay{0};
        fault_on on = fault_on::all;
    };
    struct fault_rules {
        std::optional<fault_on> always;
        keys_rule keys;
        next_rule next;
        rate_rule rate;

        [[nodiscard]] bool empty() const noexcept {
            return !always && keys.keys.empty() && next.remaining == 0 && rate.p == 0.0;
        }
    };

    /// Applies `change` to the rules and re-arms the hot-path flag.
    template <class Change>
    void update(Change change) {
        std::lock_guard lock(mutex_);
        change();
        rearm();
    }

    void rearm() noexcept {
        armed_.store(!rules_.empty() || latency_.delay.count() > 0, std::memory_order_relaxed);
    }

    /// The forwarding hook: sleep and/or throw as the rules say.
    void before(call_kind kind, const typename base::keys_type& keys) {
        if (!armed_.load(std::memory_order_relaxed)) return;
        std::chrono::microseconds delay{0};
        bool fail = false;
        {
            std::lock_guard lock(mutex_);
            if (applies(latency_.on, kind)) delay = latency_.delay;
            fail = decide(kind, keys);
        }
        if (delay.count() > 0) std::this_thread::sleep_for(delay);
        if (fail) {
            injected_.fetch_add(1, std::memory_order_relaxed);
            throw injected_fault(kind);
        }
    }

    /// Whether the call fails; consumes a fail_next count or a random draw
    /// when those rules decide. Expects mutex_ held.
    bool decide(call_kind kind, const typename base::keys_type& keys) {
        if (rules_.always && applies(*rules_.always, kind)) return true;
        if (!rules_.keys.keys.empty() && applies(rules_.keys.on, kind) &&
            keys.any_of([&](const key_type& key) {
                return std::ranges::find(rules_.keys.keys, key) != rules_.keys.keys.end();
            })) {
            return true;
        }
        if (rules_.next.remaining > 0 && applies(rules_.next.on, kind)) {
            if (--rules_.next.remaining == 0) rearm();
            return true;
        }
        if (rules_.rate.p > 0.0 && applies(rules_.rate.on, kind)) {
            // 53 random bits as a double in [0, 1): the same on every platform,
            // unlike std::bernoulli_distribution.
            const double draw = static_cast<double>(rules_.rate.generator() >> 11) * 0x1.0p-53;
            return draw < rules_.rate.p;
        }
        return false;
    }

    std::atomic<bool> armed_{false};
    std::atomic<std::size_t> injected_{0};
    std::mutex mutex_;
    fault_rules rules_;
    latency_rule latency_;
};

/// Deduces `faulty<T&>` from an lvalue (held by reference) and `faulty<T>`
/// from an rvalue (moved in and owned).
template <class S>
faulty(S&&) -> faulty<detail::held_t<S&&>>;

}  // namespace dualstore::testing
