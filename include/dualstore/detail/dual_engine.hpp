#pragma once
/// \file
/// The machinery shared by `dual_store` and `migration`: it holds the
/// policies and runs one operation over two stores passed in per call, so a
/// `migration` can hand it its stores in the roles its current stage gives.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/kv_checks.hpp>
#include <dualstore/detail/offloaded_call.hpp>
#include <dualstore/detail/policy_pack.hpp>
#include <dualstore/detail/retry_loop.hpp>
#include <dualstore/detail/sampling.hpp>
#include <dualstore/error.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/guard.hpp>
#include <dualstore/key_lock_table.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/observe/observer.hpp>
#include <dualstore/observe/printable.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/operations.hpp>
#include <dualstore/order.hpp>
#include <dualstore/read.hpp>
#include <dualstore/retry.hpp>
#include <dualstore/rollback.hpp>
#include <dualstore/write.hpp>
#include <dualstore/write_result.hpp>

#include <fmt/format.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace dualstore::detail {

/// How a read uses the two stores.
enum class read_mode {
    primary,    ///< the primary answers
    secondary,  ///< the secondary answers
    fallback,   ///< the primary, else the secondary
    shadow,     ///< both: the primary answers, the secondary is compared
};

template <class Policy>
inline constexpr read_mode read_mode_of = read_mode::shadow;
template <>
inline constexpr read_mode read_mode_of<read::primary> = read_mode::primary;
template <>
inline constexpr read_mode read_mode_of<read::secondary> = read_mode::secondary;
template <>
inline constexpr read_mode read_mode_of<read::fallback> = read_mode::fallback;

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
template <class K, class V>
inline constexpr bool is_keyed_write_v<insert_op<K, V>> = true;
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

/// One side's read in a shadow comparison: its answer or its error, and how long it took.
template <class T>
struct side_read {
    std::optional<T> value;
    std::exception_ptr error;
    std::chrono::nanoseconds latency{};

    template <class Fn>
    void run(Fn&& fn) noexcept {
        const auto start = std::chrono::steady_clock::now();
        try {
            value.emplace(fn());
        } catch (...) {
            error = std::current_exception();
        }
        latency = std::chrono::steady_clock::now() - start;
    }
};

/// Whether two failures are the same: the same exception type and message.
inline bool same_failure(const std::exception_ptr& a, const std::exception_ptr& b) noexcept {
    const auto type_of = [](const std::exception_ptr& e) -> const std::type_info* {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            return &typeid(ex);
        } catch (...) {
            return nullptr;
        }
    };
    return type_of(a) == type_of(b) && describe(a) == describe(b);
}

/// The per-key locks of an ordering policy: a `key_lock_table` under
/// `order::per_key`, nothing otherwise (every lock is empty).
template <class OrderPolicy>
class key_locks {
public:
    explicit key_locks(const OrderPolicy& /*policy*/) noexcept {}
    template <class Key>
    key_lock_table::lock acquire(const Key& /*key*/) noexcept {
        return {};
    }
};
template <>
class key_locks<order::per_key> {
public:
    explicit key_locks(const order::per_key& policy)
        : table_(std::make_unique<key_lock_table>(policy.stripes)) {}
    template <class Key>
    key_lock_table::lock acquire(const Key& key) {
        static_assert(lockable_key<Key>,
                      "dualstore: order::per_key locks a write's key by its hash: the key type "
                      "needs std::hash<Key> or a conversion to std::string_view (or use "
                      "order::by_caller and order writes to a key yourself)");
        return table_->acquire(key);
    }

private:
    std::unique_ptr<key_lock_table> table_;  // on the heap: the store stays movable
};

template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

