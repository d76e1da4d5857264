"""The embedded, offline models: n-gram and sentence-encoder features, linear heads in numpy."""

from __future__ import annotations

from sentiment.bundled.scorer import (
    BUNDLED_MODEL_ID,
    DEFAULT_WEIGHTS,
    FAST_MODEL_ID,
    FAST_WEIGHTS,
    BundledScorer,
    default_scorer,
    fast_scorer,
)

__all__ = ["BUNDLED_MODEL_ID", "DEFAULT_WEIGHTS", "FAST_MODEL_ID", "FAST_WEIGHTS",
           "BundledScorer", "default_scorer", "fast_scorer"]
