#pragma once
/// \file
/// `observe::json_log`: an observer that writes one JSON object per line for
/// what deserves a log line: failed operations, retries, secondary failures,
/// failure-sink errors (level "error": a write may be lost), rollbacks,
/// shadow mismatches and comparator errors, stage changes; and, when asked,
/// every operation with its duration, for a soak report (`soak_report.hpp`).

#include <dualstore/error.hpp>
#include <dualstore/observe/events.hpp>
#include <dualstore/observe/printable.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::observe {

namespace detail {

/// The length of the well-formed UTF-8 sequence at the start of `text`
/// (1 to 4), or 0 when its first byte starts none: a stray continuation
/// byte, an overlong form, a surrogate, a code point above U+10FFFF, or a
/// sequence cut short.
[[nodiscard]] constexpr std::size_t utf8_sequence(std::string_view text) noexcept {
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto lead = at(0);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // no overlong forms
        if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // no overlong forms
        if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (text.size() < length || at(1) < low || at(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (at(i) < 0x80 || at(i) > 0xBF) return 0;
    }
    return length;
}

}  // namespace detail

/// Whether `text` is well-formed UTF-8.
[[nodiscard]] constexpr bool is_utf8(std::string_view text) noexcept {
    while (!text.empty()) {
        const auto n = detail::utf8_sequence(text);
        if (n == 0) return false;
        text.remove_prefix(n);
    }
    return true;
}

/// `text` as a JSON string literal, quotes included. UTF-8 text passes
/// through as it is; only what JSON requires is escaped: quotes,
/// backslashes and control characters below U+0020. Each byte that is not
/// part of a well-formed UTF-8 sequence (binary keys) becomes `\ufffd`
/// (U+FFFD, the replacement character), so the line is always valid JSON in
/// UTF-8, at the price of those bytes; `json_log` adds the hex of a key that
/// is not UTF-8 (`key_hex`) so the key can still be found.
[[nodiscard]] inline std::string json_string(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('"');
    while (!text.empty()) {
        const char c = text.front();
        const auto byte = static_cast<unsigned char>(c);
        std::size_t taken = 1;
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
                if (byte < 0x20) {
                    fmt::format_to(std::back_inserter(out), "\\u{:04x}", byte);
                } else if (byte < 0x80) {
                    out.push_back(c);
                } else if (const auto n = detail::utf8_sequence(text); n != 0) {
                    out.append(text.substr(0, n));
                    taken = n;
                } else {
                    out += "\\ufffd";
                }
        }
        text.remove_prefix(taken);
    }
    out.push_back('"');
    return out;
}

/// `at` in UTC, ISO 8601 with microseconds: "2024-03-01T05:06:07.000008Z".
/// Independent of the process's time zone (`TZ`).
[[nodiscard]] inline std::string utc_timestamp(std::chrono::system_clock::time_point at) {
    using namespace std::chrono;
    const auto us = time_point_cast<microseconds>(at);
    const auto day = floor<days>(us);
    const year_month_day date{day};
    const hh_mm_ss time{us - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count(),
                       time.subseconds().count());
}

/// Writes a JSON line per notable event to a line sink (thread-safe: one
/// call per line, serialised). Each line has `ts` (UTC, `utc_timestamp`),
/// `level` and `event`, then the event's fields. Text is UTF-8 (see
/// `json_string`); a key that is not valid UTF-8 also gets `key_hex`, its
/// bytes in hex.
class json_log {
public:
    /// Which operations get a line: the failed ones, or every one (event
    /// "operation", level "debug", with `duration_ms`: what a soak report reads).
    enum class operations { failed, every };
    /// Receives each line, without its newline.
    using line_sink = std::function<void(std::string_view)>;
    /// The clock lines are stamped with; empty means `system_clock::now`.
    using clock_fn = std::function<std::chrono::system_clock::time_point()>;

    /// Logs to `out` (standard error by default), one line per event.
    explicit json_log(std::FILE* out = stderr)
        : sink_([out](std::string_view line) { fmt::print(out, "{}\n", line); }) {}
    /// Logs to `sink`, stamping lines with `clock`; `logged` says which
    /// operations get a line.
    explicit json_log(line_sink sink, clock_fn clock = {}, operations logged = operations::failed)
        : sink_(std::move(sink)), clock_(std::move(clock)), logged_(logged) {}

