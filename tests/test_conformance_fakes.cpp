// The conformance suite over testing::memory_store.

#include "support.hpp"

#include <memory>
#include <tuple>

struct memory_factory {
    using store = kv;
    static constexpr bool scan_stable_under_writes = true;
    std::unique_ptr<store> make() { return std::make_unique<store>(); }
    std::unique_ptr<store> make_with_clock(kv::clock_function now) {
        return std::make_unique<store>(std::move(now));
    }
};
using conformance_factories = std::tuple<memory_factory>;

#include "conformance/store_conformance.hpp"
