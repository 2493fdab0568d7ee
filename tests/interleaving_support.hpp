#pragma once
// What the schedule-explorer suites check after every schedule: the writes
// each store applied, in order (history_store), the writes callers were told
// had succeeded (ack_log), and the invariants over them.

#include "support.hpp"

#include <dualstore/detail/scan_all.hpp>
#include <dualstore/testing/explorer.hpp>

#include <fmt/ranges.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// A key's state after a write: its value, or absent (an erase).
using key_state = std::optional<std::string>;

/// The text of a key's state: its value, or `<absent>`.
inline std::string show(const key_state& s) {
    return s ? *s : std::string("<absent>");
}

/// Records in `older_over_newer` a write of `written` to key `k` of a
/// follower when the leader (if any) holds another state at that moment:
/// the follower then received an older value over a newer one.
template <class Leader>
void note_if_older(const Leader* leader, const std::string& k, const key_state& written,
                   std::vector<std::string>& older_over_newer) {
    if (leader == nullptr) return;
    const key_state current = leader->get(k);
    if (current != written) {
        older_over_newer.push_back(fmt::format("key {}: {} written while the leader holds {}", k,
                                               show(written), show(current)));
    }
}

/// A memory_store that records every write it applied, per key, in order.
/// Not thread-safe on its own: the explorer runs one actor at a time.
struct history_store {
    using key_type = std::string;
    using mapped_type = std::string;

    kv data;
    std::map<std::string, std::vector<key_state>> applied;
    /// When set, the store this one follows: every write here must leave the
    /// key as the leader holds it at that moment, or it is an older value
    /// over a newer one (recorded in `older_over_newer`).
    const history_store* leader = nullptr;
    std::vector<std::string> older_over_newer;

    using cursor_type = kv::cursor_type;

    std::optional<std::string> get(const std::string& k) const { return data.get(k); }
    void put(const std::string& k, const std::string& v) {
        data.put(k, v);
        applied[k].push_back(v);
        note_if_older(leader, k, v, older_over_newer);
    }
    /// A page of the data (for a backfill's source).
    auto scan(const cursor_type& from, std::size_t limit) const { return data.scan(from, limit); }
    bool erase(const std::string& k) {
        const bool had = data.erase(k);
        applied[k].push_back(std::nullopt);
        note_if_older(leader, k, std::nullopt, older_over_newer);
        return had;
    }
};

/// A store of any backend whose writes are checked against a leader, as
/// `history_store`'s are: every write must leave the key as the leader holds
/// it at that moment, or it put an older value over a newer one (recorded in
/// `older_over_newer`). Its scans are in key order, as those of the backends
/// used here (memory_store, SQLite) are. Not thread-safe on its own: the
/// explorer runs one actor at a time.
template <class Store, bool Expiring = false>
struct recorded {
    using key_type = std::string;
    using mapped_type = std::string;
    using cursor_type = typename Store::cursor_type;
    static constexpr bool scans_in_key_order = true;

    explicit recorded(Store& store) : inner(store) {}

    Store& inner;
    const recorded* leader = nullptr;
    std::vector<std::string> older_over_newer;
    /// When set, called after each write with the key and the state it left,
    /// for a check of the scenario's own (a leader that changes with a stage).
    std::function<void(const std::string&, const key_state&)> on_write{};

