#pragma once
/// \file
/// Walks a `scannable_store` page by page, in bounded memory: all of it
/// (`for_each_item`), or item by item from a resumable position
/// (`page_reader`, for merging two scans).

#include <dualstore/concepts.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace dualstore::detail {

/// Calls `fn(key, value)` for every item of `store`, `page_size` items at a
/// time; stops early when `fn` returns false.
template <scannable_store Store, class Fn>
void for_each_item(Store& store, std::size_t page_size, Fn&& fn) {
    std::optional<typename Store::cursor_type> cursor{typename Store::cursor_type{}};
    while (cursor) {
        auto page = store.scan(*cursor, page_size);
        for (auto& [key, value] : page.items) {
            if (!fn(key, value)) return;
        }
        cursor = std::move(page.next);
    }
}

/// Reads a scan one item at a time, holding one page (at most `page_size`
/// items). `page_start()` is the cursor the current page was read from, so a
/// caller can save it and read that page again later (a checkpoint); it is
/// empty once the scan is over.
template <scannable_store Store>
class page_reader {
public:
    /// The store's cursor.
    using cursor_type = typename Store::cursor_type;
    /// One item of a page.
    using item_type = std::pair<key_type_t<Store>, mapped_type_t<Store>>;

    /// Reads `store` from `from` (empty: the scan is over) in pages of
    /// `page_size` items (at least 1).
    page_reader(Store& store, std::size_t page_size, std::optional<cursor_type> from)
        : store_(&store),
          page_size_(std::max<std::size_t>(page_size, 1)),
          start_(std::move(from)) {}

    /// The current item, reading the next page when this one is used up;
    /// null once the scan is over. A store exception propagates, and the
    /// reader stays at the page it could not read.
    item_type* current() {
        while (start_) {
            if (!loaded_) {
                auto page = store_->scan(*start_, page_size_);
                items_.clear();
                for (auto&& item : page.items) items_.emplace_back(std::move(item));
                next_ = std::move(page.next);
                index_ = 0;
                loaded_ = true;
            }
            if (index_ < items_.size()) return &items_[index_];
            start_ = std::exchange(next_, std::nullopt);
            loaded_ = false;
        }
        items_.clear();
        return nullptr;
    }

    /// Moves past the current item (which `current` returned).
    void advance() noexcept { ++index_; }

    /// Where the current page was read from; empty once the scan is over.
    [[nodiscard]] const std::optional<cursor_type>& page_start() const noexcept { return start_; }

    /// Items of the current page (the memory held).
    [[nodiscard]] std::size_t held() const noexcept { return items_.size(); }

private:
    Store* store_;  // a pointer, not a reference: a reader can be moved and assigned
    std::size_t page_size_;
    std::optional<cursor_type> start_;
    std::vector<item_type> items_;
    std::size_t index_ = 0;
    std::optional<cursor_type> next_;
    bool loaded_ = false;
};

}  // namespace dualstore::detail
