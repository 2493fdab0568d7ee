#pragma once
/// \file
/// The test doubles (`memory_store`, `faulty`, `stub_store`,
/// `recording_store`) and the schedule explorer (`explore`, `schedule`,
/// `explored_store`).

#include <dualstore/testing/explorer.hpp>
#include <dualstore/testing/faulty.hpp>
#include <dualstore/testing/memory_store.hpp>
#include <dualstore/testing/recording_store.hpp>
#include <dualstore/testing/schedule.hpp>
#include <dualstore/testing/stub_store.hpp>
