#pragma once
/// \file
/// Forwards to `<dualstore/reconcile/reconciler.hpp>` (the reconciler concepts), where it now
/// lives; kept so that existing includes still work.

#include <dualstore/reconcile/reconciler.hpp>
