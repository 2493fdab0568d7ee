#pragma once
/// \file
/// The schedule explorer: checks a scenario of concurrent actors over real
/// stores under every interleaving of their store calls up to a bound
/// (`explore`, depth-first with a preemption bound), or under random
/// schedules (`explore_randomly`, a PCT scheduler), with a failure injected
/// at any chosen call of a `faults::injectable` store. The first schedule
/// that breaks an invariant is reported as a trace and a choice list that
/// `replay` runs again exactly.
///
/// ```cpp
/// auto result = dst::explore([](dst::schedule& s) {
///     kv a, b;
///     auto old_side = s.wrap(a, "old");
///     auto new_side = s.wrap(b, "new", dst::faults::injectable);
///     ds::dual_store store{old_side, new_side, ds::on_secondary_failure{queue}};
///     s.run({{"w1", [&] { store.put("k", "1"); }}, {"w2", [&] { store.put("k", "2"); }}});
///     ds::drain(queue, a, b);
///     s.require(a.snapshot() == b.snapshot(), "the stores differ after the drain");
/// });
/// INFO(result.report());
/// CHECK(result.ok());
/// ```

#include <dualstore/error.hpp>
#include <dualstore/testing/schedule.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace dualstore::testing {

/// Bounds of a depth-first exploration.
struct explore_options {
    /// Switches away from an actor that could go on, per schedule. Most
    /// concurrency bugs need one or two. The environment variable
    /// `DUALSTORE_EXPLORE_MAX_PREEMPTIONS` lowers it for a whole run (a
    /// sanitizer build, whose schedules cost several times more, checks
    /// memory and races on every path within the lower bound, while a plain
    /// build checks the full bound).
    unsigned preemptions = 2;
    /// Failures injected into `faults::injectable` stores, per schedule.
    unsigned faults = 1;
    /// Schedules run at most; past it the result says `complete == false`.
    std::size_t max_schedules = 200'000;
    /// Steps per schedule at most (more fails the schedule as a livelock).
    std::size_t max_steps = 2'000;
    /// Whether `DUALSTORE_EXPLORE_MAX_PREEMPTIONS` may lower `preemptions`:
    /// false for a search that must reach a known schedule (a check that the
    /// search finds a known bug, or counts the schedules of a scenario).
    bool run_cap_applies = true;
};

/// Parameters of a random (PCT) exploration: each schedule gives the actors
/// random priorities, always runs the highest-priority actor that can run,
/// and lowers the running actor's priority at `depth - 1` random steps, which
/// finds any bug that needs `depth` ordering constraints with a known
/// probability per schedule.
struct random_options {
    /// Schedules to run.
    std::size_t schedules = 1'000;
    /// The seed of the first schedule; schedule i uses `seed + i`.
    std::uint64_t seed = 1;
    /// Ordering constraints the search aims at (PCT's d).
    unsigned depth = 3;
    /// Failures injected into `faults::injectable` stores, per schedule.
    unsigned faults = 1;
    /// The probability that an injectable call fails (while faults remain).
    double fault_rate = 0.1;
    /// Steps per schedule at most.
    std::size_t max_steps = 2'000;
};

/// A schedule that broke the scenario.
struct failed_schedule {
    /// What broke (the exception the scenario or an actor threw).
    std::string message;
    /// The choices, for `replay` ("0 1 1! 0": actor indices, `!` = the call fails).
    std::string choices;
    /// One line per step.
    std::vector<std::string> trace;
    /// The seed of the schedule, for a random exploration.
    std::optional<std::uint64_t> seed;
};

/// What an exploration found.
struct exploration {
    /// Schedules run.
    std::size_t schedules = 0;
    /// Steps taken, over every schedule.
    std::size_t steps = 0;
    /// Whether every schedule within the bounds was run (a depth-first
    /// search that stopped at `max_schedules`, or found a failure, is not).
    bool complete = false;
    /// The preemption bound of a depth-first search, when
    /// `DUALSTORE_EXPLORE_MAX_PREEMPTIONS` lowered it below the one asked for.
    std::optional<unsigned> lowered_preemptions;
    /// The first schedule that broke the scenario.
    std::optional<failed_schedule> failure;

