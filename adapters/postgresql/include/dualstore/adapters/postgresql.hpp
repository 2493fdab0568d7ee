#pragma once
/// \file
/// `adapters::postgresql_store`: a key-value store in a PostgreSQL table, and
/// `adapters::postgresql_lease_lock`. Models kv, scannable (keyset
/// pagination, resumable), expiring (`expires_at` column), conditional
/// (also with a time to live: `conditional_expiring_store`) and batch stores.
///
/// One idea per header, all included here: `postgresql/connection.hpp` (one
/// connection, its limits and errors), `postgresql/store.hpp` (the store),
/// `postgresql/lease_lock.hpp` (the lease lock).

#include <dualstore/adapters/postgresql/connection.hpp>
#include <dualstore/adapters/postgresql/lease_lock.hpp>
#include <dualstore/adapters/postgresql/store.hpp>
