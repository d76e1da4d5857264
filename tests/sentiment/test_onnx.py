"""The ONNX int8 backend: export works, and it is only switched on when agreement is measured."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from sentiment.hf import HFScorer
from sentiment.onnx_backend import (
    MANIFEST,
    attach_onnx,
    prepare_onnx,
    session_logits,
)

TEXTS = ["Pésimo servicio", "ok", "Adorei, entrega super rápida", "", "😡"]


@pytest.fixture(scope="module")
def exported(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("onnx")
    prepare_onnx(HFScorer(str(tiny_model)), out, TEXTS * 4)
    return out, json.loads((out / MANIFEST).read_text())


def test_fp32_export_matches_torch(tiny_model: Path, exported: tuple[Path, dict]) -> None:
    out, manifest = exported
    scorer = HFScorer(str(tiny_model))
    ids, mask = scorer._pad(scorer.encode(TEXTS))
    np.testing.assert_allclose(session_logits(out / manifest["fp32_path"])(ids, mask),
                               scorer._torch_logits(ids, mask), atol=1e-4)
    assert 0.0 <= manifest["agreement"] <= 1.0 and manifest["n_texts"] == 20


def test_gate_follows_measured_agreement(tiny_model: Path, exported: tuple[Path, dict]) -> None:
    out, manifest = exported
    for agreement, expected in ((0.5, False), (0.995, True)):
        (out / MANIFEST).write_text(json.dumps({**manifest, "agreement": agreement}))
        scorer = HFScorer(str(tiny_model))
        assert attach_onnx(scorer, out) is expected
        assert scorer.backend == ("onnx-int8" if expected else "torch")
        probs = scorer.predict_proba(TEXTS)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_manifest_for_another_model_version_is_ignored(
    tiny_model: Path, exported: tuple[Path, dict]
) -> None:
    out, manifest = exported
    (out / MANIFEST).write_text(json.dumps({**manifest, "agreement": 1.0,
                                            "model_version": "something-else"}))
    scorer = HFScorer(str(tiny_model))
    assert attach_onnx(scorer, out) is False


def test_missing_manifest_keeps_torch(tiny_model: Path, tmp_path: Path) -> None:
    scorer = HFScorer(str(tiny_model))
    assert attach_onnx(scorer, tmp_path) is False and scorer.backend == "torch"
