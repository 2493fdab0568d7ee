#pragma once
/// \file
/// A small reusable executor for `write::parallel`, and `executor_ref`, the
/// type-erased handle policies keep so any executor with `execute(f)` works.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace dualstore {

/// A fixed set of worker threads running submitted tasks in FIFO order.
/// Thread-safe. The destructor runs the tasks already queued, then joins.
///
/// `Task` is what a task is: anything default-constructible and movable that
/// is called with no arguments (the alias `thread_pool` queues
/// `std::function<void()>`). Being a class template, its members compile
/// only in a file that uses them.
///
/// Workers wait on a semaphore holding one permit per queued task, and at
/// shutdown one more per worker: a worker that takes a permit and finds the
/// queue empty has been told to stop. (A semaphore and a vector rather than
/// a condition variable and a deque: every file that includes
/// `dual_store.hpp` includes this one, and `<condition_variable>` and
/// `<deque>` added 2.6% to the instructions g++ runs for such a file.)
template <class Task = std::function<void()>>
class basic_thread_pool {
public:
    /// Starts `threads` workers (at least one).
    explicit basic_thread_pool(std::size_t threads = default_size()) {
        threads = std::max<std::size_t>(threads, 1);
        workers_.reserve(threads);
        for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }

    basic_thread_pool(const basic_thread_pool&) = delete;
    basic_thread_pool& operator=(const basic_thread_pool&) = delete;

    ~basic_thread_pool() {
        queued_.release(static_cast<std::ptrdiff_t>(workers_.size()));
        for (auto& w : workers_) w.join();
    }

    /// Queues `task` to run on a worker. A task that throws ends the process
    /// (std::terminate), like a throwing std::thread: wrap what may throw.
    void execute(Task task) {
        {
            const std::lock_guard lock(mutex_);
            tasks_.push_back(std::move(task));
        }
        queued_.release();
    }

    /// Number of worker threads.
    [[nodiscard]] std::size_t size() const noexcept { return workers_.size(); }

    /// The worker count used by default: the hardware concurrency, at least 2.
    [[nodiscard]] static std::size_t default_size() noexcept {
        return std::max(2U, std::thread::hardware_concurrency());
    }

private:
    void work() {
        for (;;) {
            queued_.acquire();
            Task task;
            {
                const std::lock_guard lock(mutex_);
                // Before shutdown every permit has its task: a permit is
                // released after its task is queued, and each taken permit
                // takes one task.
                if (next_ == tasks_.size()) return;
                task = std::move(tasks_[next_++]);
                if (2 * next_ >= tasks_.size()) {  // drop the run half: O(1) per task
                    tasks_.erase(tasks_.begin(),
                                 tasks_.begin() + static_cast<std::ptrdiff_t>(next_));
                    next_ = 0;
                }
            }
            task();
        }
    }

    std::mutex mutex_;
    std::counting_semaphore<> queued_{0};
    std::vector<Task> tasks_;  // waiting: tasks_[next_] onwards
    std::size_t next_ = 0;
    std::vector<std::thread> workers_;
};

/// A pool of `std::function<void()>` tasks.
using thread_pool = basic_thread_pool<>;

/// The process-wide pool `write::parallel` uses when given no executor;
/// created on first use (a template so that only a file that uses it
/// compiles the pool).
template <class = void>
thread_pool& default_thread_pool() {
    static thread_pool pool;
    return pool;
}

/// A non-owning handle to any executor with `execute(std::function<void()>)`.
/// A default-constructed handle refers to `default_thread_pool()`. The
/// executor must outlive every store that uses it.
class executor_ref {
public:
    /// Refers to the default pool.
    executor_ref() noexcept = default;

    /// Refers to `executor`.
    template <class Executor>
    requires(!std::is_same_v<std::remove_cvref_t<Executor>, executor_ref> &&
             requires(Executor & e, std::function<void()> f) { e.execute(std::move(f)); })
        executor_ref(Executor& executor)
    noexcept  // NOLINT(google-explicit-constructor)
        : target_(std::addressof(executor)), execute_([](void* target, std::function<void()> f) {
              static_cast<Executor*>(target)->execute(std::move(f));
          }) {}

    /// Runs `task` (anything that converts to `std::function<void()>`) on
    /// the executor.
    template <std::convertible_to<std::function<void()>> Task>
    void execute(Task&& task) const {
        if (target_ == nullptr) {
            default_thread_pool().execute(std::forward<Task>(task));
        } else {
            execute_(target_, std::forward<Task>(task));
        }
    }

private:
    void* target_ = nullptr;
    void (*execute_)(void*, std::function<void()>) = nullptr;
};

}  // namespace dualstore
