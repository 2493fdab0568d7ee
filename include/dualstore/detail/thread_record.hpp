#pragma once
/// \file
/// `thread_record`: a few words per thread that only that thread writes and
/// any thread may read, found through a process-wide list. A stage gate
/// registers an operation in its thread's record with one store, and the
/// gate's `set_stage` reads every record to find the operations in flight;
/// an exit is then a plain store instead of a locked decrement of a shared
/// counter, which every thread's entry and exit would contend on.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

namespace dualstore::detail {

/// The slots of one thread. A slot holds a word (a gate's address with its
/// epoch's parity in the low bit) or 0 when free. A record belongs to one
/// live thread at a time; a thread that ends frees it for the next thread,
/// and records are never deallocated (there are at most as many as threads
/// ever alive at once), so a reader walking the list never meets freed
/// memory. One cache line, so threads do not false-share.
struct alignas(64) thread_record {
    /// Slots per thread: distinct gates one thread is inside at once
    /// (nested operations of different migrations); more fall back to the
    /// gate's shared counter.
    static constexpr std::size_t slot_count = 6;

    std::array<std::atomic<std::uintptr_t>, slot_count> slots{};  ///< 0: free
    std::atomic<bool> taken{true};                                ///< owned by a live thread
    thread_record* next = nullptr;  ///< the next record; fixed once published

    /// The first record of the process-wide list (newest first).
    static std::atomic<thread_record*>& head() noexcept {
        static constinit std::atomic<thread_record*> first{nullptr};
        return first;
    }

    /// The calling thread's record: taken on first use (a free one reused,
    /// else a new one published), freed when the thread ends; null when
    /// there was no memory for a new one, or after the thread gave it back.
    static thread_record* mine() noexcept {
        if (thread_record* taken = known()) return taken;
        if (given_back) return nullptr;  // the thread is ending: its record is another's now
        thread_local owner held;         // takes the record; frees it when the thread ends
        cached = held.record;
        return held.record;
    }

    /// The calling thread's record once `mine` has taken it, else null: one
    /// load of a constant-initialised thread-local, for a fast path.
    static thread_record* known() noexcept { return cached; }

private:
    /// Takes a record for the calling thread and frees it at thread exit.
    struct owner {
        thread_record* record = take();
        owner() = default;
        owner(const owner&) = delete;
        owner& operator=(const owner&) = delete;
        ~owner() {
            cached = nullptr;
            given_back = true;
            if (record != nullptr) record->taken.store(false, std::memory_order_release);
        }
    };

    /// The record `mine` took, once it has.
    static inline constinit thread_local thread_record* cached = nullptr;
    /// Whether the thread gave its record back (its thread-locals are being
    /// destroyed; an operation run from one of them uses no record).
    static inline constinit thread_local bool given_back = false;

    static thread_record* take() noexcept {
        for (thread_record* r = head().load(std::memory_order_acquire); r != nullptr; r = r->next) {
            bool expected = false;
            if (!r->taken.load(std::memory_order_relaxed) &&
                r->taken.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
                return r;
            }
        }
        auto* fresh = new (std::nothrow) thread_record;  // never deleted: see the struct
        if (fresh == nullptr) return nullptr;
        fresh->next = head().load(std::memory_order_relaxed);
        while (!head().compare_exchange_weak(fresh->next, fresh, std::memory_order_release,
                                             std::memory_order_relaxed)) {
        }
        return fresh;
    }
};

}  // namespace dualstore::detail
