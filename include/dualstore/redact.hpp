#pragma once
/// \file
/// `redact_secrets`: a server address with its password replaced by `***`,
/// for every message that quotes one (errors, logs, events). The adapters keep
/// the address they were given only in this form; use it for any address your
/// program prints.

#include <cctype>
#include <string>
#include <string_view>

namespace dualstore {

/// The redaction mark that stands where a password was.
inline constexpr std::string_view redacted = "***";

/// `address` with every password replaced by `***`. Understands both forms a
/// server address takes:
/// - a URL's user information: `scheme://user:password@host...` becomes
///   `scheme://user:***@host...` (the user name stays: it helps, and is not
///   secret);
/// - a `password=` parameter, as a libpq keyword (`password=x`, `password =
///   'x y'`) or a URL query parameter (`?password=x&...`).
/// Text without a password is returned unchanged.
[[nodiscard]] inline std::string redact_secrets(std::string_view address) {
    std::string out(address);
    // A URL's user information: "scheme://user:password@host...". The last
    // '@' ends it, so a password holding an unescaped '/' or '@' is hidden
    // whole (hiding too much is harmless; too little is not).
    if (const auto scheme = out.find("://"); scheme != std::string::npos) {
        const auto start = scheme + 3;
        if (const auto at = out.rfind('@'); at != std::string::npos && at > start) {
            if (const auto colon = out.find(':', start); colon < at)
                out.replace(colon + 1, at - colon - 1, redacted);
        }
    }
    // "password=value", the value quoted ('...' with \' escapes) or a token
    // ending at a space or '&'.
    constexpr std::string_view keyword = "password";
    for (std::size_t pos = 0; (pos = out.find(keyword, pos)) != std::string::npos;) {
        const bool starts_word =
            pos == 0 ||
            !(std::isalnum(static_cast<unsigned char>(out[pos - 1])) != 0 || out[pos - 1] == '_');
        auto i = pos + keyword.size();
        while (i < out.size() && out[i] == ' ') ++i;
        if (!starts_word || i >= out.size() || out[i] != '=') {
            pos += keyword.size();
            continue;
        }
        ++i;
        while (i < out.size() && out[i] == ' ') ++i;
        auto end = i;
        if (end < out.size() && out[end] == '\'') {
            for (++end; end < out.size() && out[end] != '\''; ++end)
                if (out[end] == '\\') ++end;
            end = end < out.size() ? end + 1 : out.size();
        } else {
            while (end < out.size() && out[end] != ' ' && out[end] != '&' && out[end] != '#') ++end;
        }
        out.replace(i, end - i, redacted);
        pos = i + redacted.size();
    }
    return out;
}

}  // namespace dualstore
