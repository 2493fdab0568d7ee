// The capability concepts accept the fakes and reject backends that miss one
// requirement; the wrappers model exactly what the wrapped backend models.

#include <dualstore/concepts.hpp>
#include <dualstore/testing/testing.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace ds = dualstore;
namespace dt = dualstore::testing;

using store = dt::memory_store<std::string, std::string>;

/// True when `S` models all five capability concepts.
template <class S>
constexpr bool models_all_v = ds::kv_store<S> && ds::scannable_store<S> && ds::expiring_store<S> &&
                              ds::conditional_store<S> && ds::batch_store<S>;

/// True when `S` models `kv_store` and none of the refinements.
template <class S>
constexpr bool models_only_kv_v = ds::kv_store<S> && !ds::scannable_store<S> &&
                                  !ds::expiring_store<S> && !ds::conditional_store<S> &&
                                  !ds::batch_store<S>;

/// A backend with only the `kv_store` members.
struct kv_only {
    using key_type = int;
    using mapped_type = int;
    std::optional<int> get(const int&) { return std::nullopt; }
    void put(const int&, const int&) {}
    bool erase(const int&) { return false; }
};

/// Which requirement a `probe` breaks.
enum class broken {
    nothing,
    key_type,
    mapped_type,
    get_return,
    put,
    erase,
    erase_return,
    cursor_type,
    scan,
    scan_return,
    put_ttl,
    expiry,
    expiry_return,
    put_if_absent,
    get_many_return,
    put_many,
};

struct with_key_type {
    using key_type = int;
};
struct with_mapped_type {
    using mapped_type = long;
};
struct with_cursor_type {
    struct cursor_type {};
};
struct without {};

/// A backend with every capability member, except the one `B` breaks.
template <broken B>
struct probe : std::conditional_t<B == broken::key_type, without, with_key_type>,
               std::conditional_t<B == broken::mapped_type, without, with_mapped_type>,
               std::conditional_t<B == broken::cursor_type, without, with_cursor_type> {
    using cursor = with_cursor_type::cursor_type;
    using page = ds::scan_page<int, long, cursor>;

    std::conditional_t<B == broken::get_return, long, std::optional<long>> get(const int&) {
        return {};
    }
    void put(const int&, const long&)
        requires(B != broken::put)
    {}
    std::conditional_t<B == broken::erase_return, void, bool> erase(const int&)
        requires(B != broken::erase)
    {
        return std::conditional_t<B == broken::erase_return, void, bool>();
    }
    std::conditional_t<B == broken::scan_return, std::vector<int>, page> scan(const cursor&,
                                                                              std::size_t)
        requires(B != broken::scan)
    {
        return {};
    }
    void put(const int&, const long&, std::chrono::milliseconds)
        requires(B != broken::put_ttl)
    {}
    std::conditional_t<B == broken::expiry_return, ds::expiry_clock::time_point,
                       std::optional<ds::expiry_clock::time_point>>
    expiry(const int&)
        requires(B != broken::expiry)
    {
        return {};
    }
    bool put_if_absent(const int&, const long&)
        requires(B != broken::put_if_absent)
    {
        return false;
    }
    std::conditional_t<B == broken::get_many_return, std::vector<long>,
                       std::vector<std::optional<long>>>
    get_many(std::span<const int>) {
        return {};
    }
    void put_many(std::span<const std::pair<int, long>>)
        requires(B != broken::put_many)
    {}
};

// The fakes model every capability.
static_assert(models_all_v<store>);
static_assert(models_all_v<dt::stub_store<std::string, std::string>>);
static_assert(models_all_v<dt::faulty<store&>>);
static_assert(models_all_v<dt::faulty<store>>);
static_assert(models_all_v<dt::recording_store<store&>>);
static_assert(models_all_v<dt::recording_store<dt::faulty<store&>&>>);

// The fakes insert with a time to live only when absent, and the wrappers
// forward that only when the wrapped backend has it (probe has put(k, v, ttl)
// and put_if_absent(k, v) but no put_if_absent(k, v, ttl)).
static_assert(ds::conditional_expiring_store<store>);
static_assert(ds::conditional_expiring_store<dt::stub_store<std::string, std::string>>);
static_assert(ds::conditional_expiring_store<dt::faulty<store&>>);
static_assert(ds::conditional_expiring_store<dt::recording_store<dt::faulty<store&>&>>);
static_assert(ds::conditional_expiring_store<dt::explored_store<store&>>);
static_assert(!ds::conditional_expiring_store<probe<broken::nothing>>);
static_assert(!ds::conditional_expiring_store<dt::faulty<probe<broken::nothing>&>>);
static_assert(ds::conditional_store<dt::faulty<probe<broken::nothing>&>> &&
              ds::expiring_store<dt::faulty<probe<broken::nothing>&>>);
