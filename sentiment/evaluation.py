"""Reading UMSAB-format folders and scoring a `Scorer` on them, in numpy only.

The metric is macro-F1 because UMSAB (and the XLM-T leaderboard we compare against) reports it,
and because accuracy hides a model that never predicts "neutral".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentiment.base import LABELS, Scorer

# UMSAB folder names -> ISO 639-1, the codes the rest of the app speaks.
UMSAB_LANGS: dict[str, str] = {
    "arabic": "ar", "english": "en", "french": "fr", "german": "de",
    "hindi": "hi", "italian": "it", "portuguese": "pt", "spanish": "es",
}


class DatasetError(ValueError):
    """A UMSAB-format folder that cannot be read as such; the message names the file."""


@dataclass(frozen=True)
class Split:
    """One language's examples of one split, with labels 0 negative / 1 neutral / 2 positive."""

    language: str
    texts: list[str]
    labels: np.ndarray

    @property
    def lang(self) -> str | None:
        return UMSAB_LANGS.get(self.language)


def read_lines(path: Path) -> list[str]:
    """UMSAB files have no trailing newline, so split on it instead of using readlines()."""
    text = path.read_text(encoding="utf-8")
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def load_split(data_dir: Path | str, split: str = "val") -> list[Split]:
    """Every `<language>/<split>_text.txt` + `<split>_labels.txt` pair under `data_dir`."""
    root = Path(data_dir)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    splits: list[Split] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        text_file, label_file = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
        if not text_file.exists() or not label_file.exists():
            continue
        texts, raw = read_lines(text_file), read_lines(label_file)
        if len(texts) != len(raw):
            raise DatasetError(
                f"{text_file}: {len(texts)} lines but {label_file.name} has {len(raw)}"
            )
        try:
            labels = np.array([int(x) for x in raw], dtype=np.int64)
        except ValueError as exc:
            raise DatasetError(f"{label_file}: labels must be 0, 1 or 2 ({exc})") from None
        if labels.size and (labels.min() < 0 or labels.max() > 2):
            raise DatasetError(f"{label_file}: labels must be 0, 1 or 2")
        splits.append(Split(folder.name, texts, labels))
    if not splits:
        raise DatasetError(f"{root}: no <language>/{split}_text.txt files found")
    return splits


def confusion_matrix(gold: np.ndarray, pred: np.ndarray, n: int = 3) -> np.ndarray:
    """Rows are gold labels, columns predictions."""
    return np.bincount(gold * n + pred, minlength=n * n).reshape(n, n)


def macro_f1(gold: np.ndarray, pred: np.ndarray, n: int = 3) -> float:
    """Unweighted mean of per-class F1; a class absent from both gold and pred scores 0."""
    cm = confusion_matrix(gold, pred, n).astype(np.float64)
    tp = np.diag(cm)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros(n), where=denom > 0)
    return float(f1.mean())


@dataclass
class LanguageResult:
    language: str
    macro_f1: float
    accuracy: float
    confusion: np.ndarray
    n: int


@dataclass
class EvalReport:
    """Per-language results plus their unweighted average (the UMSAB "All lang." convention)."""

    languages: list[LanguageResult] = field(default_factory=list)

    @property
    def mean_macro_f1(self) -> float:
        return float(np.mean([r.macro_f1 for r in self.languages])) if self.languages else 0.0

    @property
    def mean_accuracy(self) -> float:
        return float(np.mean([r.accuracy for r in self.languages])) if self.languages else 0.0

    def by_language(self) -> dict[str, LanguageResult]:
        return {r.language: r for r in self.languages}

    def format_table(self) -> str:
        """Plain-text table for terminals and Markdown-ish docs."""
        lines = [f"{'language':<12} {'n':>5} {'macro-F1':>9} {'accuracy':>9}"]
        for r in self.languages:
            lines.append(f"{r.language:<12} {r.n:>5} {r.macro_f1:>9.3f} {r.accuracy:>9.3f}")
        lines.append(f"{'mean':<12} {'':>5} {self.mean_macro_f1:>9.3f} {self.mean_accuracy:>9.3f}")
        return "\n".join(lines)


def evaluate_predictions(language: str, gold: np.ndarray, pred: np.ndarray) -> LanguageResult:
    return LanguageResult(
        language=language,
        macro_f1=macro_f1(gold, pred),
        accuracy=float((gold == pred).mean()) if gold.size else 0.0,
        confusion=confusion_matrix(gold, pred),
        n=int(gold.size),
    )


def evaluate(scorer: Scorer, splits: Sequence[Split], batch_size: int = 256) -> EvalReport:
    """Score each language with its known language code, as the pipeline would."""
    report = EvalReport()
    index = {label: i for i, label in enumerate(LABELS)}
    for split in splits:
        preds: list[int] = []
        for start in range(0, len(split.texts), batch_size):
            chunk = split.texts[start:start + batch_size]
            scores = scorer.score(chunk, [split.lang] * len(chunk))
            preds.extend(index[s.label] for s in scores)
        report.languages.append(
            evaluate_predictions(split.language, split.labels, np.array(preds, dtype=np.int64))
        )
    return report
