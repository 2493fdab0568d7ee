#pragma once
/// \file
/// `scan(store[, page_size])`: every record of a scannable store as a
/// `std::ranges` input view, read page by page as it is iterated, so the
/// standard views compose over it:
/// `ds::scan(store) | std::views::filter(...) | std::views::transform(...)`.
/// Cost: one page (at most `page_size` records) in memory, one `store.scan`
/// call per page.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/scan_all.hpp>

#include <cstddef>
#include <iterator>
#include <ranges>
#include <utility>

namespace dualstore {

/// An input view over every record of `Store`, in the store's scan order,
/// fetched lazily one page at a time with the store's cursor. Built by
/// `scan(store, page_size)`; refers to the store, which must outlive it.
///
/// Single pass: `begin()` reads the first page, each `++` moves to the next
/// record and reads the next page when the current one is used up. A store
/// exception propagates from the call that read the page (`begin()` or
/// `++`); the iterator may then only be incremented again, which reads the
/// page that failed again, or dropped. The view holds one page (at most
/// `page_size` records); moving the view invalidates its iterators. It is
/// move-only (a copy would copy a page): pass a named view on with
/// `std::move`. Not thread-safe; the store's scan decides what a scan
/// beside concurrent writes sees (`scannable_store`).
///
/// A `std::ranges::view_base`, not a `view_interface`: every member that
/// base adds needs a forward range, and Clang before 16 cannot instantiate
/// libstdc++'s `view_interface` at all (llvm-project issue 44178).
template <scannable_store Store>
class scan_view : public std::ranges::view_base {
    using reader_type = detail::page_reader<Store>;

public:
    /// One record: the element type of a `scan_page`.
    using record_type = typename reader_type::item_type;

    /// Walks the records; yields `record_type&`, valid until the next `++`.
    class iterator {
    public:
        /// An input iterator: single pass.
        using iterator_concept = std::input_iterator_tag;
        /// A record.
        using value_type = record_type;
        /// Required of every iterator; a scan's length is unknown.
        using difference_type = std::ptrdiff_t;

        /// A singular iterator; only assignable.
        iterator() = default;

        /// The current record, which stays valid until the next `++`.
        [[nodiscard]] record_type& operator*() const noexcept { return *record_; }

        /// Moves to the next record, reading the next page when needed.
        /// A store exception propagates (see `scan_view`).
        iterator& operator++() {
            reader_->advance();
            record_ = reader_->current();
            return *this;
        }

        /// Moves to the next record (an input iterator has no copy to return).
        void operator++(int) { ++*this; }

        /// Whether the scan is over.
        [[nodiscard]] friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.record_ == nullptr;
        }

    private:
        friend scan_view;
        iterator(reader_type& reader, record_type* record) noexcept
            : reader_(&reader), record_(record) {}

        reader_type* reader_ = nullptr;
        record_type* record_ = nullptr;
    };

    /// A view of `store` read in pages of `page_size` records (0 counts as 1).
    scan_view(Store& store, std::size_t page_size)
        : reader_(store, page_size, typename Store::cursor_type{}) {}

    scan_view(scan_view&&) = default;             ///< Takes over the scan.
    scan_view& operator=(scan_view&&) = default;  ///< Takes over the scan.
    scan_view(const scan_view&) = delete;
    scan_view& operator=(const scan_view&) = delete;
    ~scan_view() = default;  ///< Releases the page held.

    /// An iterator at the current record, reading the first page on the
    /// first call; a store exception propagates.
    [[nodiscard]] iterator begin() { return iterator(reader_, reader_.current()); }

    /// The end of the scan.
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return std::default_sentinel; }

private:
    reader_type reader_;
};

/// Every record of `store` as an input view (`scan_view`), read lazily in
/// pages of `page_size` records (0 counts as 1): a full scan, each key
/// present for its whole duration exactly once. Holds one page in memory;
/// `store` must outlive the view. Nothing is read until `begin()`.
template <scannable_store Store>
[[nodiscard]] scan_view<Store> scan(Store& store, std::size_t page_size = 512) {
    return scan_view<Store>(store, page_size);
}

}  // namespace dualstore
