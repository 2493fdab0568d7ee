#pragma once
/// \file
/// `key_lock_table`: striped per-key locks. The mechanism behind
/// `order::per_key`, and what a repair running in the same process takes so
/// it is ordered with live writes to the same key.

#include <dualstore/detail/stripe_mutex.hpp>
#include <dualstore/detail/wait_hook.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

namespace dualstore {

/// Whether keys of type `Key` can be locked: hashable with `std::hash`, or
/// convertible to `std::string_view`.
template <class Key>
concept lockable_key = requires(const Key& key) {
    { std::hash<Key>{}(key) } -> std::convertible_to<std::size_t>;
}
|| std::is_convertible_v<const Key&, std::string_view>;

namespace detail {

/// The `key_lock_table`s the calling thread holds a key of (usually none or
/// one), forgotten in any order.
struct held_key_tables {
    static constexpr std::size_t capacity = 8;
    std::array<const void*, capacity> tables{};
    std::size_t count = 0;

    [[nodiscard]] bool holds(const void* table) const noexcept {
        for (std::size_t i = 0; i < count; ++i) {
            if (tables[i] == table) return true;
        }
        return false;
    }
    void remember(const void* table) noexcept { tables[count++] = table; }
    void forget(const void* table) noexcept {
        for (std::size_t i = count;
             i-- > 0;) {  // the last one first: usually released in LIFO order
            if (tables[i] == table) {
                tables[i] = tables[count - 1];
                --count;
                return;
            }
        }
    }
};

}  // namespace detail

/// A fixed set of mutexes; a key is locked by locking the mutex its hash
/// selects, so different keys rarely wait for each other and one key's
/// holders are serialised. Thread-safe; not copyable or movable.
///
/// A thread holds at most one key of a table at a time: locking a second one
/// (for example from a failure sink or observer that writes through the same
/// store) would deadlock against another thread doing the reverse, so it
/// throws `error` instead. Keys of different tables may be held together (up
/// to `max_tables_per_thread`), released in any order.
class key_lock_table {
public:
    /// How many tables one thread may hold a key of at once.
    static constexpr std::size_t max_tables_per_thread = detail::held_key_tables::capacity;

    /// A held key; unlocks when destroyed. Movable within the thread that
    /// acquired it (it must be released there); an empty lock holds nothing.
    class lock {
    public:
        /// Holds nothing.
        lock() noexcept = default;
        lock(lock&& other) noexcept
            : mutex_(std::exchange(other.mutex_, nullptr)),
              table_(std::exchange(other.table_, nullptr)) {}
        lock& operator=(lock&& other) noexcept {
            if (this != &other) {
                release();
                mutex_ = std::exchange(other.mutex_, nullptr);
                table_ = std::exchange(other.table_, nullptr);
            }
            return *this;
        }
        lock(const lock&) = delete;
        lock& operator=(const lock&) = delete;
        ~lock() { release(); }

        /// Whether a key is held.
        [[nodiscard]] bool owns_lock() const noexcept { return mutex_ != nullptr; }

    private:
        friend key_lock_table;
        lock(detail::stripe_mutex& mutex, const key_lock_table* table) noexcept
            : mutex_(&mutex), table_(table) {}

        void release() noexcept {
            if (mutex_ == nullptr) return;
            held_by_this_thread.forget(table_);
            mutex_->unlock();
            mutex_ = nullptr;
            table_ = nullptr;
        }

        detail::stripe_mutex* mutex_ = nullptr;
        const key_lock_table* table_ = nullptr;
    };

    /// A table of `stripes` locks (rounded up to a power of two, at least 1).
    explicit key_lock_table(std::size_t stripes = 1024)
        : mask_(std::bit_ceil(stripes == 0 ? std::size_t{1} : stripes) - 1),
          stripes_(std::make_unique<stripe[]>(mask_ + 1)) {}

    key_lock_table(const key_lock_table&) = delete;
    key_lock_table& operator=(const key_lock_table&) = delete;

    /// Locks `key`, waiting while another thread holds it (or a key of the
    /// same stripe). Throws `error` when the calling thread already holds a
    /// key of this table.
    template <lockable_key Key>
    [[nodiscard]] lock acquire(const Key& key) {
        if (held_by_this_thread.count != 0) refuse_if_held();
        detail::stripe_mutex& mutex = stripes_[index_of(key)].mutex;
        detail::lock_cooperatively(mutex);
        held_by_this_thread.remember(this);
        return lock(mutex, this);
    }

    /// The number of stripes.
    [[nodiscard]] std::size_t stripes() const noexcept { return mask_ + 1; }

    /// The stripe `key` maps to.
    template <lockable_key Key>
    [[nodiscard]] std::size_t index_of(const Key& key) const noexcept {
        std::uint64_t hash = 0;
        if constexpr (std::is_convertible_v<const Key&, std::string_view>) {
            hash = detail::hash_key_bytes(std::string_view(key));
        } else {
            hash = std::hash<Key>{}(key);
        }
        // Fibonacci hashing: spreads identity hashes (small integers) too.
        return static_cast<std::size_t>((hash * 0x9E3779B97F4A7C15ULL) >> 32U) & mask_;
    }

private:
    /// Throws when the calling thread holds a key of this table already (or
    /// of too many tables). Out of line: the common path holds none; a
    /// template, so that only a file that locks keys compiles it.
    template <class = void>
    [[gnu::cold, gnu::noinline]] void refuse_if_held() const {
        if (held_by_this_thread.holds(this)) {
            throw error(
                "dualstore: a write to a key from inside another write through the same store "
                "(a failure sink or observer that writes through it) would deadlock under "
                "order::per_key; write from another thread or to the backends directly");
        }
        if (held_by_this_thread.count == max_tables_per_thread) {
            throw error(
                fmt::format("dualstore: one thread holds keys of {} key_lock_tables at once; "
                            "release one before locking a key of another",
                            max_tables_per_thread));
        }
    }

    struct alignas(64) stripe {  // one cache line each: neighbours do not false-share
        detail::stripe_mutex mutex;
    };

    static inline constinit thread_local detail::held_key_tables held_by_this_thread{};

    std::size_t mask_;
    std::unique_ptr<stripe[]> stripes_;
};

}  // namespace dualstore
