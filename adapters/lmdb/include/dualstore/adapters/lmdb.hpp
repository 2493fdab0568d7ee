#pragma once
/// \file
/// `adapters::lmdb_store`: a key-value store in an LMDB database file.
/// Models kv, scannable (resumable), conditional, batch and key-sampling
/// stores; LMDB has
/// no expiry, so the adapter does not pretend to.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/key_cursor.hpp>
#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/detail/open_failure.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>
#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// An error reported by LMDB: names the engine, the operation and the cause.
class lmdb_error : public error {
public:
    using error::error;
};

/// How an `lmdb_store` opens its environment.
struct lmdb_options {
    std::string database{};                       ///< the named database (empty: the main one)
    std::size_t map_size = std::size_t{1} << 30;  ///< the largest the file may grow (1 GiB)
};

/// Keys and values (byte strings) in the LMDB file `path` (its lock file is
/// `path-lock`). Every call is one LMDB transaction: reads see a snapshot,
/// writes are serialised by LMDB and durable on return; `put_many` and
/// `get_many` use one transaction for the whole batch. Scans walk keys in
/// byte order and resume after the last key returned, so a scan beside
/// writers returns every key present throughout exactly once. Keys are at
/// most 511 bytes (LMDB's default limit). Thread-safe (MDB_NOTLS).
class lmdb_store : public detail::key_cursor_codec {
public:
    using key_type = std::string;            ///< keys are byte strings
    using mapped_type = std::string;         ///< values are byte strings
    using cursor_type = detail::key_cursor;  ///< resumes after the last key returned
    /// Scans return keys in byte order (LMDB's default comparison is memcmp): `key_ordered_store`.
    static constexpr bool scans_in_key_order = true;

    /// Opens (creating when needed) the file `path`; throws `lmdb_error`,
    /// naming the path, the system's reason and what is wrong with the file's
    /// directory.
    explicit lmdb_store(const std::string& path, lmdb_options options = {}) : path_(path) {
        MDB_env* env = nullptr;
        check(mdb_env_create(&env), "open");
        env_.reset(env);
        check(mdb_env_set_mapsize(env, options.map_size), "open");
        check(mdb_env_set_maxdbs(env, 64), "open");
        if (const int rc = mdb_env_open(env, path.c_str(), MDB_NOSUBDIR | MDB_NOTLS, 0644);
            rc != 0) {
            // LMDB's codes below its own range are errno values, which
            // mdb_strerror already words.
            throw lmdb_error(fmt::format("lmdb: open {:?}: {}{}", path, mdb_strerror(rc),
                                         detail::explain_open_failure(path, 0)));
        }
        txn tx(*this, 0, "open");
        check(mdb_dbi_open(tx.get(), options.database.empty() ? nullptr : options.database.c_str(),
                           MDB_CREATE, &dbi_),
              "open");
        tx.commit();
    }

