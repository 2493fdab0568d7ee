// Keys and values are byte strings: NUL bytes, quotes and large values go
// through every write and read policy unchanged.

#include "support.hpp"

#include <random>

namespace {

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(byte(gen));
    return s;
}

using namespace std::string_literals;

const std::vector<std::pair<std::string, std::string>>& samples() {
    static const std::vector<std::pair<std::string, std::string>> data{
        {"nul\0in\0key"s, "nul\0in\0value"s},
        {"\0"s, "\0\0\0"s},
        {R"(quote"s'and\backslash)", R"({"json": "with \"escapes\""})"},
        {"'; DROP TABLE kv; --", "\xff\xfe\x00\x01"s},
        {"empty-value", ""},
        {"large", random_bytes(1 << 20, 1)},
        {random_bytes(256, 2), random_bytes(4096, 3)},
    };
    return data;
}

template <class Store>
void round_trip(Store& store, kv& a, kv& b) {
    for (const auto& [key, value] : samples()) {
        INFO("key of " << key.size() << " bytes");
        REQUIRE(store.put(key, value).ok());
        CHECK(a.get(key) == value);
        CHECK(b.get(key) == value);
        const auto back = store.get(key);
        REQUIRE(back.has_value());
        CHECK(back->size() == value.size());
        CHECK(*back == value);
    }
    for (const auto& [key, value] : samples()) CHECK(store.erase(key));
    CHECK(a.size() == 0);
    CHECK(b.size() == 0);
}

}  // namespace

TEST_CASE("binary keys and values round-trip under every write policy", "[binary]") {
    kv a, b;
    dst::counting_observer observer;
    SECTION("sequential + shadow") {
        ds::dual_store store{a, b, ds::read::shadow{}, ds::observe::with(observer),
                             ds::discard_secondary_failures{}};
        round_trip(store, a, b);
        CHECK(observer.mismatches == 0);
    }
    SECTION("parallel + fallback") {
        ds::dual_store store{a, b, ds::write::parallel{}, ds::read::fallback{},
                             ds::discard_secondary_failures{}};
        round_trip(store, a, b);
    }
    SECTION("dual_primary + snapshot") {
        ds::dual_store store{a, b, ds::write::dual_primary{}, ds::rollback::snapshot{}};
        round_trip(store, a, b);
    }
}

TEST_CASE("binary values survive a rollback byte for byte", "[binary][rollback]") {
    kv a, b;
    flaky secondary{b};
    ds::dual_store store{a, secondary, ds::write::dual_primary{}, ds::rollback::snapshot{}};
    const auto prior = random_bytes(1 << 20, 9);
    const auto key = "bin\0key"s;
    store.put(key, prior);
    secondary.fail_next(1, dst::fault_on::writes);
    CHECK_THROWS_AS(store.put(key, "replacement"), ds::rolled_back);
    CHECK(a.get(key) == prior);
}

TEST_CASE("binary keys reach the failure sink intact", "[binary][sink]") {
    kv a, b;
    flaky secondary{b};
    secondary.fail_always(dst::fault_on::writes);
    sink_record sunk;
    ds::dual_store store{a, secondary, ds::on_secondary_failure{std::ref(sunk)}};
    const auto key = "a\0b\"c'"s;
    store.put(key, "v");
    REQUIRE(sunk.taken().size() == 1);
    CHECK(sunk.taken()[0].key == key);
    CHECK(sunk.taken()[0].key.size() == 6);
}
