#pragma once
/// \file
/// A scan cursor that resumes after the last key returned, for ordered
/// stores of byte-string keys, and its byte encoding for checkpoints.

#include <dualstore/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace dualstore::detail {

/// Resumes after `after`, or at the first key when empty.
struct key_cursor {
    /// The last key the previous page returned.
    std::optional<std::string> after;
    /// Cursors are equal when they resume at the same place.
    friend bool operator==(const key_cursor&, const key_cursor&) = default;

    /// The cursor as bytes: "0" for the start, "1" and the key otherwise.
    [[nodiscard]] static std::string encode(const key_cursor& c) {
        return c.after ? "1" + *c.after : std::string("0");
    }
    /// The cursor `encode` gave `text` for; throws `error` for other text.
    [[nodiscard]] static key_cursor decode(std::string_view text) {
        if (text == "0") return {};
        if (!text.empty() && text.front() == '1') return {std::string(text.substr(1))};
        throw error("dualstore: not a scan cursor");
    }
};

/// The `resumable_store` members of a store whose cursor is a `key_cursor`:
/// derive from it.
struct key_cursor_codec {
    /// Saves a cursor as bytes (for backfill checkpoints).
    [[nodiscard]] static std::string encode_cursor(const key_cursor& c) {
        return key_cursor::encode(c);
    }
    /// Restores a saved cursor; throws `error` for other bytes.
    [[nodiscard]] static key_cursor decode_cursor(std::string_view bytes) {
        return key_cursor::decode(bytes);
    }
};

}  // namespace dualstore::detail
