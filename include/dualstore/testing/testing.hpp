#pragma once
/// \file
/// The test doubles: `memory_store`, `faulty`, `stub_store`, `recording_store`.

#include <dualstore/testing/faulty.hpp>
#include <dualstore/testing/memory_store.hpp>
#include <dualstore/testing/recording_store.hpp>
#include <dualstore/testing/stub_store.hpp>
