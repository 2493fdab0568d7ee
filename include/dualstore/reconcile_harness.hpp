#pragma once
/// \file
/// Forwards to `<dualstore/reconcile/harness.hpp>` (reconcile_harness), where it now lives; kept so
/// that existing includes still work.

#include <dualstore/reconcile/harness.hpp>
