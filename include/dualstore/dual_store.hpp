#pragma once
/// \file
/// `dual_store<Primary, Secondary, Policies...>`: two backends behind one
/// store interface, with compile-time write, read, retry, rollback,
/// failure-sink and observer policies.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/holder.hpp>
#include <dualstore/detail/kv_checks.hpp>
#include <dualstore/detail/offloaded_call.hpp>
#include <dualstore/detail/policy_pack.hpp>
#include <dualstore/detail/retry_loop.hpp>
#include <dualstore/detail/sampling.hpp>
#include <dualstore/error.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/observe/observer.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/operations.hpp>
#include <dualstore/read.hpp>
#include <dualstore/retry.hpp>
#include <dualstore/rollback.hpp>
#include <dualstore/write.hpp>
#include <dualstore/write_result.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace dualstore {

namespace detail {

template <class Policy>
inline constexpr bool is_shadow_v = false;
template <class Compare>
inline constexpr bool is_shadow_v<read::basic_shadow<Compare>> = true;

template <class Policy>
inline constexpr bool is_compensate_v = false;
template <class Undo>
inline constexpr bool is_compensate_v<rollback::compensate<Undo>> = true;

template <class Op>
inline constexpr bool is_keyed_write_v = false;
template <class K, class V>
inline constexpr bool is_keyed_write_v<put_op<K, V>> = true;
template <class K>
inline constexpr bool is_keyed_write_v<erase_op<K>> = true;

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

struct no_snapshot {};

}  // namespace detail

/// Two stores behind one interface. Writes go to one or both per the write
/// policy; reads come from one or both per the read policy; each side's
/// operation is retried per the retry policy; `write::dual_primary` undoes
/// the primary per the rollback policy; failed secondary writes go to the
/// failure sink; everything is reported to the observers.
///
/// `Primary` and `Secondary` are reference types when the store refers to
/// backends that outlive it (what CTAD deduces from lvalues), object types
/// when it owns them (from rvalues). `get`/`put`/`erase` need both to model
/// `kv_store` with the same key and value types; `write(op)`/`read(op)` work
/// with any backends.
///
/// Thread safety: callable from many threads at once when the backends are;
/// the store keeps no per-call state. Observers and the failure sink may be
/// called from a worker thread under `write::parallel`.
template <class Primary, class Secondary, class... Policies>
class dual_store {
    static_assert(detail::validate_policies<Policies...>::value);

public:
    /// The primary backend's type.
    using primary_store = std::remove_reference_t<Primary>;
    /// The secondary backend's type.
    using secondary_store = std::remove_reference_t<Secondary>;
    /// The write policy in effect.
    using write_policy = detail::select_policy_t<write_tag, write::sequential, Policies...>;
    /// The read policy in effect.
    using read_policy = detail::select_policy_t<read_tag, read::primary, Policies...>;
    /// The retry policy in effect.
    using retry_policy = detail::select_policy_t<retry_tag, retry::none, Policies...>;
    /// The rollback policy in effect.
    using rollback_policy = detail::select_policy_t<rollback_tag, rollback::none, Policies...>;
    /// The failure sink in effect.
    using sink_policy = detail::select_policy_t<failure_sink_tag, no_failure_sink, Policies...>;
    /// The observers in effect.
    using observer_policy = detail::select_policy_t<observer_tag, observe::none, Policies...>;
    /// The key type of `get`/`put`/`erase` (`no_key` for other backends).
    using key_type = typename detail::kv_types<primary_store>::key_type;
    /// The value type of `get`/`put` (`no_key` for other backends).
    using mapped_type = typename detail::kv_types<primary_store>::mapped_type;

    static_assert(!std::is_same_v<write_policy, write::dual_primary> ||
                      !std::is_same_v<rollback_policy, rollback::none>,
                  "dualstore: write::dual_primary needs a rollback policy: add "
                  "rollback::snapshot{} (put/erase) or rollback::compensate{undo}");
    static_assert(std::is_same_v<rollback_policy, rollback::none> ||
                      std::is_same_v<write_policy, write::dual_primary>,
                  "dualstore: a rollback policy only acts under write::dual_primary; remove it "
                  "or use write::dual_primary");

