#pragma once
/// \file
/// `backfill_plan`: named jobs with dependencies, run in dependency order.

#include <dualstore/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace dualstore {

/// Thrown when a plan's dependencies form a cycle or name no job.
class plan_error : public error {
public:
    using error::error;
};

/// What a plan run did with each job.
struct plan_report {
    std::vector<std::string> ran;                             ///< finished, in order
    std::vector<std::pair<std::string, std::string>> failed;  ///< job and error
    std::vector<std::string> not_started;                     ///< a dependency failed
    /// Whether every job ran.
    [[nodiscard]] bool ok() const noexcept { return failed.empty() && not_started.empty(); }
};

/// Named jobs (usually backfills: forward, reverse, per table) with
/// dependencies. `run()` orders them topologically (ties by name), runs each
/// once its dependencies finished, and after a failure runs no job that
/// depends on it, directly or not, while independent jobs still run.
///
/// `Job` is what a job is: anything called with no arguments (the alias
/// `backfill_plan` holds `std::function<void()>`). Being a class template,
/// its members compile only in a file that uses them.
template <class Job = std::function<void()>>
class basic_backfill_plan {
public:
    /// Adds a job; `after` names the jobs it depends on.
    basic_backfill_plan& add(std::string name, Job job, std::vector<std::string> after = {}) {
        if (jobs_.contains(name))
            throw plan_error(fmt::format("dualstore: backfill_plan: job '{}' added twice", name));
        jobs_.emplace(std::move(name), entry{std::move(job), std::move(after)});
        return *this;
    }

    /// The jobs in the order they would run. Throws `plan_error` naming the
    /// cycle ("a -> b -> a") or the unknown dependency.
    [[nodiscard]] std::vector<std::string> order() const {
        std::vector<std::string> sorted;
        std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
        std::vector<std::string> path;
        std::function<void(const std::string&)> visit = [&](const std::string& name) {
            if (state[name] == 2) return;
            path.push_back(name);
            if (state[name] == 1) {
                std::string cycle;
                for (auto it = std::find(path.begin(), path.end(), name); it != path.end(); ++it) {
                    if (!cycle.empty()) cycle += " -> ";
                    cycle += *it;
                }
                throw plan_error("dualstore: backfill_plan: dependency cycle: " + cycle);
            }
            state[name] = 1;
            for (const auto& dep : jobs_.at(name).after) {
                if (!jobs_.contains(dep)) {
                    throw plan_error(fmt::format(
                        "dualstore: backfill_plan: job '{}' depends on unknown job '{}'", name,
                        dep));
                }
                visit(dep);
            }
            path.pop_back();
            state[name] = 2;
            sorted.push_back(name);
        };
        for (const auto& [name, job] : jobs_) visit(name);
        return sorted;
    }

    /// Runs every job in order; see the class comment.
    plan_report run() {
        plan_report report;
        std::set<std::string> blocked;
        for (const auto& name : order()) {
            auto& job = jobs_.at(name);
            if (std::ranges::any_of(job.after,
                                    [&](const auto& dep) { return blocked.contains(dep); })) {
                blocked.insert(name);
                report.not_started.push_back(name);
                continue;
            }
            try {
                job.run();
                report.ran.push_back(name);
            } catch (...) {
                blocked.insert(name);
                report.failed.emplace_back(name, describe(std::current_exception()));
            }
        }
        return report;
    }

private:
    struct entry {
        Job run;
        std::vector<std::string> after;
    };
    std::map<std::string, entry> jobs_;
};

/// A plan of `std::function<void()>` jobs.
using backfill_plan = basic_backfill_plan<>;

}  // namespace dualstore
