#pragma once
/// \file
/// `adapters::rocksdb_store`: a key-value store in a RocksDB database.
/// Models kv, scannable (resumable), conditional, batch and key-sampling
/// stores.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/key_cursor.hpp>
#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualstore::adapters {

/// An error reported by RocksDB: names the engine, the operation and the cause.
class rocksdb_error : public error {
public:
    using error::error;
};

/// Keys and values (byte strings) in the RocksDB database directory `path`
/// (created when missing). `put_many` is one `WriteBatch` (atomic),
/// `get_many` one `MultiGet`. Scans walk keys in byte order with an
/// iterator and resume after the last key returned, so a scan beside writers
/// returns every key present throughout exactly once. RocksDB has no
/// conditional write outside transactions: `put_if_absent` and `erase`'s
/// "was it there" are atomic against the writes of this store object (its
/// writes hold a mutex), not against another process writing the same
/// database. Thread-safe.
class rocksdb_store : public detail::key_cursor_codec {
public:
    using key_type = std::string;            ///< keys are byte strings
    using mapped_type = std::string;         ///< values are byte strings
    using cursor_type = detail::key_cursor;  ///< resumes after the last key returned
    /// Scans return keys in byte order (RocksDB's default comparator is bytewise):
    /// `key_ordered_store`.
    static constexpr bool scans_in_key_order = true;

    /// Opens (creating when needed) the database at `path`; throws `rocksdb_error`.
    explicit rocksdb_store(const std::string& path) : path_(path) {
        rocksdb::Options options;
        options.create_if_missing = true;
        rocksdb::DB* db = nullptr;
        check(rocksdb::DB::Open(options, path, &db), "open");
        db_.reset(db);
    }

    /// The value of `key`.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) {
        std::string value;
        const auto s = db_->Get(rocksdb::ReadOptions(), key, &value);
        if (s.IsNotFound()) return std::nullopt;
        check(s, "get");
        return value;
    }

    /// Inserts or replaces `key`.
    void put(const std::string& key, const std::string& value) {
        const std::lock_guard lock(writes_);
        check(db_->Put(rocksdb::WriteOptions(), key, value), "put");
    }

    /// Erases `key`; whether it was there.
    bool erase(const std::string& key) {
        const std::lock_guard lock(writes_);
        const bool existed = get(key).has_value();
        check(db_->Delete(rocksdb::WriteOptions(), key), "erase");
        return existed;
    }

    /// Writes `key` only if absent; whether it wrote (see the class comment).
    bool put_if_absent(const std::string& key, const std::string& value) {
        const std::lock_guard lock(writes_);
        if (get(key)) return false;
        check(db_->Put(rocksdb::WriteOptions(), key, value), "put_if_absent");
        return true;
    }

    /// The value of each key, in order (`MultiGet`).
    [[nodiscard]] std::vector<std::optional<std::string>> get_many(
        std::span<const std::string> keys) {
        return values_of(std::vector<rocksdb::Slice>(keys.begin(), keys.end()), "get_many");
    }

    /// Writes every pair in one atomic `WriteBatch`.
    void put_many(std::span<const std::pair<std::string, std::string>> items) {
        rocksdb::WriteBatch batch;
        for (const auto& [key, value] : items) check(batch.Put(key, value), "put_many");
        const std::lock_guard lock(writes_);
        check(db_->Write(rocksdb::WriteOptions(), &batch), "put_many");
    }

    /// Writes each pair whose key is absent in one `WriteBatch` (atomic),
    /// checked and written under this store's write lock, so atomic against
    /// this object's other writes (see the class); per item, whether it
    /// wrote it (a key repeated in `items`: the first).
    std::vector<bool> put_many_if_absent(
        std::span<const std::pair<std::string, std::string>> items) {
        std::vector<rocksdb::Slice> keys;
        keys.reserve(items.size());
        for (const auto& item : items) keys.emplace_back(item.first);
        rocksdb::WriteBatch batch;
        std::vector<bool> wrote(items.size(), false);
        std::set<std::string_view> batched;  // a key repeated in `items`: the first only
        const std::lock_guard lock(writes_);
        const auto present = values_of(keys, "put_many_if_absent");
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (present[i] || !batched.insert(items[i].first).second) continue;
            check(batch.Put(items[i].first, items[i].second), "put_many_if_absent");
            wrote[i] = true;
        }
        check(db_->Write(rocksdb::WriteOptions(), &batch), "put_many_if_absent");
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
        const std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
        if (from.after) {
            it->Seek(*from.after);
            if (it->Valid() && it->key() == rocksdb::Slice(*from.after)) it->Next();
        } else {
            it->SeekToFirst();
        }
        for (; it->Valid() && page.items.size() < limit; it->Next()) {
            page.items.emplace_back(it->key().ToString(), it->value().ToString());
        }
        check(it->status(), "scan");
        if (it->Valid()) page.next = cursor_type{page.items.back().first};
        return page;
    }

    /// The `n` keys of smallest `key_sample_hash` and the number of keys
    /// (`key_sampling_store`), from one iterator (an implicit snapshot);
    /// copies no value.
    [[nodiscard]] key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        detail::key_sample_builder sample(salt, n);
        const std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
        for (it->SeekToFirst(); it->Valid(); it->Next())
            sample.offer({it->key().data(), it->key().size()});
        check(it->status(), "sample_keys");
        return std::move(sample).done();
    }

    /// The database's latest sequence number (`change_stamped_store`): every
    /// write (put, delete, batch) takes new ones; reads take none.
    [[nodiscard]] std::uint64_t change_stamp() const { return db_->GetLatestSequenceNumber(); }

    /// The database directory.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    void check(const rocksdb::Status& s, std::string_view what) const {
        if (!s.ok())
            throw rocksdb_error(fmt::format("rocksdb: {} on {:?}: {}", what, path_, s.ToString()));
    }

    std::string path_;
    std::unique_ptr<rocksdb::DB> db_;
    std::mutex writes_;

    /// The value of each key, in order (`MultiGet`); `what` names the call in errors.
    std::vector<std::optional<std::string>> values_of(const std::vector<rocksdb::Slice>& keys,
                                                      const char* what) {
        std::vector<std::string> found;
        const auto statuses = db_->MultiGet(rocksdb::ReadOptions(), keys, &found);
        std::vector<std::optional<std::string>> values;
        values.reserve(keys.size());
        for (std::size_t i = 0; i < statuses.size(); ++i) {
            if (statuses[i].IsNotFound()) {
                values.emplace_back();
            } else {
                check(statuses[i], what);
                values.emplace_back(std::move(found[i]));
            }
        }
        return values;
    }
};

}  // namespace dualstore::adapters
