#pragma once
/// \file
/// One side's call as every policy sees it: retried per the retry policy,
/// reported to the observers, and its failure handed to the failure sink.

#include <dualstore/detail/policy_pack.hpp>
#include <dualstore/detail/retry_loop.hpp>
#include <dualstore/failure_sink.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/write_result.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

namespace dualstore::detail {

/// Calls one side of a dual store under the retry policy, reports each call
/// (and each retry) to the observers, and hands failed writes to the failure
/// sink. Holds the retry, sink and observer policies; no per-call state.
template <class RetryPolicy, class SinkPolicy, class ObserverPolicy>
class side_caller {
public:
    /// Takes its policies from `args` (any order; others are ignored), with
    /// defaults for those not given.
    template <class... Args>
    requires(!(std::is_same_v<std::remove_cvref_t<Args>, side_caller> ||
               ...)) explicit side_caller(Args&&... args)
        : retry_(take_policy<retry_tag, RetryPolicy>(std::forward<Args>(args)...)),
          sink_(take_policy<failure_sink_tag, SinkPolicy>(std::forward<Args>(args)...)),
          observers_(take_policy<observer_tag, ObserverPolicy>(std::forward<Args>(args)...)) {}

    /// Calls `op(store)` under the retry policy, recording into `status`;
    /// the last failure propagates. `which` is the store's role, `origin`
    /// which store it is (reported with each event).
    template <class Store, class Op>
    decltype(auto) call(side which, migration_store origin, operation kind, Store& store,
                        const Op& op, side_status& status) {
        status.status = outcome::ok;  // call_with_retry records a failure
        const scope reported(*this, which, origin, kind, status);
        return call_with_retry(
            retry_, status, [&]() -> decltype(auto) { return op(store); },
            [&](unsigned attempt, std::chrono::nanoseconds delay, const std::exception_ptr& error) {
                notify(observe::retry_event{which, kind, attempt, delay, error, origin});
            });
    }

    /// True; stops the build when the failure sink cannot take a failed
    /// write of a `Key` (called where the policy is given, and again where it
    /// is used).
    template <class Key>
    static constexpr bool sink_accepts() {
        if constexpr (sinks<Key>) {
            static_assert(failure_sink<decltype(std::declval<SinkPolicy&>().sink), Key>,
                          "dualstore: on_secondary_failure: the sink must be callable as "
                          "sink(key, dualstore::operation, std::exception_ptr)");
        }
        return true;
    }

    /// Hands a failed write of `key` to the sink; false if there is no sink,
    /// no key, or the sink threw (reported as `observe::sink_error_event`).
    template <class Key>
    bool sink_failure(const Key* key, operation kind, const failure_origin& origin,
                      const std::exception_ptr& error) noexcept {
        if constexpr (!sinks<Key>) {
            return false;
        } else {
            static_assert(sink_accepts<Key>());
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

    /// Reports the failed secondary write recorded in `result`: to the sink
    /// (setting `result.enqueued`) and to the observers.
    template <class Key>
    void secondary_failed(const Key* key, operation kind, const failure_origin& origin,
                          write_result& result) noexcept {
        result.enqueued = sink_failure(key, kind, origin, result.secondary.error);
        notify(observe::secondary_failure_event<Key>{key, kind, result.secondary.error,
                                                     result.enqueued});
    }

    /// Whether some observer wants `Event`.
    template <class Event>
    static constexpr bool wants = ObserverPolicy::template wants<Event>;

    /// Reports `event` to the observers that want it.
    template <class Event>
    void notify(const Event& event) const noexcept {
        if constexpr (wants<Event>) observers_.notify(event);
    }

private:
    /// Whether failed writes of a `Key` go to a sink.
    template <class Key>
    static constexpr bool sinks =
        !std::is_same_v<SinkPolicy, no_failure_sink> &&
        !std::is_same_v<SinkPolicy, discard_secondary_failures> && !std::is_same_v<Key, no_key>;

    static constexpr bool timed = wants<observe::operation_event>;

    /// Reports one side's finished call to the observers when it goes out of scope.
    class scope {
    public:
        scope(const side_caller& caller, side which, migration_store origin, operation kind,
              const side_status& status) noexcept
            : caller_(caller), which_(which), origin_(origin), kind_(kind), status_(status) {
            if constexpr (timed) started_ = std::chrono::steady_clock::now();
        }
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
        ~scope() {
            if constexpr (timed) {
                caller_.notify(
                    observe::operation_event{which_, kind_, status_.ok(), status_.attempts,
                                             std::chrono::steady_clock::now() - started_, origin_});
            }
        }

    private:
        const side_caller& caller_;
        side which_;
        migration_store origin_;
        operation kind_;
        const side_status& status_;
        std::chrono::steady_clock::time_point started_{};
    };

    [[no_unique_address]] RetryPolicy retry_;
    [[no_unique_address]] SinkPolicy sink_;
    [[no_unique_address]] ObserverPolicy observers_;
};

}  // namespace dualstore::detail