/// Whether two shadow answers agree per `compare`, called with the answers
/// themselves or, when both are `std::optional` (what `get` returns) and
/// `compare` takes their values, with the values: two empty answers agree,
/// one empty answer does not.
template <class Compare, class A, class B>
bool answers_agree(Compare& compare, const A& a, const B& b) {
    if constexpr (std::is_invocable_r_v<bool, Compare&, const A&, const B&>) {
        return std::invoke(compare, a, b);
    } else if constexpr (is_optional_v<A> && is_optional_v<B>) {
        static_assert(std::is_invocable_r_v<bool, Compare&, const typename A::value_type&,
                                            const typename B::value_type&>,
                      "dualstore: read::shadow: the comparator must be callable as "
                      "compare(primary_value, secondary_value) -> bool, or with the two "
                      "std::optional answers of get()");
        if (!a || !b) return !a && !b;
        return std::invoke(compare, *a, *b);
    } else {
        static_assert(is_optional_v<A>,
                      "dualstore: read::shadow: the comparator must be callable as "
                      "compare(primary_answer, secondary_answer) -> bool with the answers of "
                      "the read operation");
        return false;
    }
}

/// The policies of a dual store (the guard is a type only), and the operations over two stores
/// passed in per call: `P` is the primary (it answers reads and its failures reach the caller), `S`
/// the secondary. Holds no per-call state; under `order::per_key` it holds the key locks.
template <class Config>
class dual_engine {
    using WritePolicy = typename Config::write_policy;
    using ReadPolicy = typename Config::read_policy;
    using RetryPolicy = typename Config::retry_policy;
    using RollbackPolicy = typename Config::rollback_policy;
    using SinkPolicy = typename Config::sink_policy;
    using ObserverPolicy = typename Config::observer_policy;
    using GuardPolicy = typename Config::guard_policy;
    using OrderPolicy = typename Config::order_policy;

public:
    /// An engine of the policies among `args`, given in any order (copied
    /// from lvalues, moved from rvalues; arguments of no category, such as a
    /// migration's initial stage, are ignored), defaults for the others.
    template <class... Args>
    requires(!(std::is_same_v<std::remove_cvref_t<Args>, dual_engine> ||
               ...)) explicit dual_engine(Args&&... args)
        : write_(take_policy<write_tag, WritePolicy>(std::forward<Args>(args)...)),
          read_(take_policy<read_tag, ReadPolicy>(std::forward<Args>(args)...)),
          retry_(take_policy<retry_tag, RetryPolicy>(std::forward<Args>(args)...)),
          rollback_(take_policy<rollback_tag, RollbackPolicy>(std::forward<Args>(args)...)),
          sink_(take_policy<failure_sink_tag, SinkPolicy>(std::forward<Args>(args)...)),
          observers_(take_policy<observer_tag, ObserverPolicy>(std::forward<Args>(args)...)),
          locks_(take_policy<order_tag, OrderPolicy>(std::forward<Args>(args)...)) {}

    static constexpr bool append_only_v = std::is_same_v<GuardPolicy, append_only>;

    /// Whether writes take their key's lock: under `order::per_key` when the
    /// write policy can write both sides.
    static constexpr bool ordered_v = std::is_same_v<OrderPolicy, order::per_key> &&
                                      !std::is_same_v<WritePolicy, write::primary_only>;

    static_assert(!std::is_same_v<WritePolicy, write::dual_primary> ||
                      !std::is_same_v<OrderPolicy, order::by_caller>,
                  "dualstore: write::dual_primary needs per-key ordering: its rollback is only "
                  "correct when no other write to the key runs between its snapshot and its "
                  "restore; remove order::by_caller (order::per_key is the default)");
    /// True; stops the build when the policies write both sides best effort
    /// and name no failure sink. Called by the stores' constructors after the
    /// policy pack is validated, so a malformed pack is reported first.
    static constexpr bool failure_sink_chosen() {
        static_assert(!(std::is_same_v<WritePolicy, write::sequential> ||
                        std::is_same_v<WritePolicy, write::parallel>) ||
                          !std::is_same_v<SinkPolicy, no_failure_sink>,
                      "dualstore: this store writes both sides best effort but has no failure "
                      "sink, so a failed secondary write would be lost silently: add "
                      "on_secondary_failure{queue} (or a callable), or "
                      "discard_secondary_failures{} to drop such failures knowingly "
                      "(write_result and observers still report them)");
        return true;
    }

