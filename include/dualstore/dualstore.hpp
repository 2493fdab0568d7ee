#pragma once
/// \file
/// Umbrella header: the whole core library.

#include <dualstore/concepts.hpp>
#include <dualstore/dual_store.hpp>
#include <dualstore/error.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/guard.hpp>
#include <dualstore/lease_lock.hpp>
#include <dualstore/migration.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/observe/observer.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/operations.hpp>
#include <dualstore/overloaded.hpp>
#include <dualstore/policy.hpp>
#include <dualstore/read.hpp>
#include <dualstore/repair.hpp>
#include <dualstore/retry.hpp>
#include <dualstore/rollback.hpp>
#include <dualstore/stage.hpp>
#include <dualstore/thread_pool.hpp>
#include <dualstore/version.hpp>
#include <dualstore/write.hpp>
#include <dualstore/write_result.hpp>
