#pragma once
/// \file
/// Forwards to `<dualstore/repair/repair_key.hpp>` (repair_key), where it now lives; kept so
/// that existing includes still work.

#include <dualstore/repair/repair_key.hpp>