    static_assert(!std::is_same_v<WritePolicy, write::dual_primary> ||
                      !std::is_same_v<RollbackPolicy, rollback::none>,
                  "dualstore: write::dual_primary needs a rollback policy: add "
                  "rollback::snapshot{} (put/erase) or rollback::compensate{undo}");
    static_assert(std::is_same_v<RollbackPolicy, rollback::none> ||
                      std::is_same_v<WritePolicy, write::dual_primary>,
                  "dualstore: a rollback policy only acts under write::dual_primary; remove it "
                  "or use write::dual_primary");

    /// Checks that `P` and `S` are key-value stores of the same types; the
    /// messages name them as `PRole` and `SRole`.
    template <class P, class S, backend_role PRole = backend_role::primary,
              backend_role SRole = backend_role::secondary>
    static constexpr bool kv_ready() {
        constexpr bool both = require_kv_store<P, PRole>() && require_kv_store<S, SRole>();
        if constexpr (both) {
            static_assert(
                std::is_same_v<typename P::key_type, typename S::key_type> &&
                    std::is_same_v<typename P::mapped_type, typename S::mapped_type>,
                "dualstore: get/put/erase need both backends to have the same key_type and "
                "mapped_type; for backends of different types use write(op)/read(op)");
        }
        return both;
    }

    /// `get` of `key` in read mode `Mode`.
    template <read_mode Mode, class P, class S>
    std::optional<mapped_type_t<P>> get(P& p, S& s, const key_type_t<P>& key) {
        static_assert(kv_ready<P, S>());
        const get_op<key_type_t<P>> op{key};
        return run_read<Mode>(p, s, &key, operation::get, op);
    }

    /// `put` of `key`; on both stores when `Both`, else on the primary only.
    template <bool Both, class P, class S>
    write_result put(P& p, S& s, const key_type_t<P>& key, const mapped_type_t<P>& value,
                     const failure_origin& origin = {}) {
        static_assert(kv_ready<P, S>());
        using K = key_type_t<P>;
        using V = mapped_type_t<P>;
        const auto held = lock_key(key);
        const put_op<K, V> put{key, value};
        if constexpr (append_only_v) {
            side_status status;
            const get_op<K> existing{key};
            if (call_side(side::primary, operation::get, p, existing, status)) {
                throw immutable_violation(fmt::format(
                    "dualstore: append_only: key {} already exists: a put would overwrite it",
                    observe::printable(&key)));
            }
            const insert_op<K, V> insert{key, value};
            return run_write<Both>(p, s, &key, operation::put, origin, insert, put).result;
        } else {
            return run_write<Both>(p, s, &key, operation::put, origin, put, put).result;
        }
    }

    /// `erase` of `key`; on both stores when `Both`, else on the primary only.
    template <bool Both, class P, class S>
    erase_result erase(P& p, S& s, const key_type_t<P>& key, const failure_origin& origin = {}) {
        static_assert(kv_ready<P, S>());
        static_assert(!append_only_v,
                      "dualstore: erase is not allowed under append_only: the data is "
                      "immutable; remove append_only from the policies to erase");
        const auto held = lock_key(key);
        const erase_op<key_type_t<P>> op{key};
        auto done = run_write<Both>(p, s, &key, operation::erase, origin, op, op);
        erase_result result{done.result};
        result.existed = done.primary.value.value_or(false);
        return result;
    }

    /// A generic write; `key` may be null (a keyless write).
    template <bool Both, class P, class S, class Key, class Op>
    write_result write(P& p, S& s, const Key* key, const Op& op,
                       const failure_origin& origin = {}) {
        static_assert(!append_only_v,
                      "dualstore: a generic write(op) is not allowed under append_only: it "
                      "could overwrite or erase immutable data; use put");
        key_lock_table::lock held;
        if constexpr (!std::is_same_v<Key, no_key>) held = lock_key(*key);
        return run_write<Both>(p, s, key, operation::write, origin, op, op).result;
    }

    /// Holds `key` as this engine's writes do (an empty lock when writes are
    /// not ordered), so a repair can run ordered with them.
    template <class Key>
    [[nodiscard]] key_lock_table::lock lock_key(const Key& key) {
        if constexpr (ordered_v) {
            return locks_.acquire(key);
        } else {
            return {};
        }
    }

