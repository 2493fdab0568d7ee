#pragma once
/// \file
/// The library's exception types. Every error dualstore raises itself derives
/// from `dualstore::error`; errors raised by a backend propagate unchanged.

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace dualstore {

/// Base of every exception dualstore throws itself.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown by a backend that stands in for a store the process has not
/// configured (see `testing::stub_store`): touching it is a bug in the stage
/// or policy set-up.
class not_configured : public error {
public:
    using error::error;
};

/// A write the library refused because it breaks a rule the configuration
/// states (see `immutable_violation`). Retrying cannot help, so retry
/// policies never retry it, whatever their `retry_if` says.
class precondition_failed : public error {
public:
    using error::error;
};

/// Thrown by a `put` under `append_only` when the key already exists: the
/// write would change data declared immutable. Neither store was written.
class immutable_violation : public precondition_failed {
public:
    using precondition_failed::precondition_failed;
};

/// Thrown by `parse_stage` for text that names no stage. `what()` quotes the
/// input and lists the accepted names.
class invalid_stage : public error {
public:
    using error::error;
};

/// Thrown when stored bytes are not a retry entry this version can read.
class decode_error : public error {
public:
    using error::error;
};

/// The text of an exception held by `e`: its `what()` when it derives from
/// `std::exception`, a fixed phrase otherwise. Never throws.
[[nodiscard]] inline std::string describe(const std::exception_ptr& e) noexcept try {
    if (!e) return "no error";
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown exception (not derived from std::exception)";
    }
} catch (...) {
    return {};
}

/// A `write::dual_primary` write failed on the secondary after the primary
/// had succeeded; the primary was restored to its prior state.
///
/// The secondary's exception is nested: `cause()` returns it and
/// `std::rethrow_if_nested(e)` rethrows it.
class rolled_back : public error, public std::nested_exception {
public:
    /// Must be constructed while `cause` is the exception being handled, so
    /// that the nested exception and `cause()` agree (use `throw_nested`).
    explicit rolled_back(std::exception_ptr cause)
        : error("dualstore: write rolled back on the primary after the secondary failed: " +
                describe(cause)),
          cause_(std::move(cause)) {}

    /// The secondary's failure that caused the rollback.
    [[nodiscard]] const std::exception_ptr& cause() const noexcept { return cause_; }

private:
    std::exception_ptr cause_;
};

/// A rollback was needed and the restore of the primary itself failed: the
/// primary holds the new value while the caller is told the write failed.
/// Carries both causes.
class rollback_failed : public error {
public:
    rollback_failed(std::exception_ptr cause, std::exception_ptr restore_error)
        : error("dualstore: rollback failed: the secondary failed (" + describe(cause) +
                ") and restoring the primary failed too (" + describe(restore_error) + ")"),
          cause_(std::move(cause)),
          restore_error_(std::move(restore_error)) {}

    /// The secondary's failure that made a rollback necessary.
    [[nodiscard]] const std::exception_ptr& cause() const noexcept { return cause_; }
    /// The failure of the restore itself.
    [[nodiscard]] const std::exception_ptr& restore_error() const noexcept {
        return restore_error_;
    }

private:
    std::exception_ptr cause_;
    std::exception_ptr restore_error_;
};

}  // namespace dualstore
