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

    @property
    def probs(self) -> dict[str, float]:
        return {"negative": self.negative, "neutral": self.neutral, "positive": self.positive}


class Scorer(Protocol):
    """Anything that turns texts into `Score`s, in batches."""

    model_id: str
    model_version: str

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Score]:
        ...
