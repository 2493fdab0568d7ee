// postgresql_retry_queue against the live server: the queue conformance
// suite (two drainers as two connections, a drainer killed mid-batch), an
// undecodable row dead-lettered, and a bad DSN that names no password.

#include "server.hpp"
#include "support.hpp"

#include <dualstore/adapters/postgresql.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>

#include <unistd.h>

namespace {
using queue_type = ds::adapters::postgresql_retry_queue;

std::string server_dsn() {
    return postgresql_server::dsn();
}

struct postgresql_queue_maker {
    using queue = queue_type;
    static constexpr bool shared_backing = true;  // two connections, one table
    std::string table = postgresql_server::fresh_table("q");
    std::unique_ptr<queue> make() {
        return std::make_unique<queue>(server_dsn(),
                                       ds::adapters::postgresql_queue_options{.table = table});
    }
};

static_assert(ds::retry_queue<queue_type>);
}  // namespace

using queue_makers = std::tuple<postgresql_queue_maker>;
#include "conformance/queue_conformance.hpp"

TEST_CASE("postgresql queue: a row that does not decode is dead-lettered with the reason",
          "[postgresql][queue]") {
    postgresql_queue_maker maker;
    auto queue = maker.make();
    queue->push(queue_conformance::entry_for("good"));
    {
        ds::adapters::postgresql_connection raw(server_dsn());
        raw.exec(fmt::format("INSERT INTO \"{}\" (id, due, body) VALUES ('0bad', 0, "
                             "'\\x00ff'::bytea)",
                             maker.table),
                 "insert a bad row");
    }
    const auto taken = queue->take(10, queue_conformance::t0);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].key == "good");
    const auto dead = queue->dead_letters();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].id == "0bad");
    CHECK_FALSE(dead[0].entry);
    CHECK(dead[0].raw == std::string("\0\xff", 2));
    CHECK_THAT(dead[0].reason, Catch::Matchers::Contains("DSQ"));
    CHECK(queue->size() == 1);  // "good", claimed, not yet acknowledged
}

TEST_CASE("postgresql queue: a server that refuses names the cause, never the password",
          "[postgresql][queue][errors]") {
    CHECK_THROWS_WITH(
        queue_type("postgresql://dualstore:s3cret@127.0.0.1:1/none",
                   ds::adapters::postgresql_queue_options{
                       .limits = {.connect_timeout = std::chrono::seconds(2)}}),
        !Catch::Matchers::Contains("s3cret") && Catch::Matchers::Contains("postgresql"));
}