    std::optional<std::string> get(const std::string& k) const { return inner.get(k); }
    void put(const std::string& k, const std::string& v) {
        inner.put(k, v);
        wrote(k, v);
    }
    bool erase(const std::string& k) {
        const bool had = inner.erase(k);
        wrote(k, std::nullopt);
        return had;
    }
    auto scan(const cursor_type& from, std::size_t limit) const { return inner.scan(from, limit); }
    /// The backend's cursor bytes, over a backend that can save cursors.
    static std::string encode_cursor(const cursor_type& c) requires ds::resumable_store<Store> {
        return Store::encode_cursor(c);
    }
    /// The cursor of bytes `encode_cursor` gave.
    static cursor_type decode_cursor(std::string_view bytes) requires ds::resumable_store<Store> {
        return Store::decode_cursor(bytes);
    }
    /// With `Expiring`, over a backend with expiry: writes with a time to
    /// live and reads expiries, so a backfill copies expiring records.
    void put(const std::string& k, const std::string& v,
             std::chrono::milliseconds ttl) requires(Expiring&& ds::expiring_store<Store>) {
        inner.put(k, v, ttl);
        wrote(k, v);
    }
    std::optional<ds::expiry_clock::time_point> expiry(const std::string& k) const
        requires(Expiring&& ds::expiring_store<Store>) {
        return inner.expiry(k);
    }
    bool put_if_absent(
        const std::string& k, const std::string& v,
        std::chrono::milliseconds ttl) requires(Expiring&& ds::conditional_expiring_store<Store>) {
        const bool inserted = inner.put_if_absent(k, v, ttl);
        if (inserted) wrote(k, v);
        return inserted;
    }
    /// The atomic insert, over a backend that has one (keep_target's path).
    bool put_if_absent(const std::string& k,
                       const std::string& v) requires ds::conditional_store<Store> {
        const bool inserted = inner.put_if_absent(k, v);
        if (inserted) wrote(k, v);
        return inserted;
    }
    /// Batches, so a backfill's batched path runs here too: each item as one
    /// get or put (a batch is one step for the explorer).
    std::vector<std::optional<std::string>> get_many(std::span<const std::string> keys) const {
        std::vector<std::optional<std::string>> values;
        for (const auto& k : keys) values.push_back(inner.get(k));
        return values;
    }
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        for (const auto& [k, v] : items) put(k, v);
    }
    /// keep_target's batched path: each item as one atomic insert.
    std::vector<bool> put_many_if_absent(std::span<const std::pair<std::string, std::string>>
                                             items) requires ds::conditional_store<Store> {
        std::vector<bool> wrote;
        for (const auto& [k, v] : items) wrote.push_back(put_if_absent(k, v));
        return wrote;
    }

    /// The backend's change stamp, over a backend that has one; with
    /// `stamps_move`, also a count of the calls, so no two stamps are equal
    /// and a backfill re-reads each page as over a store without stamps.
    auto change_stamp() requires ds::change_stamped_store<Store> {
        return std::pair(inner.change_stamp(), stamps_move ? ++stamp_calls : 0);
    }
    bool stamps_move = false;
    std::uint64_t stamp_calls = 0;

    /// Every entry, by a scan.
    [[nodiscard]] std::map<std::string, std::string> snapshot() const {
        std::map<std::string, std::string> all;
        ds::detail::for_each_item(inner, 64, [&](const std::string& k, const std::string& v) {
            all.emplace(k, v);
            return true;
        });
        return all;
    }

private:
    void wrote(const std::string& k, const key_state& state) {
        note_if_older(leader, k, state, older_over_newer);
        if (on_write) on_write(k, state);
    }
};

/// The recorded backends scan in key order; so do the explorer's wrappers of them.
template <class Store, bool Expiring>
inline constexpr bool ds::enable_key_ordered_scan<dst::explored_store<recorded<Store, Expiring>&>> =
    true;

/// Zero drift between two recorded stores: a scan of each finds the same entries.
template <class Store, bool Expiring>
void require_same_data(dst::schedule& s, const recorded<Store, Expiring>& a,
                       const recorded<Store, Expiring>& b) {
    const auto x = a.snapshot();
    const auto y = b.snapshot();
    s.require(x == y, fmt::format("drift: {} on one store, {} on the other", x, y));
}

/// The writes acknowledged to callers, in the order they returned.
struct ack_log {
    std::map<std::string, std::vector<key_state>> acked;

    void put(const std::string& k, const std::string& v) { acked[k].push_back(v); }
    void erase(const std::string& k) { acked[k].push_back(std::nullopt); }

    /// The state the last acknowledged write left `k` in, if any write was acknowledged.
    [[nodiscard]] std::optional<key_state> last(const std::string& k) const {
        const auto it = acked.find(k);
        if (it == acked.end() || it->second.empty()) return std::nullopt;
        return it->second.back();
    }
};

/// Whether `part` is a subsequence of `whole`.
inline bool is_subsequence(const std::vector<key_state>& part,
                           const std::vector<key_state>& whole) {
    std::size_t i = 0;
    for (const auto& s : whole) {
        if (i < part.size() && part[i] == s) ++i;
    }
    return i == part.size();
}

/// No acknowledged write lost: each key of `keys` is, on the authoritative
/// store, in the state of its last acknowledged write (or its initial state
/// `initial` when none was acknowledged).
template <class Store>
void require_acknowledged(dst::schedule& s, const Store& authoritative, const ack_log& acks,
                          const std::vector<std::string>& keys,
                          const key_state& initial = std::nullopt) {
    for (const auto& k : keys) {
        const key_state expected = acks.last(k).value_or(initial);
        const key_state actual = authoritative.get(k);
        s.require(actual == expected,
                  fmt::format("acknowledged write lost: key {} is {} on the authoritative store, "
                              "the last acknowledged write left it {}",
                              k, show(actual), show(expected)));
    }
}

