#pragma once
/// \file
/// `adapters::redis_store`: a key-value store in a Redis database, and
/// `adapters::redis_lease_lock`. Models kv, scannable (resumable),
/// expiring (native TTL), conditional (`SET NX`, and `SET NX PX` for
/// `conditional_expiring_store`) and batch (MGET, pipelined SETs) stores.
///
/// One idea per header, all included here: `redis/address.hpp` (the URL and
/// the errors), `redis/connection.hpp` (one connection, its timeouts),
/// `redis/store.hpp` (the store), `redis/lease_lock.hpp` (the lease lock).

#include <dualstore/adapters/redis/address.hpp>
#include <dualstore/adapters/redis/connection.hpp>
#include <dualstore/adapters/redis/lease_lock.hpp>
#include <dualstore/adapters/redis/store.hpp>
