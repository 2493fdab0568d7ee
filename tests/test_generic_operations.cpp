// Generic write(op)/read(op): repository-style backends with their own
// methods, of different types on the two sides.

#include "support.hpp"

#include <map>

namespace {

/// The old side: documents keyed by id.
struct document_repo {
    std::map<int, std::string> docs;
    bool down = false;
    void save(int id, const std::string& body) {
        if (down) throw permanent_error("document store down");
        docs[id] = body;
    }
    std::optional<std::string> load(int id) const {
        if (down) throw permanent_error("document store down");
        auto it = docs.find(id);
        return it == docs.end() ? std::nullopt : std::optional(it->second);
    }
};

/// The new side: rows with a different shape.
struct row_repo {
    struct row {
        int id;
        std::string title;
    };
    std::vector<row> rows;
    bool down = false;
    void upsert(row r) {
        if (down) throw permanent_error("row store down");
        for (auto& existing : rows) {
            if (existing.id == r.id) {
                existing = r;
                return;
            }
        }
        rows.push_back(std::move(r));
    }
    std::optional<std::string> find_title(int id) const {
        if (down) throw permanent_error("row store down");
        for (const auto& r : rows) {
            if (r.id == id) return r.title;
        }
        return std::nullopt;
    }
};

/// One operation, two spellings.
auto save_order(int id, std::string title) {
    return ds::overloaded{
        [=](document_repo& d) { d.save(id, title); },
        [=](row_repo& r) { r.upsert({id, title}); },
    };
}

auto load_title(int id) {
    return ds::overloaded{
        [=](const document_repo& d) { return d.load(id); },
        [=](const row_repo& r) { return r.find_title(id); },
    };
}

struct int_sink {
    std::vector<int> keys;
    void operator()(int key, ds::operation op, const std::exception_ptr&) {
        CHECK(op == ds::operation::write);
        keys.push_back(key);
    }
};

}  // namespace

TEST_CASE("generic write: an overload set writes both sides of different types",
          "[generic][write]") {
    document_repo old_side;
    row_repo new_side;
    ds::dual_store store{old_side, new_side, ds::write::parallel{},
                         ds::discard_secondary_failures{}};

    CHECK(store.write(save_order(7, "seven")).ok());

    CHECK(old_side.docs.at(7) == "seven");
    REQUIRE(new_side.rows.size() == 1);
    CHECK(new_side.rows[0].title == "seven");
}

TEST_CASE("generic write with a key: a secondary failure reaches the sink with that key",
          "[generic][write][sink]") {
    document_repo old_side;
    row_repo new_side;
    new_side.down = true;
    int_sink sunk;
    dst::counting_observer observer;
    ds::dual_store store{old_side, new_side, ds::on_secondary_failure{std::ref(sunk)},
                         ds::observe::with(observer)};

    const auto keyed = store.write(42, save_order(42, "answer"));
    const auto keyless = store.write(save_order(43, "lost key"));

    CHECK(keyed.enqueued);
    CHECK_FALSE(keyless.enqueued);  // no key: reported, but nothing to repair by
    CHECK(keyless.secondary.failed());
    CHECK(sunk.keys == std::vector<int>{42});
    CHECK(observer.secondary_failures == 2);
    CHECK(old_side.docs.size() == 2);
}

TEST_CASE("generic read: shadow compares the two sides' answers", "[generic][read][shadow]") {
    document_repo old_side;
    row_repo new_side;
    dst::counting_observer observer;
    ds::dual_store store{old_side, new_side, ds::read::shadow{}, ds::observe::with(observer),
                         ds::discard_secondary_failures{}};
    store.write(save_order(1, "one"));
    new_side.upsert({2, "two (new)"});
    old_side.save(2, "two");

    CHECK(store.read(1, load_title(1)) == "one");
    CHECK(store.read(2, load_title(2)) == "two");
    CHECK(observer.mismatch_log() == std::vector<std::string>{"2: two != two (new)"});
}

TEST_CASE("generic read: fallback asks the secondary when the primary has nothing",
          "[generic][read][fallback]") {
    document_repo old_side;
    row_repo new_side;
    new_side.upsert({5, "only new"});
    ds::dual_store store{old_side, new_side, ds::read::fallback{},
                         ds::discard_secondary_failures{}};
    CHECK(store.read(load_title(5)) == "only new");
    CHECK(store.read(load_title(6)) == std::nullopt);
}

TEST_CASE("generic write: a primary failure propagates and the secondary is not written",
          "[generic][write]") {
    document_repo old_side;
    old_side.down = true;
    row_repo new_side;
    ds::dual_store store{old_side, new_side, ds::discard_secondary_failures{}};
    CHECK_THROWS_WITH(store.write(save_order(1, "x")), "document store down");
    CHECK(new_side.rows.empty());
}
