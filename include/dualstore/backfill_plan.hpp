#pragma once
/// \file
/// Forwards to `<dualstore/backfill/plan.hpp>` (backfill_plan), where it now lives; kept so
/// that existing includes still work.

#include <dualstore/backfill/plan.hpp>