    /// A generic read in read mode `Mode`; `key` may be null.
    template <read_mode Mode, class P, class S, class Key, class Op>
    decltype(auto) read(P& p, S& s, const Key* key, const Op& op) {
        return run_read<Mode>(p, s, key, operation::read, op);
    }

    /// Reports `event` to the observers that want it.
    template <class Event>
    void notify(const Event& event) const noexcept {
        if constexpr (ObserverPolicy::template wants<Event>) observers_.notify(event);
    }

private:
    template <class Op, class P, class S>
    static constexpr void require_callable() {
        static_assert(std::invocable<const Op&, P&> && std::invocable<const Op&, S&>,
                      "dualstore: the operation must be callable as op(primary) and "
                      "op(secondary); for backends of different types pass "
                      "dualstore::overloaded{...}");
    }

    static constexpr bool timed = ObserverPolicy::template wants<observe::operation_event>;

    /// Reports one side's finished operation to observers when it goes out of scope.
    class side_scope {
    public:
        side_scope(const dual_engine& engine, side which, operation kind,
                   const side_status& status) noexcept
            : engine_(engine), which_(which), kind_(kind), status_(status) {
            if constexpr (timed) started_ = std::chrono::steady_clock::now();
        }
        side_scope(const side_scope&) = delete;
        side_scope& operator=(const side_scope&) = delete;
        ~side_scope() {
            if constexpr (timed) {
                engine_.notify(
                    observe::operation_event{which_, kind_, status_.ok(), status_.attempts,
                                             std::chrono::steady_clock::now() - started_});
            }
        }

    private:
        const dual_engine& engine_;
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
        return call_with_retry(
            retry_, status, [&]() -> decltype(auto) { return op(store); },
            [&](unsigned attempt, std::chrono::nanoseconds delay, const std::exception_ptr& error) {
                notify(observe::retry_event{which, kind, attempt, delay, error});
            });
    }

    /// Hands a failed write of `key` to the sink; false if there is no sink,
    /// no key, or the sink threw.
    template <class Key>
    bool sink_failure(const Key* key, operation kind, const failure_origin& origin,
                      const std::exception_ptr& error) noexcept {
        if constexpr (std::is_same_v<SinkPolicy, no_failure_sink> ||
                      std::is_same_v<SinkPolicy, discard_secondary_failures> ||
                      std::is_same_v<Key, no_key>) {
            return false;
        } else {
            static_assert(failure_sink<decltype(sink_.sink), Key>,
                          "dualstore: on_secondary_failure: the sink must be callable as "
                          "sink(key, dualstore::operation, std::exception_ptr)");
            try {
                if constexpr (std::invocable<decltype(sink_.sink)&, const Key&, operation,
                                             std::exception_ptr, const failure_origin&>) {
                    std::invoke(sink_.sink, *key, kind, error, origin);
                } else {
                    std::invoke(sink_.sink, *key, kind, error);
                }
                return true;
            } catch (...) {
                notify(observe::sink_error_event<Key>{key, kind, error, std::current_exception()});
                return false;
            }
        }
    }

    template <class Key>
    void secondary_failed(const Key* key, operation kind, const failure_origin& origin,
                          write_result& result) noexcept {
        result.enqueued = sink_failure(key, kind, origin, result.secondary.error);
        notify(observe::secondary_failure_event<Key>{key, kind, result.secondary.error,
                                                     result.enqueued});
    }

    template <class P, class Op>
    struct write_done {
        write_result result{};
        returned<std::invoke_result_t<const Op&, P&>> primary{};
    };

