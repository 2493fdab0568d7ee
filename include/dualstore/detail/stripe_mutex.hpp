#pragma once
/// \file
/// `stripe_mutex` and `hash_key_bytes`: the lock and the hash behind
/// `key_lock_table`, inline so an uncontended write pays for them in a few
/// instructions instead of two calls into libc and one into libstdc++.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace dualstore::detail {

/// A mutex in one 32-bit word (Drepper's "Futexes Are Tricky", mutex 2):
/// 0 free, 1 held, 2 held and someone may be waiting. Uncontended, `lock` is
/// one compare-exchange and `unlock` one exchange, both inline. A waiter
/// sleeps at once, as glibc's mutex does (on Linux in the futex itself;
/// elsewhere in `std::atomic::wait`): spinning would only steal the processor
/// from the holder when there are more writers than cores. Satisfies Lockable.
class stripe_mutex {
public:
    stripe_mutex() noexcept = default;
    stripe_mutex(const stripe_mutex&) = delete;
    stripe_mutex& operator=(const stripe_mutex&) = delete;

    /// Takes the mutex if it is free.
    [[nodiscard]] bool try_lock() noexcept {
        std::uint32_t expected = free;
        return state_.compare_exchange_strong(expected, held, std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }

    /// Takes the mutex, sleeping while another thread holds it.
    void lock() noexcept {
        if (!try_lock()) lock_contended();
    }

    /// Releases the mutex and wakes one waiter, if any may be waiting.
    void unlock() noexcept {
        if (state_.exchange(free, std::memory_order_release) == contended) wake_one();
    }

private:
    static constexpr std::uint32_t free = 0;
    static constexpr std::uint32_t held = 1;
    static constexpr std::uint32_t contended = 2;

    void lock_contended() noexcept {
        // Marking the word contended before sleeping makes the holder's unlock
        // wake us; whoever swaps in `contended` over `free` owns the mutex.
        while (state_.exchange(contended, std::memory_order_acquire) != free)
            sleep_while_contended();
    }

#if defined(__linux__)
    // The futex syscall works on the atomic's own 32-bit word.
    std::uint32_t* word() noexcept {
        return reinterpret_cast<std::uint32_t*>(&state_);
    }
    void sleep_while_contended() noexcept {
        ::syscall(SYS_futex, word(), FUTEX_WAIT_PRIVATE, contended, nullptr, nullptr, 0);
    }
    void wake_one() noexcept {
        ::syscall(SYS_futex, word(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free);
#else
    void sleep_while_contended() noexcept {
        state_.wait(contended, std::memory_order_relaxed);
    }
    void wake_one() noexcept {
        state_.notify_one();
    }
#endif

    std::atomic<std::uint32_t> state_{free};
};

/// A fast, well-mixed 64-bit hash of a byte string, for choosing a stripe
/// (not for hash tables exposed to untrusted keys, nor stable across
/// versions). Reads the bytes eight at a time; a 16-byte key costs about
/// twenty instructions and no call.
[[nodiscard]] inline std::uint64_t hash_key_bytes(std::string_view bytes) noexcept {
    constexpr std::uint64_t mul1 = 0xBF58476D1CE4E5B9ULL;  // SplitMix64's multipliers
    constexpr std::uint64_t mul2 = 0x94D049BB133111EBULL;
    const auto mix = [](std::uint64_t hash, std::uint64_t word) noexcept {
        hash = (hash ^ word) * mul1;
        return hash ^ (hash >> 31U);
    };
    const char* data = bytes.data();
    std::size_t left = bytes.size();
    std::uint64_t hash = 0x9E3779B97F4A7C15ULL ^ bytes.size();
    std::uint64_t word = 0;
    for (; left >= sizeof word; left -= sizeof word, data += sizeof word) {
        std::memcpy(&word, data, sizeof word);
        hash = mix(hash, word);
    }
    if (left != 0) {
        word = 0;
        for (std::size_t i = 0; i < left; ++i) {
            word |= std::uint64_t{static_cast<unsigned char>(data[i])} << (8U * i);
        }
        hash = mix(hash, word);
    }
    hash *= mul2;
    return hash ^ (hash >> 32U);
}

}  // namespace dualstore::detail
