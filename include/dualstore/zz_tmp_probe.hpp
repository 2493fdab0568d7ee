#pragma once
// THROWAWAY probe header (build-skeleton verification) -- delete me.
#include <atomic>
#include <thread>
namespace dualstore::zz_probe {
inline int count_in_threads(int n) {
    std::atomic<int> c{0};
    std::thread a([&] { for (int i = 0; i < n; ++i) ++c; });
    std::thread b([&] { for (int i = 0; i < n; ++i) ++c; });
    a.join(); b.join();
    return c.load();
}
}