    /// Runs `primary_op` on the primary and, when `Both`, `secondary_op` on
    /// the secondary, per the write policy.
    template <bool Both, class P, class S, class Key, class PrimaryOp, class SecondaryOp>
    write_done<P, PrimaryOp> run_write(P& p, S& s, const Key* key, operation kind,
                                       const failure_origin& origin, const PrimaryOp& primary_op,
                                       const SecondaryOp& secondary_op) {
        require_callable<SecondaryOp, P, S>();
        write_done<P, PrimaryOp> done;
        auto& result = done.result;
        const auto write_primary = [&]() -> decltype(auto) {
            return call_side(side::primary, kind, p, primary_op, result.primary);
        };
        const auto write_secondary = [&] {
            call_side(side::secondary, kind, s, secondary_op, result.secondary);
        };

        if constexpr (!Both || std::is_same_v<WritePolicy, write::primary_only>) {
            done.primary.assign(write_primary);
        } else if constexpr (std::is_same_v<WritePolicy, write::sequential>) {
            done.primary.assign(write_primary);
            try {
                write_secondary();
            } catch (...) {
                secondary_failed(key, kind, origin, result);
            }
        } else if constexpr (std::is_same_v<WritePolicy, write::parallel>) {
            auto secondary_task = [&]() noexcept {
                try {
                    write_secondary();
                } catch (...) {  // NOLINT(bugprone-empty-catch): recorded in result.secondary
                }
            };
            std::exception_ptr primary_error;
            {
                offloaded_call pending(write_.executor, secondary_task);
                try {
                    done.primary.assign(write_primary);
                } catch (...) {
                    primary_error = std::current_exception();
                }
            }  // both sides have finished here
            if (primary_error) {
                // The secondary may hold the new value while the primary does
                // not: let the repair make it match the primary again.
                sink_failure(key, kind, origin, primary_error);
                std::rethrow_exception(primary_error);
            }
            if (result.secondary.failed()) secondary_failed(key, kind, origin, result);
        } else {
            static_assert(std::is_same_v<WritePolicy, write::dual_primary>);
            auto prior = take_snapshot(p, primary_op);
            done.primary.assign(write_primary);
            try {
                write_secondary();
            } catch (...) {
                roll_back(p, key, kind, origin, primary_op, prior, result);
            }
        }
        return done;
    }

    /// What `rollback::snapshot` remembers before a write: the key's prior value.
    template <class P, class Op>
    auto take_snapshot(P& p, const Op& op) {
        if constexpr (std::is_same_v<RollbackPolicy, rollback::snapshot>) {
            static_assert(is_keyed_write_v<Op>,
                          "dualstore: rollback::snapshot can only roll back put and erase: a "
                          "generic write(op) does not say which key it changes; use "
                          "rollback::compensate{undo} for generic writes");
            side_status status;
            const get_op<key_type_t<P>> read_prior{op.key};
            return call_side(side::primary, operation::get, p, read_prior, status);
        } else {
            static_assert(is_compensate_v<RollbackPolicy>);
            static_assert(std::invocable<decltype(rollback_.undo)&, P&, const Op&>,
                          "dualstore: rollback::compensate: the undo function cannot undo this "
                          "operation: it must be callable as undo(primary, op)");
            return no_snapshot{};
        }
    }

    /// Undoes `op` on the primary. Restores are retried like any operation.
    template <class P, class Op, class Snapshot>
    void undo(P& p, const Op& op, const Snapshot& prior) {
        side_status status;
        if constexpr (std::is_same_v<RollbackPolicy, rollback::snapshot>) {
            if (prior) {
                const put_op<key_type_t<P>, mapped_type_t<P>> restore{op.key, *prior};
                call_side(side::primary, operation::put, p, restore, status);
            } else {
                const erase_op<key_type_t<P>> restore{op.key};
                call_side(side::primary, operation::erase, p, restore, status);
            }
        } else {
            const auto restore = [&](P& store) { std::invoke(rollback_.undo, store, op); };
            call_side(side::primary, operation::write, p, restore, status);
        }
    }

    /// Called while handling the secondary's failure: restores the primary
    /// and throws `rolled_back`, or `rollback_failed` if the restore failed.
    /// The secondary's state after a failed write is unknown (a timeout may
    /// have applied it), so the key also goes to the failure sink, whose
    /// repair makes the secondary match the primary.
    template <class P, class Key, class Op, class Snapshot>
    [[noreturn]] void roll_back(P& p, const Key* key, operation kind, const failure_origin& origin,
                                const Op& op, const Snapshot& prior, write_result& result) {
        const std::exception_ptr cause = result.secondary.error;
        std::exception_ptr restore_error;
        try {
            undo(p, op, prior);
        } catch (...) {
            restore_error = std::current_exception();
        }
        notify(observe::rollback_event<Key>{key, kind, cause, restore_error});
        secondary_failed(key, kind, origin, result);
        if (restore_error) throw rollback_failed(cause, restore_error);
        throw rolled_back(cause);  // still handling `cause`, so it is nested
    }

