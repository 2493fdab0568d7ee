#pragma once
/// \file
/// Forwards to `<dualstore/repair/drain.hpp>` (drain), where it now lives; kept so
/// that existing includes still work.

#include <dualstore/repair/drain.hpp>
