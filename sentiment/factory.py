"""Build the configured `Scorer`: "bundled", "bundled-fast", a local folder, or a hub id."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sentiment.base import Scorer

if TYPE_CHECKING:
    from monitor.config import SentimentSettings

log = logging.getLogger(__name__)
BUNDLED = "bundled"
BUNDLED_FAST = "bundled-fast"


class _Settings(Protocol):
    """The fields of `monitor.config.SentimentSettings` this package reads (keeps us decoupled)."""

    model: str
    backend: str
    device: str
    batch_size: int
    max_length: int


@dataclass(frozen=True)
class ScorerSettings:
    """Stand-alone defaults identical to `SentimentSettings`, for use without config.toml."""

    model: str = BUNDLED
    backend: str = "torch"
    device: str = "auto"
    batch_size: int = 32
    max_length: int = 128


def load_scorer(settings: SentimentSettings | _Settings | ScorerSettings) -> Scorer:
    """The scorer described by `[sentiment]` in config.toml; never downloads anything."""
    if settings.model == BUNDLED:
        from sentiment.bundled import default_scorer

        return default_scorer(getattr(settings, "threads", None))
    if settings.model == BUNDLED_FAST:
        from sentiment.bundled import fast_scorer

        return fast_scorer()
    from sentiment.hf import HFScorer

    scorer = HFScorer(
        settings.model,
        device=settings.device,
        batch_size=settings.batch_size,
        max_length=settings.max_length,
    )
    if settings.backend == "onnx":
        if scorer.device.type != "cpu":
            log.info("sentiment.backend = 'onnx' is for CPUs; using torch on %s", scorer.device)
        else:
            from sentiment.onnx_backend import attach_onnx

            attach_onnx(scorer)
    return scorer


def scorer_for_model(model: str, **overrides: str | int) -> Scorer:
    """Same as `load_scorer` without a config file (CLI `--model`, benchmarks)."""
    return load_scorer(ScorerSettings(model=model, **overrides))  # type: ignore[arg-type]
