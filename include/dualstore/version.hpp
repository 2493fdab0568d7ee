#pragma once
/// \file
/// The library's version. The single source of truth: CMake, the Conan
/// recipe and the vcpkg port read or are checked against these numbers.

/// Major version: incremented for incompatible API changes.
#define DUALSTORE_VERSION_MAJOR 0
/// Minor version: incremented for compatible additions.
#define DUALSTORE_VERSION_MINOR 1
/// Patch version: incremented for fixes.
#define DUALSTORE_VERSION_PATCH 0
/// The version as one number, `major * 10000 + minor * 100 + patch`, for `#if`.
#define DUALSTORE_VERSION \
    (DUALSTORE_VERSION_MAJOR * 10000 + DUALSTORE_VERSION_MINOR * 100 + DUALSTORE_VERSION_PATCH)
/// The version as a string literal, "major.minor.patch".
#define DUALSTORE_VERSION_STRING "0.1.0"
