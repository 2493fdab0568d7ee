#pragma once
/// \file
/// `detail::explain_open_failure`: why a database file could not be opened,
/// in words a person can act on (the system's reason, and whether its
/// directory is missing or not writable). The file adapters (GDBM, SQLite,
/// LMDB) add it to their open errors, whose engines' own messages ("File open
/// error", "unable to open database file") name neither.

#include <fmt/format.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace dualstore::detail {

/// " (reasons)" to append to an open error, empty when there is nothing to
/// add: the text of `errno_value` (none when 0), and what is wrong with the
/// directory of `path`, if anything: it does not exist, is not a directory,
/// or this process may not write in it.
[[nodiscard]] inline std::string explain_open_failure(const std::string& path, int errno_value) {
    namespace fs = std::filesystem;
    std::string out = errno_value != 0 ? std::generic_category().message(errno_value) : "";
    const auto append = [&](const std::string& fact) {
        if (!out.empty()) out += "; ";
        out += fact;
    };
    auto directory = fs::path(path).parent_path();
    if (directory.empty()) directory = ".";
    std::error_code ec;
    const auto status = fs::status(directory, ec);
    if (!fs::exists(status)) {
        append(fmt::format("the directory {:?} does not exist", directory.string()));
    } else if (!fs::is_directory(status)) {
        append(fmt::format("{:?} is not a directory", directory.string()));
    } else if (::access(directory.c_str(), W_OK) != 0) {
        append(
            fmt::format("the directory {:?} is not writable by this process", directory.string()));
    }
    return out.empty() ? out : " (" + out + ")";
}

}  // namespace dualstore::detail