/// Same order: for each key, the writes the follower applied are a
/// subsequence of those the leader applied (a failed write may be missing;
/// none may come in another order).
inline void require_same_order(dst::schedule& s, const history_store& leader,
                               const history_store& follower) {
    for (const auto& [k, writes] : follower.applied) {
        const auto it = leader.applied.find(k);
        const std::vector<key_state> none;
        s.require(is_subsequence(writes, it == leader.applied.end() ? none : it->second),
                  fmt::format("key {}: the stores applied its writes in different orders", k));
    }
}

/// Zero drift: both stores hold the same entries.
inline void require_no_drift(dst::schedule& s, const history_store& a, const history_store& b) {
    const auto x = a.data.snapshot();
    const auto y = b.data.snapshot();
    for (const auto& [k, v] : x) {
        const auto it = y.find(k);
        s.require(it != y.end() && it->second == v,
                  fmt::format("drift: key {} is {} on one store, {} on the other", k, v,
                              it == y.end() ? std::string("<absent>") : it->second));
    }
    s.require(x.size() == y.size(), "drift: the other store holds keys this one lacks");
}

/// One actor's script: put (a value) or erase (none) on a key, in order.
struct write_step {
    std::string key;
    key_state value;
};
using script = std::vector<write_step>;

/// Runs `scripts` as actors through `store`, acknowledging into `acks` each
/// write that returned; a write that threw is not acknowledged.
template <class Store>
std::vector<dst::schedule::actor> writers(Store& store, ack_log& acks,
                                          const std::vector<script>& scripts) {
    std::vector<dst::schedule::actor> actors;
    for (std::size_t i = 0; i < scripts.size(); ++i) {
        actors.push_back({fmt::format("w{}", i + 1), [&store, &acks, steps = scripts[i]] {
                              for (const auto& step : steps) {
                                  try {
                                      if (step.value) {
                                          store.put(step.key, *step.value);
                                          acks.put(step.key, *step.value);
                                      } else {
                                          store.erase(step.key);
                                          acks.erase(step.key);
                                      }
                                  } catch (const ds::error&) {  // not acknowledged
                                  }
                              }
                          }});
    }
    return actors;
}

const std::vector<script> one_key_three_writers{{{"k", "1"}}, {{"k", "2"}}, {{"k", std::nullopt}}};
const std::vector<script> two_keys_two_writers{{{"a", "1"}, {"b", "1"}},
                                               {{"b", "2"}, {"a", std::nullopt}}};

/// The keys the scripts write.
inline std::vector<std::string> keys_of(const std::vector<script>& scripts) {
    std::set<std::string> keys;
    for (const auto& s : scripts)
        for (const auto& step : s) keys.insert(step.key);
    return {keys.begin(), keys.end()};
}

/// Explores `scenario` and checks that every schedule passed and the bound
/// was explored completely; reports the number of schedules as a warning.
template <class Scenario>
void explore_and_report(const char* name, Scenario scenario,
                        const dst::explore_options& options = {}) {
    const auto result = dst::explore(scenario, options);
    INFO(name << ": " << result.report());
    CHECK(result.ok());
    CHECK(result.complete);
    WARN(name << ": " << result.schedules << " schedules, " << result.steps << " steps");
}

/// No older value over a newer one: the follower's writes each left the key
/// as its leader held it at that moment (see `note_if_older`).
template <class Follower>
void require_never_older(dst::schedule& s, const Follower& follower) {
    s.require(follower.older_over_newer.empty(),
              fmt::format("older value over a newer one: {}",
                          fmt::join(follower.older_over_newer, "; ")));
}

/// Drain options for a final drain: every entry is due (the backoff of a
/// repair that failed during the schedule has passed).
inline ds::drain_options an_hour_later() {
    return {.clock = {.wall = [] { return ds::queue_clock::now() + 1h; }}};
}

/// Writer scripts of one key: a put and an erase racing another put.
const std::vector<script> one_key_two_writers{{{"k", "1"}, {"k", std::nullopt}}, {{"k", "2"}}};

/// Makers of the dual_store under test, one per write policy, over the
/// explored stores `p` and `s` with `queue` as the failure sink.
const auto sequential = [](dst::schedule&, auto& p, auto& s, auto& queue) {
    return ds::dual_store{p, s, ds::write::sequential{}, ds::on_secondary_failure{queue}};
};
/// \copydoc sequential
const auto parallel = [](dst::schedule& sched, auto& p, auto& s, auto& queue) {
    return ds::dual_store{p, s, ds::write::parallel{.executor = sched.executor()},
                          ds::on_secondary_failure{queue}};
};
/// \copydoc sequential
const auto dual_primary = [](dst::schedule&, auto& p, auto& s, auto& queue) {
    return ds::dual_store{p, s, ds::write::dual_primary{}, ds::rollback::snapshot{},
                          ds::on_secondary_failure{queue}};
};
