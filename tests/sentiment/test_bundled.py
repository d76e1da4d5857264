"""The shipped models: present, offline, calibrated, accurate on UMSAB val, with a fallback.

Speed, load time and memory are measured in bench/sentiment_bench.py (docs/BENCHMARKS.md),
not asserted here.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sentiment import scorer_for_model
from sentiment.base import CATEGORIES, LABELS, Score
from sentiment.bundled import (
    BUNDLED_MODEL_ID,
    DEFAULT_WEIGHTS,
    FAST_MODEL_ID,
    FAST_WEIGHTS,
    BundledScorer,
    default_scorer,
    fast_scorer,
)
from sentiment.encoders import EncoderUnavailable
from sentiment.evaluation import evaluate, load_split, macro_f1


@pytest.fixture(scope="module")
def scorer() -> BundledScorer:
    return BundledScorer()


@pytest.fixture(scope="module")
def fast() -> BundledScorer:
    return fast_scorer()


def test_weights_are_shipped_and_small() -> None:
    for path in (DEFAULT_WEIGHTS, FAST_WEIGHTS):
        assert path.exists()
        assert path.stat().st_size <= 25 * 1024 * 1024


def test_factory_names_and_versions(scorer: BundledScorer, fast: BundledScorer) -> None:
    via_factory = scorer_for_model("bundled")
    (score,) = via_factory.score(["hola"], ["es"])
    assert score.model == BUNDLED_MODEL_ID and score.model_version == scorer.model_version
    assert score.model_version.startswith("2.") and len(score.model_version.split("+")[-1]) == 12
    (quick,) = scorer_for_model("bundled-fast").score(["hola"], ["es"])
    assert quick.model == FAST_MODEL_ID and quick.model_version == fast.model_version
    assert scorer.pair.encoders == ("use-m3", "e5-small-q4") and fast.pair.encoders == ()


@pytest.mark.parametrize("which", ["scorer", "fast"])
def test_probabilities_sum_to_one_for_odd_inputs(which: str,
                                                 request: pytest.FixtureRequest) -> None:
    model: BundledScorer = request.getfixturevalue(which)
    texts = ["", "😡😡😡", "x" * 10_000, "@user http", "ok", "Pésimo"]
    scores = model.score(texts, ["es", None, "en", "und", "pt-BR", "zz"])
    assert [s.lang for s in scores] == ["es", None, "en", None, "pt", "zz"]
    for s in scores:
        assert sum(s.probs.values()) == pytest.approx(1.0, abs=1e-5)
        assert sum(s.category_probs.values()) == pytest.approx(1.0, abs=1e-5)
        assert s.confidence == max(s.probs.values())
        assert s.category == max(CATEGORIES, key=lambda c: s.category_probs[c])


def test_batch_scores_equal_single_scores(scorer: BundledScorer) -> None:
    texts = ["Mi pedido no llegó", "Gracias!", "¿Hacen envíos a Chile?"]
    batch = scorer.score(texts, ["es"] * 3)
    single = [scorer.score([t], ["es"])[0] for t in texts]
    for a, b in zip(batch, single, strict=True):
        assert a.probs == pytest.approx(b.probs, abs=1e-5)
        assert a.category_probs == pytest.approx(b.category_probs, abs=1e-5)


def test_empty_input_and_mismatched_languages(scorer: BundledScorer) -> None:
    assert scorer.score([]) == []
    with pytest.raises(ValueError):
        scorer.score(["a", "b"], ["es"])


def test_loads_and_scores_with_the_network_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """Weights come from the package and the encoders' own packages, never from a hub."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    offline = BundledScorer()
    (score,) = offline.score(["Me cobraron dos veces y nadie responde"], ["es"])
    assert score.category == "complaint"


def test_a_missing_encoder_falls_back_to_the_fast_model_and_says_so(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def unavailable(name: str, threads: int | None = None) -> None:
        raise EncoderUnavailable(f"the package for {name} is not installed (simulated)")

    monkeypatch.setattr("sentiment.bundled.scorer.load_encoder", unavailable)
    with caplog.at_level(logging.WARNING):
        model = default_scorer()
    assert model.model_id == FAST_MODEL_ID
    assert "bundled-fast" in caplog.text and "simulated" in caplog.text
    (score,) = model.score(["My parcel is missing, help!"], ["en"])
    assert score.model == FAST_MODEL_ID


@pytest.fixture(scope="module")
def val_scores(scorer: BundledScorer, umsab_dir: Path) -> list[tuple[str, list[Score], Any]]:
    """The default model's scores of UMSAB val, computed once (the encoders are the slow part)."""
    return [(s.language, scorer.score(s.texts, [s.lang] * len(s.texts)), s.labels)
            for s in load_split(umsab_dir, "val")]


def test_default_model_val_macro_f1(val_scores: list[tuple[str, list[Score], Any]]) -> None:
    f1 = {language: macro_f1(np.asarray(gold), np.array([LABELS.index(s.label) for s in scores]))
          for language, scores, gold in val_scores}
    assert len(f1) == 8
    assert float(np.mean(list(f1.values()))) >= 0.60, f1
    assert f1["spanish"] >= 0.60, f1


def test_fast_model_val_macro_f1(fast: BundledScorer, umsab_dir: Path) -> None:
    report = evaluate(fast, load_split(umsab_dir, "val"))
    assert report.mean_macro_f1 >= 0.57, report.format_table()


def test_sentiment_confidence_is_calibrated_on_val(
        val_scores: list[tuple[str, list[Score], Any]]) -> None:
    conf = [s.confidence for _, scores, _ in val_scores for s in scores]
    right = [LABELS.index(s.label) == g for _, scores, gold in val_scores
             for s, g in zip(scores, gold, strict=True)]
    assert abs(float(np.mean(conf)) - float(np.mean(right))) < 0.05
