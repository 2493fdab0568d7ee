#pragma once
// The renewal check every server-backed `renewable_lease_lock` passes, on the
// server's real clock: only the token's holder renews, a renewal moves the
// lapse, and a lease that lapsed and was taken by another is lost for good.

#include <dualstore/lease_lock.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

namespace lease_renewal {

/// Runs the check on `lock`, which holds no lease named "job" or "brief".
template <dualstore::renewable_lease_lock Lock>
void check(Lock& lock) {
    using std::chrono::milliseconds;
    const auto held = lock.try_acquire("job", milliseconds(300));
    REQUIRE(held);
    auto forged = *held;
    forged.token = "someone else";
    CHECK_FALSE(lock.renew(forged, milliseconds(10000)));
    const auto renewed = lock.renew(*held, milliseconds(10000));
    REQUIRE(renewed);
    CHECK(renewed->token == held->token);
    std::this_thread::sleep_for(milliseconds(400));  // past the first lapse
    CHECK_FALSE(lock.try_acquire("job", milliseconds(10000)));
    CHECK(lock.release(*renewed));
    const auto brief = lock.try_acquire("brief", milliseconds(50));
    REQUIRE(brief);
    std::this_thread::sleep_for(milliseconds(100));
    REQUIRE(lock.try_acquire("brief", milliseconds(10000)));
    CHECK_FALSE(lock.renew(*brief, milliseconds(10000)));
}

}  // namespace lease_renewal
