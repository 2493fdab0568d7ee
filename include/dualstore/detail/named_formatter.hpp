#pragma once
/// \file
/// `named_formatter<T>`: the fmt formatter of a type printed by the name its
/// `to_string(value)` (found by argument-dependent lookup) gives. Takes the
/// format specifiers of a string ("{:>10}").

#include <fmt/format.h>

#include <string_view>

namespace dualstore::detail {

template <class T>
struct named_formatter : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const T& value, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(std::string_view(to_string(value)), ctx);
    }
};

}  // namespace dualstore::detail
