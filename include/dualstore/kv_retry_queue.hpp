#pragma once
/// \file
/// `kv_retry_queue<Store>`: a retry queue kept in any scannable key-value
/// store of byte strings, under a prefix, so a Redis, PostgreSQL or SQLite
/// store makes it durable and shared by every instance of a service.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/entry_codec.hpp>
#include <dualstore/detail/holder.hpp>
#include <dualstore/detail/scan_all.hpp>
#include <dualstore/retry_queue.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore {

/// A retry queue stored in `Store` under `prefix`:
/// `<prefix>e:<id>` holds an entry (see detail/entry_codec.hpp),
/// `<prefix>c:<id>` a drainer's claim on it (lapse time and token),
/// `<prefix>d:<id>` a dead letter (reason and the entry or its raw bytes).
///
/// Finding entries scans the store, so give the queue a store (table, Redis
/// database) of its own or expect each `take` to walk the other keys too.
/// An entry that cannot be decoded is moved to the dead letters by `take`
/// with the reason, never thrown at the drainer.
///
/// Two drainers: when `Store` is a `conditional_store`, a claim is taken with
/// `put_if_absent`, so one entry goes to one drainer at a time (a lapsed
/// claim, left by a drainer that died, is taken over). Otherwise two
/// drainers may both take an entry; that is safe because `drain` repairs by
/// key from the primary's current state (idempotent), at worst repeating a
/// repair. Thread-safe when `Store` is.
template <class Store>
class kv_retry_queue {
public:
    using store_type = std::remove_reference_t<Store>;
    static_assert(scannable_store<store_type> &&
                      std::is_same_v<typename store_type::key_type, std::string> &&
                      std::is_same_v<typename store_type::mapped_type, std::string>,
                  "dualstore: kv_retry_queue needs a scannable_store of std::string keys and "
                  "values");

    /// A queue in `store` (held by reference when an lvalue) under `prefix`;
    /// claims lapse after `claim_timeout`.
    template <class StoreArg>
    explicit kv_retry_queue(StoreArg&& store, std::string prefix = "dualstore:retry:",
                            std::chrono::milliseconds claim_timeout = std::chrono::minutes(5))
        : store_(std::in_place, std::forward<StoreArg>(store)),
          prefix_(std::move(prefix)),
          claim_timeout_(claim_timeout),
          token_(detail::new_entry_id(queue_clock::now())) {}

    /// Adds `entry` (an identifier is assigned when it has none).
    void push(retry_entry entry) {
        if (entry.id.empty()) entry.id = detail::new_entry_id(queue_clock::now());
        store().put(key_of('e', entry.id), detail::encode_entry(entry));
    }

    /// Claims up to `max` entries due at `now`; dead-letters undecodable ones.
    std::vector<retry_entry> take(std::size_t max, queue_clock::time_point now) {
        std::vector<retry_entry> taken;
        std::vector<std::pair<std::string, std::string>> corrupt;
        const auto entries = prefix_ + "e:";
        detail::for_each_item(store(), page_size, [&](const std::string& k, const std::string& v) {
            if (!k.starts_with(entries)) return true;
            const auto id = k.substr(entries.size());
            try {
                auto entry = detail::decode_entry(id, v);
                if (entry.next_attempt <= now && claim(id, now)) {
                    // The scan may have read an entry another drainer has
                    // since acknowledged (and unclaimed): take it only if it
                    // is still there now that it is ours.
                    if (store().get(k)) {
                        taken.push_back(std::move(entry));
                    } else {
                        store().erase(key_of('c', id));
                    }
                }
            } catch (const decode_error& e) {
                corrupt.emplace_back(id, e.what());
            }
            return taken.size() < max;
        });
        for (auto& [id, why] : corrupt) {
            auto raw = store().get(key_of('e', id));
            store().put(key_of('d', id), encode_dead(why, std::nullopt, raw.value_or("")));
            store().erase(key_of('e', id));
        }
        return taken;
    }

    /// Removes a repaired entry and its claim.
    void ack(const retry_entry& entry) {
        store().erase(key_of('e', entry.id));
        store().erase(key_of('c', entry.id));
    }

