#pragma once
/// \file
/// Forwards to `<dualstore/kv_operations.hpp>` (get_op, put_op, insert_op, erase_op), where it now
/// lives; kept so that existing includes still work.

#include <dualstore/kv_operations.hpp>
