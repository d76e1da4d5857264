"""Sentiment scoring for mentions: the bundled offline model or any Hugging Face classifier.

The rest of the app uses only `load_scorer(settings)` and the `Scorer` / `Score` types. Heavy
imports (torch, transformers, onnxruntime) happen inside `load_scorer`, so the bundled default
starts in well under a second and works where torch is not installed.
"""

from __future__ import annotations

from sentiment.base import LABELS, Label, Score, Scorer
from sentiment.factory import load_scorer, scorer_for_model

__all__ = ["LABELS", "Label", "Score", "Scorer", "load_scorer", "scorer_for_model"]
