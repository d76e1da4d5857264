"""Label-set normalisation: the mapping decides which mentions get escalated."""

from __future__ import annotations

import numpy as np
import pytest

from sentiment.labels import UnsupportedLabelsError, label_matrix


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "negative", 1: "neutral", 2: "positive"},
        {"0": "Neg", "1": "Neu", "2": "Pos"},
        {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"},
        {2: "Positive", 0: "Negative", 1: "Neutral"},
    ],
)
def test_three_class_sets_map_to_identity(id2label: dict) -> None:
    np.testing.assert_array_equal(label_matrix(id2label), np.eye(3))


def test_reordered_names_follow_the_names_not_the_ids() -> None:
    m = label_matrix({0: "positive", 1: "negative", 2: "neutral"})
    probs = np.array([[0.7, 0.2, 0.1]]) @ m
    np.testing.assert_allclose(probs, [[0.2, 0.1, 0.7]])


def test_five_stars_group_one_two_and_four_five() -> None:
    m = label_matrix({i: f"{i + 1} star{'s' if i else ''}" for i in range(5)})
    probs = np.array([[0.1, 0.2, 0.3, 0.15, 0.25]]) @ m
    np.testing.assert_allclose(probs, [[0.3, 0.3, 0.4]])


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "joy", 1: "anger", 2: "sadness"},
        {0: "LABEL_0", 1: "LABEL_1"},
        {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"},
        {0: "negative", 1: "positive"},
        {0: "negative", 2: "neutral", 3: "positive"},
    ],
)
def test_unknown_or_incomplete_sets_are_rejected(id2label: dict) -> None:
    with pytest.raises(UnsupportedLabelsError):
        label_matrix(id2label)
