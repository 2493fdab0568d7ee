# How dualstore finds the LMDB adapter's engine, lmdb, through pkg-config (it
# ships no CMake package): included by this build and, installed as
# dualstore-lmdb-dependencies.cmake, by a user's
# find_package(dualstore COMPONENTS lmdb). Sets _dualstore_engine to the target
# to link, empty when the engine is missing.
set(_dualstore_engine_needs "lmdb (liblmdb-dev)")
set(_dualstore_engine "")
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(DUALSTORE_LMDB QUIET IMPORTED_TARGET GLOBAL lmdb)
  if(DUALSTORE_LMDB_FOUND)
    set(_dualstore_engine PkgConfig::DUALSTORE_LMDB)
  endif()
endif()
