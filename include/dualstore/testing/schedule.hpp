#pragma once
/// \file
/// `testing::schedule`: one run of a scenario under a controlled schedule.
/// Its actors run on real threads (kept between schedules: actor_threads.hpp),
/// but only one runs at a time, and control changes hands only where an
/// actor calls an `explored_store` (or waits in
/// the library: a contended key lock, a stage change, a parallel write
/// joining its secondary). Which actor runs next, and whether the call it is
/// about to make fails, is the schedule's choice; `testing::explore` makes
/// every choice in turn (explorer.hpp).

#include <dualstore/detail/forwarding_store.hpp>
#include <dualstore/detail/holder.hpp>
#include <dualstore/detail/wait_hook.hpp>
#include <dualstore/error.hpp>
#include <dualstore/testing/actor_threads.hpp>
#include <dualstore/testing/call_kind.hpp>
#include <dualstore/testing/faulty.hpp>

#include <fmt/format.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::testing {

/// Whether the explorer may make calls to an `explored_store` fail.
enum class faults {
    none,        ///< never
    injectable,  ///< any call may fail with `injected_fault`, one more dimension of the search
};

/// A schedule's verdict: an invariant broke, an actor threw, the actors
/// deadlocked or ran past the step limit. Thrown by `schedule::run` and
/// `schedule::require`; the explorer reports it with the schedule's trace.
class schedule_failure : public error {
public:
    using error::error;
};

/// One decision of a schedule: which actor takes the next step, and whether
/// the store call it is about to make fails.
struct schedule_choice {
    /// The actor, by creation order (the scenario's actors first, then the
    /// tasks of `schedule::executor()` as they are submitted).
    std::size_t actor = 0;
    /// Whether the actor's pending store call fails with `injected_fault`.
    bool fault = false;

    /// Choices are equal when both fields are.
    friend bool operator==(const schedule_choice&, const schedule_choice&) = default;
};

/// A decision point of a finished schedule: what could have been chosen
/// (within the bounds) and what was.
struct schedule_step {
    /// The choices allowed here, in the explorer's order.
    std::vector<schedule_choice> options;
    /// The index in `options` that was taken.
    std::size_t taken = 0;
};

/// How a schedule makes the choices past the prefix it replays.
struct schedule_rules {
    /// Choices to replay first, in order (a choice that is not allowed where
    /// it is replayed fails the schedule as non-deterministic).
    std::vector<schedule_choice> prefix;
    /// Picks the index of the option to take past the prefix (`options` is
    /// never empty); empty: always the first.
    std::function<std::size_t(std::size_t step, const std::vector<schedule_choice>& options)> pick;
    /// Switches away from an actor that could go on, per schedule.
    unsigned preemptions = std::numeric_limits<unsigned>::max();
    /// Failures injected into `faults::injectable` stores, per schedule.
    unsigned faults = 1;
    /// Steps per schedule; more fails it (a livelock, or a scenario too big).
    std::size_t max_steps = 2'000;
};

template <class S>
class explored_store;

/// One run of a scenario. The scenario (a callable taking `schedule&`)
/// builds its stores, wraps the ones whose calls are scheduling points with
/// `wrap`, calls `run` with its actors, then checks its invariants (throwing,
/// or with `require`). Nothing in it may depend on anything but the choices
/// (no clocks, no unseeded randomness), so that a schedule replays exactly.
class schedule {
public:
    /// An actor: a name for the trace and what it does. An exception escaping
    /// `body` fails the schedule; catch the ones the scenario expects.
    struct actor {
        /// The name shown in the trace.
        std::string name;
        /// What the actor does.
        std::function<void()> body;
    };

    /// An executor whose tasks become new actors, so the work a store hands
    /// to an executor (`write::parallel`'s secondary) is interleaved too.
    /// Outside `run` a task runs at once on the calling thread.
    class task_executor {
    public:
        /// Runs `task` as a new actor named "task-N".
        void execute(std::function<void()> task) const { owner_->spawn_task(std::move(task)); }

    private:
        friend schedule;
        explicit task_executor(schedule& owner) noexcept : owner_(&owner) {}
        schedule* owner_;
    };

    /// A schedule that follows `rules`.
    explicit schedule(schedule_rules rules) : rules_(std::move(rules)) {}

    schedule(const schedule&) = delete;
    schedule& operator=(const schedule&) = delete;
    ~schedule() { wait_for_actors(); }

    /// `store` wrapped so that each call is a scheduling point; with
    /// `faults::injectable` the explorer may also make any call fail.
    template <class S>
    [[nodiscard]] explored_store<S&> wrap(S& store, std::string name,
                                          faults failing = faults::none) {
        return explored_store<S&>(*this, store, std::move(name), failing);
    }

