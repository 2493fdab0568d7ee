#pragma once
/// \file
/// An observer that counts every event a dual store reports and keeps the
/// keys of mismatches and secondary failures. Thread-safe.

#include <dualstore/error.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/observe/printable.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

namespace dualstore::testing {

/// Counts events; keeps printable descriptions of mismatches, secondary
/// failures and rollbacks for assertions. Keys and values are printed with
/// fmt when they are formattable.
class counting_observer {
public:
    std::atomic<std::size_t> operations{0};          ///< operation_event count
    std::atomic<std::size_t> failed_operations{0};   ///< operation_event with ok == false
    std::atomic<std::size_t> retries{0};             ///< retry_event count
    std::atomic<std::size_t> secondary_failures{0};  ///< secondary_failure_event count
    std::atomic<std::size_t> sink_errors{0};         ///< sink_error_event count
    std::atomic<std::size_t> rollbacks{0};           ///< rollback_event with the primary restored
    std::atomic<std::size_t> failed_rollbacks{0};    ///< rollback_event whose restore failed
    std::atomic<std::size_t> mismatches{0};          ///< mismatch_event count
    std::atomic<std::size_t> shadow_errors{0};       ///< shadow_error_event count

    void on(const observe::operation_event& e) {
        ++operations;
        if (!e.ok) ++failed_operations;
    }
    void on(const observe::retry_event&) { ++retries; }
    template <class Key>
    void on(const observe::secondary_failure_event<Key>& e) {
        ++secondary_failures;
        remember(failure_log_, fmt::format("{} {}", e.op, observe::printable(e.key)));
    }
    template <class Key>
    void on(const observe::sink_error_event<Key>&) {
        ++sink_errors;
    }
    template <class Key>
    void on(const observe::rollback_event<Key>& e) {
        ++(e.restored() ? rollbacks : failed_rollbacks);
        remember(rollback_log_, fmt::format("{} {}", e.op, observe::printable(e.key)));
    }
    template <class Key, class P, class S>
    void on(const observe::mismatch_event<Key, P, S>& e) {
        ++mismatches;
        remember(mismatch_log_, fmt::format("{}: {} != {}", observe::printable(e.key),
                                            answer(e.primary, e.primary_error),
                                            answer(e.secondary, e.secondary_error)));
    }
    template <class Key>
    void on(const observe::shadow_error_event<Key>&) {
        ++shadow_errors;
    }

    /// Each mismatch as "key: primary != secondary" (a failed side as "<error: what>").
    [[nodiscard]] std::vector<std::string> mismatch_log() const { return copy(mismatch_log_); }
    /// Each secondary failure as "operation key".
    [[nodiscard]] std::vector<std::string> failure_log() const { return copy(failure_log_); }
    /// Each rollback as "operation key".
    [[nodiscard]] std::vector<std::string> rollback_log() const { return copy(rollback_log_); }

private:
    /// The answer of one side of a shadow read, or "<error: what>".
    template <class T>
    static std::string answer(const T* value, const std::exception_ptr& error) {
        return error ? fmt::format("<error: {}>", describe(error)) : observe::printable(value);
    }

    void remember(std::vector<std::string>& log, std::string line) {
        std::lock_guard lock(mutex_);
        log.push_back(std::move(line));
    }

    std::vector<std::string> copy(const std::vector<std::string>& log) const {
        std::lock_guard lock(mutex_);
        return log;
    }

    mutable std::mutex mutex_;
    std::vector<std::string> mismatch_log_;
    std::vector<std::string> failure_log_;
    std::vector<std::string> rollback_log_;
};

}  // namespace dualstore::testing
