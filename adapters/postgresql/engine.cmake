# How dualstore finds the PostgreSQL adapter's engine, libpq: included by this
# build and, installed as dualstore-postgresql-dependencies.cmake, by a user's
# find_package(dualstore COMPONENTS postgresql). Sets _dualstore_engine to the
# target to link, empty when the engine is missing.
set(_dualstore_engine_needs "libpq (libpq-dev)")
set(_dualstore_engine "")
find_package(PostgreSQL QUIET)
if(PostgreSQL_FOUND)
  set(_dualstore_engine PostgreSQL::PostgreSQL)
endif()
