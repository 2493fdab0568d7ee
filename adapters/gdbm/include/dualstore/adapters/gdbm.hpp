#pragma once
/// \file
/// `adapters::gdbm_store`: a key-value store in a GDBM file. Models
/// `kv_store`, `scannable_store` (resumable), `conditional_store` and
/// `key_sampling_store`; GDBM
/// has no expiry and no batch writes, so the adapter does not pretend to.

#include <dualstore/concepts.hpp>
#include <dualstore/detail/key_cursor.hpp>
#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/detail/open_failure.hpp>
#include <dualstore/error.hpp>

#include <fmt/format.h>
#include <gdbm.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace dualstore::adapters {

/// An error reported by GDBM: names the engine, the operation and the cause.
class gdbm_error : public error {
public:
    using error::error;
};

/// Keys and values (byte strings) in the GDBM database file `path`, opened
/// for writing (created when missing) by this process alone (GDBM's lock).
/// Scans walk GDBM's hash order; the cursor is the last key returned, so a
/// saved cursor resumes a scan in another process. GDBM may reorder its
/// buckets when keys are added or removed during a scan, which can repeat or
/// skip keys: scan a GDBM store that is not being written (a backfill source
/// after its writers stopped, or under the migration's `dual_write` stage
/// where the old store's content is also copied by the dual writes). A scan
/// whose cursor key was erased meanwhile throws rather than stop early.
/// Thread-safe: calls are serialised by a mutex.
class gdbm_store : public detail::key_cursor_codec {
public:
    using key_type = std::string;            ///< keys are byte strings
    using mapped_type = std::string;         ///< values are byte strings
    using cursor_type = detail::key_cursor;  ///< resumes after the last key returned

    /// Opens (creating when needed) the database file `path`. Throws
    /// `gdbm_error` naming the path, GDBM's reason, the system's (errno) and
    /// what is wrong with the file's directory.
    explicit gdbm_store(const std::string& path) : path_(path) {
        errno = 0;
        db_.reset(gdbm_open(path.c_str(), 0, GDBM_WRCREAT, 0644, nullptr));
        if (!db_) {
            const int system_errno = gdbm_check_syserr(gdbm_errno) ? errno : 0;
            throw gdbm_error(fmt::format("gdbm: open {:?}: {}{}", path, gdbm_strerror(gdbm_errno),
                                         detail::explain_open_failure(path, system_errno)));
        }
    }

    /// The value of `key`.
    [[nodiscard]] std::optional<std::string> get(const std::string& key) {
        const std::lock_guard lock(mutex_);
        return fetch(key);
    }

    /// Inserts or replaces `key`.
    void put(const std::string& key, const std::string& value) {
        const std::lock_guard lock(mutex_);
        if (::gdbm_store(db_.get(), datum_of(key), datum_of(value), GDBM_REPLACE) != 0) fail("put");
    }

    /// Erases `key`; whether it was there.
    bool erase(const std::string& key) {
        const std::lock_guard lock(mutex_);
        if (gdbm_delete(db_.get(), datum_of(key)) == 0) return true;
        if (gdbm_last_errno(db_.get()) == GDBM_ITEM_NOT_FOUND) {
            gdbm_clear_error(db_.get());
            return false;
        }
        fail("erase");
    }

    /// Writes `key` only if absent (atomically); whether it wrote.
    bool put_if_absent(const std::string& key, const std::string& value) {
        const std::lock_guard lock(mutex_);
        const int rc = ::gdbm_store(db_.get(), datum_of(key), datum_of(value), GDBM_INSERT);
        if (rc == 0) return true;
        if (rc == 1) return false;  // the key exists
        fail("put_if_absent");
    }

    /// At most `limit` entries after the cursor, in GDBM's order.
    [[nodiscard]] scan_page<std::string, std::string, cursor_type> scan(const cursor_type& from,
                                                                        std::size_t limit) {
        const std::lock_guard lock(mutex_);
        scan_page<std::string, std::string, cursor_type> page;
        if (limit == 0) {
            page.next = from;
            return page;
        }
        if (from.after && gdbm_exists(db_.get(), datum_of(*from.after)) == 0) {
            throw gdbm_error(fmt::format(
                "gdbm: scan on {:?}: cannot resume: the cursor's key was erased since the last "
                "page (GDBM resumes from a key)",
                path_));
        }
        owned key = from.after ? next_key(*from.after) : owned(gdbm_firstkey(db_.get()));
        while (key.dptr) {
            std::string k(key.dptr, static_cast<std::size_t>(key.dsize));
            if (auto value = fetch(k)) page.items.emplace_back(k, std::move(*value));
            if (page.items.size() == limit) {
                page.next = cursor_type{std::move(k)};
                break;
            }
            key = next_key(k);
        }
        return page;
    }

    /// The `n` keys of smallest `key_sample_hash` and the number of keys
    /// (`key_sampling_store`): walks the keys in GDBM's order and fetches no
    /// value. Beside writers it may repeat or skip keys, as a scan may.
    [[nodiscard]] key_hash_sample sample_keys(std::uint64_t salt, std::size_t n) {
        const std::lock_guard lock(mutex_);
        detail::key_sample_builder sample(salt, n);
        for (owned key(gdbm_firstkey(db_.get())); key.dptr;) {
            std::string k(key.dptr, static_cast<std::size_t>(key.dsize));
            sample.offer(k);
            key = next_key(k);
        }
        return std::move(sample).done();
    }

    /// The database file.
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    struct closer {
        void operator()(GDBM_FILE db) const noexcept { gdbm_close(db); }
    };
    /// A datum GDBM allocated, freed on destruction.
    struct owned : datum {
        explicit owned(datum d = {nullptr, 0}) noexcept : datum(d) {}
        owned(const owned&) = delete;
        owned(owned&& other) noexcept : datum(other) { other.dptr = nullptr; }
        owned& operator=(const owned&) = delete;
        owned& operator=(owned&& other) noexcept {
            std::swap(dptr, other.dptr);
            std::swap(dsize, other.dsize);
            return *this;
        }
        ~owned() { std::free(dptr); }  // NOLINT(cppcoreguidelines-no-malloc): GDBM mallocs it
    };

    static datum datum_of(const std::string& bytes) noexcept {
        return {const_cast<char*>(bytes.data()), static_cast<int>(bytes.size())};
    }

    std::optional<std::string> fetch(const std::string& key) {
        const owned value(gdbm_fetch(db_.get(), datum_of(key)));
        if (value.dptr) return std::string(value.dptr, static_cast<std::size_t>(value.dsize));
        if (gdbm_last_errno(db_.get()) != GDBM_ITEM_NOT_FOUND) fail("get");
        gdbm_clear_error(db_.get());
        return std::nullopt;
    }

    /// The key after `key` (which exists); the end when it is the last.
    owned next_key(const std::string& key) {
        owned next(gdbm_nextkey(db_.get(), datum_of(key)));
        if (!next.dptr) gdbm_clear_error(db_.get());
        return next;
    }

    [[noreturn]] void fail(std::string_view what) const {
        throw gdbm_error(
            fmt::format("gdbm: {} on {:?}: {}", what, path_, gdbm_db_strerror(db_.get())));
    }

    std::string path_;
    std::unique_ptr<std::remove_pointer_t<GDBM_FILE>, closer> db_;
    std::mutex mutex_;
};

}  // namespace dualstore::adapters
