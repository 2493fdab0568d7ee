#pragma once
/// \file
/// Data guards: rules about what writes are allowed at all, checked before
/// either store is written.

#include <dualstore/policy.hpp>

namespace dualstore {

/// No guard (the default): every write is allowed.
struct no_guard {
    using category = guard_tag;
};

/// For ledger-like data that is written once and never changed: `erase` and
/// generic `write(op)` do not compile, and a `put` over a key the
/// authoritative store already has throws `immutable_violation` without
/// writing either store. The existence check reads the authoritative store;
/// when that store is a `conditional_store` its write is also a
/// `put_if_absent`, so two racing puts of one new key cannot both succeed.
struct append_only {
    using category = guard_tag;
};

}  // namespace dualstore
