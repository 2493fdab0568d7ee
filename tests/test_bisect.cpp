// Range digests and the checksum-bisection diff: the row hash equals
// PostgreSQL's, equal stores cost two digests, every difference (missing,
// extra, changed, binary keys, empty values) is reported once in key order,
// and what is read grows with the differences, not the stores.
#include "support.hpp"

#include <dualstore/reconcile/bisect.hpp>
#include <dualstore/reconcile/range_digest.hpp>

#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

namespace {

static_assert(ds::range_digest_store<kv>);

struct difference {
    std::string key;
    ds::drift_reason reason;
    friend bool operator==(const difference&, const difference&) = default;
};

std::vector<difference> diff(kv& a, kv& b, ds::bisect_report& report,
                             const ds::bisect_options& options = {}) {
    std::vector<difference> found;
    report = ds::bisect_diff(
        a, b,
        [&](const ds::sample_result& r) {
            found.push_back({r.key, r.reason});
        },
        options);
    return found;
}

/// Bytes a full compare reads: every record of both stores.
std::uint64_t full_compare_bytes(kv& a, kv& b) {
    std::uint64_t bytes = 0;
    for (auto* store : {&a, &b}) {
        for (const auto& [k, v] : store->snapshot()) bytes += k.size() + v.size();
    }
    return bytes;
}

void fill_both(kv& a, kv& b, int n) {
    std::vector<std::pair<std::string, std::string>> items;
    for (int i = 0; i < n; ++i)
        items.emplace_back(fmt::format("user:{:07}", i), fmt::format("{{\"n\":{}}}", i));
    a.put_many(items);
    b.put_many(items);
}

}  // namespace

TEST_CASE("range digest: the row hash is PostgreSQL's, digests ignore order and see every byte",
          "[bisect][digest]") {
    // SELECT ('x' || substr(md5(int4send(3) || '\x616263'::bytea || '\x76'::bytea), 1,
    // 16))::bit(64)::int8
    CHECK(static_cast<std::int64_t>(ds::range_digest::row_hash("abc", "v")) == -731348391504605351);
    // The key's length is hashed: moving a byte from key to value changes the hash.
    CHECK(ds::range_digest::row_hash("ab", "cv") != ds::range_digest::row_hash("abc", "v"));
    kv a, b;
    a.put("x", "1");
    a.put(std::string("\0y", 2), std::string("\0", 1));
    b.put(std::string("\0y", 2), std::string("\0", 1));
    b.put("x", "1");
    CHECK(a.digest({}) == b.digest({}));
    CHECK(a.digest({}).count == 2);
    b.put(std::string("\0y", 2), std::string("\1", 1));
    CHECK(a.digest({}) != b.digest({}));
    CHECK(a.digest({.after = std::string("\0y", 2)}) == b.digest({.after = std::string("\0y", 2)}));
    CHECK(a.keys_every({}, 1, 5) == std::vector<std::string>{std::string("\0y", 2), "x"});
    CHECK(a.keys_every({.up_to = "w"}, 1, 5) == std::vector<std::string>{std::string("\0y", 2)});
}

TEST_CASE("bisect diff: equal stores cost one digest each", "[bisect]") {
    kv a, b;
    fill_both(a, b, 5000);
    ds::bisect_report report;
    CHECK(diff(a, b, report).empty());
    CHECK(report.ranges == 1);
    CHECK(report.rows_read == 0);
    CHECK(report.bytes_primary == 16);
    CHECK(report.bytes_secondary == 16);
}

TEST_CASE(
    "bisect diff: every kind of difference is reported once, in key order, reading a "
    "small share of a full compare",
    "[bisect]") {
    kv a, b;
    fill_both(a, b, 100000);
    std::vector<difference> expected{
        {std::string("\0bin", 4), ds::drift_reason::missing_in_secondary},
        {"user:0000000", ds::drift_reason::values_differ},
        {"user:0012345", ds::drift_reason::missing_in_secondary},
        {"user:0012346", ds::drift_reason::values_differ},
        {"user:0050000x", ds::drift_reason::missing_in_primary},
        {"user:0070000", ds::drift_reason::values_differ},
        {"user:0070001", ds::drift_reason::values_differ},
        {"user:0099999", ds::drift_reason::missing_in_primary},
        {"zz", ds::drift_reason::missing_in_primary},
        {"\xff", ds::drift_reason::values_differ},
    };
    a.put(std::string("\0bin", 4), "only in a");
    b.put("user:0000000", "");
    b.erase("user:0012345");
    b.put("user:0012346", "changed");
    b.put("user:0050000x", "extra");
    // Two values swapped between neighbours: same multiset of values.
    b.put("user:0070000", *a.get("user:0070001"));
    b.put("user:0070001", *a.get("user:0070000"));
    a.erase("user:0099999");
    b.put("zz", "extra");
    a.put("\xff", "1");
    b.put("\xff", "2");

    ds::bisect_report report;
    const auto found = diff(a, b, report);
    CHECK(found == expected);
    CHECK(report.differences == expected.size());
    const auto read = report.bytes_primary + report.bytes_secondary;
    const auto full = full_compare_bytes(a, b);
    INFO(fmt::format("read {} bytes of {} ({:.3f}%), {} ranges, {} leaves, {} rows", read, full,
                     100.0 * static_cast<double>(read) / static_cast<double>(full), report.ranges,
                     report.leaves, report.rows_read));
    CHECK(read * 50 < full);  // under 2%

    SECTION("any fanout and leaf size finds the same differences") {
        for (const auto& options : {ds::bisect_options{.fanout = 2, .leaf_rows = 1},
                                    ds::bisect_options{.fanout = 64, .leaf_rows = 1000},
                                    ds::bisect_options{.fanout = 0, .leaf_rows = 0}}) {
            CHECK(diff(a, b, report, options) == expected);
        }
    }
}

