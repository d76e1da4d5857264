"""Map any supported Hugging Face label set onto negative / neutral / positive.

A model's `config.id2label` is the only trustworthy description of its output. Guessing an order
for an unknown label set would silently swap "negative" and "positive" for some model, which for
a complaint monitor is the worst possible failure, so unknown sets are an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from sentiment.base import LABELS

_THREE = {
    "negative": 0, "neg": 0, "neutral": 1, "neu": 1, "positive": 2, "pos": 2,
}
_STAR = re.compile(r"^([1-5])\s*stars?$")
_GENERIC = re.compile(r"^label_(\d+)$")
# 1-2 stars are complaints, 3 is lukewarm, 4-5 are praise (the usual review convention).
_STAR_CLASS = {1: 0, 2: 0, 3: 1, 4: 2, 5: 2}


class UnsupportedLabelsError(ValueError):
    """The model's labels cannot be mapped to negative/neutral/positive without guessing."""


def label_matrix(id2label: Mapping[int | str, str]) -> np.ndarray:
    """(n_model_labels, 3) 0/1 matrix: model probabilities @ matrix = our three probabilities.

    Summing probabilities (rather than taking the argmax label and mapping it) keeps 5-star
    models calibrated: P(negative) = P(1 star) + P(2 stars).
    """
    items = sorted((int(k), str(v).strip().lower()) for k, v in id2label.items())
    ids = [k for k, _ in items]
    if ids != list(range(len(ids))):
        raise UnsupportedLabelsError(f"label ids must be 0..n-1, got {ids}")
    names = [v for _, v in items]
    stars = [_STAR.match(n) for n in names]
    generic = [_GENERIC.match(n) for n in names]
    target: list[int]
    if all(n in _THREE for n in names):
        target = [_THREE[n] for n in names]
    elif all(stars):
        target = [_STAR_CLASS[int(m.group(1))] for m in stars if m]
    elif len(names) == 3 and [int(m.group(1)) for m in generic if m] == [0, 1, 2]:
        target = [0, 1, 2]  # LABEL_0..2: the TweetEval/UMSAB order negative, neutral, positive
    else:
        raise UnsupportedLabelsError(
            f"cannot map labels {names} to negative/neutral/positive; supported: "
            "3-class sentiment (negative/neutral/positive, Neg/Neu/Pos, LABEL_0..LABEL_2) "
            "or 5-star ratings ('1 star'..'5 stars')"
        )
    if sorted(set(target)) != [0, 1, 2]:
        raise UnsupportedLabelsError(
            f"labels {names} do not cover all of {list(LABELS)}"
        )
    matrix = np.zeros((len(names), 3), dtype=np.float32)
    matrix[np.arange(len(names)), target] = 1.0
    return matrix
