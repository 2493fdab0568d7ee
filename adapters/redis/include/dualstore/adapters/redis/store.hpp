#pragma once
/// \file
/// `adapters::redis_store`: a key-value store in a Redis database. Models
/// kv, scannable (resumable), expiring (native TTL; scans read each key's
/// expiry with its value), conditional (`SET NX`, and `SET NX PX` for
/// `conditional_expiring_store`), batch (MGET, pipelined SETs) and
/// key-sampling (`SCAN`, no values; or hashed on the server by a Lua
/// script) stores.

#include <dualstore/adapters/redis/connection.hpp>
#include <dualstore/adapters/redis/key_sample.hpp>
#include <dualstore/concepts.hpp>
#include <dualstore/detail/batch_ttls.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// Keys and values (byte strings) in a Redis database, under a key prefix.
/// TTLs are Redis's own (`SET ... PX`, `PTTL`). Scans use `SCAN` with a
/// `MATCH` on the prefix: a key present for the whole scan is returned at
/// least once; Redis may return a key twice when its table is resized during
/// the scan (duplicates within one page are removed). A cursor is Redis's
/// cursor plus the keys of the last `SCAN` reply not yet returned.
class redis_store {
public:
    using key_type = std::string;     ///< keys are byte strings
    using mapped_type = std::string;  ///< values are byte strings
    /// Where a scan resumes.
    struct cursor_type {
        std::string redis_cursor = "0";    ///< Redis's SCAN cursor
        std::vector<std::string> pending;  ///< keys already listed, not yet returned
        bool started = false;              ///< whether SCAN has been called
        /// Cursors are equal when every field is.
        friend bool operator==(const cursor_type&, const cursor_type&) = default;
    };

    /// Connects to `url` (see `redis_address` for its forms); throws
    /// `redis_error`, which never shows the password.
    explicit redis_store(std::string_view url, redis_options options = {})
        : options_(std::move(options)), connection_(url, options_) {}

