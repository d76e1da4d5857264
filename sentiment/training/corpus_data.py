"""The Vigía customer-message corpus (`sentiment/training/corpus/`): reading and splitting.

`train_*.jsonl` are split into train and validation by a stable hash of the text, so the split
never changes between runs or machines; `test.jsonl` was written separately, by a different
writer, and is only ever used for the figures we report (never to choose anything).
Labelling rules: `corpus/GUIDELINES.md`; provenance: `corpus/README.md`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sentiment.base import CATEGORIES, LABELS

CORPUS_DIR = Path(__file__).with_name("corpus")
VAL_SHARE = 0.2


@dataclass(frozen=True)
class Example:
    text: str
    lang: str | None
    category: str
    sentiment: str
    situation: str | None = None
    variety: str | None = None

    @property
    def category_index(self) -> int:
        return [str(c) for c in CATEGORIES].index(self.category)

    @property
    def sentiment_index(self) -> int:
        return [str(label) for label in LABELS].index(self.sentiment)


class CorpusError(ValueError):
    """A corpus line that cannot be used, named by file and line."""


def read_jsonl(path: Path) -> list[Example]:
    out: list[Example] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            example = Example(text=str(item["text"]), lang=item.get("lang"),
                              category=item["category"], sentiment=item.get("sentiment") or
                              _sentiment_of(item["category"]), situation=item.get("situation"),
                              variety=item.get("variety"))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path}:{number}: {exc}") from None
        if example.category not in CATEGORIES or example.sentiment not in LABELS:
            raise CorpusError(f"{path}:{number}: category must be one of {CATEGORIES} and "
                              f"sentiment one of {LABELS}")
        out.append(example)
    return out


def _sentiment_of(category: str) -> str:
    return {"complaint": "negative", "praise": "positive"}.get(category, "neutral")


def in_validation(text: str) -> bool:
    digest = hashlib.sha256(text.strip().casefold().encode("utf-8")).digest()
    return digest[0] < 256 * VAL_SHARE


def dedupe(examples: Iterable[Example]) -> list[Example]:
    seen: set[str] = set()
    out = []
    for e in examples:
        key = e.text.strip().casefold()
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def load_corpus(split: str, folder: Path = CORPUS_DIR) -> list[Example]:
    """"train" and "val" come from `train_*.jsonl`; "test" is `test.jsonl` (report only).

    A test text that also appears in a training file is dropped from training, so the test
    figures never include memorised lines.
    """
    if split == "test":
        return dedupe(read_jsonl(folder / "test.jsonl"))
    test = {e.text.strip().casefold() for e in read_jsonl(folder / "test.jsonl")} if (
        folder / "test.jsonl").exists() else set()
    pool = dedupe(e for path in sorted(folder.glob("train_*.jsonl")) for e in read_jsonl(path))
    pool = [e for e in pool if e.text.strip().casefold() not in test]
    want_val = split == "val"
    if split not in ("train", "val"):
        raise ValueError(f"unknown split {split!r}")
    return [e for e in pool if in_validation(e.text) == want_val]
