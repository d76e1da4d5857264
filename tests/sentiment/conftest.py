"""Shared fixtures: the UMSAB folder (when present) and tiny random XLM-R models on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
UMSAB = REPO_ROOT.parent / "shared" / "data" / "umsab"

TOKENIZER_TEXTS = [
    "Pésimo servicio, mi pedido nunca llegó",
    "Worst customer service ever, still no refund 😡",
    "Adorei, entrega super rápida!! 😍",
    "@user the package arrived today http",
    "Mi pedido llegó roto y nadie responde",
    "Produto chegou quebrado e ninguém responde",
    "Excelente atención, gracias",
    "ok",
] * 20
TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 64}


@pytest.fixture(scope="session")
def umsab_dir() -> Path:
    """The UMSAB train/val folder, or a skip that says where it was looked for."""
    if not (UMSAB / "spanish" / "val_text.txt").exists():
        pytest.skip(f"UMSAB data not found at {UMSAB} (expected ../shared/data/umsab)")
    return UMSAB


def _build_tiny(path: Path, id2label: dict[int, str] | None = None) -> Path:
    from sentiment.training.toy_models import build_random_xlmr

    # A wide initialisation makes the random model's outputs depend on its input, so tests on
    # ordering and batching can tell texts apart.
    return build_random_xlmr(path, TOKENIZER_TEXTS, id2label=id2label, vocab_size=300,
                             initializer_range=0.5, **TINY)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_tiny(tmp_path_factory.mktemp("tiny-3class"))


@pytest.fixture(scope="session")
def tiny_star_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stars = {i: f"{i + 1} star" + ("s" if i else "") for i in range(5)}
    return _build_tiny(tmp_path_factory.mktemp("tiny-5star"), stars)


@pytest.fixture(scope="session")
def build_tiny() -> Callable[[Path, dict[int, str] | None], Path]:
    """Builder for extra tiny models with a chosen label set."""
    return _build_tiny