    /// Records a failed repair: one more attempt, the error, the next due time.
    void fail(const retry_entry& entry, std::string error, queue_clock::time_point next_attempt) {
        store().put(key_of('e', entry.id), detail::encode_entry(detail::after_failed_repair(
                                               entry, std::move(error), next_attempt)));
        store().erase(key_of('c', entry.id));
    }

    /// Moves `entry` to the dead letters with `reason`.
    void dead_letter(const retry_entry& entry, std::string reason) {
        store().put(key_of('d', entry.id), encode_dead(reason, entry, {}));
        store().erase(key_of('e', entry.id));
        store().erase(key_of('c', entry.id));
    }

    /// The entries waiting (a scan).
    [[nodiscard]] std::size_t size() const { return count('e'); }

    /// The entries moved aside (a scan).
    [[nodiscard]] std::vector<dualstore::dead_letter> dead_letters() const {
        std::vector<dualstore::dead_letter> letters;
        const auto dead = prefix_ + "d:";
        detail::for_each_item(store(), page_size, [&](const std::string& k, const std::string& v) {
            if (k.starts_with(dead)) letters.push_back(decode_dead(k.substr(dead.size()), v));
            return true;
        });
        return letters;
    }

private:
    static constexpr std::size_t page_size = 256;

    store_type& store() const { return store_.get(); }

    [[nodiscard]] std::string key_of(char kind, std::string_view id) const {
        return fmt::format("{}{}:{}", prefix_, kind, id);
    }

    [[nodiscard]] std::size_t count(char kind) const {
        std::size_t n = 0;
        const auto wanted = fmt::format("{}{}:", prefix_, kind);
        detail::for_each_item(store(), page_size, [&](const std::string& k, const std::string&) {
            if (k.starts_with(wanted)) ++n;
            return true;
        });
        return n;
    }

    /// Claims entry `id` for this queue object until now + claim_timeout.
    bool claim(const std::string& id, queue_clock::time_point now) {
        const auto key = key_of('c', id);
        std::string mark;
        detail::put_uint(mark, static_cast<std::uint64_t>(detail::to_ns(now + claim_timeout_)), 8);
        mark += token_;
        if constexpr (conditional_store<store_type>) {
            if (store().put_if_absent(key, mark)) return true;
            const auto held = store().get(key);
            if (held && !lapsed(*held, now)) return false;
            // A lapsed claim: its drainer died. Two takers may race here; the
            // loser's repair is then a harmless repetition.
            store().erase(key);
            return store().put_if_absent(key, mark);
        } else {
            const auto held = store().get(key);
            if (held && !lapsed(*held, now)) return false;
            store().put(key, mark);
            return store().get(key) == mark;
        }
    }

    static bool lapsed(std::string_view claim, queue_clock::time_point now) {
        try {
            detail::byte_reader in(claim);
            return static_cast<std::int64_t>(in.uint(8)) <= detail::to_ns(now);
        } catch (const decode_error&) {
            return true;  // an unreadable claim protects nothing
        }
    }

    static std::string encode_dead(std::string_view reason, const std::optional<retry_entry>& entry,
                                   std::string_view raw) {
        std::string out;
        detail::put_uint(out, reason.size(), 4);
        out += reason;
        out.push_back(entry ? '\1' : '\0');
        out += entry ? detail::encode_entry(*entry) : std::string(raw);
        return out;
    }

    static dualstore::dead_letter decode_dead(std::string id, std::string_view bytes) {
        dualstore::dead_letter letter;
        letter.id = std::move(id);
        try {
            detail::byte_reader in(bytes);
            letter.reason = std::string(in.take(in.uint(4)));
            const bool decoded = in.take(1) == "\1";
            if (decoded) {
                letter.entry = detail::decode_entry(letter.id, in.rest());
            } else {
                letter.raw = std::string(in.rest());
            }
        } catch (const decode_error& e) {
            letter.reason = fmt::format("unreadable dead letter: {}", e.what());
            letter.raw = std::string(bytes);
        }
        return letter;
    }

    mutable detail::holder<Store> store_;  // scanning is not const
    std::string prefix_;
    std::chrono::milliseconds claim_timeout_;
    std::string token_;
};

template <class StoreArg, class... Rest>
kv_retry_queue(StoreArg&&, Rest&&...) -> kv_retry_queue<detail::held_t<StoreArg&&>>;

}  // namespace dualstore
