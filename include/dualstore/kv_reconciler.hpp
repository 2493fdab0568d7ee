#pragma once
/// \file
/// `kv_reconciler<Primary, Secondary, Equal>`: reconciles two key-value
/// stores of byte-string keys by sampling their keys in one bounded-memory
/// pass and comparing values.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/scan_all.hpp>
#include <dualstore/error.hpp>
#include <dualstore/reconciler.hpp>
#include <dualstore/repair.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore {

/// Compares two values by a 64-bit FNV-1a digest of their bytes instead of
/// byte by byte: for stores whose values are digests already, or to keep
/// only digests in reports.
struct digest_equal {
    /// The digest of `bytes`.
    static std::uint64_t digest(std::string_view bytes) noexcept {
        std::uint64_t h = 14695981039346656037ULL;
        for (const char c : bytes) {
            h ^= static_cast<unsigned char>(c);
            h *= 1099511628211ULL;
        }
        return h;
    }
    /// Whether the digests of `a` and `b` are equal.
    bool operator()(std::string_view a, std::string_view b) const noexcept {
        return digest(a) == digest(b);
    }
};

/// Options of a `kv_reconciler`.
struct kv_reconciler_options {
    /// The reconciler's name in reports.
    std::string name = "kv";
    /// Seed of the sampling generator (0: random).
    std::uint64_t seed = 0;
    /// Repair a drifted key from the primary (`repair_key`) after reporting it.
    bool repair = false;
    /// Items per scan page.
    std::size_t page_size = 512;
};

/// VDiff-style counts of everything a reconciler has checked.
struct vdiff_counts {
    std::uint64_t matching = 0;            ///< keys in sync
    std::uint64_t mismatched = 0;          ///< both have the key, values differ
    std::uint64_t extra_in_primary = 0;    ///< missing in the secondary
    std::uint64_t extra_in_secondary = 0;  ///< missing in the primary
    std::uint64_t errors = 0;              ///< checks that failed
    /// Counts are equal when every field is.
    friend bool operator==(const vdiff_counts&, const vdiff_counts&) = default;
};

/// Reconciles `Primary` against `Secondary` (both `scannable_store`s with
/// `std::string` keys). Sampling is one pass over the primary and one over
/// the secondary (keys only it has), keeping a reservoir of at most `budget`
/// keys: memory is bounded by the budget and a scan page, whatever the
/// stores' size. The secondary pass checks each of its keys against the
/// primary (one `get` each). Thread-compatible (one run at a time).
template <scannable_store Primary, scannable_store Secondary, class Equal = std::equal_to<>>
class kv_reconciler {
public:
    static_assert(std::is_same_v<key_type_t<Primary>, std::string> &&
                      std::is_same_v<key_type_t<Secondary>, std::string>,
                  "dualstore: kv_reconciler needs stores with std::string keys");

    /// Reconciles `primary` against `secondary`, both held by reference.
    kv_reconciler(Primary& primary, Secondary& secondary, kv_reconciler_options options = {},
                  Equal equal = {})
        : primary_(primary),
          secondary_(secondary),
          options_(std::move(options)),
          equal_(std::move(equal)),
          random_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

    /// The name given in the options.
    [[nodiscard]] std::string_view name() const noexcept { return options_.name; }

    /// At most `budget` keys: a uniform random sample of all keys of both
    /// stores (`sampled`), or the first `budget` of them (`full`).
    std::vector<std::string> list_sample_keys(reconcile_mode mode, std::size_t budget) {
        std::vector<std::string> keys;
        std::uint64_t seen = 0;
        const auto offer = [&](const std::string& key) {
            ++seen;
            if (keys.size() < budget) {
                keys.push_back(key);
            } else if (mode == reconcile_mode::sampled && budget > 0) {
                // Reservoir sampling (algorithm R): each key kept with probability budget/seen.
                const auto slot =
                    std::uniform_int_distribution<std::uint64_t>(0, seen - 1)(random_);
                if (slot < budget) keys[slot] = key;
            }
            return mode == reconcile_mode::sampled || keys.size() < budget;
        };
        detail::for_each_item(primary_, options_.page_size,
                              [&](const std::string& key, const auto&) { return offer(key); });
        detail::for_each_item(
            secondary_, options_.page_size, [&](const std::string& key, const auto&) {
                return primary_.get(key) ? true : offer(key);  // keys only the secondary has
            });
        population_ = seen;
        return keys;
    }

    /// The number of keys the last `list_sample_keys` saw (both stores, each once).
    [[nodiscard]] std::uint64_t population() const noexcept { return population_; }

    /// Compares `key` in both stores; repairs it when drifted and repair is on.
    sample_result reconcile(const std::string& key) {
        sample_result result{key, true, drift_reason::none, {}, false};
        try {
            const auto in_primary = primary_.get(key);
            const auto in_secondary = secondary_.get(key);
            if (in_primary && !in_secondary) {
                result.reason = drift_reason::missing_in_secondary;
            } else if (!in_primary && in_secondary) {
                result.reason = drift_reason::missing_in_primary;
            } else if (in_primary && !std::invoke(equal_, *in_primary, *in_secondary)) {
                result.reason = drift_reason::values_differ;
            }
        } catch (...) {
            result.reason = drift_reason::error;
            result.detail = describe(std::current_exception());
        }
        result.in_sync = result.reason == drift_reason::none;
        count(result.reason);
        if (!result.in_sync && result.reason != drift_reason::error && options_.repair) {
            try {
                repair_key(primary_, secondary_, key);
                result.repaired = true;
            } catch (...) {
                result.detail =
                    fmt::format("repair failed: {}", describe(std::current_exception()));
            }
        }
        return result;
    }

    /// Everything checked so far, by verdict.
    [[nodiscard]] vdiff_counts counts() const noexcept {
        return {matching_.load(), mismatched_.load(), extra_in_primary_.load(),
                extra_in_secondary_.load(), errors_.load()};
    }

private:
    void count(drift_reason r) noexcept {
        switch (r) {
            case drift_reason::none:
                ++matching_;
                break;
            case drift_reason::values_differ:
                ++mismatched_;
                break;
            case drift_reason::missing_in_secondary:
                ++extra_in_primary_;
                break;
            case drift_reason::missing_in_primary:
                ++extra_in_secondary_;
                break;
            case drift_reason::error:
                ++errors_;
                break;
        }
    }

    Primary& primary_;
    Secondary& secondary_;
    kv_reconciler_options options_;
    Equal equal_;
    std::mt19937_64 random_;
    std::uint64_t population_ = 0;
    std::atomic<std::uint64_t> matching_{0}, mismatched_{0}, extra_in_primary_{0},
        extra_in_secondary_{0}, errors_{0};
};

}  // namespace dualstore
