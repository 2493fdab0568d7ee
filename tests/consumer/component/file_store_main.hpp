// The program of the consumer tests for the adapters over a file (SQLite,
// GDBM, LMDB, RocksDB): each adapter's tests/consumer.cpp includes its header,
// names its store `consumer_store` and includes this. It opens the store in a
// fresh temporary directory, writes and reads one key, and removes the
// directory, so linking and running both use the engine.
#pragma once

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <string>

int main() {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("dualstore-consumer-" + std::to_string(getpid()));
    fs::create_directories(dir);
    bool ok = false;
    {
        consumer_store store((dir / "store").string());
        store.put("k", "v");
        ok = store.get("k") == "v";
    }
    fs::remove_all(dir);
    std::puts(ok ? "adapter: ok" : "adapter: FAILED");
    return ok ? 0 : 1;
}