    /// Builds a store over `primary` and `secondary` (held by reference when
    /// lvalues, moved in when rvalues) with the given policies, in any order.
    template <class PrimaryArg, class SecondaryArg, class... Args>
    dual_store(PrimaryArg&& primary, SecondaryArg&& secondary, Args... policies)
        : primary_(std::in_place, std::forward<PrimaryArg>(primary)),
          secondary_(std::in_place, std::forward<SecondaryArg>(secondary)),
          write_(detail::take_policy<write_tag, write_policy>(policies...)),
          read_(detail::take_policy<read_tag, read_policy>(policies...)),
          retry_(detail::take_policy<retry_tag, retry_policy>(policies...)),
          rollback_(detail::take_policy<rollback_tag, rollback_policy>(policies...)),
          sink_(detail::take_policy<failure_sink_tag, sink_policy>(policies...)),
          observers_(detail::take_policy<observer_tag, observer_policy>(policies...)) {
        static_assert(detail::validate_policies<Args...>::value);
    }

    /// The primary backend.
    [[nodiscard]] primary_store& primary() noexcept { return primary_.get(); }
    /// The secondary backend.
    [[nodiscard]] secondary_store& secondary() noexcept { return secondary_.get(); }

    /// Reads `key` per the read policy. A failure of the side that answers
    /// propagates; the other side's failures are reported, never thrown.
    [[nodiscard]] std::optional<mapped_type> get(const key_type& key) {
        static_assert(kv_ready());
        const get_op<key_type> op{key};
        return run_read(&key, operation::get, op);
    }

    /// Writes `value` under `key` per the write policy. Returns when every
    /// side the policy writes has finished. A primary failure propagates; a
    /// secondary failure is in the result (and the sink) unless the policy is
    /// `write::dual_primary`, which rolls back and throws `rolled_back`.
    write_result put(const key_type& key, const mapped_type& value) {
        static_assert(kv_ready());
        const put_op<key_type, mapped_type> op{key, value};
        return run_write(&key, operation::put, op).result;
    }

    /// Erases `key` per the write policy; converts to whether the primary
    /// had it. Failure behaviour as for `put`.
    erase_result erase(const key_type& key) {
        static_assert(kv_ready());
        const erase_op<key_type> op{key};
        auto done = run_write(&key, operation::erase, op);
        erase_result result{done.result};
        result.existed = done.primary.value.value_or(false);
        return result;
    }

    /// Runs `op(store)` on each side per the write policy. `op` must be
    /// callable with both backends (use `overloaded` when their types
    /// differ). Without a key, a secondary failure cannot be handed to the
    /// failure sink (it is still in the result and reported to observers):
    /// use `write(key, op)` to make it repairable.
    template <class Op>
    write_result write(Op&& op) {
        return run_write(static_cast<const no_key*>(nullptr), operation::write, op).result;
    }

    /// As `write(op)`, naming the key the operation changes, so a secondary
    /// failure reaches the failure sink as `sink(key, operation::write, error)`.
    template <class Key, class Op>
    write_result write(const Key& key, Op&& op) {
        return run_write(&key, operation::write, op).result;
    }

    /// Runs `op(store)` per the read policy and returns the answering side's
    /// result. Under `read::fallback` the result must be testable (`!r` means
    /// "no value"); under `read::shadow` both results are compared.
    template <class Op>
    decltype(auto) read(Op&& op) {
        return run_read(static_cast<const no_key*>(nullptr), operation::read, op);
    }

