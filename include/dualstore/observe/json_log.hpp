#pragma once
/// \file
/// `observe::json_log`: an observer that writes one JSON object per line for
/// what deserves a log line: failed operations, retries, secondary failures,
/// failure-sink errors (level "error": a write may be lost), rollbacks,
/// shadow mismatches and comparator errors, stage changes.

#include <dualstore/error.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/observe/printable.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::observe {

/// `text` as a JSON string literal, quotes included. Control characters,
/// quotes and backslashes are escaped; bytes outside ASCII are written as
/// `\u00XX` (read as Latin-1), so binary keys always give valid JSON.
[[nodiscard]] inline std::string json_string(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('"');
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (byte < 0x20 || byte >= 0x7F) {
                    fmt::format_to(std::back_inserter(out), "\\u{:04x}", byte);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
    return out;
}

/// Writes a JSON line per notable event to a line sink (thread-safe: one
/// call per line, serialised). Each line has `ts` (UTC, ISO 8601), `level`
/// and `event`, then the event's fields.
class json_log {
public:
    /// Receives each line, without its newline.
    using line_sink = std::function<void(std::string_view)>;

    /// Logs to `out` (standard error by default), one line per event.
    explicit json_log(std::FILE* out = stderr)
        : sink_([out](std::string_view line) { fmt::print(out, "{}\n", line); }) {}
    /// Logs to `sink`.
    explicit json_log(line_sink sink) : sink_(std::move(sink)) {}

    /// A failed operation (successful ones are counted by `metrics`, not logged).
    void on(const operation_event& e) {
        if (e.ok) return;
        write("warn", "operation_failed",
              fmt::format(R"("op":"{}","side":"{}","attempts":{},"duration_ms":{:.3f})", e.op,
                          e.side, e.attempts, ms(e.duration)));
    }
    /// A retried attempt.
    void on(const retry_event& e) {
        write("info", "retry",
              fmt::format(R"("op":"{}","side":"{}","attempt":{},"delay_ms":{:.3f},"error":{})",
                          e.op, e.side, e.attempt, ms(e.delay), error(e.error)));
    }
    /// A secondary write that failed for good.
    template <class Key>
    void on(const secondary_failure_event<Key>& e) {
        write("warn", "secondary_failure",
              fmt::format(R"("op":"{}","key":{},"error":{},"enqueued":{})", e.op, key(e.key),
                          error(e.error), e.sunk));
    }
    /// The failure sink threw: the failed write may be lost.
    template <class Key>
    void on(const sink_error_event<Key>& e) {
        write(
            "error", "sink_error",
            fmt::format(
                R"("op":"{}","key":{},"error":{},"sink_error":{},"note":"the failed secondary write was not recorded and may be lost")",
                e.op, key(e.key), error(e.error), error(e.sink_error)));
    }
    /// A rolled-back primary write.
    template <class Key>
    void on(const rollback_event<Key>& e) {
        write(
            e.restored() ? "warn" : "error", "rollback",
            fmt::format(
                R"("op":"{}","key":{},"cause":{},"restored":{}{})", e.op, key(e.key),
                error(e.cause), e.restored(),
                e.restored() ? "" : fmt::format(R"(,"restore_error":{})", error(e.restore_error))));
    }
    /// A shadow mismatch.
    template <class Key, class P, class S>
    void on(const mismatch_event<Key, P, S>& e) {
        write(
            "warn", "mismatch",
            fmt::format(
                R"("key":{},"primary":{},"secondary":{},"primary_ms":{:.3f},"secondary_ms":{:.3f})",
                key(e.key), answer(e.primary, e.primary_error),
                answer(e.secondary, e.secondary_error), ms(e.primary_latency),
                ms(e.secondary_latency)));
    }
    /// A comparator that threw.
    template <class Key>
    void on(const shadow_error_event<Key>& e) {
        write("warn", "shadow_error",
              fmt::format(R"("key":{},"error":{})", key(e.key), error(e.error)));
    }
    /// A stage change.
    void on(const stage_change_event& e) {
        write("info", "stage_change", fmt::format(R"("from":"{}","to":"{}")", e.from, e.to));
    }

private:
    static double ms(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }
    static std::string error(const std::exception_ptr& e) { return json_string(describe(e)); }
    template <class Key>
    static std::string key(const Key* k) {
        return k == nullptr ? std::string("null") : json_string(printable(k));
    }
    template <class T>
    static std::string answer(const T* value, const std::exception_ptr& e) {
        return e ? fmt::format(R"({{"error":{}}})", error(e)) : json_string(printable(value));
    }

    void write(std::string_view level, std::string_view event, const std::string& fields) {
        const auto now = std::chrono::time_point_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now());
        const auto line = fmt::format(R"({{"ts":"{:%FT%T}Z","level":"{}","event":"{}",{}}})", now,
                                      level, event, fields);
        const std::lock_guard lock(mutex_);
        sink_(line);
    }

    line_sink sink_;
    std::mutex mutex_;
};

}  // namespace dualstore::observe
