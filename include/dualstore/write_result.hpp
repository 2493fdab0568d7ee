#pragma once
/// \file
/// What a write did on each side.

#include <dualstore/detail/named_formatter.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>

#include <exception>
#include <string_view>

namespace dualstore {

/// How one side's part of a write ended.
enum class outcome {
    skipped,  ///< the policy did not write this side
    ok,       ///< written
    failed,   ///< failed after its last attempt
};

/// The name of an outcome ("skipped", "ok", "failed").
[[nodiscard]] constexpr std::string_view to_string(outcome o) noexcept {
    constexpr std::string_view names[] = {"skipped", "ok", "failed"};
    return names[static_cast<int>(o)];
}

/// One side's part of a write.
struct side_status {
    /// How it ended.
    dualstore::outcome status = outcome::skipped;
    /// Calls made, the first included (0 when skipped).
    unsigned attempts = 0;
    /// The last error when `status == outcome::failed`.
    std::exception_ptr error{};

    /// Whether this side was written.
    [[nodiscard]] bool ok() const noexcept { return status == outcome::ok; }
    /// Whether this side failed.
    [[nodiscard]] bool failed() const noexcept { return status == outcome::failed; }
};

/// The result of a write that reached the caller without an exception: the
/// primary succeeded (or was not written); the secondary may have failed.
struct write_result {
    /// The primary's part.
    side_status primary{};
    /// The secondary's part.
    side_status secondary{};
    /// Whether a secondary failure was handed to the failure sink.
    bool enqueued = false;

    /// Whether no side failed.
    [[nodiscard]] bool ok() const noexcept { return !primary.failed() && !secondary.failed(); }
};

/// The result of `erase`: a `write_result` that converts to whether the
/// authoritative side had the key.
struct erase_result : write_result {
    /// Whether the authoritative side had the key.
    bool existed = false;

    /// \copydoc existed
    operator bool() const noexcept { return existed; }  // NOLINT(google-explicit-constructor)
};

}  // namespace dualstore

template <>
struct fmt::formatter<dualstore::outcome> : dualstore::detail::named_formatter<dualstore::outcome> {
};

template <>
struct fmt::formatter<dualstore::side_status> {
    constexpr auto parse(format_parse_context& ctx) { return ctx.begin(); }
    template <class Context>
    auto format(const dualstore::side_status& s, Context& ctx) const {
        if (s.failed()) {
            return fmt::format_to(ctx.out(), "failed after {} attempt(s): {}", s.attempts,
                                  dualstore::describe(s.error));
        }
        return fmt::format_to(ctx.out(), "{} ({} attempt(s))", s.status, s.attempts);
    }
};

template <>
struct fmt::formatter<dualstore::write_result> {
    constexpr auto parse(format_parse_context& ctx) { return ctx.begin(); }
    template <class Context>
    auto format(const dualstore::write_result& r, Context& ctx) const {
        return fmt::format_to(ctx.out(), "primary: {}; secondary: {}{}", r.primary, r.secondary,
                              r.enqueued ? "; enqueued for repair" : "");
    }
};
