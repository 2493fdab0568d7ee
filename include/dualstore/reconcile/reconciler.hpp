#pragma once
/// \file
/// The reconciler port: something that can list keys to check and say
/// whether one key agrees between two stores, and, for a streaming
/// reconciler, check every key in one resumable pass.

#include <fmt/format.h>
#include <dualstore/detail/named_formatter.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dualstore {

/// How much of the population a reconciliation run checks.
enum class reconcile_mode {
    sampled,  ///< a uniform random sample (nightly)
    /// Every key (weekly): streamed in bounded memory by a
    /// `streaming_reconciler`; the keys `list_sample_keys` gives, capped by
    /// the budget, for any other reconciler.
    full,
};

/// Why a key is out of sync.
enum class drift_reason {
    none,                  ///< in sync
    missing_in_secondary,  ///< the primary has the key, the secondary not
    missing_in_primary,    ///< the secondary has a key the primary does not
    values_differ,         ///< both have it, with different values
    error,                 ///< the check itself failed (a store threw)
};

/// The name of a reason ("missing_in_secondary").
[[nodiscard]] constexpr std::string_view to_string(drift_reason r) noexcept {
    switch (r) {
        case drift_reason::none:
            return "none";
        case drift_reason::missing_in_secondary:
            return "missing_in_secondary";
        case drift_reason::missing_in_primary:
            return "missing_in_primary";
        case drift_reason::values_differ:
            return "values_differ";
        case drift_reason::error:
            return "error";
    }
    return "unknown";
}

/// The verdict on one key.
struct sample_result {
    std::string key;                           ///< the key checked (bytes)
    bool in_sync = true;                       ///< whether both stores agree
    drift_reason reason = drift_reason::none;  ///< why not, if not
    std::string detail;                        ///< more words (the error's text)
    bool repaired = false;                     ///< whether the drift was repaired
};

/// What one call of a full pass (`streaming_reconciler::full_pass`) did.
struct full_pass_result {
    /// Keys given a verdict (each key of either store once per pass).
    std::uint64_t checked = 0;
    /// Keys taken from the scans: what the call's `max_keys` bounds.
    std::uint64_t scanned = 0;
    /// Whether the pass reached the end of both stores; if not, the next
    /// call continues from the checkpoint.
    bool complete = false;
    /// The last key checked (VDiff's checkpoint); empty when none was.
    std::string last_key;
};

/// A reconciler: `name()`, `list_sample_keys(mode, budget)` (at most
/// `budget` keys: a uniform sample in `sampled` mode, the first keys of the
/// population in `full` mode, capped by the budget for memory safety) and
/// `reconcile(key)`.
/// A drifted key is a result, never an exception; a reconciler that throws
/// for one key is counted as an error and the run goes on.
template <class R>
concept reconciler = requires(R& r, reconcile_mode mode, std::size_t budget,
                              const std::string& key) {
    { r.name() } -> std::convertible_to<std::string_view>;
    { r.list_sample_keys(mode, budget) } -> std::same_as<std::vector<std::string>>;
    { r.reconcile(key) } -> std::same_as<sample_result>;
};

/// A reconciler that can also check every key in bounded memory:
/// `full_pass(on_result, max_keys)` streams both stores, calls
/// `on_result(const sample_result&)` once per key checked, and stops after
/// `max_keys` keys taken from the scans (0: no limit) at a checkpoint the
/// next call continues from.
template <class R>
concept streaming_reconciler = reconciler<R> &&
    requires(R& r, void (*on_result)(const sample_result&), std::uint64_t n) {
    { r.full_pass(on_result, n) } -> std::same_as<full_pass_result>;
};

}  // namespace dualstore

/// Prints a drift reason by name.
template <>
struct fmt::formatter<dualstore::drift_reason>
    : dualstore::detail::named_formatter<dualstore::drift_reason> {};