    /// The value of `key`.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) {
        const auto k = full(key);
        return value_of(*connection_.command({"GET", k}, "get"));
    }

    /// Sets `key` (no expiry).
    void put(const std::string& key, const std::string& value) {
        const auto k = full(key);
        connection_.command({"SET", k, value}, "put");
    }

    /// Sets `key`, expiring after `ttl`.
    void put(const std::string& key, const std::string& value, std::chrono::milliseconds ttl) {
        const auto k = full(key);
        const auto ms = std::to_string(std::max<std::int64_t>(1, ttl.count()));
        connection_.command({"SET", k, value, "PX", ms}, "put");
    }

    /// Deletes `key`; whether it existed.
    bool erase(const std::string& key) {
        const auto k = full(key);
        return connection_.command({"DEL", k}, "erase")->integer > 0;
    }

    /// `SET NX`: writes only if absent; whether it wrote.
    bool put_if_absent(const std::string& key, const std::string& value) {
        const auto k = full(key);
        return connection_.command({"SET", k, value, "NX"}, "put_if_absent")->type !=
               REDIS_REPLY_NIL;
    }

    /// `SET NX PX`: writes `key`, expiring after `ttl`, only if absent (Redis
    /// has already dropped an expired key); whether it wrote. One command, so
    /// atomic; a present key keeps its value and expiry. A `ttl` below 1 ms
    /// is sent as 1 ms, as by `put(key, value, ttl)`.
    bool put_if_absent(const std::string& key, const std::string& value,
                       std::chrono::milliseconds ttl) {
        const auto k = full(key);
        const auto ms = std::to_string(std::max<std::int64_t>(1, ttl.count()));
        return connection_.command({"SET", k, value, "NX", "PX", ms}, "put_if_absent")->type !=
               REDIS_REPLY_NIL;
    }

    /// The absolute expiry of `key` (from `PTTL`), if it has one.
    [[nodiscard]] std::optional<expiry_clock::time_point> expiry(const std::string& key) {
        const auto k = full(key);
        const auto ms = connection_.command({"PTTL", k}, "expiry")->integer;
        return expiry_after(ms, expiry_clock::now());
    }

    /// `MGET` of every key.
    [[nodiscard]] std::vector<std::optional<std::string>> get_many(
        std::span<const std::string> keys) {
        std::vector<std::string> full_keys;
        full_keys.reserve(keys.size());
        for (const auto& k : keys) full_keys.push_back(full(k));
        return values_of(full_keys, "get_many");
    }

    /// Every `SET`, pipelined in one round trip.
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        set_many(items, {}, false, "put_many");
    }

    /// Every `SET`, with `PX ttls[i]` where set, pipelined in one round trip
    /// (`expiring_batch_store`; a `ttl` below 1 ms is sent as 1 ms).
    void put_many(std::span<const std::pair<std::string, std::string>> items,
                  std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "put_many");
        set_many(items, ttls, false, "put_many");
    }

    /// Every `SET NX`, pipelined in one round trip; per item, whether it wrote
    /// it (a key repeated in `items`: the first). Each `SET NX` is atomic;
    /// the batch is not a transaction: on a failure, earlier items may be
    /// written.
    std::vector<bool> put_many_if_absent(
        std::span<const std::pair<std::string, std::string>> items) {
        return set_many(items, {}, true, "put_many_if_absent");
    }

    /// Every `SET NX`, with `PX ttls[i]` where set, pipelined in one round
    /// trip (`expiring_batch_store`); per item, whether it wrote it.
    std::vector<bool> put_many_if_absent(std::span<const std::pair<std::string, std::string>> items,
                                         std::span<const time_to_live> ttls) {
        detail::require_ttl_per_item(items.size(), ttls.size(), "put_many_if_absent");
        return set_many(items, ttls, true, "put_many_if_absent");
    }

    /// At most `limit` entries after the cursor: the keys `SCAN` lists, their
    /// values read by one `MGET` per page (a key deleted in between is skipped).
    [[nodiscard]] scan_page<std::string, std::string, cursor_type> scan(const cursor_type& from,
                                                                        std::size_t limit) {
        return scan_into<scan_page<std::string, std::string, cursor_type>>(from, limit);
    }

    /// The page `scan` returns, with each item's expiry
    /// (`expiry_scannable_store`): a page's values and their `PTTL`s are read
    /// together in one `MULTI`/`EXEC`, one round trip, instead of one `PTTL`
    /// per key.
    [[nodiscard]] expiring_scan_page<std::string, std::string, cursor_type> scan_with_expiry(
        const cursor_type& from, std::size_t limit) {
        return scan_into<expiring_scan_page<std::string, std::string, cursor_type>>(from, limit);
    }

    /// The `n` live keys of smallest `key_sample_hash` and the number of live
    /// keys (`key_sampling_store`). Reads no value. With
    /// `redis_key_sampling::in_client` (the default) `SCAN` lists every key
    /// and the sample is kept here: a sampled reconciliation transfers the
    /// keys, not the data. With `on_server` a Lua script hashes the keys on
    /// the server (see `redis/key_sample.hpp`): one pass counts the keys,
    /// one more sends back the keys in a hash range sized for about
    /// `n + 4√n` of them (a further pass in the rare case it finds fewer
    /// than `n`), so the transfer is about the sample. A key `SCAN` lists
    /// twice (its table resized meanwhile) is sampled once; it is counted
    /// once too unless the store holds more than `n` keys, when the count
    /// is the keys `SCAN` listed.
    [[nodiscard]] key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        if (options_.key_sampling == redis_key_sampling::on_server)
            return sample_keys_on_server(salt, n);
        detail::key_sample_builder sample(salt, n);
        cursor_type c;
        while (list_more(c, sample_scan_count)) {
            for (const auto& k : c.pending)
                sample.offer(std::string_view(k).substr(options_.key_prefix.size()));
            c.pending.clear();
        }
        return std::move(sample).done();
    }

    /// Saves a cursor as bytes (for backfill checkpoints).
    [[nodiscard]] static std::string encode_cursor(const cursor_type& c) {
        std::string out =
            fmt::format("{}|{}|{}", c.started ? 1 : 0, c.redis_cursor, c.pending.size());
        for (const auto& k : c.pending) out += fmt::format("|{}:{}", k.size(), k);
        return out;
    }
    /// Restores a saved cursor; throws `error` for other bytes.
    [[nodiscard]] static cursor_type decode_cursor(std::string_view bytes) {
        cursor_type c;
        const auto fail = [&] {
            return error(fmt::format("dualstore: not a redis scan cursor: {:?}", bytes));
        };
        const auto field = [&](std::string_view& rest) {
            const auto bar = rest.find('|');
            const auto f = rest.substr(0, bar);
            rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
            return f;
        };
        std::string_view rest = bytes;
        const auto started = field(rest);
        if (started != "0" && started != "1") throw fail();
        c.started = started == "1";
        c.redis_cursor = std::string(field(rest));
        std::size_t n = 0;
        const auto count = field(rest);
        if (std::from_chars(count.data(), count.data() + count.size(), n).ec != std::errc{})
            throw fail();
        for (std::size_t i = 0; i < n; ++i) {
            const auto colon = rest.find(':');
            std::size_t len = 0;
            if (colon == std::string_view::npos ||
                std::from_chars(rest.data(), rest.data() + colon, len).ec != std::errc{} ||
                colon + 1 + len > rest.size()) {
                throw fail();
            }
            c.pending.emplace_back(rest.substr(colon + 1, len));
            rest = rest.substr(std::min(rest.size(), colon + 2 + len));
        }
        if (c.redis_cursor.empty()) throw fail();
        return c;
    }

    /// The connection (shared with a `redis_lease_lock`).
    [[nodiscard]] redis_connection& connection() noexcept { return connection_; }

