# How dualstore finds the RocksDB adapter's engine: included by this build and,
# installed as dualstore-rocksdb-dependencies.cmake, by a user's
# find_package(dualstore COMPONENTS rocksdb). Sets _dualstore_engine to the
# target to link, empty when the engine is missing.
set(_dualstore_engine_needs "RocksDB (librocksdb-dev)")
set(_dualstore_engine "")
find_package(RocksDB QUIET CONFIG)
if(RocksDB_FOUND)
  set(_dualstore_engine RocksDB::rocksdb)
endif()
