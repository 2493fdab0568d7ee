#pragma once
/// \file
/// `detail::key_sample_builder`: the bottom-k sample of `key_sampling_store`,
/// drawn in the process from keys offered one at a time (by the stores that
/// list their keys rather than sample them on a server). Its own header so
/// that what includes only the concept does not compile a `std::set`.

#include <dualstore/reconcile/key_sample.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::detail {

/// Keeps the `n` smallest (hash, key) of the keys offered: what a
/// `key_sampling_store` computes, for stores that compute it in the process.
/// A key offered twice (a scan that may repeat keys) is kept once; `keys`
/// counts every offer. O(log n) per offer.
class key_sample_builder {
public:
    key_sample_builder(std::uint64_t salt, std::size_t n) : salt_(salt), n_(n) {}

    /// Offers one live key.
    void offer(std::string_view key) {
        ++keys_;
        if (n_ == 0) return;
        const std::uint64_t hash = key_sample_hash(key, salt_);
        if (kept_.size() == n_) {
            const auto& [largest_hash, largest_key] = *kept_.rbegin();
            if (hash > largest_hash || (hash == largest_hash && key >= largest_key)) return;
        }
        kept_.emplace(hash, key);
        if (kept_.size() > n_) kept_.erase(std::prev(kept_.end()));
    }

    /// The sample, ascending.
    key_hash_sample done() && {
        key_hash_sample sample;
        sample.keys = keys_;
        sample.smallest.reserve(kept_.size());
        while (!kept_.empty()) {
            sample.smallest.push_back(std::move(kept_.extract(kept_.begin()).value()));
        }
        return sample;
    }

private:
    std::uint64_t salt_;
    std::size_t n_;
    std::uint64_t keys_ = 0;
    std::set<std::pair<std::uint64_t, std::string>> kept_;  // ascending
};

}  // namespace dualstore::detail
