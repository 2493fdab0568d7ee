// Compiled, never linked (ctest: lazy_members). A file that includes the
// umbrella header compiles the members of the classes below only if it calls
// them: they are templates for that reason (their bodies were about a third
// of what the umbrella added to a file's compile, 39 of 111 MB of g++'s
// memory). Each line declares an
// explicit specialization of one such member, which the compiler rejects
// ("specialization after instantiation") once the umbrella has compiled
// that member, as a non-template use of one would.

#include <dualstore/detail/entry_codec.hpp>
#include <dualstore/detail/key_sample_builder.hpp>
#include <dualstore/detail/lease_token.hpp>
#include <dualstore/detail/length_prefixed.hpp>
#include <dualstore/dualstore.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Functions that are templates of an unused parameter for the same reason.
template <>
std::vector<dualstore::partition> dualstore::split_at_keys(const std::vector<std::string>&);
template <>
std::vector<dualstore::partition> dualstore::split_by_hash(std::uint32_t);
template <>
dualstore::stage dualstore::parse_stage(std::string_view);
template <>
dualstore::stage dualstore::stage_from_env(const char*);
template <>
dualstore::stage dualstore::stage_from_env(const char*, stage);
template <>
dualstore::stage dualstore::detail::stage_gate::change(stage);
template <>
std::string dualstore::detail::encode_entry(const retry_entry&);
template <>
dualstore::retry_entry dualstore::detail::decode_entry(std::string_view, std::string_view);
template <>
std::string_view dualstore::detail::byte_reader::take(std::size_t);
template <>
dualstore::dead_letter dualstore::detail::dead_letter_of(std::string, std::string, std::string);
template <>
void dualstore::detail::put_field(std::string&, const std::optional<std::string>&);
template <>
bool dualstore::detail::take_field(std::string_view&, std::optional<std::string>&);
template <>
std::string dualstore::detail::reconcile_checkpoint::encode() const;
template <>
std::string dualstore::detail::new_entry_id(queue_clock::time_point);
template <>
std::string dualstore::detail::new_lease_token();
