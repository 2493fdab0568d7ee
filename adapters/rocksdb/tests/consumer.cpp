// A user's first program over the installed rocksdb adapter: built by the consumer
// tests through find_package(dualstore COMPONENTS rocksdb) and through
// `pkg-config dualstore-rocksdb`, so both link the engine.
#include <dualstore/adapters/rocksdb.hpp>

using consumer_store = dualstore::adapters::rocksdb_store;

#include "file_store_main.hpp"
