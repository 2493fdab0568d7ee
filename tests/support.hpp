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

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
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

/// Sets (or, given null, unsets) an environment variable for a scope, then
/// restores it. Only while no other thread reads the environment.
class scoped_environment {
public:
    scoped_environment(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) saved_ = old;  // NOLINT(concurrency-mt-unsafe)
        set(value);
    }
    scoped_environment(const scoped_environment&) = delete;
    scoped_environment& operator=(const scoped_environment&) = delete;
    ~scoped_environment() { set(saved_ ? saved_->c_str() : nullptr); }

private:
    void set(const char* value) const {
        if (value != nullptr) {
            ::setenv(name_, value, 1);
        } else {
            ::unsetenv(name_);
        }
    }

    const char* name_;
    std::optional<std::string> saved_;
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

/// A scannable store with none of the optional capabilities (no
/// put_if_absent, expiry or batch operations), over a memory_store.
struct scan_only_store {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = kv::cursor_type;
    kv inner;
    std::optional<std::string> get(const std::string& k) { return inner.get(k); }
    void put(const std::string& k, const std::string& v) { inner.put(k, v); }
    bool erase(const std::string& k) { return inner.erase(k); }
    auto scan(const cursor_type& c, std::size_t n) { return inner.scan(c, n); }
};

/// A `std::mutex` that counts how often mutexes of its type were locked:
/// what a class that takes its mutex as a template parameter locks.
class counting_mutex {
public:
    void lock() {
        mutex_.lock();
        ++locks();
    }
    void unlock() { mutex_.unlock(); }
    /// Locks of every `counting_mutex` so far.
    static std::atomic<long>& locks() {
        static std::atomic<long> count{0};
        return count;
    }

private:
    std::mutex mutex_;
};

/// A fresh directory under the system's temporary directory, removed with the object.
class temp_dir {
public:
    explicit temp_dir(std::string_view tag)
        : path_(std::filesystem::temp_directory_path() /
                fmt::format("dualstore-{}-{}-{}", tag, ::getpid(), next_number()++)) {
        std::filesystem::create_directories(path_);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    /// The directory.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// `name` inside it, as a string.
    [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

private:
    static std::atomic<int>& next_number() {
        static std::atomic<int> n{0};
        return n;
    }
    std::filesystem::path path_;
};
