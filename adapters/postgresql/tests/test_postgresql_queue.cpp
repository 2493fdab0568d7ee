// postgresql_retry_queue against the live server: the queue conformance
// suite (two drainers as two connections, a drainer killed mid-batch, a
// drain through it, an undecodable row), a bad DSN that names no password,
// and four drainer processes with one SIGKILLed mid-batch.

#include "server.hpp"
#include "support.hpp"

#include <dualstore/adapters/postgresql.hpp>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <optional>
#include <string_view>
#include <vector>

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
    void store_undecodable(const std::string& id, const std::string& bytes) const {
        std::string hex;
        for (const unsigned char byte : bytes) hex += fmt::format("{:02x}", byte);
        ds::adapters::postgresql_connection raw(server_dsn());
        raw.exec(fmt::format("INSERT INTO \"{}\" (id, due, body) VALUES ('{}', 0, '\\x{}'::bytea)",
                             table, id, hex),
                 "insert an undecodable row");
    }
};

static_assert(ds::retry_queue<queue_type>);
}  // namespace

using queue_makers = std::tuple<postgresql_queue_maker>;
#include "conformance/queue_conformance.hpp"

TEST_CASE("postgresql queue: a server that refuses names the cause, never the password",
          "[postgresql][queue][errors]") {
    CHECK_THROWS_WITH(
        queue_type("postgresql://dualstore:s3cret@127.0.0.1:1/none",
                   ds::adapters::postgresql_queue_options{
                       .limits = {.connect_timeout = std::chrono::seconds(2)}}),
        !Catch::Matchers::Contains("s3cret") && Catch::Matchers::Contains("postgresql"));
}

TEST_CASE(
    "postgresql queue: four drainer processes, one SIGKILLed mid-batch: every entry is "
    "acknowledged once, the dead one's after its claim lapses",
    "[postgresql][queue][processes]") {
    postgresql_queue_maker maker;
    constexpr int entries = 200;
    {
        auto producer = maker.make();
        for (int i = 0; i < entries; ++i) {
            producer->push(queue_conformance::entry_for(fmt::format("{:03}", i)));
        }
    }
    // Each drainer records the keys it acknowledged in a table whose primary
    // key refuses a second acknowledgement of one key.
    const auto acked = maker.table + "_acked";
    ds::adapters::postgresql_connection admin(server_dsn());
    admin.exec(fmt::format("CREATE TABLE \"{}\" (key bytea PRIMARY KEY, pid int8)", acked),
               "create acked table");

    // The drainer to be killed takes one batch, says so through a pipe and
    // stops mid-batch; then three more start and it is SIGKILLed while they drain.
    int taken_pipe[2];
    REQUIRE(::pipe(taken_pipe) == 0);
    const pid_t victim = fork();
    REQUIRE(victim >= 0);
    if (victim == 0) {
        try {
            auto queue = maker.make();
            const auto batch = queue->take(9, queue_conformance::t0);
            const char taken = batch.size() == 9 ? 'y' : 'n';
            if (::write(taken_pipe[1], &taken, 1) != 1) _exit(1);
            for (;;) ::pause();  // holds its claims until killed
        } catch (...) {
            _exit(1);
        }
    }
    char taken = 0;
    REQUIRE(::read(taken_pipe[0], &taken, 1) == 1);
    CHECK(taken == 'y');

    std::vector<pid_t> drainers;
    for (int d = 0; d < 3; ++d) {
        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            int status = 0;
            try {
                auto queue = maker.make();
                ds::adapters::postgresql_connection out(server_dsn());
                out.prepare("acked",
                            fmt::format("INSERT INTO \"{}\" (key, pid) VALUES ($1, $2)", acked), 2);
                const auto pid = ds::adapters::postgresql_connection::int8(::getpid());
                for (;;) {
                    const auto batch = queue->take(9, queue_conformance::t0);
                    if (batch.empty()) break;
                    for (const auto& e : batch) {
                        const std::array<std::optional<std::string_view>, 2> p{e.key, pid};
                        out.run("acked", p, "record an acknowledgement");
                        queue->ack(e);
                    }
                }
            } catch (...) {
                status = 1;
            }
            _exit(status);
        }
        drainers.push_back(child);
    }
    REQUIRE(::kill(victim, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(victim, &status, 0) == victim);
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
    for (const pid_t child : drainers) {
        REQUIRE(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    ::close(taken_pipe[0]);
    ::close(taken_pipe[1]);

    // The killed drainer's batch is still claimed; once the claim lapses a
    // new drainer takes it, and nothing else.
    auto queue = maker.make();
    const auto left = queue->size();
    CHECK(left == 9);
    CHECK(queue->take(100, queue_conformance::t0 + std::chrono::minutes(1)).empty());
    const auto back = queue->take(100, queue_conformance::t0 + std::chrono::minutes(6));
    CHECK(back.size() == left);
    admin.prepare("was_acked",
                  fmt::format("SELECT count(*)::int8 FROM \"{}\" WHERE key = $1", acked), 1);
    for (const auto& e : back) {
        const std::array<std::optional<std::string_view>, 1> p{e.key};
        const auto r = admin.run("was_acked", p, "check an acknowledgement");
        CHECK(ds::adapters::postgresql_connection::int8_at(r.get(), 0, 0) == 0);
        queue->ack(e);
    }
    CHECK(queue->size() == 0);
    admin.prepare("acked_count", fmt::format("SELECT count(*)::int8 FROM \"{}\"", acked), 0);
    const auto total = admin.run("acked_count", {}, "count acknowledgements");
    CHECK(ds::adapters::postgresql_connection::int8_at(total.get(), 0, 0) + back.size() ==
          static_cast<std::int64_t>(entries));
}
