"""Run-time half of the bundled model: load an `.npz`, score in numpy, no scikit-learn.

The weights file holds everything needed to reproduce a prediction: the feature configuration,
the idf vector, the weight matrix, the bias and the calibration temperature. Its SHA-256 prefix
is the model version written into every `Score`, so a stored score can be traced to the exact
file that produced it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.base import Score
from sentiment.features import FeatureConfig, HashingFeaturizer
from sentiment.lang import languages_for

BUNDLED_MODEL_ID = "vigia-bundled"
DEFAULT_WEIGHTS = Path(__file__).with_name("vigia-bundled.npz")


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class LinearModel:
    """A multinomial logistic regression over hashed features, plus its temperature."""

    config: FeatureConfig
    idf: np.ndarray
    weights: np.ndarray  # (n_features, 3)
    bias: np.ndarray  # (3,)
    temperature: float = 1.0

    def save(self, path: Path, meta: dict[str, object] | None = None) -> None:
        """float16 halves the file; the rounding moves val macro-F1 by < 0.001."""
        np.savez_compressed(
            path,
            config=np.array(json.dumps(self.config.to_dict())),
            meta=np.array(json.dumps(meta or {})),
            idf=self.idf.astype(np.float16),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            temperature=np.array(self.temperature, dtype=np.float32),
        )

    @classmethod
    def load(cls, path: Path) -> tuple[LinearModel, dict[str, object]]:
        with np.load(path, allow_pickle=False) as data:
            model = cls(
                config=FeatureConfig.from_dict(json.loads(str(data["config"]))),
                idf=data["idf"].astype(np.float32),
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                temperature=float(data["temperature"]),
            )
            meta = json.loads(str(data["meta"]))
        return model, meta

    def featurizer(self) -> HashingFeaturizer:
        return HashingFeaturizer(self.config, self.idf)

    def logits(self, featurizer: HashingFeaturizer, texts: Sequence[str],
               langs: Sequence[str | None]) -> np.ndarray:
        indptr, indices, values = featurizer.transform(texts, langs)
        contrib = self.weights[indices] * values[:, None]
        out = np.zeros((len(texts), self.weights.shape[1]), dtype=np.float32)
        nonempty = np.diff(indptr) > 0
        if contrib.size:
            sums = np.add.reduceat(contrib, indptr[:-1][nonempty], axis=0)
            out[nonempty] = sums
        return out + self.bias

    def predict_proba(self, featurizer: HashingFeaturizer, texts: Sequence[str],
                      langs: Sequence[str | None]) -> np.ndarray:
        return softmax(self.logits(featurizer, texts, langs) / self.temperature)


def file_version(path: Path) -> str:
    """First 12 hex digits of the weights' SHA-256: changes whenever the model does."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


class BundledScorer:
    """The default `Scorer`: offline, ~15 MB, thousands of mentions per second on one core."""

    def __init__(self, path: Path | str = DEFAULT_WEIGHTS) -> None:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: bundled sentiment weights are missing; rebuild them with "
                "`python -m sentiment.training.train_bundled --data ../shared/data/umsab`"
            )
        self.model, self.meta = LinearModel.load(path)
        self._featurizer = self.model.featurizer()
        self.model_id = BUNDLED_MODEL_ID
        self.model_version = f"{self.meta.get('version', '0')}+{file_version(path)}"
        self.languages = frozenset(self.model.config.languages)

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Score]:
        """Language-specific features are used only for languages the model was trained on."""
        used = languages_for(texts, langs)
        if not texts:
            return []
        probs = self.model.predict_proba(self._featurizer, texts, used)
        return [Score.from_probs(p, lang, self.model_id, self.model_version)
                for p, lang in zip(probs, used, strict=True)]