    /// The value of `key`.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) {
        txn tx(*this, MDB_RDONLY, "get");
        return get_in(tx, key);
    }

    /// Inserts or replaces `key`.
    void put(const std::string& key, const std::string& value) {
        txn tx(*this, 0, "put");
        put_in(tx, key, value);
        tx.commit();
    }

    /// Erases `key`; whether it was there.
    bool erase(const std::string& key) {
        txn tx(*this, 0, "erase");
        MDB_val k = val(key);
        const int rc = mdb_del(tx.get(), dbi_, &k, nullptr);
        if (rc == MDB_NOTFOUND) return false;
        check(rc, "erase");
        tx.commit();
        return true;
    }

    /// Writes `key` only if absent (atomically); whether it wrote.
    bool put_if_absent(const std::string& key, const std::string& value) {
        txn tx(*this, 0, "put_if_absent");
        MDB_val k = val(key), v = val(value);
        const int rc = mdb_put(tx.get(), dbi_, &k, &v, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST) return false;
        check(rc, "put_if_absent");
        tx.commit();
        return true;
    }

    /// The value of each key, in order, from one snapshot.
    [[nodiscard]] std::vector<std::optional<std::string>> get_many(
        std::span<const std::string> keys) {
        txn tx(*this, MDB_RDONLY, "get_many");
        std::vector<std::optional<std::string>> values;
        values.reserve(keys.size());
        for (const auto& key : keys) values.push_back(get_in(tx, key));
        return values;
    }

    /// Writes every pair in one transaction: all or nothing.
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        txn tx(*this, 0, "put_many");
        for (const auto& [key, value] : items) put_in(tx, key, value);
        tx.commit();
    }

    /// Writes each pair whose key is absent (`MDB_NOOVERWRITE`) in one write
    /// transaction (all or nothing); per item, whether it wrote it (a key
    /// repeated in `items`: the first).
    std::vector<bool> put_many_if_absent(
        std::span<const std::pair<std::string, std::string>> items) {
        txn tx(*this, 0, "put_many_if_absent");
        std::vector<bool> wrote;
        wrote.reserve(items.size());
        for (const auto& [key, value] : items) {
            MDB_val k = val(key), v = val(value);
            const int rc = mdb_put(tx.get(), dbi_, &k, &v, MDB_NOOVERWRITE);
            if (rc != MDB_KEYEXIST) check(rc, "put_many_if_absent");
            wrote.push_back(rc != MDB_KEYEXIST);
        }
        tx.commit();
        return wrote;
    }

    /// At most `limit` entries after the cursor, in byte order of keys.
    [[nodiscard]] scan_page<std::string, std::string, cursor_type> scan(const cursor_type& from,
                                                                        std::size_t limit) {
        scan_page<std::string, std::string, cursor_type> page;
        if (limit == 0) {
            page.next = from;
            return page;
        }
        txn tx(*this, MDB_RDONLY, "scan");
        const auto cursor = open_cursor(tx, "scan");
        MDB_cursor* raw = cursor.get();
        MDB_val k{}, v{};
        int rc = 0;
        if (from.after) {
            k = val(*from.after);
            rc = mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE);
            if (rc == 0 && text(k) == *from.after) rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT);
        } else {
            rc = mdb_cursor_get(raw, &k, &v, MDB_FIRST);
        }
        while (rc == 0 && page.items.size() < limit) {
            page.items.emplace_back(text(k), text(v));
            rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT);
        }
        if (rc != 0 && rc != MDB_NOTFOUND) check(rc, "scan");
        if (rc == 0) page.next = cursor_type{page.items.back().first};
        return page;
    }

    /// The `n` keys of smallest `key_sample_hash` and the number of keys
    /// (`key_sampling_store`), from one snapshot: walks the keys with a
    /// cursor and copies no value.
    [[nodiscard]] key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        detail::key_sample_builder sample(salt, n);
        txn tx(*this, MDB_RDONLY, "sample_keys");
        const auto cursor = open_cursor(tx, "sample_keys");
        MDB_cursor* raw = cursor.get();
        MDB_val k{}, v{};
        int rc = mdb_cursor_get(raw, &k, &v, MDB_FIRST);
        for (; rc == 0; rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT))
            sample.offer({static_cast<const char*>(k.mv_data), k.mv_size});
        if (rc != MDB_NOTFOUND) check(rc, "sample_keys");
        return std::move(sample).done();
    }

    /// The id of the environment's last committed write transaction
    /// (`change_stamped_store`): it moves with every write that commits, from
    /// any store or process on the file, and with nothing else. Reads the
    /// shared meta page; no transaction.
    [[nodiscard]] std::size_t change_stamp() const {
        MDB_envinfo info{};
        check(mdb_env_info(env_.get(), &info), "change_stamp");
        return info.me_last_txnid;
    }

    /// The database file.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    struct env_close {
        void operator()(MDB_env* e) const noexcept { mdb_env_close(e); }
    };

    /// A transaction aborted unless committed.
    class txn {
    public:
        txn(lmdb_store& store, unsigned flags, const char* what) : store_(store) {
            store_.check(mdb_txn_begin(store_.env_.get(), nullptr, flags, &txn_), what);
        }
        txn(const txn&) = delete;
        txn& operator=(const txn&) = delete;
        ~txn() {
            if (txn_ != nullptr) mdb_txn_abort(txn_);
        }
        [[nodiscard]] MDB_txn* get() const noexcept { return txn_; }
        void commit() {
            MDB_txn* t = std::exchange(txn_, nullptr);
            store_.check(mdb_txn_commit(t), "commit");
        }

    private:
        lmdb_store& store_;
        MDB_txn* txn_ = nullptr;
    };

    /// A cursor on the database in `tx`, closed on destruction.
    using cursor_ptr = std::unique_ptr<MDB_cursor, decltype(&mdb_cursor_close)>;
    cursor_ptr open_cursor(txn& tx, const char* what) const {
        MDB_cursor* raw = nullptr;
        check(mdb_cursor_open(tx.get(), dbi_, &raw), what);
        return {raw, &mdb_cursor_close};
    }

    static MDB_val val(std::string_view bytes) noexcept {
        return {bytes.size(), const_cast<char*>(bytes.data())};
    }
    static std::string text(const MDB_val& v) {
        return {static_cast<const char*>(v.mv_data), v.mv_size};
    }

    void check(int rc, std::string_view what) const {
        if (rc != 0)
            throw lmdb_error(fmt::format("lmdb: {} on {:?}: {}", what, path_, mdb_strerror(rc)));
    }

    std::optional<std::string> get_in(txn& tx, const std::string& key) {
        MDB_val k = val(key), v{};
        const int rc = mdb_get(tx.get(), dbi_, &k, &v);
        if (rc == MDB_NOTFOUND) return std::nullopt;
        check(rc, "get");
        return text(v);
    }

    void put_in(txn& tx, const std::string& key, const std::string& value) {
        MDB_val k = val(key), v = val(value);
        check(mdb_put(tx.get(), dbi_, &k, &v, 0), "put");
    }

    std::string path_;
    std::unique_ptr<MDB_env, env_close> env_;
    MDB_dbi dbi_ = 0;
};

}  // namespace dualstore::adapters
