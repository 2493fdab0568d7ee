#pragma once
/// \file
/// The versioned, binary-safe encoding of retry entries in a key-value store.
/// Layout (version 2): "DSQ" 0x02 | op u8 | recorded stage u8 (0xFF: none) |
/// attempts u32 | first_enqueued i64 ns | next_attempt i64 ns | key length
/// u32, key bytes | error length u32, error bytes. Integers little-endian.
/// Any byte may appear in the key and error. Version 1 is version 2 without
/// the stage byte; it still decodes (with no recorded stage).
///
/// The functions that build or read entries are templates of an unused
/// parameter so that only a file that encodes or decodes compiles them.

#include <dualstore/error.hpp>
#include <dualstore/operation.hpp>
#include <dualstore/retry_queue.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::detail {

inline constexpr std::string_view entry_magic{"DSQ\x02", 4};
inline constexpr char entry_version_1 = '\x01';
inline constexpr std::uint8_t no_recorded_stage = 0xFF;

inline void put_uint(std::string& out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFU));
}

inline std::int64_t to_ns(queue_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// The bytes of `entry` (its id is the storage key, not part of the value).
template <class = void>
std::string encode_entry(const retry_entry& entry) {
    std::string out(entry_magic);
    put_uint(out, static_cast<std::uint8_t>(entry.op), 1);
    put_uint(
        out,
        entry.recorded_stage ? static_cast<std::uint8_t>(*entry.recorded_stage) : no_recorded_stage,
        1);
    put_uint(out, entry.attempts, 4);
    put_uint(out, static_cast<std::uint64_t>(to_ns(entry.first_enqueued)), 8);
    put_uint(out, static_cast<std::uint64_t>(to_ns(entry.next_attempt)), 8);
    put_uint(out, entry.key.size(), 4);
    out += entry.key;
    put_uint(out, entry.last_error.size(), 4);
    out += entry.last_error;
    return out;
}

/// Reads fields from bytes, throwing `decode_error` past the end.
class byte_reader {
public:
    explicit byte_reader(std::string_view bytes) noexcept : rest_(bytes) {}

    template <class = void>
    std::uint64_t uint(int bytes) {
        const auto raw = take(static_cast<std::size_t>(bytes));
        std::uint64_t value = 0;
        for (int i = 0; i < bytes; ++i) {
            value |= std::uint64_t{static_cast<unsigned char>(raw[static_cast<std::size_t>(i)])}
                     << (8 * i);
        }
        return value;
    }

    template <class = void>
    std::string_view take(std::size_t n) {
        if (n > rest_.size()) {
            throw decode_error(
                fmt::format("dualstore: retry entry truncated: {} more bytes expected, {} left", n,
                            rest_.size()));
        }
        const auto part = rest_.substr(0, n);
        rest_.remove_prefix(n);
        return part;
    }

    [[nodiscard]] bool done() const noexcept { return rest_.empty(); }

    /// The bytes not read yet.
    [[nodiscard]] std::string_view rest() const noexcept { return rest_; }

private:
    std::string_view rest_;
};

/// The entry stored as `bytes` (version 1 or 2) under identifier `id`;
/// throws `decode_error` for bytes of another format or version, truncated
/// or with trailing bytes.
template <class = void>
retry_entry decode_entry(std::string_view id, std::string_view bytes) {
    if (bytes.substr(0, 3) != entry_magic.substr(0, 3)) {
        throw decode_error("dualstore: not a retry entry (no DSQ header)");
    }
    if (bytes.size() < 4 || (bytes[3] != entry_magic[3] && bytes[3] != entry_version_1)) {
        throw decode_error(fmt::format("dualstore: retry entry of unknown version {}",
                                       bytes.size() < 4 ? -1 : static_cast<int>(bytes[3])));
    }
    const bool has_stage = bytes[3] == entry_magic[3];
    byte_reader in(bytes.substr(4));
    retry_entry entry;
    entry.id = std::string(id);
    const auto op = in.uint(1);
    if (op > static_cast<std::uint64_t>(operation::write)) {
        throw decode_error(fmt::format("dualstore: retry entry with unknown operation {}", op));
    }
    entry.op = static_cast<operation>(op);
    if (has_stage) {
        const auto recorded = in.uint(1);
        if (recorded != no_recorded_stage) {
            if (recorded >= all_stages.size()) {
                throw decode_error(
                    fmt::format("dualstore: retry entry with unknown stage {}", recorded));
            }
            entry.recorded_stage = static_cast<stage>(recorded);
        }
    }
    entry.attempts = static_cast<unsigned>(in.uint(4));
    const auto time = [&] {
        return queue_clock::time_point(std::chrono::duration_cast<queue_clock::duration>(
            std::chrono::nanoseconds(static_cast<std::int64_t>(in.uint(8)))));
    };
    entry.first_enqueued = time();
    entry.next_attempt = time();
    entry.key = std::string(in.take(in.uint(4)));
    entry.last_error = std::string(in.take(in.uint(4)));
    if (!in.done()) throw decode_error("dualstore: retry entry with trailing bytes");
    return entry;
}

/// `entry` after a failed repair: one more attempt, `error` the last error,
/// due again at `next_attempt`.
template <class = void>
retry_entry after_failed_repair(retry_entry entry, std::string error,
                                queue_clock::time_point next_attempt) {
    ++entry.attempts;
    entry.last_error = std::move(error);
    entry.next_attempt = next_attempt;
    return entry;
}

/// The entries of stored `(id, bytes)` rows, in order; a row that does not
/// decode goes to `dead_letter(id, reason, bytes)` instead.
template <class DeadLetter>
std::vector<retry_entry> decode_rows(const std::vector<std::pair<std::string, std::string>>& rows,
                                     DeadLetter&& dead_letter) {
    std::vector<retry_entry> entries;
    entries.reserve(rows.size());
    for (const auto& [id, bytes] : rows) {
        try {
            entries.push_back(decode_entry(id, bytes));
        } catch (const decode_error& e) {
            dead_letter(id, e.what(), bytes);
        }
    }
    return entries;
}

/// The dead letter `id`, moved aside for `reason`, whose stored entry is
/// `bytes`: the entry when it decodes, else the bytes kept as `raw`.
template <class = void>
dead_letter dead_letter_of(std::string id, std::string reason, std::string bytes) {
    dead_letter letter{std::move(id), std::nullopt, std::move(reason), {}};
    try {
        letter.entry = decode_entry(letter.id, bytes);
    } catch (const decode_error&) {
        letter.raw = std::move(bytes);
    }
    return letter;
}

}  // namespace dualstore::detail
