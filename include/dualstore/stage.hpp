#pragma once
/// \file
/// `stage`: where a `migration` stands, and `parse_stage` / `stage_from_env`
/// to read one from configuration.

#include <dualstore/detail/named_formatter.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace dualstore {

/// The stages of a migration from an old store to a new one, in order.
enum class stage : std::uint8_t {
    off,         ///< old only: the new store is never touched
    dual_write,  ///< write both (old first), read old
    shadow,      ///< write both (old first), read both, return old, compare
    live,        ///< write both (new first), read both, return new, compare
    rampdown,    ///< write both (new first), read new
    complete,    ///< new only: the old store is never touched
};

/// Every stage, in migration order.
inline constexpr std::array all_stages{stage::off,  stage::dual_write, stage::shadow,
                                       stage::live, stage::rampdown,   stage::complete};

/// One of the two stores of a migration.
enum class migration_store : std::uint8_t {
    old_store,  ///< the store migrated from
    new_store,  ///< the store migrated to
};

/// The store that answers reads in stage `s`, and so the source of truth a
/// repair copies from: the old store through `shadow`, the new one from `live`.
[[nodiscard]] constexpr migration_store authoritative_store(stage s) noexcept {
    return s < stage::live ? migration_store::old_store : migration_store::new_store;
}

/// The other store of the two.
[[nodiscard]] constexpr migration_store other_store(migration_store s) noexcept {
    return s == migration_store::old_store ? migration_store::new_store
                                           : migration_store::old_store;
}

/// The origin of `s` as LaunchDarkly's migrations name it: "old" or "new".
[[nodiscard]] constexpr std::string_view origin_name(migration_store s) noexcept {
    return s == migration_store::old_store ? "old" : "new";
}

/// The name of `s` ("old store" or "new store").
[[nodiscard]] constexpr std::string_view to_string(migration_store s) noexcept {
    return s == migration_store::old_store ? "old store" : "new store";
}

/// The name of `s`, as `parse_stage` accepts it ("dual_write").
[[nodiscard]] constexpr std::string_view stage_name(stage s) noexcept {
    constexpr std::array<std::string_view, all_stages.size()> names{
        "off", "dual_write", "shadow", "live", "rampdown", "complete"};
    const auto index = static_cast<std::size_t>(s);
    return index < names.size() ? names[index] : std::string_view("invalid");
}

/// The name of `s` (for `fmt` and argument-dependent lookup).
[[nodiscard]] constexpr std::string_view to_string(stage s) noexcept {
    return stage_name(s);
}

/// The stage named by `text`: surrounding whitespace is ignored, case is
/// ignored, and `-` is read as `_` ("Dual-Write" is `dual_write`). The
/// names of LaunchDarkly's migration stages, which drop the `_`, are the
/// same stages ("dualwrite" is `dual_write`). Anything else, empty text and
/// numbers included, throws `invalid_stage`, whose message quotes `text`
/// and lists the accepted names. Never a default. (A template of an unused
/// parameter, as `stage_from_env`, so that only a file that parses stages
/// compiles them.)
template <class = void>
[[nodiscard]] stage parse_stage(std::string_view text) {
    const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    std::string_view trimmed = text;
    while (!trimmed.empty() && is_space(trimmed.front())) trimmed.remove_prefix(1);
    while (!trimmed.empty() && is_space(trimmed.back())) trimmed.remove_suffix(1);
    std::string normal(trimmed);
    std::transform(normal.begin(), normal.end(), normal.begin(), [](char c) {
        return c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    for (stage s : all_stages) {
        const std::string_view name = stage_name(s);
        if (normal == name) return s;
        const auto separator = name.find('_');  // LaunchDarkly's spelling drops it
        if (separator != std::string_view::npos && normal.size() + 1 == name.size() &&
            normal == fmt::format("{}{}", name.substr(0, separator), name.substr(separator + 1))) {
            return s;
        }
    }
    std::string accepted;
    for (stage s : all_stages) {
        accepted += accepted.empty() ? "" : ", ";
        accepted += stage_name(s);
    }
    throw invalid_stage(fmt::format(
        "dualstore: invalid stage {:?}: accepted stages are {} (case-insensitive, '-' or '_' "
        "or, as LaunchDarkly writes them, neither)",
        text, accepted));
}

/// The stage named by the environment variable `variable` (parsed by
/// `parse_stage`). Throws `invalid_stage` when it is unset or names no stage.
template <class = void>
[[nodiscard]] stage stage_from_env(const char* variable) {
    const char* value =
        std::getenv(variable);  // NOLINT(concurrency-mt-unsafe): read once at set-up
    if (value == nullptr) {
        throw invalid_stage(fmt::format(
            "dualstore: environment variable {} is not set: set it to a stage name", variable));
    }
    try {
        return parse_stage(value);
    } catch (const invalid_stage& e) {
        throw invalid_stage(fmt::format("{} (from environment variable {})", e.what(), variable));
    }
}

/// As `stage_from_env(variable)`, but `when_unset` when the variable is not
/// set; a set variable that names no stage still throws.
template <class = void>
[[nodiscard]] stage stage_from_env(const char* variable, stage when_unset) {
    return std::getenv(variable) == nullptr  // NOLINT(concurrency-mt-unsafe)
               ? when_unset
               : stage_from_env(variable);
}

}  // namespace dualstore

/// Prints a stage by name.
template <>
struct fmt::formatter<dualstore::stage> : dualstore::detail::named_formatter<dualstore::stage> {};
