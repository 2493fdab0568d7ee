#pragma once
/// \file
/// `testing::stub_store`: a backend that must never be used. Proves that a
/// migration stage or policy leaves a store alone.

#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>
#include <dualstore/testing/call_kind.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace dualstore::testing {

/// A backend that models every capability concept and whose every member
/// counts a touch and then throws `dualstore::not_configured` ("dualstore:
/// stub store '<name>' touched by <call>: this store is not configured").
///
/// Thread-safe.
template <class Key, class Value>
class stub_store {
public:
    /// The key type.
    using key_type = Key;
    /// The value type.
    using mapped_type = Value;
    /// The scan cursor (`scannable_store`); carries nothing.
    struct cursor_type {
        /// All cursors are equal.
        friend bool operator==(const cursor_type&, const cursor_type&) = default;
    };

    /// A stub called `name` in its error messages.
    explicit stub_store(std::string name = "stub") : name_(std::move(name)) {}

    /// Throws `not_configured`.
    [[noreturn]] std::optional<Value> get(const Key&) const { touch(call_kind::get); }
    /// Throws `not_configured`.
    [[noreturn]] void put(const Key&, const Value&) { touch(call_kind::put); }
    /// Throws `not_configured`.
    [[noreturn]] bool erase(const Key&) { touch(call_kind::erase); }
    /// Throws `not_configured`.
    [[noreturn]] scan_page<Key, Value, cursor_type> scan(const cursor_type&, std::size_t) const {
        touch(call_kind::scan);
    }
    /// Throws `not_configured`.
    [[noreturn]] void put(const Key&, const Value&, std::chrono::milliseconds) {
        touch(call_kind::put_ttl);
    }
    /// Throws `not_configured`.
    [[noreturn]] std::optional<expiry_clock::time_point> expiry(const Key&) const {
        touch(call_kind::expiry);
    }
    /// Throws `not_configured`.
    [[noreturn]] bool put_if_absent(const Key&, const Value&) { touch(call_kind::put_if_absent); }
    /// Throws `not_configured`.
    [[noreturn]] bool put_if_absent(const Key&, const Value&, std::chrono::milliseconds) {
        touch(call_kind::put_if_absent_ttl);
    }
    /// Throws `not_configured`.
    [[noreturn]] std::vector<std::optional<Value>> get_many(std::span<const Key>) const {
        touch(call_kind::get_many);
    }
    /// Throws `not_configured`.
    [[noreturn]] void put_many(std::span<const std::pair<Key, Value>>) {
        touch(call_kind::put_many);
    }
    /// Throws `not_configured`.
    [[noreturn]] std::vector<bool> put_many_if_absent(std::span<const std::pair<Key, Value>>) {
        touch(call_kind::put_many_if_absent);
    }
    /// Throws `not_configured`.
    [[noreturn]] void put_many(std::span<const std::pair<Key, Value>>,
                               std::span<const time_to_live>) {
        touch(call_kind::put_many);
    }
    /// Throws `not_configured`.
    [[noreturn]] std::vector<bool> put_many_if_absent(std::span<const std::pair<Key, Value>>,
                                                      std::span<const time_to_live>) {
        touch(call_kind::put_many_if_absent);
    }
    /// Throws `not_configured`.
    [[noreturn]] std::uint64_t change_stamp() const { touch(call_kind::change_stamp); }

    /// How many calls have been made (each of which threw).
    [[nodiscard]] std::size_t touches() const noexcept {
        return touches_.load(std::memory_order_relaxed);
    }

    /// The name used in error messages.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    [[noreturn]] void touch(call_kind kind) const {
        touches_.fetch_add(1, std::memory_order_relaxed);
        throw not_configured(fmt::format(
            "dualstore: stub store '{}' touched by {}: this store is not configured", name_, kind));
    }

    std::string name_;
    mutable std::atomic<std::size_t> touches_{0};
};

}  // namespace dualstore::testing
