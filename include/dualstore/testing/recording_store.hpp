#pragma once
/// \file
/// `testing::recording_store`: wraps a backend and records every call, in
/// order, in a `call_log` that several stores may share.

#include <dualstore/detail/forwarding_store.hpp>
#include <dualstore/detail/holder.hpp>
#include <dualstore/testing/call_kind.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::testing {

/// One recorded call.
struct call {
    /// The name of the store called.
    std::string store;
    /// Which member was called.
    call_kind kind;
    /// The key, printed with fmt; a batch's keys joined by ','; empty for a
    /// scan or a key type fmt cannot print.
    std::string key;

    /// Calls are equal when every field is.
    friend bool operator==(const call&, const call&) = default;
};

}  // namespace dualstore::testing

/// Formats a call as `store.kind(key)`; takes no format specifiers.
template <>
struct fmt::formatter<dualstore::testing::call> {
    constexpr auto parse(format_parse_context& ctx) { return ctx.begin(); }

    template <class Context>
    auto format(const dualstore::testing::call& c, Context& ctx) const {
        return fmt::format_to(ctx.out(), "{}.{}({})", c.store, c.kind, c.key);
    }
};

namespace dualstore::testing {

/// An append-only, ordered log of calls. Thread-safe.
class call_log {
public:
    /// Appends `c`.
    void record(call c) {
        std::lock_guard lock(mutex_);
        calls_.push_back(std::move(c));
    }

    /// A copy of every call so far, oldest first.
    [[nodiscard]] std::vector<call> entries() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

    /// The number of calls recorded.
    [[nodiscard]] std::size_t size() const {
        std::lock_guard lock(mutex_);
        return calls_.size();
    }

    /// Forgets every call.
    void clear() {
        std::lock_guard lock(mutex_);
        calls_.clear();
    }

    /// The number of calls made to the store called `store`.
    [[nodiscard]] std::size_t count(std::string_view store) const {
        return count_if([&](const call& c) { return c.store == store; });
    }

    /// The number of calls of `kind` made to the store called `store`.
    [[nodiscard]] std::size_t count(std::string_view store, call_kind kind) const {
        return count_if([&](const call& c) { return c.store == store && c.kind == kind; });
    }

    /// Every call, one per line (`#0 old.put(k)`), for failure messages.
    [[nodiscard]] std::string format() const {
        std::lock_guard lock(mutex_);
        std::string text;
        for (std::size_t i = 0; i < calls_.size(); ++i) {
            fmt::format_to(std::back_inserter(text), "#{} {}\n", i, calls_[i]);
        }
        return text;
    }

private:
    template <class Predicate>
    [[nodiscard]] std::size_t count_if(Predicate predicate) const {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::ranges::count_if(calls_, predicate));
    }

    mutable std::mutex mutex_;
    std::vector<call> calls_;
};

/// Wraps the backend `S` (held by reference when `S` is `T&`, owned when it is
/// `T`), models exactly the capability concepts `S` models, and records each
/// call in a `call_log` before forwarding it (so a call that throws is
/// recorded too). The log is its own, or one shared with other stores so that
/// a test sees the order of calls across them.
///
/// Thread-safe when the backend is.
template <class S>
class recording_store : public detail::forwarding_store<recording_store<S>, S> {
    using base = detail::forwarding_store<recording_store<S>, S>;
    friend base;

public:
    /// The backend's key type.
    using key_type = typename base::key_type;

    /// Wraps `inner` (referred to when `S` is a reference, else moved in),
    /// recording into a log of its own under `name`.
    explicit recording_store(S&& inner, std::string name = "store")
        : base(std::in_place, std::forward<S>(inner)),
          own_log_(std::make_unique<call_log>()),
          log_(own_log_.get()),
          name_(std::move(name)) {}

    /// Wraps `inner`, recording into `log` (which must outlive the store)
    /// under `name`.
    recording_store(S&& inner, call_log& log, std::string name)
        : base(std::in_place, std::forward<S>(inner)), log_(&log), name_(std::move(name)) {}

    /// The log this store records into.
    [[nodiscard]] call_log& log() const noexcept { return *log_; }

    /// The name this store records under.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    /// The forwarding hook: records the call.
    void before(call_kind kind, const typename base::keys_type& keys) {
        log_->record(call{name_, kind, keys.text()});
    }

    std::unique_ptr<call_log> own_log_;
    call_log* log_;
    std::string name_;
};

/// Deduces `recording_store<T&>` from an lvalue backend (held by reference) and
/// `recording_store<T>` from an rvalue (moved in and owned).
template <class S, class... Rest>
recording_store(S&&, Rest&&...) -> recording_store<detail::held_t<S&&>>;

}  // namespace dualstore::testing

/// Formats a log as `call_log::format()` does.
template <>
struct fmt::formatter<dualstore::testing::call_log> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const dualstore::testing::call_log& log, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(log.format(), ctx);
    }
};
