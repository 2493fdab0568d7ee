#pragma once
/// \file
/// `testing::call_kind`, the name the test doubles first gave to
/// `dualstore::call_kind` (now in `<dualstore/call_kind.hpp>`).

#include <dualstore/call_kind.hpp>

namespace dualstore::testing {

using dualstore::call_kind;
using dualstore::is_write;
using dualstore::to_string;

}  // namespace dualstore::testing