    /// Whether no schedule broke the scenario.
    [[nodiscard]] bool ok() const noexcept { return !failure; }

    /// A summary; for a failure, the message, the choices to replay and the trace.
    [[nodiscard]] std::string report() const {
        std::string text = fmt::format("{} schedule(s), {} step(s){}", schedules, steps,
                                       complete ? ", every schedule within the bounds" : "");
        if (lowered_preemptions) {
            text += fmt::format(" (preemptions lowered to {} by DUALSTORE_EXPLORE_MAX_PREEMPTIONS)",
                                *lowered_preemptions);
        }
        if (!failure) return text + ": no failure";
        auto out = std::back_inserter(text);
        fmt::format_to(
            out, "\nschedule {} failed: {}\nreplay: dualstore::testing::replay(\"{}\", scenario)",
            schedules, failure->message, failure->choices);
        if (failure->seed) fmt::format_to(out, " (random seed {})", *failure->seed);
        text += "\ntrace:";
        for (const auto& line : failure->trace) fmt::format_to(out, "\n  {}", line);
        return text;
    }
};

}  // namespace dualstore::testing

namespace dualstore::detail {

/// Runs `scenario` once under `rules`; the failure it showed, if any.
template <class Scenario>
std::optional<testing::failed_schedule> run_once(Scenario& scenario, testing::schedule& s) {
    std::string message;
    try {
        scenario(s);
        if (!s.ran()) message = "the scenario never called schedule::run";
    } catch (...) {
        message = describe(std::current_exception());
        if (message.empty()) message = "an exception";
    }
    if (message.empty()) return std::nullopt;
    return testing::failed_schedule{std::move(message), s.choices(), s.trace(), std::nullopt};
}

/// The value of `DUALSTORE_EXPLORE_MAX_PREEMPTIONS`, if it is set; throws
/// `error` when it is not a number.
inline std::optional<unsigned> preemption_cap() {
    const char* text =
        std::getenv("DUALSTORE_EXPLORE_MAX_PREEMPTIONS");  // NOLINT(concurrency-mt-unsafe)
    if (text == nullptr || *text == '\0') return std::nullopt;
    const std::string_view view(text);
    unsigned cap = 0;
    const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), cap);
    if (ec != std::errc{} || end != view.data() + view.size()) {
        throw error(
            fmt::format("dualstore: explore: DUALSTORE_EXPLORE_MAX_PREEMPTIONS is "
                        "\"{}\", not a number of preemptions",
                        view));
    }
    return cap;
}

/// The choice list `text` ("0 1 1! 0"); throws `error` for other text.
inline std::vector<testing::schedule_choice> parse_choices(std::string_view text) {
    std::vector<testing::schedule_choice> choices;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ') {
            ++i;
            continue;
        }
        testing::schedule_choice c;
        const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), c.actor);
        if (ec != std::errc{}) {
            throw error(
                fmt::format("dualstore: replay: not a choice list: \"{}\" (expected "
                            "actor numbers, each optionally followed by '!')",
                            text));
        }
        i = static_cast<std::size_t>(end - text.data());
        if (i < text.size() && text[i] == '!') {
            c.fault = true;
            ++i;
        }
        choices.push_back(c);
    }
    return choices;
}

}  // namespace dualstore::detail

