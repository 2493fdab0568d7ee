#pragma once
// Shared aliases and helpers for the core tests.

#include <dualstore/dualstore.hpp>
#include <dualstore/testing/counting_observer.hpp>
#include <dualstore/testing/faulty.hpp>
#include <dualstore/testing/manual_clock.hpp>
#include <dualstore/testing/memory_store.hpp>
#include <dualstore/testing/recording_store.hpp>
#include <dualstore/testing/stub_store.hpp>

#include <catch2/catch.hpp>

#include <exception>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace ds = dualstore;
namespace dst = dualstore::testing;
using namespace std::chrono_literals;

using kv = dst::memory_store<std::string, std::string>;
using flaky = dst::faulty<kv&>;

/// A failure sink that remembers what it was given. Thread-safe.
struct sink_record {
    struct entry {
        std::string key;
        ds::operation op;
        std::string error;
    };

    void operator()(const std::string& key, ds::operation op, const std::exception_ptr& e) {
        std::lock_guard lock(mutex);
        entries.push_back({key, op, ds::describe(e)});
    }

    std::vector<entry> taken() {
        std::lock_guard lock(mutex);
        return entries;
    }

    std::mutex mutex;
    std::vector<entry> entries;
};

/// The exception type a test throws on purpose.
struct permanent_error : ds::error {
    using ds::error::error;
};

/// Calls `fn` and returns the exception it throws (null if none).
template <class Fn>
std::exception_ptr thrown_by(Fn&& fn) {
    try {
        fn();
    } catch (...) {
        return std::current_exception();
    }
    return nullptr;
}
