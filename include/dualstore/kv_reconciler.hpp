#pragma once
/// \file
/// Forwards to `<dualstore/reconcile/kv_reconciler.hpp>` (kv_reconciler), where it now lives; kept
/// so that existing includes still work.

#include <dualstore/reconcile/kv_reconciler.hpp>
