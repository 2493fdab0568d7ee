#pragma once
/// \file
/// `memory_retry_queue`: a thread-safe in-process retry queue, for tests and
/// for services that accept losing queued repairs on a restart (the sampled
/// reconciler still finds them).

#include <dualstore/retry_queue.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dualstore {

/// A retry queue in memory. Thread-safe; entries are taken in identifier
/// (roughly arrival) order. A claim lapses after `claim_timeout`, so entries
/// taken by a drainer that never acknowledged them come back.
///
/// `Mutex` guards the entries: a `std::mutex` in the alias `memory_retry_queue`,
/// or any type with `lock()` and `unlock()` (one that counts its locks, in a
/// test). Being a class template, its members compile only in a file that
/// uses them.
template <class Mutex = std::mutex>
class basic_memory_retry_queue {
public:
    /// A queue whose claims lapse after `claim_timeout`.
    explicit basic_memory_retry_queue(
        std::chrono::milliseconds claim_timeout = std::chrono::minutes(5))
        : claim_timeout_(claim_timeout) {}

    /// Adds `entry` (an identifier is assigned when it has none).
    void push(retry_entry entry) {
        if (entry.id.empty()) entry.id = detail::new_entry_id(queue_clock::now());
        const std::lock_guard lock(mutex_);
        auto id = entry.id;
        entries_.insert_or_assign(std::move(id), slot{std::move(entry), std::nullopt});
    }

    /// Claims up to `max` entries due at `now`.
    std::vector<retry_entry> take(std::size_t max, queue_clock::time_point now) {
        std::vector<retry_entry> taken;
        const std::lock_guard lock(mutex_);
        for (auto& [id, s] : entries_) {
            if (taken.size() >= max) break;
            if (s.entry.next_attempt > now || (s.claimed_until && *s.claimed_until > now)) continue;
            s.claimed_until = now + claim_timeout_;
            taken.push_back(s.entry);
        }
        return taken;
    }

    /// Removes a repaired entry.
    void ack(const retry_entry& entry) {
        const std::lock_guard lock(mutex_);
        entries_.erase(entry.id);
    }

    /// Records a failed repair: one more attempt, the error, the next due time.
    void fail(const retry_entry& entry, std::string error, queue_clock::time_point next_attempt) {
        const std::lock_guard lock(mutex_);
        const auto found = entries_.find(entry.id);
        if (found == entries_.end()) return;  // acknowledged meanwhile by another drainer
        auto& s = found->second;
        ++s.entry.attempts;
        s.entry.last_error = std::move(error);
        s.entry.next_attempt = next_attempt;
        s.claimed_until.reset();
    }

    /// Moves `entry` to the dead letters with `reason`.
    void dead_letter(const retry_entry& entry, std::string reason) {
        const std::lock_guard lock(mutex_);
        entries_.erase(entry.id);
        dead_.push_back(dualstore::dead_letter{entry.id, entry, std::move(reason), {}});
    }

    /// The entries waiting (claimed or not).
    [[nodiscard]] std::size_t size() const {
        const std::lock_guard lock(mutex_);
        return entries_.size();
    }

    /// The entries moved aside, oldest first.
    [[nodiscard]] std::vector<dualstore::dead_letter> dead_letters() const {
        const std::lock_guard lock(mutex_);
        return dead_;
    }

private:
    struct slot {
        retry_entry entry;
        std::optional<queue_clock::time_point> claimed_until;
    };

    std::chrono::milliseconds claim_timeout_;
    mutable Mutex mutex_;
    std::map<std::string, slot> entries_;
    std::vector<dualstore::dead_letter> dead_;
};

/// A retry queue in memory guarded by a `std::mutex`.
using memory_retry_queue = basic_memory_retry_queue<>;

}  // namespace dualstore