    /// As `read(op)`, naming the key read, for observer events.
    template <class Key, class Op>
    decltype(auto) read(const Key& key, Op&& op) {
        return run_read(&key, operation::read, op);
    }

private:
    static constexpr bool kv_ready() {
        constexpr bool both = detail::require_kv_store<primary_store, detail::the_primary_backend>() &&
                              detail::require_kv_store<secondary_store, detail::the_secondary_backend>();
        if constexpr (both) {
            static_assert(
                std::is_same_v<typename primary_store::key_type,
                               typename secondary_store::key_type> &&
                    std::is_same_v<typename primary_store::mapped_type,
                                   typename secondary_store::mapped_type>,
                "dualstore: get/put/erase need both backends to have the same key_type and "
                "mapped_type; for backends of different types use write(op)/read(op)");
        }
        return both;
    }

    template <class Op>
    static constexpr void require_callable() {
        static_assert(std::invocable<const Op&, primary_store&> &&
                          std::invocable<const Op&, secondary_store&>,
                      "dualstore: the operation must be callable as op(primary) and "
                      "op(secondary); for backends of different types pass "
                      "dualstore::overloaded{...}");
    }

    template <class Event>
    void notify(const Event& event) const noexcept {
        if constexpr (observer_policy::template wants<Event>) observers_.notify(event);
    }

    static constexpr bool timed = observer_policy::template wants<observe::operation_event>;

    /// Reports one side's finished operation to observers when it goes out of scope.
    class side_scope {
    public:
        side_scope(const dual_store& store, side which, operation kind,
                   const side_status& status) noexcept
            : store_(store), which_(which), kind_(kind), status_(status) {
            if constexpr (timed) started_ = std::chrono::steady_clock::now();
        }
        side_scope(const side_scope&) = delete;
        side_scope& operator=(const side_scope&) = delete;
        ~side_scope() {
            if constexpr (timed) {
                store_.notify(observe::operation_event{which_, kind_, status_.ok(),
                                                       status_.attempts,
                                                       std::chrono::steady_clock::now() - started_});
            }
        }

    private:
        const dual_store& store_;
        side which_;
        operation kind_;
        const side_status& status_;
        std::chrono::steady_clock::time_point started_{};
    };

    /// Calls `op(store)` under the retry policy, recording into `status`.
    template <class Store, class Op>
    decltype(auto) call_side(side which, operation kind, Store& store, const Op& op,
                             side_status& status) {
        status.status = outcome::ok;  // call_with_retry records a failure
        const side_scope scope(*this, which, kind, status);
        return detail::call_with_retry(
            retry_, status, [&]() -> decltype(auto) { return op(store); },
            [&](unsigned attempt, std::chrono::nanoseconds delay, const std::exception_ptr& error) {
                notify(observe::retry_event{which, kind, attempt, delay, error});
            });
    }

    /// Hands a failed write of `key` to the sink; false if there is no sink,
    /// no key, or the sink threw.
    template <class Key>
    bool sink_failure(const Key* key, operation kind, const std::exception_ptr& error) noexcept {
        if constexpr (std::is_same_v<sink_policy, no_failure_sink> ||
                      std::is_same_v<Key, no_key>) {
            return false;
        } else {
            static_assert(failure_sink<decltype(sink_.sink), Key>,
                          "dualstore: on_secondary_failure: the sink must be callable as "
                          "sink(key, dualstore::operation, std::exception_ptr)");
            try {
                std::invoke(sink_.sink, *key, kind, error);
                return true;
            } catch (...) {
                notify(observe::sink_error_event<Key>{key, kind, error, std::current_exception()});
                return false;
            }
        }
    }

    template <class Key>
    void secondary_failed(const Key* key, operation kind, write_result& result) noexcept {
        result.enqueued = sink_failure(key, kind, result.secondary.error);
        notify(observe::secondary_failure_event<Key>{key, kind, result.secondary.error,
                                                     result.enqueued});
    }

    template <class Key, class Op>
    struct write_done {
        write_result result{};
        detail::returned<std::invoke_result_t<const Op&, primary_store&>> primary{};
    };

