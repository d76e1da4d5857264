"""The scoring contract shared by every model: sentiment, and whether a mention needs a reply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, Label, Label] = ("negative", "neutral", "positive")

# What the brand must do with a mention: a complaint or a question needs an answer.
Category = Literal["complaint", "question", "praise", "other"]
CATEGORIES: tuple[Category, Category, Category, Category] = (
    "complaint", "question", "praise", "other")


@dataclass(frozen=True)
class Score:
    """One mention's sentiment and reply category, with enough provenance to audit or re-score.

    `complaint`, `question`, `praise` and `other` are calibrated probabilities that sum to 1;
    the escalation rule reads `complaint` (and `question` for the questions track).
    """

    label: Label
    confidence: float
    negative: float
    neutral: float
    positive: float
    lang: str | None
    model: str
    model_version: str
    category: Category = "other"
    complaint: float = 0.0
    question: float = 0.0
    praise: float = 0.0
    other: float = 1.0

    @classmethod
    def from_probs(
        cls, probs: Sequence[float], lang: str | None, model: str, model_version: str,
        categories: Sequence[float] | None = None,
    ) -> Score:
        """The score of one (negative, neutral, positive) probability row and, when the model
        has a reply head, its (complaint, question, praise, other) row.

        A sentiment-only model (a Hugging Face checkpoint) has no reply head: its categories
        are read off the sentiment (negative → complaint, positive → praise, neutral → other),
        the rule Vigía 1 escalated on, so such models keep working with the same threshold key.
        """
        best = max(range(3), key=lambda k: float(probs[k]))
        cats = categories_from_sentiment(probs) if categories is None else categories
        top = max(range(4), key=lambda k: float(cats[k]))
        return cls(
            label=LABELS[best],
            confidence=float(probs[best]),
            negative=float(probs[0]),
            neutral=float(probs[1]),
            positive=float(probs[2]),
            lang=lang,
            model=model,
            model_version=model_version,
            category=CATEGORIES[top],
            complaint=float(cats[0]),
            question=float(cats[1]),
            praise=float(cats[2]),
            other=float(cats[3]),
        )

    @property
    def probs(self) -> dict[str, float]:
        return {"negative": self.negative, "neutral": self.neutral, "positive": self.positive}

    @property
    def category_probs(self) -> dict[str, float]:
        return {"complaint": self.complaint, "question": self.question, "praise": self.praise,
                "other": self.other}


def categories_from_sentiment(probs: Sequence[float]) -> tuple[float, float, float, float]:
    """(complaint, question, praise, other) of a model that only knows sentiment."""
    return float(probs[0]), 0.0, float(probs[2]), float(probs[1])


class Scorer(Protocol):
    """Anything that turns texts into `Score`s, in batches."""

    model_id: str
    model_version: str

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Score]:
        ...
