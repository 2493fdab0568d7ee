#pragma once
/// \file
/// `adapters::redis_stream_retry_queue`: a `retry_queue` on Redis Streams,
/// Redis's own work queue: a consumer group hands entries out
/// (`XREADGROUP`), `XACK` retires them, `XAUTOCLAIM` takes over the entries
/// of a drainer that stopped acknowledging, and dead letters go to a stream
/// of their own.

#include <dualstore/adapters/redis/connection.hpp>
#include <dualstore/detail/entry_codec.hpp>
#include <dualstore/detail/random_bits.hpp>
#include <dualstore/retry_queue.hpp>

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// How a `redis_stream_retry_queue` keeps its entries.
struct redis_stream_queue_options {
    /// The stream's key; the other keys add a suffix to it. Keep the braces
    /// on Redis Cluster: they put every key of the queue in one slot.
    std::string name = "{dualstore:retry}";
    std::string group = "drainers";  ///< the consumer group every drainer joins
    /// This queue object's consumer name in the group; empty: a new unique
    /// one (process id and 64 random bits).
    std::string consumer{};
    /// An entry handed out and neither acknowledged nor failed for this long,
    /// by the Redis server's clock, goes to the next drainer that asks.
    std::chrono::milliseconds claim_timeout = std::chrono::minutes(5);
    redis_options connection{};  ///< how the queue connects (timeouts, AUTH)
};

/// A retry queue on Redis Streams. Its keys, from `options.name`:
///
/// | key | type | holds |
/// |---|---|---|
/// | `name` | stream, group `options.group` | due entries: fields `id`, `body` |
/// | `name:delayed` | sorted set | entries not yet due, scored by due time (ms) |
/// | `name:held` | hash | the bodies of the delayed entries |
/// | `name:index` | hash | entry identifier → stream message id |
/// | `name:dead` | stream | dead letters: fields `id`, `reason`, `body`, `moved` |
///
/// `push` schedules an entry in `name:delayed`. `take(n, now)` is one Lua
/// script: it first takes over, with `XAUTOCLAIM`, entries other drainers
/// were handed more than `claim_timeout` ago (the Redis server's clock,
/// so drainers on machines whose clocks disagree never steal live claims),
/// then moves the entries due at `now` (the caller's clock, as for every
/// queue) into the stream with `XADD` and reads them with `XREADGROUP`: the
/// group's pending list is the record of who holds what (`XPENDING`,
/// `XINFO` show it to an operator). `ack`, `fail` and `dead_letter` are
/// one script each, so an entry is never both retired and waiting, and an
/// entry acknowledged by a drainer that took it over stays gone when the
/// first drainer fails it late. Bodies use the library's binary entry
/// format; an undecodable one is dead-lettered with the reason. A queue
/// object that holds no entries leaves the group when destroyed.
/// Thread-safe (one connection, calls serialised); every call bounded by
/// the connection's timeouts.
class redis_stream_retry_queue {
public:
    /// Connects to `url` (see `redis_address`; passwords never appear in
    /// errors).
    explicit redis_stream_retry_queue(std::string_view url, redis_stream_queue_options options = {})
        : options_(with_consumer(std::move(options))),
          connection_(url, options_.connection),
          delayed_(options_.name + ":delayed"),
          held_(options_.name + ":held"),
          index_(options_.name + ":index"),
          dead_(options_.name + ":dead") {}

    redis_stream_retry_queue(const redis_stream_retry_queue&) = delete;
    redis_stream_retry_queue& operator=(const redis_stream_retry_queue&) = delete;

