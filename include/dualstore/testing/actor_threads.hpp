#pragma once
/// \file
/// `detail::actor_threads`: the threads that run the actors of
/// schedules, kept from one schedule to the next. An explorer runs thousands
/// of short schedules of a few actors each; starting a thread per actor per
/// schedule, and ending it, made a ThreadSanitizer run of the stage-flip
/// suite over SQLite take 19.7 s instead of 11.8 s (stack mappings, shadow
/// memory, cold allocator caches).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace dualstore::detail {

/// A pool that grows to the most jobs ever run at once and never shrinks; its
/// threads end when the process does. A job runs on one thread from start
/// to end, and the thread takes no other job meanwhile, so a job may block
/// for as long as it likes (an actor waits for its turn). Whoever hands out
/// a job learns that it finished through its own state: the pool does not
/// say. Thread-locals persist from one job to the next on a thread.
class actor_threads {
public:
    /// The process's pool.
    static actor_threads& shared() {
        static actor_threads pool;
        return pool;
    }

    /// Runs `job` on an idle thread, or on a new one when none is idle.
    void run(std::function<void()> job) {
        const std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
        if (idle_ >= jobs_.size()) {
            job_ready_.notify_one();
        } else {
            threads_.emplace_back([this] { serve(); });
        }
    }

    actor_threads(const actor_threads&) = delete;
    actor_threads& operator=(const actor_threads&) = delete;

    /// Waits for the jobs under way, then ends the threads.
    ~actor_threads() {
        {
            const std::lock_guard lock(mutex_);
            ending_ = true;
        }
        job_ready_.notify_all();
        for (auto& thread : threads_) thread.join();
    }

private:
    actor_threads() = default;

    void serve() {
        std::unique_lock lock(mutex_);
        for (;;) {
            ++idle_;
            job_ready_.wait(lock, [&] { return !jobs_.empty() || ending_; });
            --idle_;
            if (jobs_.empty()) return;  // ending
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job();
            job = nullptr;  // what it captured goes before the thread takes another
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable job_ready_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;  // threads waiting for a job
    bool ending_ = false;
};

}  // namespace dualstore::detail
