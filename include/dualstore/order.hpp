#pragma once
/// \file
/// Ordering policies: whether writes to one key reach both stores in the same
/// order when several threads write that key at once.

#include <dualstore/policy.hpp>

#include <cstddef>

namespace dualstore::order {

/// Per-key ordering (the default): a write holds its key's lock from before
/// its first store call until its last one (both sides, retries, rollback and
/// the failure sink included), so two writes to one key reach both stores in
/// the same order and a rollback never undoes another writer's acknowledged
/// write. Keys are spread over `stripes` mutexes by hash (rounded up to a
/// power of two): writes to keys of different stripes never wait for each
/// other; two keys that share a stripe are ordered too, which is harmless.
/// Cost: hashing the key and one uncontended lock and unlock, inline, per
/// write (about 90 instructions, 8–15 ns; see benchmarks/README.md); reads
/// take no lock. Keyless `write(op)` is not
/// ordered.
struct per_key {
    using category = order_tag;
    /// How many locks the keys are spread over.
    std::size_t stripes = 1024;
};

/// No ordering by the library: the caller guarantees that no two writes to
/// one key through this store overlap (for example each key is owned by one
/// thread, or the caller holds its own per-key lock). Two overlapping writes
/// to one key may then reach the stores in different orders, and the stores
/// stay different without any failure being reported. `write::dual_primary`
/// refuses it: its rollback is only correct when writes to a key are ordered.
struct by_caller {
    using category = order_tag;
};

}  // namespace dualstore::order
