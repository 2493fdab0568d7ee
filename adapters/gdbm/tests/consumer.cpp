// A user's first program over the installed gdbm adapter: built by the consumer
// tests through find_package(dualstore COMPONENTS gdbm) and through
// `pkg-config dualstore-gdbm`, so both link the engine.
#include <dualstore/adapters/gdbm.hpp>

using consumer_store = dualstore::adapters::gdbm_store;

#include "file_store_main.hpp"
