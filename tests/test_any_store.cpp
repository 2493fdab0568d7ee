// any_store: the conformance suite through the type-erased store (over an
// engine that scans with expiries, one without expiry, one with expiry whose
// scans do not carry it), a time to live refused by an engine without
// expiry, and cursors as bytes.
#include <dualstore/any_store.hpp>
#include <dualstore/backfill/backfill.hpp>

#include "support.hpp"

#include <memory>
#include <tuple>

/// A memory store that keeps no times to live: only the members of a
/// resumable, conditional store.
class no_ttl_store {
public:
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = kv::cursor_type;
    std::optional<std::string> get(const std::string& k) { return inner_.get(k); }
    void put(const std::string& k, const std::string& v) { inner_.put(k, v); }
    bool erase(const std::string& k) { return inner_.erase(k); }
    bool put_if_absent(const std::string& k, const std::string& v) {
        return inner_.put_if_absent(k, v);
    }
    auto scan(const cursor_type& c, std::size_t limit) { return inner_.scan(c, limit); }
    static std::string encode_cursor(const cursor_type& c) { return kv::encode_cursor(c); }
    static cursor_type decode_cursor(std::string_view b) { return kv::decode_cursor(b); }

private:
    kv inner_;
};

/// A memory store with times to live whose scans carry no expiries (its
/// `scan_with_expiry` hidden): `any_store` pairs each record it scans with
/// the record's `expiry`.
class no_page_expiry_store : public kv {
public:
    using kv::kv;
    void scan_with_expiry() = delete;
};
static_assert(ds::expiring_store<no_page_expiry_store> &&
              !ds::expiry_scannable_store<no_page_expiry_store>);

struct any_memory_factory {
    using store = ds::any_store;
    static constexpr bool scan_stable_under_writes = true;
    std::unique_ptr<store> make() { return std::make_unique<store>(store::make<kv>("memory")); }
    std::unique_ptr<store> make_with_clock(kv::clock_function now) {
        return std::make_unique<store>(store::make<kv>("memory", std::move(now)));
    }
};
struct any_no_ttl_factory {
    using store = ds::any_store;
    static constexpr bool scan_stable_under_writes = true;
    static constexpr bool keeps_expiry = false;  // refuses a TTL (tested below)
    static constexpr bool exact_stamps = false;  // no stamps: one that always moves
    std::unique_ptr<store> make() {
        return std::make_unique<store>(store::make<no_ttl_store>("no-ttl"));
    }
};
struct any_no_page_expiry_factory {
    using store = ds::any_store;
    static constexpr bool scan_stable_under_writes = true;
    std::unique_ptr<store> make() {
        return std::make_unique<store>(store::make<no_page_expiry_store>("no-page-expiry"));
    }
    std::unique_ptr<store> make_with_clock(kv::clock_function now) {
        return std::make_unique<store>(
            store::make<no_page_expiry_store>("no-page-expiry", std::move(now)));
    }
};
using conformance_factories =
    std::tuple<any_memory_factory, any_no_ttl_factory, any_no_page_expiry_factory>;

#include "conformance/store_conformance.hpp"

TEST_CASE("any_store: an engine without expiry refuses a time to live, never drops it") {
    auto store = ds::any_store::make<no_ttl_store>("sqlite:orders.db");
    CHECK_FALSE(store.expires());
    CHECK_THROWS_AS(store.put("k", "v", std::chrono::seconds(5)), ds::no_expiry);
    CHECK_THROWS_WITH(store.put("k", "v", std::chrono::seconds(5)),
                      Catch::Matchers::Contains("sqlite:orders.db") &&
                          Catch::Matchers::Contains("kept for ever"));
    CHECK_THROWS_AS(store.put_if_absent("k", "v", std::chrono::seconds(5)), ds::no_expiry);
    CHECK(store.get("k") == std::nullopt);
    CHECK(store.expiry("k") == std::nullopt);

    SECTION("a backfill of records with a time to live into it counts them failed") {
        kv source;
        source.put("plain", "1");
        source.put("leased", "2", std::chrono::hours(1));
        const auto report = ds::backfill(source, store, {});
        CHECK(report.written == 1);
        CHECK(report.failed == 1);
        CHECK(store.get("plain") == "1");
        CHECK(store.get("leased") == std::nullopt);
    }
}

TEST_CASE("any_store: cursors round-trip as bytes, other bytes are refused") {
    auto store = ds::any_store::make<kv>("memory");
    for (int i = 0; i < 10; ++i) store.put(conformance::key_of(i), "v");
    auto first = store.scan({}, 4);
    REQUIRE(first.next);
    const auto bytes = ds::any_store::encode_cursor(*first.next);
    CHECK(ds::any_store::decode_cursor(bytes) == *first.next);
    CHECK(ds::any_store::decode_cursor(ds::any_store::encode_cursor({})) == ds::any_cursor{});
    CHECK_THROWS_AS(ds::any_store::decode_cursor("garbage"), ds::decode_error);
    auto rest = store.scan(ds::any_store::decode_cursor(bytes), 100);
    CHECK(first.items.size() + rest.items.size() == 10);
}
