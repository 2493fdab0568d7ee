#pragma once
/// \file
/// `detail::page_batch`: the records of one backfill page bound for the
/// target in one call (`put_many`, `put_many_if_absent`), with what the
/// confirming re-read of each needs.

#include <dualstore/concepts.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace dualstore::detail {

/// The records of one page a backfill writes to `Target` in one call, in
/// page order: each as the target receives it, with its time to live where
/// the target's batches carry them (`expiring_batch_store`), the earliest
/// source expiry among them, and, unless the records move to the target as
/// they are (`Moves`: no mapping), each one's source key and value, which
/// the confirming re-read compares with the source.
template <class Source, class Target, bool Moves>
class page_batch {
public:
    using source_record = std::pair<key_type_t<Source>, mapped_type_t<Source>>;
    using target_record = std::pair<key_type_t<Target>, mapped_type_t<Target>>;

    /// Adds a record: `key` and `value` as the target receives them (moved
    /// from), made from `from_key` and `from_value` (which, with `Moves`,
    /// may be `key` and `value` themselves), with its time to live and its
    /// expiry in the source.
    void add(key_type_t<Target>&& key, mapped_type_t<Target>&& value,
             const key_type_t<Source>& from_key, const mapped_type_t<Source>& from_value,
             time_to_live ttl, std::optional<expiry_clock::time_point> expires_at) {
        if constexpr (!Moves) sources_.emplace_back(from_key, from_value);
        records_.emplace_back(std::move(key), std::move(value));
        if constexpr (expiring_batch_store<Target>) ttls_.push_back(ttl);
        if (expires_at && (!earliest_expiry_ || *expires_at < *earliest_expiry_))
            earliest_expiry_ = expires_at;
    }

    [[nodiscard]] bool empty() const noexcept { return records_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }

    /// The records as the target receives them.
    [[nodiscard]] const std::vector<target_record>& records() const noexcept { return records_; }

    /// The records as the source held them when read: what a confirming
    /// re-read of the source expects to find.
    [[nodiscard]] const auto& sources() const noexcept {
        if constexpr (Moves) {
            return records_;
        } else {
            return sources_;
        }
    }

    /// Record `i`'s time to live where the target's batches carry them
    /// (otherwise none: an expiring record never joins a batch).
    [[nodiscard]] time_to_live ttl_of([[maybe_unused]] std::size_t i) const {
        if constexpr (expiring_batch_store<Target>) {
            return ttls_[i];
        } else {
            return std::nullopt;
        }
    }

    /// The earliest source expiry among the records (none: none expires).
    [[nodiscard]] const std::optional<expiry_clock::time_point>& earliest_expiry() const noexcept {
        return earliest_expiry_;
    }

    /// Writes every record with `put_many`, with the times to live when any
    /// record has one.
    void put_many(Target& target) const requires batch_store<Target> {
        if constexpr (expiring_batch_store<Target>) {
            if (earliest_expiry_) {
                target.put_many(items(records_), ttls(ttls_));
                return;
            }
        }
        target.put_many(items(records_));
    }

    /// Writes the records whose keys the target lacks; which were written.
    [[nodiscard]] std::vector<bool> put_many_if_absent(Target& target) const requires
        conditional_batch_store<Target> {
        if constexpr (expiring_batch_store<Target>) {
            if (earliest_expiry_) return target.put_many_if_absent(items(records_), ttls(ttls_));
        }
        return target.put_many_if_absent(items(records_));
    }

    /// For each record, in order: whether its version (`mapping.version`)
    /// is greater than the target's, or the target lacks the key; from one
    /// `get_many` of the target. Every record without versions or batches.
    template <class Mapping>
    [[nodiscard]] std::vector<bool> newer_than(Target& target, const Mapping& mapping) const {
        std::vector<bool> newer(records_.size(), true);
        if constexpr (batch_store<Target> &&
                      requires(const mapped_type_t<Target>& v) { mapping.version(v); }) {
            std::vector<key_type_t<Target>> keys;
            keys.reserve(records_.size());
            for (const auto& item : records_) keys.push_back(item.first);
            const auto current = target.get_many(std::span<const key_type_t<Target>>(keys));
            if (current.size() != records_.size()) {
                throw error(
                    fmt::format("dualstore: backfill: get_many answered {} values for {} keys",
                                current.size(), records_.size()));
            }
            for (std::size_t i = 0; i < records_.size(); ++i) {
                newer[i] = !current[i] ||
                           mapping.version(*current[i]) < mapping.version(records_[i].second);
            }
        }
        return newer;
    }

    /// Keeps only the records `written` flags (from `put_many_if_absent`, or
    /// which newer_wins will write), in order; returns how many it dropped.
    std::size_t keep_only(const std::vector<bool>& written) {
        if (written.size() != records_.size()) {
            throw error(fmt::format(
                "dualstore: backfill: put_many_if_absent answered {} flags for {} records",
                written.size(), records_.size()));
        }
        std::size_t kept = 0;
        for (std::size_t i = 0; i < records_.size(); ++i) {
            if (!written[i]) continue;
            if (kept != i) {
                records_[kept] = std::move(records_[i]);
                if constexpr (!Moves) sources_[kept] = std::move(sources_[i]);
                if constexpr (expiring_batch_store<Target>) ttls_[kept] = ttls_[i];
            }
            ++kept;
        }
        const std::size_t dropped = records_.size() - kept;
        const auto end = static_cast<std::ptrdiff_t>(kept);
        records_.erase(records_.begin() + end, records_.end());
        if constexpr (!Moves) sources_.erase(sources_.begin() + end, sources_.end());
        if constexpr (expiring_batch_store<Target>) ttls_.resize(kept);
        return dropped;
    }

    /// Empties the batch for the next page.
    void clear() noexcept {
        records_.clear();
        sources_.clear();
        ttls_.clear();
        earliest_expiry_.reset();
    }

private:
    using items = std::span<const target_record>;
    using ttls = std::span<const time_to_live>;

    std::vector<target_record> records_;
    std::vector<source_record> sources_;  // with a mapping only
    std::vector<time_to_live> ttls_;      // where the target's batches carry them
    std::optional<expiry_clock::time_point> earliest_expiry_;
};

}  // namespace dualstore::detail
