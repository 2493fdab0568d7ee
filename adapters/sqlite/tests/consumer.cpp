// A user's first program over the installed sqlite adapter: built by the consumer
// tests through find_package(dualstore COMPONENTS sqlite) and through
// `pkg-config dualstore-sqlite`, so both link the engine.
#include <dualstore/adapters/sqlite.hpp>

using consumer_store = dualstore::adapters::sqlite_store;

#include "file_store_main.hpp"