    template <class Key, class Op>
    write_done<Key, Op> run_write(const Key* key, operation kind, const Op& op) {
        require_callable<Op>();
        write_done<Key, Op> done;
        auto& result = done.result;
        const auto write_primary = [&]() -> decltype(auto) {
            return call_side(side::primary, kind, primary(), op, result.primary);
        };
        const auto write_secondary = [&] {
            call_side(side::secondary, kind, secondary(), op, result.secondary);
        };

        if constexpr (std::is_same_v<write_policy, write::primary_only>) {
            done.primary.assign(write_primary);
        } else if constexpr (std::is_same_v<write_policy, write::sequential>) {
            done.primary.assign(write_primary);
            try {
                write_secondary();
            } catch (...) {
                secondary_failed(key, kind, result);
            }
        } else if constexpr (std::is_same_v<write_policy, write::parallel>) {
            auto secondary_task = [&]() noexcept {
                try {
                    write_secondary();
                } catch (...) {  // NOLINT(bugprone-empty-catch): recorded in result.secondary
                }
            };
            std::exception_ptr primary_error;
            {
                detail::offloaded_call pending(write_.executor, secondary_task);
                try {
                    done.primary.assign(write_primary);
                } catch (...) {
                    primary_error = std::current_exception();
                }
            }  // both sides have finished here
            if (primary_error) {
                // The secondary may hold the new value while the primary does
                // not: let the repair make it match the primary again.
                sink_failure(key, kind, primary_error);
                std::rethrow_exception(primary_error);
            }
            if (result.secondary.failed()) secondary_failed(key, kind, result);
        } else {
            static_assert(std::is_same_v<write_policy, write::dual_primary>);
            auto prior = take_snapshot(op);
            done.primary.assign(write_primary);
            try {
                write_secondary();
            } catch (...) {
                roll_back(key, kind, op, prior, result);
            }
        }
        return done;
    }

    /// What `rollback::snapshot` remembers before a write: the key's prior value.
    template <class Op>
    auto take_snapshot(const Op& op) {
        if constexpr (std::is_same_v<rollback_policy, rollback::snapshot>) {
            static_assert(detail::is_keyed_write_v<Op>,
                          "dualstore: rollback::snapshot can only roll back put and erase: a "
                          "generic write(op) does not say which key it changes; use "
                          "rollback::compensate{undo} for generic writes");
            side_status status;
            const get_op<key_type> read_prior{op.key};
            return call_side(side::primary, operation::get, primary(), read_prior, status);
        } else {
            static_assert(detail::is_compensate_v<rollback_policy>);
            static_assert(std::invocable<decltype(rollback_.undo)&, primary_store&, const Op&>,
                          "dualstore: rollback::compensate: the undo function cannot undo this "
                          "operation: it must be callable as undo(primary, op)");
            return detail::no_snapshot{};
        }
    }

    /// Undoes `op` on the primary. Restores are retried like any operation.
    template <class Op, class Snapshot>
    void undo(const Op& op, const Snapshot& prior) {
        side_status status;
        if constexpr (std::is_same_v<rollback_policy, rollback::snapshot>) {
            if (prior) {
                const put_op<key_type, mapped_type> restore{op.key, *prior};
                call_side(side::primary, operation::put, primary(), restore, status);
            } else {
                const erase_op<key_type> restore{op.key};
                call_side(side::primary, operation::erase, primary(), restore, status);
            }
        } else {
            const auto restore = [&](primary_store& p) { std::invoke(rollback_.undo, p, op); };
            call_side(side::primary, operation::write, primary(), restore, status);
        }
    }

