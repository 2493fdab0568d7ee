#pragma once
/// \file
/// `observe::progress_bar`: shows a backfill's progress. On a terminal it
/// redraws one line (bar, counts, rate, ETA); otherwise it writes a plain
/// log line at most every `interval`, so logs stay readable.

#include <dualstore/backfill/progress.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::observe {

/// A progress display usable as `backfill_options::progress`.
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

    /// Shows `p` (a redraw on a terminal, a line when `interval` has passed otherwise).
    void operator()(const backfill_progress& p) {
        if (terminal_) {
            write_(fmt::format("\r{}", line(p)));
            drawn_ = true;
        } else if (!last_ || p.elapsed - *last_ >= interval_) {
            write_(fmt::format("{}\n", line(p)));
            last_ = p.elapsed;
        }
    }

    /// Ends the display with the final report.
    void finish(const backfill_report& report) {
        write_(fmt::format("{}{}: done: {}\n", drawn_ ? "\n" : "", label_, report));
        drawn_ = false;
    }

    /// The text of one update: "label [####      ] 40% 400/1000 1.2k/s ETA 0:03".
    [[nodiscard]] std::string line(const backfill_progress& p) const {
        std::string text = label_;
        if (p.total && *p.total > 0) {
            const double done =
                std::min(1.0, static_cast<double>(p.scanned) / static_cast<double>(*p.total));
            const auto filled = static_cast<std::size_t>(done * bar_width);
            text +=
                fmt::format(" [{}{}] {:3.0f}% {}/{}", std::string(filled, '#'),
                            std::string(bar_width - filled, ' '), done * 100, p.scanned, *p.total);
        } else {
            text += fmt::format(" {} scanned", p.scanned);
        }
        text += fmt::format(", {} written, {:.0f}/s", p.written, p.rate());
        if (const auto eta = p.eta()) {
            const auto s = std::chrono::duration_cast<std::chrono::seconds>(*eta).count();
            text += fmt::format(", ETA {}:{:02}", s / 60, s % 60);
        }
        return text;
    }

private:
    static constexpr std::size_t bar_width = 20;
    std::string label_;
    writer write_;
    bool terminal_;
    std::chrono::nanoseconds interval_;
    std::optional<std::chrono::nanoseconds> last_;
    bool drawn_ = false;
};

}  // namespace dualstore::observe
