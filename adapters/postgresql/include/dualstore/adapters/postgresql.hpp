#pragma once
/// \file
/// `adapters::postgresql_store`: a key-value store in a PostgreSQL table, and
/// `adapters::postgresql_lease_lock`, and `adapters::postgresql_retry_queue`
/// (claims with `FOR UPDATE SKIP LOCKED`). The store models kv, scannable (keyset
/// pagination, resumable), expiring (`expires_at` column), conditional
/// (also with a time to live: `conditional_expiring_store`) and batch stores.
///
/// One idea per header, all included here: `postgresql/connection.hpp` (one
/// connection, its limits and errors), `postgresql/store.hpp` (the store),
/// `postgresql/lease_lock.hpp` (the lease lock), `postgresql/retry_queue.hpp`
/// (the queue).

#include <dualstore/adapters/postgresql/connection.hpp>
#include <dualstore/adapters/postgresql/lease_lock.hpp>
#include <dualstore/adapters/postgresql/retry_queue.hpp>
#include <dualstore/adapters/postgresql/store.hpp>
