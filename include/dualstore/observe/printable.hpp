#pragma once
/// \file
/// `observe::printable`: text for a key or value in a report, with fmt where
/// the type is formattable.

#include <fmt/format.h>

#include <string>

namespace dualstore::observe {

/// `*value` printed with fmt when its type is formattable; an optional's
/// value or `<none>`; `<unprintable>` otherwise; `<absent>` for null (no
/// key given, or a side that failed instead of answering).
template <class T>
[[nodiscard]] std::string printable(const T* value) {
    if (value == nullptr) return "<absent>";
    if constexpr (fmt::is_formattable<T>::value) {
        return fmt::format("{}", *value);
    } else if constexpr (requires {
                             value->has_value();
                             **value;
                         }) {
        return value->has_value() ? printable(&**value) : std::string("<none>");
    } else {
        return "<unprintable>";
    }
}

}  // namespace dualstore::observe
