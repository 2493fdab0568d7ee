#pragma once
/// \file
/// `memory_lease_lock`: leases within one process (tests, single instances).

#include <dualstore/detail/lease_token.hpp>
#include <dualstore/lease_lock.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace dualstore {

/// A thread-safe `lease_lock` in memory, on an injectable clock.
///
/// `Mutex` guards the leases: a `std::mutex` in the alias `memory_lease_lock`,
/// or any type with `lock()` and `unlock()` (one that counts its locks, in a
/// test). Being a class template, its members compile only in a file that
/// uses them.
template <class Mutex = std::mutex>
class basic_memory_lease_lock {
public:
    /// The clock leases lapse on; empty means `system_clock::now`.
    using clock_fn = std::function<std::chrono::system_clock::time_point()>;

    /// A lock on `clock`.
    explicit basic_memory_lease_lock(clock_fn clock = {}) : clock_(std::move(clock)) {}

    /// Grants `name` for `duration` unless someone holds it.
    std::optional<lease> try_acquire(std::string_view name, std::chrono::milliseconds duration) {
        const auto now = clock_ ? clock_() : std::chrono::system_clock::now();
        const std::lock_guard lock(mutex_);
        const auto found = leases_.find(name);
        if (found != leases_.end() && found->second.expires_at > now) return std::nullopt;
        lease granted{std::string(name), detail::new_lease_token(), now + duration};
        leases_.insert_or_assign(std::string(name), granted);
        return granted;
    }

    /// Extends `held` to lapse `duration` from now if its token still owns
    /// the lease.
    std::optional<lease> renew(const lease& held, std::chrono::milliseconds duration) {
        const auto now = clock_ ? clock_() : std::chrono::system_clock::now();
        const std::lock_guard lock(mutex_);
        const auto found = leases_.find(held.name);
        if (found == leases_.end() || found->second.token != held.token) return std::nullopt;
        found->second.expires_at = now + duration;
        return found->second;
    }

    /// Releases `held` if its token still owns the lease.
    bool release(const lease& held) {
        const std::lock_guard lock(mutex_);
        const auto found = leases_.find(held.name);
        if (found == leases_.end() || found->second.token != held.token) return false;
        leases_.erase(found);
        return true;
    }

private:
    clock_fn clock_;
    Mutex mutex_;
    std::map<std::string, lease, std::less<>> leases_;
};

/// Leases in memory guarded by a `std::mutex`.
using memory_lease_lock = basic_memory_lease_lock<>;

}  // namespace dualstore
