#pragma once
/// \file
/// Walks a whole `scannable_store` page by page, in bounded memory.

#include <dualstore/concepts.hpp>

#include <cstddef>
#include <optional>

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

}  // namespace dualstore::detail
