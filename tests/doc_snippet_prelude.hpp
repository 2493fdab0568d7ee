#pragma once
// The names the C++ fragments of README.md and docs/ assume (see
// doc_snippets.cmake): what a reader of a fragment has in scope.

#include <dualstore/dualstore.hpp>
#include <dualstore/observe/metrics.hpp>
#include <dualstore/scan_range.hpp>
#include <dualstore/testing/testing.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <ranges>
#include <string>

namespace doc_prelude {
namespace ds = dualstore;
namespace dst = dualstore::testing;
using namespace std::chrono_literals;

/// A key-value store of strings.
using kv = dst::memory_store<std::string, std::string>;
/// The two stores of a migration.
inline kv old_kv, new_kv;
/// A failure sink.
inline const auto sink = [](const std::string&, ds::operation, std::exception_ptr) {};
/// An observer.
inline ds::observe::metrics metrics;
}  // namespace doc_prelude
