// A user's first program over the installed lmdb adapter: built by the consumer
// tests through find_package(dualstore COMPONENTS lmdb) and through
// `pkg-config dualstore-lmdb`, so both link the engine.
#include <dualstore/adapters/lmdb.hpp>

using consumer_store = dualstore::adapters::lmdb_store;

#include "file_store_main.hpp"
