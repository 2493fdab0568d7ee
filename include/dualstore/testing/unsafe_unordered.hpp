#pragma once
/// \file
/// `testing::unsafe_unordered`: an ordering policy that switches per-key
/// ordering off even for `write::dual_primary`, which refuses
/// `order::by_caller`. It exists so a test can show what ordering prevents
/// (the schedule explorer finds a rollback undoing another writer's
/// acknowledged write without it). Never use it in a service.

#include <dualstore/policy.hpp>

namespace dualstore::testing {

/// No per-key ordering, accepted by every write policy. For tests only.
struct unsafe_unordered {
    using category = order_tag;
};

}  // namespace dualstore::testing
