"""The shipped model: present, small, fast to load, calibrated-ish, and accurate on UMSAB val."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from sentiment import scorer_for_model
from sentiment.bundled import BUNDLED_MODEL_ID, DEFAULT_WEIGHTS, BundledScorer
from sentiment.evaluation import evaluate, load_split


@pytest.fixture(scope="module")
def scorer() -> BundledScorer:
    return BundledScorer()


def test_weights_are_shipped_small_and_load_fast() -> None:
    assert DEFAULT_WEIGHTS.exists()
    assert DEFAULT_WEIGHTS.stat().st_size <= 25 * 1024 * 1024
    start = time.perf_counter()
    BundledScorer()
    assert time.perf_counter() - start < 2.0


def test_factory_default_is_bundled_and_versioned(scorer: BundledScorer) -> None:
    via_factory = scorer_for_model("bundled")
    assert isinstance(via_factory, BundledScorer)
    (score,) = via_factory.score(["hola"], ["es"])
    assert score.model == BUNDLED_MODEL_ID
    assert score.model_version == scorer.model_version
    assert len(score.model_version.split("+")[-1]) == 12


def test_probabilities_sum_to_one_for_odd_inputs(scorer: BundledScorer) -> None:
    texts = ["", "😡😡😡", "x" * 10_000, "@user http", "ok", "Pésimo"]
    scores = scorer.score(texts, ["es", None, "en", "und", "pt-BR", "zz"])
    assert [s.lang for s in scores] == ["es", None, "en", None, "pt", "zz"]
    for s in scores:
        assert sum(s.probs.values()) == pytest.approx(1.0, abs=1e-5)
        assert 1 / 3 - 1e-6 <= s.confidence <= 1.0
        assert s.confidence == max(s.probs.values())


def test_batch_scores_equal_single_scores(scorer: BundledScorer) -> None:
    texts = ["Mi pedido no llegó", "Gracias!", "Qué tal"]
    batch = [s.probs for s in scorer.score(texts, ["es"] * 3)]
    single = [scorer.score([t], ["es"])[0].probs for t in texts]
    for a, b in zip(batch, single, strict=True):
        assert a == pytest.approx(b, abs=1e-6)


def test_empty_input_and_mismatched_languages(scorer: BundledScorer) -> None:
    assert scorer.score([]) == []
    with pytest.raises(ValueError):
        scorer.score(["a", "b"], ["es"])


def test_throughput_on_one_process(scorer: BundledScorer) -> None:
    texts = ["Mi pedido llegó roto y nadie responde, qué desastre de servicio @user"] * 2000
    start = time.perf_counter()
    scorer.score(texts, ["es"] * len(texts))
    rate = len(texts) / (time.perf_counter() - start)
    assert rate >= 500, f"{rate:.0f} mentions/s (target >= 1,000 on an idle 2-core machine)"


def test_val_macro_f1_meets_targets(scorer: BundledScorer, umsab_dir: Path) -> None:
    report = evaluate(scorer, load_split(umsab_dir, "val"))
    by_lang = report.by_language()
    assert len(by_lang) == 8
    assert report.mean_macro_f1 >= 0.55, report.format_table()
    assert by_lang["spanish"].macro_f1 >= 0.55, report.format_table()


def test_confidence_is_roughly_calibrated_on_val(scorer: BundledScorer, umsab_dir: Path) -> None:
    splits = load_split(umsab_dir, "val")
    conf, right = [], []
    for split in splits:
        for score, gold in zip(scorer.score(split.texts, [split.lang] * len(split.texts)),
                               split.labels, strict=True):
            conf.append(score.confidence)
            right.append(["negative", "neutral", "positive"].index(score.label) == gold)
    # Mean confidence should track accuracy (temperature was fitted on val for this).
    assert abs(float(np.mean(conf)) - float(np.mean(right))) < 0.05