    /// The executor for `write::parallel{.executor = s.executor()}` and the
    /// like. Valid while the schedule lives.
    [[nodiscard]] task_executor& executor() noexcept { return executor_; }

    /// Calls `check` after every step, while every actor is paused; a throw
    /// fails the schedule. Set it before `run`.
    void check_each_step(std::function<void()> check) { step_check_ = std::move(check); }

    /// Runs `actors` to the end, one step at a time as the schedule chooses.
    /// Throws `schedule_failure` when an actor threw, a step check failed,
    /// the actors deadlocked or ran past `max_steps`.
    void run(std::vector<actor> actors) {
        if (std::exchange(ran_, true)) throw error("dualstore: schedule::run called twice");
        {
            const std::lock_guard lock(mutex_);
            for (auto& a : actors) add_actor(std::move(a.name), std::move(a.body));
        }
        drive();
        if (failure_) throw schedule_failure(*failure_);
    }

    /// Fails the schedule with `message` unless `condition` holds.
    void require(bool condition, std::string_view message) const {
        if (!condition) throw schedule_failure(std::string(message));
    }

    /// Adds `text` to the trace (from an actor or the scenario).
    void note(std::string_view text) {
        const std::lock_guard lock(mutex_);
        trace_.push_back(fmt::format("     {}", text));
    }

    /// Whether `run` was called.
    [[nodiscard]] bool ran() const noexcept { return ran_; }
    /// The decisions made, with the options each had.
    [[nodiscard]] const std::vector<schedule_step>& steps() const noexcept { return steps_; }
    /// The decisions as text that `testing::replay` takes ("0 1 1! 0").
    [[nodiscard]] std::string choices() const {
        std::string text;
        for (const auto& step : steps_) {
            const auto& c = step.options[step.taken];
            fmt::format_to(std::back_inserter(text), "{}{}{}", text.empty() ? "" : " ", c.actor,
                           c.fault ? "!" : "");
        }
        return text;
    }
    /// One line per step (and per note).
    [[nodiscard]] const std::vector<std::string>& trace() const noexcept { return trace_; }

    /// The scheduling point of an explored store: called before each call.
    /// Does nothing on a thread that is no actor of this schedule.
    void point(std::string_view store, call_kind kind, std::string_view keys, faults failing) {
        const auto id = current_actor_of(this);
        if (!id) return;
        std::unique_lock lock(mutex_);
        auto& self = actors_[*id];
        self.pending = fmt::format("{}.{}({})", store, kind, keys);
        self.faultable = failing == faults::injectable;
        park(lock, *id, status::parked);
        const bool inject = std::exchange(self.inject, false);
        if (aborting_) throw schedule_aborted();
        lock.unlock();
        if (inject) throw injected_fault(kind);
    }

private:
    enum class status { created, parked, blocked, running, done };

    struct actor_state {
        std::string name;
        std::function<void()> body;
        status state = status::created;
        bool woken = false;      // blocked, and another actor has stepped since
        std::string pending;     // the call a parked actor is about to make
        bool faultable = false;  // whether that call may be failed
        bool inject = false;     // set when the scheduler resumes it with a fault
        detail::wait_hook hook{};
        std::condition_variable turn;  // notified when the scheduler chooses it
    };

    /// Thrown at the scheduling points once a schedule has failed, so the
    /// actors unwind quickly.
    class schedule_aborted : public error {
    public:
        schedule_aborted() : error("dualstore: the schedule was aborted") {}
    };

    /// The schedule and actor the calling thread runs for (null: none).
    static inline constinit thread_local schedule* current_owner = nullptr;
    static inline constinit thread_local std::size_t current_id = 0;

    static std::optional<std::size_t> current_actor_of(const schedule* s) noexcept {
        if (current_owner != s) return std::nullopt;
        return current_id;
    }

    // Expects mutex_ held.
    void add_actor(std::string name, std::function<void()> body) {
        const std::size_t id = actors_.size();
        auto& a = actors_.emplace_back();
        a.name = std::move(name);
        a.body = std::move(body);
        a.hook = {this, [](void* self) { static_cast<schedule*>(self)->blocked(); }};
        detail::actor_threads::shared().run([this, id] { actor_main(id); });
    }

    void spawn_task(std::function<void()> task) {
        if (!current_actor_of(this)) {
            task();
            return;
        }
        const std::lock_guard lock(mutex_);
        add_actor(fmt::format("task-{}", ++tasks_), std::move(task));
    }

