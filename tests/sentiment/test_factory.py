"""`load_scorer` with the app's real settings type, and `vigia model pull` without a network."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli.sentiment_commands import model_group
from monitor.config import SentimentSettings
from sentiment import load_scorer
from sentiment.bundled import BundledScorer
from sentiment.hf import HFScorer


def test_default_settings_give_the_bundled_model() -> None:
    assert isinstance(load_scorer(SentimentSettings()), BundledScorer)


def test_hf_settings_are_honoured(tiny_model: Path) -> None:
    settings = SentimentSettings(model=str(tiny_model), device="cpu", batch_size=7,
                                 max_length=20, backend="onnx")
    scorer = load_scorer(settings)
    assert isinstance(scorer, HFScorer)
    assert (scorer.batch_size, scorer.max_length, scorer.device.type) == (7, 20, "cpu")
    assert scorer.backend == "torch"  # no measured ONNX manifest yet: stays on torch


def test_cuda_without_gpu_is_a_clear_error(tiny_model: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        load_scorer(SentimentSettings(model=str(tiny_model), device="cuda"))


def test_model_pull_uses_snapshot_download(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fake_download(repo_id: str, revision: str | None = None) -> str:
        calls.append(repo_id)
        return str(tiny_model)

    monkeypatch.setattr("huggingface_hub.snapshot_download", fake_download)
    result = CliRunner().invoke(model_group, ["pull", "acme/sentiment"])
    assert result.exit_code == 0, result.output
    assert calls == ["acme/sentiment"] and str(tiny_model) in result.output


def test_model_pull_failure_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(repo_id: str, revision: str | None = None) -> str:
        raise OSError("network unreachable")

    monkeypatch.setattr("huggingface_hub.snapshot_download", failing)
    result = CliRunner().invoke(model_group, ["pull", "acme/sentiment"])
    assert result.exit_code != 0 and "network unreachable" in result.output
