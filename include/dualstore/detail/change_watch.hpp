#pragma once
/// \file
/// `change_watch`: whether a store held still between two moments, by its
/// change stamp (`change_stamped_store`). Over a store without stamps it
/// never vouches, so the caller re-reads as it would anyway.

#include <dualstore/concepts.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace dualstore::detail {

/// Watches a store for writes: `start` reads its stamp, `held_still` reads it
/// again and says whether it is unchanged. A stamp that cannot be read (the
/// store failed) counts as a change, so a watch only ever saves a re-read,
/// never makes an operation fail. Costs one `change_stamp()` per call.
template <class Store>
class change_watch {
public:
    /// Begins watching (nothing to read without stamps).
    void start(Store& /*store*/) noexcept {}
    /// Never: the store cannot vouch for itself.
    [[nodiscard]] bool held_still(Store& /*store*/) noexcept { return false; }
};

/// \copydoc change_watch
template <change_stamped_store Store>
class change_watch<Store> {
public:
    /// Reads the stamp the next `held_still` compares against.
    void start(Store& store) noexcept { started_ = read(store); }

    /// Whether no write reached `store` since `start`. Once it answers no, it
    /// answers no without asking the store until the next `start`.
    [[nodiscard]] bool held_still(Store& store) noexcept {
        if (started_ && read(store) == started_) return true;
        started_.reset();
        return false;
    }

private:
    using stamp_type = std::remove_cvref_t<decltype(std::declval<Store&>().change_stamp())>;

    static std::optional<stamp_type> read(Store& store) noexcept {
        try {
            return store.change_stamp();
        } catch (...) {
            return std::nullopt;
        }
    }

    std::optional<stamp_type> started_;
};

}  // namespace dualstore::detail
