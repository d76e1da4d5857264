"""Feature hashing in plain numpy: character n-grams, word n-grams, negation scope, language copies.

Hashing keeps the shipped model small and vocabulary-free: there is no word list to ship or to
fall out of date, and an unseen word still lands in a bucket. The same code builds the training
matrix and scores at run time, so the two can never disagree about what a feature is.

Why these pieces:

* Character n-grams (1..`char_max`) over the normalised text cope with misspellings, hashtags,
  romanised Hindi and inflection in eight languages.
* Word unigrams and bigrams add phrase polarity ("no llegó", "nunca más").
* Words in the scope of a negation cue are hashed differently ("not good" != "good").
* Every feature also gets a language-specific copy (Daumé's "frustratingly easy" domain
  adaptation): the shared copy learns what is common to all languages, the language copy learns
  what is particular to one. Unknown languages simply get the shared copy.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from sentiment.text import normalise_for_features

_WORD = re.compile(r"\w+|[^\w\s]")
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_PRIME = np.uint64(0x100000001B3)
_S33 = np.uint64(33)

# Accent-free, because cues are matched after `normalise_for_features`. English contractions
# arrive split by the tokeniser ("didn't" -> "didn", "'", "t"), hence the stems.
NEGATION_CUES: frozenset[str] = frozenset({
    "no", "not", "never", "nor", "nobody", "nothing", "cannot", "cant", "dont", "don", "doesn",
    "didn", "isn", "wasn", "aren", "weren", "haven", "hasn", "couldn", "wouldn", "shouldn",
    "nunca", "nadie", "nada", "ni", "sin", "tampoco", "jamas", "nao", "nem", "nenhum",
    "nenhuma", "ninguem", "non", "mai", "niente", "nessuno", "senza", "ne", "pas", "jamais",
    "rien", "personne", "sans", "nicht", "kein", "keine", "keinen", "nie", "niemand", "ohne",
    "nahi", "nahin", "mat", "na", "لا", "لم", "لن", "ما", "ليس",
})
_SCOPE_BREAK = frozenset(".,;:!?¿¡")


def _mix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads nearby inputs over all buckets."""
    h = h ^ (h >> _S33)
    h = h * _MIX1
    h = h ^ (h >> _S33)
    h = h * _MIX2
    return h ^ (h >> _S33)


def _salt(name: str) -> np.uint64:
    return np.uint64(zlib.crc32(name.encode("utf-8")) * 0x9E3779B1)


@dataclass(frozen=True)
class FeatureConfig:
    """Everything that defines the feature space; stored beside the weights."""

    n_bits: int = 21
    char_min: int = 1
    char_max: int = 5
    word_bigrams: bool = True
    char_weight: float = 1.0
    word_weight: float = 1.0
    languages: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["languages"] = list(self.languages)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FeatureConfig:
        values = dict(data)
        values["languages"] = tuple(values.get("languages", ()))  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


class HashingFeaturizer:
    """Turns texts into sparse rows `(indices, values)` of a `2**n_bits`-wide vector."""

    def __init__(self, config: FeatureConfig, idf: np.ndarray | None = None) -> None:
        self.config = config
        self.mask = np.uint64((1 << config.n_bits) - 1)
        self.idf = idf
        self._char_salts = [_salt(f"c{n}") for n in range(config.char_max + 1)]
        self._uni, self._neg, self._bi = _salt("w1"), _salt("wneg"), _salt("w2")
        self._lang_salts = {lang: _salt(f"lang:{lang}") for lang in config.languages}

    @property
    def n_features(self) -> int:
        return 1 << self.config.n_bits

    def _char_hashes(self, text: str) -> np.ndarray:
        codes = np.frombuffer(f" {text} ".encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        parts: list[np.ndarray] = []
        rolling = np.zeros(0, dtype=np.uint64)
        for n in range(1, self.config.char_max + 1):
            if len(codes) < n:
                break
            rolling = codes.copy() if n == 1 else rolling[:-1] * _PRIME + codes[n - 1:]
            if n >= self.config.char_min:
                parts.append(_mix(rolling ^ self._char_salts[n]))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)

    def _word_hashes(self, text: str) -> np.ndarray:
        tokens = _WORD.findall(text)
        if not tokens:
            return np.zeros(0, dtype=np.uint64)
        base = np.fromiter((zlib.crc32(t.encode("utf-8")) for t in tokens), np.uint64, len(tokens))
        negated = np.zeros(len(tokens), dtype=bool)
        scope = 0
        for i, tok in enumerate(tokens):
            if tok in _SCOPE_BREAK:
                scope = 0
            elif scope and tok[0].isalnum():  # apostrophes and emoji neither end nor use scope
                negated[i] = True
                scope -= 1
            if tok in NEGATION_CUES:
                scope = 3
        uni = _mix(base ^ np.where(negated, self._neg, self._uni))
        if not self.config.word_bigrams or len(tokens) < 2:
            return uni
        bi = _mix((base[:-1] * _PRIME + base[1:]) ^ self._bi)
        return np.concatenate([uni, bi])

    def _block(self, hashes: np.ndarray, lang_salt: np.uint64 | None, weight: float) -> tuple[
        np.ndarray, np.ndarray
    ]:
        if lang_salt is not None:
            hashes = np.concatenate([hashes, _mix(hashes ^ lang_salt)])
        idx, counts = np.unique(hashes & self.mask, return_counts=True)
        vals = 1.0 + np.log(counts.astype(np.float32))
        if self.idf is not None:
            vals = vals * self.idf[idx]
        norm = float(np.sqrt(np.dot(vals, vals)))
        if norm > 0:
            vals = vals * (weight / norm)
        return idx.astype(np.int64), vals.astype(np.float32)

    def transform_one(self, text: str, lang: str | None) -> tuple[np.ndarray, np.ndarray]:
        """One text's sparse row. Duplicated indices across blocks are summed by the caller."""
        norm = normalise_for_features(text)
        salt = self._lang_salts.get(lang) if lang else None
        ci, cv = self._block(self._char_hashes(norm), salt, self.config.char_weight)
        wi, wv = self._block(self._word_hashes(norm), salt, self.config.word_weight)
        return np.concatenate([ci, wi]), np.concatenate([cv, wv])

    def transform(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR pieces `(indptr, indices, values)` for a batch of texts."""
        langs = langs if langs is not None else [None] * len(texts)
        rows = [self.transform_one(t, lang) for t, lang in zip(texts, langs, strict=True)]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r[0]) for r in rows])
        if not rows:
            return indptr, np.zeros(0, np.int64), np.zeros(0, np.float32)
        return indptr, np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows])


def document_frequency(
    featurizer: HashingFeaturizer, texts: Sequence[str], langs: Sequence[str | None]
) -> np.ndarray:
    """Smoothed idf per bucket, as scikit-learn computes it: ln((1+n)/(1+df)) + 1."""
    df = np.zeros(featurizer.n_features, dtype=np.float64)
    _, indices, _ = featurizer.transform(texts, langs)
    # transform() already deduplicates within a block; a bucket shared by the char and word
    # blocks of one text counts twice, which is harmless for a weighting heuristic.
    np.add.at(df, indices, 1.0)
    n = len(texts)
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