    template <read_mode Mode, class P, class S, class Key, class Op>
    decltype(auto) run_read(P& p, S& s, const Key* key, operation kind, const Op& op) {
        require_callable<Op, P, S>();
        side_status status;
        if constexpr (Mode == read_mode::primary) {
            return call_side(side::primary, kind, p, op, status);
        } else if constexpr (Mode == read_mode::secondary) {
            return call_side(side::secondary, kind, s, op, status);
        } else if constexpr (Mode == read_mode::fallback) {
            auto answer = call_side(side::primary, kind, p, op, status);
            if (answer) return answer;
            side_status other;
            try {
                return decltype(answer)(call_side(side::secondary, kind, s, op, other));
            } catch (...) {
                notify(observe::secondary_failure_event<Key>{key, kind, other.error, false});
            }
            return answer;
        } else {
            static_assert(is_shadow_v<ReadPolicy>,
                          "dualstore: a shadow read needs a read::shadow policy");
            return shadow_read(p, s, key, kind, op);
        }
    }

    /// Reads both sides in the policy's order, compares them, and returns
    /// the primary's answer (or rethrows its failure) after the comparison.
    template <class P, class S, class Key, class Op>
    auto shadow_read(P& p, S& s, const Key* key, operation kind, const Op& op) {
        using primary_t = std::remove_cvref_t<std::invoke_result_t<const Op&, P&>>;
        using secondary_t = std::remove_cvref_t<std::invoke_result_t<const Op&, S&>>;
        side_status primary_status;
        if (!sampled(read_.sample)) return call_side(side::primary, kind, p, op, primary_status);

        side_read<primary_t> mine;
        side_read<secondary_t> other;
        const auto read_primary = [&]() noexcept {
            mine.run([&] { return call_side(side::primary, kind, p, op, primary_status); });
        };
        auto read_secondary = [&]() noexcept {
            side_status status;
            other.run([&] { return call_side(side::secondary, kind, s, op, status); });
        };
        switch (read_.order) {
            case read::shadow_order::parallel: {
                offloaded_call pending(read_.executor, read_secondary);
                read_primary();
                break;
            }
            case read::shadow_order::random:
                if (sampled(0.5)) {
                    read_secondary();
                    read_primary();
                    break;
                }
                [[fallthrough]];
            case read::shadow_order::authoritative_first:
                read_primary();
                read_secondary();
                break;
        }
        compare(key, mine, other);
        if (mine.error) std::rethrow_exception(mine.error);
        return std::move(*mine.value);
    }

    /// Reports a mismatch between two shadow reads; never throws.
    template <class Key, class A, class B>
    void compare(const Key* key, const side_read<A>& mine, const side_read<B>& other) noexcept {
        bool same = false;
        if (mine.error || other.error) {
            same = mine.error && other.error && same_failure(mine.error, other.error);
        } else {
            try {
                same = answers_agree(read_.compare, *mine.value, *other.value);
            } catch (...) {
                notify(observe::shadow_error_event<Key>{key, std::current_exception()});
                return;
            }
        }
        if (same || !sampled(read_.report)) return;
        notify(observe::mismatch_event<Key, A, B>{key, mine.value ? &*mine.value : nullptr,
                                                  other.value ? &*other.value : nullptr, mine.error,
                                                  other.error, mine.latency, other.latency});
    }

    [[no_unique_address]] WritePolicy write_;
    [[no_unique_address]] ReadPolicy read_;
    [[no_unique_address]] RetryPolicy retry_;
    [[no_unique_address]] RollbackPolicy rollback_;
    [[no_unique_address]] SinkPolicy sink_;
    [[no_unique_address]] ObserverPolicy observers_;
    [[no_unique_address]] key_locks<OrderPolicy> locks_;
};

}  // namespace dualstore::detail
