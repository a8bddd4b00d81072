"""Hypothesis profiles: bounded by default so CI stays fast; TANDEM_FUZZ=long runs longer."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow,
                                                       HealthCheck.data_too_large]}
settings.register_profile("tandem-default", max_examples=20, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("tandem-long", max_examples=400, **_COMMON)  # type: ignore[arg-type]
settings.load_profile("tandem-long" if os.environ.get("TANDEM_FUZZ") == "long"
                      else "tandem-default")
