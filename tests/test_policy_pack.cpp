// The policy pack: order-free, defaults per category, numbers as members.

#include "support.hpp"

namespace {

using store_a = decltype(ds::dual_store{std::declval<kv&>(), std::declval<kv&>(),
                                        ds::write::parallel{}, ds::read::fallback{},
                                        ds::retry::fixed{}, ds::discard_secondary_failures{}});
using store_b = decltype(ds::dual_store{std::declval<kv&>(), std::declval<kv&>(),
                                        ds::retry::fixed{}, ds::read::fallback{},
                                        ds::write::parallel{}, ds::discard_secondary_failures{}});
using defaults = decltype(ds::dual_store{std::declval<kv&>(), std::declval<kv&>(),
                                         ds::discard_secondary_failures{}});

static_assert(std::is_same_v<store_a, store_b>, "the same configuration is the same type");
static_assert(
    std::is_same_v<store_a,
                   ds::dual_store_t<kv&, kv&, ds::discard_secondary_failures, ds::read::fallback,
                                    ds::retry::fixed, ds::write::parallel>>,
    "dual_store_t names the deduced type, in any order");
static_assert(std::is_same_v<
              store_a::configuration_type,
              ds::dual_store<kv&, kv&, ds::write::parallel, ds::read::fallback, ds::retry::fixed,
                             ds::discard_secondary_failures>::configuration_type>);
static_assert(
    std::is_base_of_v<store_a, ds::dual_store<kv&, kv&, ds::write::parallel, ds::read::fallback,
                                              ds::retry::fixed, ds::discard_secondary_failures>>,
    "a store spelled with a policy pack is the store of its configuration");
static_assert(std::is_same_v<decltype(ds::migration{std::declval<kv&>(), std::declval<kv&>(),
                                                    ds::stage::shadow, ds::write::parallel{},
                                                    ds::discard_secondary_failures{}}),
                             ds::migration_t<kv&, kv&, ds::discard_secondary_failures,
                                             ds::write::parallel, ds::read::shadow>>,
              "a migration's initial stage is not part of its type");
static_assert(std::is_same_v<defaults::write_policy, ds::write::sequential>);
static_assert(std::is_same_v<defaults::read_policy, ds::read::primary>);
static_assert(std::is_same_v<defaults::retry_policy, ds::retry::none>);
static_assert(std::is_same_v<defaults::rollback_policy, ds::rollback::none>);
static_assert(std::is_same_v<defaults::sink_policy, ds::discard_secondary_failures>);
static_assert(std::is_same_v<defaults::order_policy, ds::order::per_key>);
static_assert(std::is_same_v<defaults::observer_policy, ds::observe::none>);
static_assert(std::is_same_v<store_a::write_policy, ds::write::parallel>);
static_assert(std::is_same_v<store_a::read_policy, ds::read::fallback>);
static_assert(std::is_same_v<store_a::retry_policy, ds::retry::fixed>);

static_assert(ds::policy<ds::write::parallel>);
static_assert(ds::policy<ds::read::shadow>);
static_assert(ds::policy<ds::rollback::compensate<void (*)()>>);
static_assert(!ds::policy<int>);
static_assert(!ds::policy<kv>);
struct foreign_category {
    using category = int;
};
static_assert(!ds::policy<foreign_category>, "a category must be a dualstore tag");

static_assert(ds::detail::count_of_v<ds::write_tag, ds::write::parallel, ds::read::primary,
                                     ds::write::sequential> == 2);

}  // namespace

TEST_CASE("policy pack: policies may come in any order and carry their numbers", "[policy]") {
    kv a, b;
    dst::manual_clock clock;
    flaky secondary{b};
    secondary.fail_next(1, dst::fault_on::writes);
    // Retry first, write policy last: the retry's numbers still apply.
    ds::dual_store store{a,
                         secondary,
                         ds::retry::fixed{.attempts = 2, .delay = 3ms, .clock = clock.timer()},
                         ds::read::shadow{.sample = 0.0},
                         ds::write::sequential{},
                         ds::discard_secondary_failures{}};

    const auto result = store.put("k", "v");
    CHECK(result.secondary.attempts == 2);
    CHECK(clock.sleeps() == std::vector<std::chrono::nanoseconds>{3ms});
}

TEST_CASE("policy pack: a store explicitly spelled with fewer policies gets the defaults",
          "[policy]") {
    kv a, b;
    ds::dual_store<kv&, kv&, ds::read::fallback, ds::discard_secondary_failures> store{
        a, b, ds::read::fallback{}, ds::discard_secondary_failures{}};
    static_assert(std::is_same_v<decltype(store)::write_policy, ds::write::sequential>);
    b.put("k", "from secondary");
    CHECK(store.get("k") == "from secondary");
}

TEST_CASE("policy pack: a function taking dual_store_t takes every spelling of the configuration",
          "[policy]") {
    using configured =
        ds::dual_store_t<kv&, kv&, ds::read::fallback, ds::discard_secondary_failures>;
    const auto read_through = [](configured& store) { return store.get("k"); };
    kv a, b;
    b.put("k", "from secondary");
    ds::dual_store deduced{a, b, ds::discard_secondary_failures{}, ds::read::fallback{}};
    ds::dual_store<kv&, kv&, ds::read::fallback, ds::discard_secondary_failures> spelled{
        a, b, ds::read::fallback{}, ds::discard_secondary_failures{}};
    CHECK(read_through(deduced) == "from secondary");
    CHECK(read_through(spelled) == "from secondary");
}

TEST_CASE("dual_store: owns backends given as rvalues, refers to lvalues", "[dual_store]") {
    kv shared;
    ds::dual_store store{kv{}, shared, ds::discard_secondary_failures{}};
    static_assert(std::is_same_v<decltype(store)::primary_store, kv>);
    using full_spelling =
        ds::dual_store_t<kv, kv&, ds::write::sequential, ds::read::primary, ds::retry::none,
                         ds::rollback::none, ds::discard_secondary_failures, ds::observe::none,
                         ds::no_guard, ds::order::per_key>;
    static_assert(std::is_same_v<decltype(store), full_spelling>);
    store.put("k", "v");
    CHECK(store.primary().get("k") == "v");
    CHECK(&store.secondary() == &shared);
    CHECK(shared.get("k") == "v");
}
