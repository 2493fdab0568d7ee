# How dualstore finds the SQLite adapter's engine: included by this build and,
# installed as dualstore-sqlite-dependencies.cmake, by a user's
# find_package(dualstore COMPONENTS sqlite). Sets _dualstore_engine to the
# target to link, empty when the engine is missing.
set(_dualstore_engine_needs "SQLite3 (libsqlite3-dev)")
set(_dualstore_engine "")
find_package(SQLite3 QUIET)
if(SQLite3_FOUND)
  set(_dualstore_engine SQLite::SQLite3)
endif()
