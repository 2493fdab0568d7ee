// Compiled, never linked (ctest: lazy_members). A file that includes the
// umbrella header compiles the members of the classes below only if it calls
// them: they are templates for that reason (their bodies were about a third
// of what the umbrella added to a file's compile, 39 of 111 MB of g++'s
// memory). Each line declares an
// explicit specialization of one such member, which the compiler rejects
// ("specialization after instantiation") once the umbrella has compiled
// that member, as a non-template use of one would.

#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/dualstore.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

template <>
dualstore::thread_pool& dualstore::default_thread_pool<void>();
template <>
void dualstore::thread_pool::execute(std::function<void()>);
template <>
void dualstore::memory_retry_queue::push(retry_entry);
template <>
std::optional<dualstore::lease> dualstore::memory_lease_lock::try_acquire(
    std::string_view, std::chrono::milliseconds);
template <>
dualstore::plan_report dualstore::backfill_plan::run();
template <>
void dualstore::detail::key_sample_builder::offer(std::uint64_t, std::string_view);
template <>
std::string dualstore::detail::recorded_by_migration<void>(stage);
