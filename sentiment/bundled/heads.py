"""Linear heads over hashed n-grams plus (optionally) sentence-encoder embeddings.

One head answers one question (sentiment: 3 classes; reply category: 4 classes). Its logits
are `sparse_ngrams @ W_sparse + alpha * [emb_1, emb_2, ...] @ W_dense + bias`, divided by a
temperature fitted on held-out data so the probabilities are calibrated. It is one linear
model over both kinds of features, trained jointly, not a stack: a stack trained on in-sample
n-gram outputs learns to over-trust them.

Everything needed to reproduce a prediction (feature configuration, idf, weights, encoder names,
alpha, temperature) is inside the `.npz`; its SHA-256 prefix is the model version in every score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentiment.features import FeatureConfig, HashingFeaturizer


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class SparseRows:
    """Hashed n-gram rows in CSR pieces; computed once when both heads share a feature space."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray


@dataclass
class Head:
    """A calibrated linear classifier; `encoders` empty means n-grams only."""

    classes: tuple[str, ...]
    config: FeatureConfig
    idf: np.ndarray
    sparse: np.ndarray  # (2**n_bits, k)
    bias: np.ndarray  # (k,)
    encoders: tuple[str, ...] = ()
    dense: np.ndarray | None = None  # (sum of encoder dims, k)
    alpha: float = 1.0
    temperature: float = 1.0
    # Fold the hashed features into 2**fold_bits buckets (None: use them as they are). A head
    # trained on a few thousand lines needs far fewer buckets than the 2**21 of the sentiment
    # head, and folding reuses the sentiment head's rows instead of hashing the text again.
    fold_bits: int | None = None
    meta: dict[str, object] = field(default_factory=dict)
    _featurizer: HashingFeaturizer | None = field(default=None, repr=False)

    @property
    def featurizer(self) -> HashingFeaturizer:
        if self._featurizer is None:
            self._featurizer = HashingFeaturizer(self.config, self.idf)
        return self._featurizer

    def rows(self, texts: Sequence[str], langs: Sequence[str | None]) -> SparseRows:
        return SparseRows(*self.featurizer.transform(texts, langs))

    def buckets(self, indices: np.ndarray) -> np.ndarray:
        return indices if self.fold_bits is None else indices & ((1 << self.fold_bits) - 1)

    def sparse_logits(self, rows: SparseRows) -> np.ndarray:
        out = np.zeros((len(rows.indptr) - 1, self.sparse.shape[1]), dtype=np.float32)
        nonempty = np.diff(rows.indptr) > 0
        if len(rows.indices):
            contrib = self.sparse[self.buckets(rows.indices)] * rows.values[:, None]
            out[nonempty] = np.add.reduceat(contrib, rows.indptr[:-1][nonempty], axis=0)
        return out

    def logits(self, rows: SparseRows, embeddings: np.ndarray | None = None) -> np.ndarray:
        out = self.sparse_logits(rows) + self.bias
        if self.dense is not None:
            if embeddings is None:
                raise ValueError(f"this head needs embeddings from {self.encoders}")
            out = out + self.alpha * (embeddings @ self.dense)
        return np.asarray(out)

    def predict_proba(self, rows: SparseRows, embeddings: np.ndarray | None = None
                      ) -> np.ndarray:
        return softmax(self.logits(rows, embeddings) / self.temperature)

    # storage ------------------------------------------------------------------------------
    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """float16 halves the file; selection is done on the rounded weights that ship."""
        header = {"classes": list(self.classes), "config": self.config.to_dict(),
                  "encoders": list(self.encoders), "alpha": self.alpha,
                  "temperature": self.temperature, "fold_bits": self.fold_bits,
                  "meta": self.meta}
        out = {f"{prefix}header": np.array(json.dumps(header)),
               f"{prefix}idf": self.idf.astype(np.float16),
               f"{prefix}sparse": self.sparse.astype(np.float16),
               f"{prefix}bias": self.bias.astype(np.float32)}
        if self.dense is not None:
            out[f"{prefix}dense"] = self.dense.astype(np.float32)
        return out

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray] | np.lib.npyio.NpzFile,
                    prefix: str) -> Head:
        header = json.loads(str(data[f"{prefix}header"]))
        dense_key = f"{prefix}dense"
        return cls(
            classes=tuple(header["classes"]),
            config=FeatureConfig.from_dict(header["config"]),
            idf=np.asarray(data[f"{prefix}idf"], dtype=np.float32),
            sparse=np.asarray(data[f"{prefix}sparse"], dtype=np.float32),
            bias=np.asarray(data[f"{prefix}bias"], dtype=np.float32),
            encoders=tuple(header["encoders"]),
            dense=np.asarray(data[dense_key], dtype=np.float32) if dense_key in data else None,
            alpha=float(header["alpha"]),
            temperature=float(header["temperature"]),
            fold_bits=header.get("fold_bits"),
            meta=dict(header.get("meta") or {}),
        )


@dataclass(frozen=True)
class Fusion:
    """How the sentiment head's opinion corrects the category head's.

    The category head learned from a few thousand written messages; the sentiment head also
    from 15,000 real tweets. `compatibility[c, s]` is P(sentiment s | category c) counted on
    the corpus training split (praise is positive, questions are neutral, complaints mostly
    negative). The final P(category) ∝ P_category(c) · Σ_s P_sentiment(s) · compatibility[c, s]
    (a product of the two experts), with a temperature fitted on validation so it stays
    calibrated. It matters where the heads disagree: "me mandaron la talla equivocada, qué
    desastre de servicio" read as praise by the category head alone.
    """

    compatibility: np.ndarray  # (4 categories, 3 sentiments)
    temperature: float = 1.0

    def logits(self, categories: np.ndarray, sentiments: np.ndarray) -> np.ndarray:
        """log of the two experts' product, before the temperature."""
        joint = categories * (sentiments @ self.compatibility.T)
        return np.log(np.clip(joint, 1e-12, None))

    def apply(self, categories: np.ndarray, sentiments: np.ndarray) -> np.ndarray:
        return softmax(self.logits(categories, sentiments) / self.temperature)

    def to_meta(self) -> dict[str, object]:
        return {"compatibility": self.compatibility.round(6).tolist(),
                "temperature": self.temperature}

    @classmethod
    def from_meta(cls, meta: object) -> Fusion | None:
        if not isinstance(meta, dict) or "compatibility" not in meta:
            return None
        return cls(np.asarray(meta["compatibility"], dtype=np.float32),
                   float(meta.get("temperature", 1.0)))


@dataclass
class HeadPair:
    """The two heads one model file holds, and how they are combined."""

    sentiment: Head
    category: Head
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def encoders(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.sentiment.encoders + self.category.encoders))

    @property
    def fusion(self) -> Fusion | None:
        return Fusion.from_meta(self.meta.get("fusion"))

    def save(self, path: Path) -> None:
        arrays = {"meta": np.array(json.dumps(self.meta)), **self.sentiment.arrays("sentiment_"),
                  **self.category.arrays("category_")}
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> HeadPair:
        with np.load(path, allow_pickle=False) as data:
            return cls(Head.from_arrays(data, "sentiment_"), Head.from_arrays(data, "category_"),
                       json.loads(str(data["meta"])))