    /// Called while handling the secondary's failure: restores the primary
    /// and throws `rolled_back`, or `rollback_failed` if the restore failed.
    /// The secondary's state after a failed write is unknown (a timeout may
    /// have applied it), so the key also goes to the failure sink, whose
    /// repair makes the secondary match the primary.
    template <class Key, class Op, class Snapshot>
    [[noreturn]] void roll_back(const Key* key, operation kind, const Op& op,
                                const Snapshot& prior, write_result& result) {
        const std::exception_ptr cause = result.secondary.error;
        std::exception_ptr restore_error;
        try {
            undo(op, prior);
        } catch (...) {
            restore_error = std::current_exception();
        }
        notify(observe::rollback_event<Key>{key, kind, cause, restore_error});
        secondary_failed(key, kind, result);
        if (restore_error) throw rollback_failed(cause, restore_error);
        throw rolled_back(cause);  // still handling `cause`, so it is nested
    }

    template <class Key, class Op>
    decltype(auto) run_read(const Key* key, operation kind, const Op& op) {
        require_callable<Op>();
        side_status status;
        if constexpr (std::is_same_v<read_policy, read::primary>) {
            return call_side(side::primary, kind, primary(), op, status);
        } else if constexpr (std::is_same_v<read_policy, read::secondary>) {
            return call_side(side::secondary, kind, secondary(), op, status);
        } else if constexpr (std::is_same_v<read_policy, read::fallback>) {
            auto answer = call_side(side::primary, kind, primary(), op, status);
            if (answer) return answer;
            side_status other;
            try {
                return decltype(answer)(call_side(side::secondary, kind, secondary(), op, other));
            } catch (...) {
                notify(observe::secondary_failure_event<Key>{key, kind, other.error, false});
            }
            return answer;
        } else {
            static_assert(detail::is_shadow_v<read_policy>);
            auto answer = call_side(side::primary, kind, primary(), op, status);
            if (detail::sampled(read_.sample)) compare_with_secondary(key, kind, op, answer);
            return answer;
        }
    }

    /// Shadow-reads the secondary and reports a mismatch or an error; never throws.
    template <class Key, class Op, class Answer>
    void compare_with_secondary(const Key* key, operation kind, const Op& op,
                                const Answer& answer) noexcept {
        using other_t = std::remove_cvref_t<std::invoke_result_t<const Op&, secondary_store&>>;
        std::optional<other_t> other;
        side_status status;
        try {
            other.emplace(call_side(side::secondary, kind, secondary(), op, status));
        } catch (...) {
            notify(observe::shadow_error_event<Key>{key, observe::shadow_stage::secondary_read,
                                                    std::current_exception()});
            return;
        }
        bool same = false;
        try {
            same = std::invoke(read_.compare, answer, *other);
        } catch (...) {
            notify(observe::shadow_error_event<Key>{key, observe::shadow_stage::compare,
                                                    std::current_exception()});
            return;
        }
        if (!same) notify(observe::mismatch_event<Key, Answer, other_t>{key, answer, *other});
    }

    detail::holder<Primary> primary_;
    detail::holder<Secondary> secondary_;
    [[no_unique_address]] write_policy write_;
    [[no_unique_address]] read_policy read_;
    [[no_unique_address]] retry_policy retry_;
    [[no_unique_address]] rollback_policy rollback_;
    [[no_unique_address]] sink_policy sink_;
    [[no_unique_address]] observer_policy observers_;
};

/// Deduces held (lvalue) or owned (rvalue) backends and a canonical policy
/// list, so the same configuration in any order is the same type.
template <class PrimaryArg, class SecondaryArg, class... Ps>
dual_store(PrimaryArg&&, SecondaryArg&&, Ps...)
    -> dual_store<detail::held_t<PrimaryArg&&>, detail::held_t<SecondaryArg&&>,
                  detail::select_policy_t<write_tag, write::sequential, Ps...>,
                  detail::select_policy_t<read_tag, read::primary, Ps...>,
                  detail::select_policy_t<retry_tag, retry::none, Ps...>,
                  detail::select_policy_t<rollback_tag, rollback::none, Ps...>,
                  detail::select_policy_t<failure_sink_tag, no_failure_sink, Ps...>,
                  detail::select_policy_t<observer_tag, observe::none, Ps...>>;

}  // namespace dualstore