    void actor_main(std::size_t id) {
        current_owner = this;
        current_id = id;
        actor_state* self = nullptr;
        {
            std::unique_lock lock(mutex_);
            self = &actors_[id];
            detail::current_wait_hook = &self->hook;
            self->turn.wait(lock, [&] { return running_ == id; });
        }
        std::exception_ptr escaped;
        try {
            self->body();
        } catch (const schedule_aborted&) {  // NOLINT(bugprone-empty-catch): unwinding on purpose
        } catch (...) {
            escaped = std::current_exception();
        }
        {
            const std::lock_guard lock(mutex_);
            if (escaped) fail(fmt::format("actor {} threw: {}", self->name, describe(escaped)));
            self->state = status::done;
            running_.reset();
            // Under the lock: once every actor is done the schedule may end,
            // and this thread (a pooled one) must not touch it after.
            scheduler_turn_.notify_one();
        }
        detail::current_wait_hook = nullptr;
        current_owner = nullptr;
    }

    /// Hands control back to the scheduler and waits to be chosen again.
    /// Expects `lock` to hold mutex_.
    void park(std::unique_lock<std::mutex>& lock, std::size_t id, status why) {
        actors_[id].state = why;
        running_.reset();
        scheduler_turn_.notify_one();
        actors_[id].turn.wait(lock, [&] { return running_ == id; });
    }

    /// The wait hook: the running actor must wait for another to progress.
    /// Never throws (it runs inside noexcept waits).
    void blocked() noexcept {
        const auto id = current_actor_of(this);
        if (!id) return;
        std::unique_lock lock(mutex_);
        actors_[*id].woken = false;
        park(lock, *id, status::blocked);
    }

    // Expects mutex_ held.
    void fail(std::string message) {
        if (!failure_) failure_ = std::move(message);
        aborting_ = true;
    }

    [[nodiscard]] bool enabled(const actor_state& a) const noexcept {
        return a.state == status::created || a.state == status::parked ||
               (a.state == status::blocked && a.woken);
    }

    /// The choices allowed now, within the bounds: the actor that ran last
    /// first (no preemption), then the others by creation order.
    [[nodiscard]] std::vector<schedule_choice> options() const {
        std::vector<schedule_choice> list;
        const bool last_enabled = last_ && enabled(actors_[*last_]);
        const auto add = [&](std::size_t id) {
            const auto& a = actors_[id];
            list.push_back({id, false});
            if (!aborting_ && a.state == status::parked && a.faultable &&
                faults_used_ < rules_.faults) {
                list.push_back({id, true});
            }
        };
        if (last_enabled) add(*last_);
        if (aborting_ || !last_enabled || preemptions_used_ < rules_.preemptions) {
            for (std::size_t id = 0; id < actors_.size(); ++id) {
                if (enabled(actors_[id]) && !(last_enabled && id == *last_)) add(id);
            }
        }
        return list;
    }

    [[nodiscard]] std::size_t pick(const std::vector<schedule_choice>& list) {
        const std::size_t step = steps_.size();
        if (step < rules_.prefix.size()) {
            for (std::size_t i = 0; i < list.size(); ++i) {
                if (list[i] == rules_.prefix[step]) return i;
            }
            fail(fmt::format(
                "the scenario is not deterministic, or the choices do not belong to it: choice "
                "{}{} is not possible at step {}",
                rules_.prefix[step].actor, rules_.prefix[step].fault ? "!" : "", step));
            return 0;
        }
        return rules_.pick ? rules_.pick(step, list) : 0;
    }

    [[nodiscard]] std::string describe_step(const actor_state& a, bool fault) const {
        switch (a.state) {
            case status::created:
                return "starts";
            case status::blocked:
                return "tries again (it was waiting for another actor)";
            default:
                return fault ? fmt::format("{}  <- fails (injected)", a.pending) : a.pending;
        }
    }

