#pragma once
/// \file
/// Forwards to `<dualstore/backfill/backfill.hpp>` (backfill), where it now lives; kept so
/// that existing includes still work.

#include <dualstore/backfill/backfill.hpp>
