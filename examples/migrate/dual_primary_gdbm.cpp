// Dual-primary writes with rollback over GDBM.
//
// Both stores must take every write: when the second fails, the first is
// restored to its prior state (value or absence) and the caller gets
// `rolled_back`, with the cause nested. The stores here are two GDBM files.

#include <dualstore/adapters/gdbm.hpp>
#include <dualstore/dualstore.hpp>
#include <dualstore/testing/faulty.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace ds = dualstore;

int main() {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("dualstore-dual-primary-{}", ::getpid());
    std::filesystem::create_directories(dir);
    int status = EXIT_FAILURE;
    {
        ds::adapters::gdbm_store ledger_a((dir / "a.gdbm").string());
        ds::adapters::gdbm_store ledger_b_file((dir / "b.gdbm").string());
        ds::testing::faulty ledger_b{ledger_b_file};
        ds::dual_store ledgers{ledger_a, ledger_b, ds::write::dual_primary{}, ds::rollback::snapshot{}};

        ledgers.put("account:7", "balance=100");
        fmt::print("both hold account:7 = {}\n", ledger_b_file.get("account:7").value_or("<none>"));

        ledger_b.fail_next(1, ds::testing::fault_on::writes);
        try {
            ledgers.put("account:7", "balance=250");
        } catch (const ds::rolled_back& e) {
            fmt::print("rolled back: {}\n", e.what());
        }
        try {
            ledger_b.fail_next(1, ds::testing::fault_on::writes);
            ledgers.put("account:8", "balance=5");  // a new key: the restore erases it
        } catch (const ds::rolled_back&) {
        }
        const auto a7 = ledger_a.get("account:7");
        fmt::print("ledger A: account:7 = {}, account:8 {}\n", a7.value_or("<none>"),
                   ledger_a.get("account:8") ? "present" : "absent");
        status = a7 == "balance=100" && !ledger_a.get("account:8") ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    std::filesystem::remove_all(dir);
    return status;
}