    /// The scheduler: runs one chosen actor at a time until all are done.
    void drive() {
        std::unique_lock lock(mutex_);
        for (;;) {
            scheduler_turn_.wait(lock, [&] { return !running_; });
            if (last_ && !steps_.empty()) {
                // A step that only retried a wait and waits again changed
                // nothing; any other step may have freed what others wait for.
                const bool futile = retrying_ && actors_[*last_].state == status::blocked;
                for (std::size_t id = 0; id < actors_.size() && !futile; ++id) {
                    if (id != *last_ && actors_[id].state == status::blocked) {
                        actors_[id].woken = true;
                    }
                }
                if (step_check_ && !aborting_) {
                    lock.unlock();
                    std::exception_ptr broken;
                    try {
                        step_check_();
                    } catch (...) {
                        broken = std::current_exception();
                    }
                    lock.lock();
                    if (broken)
                        fail(fmt::format("after step {}: {}", steps_.size() - 1, describe(broken)));
                }
            }
            if (all_done()) return;
            auto list = options();
            if (list.empty()) {
                // The waits cannot be unwound (some are noexcept): say what
                // happened and stop the process rather than hang.
                std::fprintf(stderr,
                             "dualstore: explorer: deadlock: every unfinished actor waits for "
                             "another (%s)\nchoices: %s\n",
                             waiting_actors().c_str(), choices().c_str());
                for (const auto& line : trace_) std::fprintf(stderr, "%s\n", line.c_str());
                std::abort();
            }
            if (aborting_) {
                resume(list.front(), lock);
                continue;
            }
            if (steps_.size() >= rules_.max_steps) {
                fail(fmt::format("more than {} steps: a livelock, or raise max_steps",
                                 rules_.max_steps));
                continue;
            }
            const std::size_t taken = pick(list);
            if (aborting_) continue;  // the replayed prefix did not fit
            const auto choice = list[taken];
            const auto& a = actors_[choice.actor];
            trace_.push_back(fmt::format("#{:<3} [{}] {}: {}", steps_.size(), choice.actor, a.name,
                                         describe_step(a, choice.fault)));
            steps_.push_back({std::move(list), taken});
            resume(choice, lock);
        }
    }

    void resume(schedule_choice choice, std::unique_lock<std::mutex>& /*held*/) {
        auto& a = actors_[choice.actor];
        const bool last_enabled = last_ && enabled(actors_[*last_]);
        if (!aborting_) {
            if (last_enabled && choice.actor != *last_) ++preemptions_used_;
            if (choice.fault) ++faults_used_;
        }
        a.inject = choice.fault;
        retrying_ = a.state == status::blocked;
        a.state = status::running;
        last_ = choice.actor;
        running_ = choice.actor;
        a.turn.notify_one();
    }

    [[nodiscard]] bool all_done() const noexcept {
        for (const auto& a : actors_) {
            if (a.state != status::done) return false;
        }
        return true;
    }

    [[nodiscard]] std::string waiting_actors() const {
        std::string names;
        for (const auto& a : actors_) {
            if (a.state == status::blocked) {
                fmt::format_to(std::back_inserter(names), "{}{}", names.empty() ? "" : ", ",
                               a.name);
            }
        }
        return names;
    }

    /// Waits until every actor has ended (`run` returns only then; this is
    /// for a `run` that did not finish).
    void wait_for_actors() noexcept {
        std::unique_lock lock(mutex_);
        scheduler_turn_.wait(lock, [&] { return all_done(); });
    }

    schedule_rules rules_;
    std::mutex mutex_;
    // Each handoff wakes exactly one thread: the chosen actor (its `turn`),
    // or the scheduler when the running actor parks or ends. One shared
    // condition variable woke every actor at every step, and the context
    // switches dominated a sanitized explorer run.
    std::condition_variable scheduler_turn_;
    std::deque<actor_state> actors_;  // a deque: references stay valid as actors are added
    std::optional<std::size_t> running_;
    std::optional<std::size_t> last_;
    std::vector<schedule_step> steps_;
    std::vector<std::string> trace_;
    std::optional<std::string> failure_;
    std::function<void()> step_check_;
    task_executor executor_{*this};
    unsigned preemptions_used_ = 0;
    unsigned faults_used_ = 0;
    std::size_t tasks_ = 0;
    bool retrying_ = false;  // the step under way resumed an actor that was waiting
    bool aborting_ = false;
    bool ran_ = false;
};

/// A backend wrapped so that each call is a scheduling point of a
/// `schedule` (and, with `faults::injectable`, a place where the explorer may
/// inject a failure). Models exactly the capability concepts `S` models.
/// Calls from threads that are not actors of the schedule pass straight
/// through, so a scenario can set up and check its stores through it.
template <class S>
class explored_store : public detail::forwarding_store<explored_store<S>, S> {
    using base = detail::forwarding_store<explored_store<S>, S>;
    friend base;

public:
    /// Wraps `inner` for `owner`, named `name` in the trace.
    explored_store(schedule& owner, S&& inner, std::string name, faults failing = faults::none)
        : base(std::in_place, std::forward<S>(inner)),
          owner_(&owner),
          name_(std::move(name)),
          faults_(failing) {}

private:
    void before(call_kind kind, const typename base::keys_type& keys) {
        owner_->point(name_, kind, keys.text(), faults_);
    }

    schedule* owner_;
    std::string name_;
    faults faults_;
};

}  // namespace dualstore::testing