    /// A failed operation; a successful one too with `operations::every`
    /// (otherwise `metrics` counts them).
    void on(const operation_event& e) {
        if (e.ok && logged_ == operations::failed) return;
        write(
            e.ok ? "debug" : "warn", e.ok ? "operation" : "operation_failed",
            fmt::format(R"("op":"{}","side":"{}","origin":"{}","attempts":{},"duration_ms":{:.3f})",
                        e.op, e.side, origin_name(e.origin), e.attempts, ms(e.duration)));
    }
    /// A retried attempt.
    void on(const retry_event& e) {
        write(
            "info", "retry",
            fmt::format(
                R"("op":"{}","side":"{}","origin":"{}","attempt":{},"delay_ms":{:.3f},"error":{})",
                e.op, e.side, origin_name(e.origin), e.attempt, ms(e.delay), error(e.error)));
    }
    /// A secondary write that failed for good.
    template <class Key>
    void on(const secondary_failure_event<Key>& e) {
        write("warn", "secondary_failure",
              fmt::format(R"("op":"{}",{},"error":{},"enqueued":{})", e.op, key(e.key),
                          error(e.error), e.sunk));
    }
    /// The failure sink threw: the failed write may be lost.
    template <class Key>
    void on(const sink_error_event<Key>& e) {
        write(
            "error", "sink_error",
            fmt::format(
                R"("op":"{}",{},"error":{},"sink_error":{},"note":"the failed secondary write was not recorded and may be lost")",
                e.op, key(e.key), error(e.error), error(e.sink_error)));
    }
    /// A rolled-back primary write.
    template <class Key>
    void on(const rollback_event<Key>& e) {
        write(
            e.restored() ? "warn" : "error", "rollback",
            fmt::format(
                R"("op":"{}",{},"cause":{},"restored":{}{})", e.op, key(e.key), error(e.cause),
                e.restored(),
                e.restored() ? "" : fmt::format(R"(,"restore_error":{})", error(e.restore_error))));
    }
    /// A shadow mismatch.
    template <class Key, class P, class S>
    void on(const mismatch_event<Key, P, S>& e) {
        write("warn", "mismatch",
              fmt::format(
                  R"({},"primary":{},"secondary":{},"primary_ms":{:.3f},"secondary_ms":{:.3f})",
                  key(e.key), answer(e.primary, e.primary_error),
                  answer(e.secondary, e.secondary_error), ms(e.primary_latency),
                  ms(e.secondary_latency)));
    }
    /// A comparator that threw.
    template <class Key>
    void on(const shadow_error_event<Key>& e) {
        write("warn", "shadow_error", fmt::format(R"({},"error":{})", key(e.key), error(e.error)));
    }
    /// A stage change.
    void on(const stage_change_event& e) {
        write("info", "stage_change", fmt::format(R"("from":"{}","to":"{}")", e.from, e.to));
    }

private:
    static double ms(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }
    static std::string error(const std::exception_ptr& e) { return json_string(describe(e)); }
    /// The `key` field, and `key_hex` when the key's text is not UTF-8.
    template <class Key>
    static std::string key(const Key* k) {
        if (k == nullptr) return R"("key":null)";
        const auto text = printable(k);
        auto field = fmt::format(R"("key":{})", json_string(text));
        if (!is_utf8(text)) {
            field += R"(,"key_hex":")";
            for (const char c : text) {
                fmt::format_to(std::back_inserter(field), "{:02x}", static_cast<unsigned char>(c));
            }
            field += '"';
        }
        return field;
    }
    template <class T>
    static std::string answer(const T* value, const std::exception_ptr& e) {
        return e ? fmt::format(R"({{"error":{}}})", error(e)) : json_string(printable(value));
    }

    void write(std::string_view level, std::string_view event, const std::string& fields) {
        const auto now = clock_ ? clock_() : std::chrono::system_clock::now();
        const auto line = fmt::format(R"({{"ts":"{}","level":"{}","event":"{}",{}}})",
                                      utc_timestamp(now), level, event, fields);
        const std::lock_guard lock(mutex_);
        sink_(line);
    }

    line_sink sink_;
    clock_fn clock_;
    operations logged_ = operations::failed;
    std::mutex mutex_;
};

}  // namespace dualstore::observe
