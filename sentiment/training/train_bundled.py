"""Train the bundled model.

    python -m sentiment.training.train_bundled --data ../shared/data/umsab --out sentiment/bundled/

Reproducible by construction: fixed feature hashing, a deterministic solver, and the inputs are
the UMSAB *train* split plus the hand-written sentences in `seed_data.py`. The *val* split is used
for choosing C and the calibration temperature, and for the reported figures. The test split is
never read (it is not even in our copy of the data).

Needs scikit-learn (the `train` extra); the shipped model does not.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from sentiment.bundled.scorer import DEFAULT_WEIGHTS, LinearModel, softmax
from sentiment.evaluation import EvalReport, Split, evaluate_predictions, load_split
from sentiment.features import FeatureConfig, HashingFeaturizer, document_frequency
from sentiment.training.seed_data import seed_examples

MODEL_VERSION = "1.0"


@dataclass
class Corpus:
    texts: list[str]
    langs: list[str | None]
    labels: np.ndarray
    weights: np.ndarray


def training_corpus(train: list[Split], seed_weight: float) -> Corpus:
    texts = [t for s in train for t in s.texts]
    langs: list[str | None] = [s.lang for s in train for _ in s.texts]
    labels = [int(y) for s in train for y in s.labels]
    weights = [1.0] * len(texts)
    for text, lang, label in seed_examples():
        texts.append(text)
        langs.append(lang)
        labels.append(label)
        weights.append(seed_weight)
    return Corpus(texts, langs, np.array(labels), np.array(weights))


def csr(featurizer: HashingFeaturizer, texts: list[str], langs: list[str | None]) -> Any:
    import scipy.sparse as sp

    indptr, indices, values = featurizer.transform(texts, langs)
    matrix = sp.csr_matrix((values, indices, indptr), shape=(len(texts), featurizer.n_features))
    matrix.sum_duplicates()
    return matrix


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising validation log-loss, so `confidence` is a fair probability."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 161))
    losses = [
        -np.log(softmax(logits / t)[np.arange(len(gold)), gold] + 1e-12).mean() for t in grid
    ]
    return float(grid[int(np.argmin(losses))])


def expected_calibration_error(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs((pred[sel] == gold[sel]).mean() - conf[sel].mean())
    return float(ece)


def train(data: Path, config: FeatureConfig, cs: list[float], seed_weight: float,
          ) -> tuple[LinearModel, EvalReport, dict[str, object]]:
    from sklearn.linear_model import LogisticRegression

    train_splits, val_splits = load_split(data, "train"), load_split(data, "val")
    corpus = training_corpus(train_splits, seed_weight)
    featurizer = HashingFeaturizer(config)
    featurizer.idf = document_frequency(featurizer, corpus.texts, corpus.langs)
    x_train = csr(featurizer, corpus.texts, corpus.langs)
    x_val = [csr(featurizer, s.texts, [s.lang] * len(s.texts)) for s in val_splits]

    best: tuple[float, float, LinearModel] | None = None
    for c in cs:
        clf = LogisticRegression(C=c, max_iter=1000, tol=1e-4)
        clf.fit(x_train, corpus.labels, sample_weight=corpus.weights)
        # Quantise before scoring so the selected model is the one that ships.
        model = LinearModel(config, featurizer.idf.astype(np.float16).astype(np.float32),
                            clf.coef_.T.astype(np.float16).astype(np.float32),
                            clf.intercept_.astype(np.float32))
        report = _report(model, val_splits, x_val)
        click.echo(f"C={c:g}: mean val macro-F1 {report.mean_macro_f1:.4f}")
        if best is None or report.mean_macro_f1 > best[0]:
            best = (report.mean_macro_f1, c, model)
    assert best is not None
    _, best_c, model = best
    val_logits = np.vstack([x @ model.weights + model.bias for x in x_val])
    val_gold = np.concatenate([s.labels for s in val_splits])
    model.temperature = fit_temperature(val_logits, val_gold)
    report = _report(model, val_splits, x_val)
    meta: dict[str, object] = {
        "version": MODEL_VERSION,
        "trained": dt.date.today().isoformat(),
        "C": best_c,
        "seed_weight": seed_weight,
        "n_train_umsab": int(sum(len(s.texts) for s in train_splits)),
        "n_seed": len(seed_examples()),
        "temperature": model.temperature,
        "val_ece_before": expected_calibration_error(softmax(val_logits), val_gold),
        "val_ece_after": expected_calibration_error(
            softmax(val_logits / model.temperature), val_gold),
        "val_macro_f1": {r.language: round(r.macro_f1, 4) for r in report.languages},
        "val_accuracy": {r.language: round(r.accuracy, 4) for r in report.languages},
        "val_mean_macro_f1": round(report.mean_macro_f1, 4),
    }
    return model, report, meta


def _report(model: LinearModel, splits: list[Split], matrices: list[Any]) -> EvalReport:
    """Val metrics straight from the sparse matrices (same numbers as the numpy scorer)."""
    report = EvalReport()
    for split, x in zip(splits, matrices, strict=True):
        pred = np.asarray(x @ model.weights + model.bias).argmax(axis=1)
        report.languages.append(evaluate_predictions(split.language, split.labels, pred))
    return report


@click.command()
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="UMSAB folder (<language>/train_text.txt ...).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_WEIGHTS.parent, show_default=True)
@click.option("--bits", default=21, show_default=True, help="log2 of the hashed feature space.")
@click.option("--C", "cs", multiple=True, type=float, default=(10.0, 30.0),
              show_default=True, help="Inverse regularisation values tried on val.")
@click.option("--seed-weight", default=3.0, show_default=True,
              help="Sample weight of each hand-written e-commerce sentence.")
def main(data: Path, out: Path, bits: int, cs: tuple[float, ...], seed_weight: float) -> None:
    """Train on UMSAB train (+ seed sentences), select and calibrate on val, write the .npz."""
    languages = tuple(sorted(s.lang for s in load_split(data, "train") if s.lang))
    config = FeatureConfig(n_bits=bits, languages=languages)
    model, report, meta = train(data, config, list(cs), seed_weight)
    out.mkdir(parents=True, exist_ok=True)
    path = out / DEFAULT_WEIGHTS.name
    model.save(path, meta)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    click.echo(report.format_table())
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB), T={model.temperature:.2f}")


if __name__ == "__main__":
    main()
