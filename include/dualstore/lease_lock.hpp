#pragma once
/// \file
/// The `lease_lock` port: a named lease held for a bounded time, so a job
/// (a reconciliation run, a drain) runs at most once across instances. A lease
/// that is not released lapses on its own, so a crashed holder blocks nobody
/// for longer than the lease's duration.

#include <chrono>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>

namespace dualstore {

/// A lease granted by a `lease_lock`.
struct lease {
    /// The name the lease was taken on.
    std::string name;
    /// Proof of ownership, unique per grant: only the holder of the token can
    /// release the lease.
    std::string token;
    /// When the lease lapses if not released (the lock's own clock).
    std::chrono::system_clock::time_point expires_at;
};

/// A lock of named leases. `try_acquire(name, duration)` grants the lease when
/// nobody holds it (or the previous lease lapsed) and returns `std::nullopt`
/// otherwise, without waiting. `release(lease)` gives it back and returns
/// `true` only when the token still owned it (a lapsed lease, since taken by
/// someone else, is left alone).
template <class L>
concept lease_lock = requires(L& lock, std::string_view name, std::chrono::milliseconds duration,
                              const lease& held) {
    { lock.try_acquire(name, duration) } -> std::same_as<std::optional<lease>>;
    { lock.release(held) } -> std::same_as<bool>;
};

/// A `lease_lock` whose holder can extend its lease: `renew(held, duration)`
/// returns the lease lapsing `duration` from now when `held`'s token still
/// owns it, and `std::nullopt` when it does not (released, or lapsed and
/// taken by someone else; a lapsed lease nobody took may or may not be
/// renewed, so renew well before the end). A long job renews between steps
/// instead of taking a lease longer than its whole run.
template <class L>
concept renewable_lease_lock = lease_lock<L> &&
    requires(L& lock, const lease& held, std::chrono::milliseconds duration) {
    { lock.renew(held, duration) } -> std::same_as<std::optional<lease>>;
};

}  // namespace dualstore
