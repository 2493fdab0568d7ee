#pragma once
/// \file
/// `observe::progress_bar`: an observer that shows the progress of a long
/// task (a backfill, a drain, a full reconciliation). On a terminal it
/// redraws one line (bar, counts, rate, ETA); otherwise it writes a plain
/// log line at most every `interval`, so logs stay readable.

#include <dualstore/observe/progress.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::observe {

/// A progress display: an observer of `progress_event`s, given to a task as
/// `options.observers = observe::with(bar)`. Not thread-safe (a task reports
/// from the thread that runs it).
class progress_bar {
public:
    /// Receives text to print (with `\r` or `\n` as it needs).
    using writer = std::function<void(std::string_view)>;

    /// Prints to `out`, as a terminal when `out` is one.
    explicit progress_bar(std::string label, std::FILE* out = stderr,
                          std::chrono::nanoseconds interval = std::chrono::seconds(1))
        : progress_bar(
              std::move(label), [out](std::string_view s) { fmt::print(out, "{}", s); },
              ::isatty(::fileno(out)) == 1, interval) {}

    /// Prints through `write`, as a terminal or not.
    progress_bar(std::string label, writer write, bool terminal,
                 std::chrono::nanoseconds interval = std::chrono::seconds(1))
        : label_(std::move(label)),
          write_(std::move(write)),
          terminal_(terminal),
          interval_(interval) {}

    /// Shows `p`: a redraw on a terminal, a line when `interval` has passed
    /// otherwise; the run's last event ends the display with a summary.
    void on(const progress_event& p) {
        if (p.finished) {
            write_(fmt::format("{}{}: done: {}, in {:.3f} s\n", drawn_ ? "\n" : "", label_,
                               counts(p), std::chrono::duration<double>(p.elapsed).count()));
            drawn_ = false;
            last_.reset();
        } else if (terminal_) {
            write_(fmt::format("\r{}", line(p)));
            drawn_ = true;
        } else if (!last_ || p.elapsed - *last_ >= interval_) {
            write_(fmt::format("{}\n", line(p)));
            last_ = p.elapsed;
        }
    }

    /// The text of one update: "label [####      ] 40% 400/1000, 390 written, 1.2k/s, ETA 0:03",
    /// or "label 1200 done, ..." without a total or once past it.
    [[nodiscard]] std::string line(const progress_event& p) const {
        std::string text = label_;
        // Past the expected total (a scan that repeats keys, a total that was
        // a guess) the display is a count: it never passes 100%.
        if (p.total && *p.total > 0 && p.done <= *p.total) {
            const double done = static_cast<double>(p.done) / static_cast<double>(*p.total);
            const auto filled = static_cast<std::size_t>(done * bar_width);
            text += fmt::format(" [{}{}] {:3.0f}% {}/{}", std::string(filled, '#'),
                                std::string(bar_width - filled, ' '), done * 100, p.done, *p.total);
        } else {
            text += fmt::format(" {} done", p.done);
        }
        text += fmt::format(", {} {}, {:.0f}/s", p.changed, p.changed_as, p.rate());
        if (const auto eta = p.eta()) {
            const auto s = std::chrono::duration_cast<std::chrono::seconds>(*eta).count();
            text += fmt::format(", ETA {}:{:02}", s / 60, s % 60);
        }
        return text;
    }

private:
    static std::string counts(const progress_event& p) {
        return fmt::format("{} done, {} {}, {} skipped, {} failed", p.done, p.changed, p.changed_as,
                           p.skipped, p.failed);
    }

    static constexpr std::size_t bar_width = 20;
    std::string label_;
    writer write_;
    bool terminal_;
    std::chrono::nanoseconds interval_;
    std::optional<std::chrono::nanoseconds> last_;
    bool drawn_ = false;
};

}  // namespace dualstore::observe
