"""The transformers path against tiny random XLM-R models saved to disk (no hub access)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sentiment import scorer_for_model
from sentiment.hf import HFScorer, ModelNotAvailableError
from sentiment.labels import UnsupportedLabelsError

TEXTS = [
    "Pésimo servicio, mi pedido nunca llegó",
    "ok",
    "Worst customer service ever, still no refund, I have written to @acme five times",
    "",
    "😡😡😡",
    "Adorei, entrega super rápida",
]


def test_loads_local_folder_through_the_factory(tiny_model: Path) -> None:
    scorer = scorer_for_model(str(tiny_model))
    assert isinstance(scorer, HFScorer)
    scores = scorer.score(TEXTS)
    assert len(scores) == len(TEXTS)
    for s in scores:
        assert s.label in ("negative", "neutral", "positive")
        assert sum(s.probs.values()) == pytest.approx(1.0, abs=1e-5)
        assert s.confidence == pytest.approx(max(s.probs.values()))
        assert s.model == str(tiny_model) and s.model_version


def test_bucketing_and_batch_size_do_not_change_results(tiny_model: Path) -> None:
    batched = HFScorer(str(tiny_model), batch_size=4).predict_proba(TEXTS * 3)
    unsorted = HFScorer(str(tiny_model), batch_size=4).predict_proba(TEXTS * 3, sort=False)
    single = HFScorer(str(tiny_model), batch_size=1).predict_proba(TEXTS * 3)
    assert np.ptp(single, axis=0).max() > 1e-3, "precondition: outputs must differ per text"
    np.testing.assert_allclose(batched, single, atol=1e-4)
    np.testing.assert_allclose(unsorted, single, atol=1e-4)


def test_pool_boundaries_keep_input_order(tiny_model: Path) -> None:
    scorer = HFScorer(str(tiny_model), batch_size=3)
    whole = scorer.predict_proba(TEXTS * 2)
    scorer.pool_size = 5  # forces several pools that do not align with batches
    np.testing.assert_allclose(scorer.predict_proba(TEXTS * 2), whole, atol=1e-5)


def test_ten_thousand_characters_are_truncated(tiny_model: Path) -> None:
    scorer = HFScorer(str(tiny_model), max_length=16)
    long_text = "servicio pésimo " * 625
    assert len(long_text) == 10_000
    assert len(scorer.encode([long_text])[0]) == 16
    (score,) = scorer.score([long_text])
    assert sum(score.probs.values()) == pytest.approx(1.0, abs=1e-5)


def test_masking_is_applied_before_tokenising(tiny_model: Path) -> None:
    scorer = HFScorer(str(tiny_model))
    assert scorer.encode(["@acme_support see https://t.co/xyz"]) == scorer.encode(
        ["@user see http"]
    )


def test_five_star_model_sums_star_probabilities(tiny_star_model: Path) -> None:
    scorer = HFScorer(str(tiny_star_model))
    assert scorer.label_map.shape == (5, 3)
    probs = scorer.predict_proba(TEXTS)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    with_stars = scorer._logits(*scorer._pad(scorer.encode(TEXTS[:1])))
    p = np.exp(with_stars - with_stars.max()) / np.exp(with_stars - with_stars.max()).sum()
    assert probs[0, 0] == pytest.approx(p[0, 0] + p[0, 1], abs=1e-5)
    assert probs[0, 1] == pytest.approx(p[0, 2], abs=1e-5)
    assert probs[0, 2] == pytest.approx(p[0, 3] + p[0, 4], abs=1e-5)


def test_unknown_label_set_is_a_clear_error(tmp_path: Path, build_tiny: Callable) -> None:
    path = build_tiny(tmp_path / "emotions", {0: "joy", 1: "anger", 2: "sadness"})
    with pytest.raises(UnsupportedLabelsError, match="joy"):
        HFScorer(str(path))


def test_languages_are_normalised_and_length_checked(tiny_model: Path) -> None:
    scorer = HFScorer(str(tiny_model))
    assert [s.lang for s in scorer.score(["a", "b", "c"], ["es-ES", "und", None])] == [
        "es", None, None,
    ]
    with pytest.raises(ValueError, match="2 languages"):
        scorer.score(["a", "b", "c"], ["es", "en"])


def test_missing_model_names_the_pull_command(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailableError, match="vigia model pull"):
        HFScorer("nobody/does-not-exist-xyz")
