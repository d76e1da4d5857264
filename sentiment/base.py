"""The scoring contract shared by the bundled model and any Hugging Face model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, Label, Label] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Score:
    """One mention's sentiment, with enough provenance to audit or re-score later."""

    label: Label
    confidence: float
    negative: float
    neutral: float
    positive: float
    lang: str | None
    model: str
    model_version: str

    @classmethod
    def from_probs(
        cls, probs: Sequence[float], lang: str | None, model: str, model_version: str
    ) -> Score:
        """The score of one (negative, neutral, positive) probability row: every scorer
        turns its model output into a `Score` the same way."""
        best = max(range(3), key=lambda k: float(probs[k]))
        return cls(
            label=LABELS[best],
            confidence=float(probs[best]),
            negative=float(probs[0]),
            neutral=float(probs[1]),
            positive=float(probs[2]),
            lang=lang,
            model=model,
            model_version=model_version,
        )

    @property
    def probs(self) -> dict[str, float]:
        return {"negative": self.negative, "neutral": self.neutral, "positive": self.positive}


class Scorer(Protocol):
    """Anything that turns texts into `Score`s, in batches."""

    model_id: str
    model_version: str

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Score]:
        ...
