"""The embedded, offline default model: hashed n-gram features and a linear layer in numpy."""

from __future__ import annotations

from sentiment.bundled.scorer import BUNDLED_MODEL_ID, DEFAULT_WEIGHTS, BundledScorer, LinearModel

__all__ = ["BUNDLED_MODEL_ID", "DEFAULT_WEIGHTS", "BundledScorer", "LinearModel"]
