#pragma once
/// \file
/// The bytes of a `kv_reconciler`'s full-pass checkpoint, which another
/// process resumes from: "dsrc1 <phase> " and three length-prefixed fields
/// (the primary's cursor, the secondary's cursor, the last key checked),
/// each "<n>:<bytes>" or "-" for none.

#include <dualstore/detail/length_prefixed.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace dualstore::detail {

/// A full pass's position with its cursors already encoded as bytes.
struct reconcile_checkpoint {
    /// Merging both scans.
    static constexpr char merging = 'm';
    /// Paging through the primary.
    static constexpr char paging_primary = 'p';
    /// Paging through the secondary.
    static constexpr char paging_secondary = 's';

    char phase = merging;                    ///< one of the three above
    std::optional<std::string> primary{};    ///< the primary's cursor, encoded
    std::optional<std::string> secondary{};  ///< the secondary's cursor, encoded
    std::optional<std::string> after{};      ///< the last key checked

    /// The checkpoint's bytes. (This and `decode` are templates of an unused
    /// parameter so that only a file that resumes passes compiles them.)
    template <class = void>
    [[nodiscard]] std::string encode() const {
        std::string out = fmt::format("dsrc1 {} ", phase);
        put_field(out, primary);
        put_field(out, secondary);
        put_field(out, after);
        return out;
    }

    /// Reads bytes `encode` wrote; throws `error` for any other bytes.
    template <class = void>
    [[nodiscard]] static reconcile_checkpoint decode(std::string_view bytes) {
        if (!bytes.starts_with("dsrc1 ") || bytes.size() < 8 || bytes[7] != ' ') throw corrupt();
        reconcile_checkpoint c;
        c.phase = bytes[6];
        if (c.phase != merging && c.phase != paging_primary && c.phase != paging_secondary) {
            throw corrupt();
        }
        bytes.remove_prefix(8);
        c.primary = take_field(bytes);
        c.secondary = take_field(bytes);
        c.after = take_field(bytes);
        if (!bytes.empty()) throw corrupt();
        return c;
    }

private:
    static error corrupt() { return error("dualstore: not a kv_reconciler checkpoint"); }

    template <class = void>
    static std::optional<std::string> take_field(std::string_view& in) {
        std::optional<std::string> field;
        if (!detail::take_field(in, field)) throw corrupt();
        return field;
    }
};

}  // namespace dualstore::detail