private:
    /// One pipeline of `SET key value [NX] [PX ms]`, `NX` when `if_absent`,
    /// `PX` for each item `ttls` gives a time to live (`ttls` may be empty);
    /// per item, whether the `SET` wrote.
    std::vector<bool> set_many(std::span<const std::pair<std::string, std::string>> items,
                               std::span<const time_to_live> ttls, bool if_absent,
                               std::string_view what) {
        std::vector<std::string> full_keys;
        std::vector<std::string> milliseconds;
        full_keys.reserve(items.size());
        milliseconds.reserve(items.size());
        std::vector<std::vector<std::string_view>> commands;
        commands.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) {
            full_keys.push_back(full(items[i].first));
            auto& command = commands.emplace_back(
                std::vector<std::string_view>{"SET", full_keys.back(), items[i].second});
            if (if_absent) command.emplace_back("NX");
            if (i < ttls.size() && ttls[i]) {
                milliseconds.push_back(std::to_string(std::max<std::int64_t>(1, ttls[i]->count())));
                command.insert(command.end(), {"PX", milliseconds.back()});
            }
        }
        const auto replies = connection_.pipeline(commands, what);
        std::vector<bool> wrote;
        wrote.reserve(replies.size());
        for (const auto& r : replies) wrote.push_back(r->type != REDIS_REPLY_NIL);
        return wrote;
    }

    /// Keys asked of Redis per `SCAN` while sampling (`COUNT`, a hint).
    static constexpr std::size_t sample_scan_count = 1000;

    /// `sample_keys` with `redis_key_sampling::on_server`.
    key_hash_sample sample_keys_on_server(std::uint64_t salt, std::size_t n) {
        const std::string sha = load_sample_script();
        const auto no_offer = [](std::uint64_t, std::string_view) {};
        const auto counted = sample_pass(sha, std::nullopt, no_offer);
        if (n == 0) return {{}, counted};
        return redis_sampling::draw(salt, n, counted, [&](auto above, auto upper, auto offer) {
            return sample_pass(sha, hash_range{salt, above, upper}, offer);
        });
    }

    /// The salt and the hash range of a pass of the sample script: above
    /// `above` (when set), at most `upper`.
    struct hash_range {
        std::uint64_t salt;
        std::optional<std::uint64_t> above;
        std::uint64_t upper;
    };

    /// `SCRIPT LOAD` of the sample script (at each `sample_keys`, so a server
    /// restarted in between has it); its SHA1.
    std::string load_sample_script() {
        const auto r = connection_.command({"SCRIPT", "LOAD", redis_sampling::script},
                                           "sample_keys: load the script");
        return {r->str, r->len};
    }

    /// One pass of the sample script over the prefix's keys: counts them,
    /// and with a `range`, calls `offer(hash, key)` for each key whose hash
    /// lies in it. The number of keys listed.
    template <class Offer>
    std::uint64_t sample_pass(std::string_view sha, const std::optional<hash_range>& range,
                              Offer offer) {
        const auto pattern = match_pattern();
        const auto page = std::max<std::size_t>(options_.sample_page, 1);
        const auto count = std::to_string(range ? page : 10 * page);
        const auto prefix_length = std::to_string(options_.key_prefix.size());
        // The script's range arguments: the salt's bytes, then each bound as
        // its high and low 32 bits in decimal (a high half of -1: no bound).
        std::vector<std::string> range_args;
        if (range) {
            const auto salt = detail::key_sample_salt(range->salt);
            const auto half = [](std::uint64_t v, int shift) {
                return std::to_string((v >> shift) & 0xffffffffU);
            };
            range_args = {std::string(salt.data(), salt.size()),
                          range->above ? half(*range->above, 32) : "-1",
                          range->above ? half(*range->above, 0) : "0", half(range->upper, 32),
                          half(range->upper, 0)};
        }
        const auto unexpected = [&] {
            return redis_error(
                fmt::format("redis: sample_keys on {}: the sample script gave an unexpected reply",
                            connection_.url()));
        };
        std::string cursor = "0";
        std::uint64_t listed = 0;
        do {
            std::vector<std::string_view> args{"EVALSHA", sha,   "0",          cursor,
                                               pattern,   count, prefix_length};
            args.insert(args.end(), range_args.begin(), range_args.end());
            const auto r = connection_.command(args, "sample_keys");
            if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || r->elements % 2 != 0 ||
                r->element[0]->type != REDIS_REPLY_STRING ||
                r->element[1]->type != REDIS_REPLY_INTEGER) {
                throw unexpected();
            }
            cursor.assign(r->element[0]->str, r->element[0]->len);
            listed += static_cast<std::uint64_t>(r->element[1]->integer);
            for (std::size_t i = 2; i < r->elements; i += 2) {
                const std::string_view hex(r->element[i]->str, r->element[i]->len);
                std::uint64_t hash = 0;
                if (hex.size() != 16 ||
                    std::from_chars(hex.data(), hex.data() + 16, hash, 16).ptr != hex.data() + 16) {
                    throw unexpected();
                }
                offer(hash, std::string_view(r->element[i + 1]->str, r->element[i + 1]->len));
            }
        } while (cursor != "0");
        return listed;
    }

    /// One `SCAN` after `c` (asking for about `count` keys, at least 10):
    /// appends the keys it lists to `c.pending`; false, listing nothing, when
    /// the scan was already complete.
    bool list_more(cursor_type& c, std::size_t count) {
        if (c.started && c.redis_cursor == "0") return false;
        const auto hint = std::to_string(std::max<std::size_t>(count, 10));
        const auto pattern = match_pattern();
        const auto r =
            connection_.command({"SCAN", c.redis_cursor, "MATCH", pattern, "COUNT", hint}, "scan");
        c.started = true;
        c.redis_cursor.assign(r->element[0]->str, r->element[0]->len);
        const auto* keys = r->element[1];
        for (std::size_t i = 0; i < keys->elements; ++i) {
            c.pending.emplace_back(keys->element[i]->str, keys->element[i]->len);
        }
        return true;
    }

    /// The page of `scan` (or of `scan_with_expiry` when `Page` has
    /// expiries) at `from`.
    template <class Page>
    Page scan_into(const cursor_type& from, std::size_t limit) {
        Page page;
        cursor_type c = from;
        std::set<std::string> seen;
        std::vector<std::string> keys;  // full keys, distinct, to read in one MGET
        bool complete = false;
        while (page.items.size() < limit && !complete) {
            keys.clear();
            while (keys.size() < limit - page.items.size()) {
                if (c.pending.empty()) {
                    if (!list_more(c, limit)) {
                        complete = true;
                        break;
                    }
                    continue;
                }
                std::string k = std::move(c.pending.back());
                c.pending.pop_back();
                if (seen.insert(k).second) keys.push_back(std::move(k));
            }
            append_live(page, keys);
        }
        if (limit == 0 || !c.pending.empty() || !(c.started && c.redis_cursor == "0"))
            page.next = std::move(c);
        return page;
    }

    /// Appends to `page` each of `full_keys` (prefixed) that holds a value:
    /// read by one `MGET`, or, for a page with expiries, by `MGET` and one
    /// `PTTL` per key in one `MULTI`/`EXEC` (so no write falls between a
    /// value and its expiry), pipelined in one round trip.
    template <class Page>
    void append_live(Page& page, std::span<const std::string> full_keys) {
        const auto append = [&](std::size_t i, std::optional<std::string> value) {
            if (!value) return false;
            page.items.emplace_back(full_keys[i].substr(options_.key_prefix.size()),
                                    std::move(*value));
            return true;
        };
        if constexpr (requires { page.expiries; }) {
            if (full_keys.empty()) return;
            std::vector<std::vector<std::string_view>> commands{{"MULTI"}, {"MGET"}};
            commands.reserve(full_keys.size() + 3);
            for (const auto& k : full_keys) {
                commands[1].emplace_back(k);
                commands.push_back({"PTTL", k});
            }
            commands.push_back({"EXEC"});
            const auto replies = connection_.pipeline(commands, "scan");
            const auto now = expiry_clock::now();
            const redisReply& exec = *replies.back();
            if (exec.type != REDIS_REPLY_ARRAY || exec.elements != full_keys.size() + 1 ||
                exec.element[0]->type != REDIS_REPLY_ARRAY ||
                exec.element[0]->elements != full_keys.size()) {
                throw redis_error(fmt::format(
                    "redis: scan on {}: MULTI/EXEC of MGET and PTTL gave an unexpected reply",
                    connection_.url()));
            }
            for (std::size_t i = 0; i < full_keys.size(); ++i) {
                if (append(i, value_of(*exec.element[0]->element[i]))) {
                    page.expiries.push_back(expiry_after(exec.element[i + 1]->integer, now));
                }
            }
        } else {
            auto values = values_of(full_keys, "scan");
            for (std::size_t i = 0; i < full_keys.size(); ++i) append(i, std::move(values[i]));
        }
    }

    /// The expiry of a key whose `PTTL` was `ms` at `now`: none for -1 (no
    /// expiry) and -2 (no key).
    static std::optional<expiry_clock::time_point> expiry_after(long long ms,
                                                                expiry_clock::time_point now) {
        if (ms < 0) return std::nullopt;
        return std::chrono::time_point_cast<expiry_clock::duration>(now +
                                                                    std::chrono::milliseconds(ms));
    }

    /// `MGET` of `full_keys` (prefixed); `what` names the call in errors.
    std::vector<std::optional<std::string>> values_of(std::span<const std::string> full_keys,
                                                      std::string_view what) {
        std::vector<std::optional<std::string>> values;
        if (full_keys.empty()) return values;
        std::vector<std::string_view> args{"MGET"};
        args.reserve(full_keys.size() + 1);
        for (const auto& k : full_keys) args.emplace_back(k);
        const auto r = connection_.command(args, what);
        values.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i) values.push_back(value_of(*r->element[i]));
        return values;
    }

    [[nodiscard]] std::string full(std::string_view key) const {
        return options_.key_prefix + std::string(key);
    }

    static std::optional<std::string> value_of(const redisReply& r) {
        if (r.type == REDIS_REPLY_NIL) return std::nullopt;
        return std::string(r.str, r.len);
    }

    /// The `MATCH` pattern of the prefix's keys.
    [[nodiscard]] std::string match_pattern() const {
        return glob_escape(options_.key_prefix) + "*";
    }

    /// `text` with Redis glob specials escaped, for MATCH.
    static std::string glob_escape(std::string_view text) {
        std::string out;
        for (const char ch : text) {
            if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out.push_back('\\');
            out.push_back(ch);
        }
        return out;
    }

    redis_options options_;
    redis_connection connection_;
};

}  // namespace dualstore::adapters
