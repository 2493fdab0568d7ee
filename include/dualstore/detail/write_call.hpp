#pragma once
/// \file
/// One write in flight, as a write policy and a rollback policy see it.

#include <dualstore/error.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/write_result.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace dualstore::detail {

/// The value a write's primary call returned (nothing for `void`).
template <class R>
struct returned {
    std::optional<std::remove_cvref_t<R>> value;
    template <class Fn>
    void assign(Fn&& fn) {
        value.emplace(fn());
    }
};
template <>
struct returned<void> {
    template <class Fn>
    void assign(Fn&& fn) {
        fn();
    }
};

/// A finished write: each side's outcome, and what the primary's call
/// returned (`erase`: whether the key existed).
template <class R>
struct write_done {
    write_result result;
    returned<R> primary;
};

/// One write in flight: `primary_op` for the primary, `secondary_op` for the
/// secondary, of `key` (null for a keyless write). A write policy's
/// `apply(call)` runs it through the members below; each side's call is
/// retried, timed and reported by `Caller` (a `side_caller`), and its
/// outcome lands in `result()`.
template <class Caller, class Rollback, class P, class S, class Key, class PrimaryOp,
          class SecondaryOp>
class write_call {
public:
    /// The primary store's type.
    using primary_store = P;
    /// The primary operation's type.
    using primary_operation = PrimaryOp;
    /// What the primary operation returns.
    using primary_result = std::invoke_result_t<const PrimaryOp&, P&>;

    write_call(Caller& caller, Rollback& rollback, P& p, S& s, const Key* key, operation kind,
               const failure_origin& origin, const PrimaryOp& primary_op,
               const SecondaryOp& secondary_op) noexcept
        : caller_(caller),
          rollback_(rollback),
          p_(p),
          s_(s),
          key_(key),
          kind_(kind),
          origin_(origin),
          primary_op_(primary_op),
          secondary_op_(secondary_op) {}

    /// Writes the primary; its failure propagates. Keeps what it returned.
    void primary() {
        answer_.assign([&]() -> decltype(auto) {
            return caller_.call(side::primary, origin_.primary_store(), kind_, p_, primary_op_,
                                result_.primary);
        });
    }

    /// Writes the secondary; its failure is recorded in `result().secondary`
    /// and propagates.
    void secondary() {
        caller_.call(side::secondary, other_store(origin_.primary_store()), kind_, s_,
                     secondary_op_, result_.secondary);
    }

    /// Reports the secondary failure recorded in `result()` to the failure
    /// sink and the observers.
    void secondary_failed() noexcept { caller_.secondary_failed(key_, kind_, origin_, result_); }

    /// Hands the key to the failure sink after the primary failed with
    /// `error` while the secondary may hold the new value, so the repair
    /// makes the secondary match the primary again.
    void primary_failed(const std::exception_ptr& error) noexcept {
        caller_.sink_failure(key_, kind_, origin_, error);
    }

    /// What the rollback policy remembers before the primary is written.
    auto remember() { return rollback_.remember(*this); }

    /// Called while handling the secondary's failure: restores the primary
    /// through the rollback policy from `prior` (what `remember()` gave) and
    /// throws `rolled_back`, or `rollback_failed` if the restore failed. The
    /// secondary's state after a failed write is unknown (a timeout may have
    /// applied it), so the key also goes to the failure sink, whose repair
    /// makes the secondary match the primary.
    template <class Prior>
    [[noreturn]] void roll_back(const Prior& prior) {
        const std::exception_ptr cause = result_.secondary.error;
        std::exception_ptr restore_error;
        try {
            rollback_.restore(*this, prior);
        } catch (...) {
            restore_error = std::current_exception();
        }
        caller_.notify(observe::rollback_event<Key>{key_, kind_, cause, restore_error});
        secondary_failed();
        if (restore_error) throw rollback_failed(cause, restore_error);
        throw rolled_back(cause);  // still handling `cause`, so it is nested
    }

    /// The operation applied to the primary (what a rollback undoes).
    [[nodiscard]] const PrimaryOp& op() const noexcept { return primary_op_; }

    /// Calls `op(primary)` as the write's own calls are made (retried,
    /// reported as a `kind` operation): how a rollback policy reads and
    /// restores the primary.
    template <class Op>
    decltype(auto) on_primary(operation kind, const Op& op) {
        side_status status;
        return caller_.call(side::primary, origin_.primary_store(), kind, p_, op, status);
    }

    /// Each side's outcome so far.
    [[nodiscard]] const write_result& result() const noexcept { return result_; }

    /// The outcome, once the write policy has run.
    [[nodiscard]] write_done<primary_result> finish() && {
        return {std::move(result_), std::move(answer_)};
    }

private:
    Caller& caller_;
    Rollback& rollback_;
    P& p_;
    S& s_;
    const Key* key_;
    operation kind_;
    const failure_origin& origin_;
    const PrimaryOp& primary_op_;
    const SecondaryOp& secondary_op_;
    write_result result_{};
    returned<primary_result> answer_{};
};

}  // namespace dualstore::detail
