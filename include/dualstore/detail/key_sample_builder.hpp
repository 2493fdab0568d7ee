#pragma once
/// \file
/// `detail::key_sample_builder`: the bottom-k sample of `key_sampling_store`,
/// drawn in the process from keys offered one at a time (by the stores that
/// list their keys rather than sample them on a server) or merged from
/// several samples (two stores' samples into one); and `sample_keys_of`,
/// any scannable store's sample. Its own header so that what includes only
/// the concept does not compile a `std::set`.

#include <dualstore/detail/scan_all.hpp>
#include <dualstore/reconcile/key_sample.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::detail {

/// Keeps the `n` smallest (hash, key) of the keys offered: what a
/// `key_sampling_store` computes, for stores that compute it in the process,
/// and a k-minimum-values estimate of how many distinct keys were offered.
/// A key offered twice (a scan that may repeat keys, or a key two stores
/// hold) is kept once. O(log n) per offer.
///
/// A class template only so that its members compile in the files that use
/// them, not in every file that includes the reconciler; `key_sample_builder`
/// is its one instance.
template <class = void>
class basic_key_sample_builder {
public:
    basic_key_sample_builder(std::uint64_t salt, std::size_t n) : salt_(salt), n_(n) {}

    /// Offers one live key.
    void offer(std::string_view key) { offer(key_sample_hash(key, salt_), key); }

    /// Offers one live key whose hash under this builder's salt is `hash`.
    void offer(std::uint64_t hash, std::string_view key) {
        ++offers_;
        if (kept_.size() == n_) {
            if (n_ == 0) {
                dropped_ = true;
                return;
            }
            const auto& [largest_hash, largest_key] = *kept_.rbegin();
            if (hash > largest_hash || (hash == largest_hash && key > largest_key)) {
                dropped_ = true;
                return;
            }
        }
        if (kept_.emplace(hash, key).second && kept_.size() > n_) {
            kept_.erase(std::prev(kept_.end()));
            dropped_ = true;
        }
    }

    /// Merges another sample under the same salt (a store's own): its keys
    /// are offered, and its count stands for the keys it left out.
    void merge(const key_hash_sample& sample) {
        for (const auto& [hash, key] : sample.smallest) offer(hash, key);
        if (sample.keys > sample.smallest.size()) {
            offers_ += sample.keys - sample.smallest.size();
            dropped_ = true;
        }
    }

    /// How many keys it keeps (at most `n`).
    [[nodiscard]] std::size_t size() const noexcept { return kept_.size(); }

    /// How many distinct keys were offered: exact while every key offered is
    /// still kept; otherwise the k-minimum-values estimate (the n-1 kept
    /// keys below the n-th smallest hash are that fraction of 2^64), never
    /// below the sample nor above the offers.
    [[nodiscard]] std::uint64_t distinct() const {
        if (!dropped_) return kept_.size();
        if (n_ < 2) return offers_;
        const double fraction = static_cast<double>(kept_.rbegin()->first) / 18446744073709551616.0;
        const auto estimate =
            static_cast<std::uint64_t>(std::llround(static_cast<double>(n_ - 1) / fraction));
        return std::clamp<std::uint64_t>(estimate, n_, offers_);
    }

    /// The sample, ascending; `keys` is exact while no key was dropped, else
    /// the number of offers (a scan that repeats a key counts it twice).
    key_hash_sample done() && {
        key_hash_sample sample;
        sample.keys = dropped_ ? offers_ : kept_.size();
        sample.smallest.reserve(kept_.size());
        while (!kept_.empty()) {
            sample.smallest.push_back(std::move(kept_.extract(kept_.begin()).value()));
        }
        return sample;
    }

private:
    std::uint64_t salt_;
    std::size_t n_;
    std::uint64_t offers_ = 0;
    bool dropped_ = false;  // a distinct key was offered and not kept
    std::set<std::pair<std::uint64_t, std::string>> kept_;  // ascending
};

/// The key-sample builder.
using key_sample_builder = basic_key_sample_builder<>;

/// The `n` live keys of smallest `key_sample_hash(key, salt)` of `store`:
/// its own when it draws samples itself (`key_sampling_store`), else drawn
/// here from a scan, `page` items at a time.
template <class Store>
[[nodiscard]] key_hash_sample sample_keys_of(Store& store, std::uint64_t salt, std::size_t n,
                                             std::size_t page) {
    if constexpr (key_sampling_store<Store>) {
        return store.sample_keys(salt, n);
    } else {
        key_sample_builder sample(salt, n);
        for_each_item(store, page, [&](const auto& key, const auto&) {
            sample.offer(key);
            return true;
        });
        return std::move(sample).done();
    }
}

}  // namespace dualstore::detail
