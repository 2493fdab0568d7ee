#pragma once
/// \file
/// `key_lock_table`: striped per-key locks. The mechanism behind
/// `order::per_key`, and what a repair running in the same process takes so
/// it is ordered with live writes to the same key.

#include <dualstore/detail/wait_hook.hpp>
#include <dualstore/error.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

/// A fixed set of mutexes; a key is locked by locking the mutex its hash
/// selects, so different keys rarely wait for each other and one key's
/// holders are serialised. Thread-safe; not copyable or movable.
///
/// A thread holds at most one key of a table at a time: locking a second one
/// (for example from a failure sink or observer that writes through the same
/// store) would deadlock against another thread doing the reverse, so it
/// throws `error` instead.
class key_lock_table {
public:
    /// A held key; unlocks when destroyed. Movable; an empty lock holds nothing.
    class lock {
    public:
        /// Holds nothing.
        lock() noexcept = default;
        lock(lock&& other) noexcept
            : mutex_(std::exchange(other.mutex_, nullptr)),
              outer_(std::exchange(other.outer_, nullptr)) {}
        lock& operator=(lock&& other) noexcept {
            if (this != &other) {
                release();
                mutex_ = std::exchange(other.mutex_, nullptr);
                outer_ = std::exchange(other.outer_, nullptr);
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
        lock(std::mutex& mutex, const key_lock_table* outer) noexcept
            : mutex_(&mutex), outer_(outer) {}

        void release() noexcept {
            if (mutex_ == nullptr) return;
            holding = outer_;
            mutex_->unlock();
            mutex_ = nullptr;
            outer_ = nullptr;
        }

        std::mutex* mutex_ = nullptr;
        const key_lock_table* outer_ = nullptr;  // the table this thread held a key of before
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
        if (holding == this) {
            throw error(
                "dualstore: a write to a key from inside another write through the same store "
                "(a failure sink or observer that writes through it) would deadlock under "
                "order::per_key; write from another thread or to the backends directly");
        }
        std::mutex& mutex = stripes_[index_of(key)].mutex;
        detail::lock_cooperatively(mutex);
        return lock(mutex, std::exchange(holding, this));
    }

    /// The number of stripes.
    [[nodiscard]] std::size_t stripes() const noexcept { return mask_ + 1; }

    /// The stripe `key` maps to.
    template <lockable_key Key>
    [[nodiscard]] std::size_t index_of(const Key& key) const noexcept {
        std::size_t hash = 0;
        if constexpr (std::is_convertible_v<const Key&, std::string_view>) {
            hash = std::hash<std::string_view>{}(std::string_view(key));
        } else {
            hash = std::hash<Key>{}(key);
        }
        // Fibonacci hashing: spreads identity hashes (small integers) too.
        return static_cast<std::size_t>(
                   (static_cast<std::uint64_t>(hash) * 0x9E3779B97F4A7C15ULL) >> 32U) &
               mask_;
    }

private:
    struct alignas(64) stripe {  // one cache line each: neighbours do not false-share
        std::mutex mutex;
    };

    static inline constinit thread_local const key_lock_table* holding = nullptr;

    std::size_t mask_;
    std::unique_ptr<stripe[]> stripes_;
};

}  // namespace dualstore
