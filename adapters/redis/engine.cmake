# How dualstore finds the Redis adapter's engine, hiredis, through pkg-config (it
# ships no CMake package): included by this build and, installed as
# dualstore-redis-dependencies.cmake, by a user's
# find_package(dualstore COMPONENTS redis). Sets _dualstore_engine to the target
# to link, empty when the engine is missing.
set(_dualstore_engine_needs "hiredis (libhiredis-dev)")
set(_dualstore_engine "")
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(DUALSTORE_HIREDIS QUIET IMPORTED_TARGET GLOBAL hiredis)
  if(DUALSTORE_HIREDIS_FOUND)
    set(_dualstore_engine PkgConfig::DUALSTORE_HIREDIS)
  endif()
endif()
