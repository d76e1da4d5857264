"""UMSAB reading quirks and the metric implementation (checked against scikit-learn)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sentiment.evaluation import DatasetError, load_split, macro_f1


def write_split(root: Path, language: str, texts: list[str], labels: list[int],
                split: str = "val") -> None:
    folder = root / language
    folder.mkdir(parents=True, exist_ok=True)
    # No trailing newline, exactly like the UMSAB files.
    (folder / f"{split}_text.txt").write_text("\n".join(texts), encoding="utf-8")
    (folder / f"{split}_labels.txt").write_text("\n".join(map(str, labels)), encoding="utf-8")


def test_reads_files_without_trailing_newline(tmp_path: Path) -> None:
    write_split(tmp_path, "spanish", ["uno", "dos", "tres"], [0, 1, 2])
    (split,) = load_split(tmp_path, "val")
    assert split.texts == ["uno", "dos", "tres"]
    assert split.labels.tolist() == [0, 1, 2]
    assert split.lang == "es"


def test_misaligned_or_bad_labels_name_the_file(tmp_path: Path) -> None:
    write_split(tmp_path, "english", ["a", "b"], [0])
    with pytest.raises(DatasetError, match=r"val_text\.txt"):
        load_split(tmp_path, "val")
    write_split(tmp_path, "english", ["a", "b"], [0, 7])
    with pytest.raises(DatasetError, match=r"0, 1 or 2"):
        load_split(tmp_path, "val")
    with pytest.raises(DatasetError, match=r"no <language>/test_text\.txt"):
        load_split(tmp_path, "test")


def test_macro_f1_matches_scikit_learn() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(20):
        gold, pred = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
        expected = sklearn_metrics.f1_score(gold, pred, average="macro", labels=[0, 1, 2],
                                            zero_division=0)
        assert macro_f1(gold, pred) == pytest.approx(expected)
    assert macro_f1(np.array([0, 1, 2]), np.array([0, 1, 2])) == 1.0
