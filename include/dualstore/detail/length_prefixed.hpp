#pragma once
/// \file
/// Length-prefixed fields for the small records dualstore keeps in a store
/// (checkpoints, partition states): "<n>:<bytes>", or "-" for no value, so
/// any bytes (spaces and NULs included) round trip. Templates of an unused
/// parameter, so that only a file that writes or reads such a record
/// compiles them.

#include <fmt/format.h>

#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace dualstore::detail {

/// Appends `bytes` to `out` as "<n>:<bytes>", or "-" when there are none.
template <class = void>
void put_field(std::string& out, const std::optional<std::string>& bytes) {
    if (!bytes) {
        out += '-';
        return;
    }
    out += fmt::format("{}:", bytes->size());
    out += *bytes;
}

/// Reads from the front of `in` a field `put_field` wrote into `field` and
/// removes it from `in`; returns false (and leaves both alone) when `in`
/// does not start with one.
template <class = void>
[[nodiscard]] bool take_field(std::string_view& in, std::optional<std::string>& field) {
    if (in.empty()) return false;
    if (in.front() == '-') {
        in.remove_prefix(1);
        field.reset();
        return true;
    }
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), n);
    if (ec != std::errc{} || end == in.data() + in.size() || *end != ':') return false;
    const auto header = static_cast<std::size_t>(end - in.data()) + 1;
    if (in.size() - header < n) return false;
    field.emplace(in.substr(header, n));
    in.remove_prefix(header + n);
    return true;
}

}  // namespace dualstore::detail