TEST_CASE("bisect diff: one store empty, and keys all on one side of the other's splits",
          "[bisect]") {
    kv a, b;
    for (int i = 0; i < 1000; ++i) a.put(fmt::format("a{:04}", i), "v");
    ds::bisect_report report;
    CHECK(diff(a, b, report).size() == 1000);
    for (int i = 0; i < 1000; ++i) b.put(fmt::format("b{:04}", i), "v");
    const auto found = diff(a, b, report, {.fanout = 4, .leaf_rows = 16});
    CHECK(found.size() == 2000);
    CHECK(found.front().key == "a0000");
    CHECK(found.back().key == "b0999");
}

namespace {

/// A store whose first `get` of `key` finds it mended by a live write: the
/// copy of `source` landed after the diff's leaf read it.
struct mended_on_read {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = kv::cursor_type;
    static constexpr bool scans_in_key_order = true;

    kv& inner;
    kv& source;
    std::string key;

    std::optional<std::string> get(const std::string& k) {
        if (k == key) inner.put(k, *source.get(k));
        return inner.get(k);
    }
    void put(const std::string& k, const std::string& v) { inner.put(k, v); }
    bool erase(const std::string& k) { return inner.erase(k); }
    auto scan(const cursor_type& from, std::size_t limit) { return inner.scan(from, limit); }
    ds::range_digest digest(const ds::key_range& range) { return inner.digest(range); }
    std::vector<std::string> keys_every(const ds::key_range& range, std::uint64_t step,
                                        std::size_t limit) {
        return inner.keys_every(range, step, limit);
    }
};

}  // namespace

TEST_CASE("bisect diff: a difference a live write mends before it is reported is not reported",
          "[bisect]") {
    kv a, b;
    fill_both(a, b, 300);
    b.put("user:0000100", "stale");
    b.put("user:0000200", "stale");
    mended_on_read secondary{b, a, "user:0000100"};
    std::vector<std::string> found;
    const auto report =
        ds::bisect_diff(a, secondary, [&](const ds::sample_result& r) { found.push_back(r.key); },
                        {.leaf_rows = 1000});
    CHECK(found == std::vector<std::string>{"user:0000200"});
    CHECK(report.leaves == 1);
    CHECK(report.rows_read == 600);
}

TEST_CASE(
    "diff_stores: bisects stores that digest, and falls back to a full pass, which reads every "
    "record, beside one that cannot",
    "[bisect]") {
    kv a, b;
    fill_both(a, b, 3000);
    b.erase("user:0000007");
    b.put("user:0002000", "changed");
    b.put("zzz", "extra");
    const std::vector<difference> expected{{"user:0000007", ds::drift_reason::missing_in_secondary},
                                           {"user:0002000", ds::drift_reason::values_differ},
                                           {"zzz", ds::drift_reason::missing_in_primary}};
    const auto full_bytes = full_compare_bytes(a, b);
    std::vector<difference> found;
    const auto record = [&](const ds::sample_result& r) { found.push_back({r.key, r.reason}); };

    const auto bisected = ds::diff_stores(a, b, record);
    CHECK(found == expected);
    CHECK(bisected.differences == 3);
    CHECK(bisected.ranges > 0);
    CHECK(bisected.bytes_primary + bisected.bytes_secondary < full_bytes / 10);

    found.clear();
    dst::faulty<kv&> plain{b};
    static_assert(!ds::range_digest_store<dst::faulty<kv&>>);
    const auto scanned = ds::diff_stores(a, plain, record);
    CHECK(found == expected);
    CHECK(scanned.differences == 3);
    CHECK(scanned.ranges == 0);
    CHECK(scanned.bytes_primary + scanned.bytes_secondary >= full_bytes);
    CHECK(scanned.rows_read >= 5999);
}
