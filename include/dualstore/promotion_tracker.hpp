#pragma once
/// \file
/// Forwards to `<dualstore/reconcile/promotion_tracker.hpp>` (promotion_tracker), where it now
/// lives; kept so that existing includes still work.

#include <dualstore/reconcile/promotion_tracker.hpp>