static_assert(!ds::conditional_expiring_store<dt::recording_store<kv_only&>>);

// A wrapper models exactly what the wrapped backend models.
static_assert(models_only_kv_v<kv_only>);
static_assert(models_only_kv_v<dt::faulty<kv_only&>>);
static_assert(models_only_kv_v<dt::faulty<kv_only>>);
static_assert(models_only_kv_v<dt::recording_store<kv_only&>>);
static_assert(models_only_kv_v<dt::recording_store<dt::faulty<kv_only>&>>);
static_assert(!std::is_copy_constructible_v<dt::faulty<kv_only&>>);

// A probe that breaks nothing models everything, so each rejection below is
// due to the one broken requirement.
static_assert(models_all_v<probe<broken::nothing>>);

// Breaking a kv_store requirement rejects kv_store, and so every refinement.
static_assert(!ds::kv_store<probe<broken::key_type>>);
static_assert(!ds::kv_store<probe<broken::mapped_type>>);
static_assert(!ds::kv_store<probe<broken::get_return>>);
static_assert(!ds::kv_store<probe<broken::put>>);
static_assert(!ds::kv_store<probe<broken::erase>>);
static_assert(!ds::kv_store<probe<broken::erase_return>>);
static_assert(!ds::scannable_store<probe<broken::put>>);
static_assert(!ds::expiring_store<probe<broken::erase>>);
static_assert(!ds::conditional_store<probe<broken::get_return>>);
static_assert(!ds::batch_store<probe<broken::key_type>>);

// Breaking a refinement's requirement rejects only that refinement.
template <broken B, template <class> class Rejects>
constexpr bool rejects_only_v =
    ds::kv_store<probe<B>> && !Rejects<probe<B>>::value &&
    ds::scannable_store<probe<B>> + ds::expiring_store<probe<B>> +
            ds::conditional_store<probe<B>> + ds::batch_store<probe<B>> ==
        3;

template <class S>
struct is_scannable : std::bool_constant<ds::scannable_store<S>> {};
template <class S>
struct is_expiring : std::bool_constant<ds::expiring_store<S>> {};
template <class S>
struct is_conditional : std::bool_constant<ds::conditional_store<S>> {};
template <class S>
struct is_batch : std::bool_constant<ds::batch_store<S>> {};

static_assert(rejects_only_v<broken::cursor_type, is_scannable>);
static_assert(rejects_only_v<broken::scan, is_scannable>);
static_assert(rejects_only_v<broken::scan_return, is_scannable>);
static_assert(rejects_only_v<broken::put_ttl, is_expiring>);
static_assert(rejects_only_v<broken::expiry, is_expiring>);
static_assert(rejects_only_v<broken::expiry_return, is_expiring>);
static_assert(rejects_only_v<broken::put_if_absent, is_conditional>);
static_assert(rejects_only_v<broken::get_many_return, is_batch>);
static_assert(rejects_only_v<broken::put_many, is_batch>);

}  // namespace

TEST_CASE("concepts: the fakes model every capability and wrappers forward exactly the inner one's",
          "[concepts][testing]") {
    CHECK(models_all_v<store>);
    CHECK(models_all_v<dt::faulty<store&>>);
    CHECK(models_all_v<dt::recording_store<store&>>);
    CHECK(models_only_kv_v<dt::faulty<kv_only&>>);
    CHECK_FALSE(ds::kv_store<probe<broken::get_return>>);
    CHECK_FALSE(ds::batch_store<probe<broken::get_many_return>>);
}

TEST_CASE("concepts: wrappers deduce a reference from an lvalue and own an rvalue",
          "[concepts][testing]") {
    store backend;
    dt::faulty held{backend};
    dt::faulty owned{kv_only{}};
    dt::call_log log;
    dt::recording_store recorded{backend, log, "old"};
    dt::recording_store recorded_owned{kv_only{}};
    STATIC_REQUIRE(std::is_same_v<decltype(held), dt::faulty<store&>>);
    STATIC_REQUIRE(std::is_same_v<decltype(owned), dt::faulty<kv_only>>);
    STATIC_REQUIRE(std::is_same_v<decltype(recorded), dt::recording_store<store&>>);
    STATIC_REQUIRE(std::is_same_v<decltype(recorded_owned), dt::recording_store<kv_only>>);

    held.put("k", "v");
    CHECK(&held.inner() == &backend);
    CHECK(backend.get("k") == "v");
    CHECK(&recorded.inner() == &backend);
}
