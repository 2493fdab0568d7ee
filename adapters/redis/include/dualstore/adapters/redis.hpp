#pragma once
/// \file
/// `adapters::redis_store`: a key-value store in a Redis database (kv,
/// scannable (resumable), expiring (native TTL), conditional (`SET NX`, and
/// `SET NX PX` for `conditional_expiring_store`), batch (MGET, pipelined
/// SETs) and key sampling (`SCAN`, or a Lua script on the server));
/// `adapters::redis_lease_lock`;
/// `adapters::redis_stream_retry_queue`.
///
/// One idea per header, all included here: `redis/address.hpp` (the URL and
/// the errors), `redis/connection.hpp` (one connection, its timeouts),
/// `redis/store.hpp` (the store), `redis/key_sample.hpp` (its samples drawn
/// on the server), `redis/lease_lock.hpp` (the lease lock),
/// `redis/stream_retry_queue.hpp` (the retry queue on Redis Streams).

#include <dualstore/adapters/redis/address.hpp>
#include <dualstore/adapters/redis/connection.hpp>
#include <dualstore/adapters/redis/key_sample.hpp>
#include <dualstore/adapters/redis/lease_lock.hpp>
#include <dualstore/adapters/redis/store.hpp>
#include <dualstore/adapters/redis/stream_retry_queue.hpp>
