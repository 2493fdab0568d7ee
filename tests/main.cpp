// Catch2 v2's main(), compiled with the tests' own flags (so it is
// instrumented under the sanitizer presets, unlike the prebuilt Catch2WithMain).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