    /// Leaves the consumer group when this consumer holds no entries (its
    /// pending entries, if any, stay for `XAUTOCLAIM`).
    ~redis_stream_retry_queue() {
        static constexpr std::string_view script = R"(
            local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
            if ok and #pending == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end
            return 0)";
        try {
            run(script, {}, "leave the consumer group");
        } catch (...) {  // NOLINT(bugprone-empty-catch): the server is gone; the group keeps an
                         // idle consumer
        }
    }

    /// Schedules `entry` for `entry.next_attempt` (an identifier is assigned
    /// when it has none); an entry with the identifier of a waiting one
    /// replaces it.
    void push(retry_entry entry) {
        if (entry.id.empty()) entry.id = detail::new_entry_id(queue_clock::now());
        static const std::string script = with_remove(R"(
            remove(ARGV[3])
            redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
            redis.call('HSET', KEYS[3], ARGV[3], ARGV[5])
            return 0)");
        run(script, {entry.id, ms(entry.next_attempt), detail::encode_entry(entry)}, "queue push");
    }

    /// Hands out up to `max` entries: first those whose claim lapsed, then
    /// those due at `now`, oldest due first. An entry whose body cannot be
    /// decoded is dead-lettered with the reason instead of returned.
    std::vector<retry_entry> take(std::size_t max, queue_clock::time_point now) {
        static constexpr std::string_view script = R"(
            local max, n, out = tonumber(ARGV[4]), 0, {}
            local function collect(messages)
                for _, m in ipairs(messages) do
                    if m[2] then
                        local f = {}
                        for i = 1, #m[2], 2 do f[m[2][i]] = m[2][i + 1] end
                        out[#out + 1] = f['id'] or ''
                        out[#out + 1] = f['body'] or ''
                        n = n + 1
                    end
                end
            end
            if max == 0 then return out end
            redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
            local start = '0-0'
            repeat
                local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[5], start,
                                     'COUNT', max - n)
                collect(r[2])
                start = r[1]
            until start == '0-0' or n >= max
            if n < max then
                local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0,
                                       max - n)
                for _, id in ipairs(due) do
                    local body = redis.call('HGET', KEYS[3], id)
                    if body then
                        local message = redis.call('XADD', KEYS[1], '*', 'id', id, 'body', body)
                        redis.call('HSET', KEYS[4], id, message)
                    end
                    redis.call('ZREM', KEYS[2], id)
                    redis.call('HDEL', KEYS[3], id)
                end
                local fresh = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT',
                                         max - n, 'STREAMS', KEYS[1], '>')
                if fresh then collect(fresh[1][2]) end
            end
            return out)";
        const auto r = run(script, {ms(now), std::to_string(max), std::to_string(claim_idle_ms())},
                           "queue take");
        std::vector<std::pair<std::string, std::string>> rows;
        for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
            rows.emplace_back(text(*r->element[i]), text(*r->element[i + 1]));
        }
        return detail::decode_rows(rows, [this](const auto&... dead) { move_to_dead(dead...); });
    }

    /// Retires a repaired entry (`XACK`, then `XDEL`), wherever it waits.
    void ack(const retry_entry& entry) {
        static const std::string script = with_remove("remove(ARGV[3]) return 0");
        run(script, {entry.id}, "queue ack");
    }

    /// Records a failed repair: one more attempt, the error, the next due
    /// time; releases the claim. An entry acknowledged meanwhile stays gone.
    void fail(const retry_entry& entry, std::string error, queue_clock::time_point next_attempt) {
        const auto next = detail::after_failed_repair(entry, std::move(error), next_attempt);
        static const std::string script = with_remove(R"(
            if remove(ARGV[3]) then
                redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
                redis.call('HSET', KEYS[3], ARGV[3], ARGV[5])
            end
            return 0)");
        run(script, {entry.id, ms(next_attempt), detail::encode_entry(next)}, "queue fail");
    }

    /// Moves `entry` to the dead-letter stream with `reason`, in one script.
    void dead_letter(const retry_entry& entry, std::string reason) {
        move_to_dead(entry.id, reason, detail::encode_entry(entry));
    }

    /// The entries waiting (handed out or not).
    [[nodiscard]] std::size_t size() const {
        const auto replies =
            connection_.pipeline({{"XLEN", options_.name}, {"ZCARD", delayed_}}, "queue size");
        return static_cast<std::size_t>(replies[0]->integer + replies[1]->integer);
    }

    /// The entries moved aside, oldest first; an undecodable body is kept
    /// as `raw`.
    [[nodiscard]] std::vector<dualstore::dead_letter> dead_letters() const {
        const auto r = connection_.command({"XRANGE", dead_, "-", "+"}, "queue dead letters");
        std::vector<dualstore::dead_letter> dead;
        for (std::size_t i = 0; i < r->elements; ++i) {
            const auto& fields = *r->element[i]->element[1];
            std::string id, reason, body;
            for (std::size_t f = 0; f + 1 < fields.elements; f += 2) {
                const auto name = text(*fields.element[f]);
                auto value = text(*fields.element[f + 1]);
                if (name == "id") id = std::move(value);
                if (name == "reason") reason = std::move(value);
                if (name == "body") body = std::move(value);
            }
            dead.push_back(
                detail::dead_letter_of(std::move(id), std::move(reason), std::move(body)));
        }
        return dead;
    }

    /// This queue object's consumer name in the group.
    [[nodiscard]] const std::string& consumer() const noexcept { return options_.consumer; }

private:
    /// `script` with `remove(id)` defined before it: retires the entry `id`
    /// from the stream (XACK, XDEL) and from the delayed set; whether it was
    /// waiting in either.
    static std::string with_remove(std::string_view script) {
        static constexpr std::string_view remove = R"(
            local function remove(id)
                local message = redis.call('HGET', KEYS[4], id)
                if message then
                    redis.call('XACK', KEYS[1], ARGV[1], message)
                    redis.call('XDEL', KEYS[1], message)
                    redis.call('HDEL', KEYS[4], id)
                end
                local delayed = redis.call('ZREM', KEYS[2], id)
                redis.call('HDEL', KEYS[3], id)
                return message ~= false or delayed == 1
            end)";
        return std::string(remove) + "\n" + std::string(script);
    }

    static redis_stream_queue_options with_consumer(redis_stream_queue_options options) {
        if (options.consumer.empty()) {
            options.consumer = fmt::format("{}-{:016x}", ::getpid(), detail::random_bits());
        }
        return options;
    }

    static std::string ms(queue_clock::time_point t) {
        return std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
    }

    static std::string text(const redisReply& r) { return {r.str, r.len}; }

    [[nodiscard]] std::int64_t claim_idle_ms() const noexcept {
        return std::max<std::int64_t>(1, options_.claim_timeout.count());
    }

    /// Runs `script` over the queue's five keys with ARGV = group, consumer,
    /// then `args`.
    redis_connection::reply run(std::string_view script, const std::vector<std::string>& args,
                                std::string_view what) const {
        std::vector<std::string_view> command{
            "EVAL", script, "5",   options_.name,  delayed_,
            held_,  index_, dead_, options_.group, options_.consumer};
        command.insert(command.end(), args.begin(), args.end());
        return connection_.command(command, what);
    }

    void move_to_dead(std::string_view id, std::string_view reason, std::string_view body) {
        static const std::string script = with_remove(R"(
            remove(ARGV[3])
            redis.call('XADD', KEYS[5], '*', 'id', ARGV[3], 'reason', ARGV[4], 'body', ARGV[5],
                       'moved', ARGV[6])
            return 0)");
        run(script,
            {std::string(id), std::string(reason), std::string(body), ms(queue_clock::now())},
            "queue dead letter");
    }

    redis_stream_queue_options options_;
    mutable redis_connection connection_;
    std::string delayed_, held_, index_, dead_;
};

}  // namespace dualstore::adapters