namespace dualstore::testing {

/// Runs `scenario` (a callable taking `schedule&`) under every schedule
/// within `options`' bounds, depth-first, and stops at the first that fails.
/// A schedule is a sequence of choices (which actor steps next, and whether
/// its store call fails); after each run the search changes the last choice
/// that still has an untried alternative and replays the prefix before it.
template <class Scenario>
exploration explore(Scenario&& scenario, const explore_options& options = {}) {
    exploration result;
    unsigned preemptions = options.preemptions;
    if (const auto cap = options.run_cap_applies ? detail::preemption_cap() : std::nullopt;
        cap && *cap < preemptions) {
        preemptions = *cap;
        result.lowered_preemptions = preemptions;
    }
    std::vector<schedule_step> path;  // the choices to replay, with their alternatives
    for (;;) {
        schedule_rules rules;
        rules.preemptions = preemptions;
        rules.faults = options.faults;
        rules.max_steps = options.max_steps;
        rules.prefix.reserve(path.size());
        for (const auto& step : path) rules.prefix.push_back(step.options[step.taken]);
        schedule s(std::move(rules));
        auto failure = detail::run_once(scenario, s);
        ++result.schedules;
        result.steps += s.steps().size();
        if (failure) {
            result.failure = std::move(failure);
            return result;
        }
        path = s.steps();
        while (!path.empty() && path.back().taken + 1 >= path.back().options.size()) {
            path.pop_back();
        }
        if (path.empty()) {
            result.complete = true;
            return result;
        }
        ++path.back().taken;
        if (result.schedules >= options.max_schedules) return result;
    }
}

/// Runs `scenario` under `options.schedules` random schedules (PCT) and
/// stops at the first that fails; the failure carries its seed and choices.
template <class Scenario>
exploration explore_randomly(Scenario&& scenario, const random_options& options = {}) {
    exploration result;
    std::size_t longest = 16;  // the step count change points are drawn from
    for (std::size_t i = 0; i < options.schedules; ++i) {
        const std::uint64_t seed = options.seed + i;
        std::mt19937_64 random(seed);
        std::vector<std::uint64_t> priority;  // by actor; higher runs first
        std::vector<std::size_t> change_points;
        for (unsigned d = 1; d < options.depth; ++d) change_points.push_back(random() % longest);
        std::uniform_real_distribution<double> coin(0.0, 1.0);
        schedule_rules rules;
        rules.faults = options.faults;
        rules.max_steps = options.max_steps;
        rules.pick = [&](std::size_t step, const std::vector<schedule_choice>& list) {
            // Actors get a random priority above every lowered one when first seen.
            for (const auto& c : list) {
                while (priority.size() <= c.actor)
                    priority.push_back(options.depth + random() % 1'000'000);
            }
            const auto best = std::ranges::max_element(
                list, {}, [&](const schedule_choice& c) { return priority[c.actor]; });
            std::size_t chosen = static_cast<std::size_t>(best - list.begin());
            for (std::size_t d = 0; d < change_points.size(); ++d) {
                if (change_points[d] == step) priority[list[chosen].actor] = d;
            }
            const bool can_fail = chosen + 1 < list.size() &&
                                  list[chosen + 1].actor == list[chosen].actor &&
                                  list[chosen + 1].fault;
            if (can_fail && coin(random) < options.fault_rate) ++chosen;
            return chosen;
        };
        schedule s(std::move(rules));
        auto failure = detail::run_once(scenario, s);
        ++result.schedules;
        result.steps += s.steps().size();
        longest = std::max(longest, s.steps().size());
        if (failure) {
            failure->seed = seed;
            result.failure = std::move(failure);
            return result;
        }
    }
    return result;
}

/// Runs `scenario` once under the schedule `choices` (as printed by a
/// failed exploration), then past them always the first option. The result
/// holds the failure, if the schedule fails.
template <class Scenario>
exploration replay(std::string_view choices, Scenario&& scenario,
                   const explore_options& options = {}) {
    schedule_rules rules;
    rules.prefix = detail::parse_choices(choices);
    rules.faults = std::max<unsigned>(
        options.faults, static_cast<unsigned>(std::ranges::count_if(
                            rules.prefix, [](const schedule_choice& c) { return c.fault; })));
    rules.max_steps = options.max_steps;
    schedule s(std::move(rules));
    exploration result;
    result.failure = detail::run_once(scenario, s);
    result.schedules = 1;
    result.steps = s.steps().size();
    result.complete = true;
    return result;
}

}  // namespace dualstore::testing
