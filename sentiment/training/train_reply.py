"""Train the default model's two heads (sentiment, reply category) and the fast fallback's.

    pip install -e '.[train]'
    python -m sentiment.training.train_reply --umsab ../shared/data/umsab

Inputs: UMSAB *train* (sentiment, 8 languages) and the Vigía corpus *train* split (category
and sentiment, es/en/pt). Selection (C, alpha) and calibration (temperature) use only the
validation splits: UMSAB val for sentiment, corpus val for the category. The corpus *test*
split is read by `vigia sentiment eval`, never here.

Embeddings are cached per encoder (text -> vector) so a second run only trains.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from sentiment.base import CATEGORIES
from sentiment.bundled.heads import Fusion, Head, HeadPair, SparseRows, softmax
from sentiment.bundled.scorer import DEFAULT_WEIGHTS, FAST_WEIGHTS
from sentiment.encoders import load_encoder
from sentiment.evaluation import load_split, macro_f1
from sentiment.features import FeatureConfig, HashingFeaturizer, document_frequency
from sentiment.training.corpus_data import Example, load_corpus
from sentiment.training.seed_data import NEG, POS, SEED

REPLY_VERSION = "2.0"
CATEGORY_BITS = 18
OUT_DIR = DEFAULT_WEIGHTS.parent
DEFAULT_FILE = DEFAULT_WEIGHTS.name
FAST_FILE = FAST_WEIGHTS.name
UMSAB_LANG = {"arabic": "ar", "english": "en", "french": "fr", "german": "de", "hindi": "hi",
              "italian": "it", "portuguese": "pt", "spanish": "es"}


# data ---------------------------------------------------------------------------------------


@dataclass
class Table:
    texts: list[str]
    langs: list[str | None]
    y: np.ndarray
    weights: np.ndarray
    group: list[str]  # language name (UMSAB) or "corpus-xx", for per-group metrics


def umsab_table(folder: Path, split: str) -> Table:
    texts: list[str] = []
    langs: list[str | None] = []
    labels: list[int] = []
    group: list[str] = []
    for s in load_split(folder, split):
        texts += s.texts
        langs += [UMSAB_LANG.get(s.language, s.lang)] * len(s.texts)
        labels += [int(v) for v in s.labels]
        group += [s.language] * len(s.texts)
    return Table(texts, langs, np.array(labels), np.ones(len(texts)), group)


def corpus_table(examples: Sequence[Example], target: str, weight: float = 1.0) -> Table:
    ys = [e.category_index if target == "category" else e.sentiment_index for e in examples]
    return Table([e.text for e in examples], [e.lang for e in examples], np.array(ys),
                 np.full(len(examples), weight), [f"corpus-{e.lang}" for e in examples])


def seed_category_examples() -> list[Example]:
    """Vigía 1's hand-written brand sentences (not the lexicon entries) as category examples:
    complaints, praise, and neutral lines that are questions when they ask something."""
    out = []
    for lang, items in SEED.items():  # the sentences, not seed_examples()'s lexicon
        for text, label in items:
            if label == NEG:
                category, sentiment = "complaint", "negative"
            elif label == POS:
                category, sentiment = "praise", "positive"
            else:
                category = "question" if text.rstrip().endswith("?") else "other"
                sentiment = "neutral"
            out.append(Example(text, lang, category, sentiment))
    return out


def concat(*tables: Table) -> Table:
    return Table([t for tb in tables for t in tb.texts], [g for tb in tables for g in tb.langs],
                 np.concatenate([tb.y for tb in tables]),
                 np.concatenate([tb.weights for tb in tables]),
                 [g for tb in tables for g in tb.group])


# embeddings ---------------------------------------------------------------------------------


class EmbeddingCache:
    """text -> vector per encoder, in one .npz each; computes only what is missing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._loaded: dict[str, dict[str, np.ndarray]] = {}

    def _table(self, name: str) -> dict[str, np.ndarray]:
        if name not in self._loaded:
            path = self.folder / f"{name}.npz"
            table: dict[str, np.ndarray] = {}
            if path.exists():
                with np.load(path, allow_pickle=False) as data:
                    table = dict(zip(data["texts"].tolist(), data["emb"], strict=True))
            self._loaded[name] = table
        return self._loaded[name]

    def embed(self, name: str, texts: Sequence[str]) -> np.ndarray:
        table = self._table(name)
        missing = list(dict.fromkeys(t for t in texts if t not in table))
        if missing:
            click.echo(f"  embedding {len(missing)} texts with {name}…")
            vectors = load_encoder(name).encode(missing)
            table.update(zip(missing, vectors, strict=True))
            keys = list(table)
            np.savez(self.folder / f"{name}.npz", texts=np.array(keys),
                     emb=np.vstack([table[k] for k in keys]).astype(np.float32))
        return np.vstack([table[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)

    def dense(self, encoders: Sequence[str], texts: Sequence[str]) -> np.ndarray | None:
        if not encoders:
            return None
        return np.hstack([self.embed(name, texts) for name in encoders]).astype(np.float32)


# fitting ------------------------------------------------------------------------------------


def csr(rows: SparseRows, bits: int) -> Any:
    """The rows as a scipy matrix of 2**bits columns (folding the indices when fewer)."""
    import scipy.sparse as sp

    width = 1 << bits
    matrix = sp.csr_matrix((rows.values, rows.indices & (width - 1), rows.indptr),
                           shape=(len(rows.indptr) - 1, width))
    matrix.sum_duplicates()
    return matrix


def design(sparse: Any, dense: np.ndarray | None, alpha: float) -> Any:
    import scipy.sparse as sp

    if dense is None:
        return sparse
    return sp.hstack([sparse, sp.csr_matrix(alpha * dense)], format="csr")


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising held-out log-loss."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 161))
    losses = [-np.log(softmax(logits / t)[np.arange(len(gold)), gold] + 1e-12).mean()
              for t in grid]
    return float(grid[int(np.argmin(losses))])


def ece(probs: np.ndarray, gold: np.ndarray, bins: int = 10) -> float:
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    total = 0.0
    for lo, hi in itertools.pairwise(np.linspace(0, 1, bins + 1)):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs((pred[sel] == gold[sel]).mean() - conf[sel].mean())
    return float(total)


def recall_at_false_alert_rate(p_complaint: np.ndarray, is_complaint: np.ndarray,
                               rate: float = 0.10) -> tuple[float, float]:
    """(recall, threshold) at the loosest threshold that alerts at most `rate` of the rest."""
    negatives = np.sort(p_complaint[~is_complaint])[::-1]
    k = int(np.floor(rate * len(negatives)))
    threshold = float(negatives[k]) + 1e-9 if k < len(negatives) else 0.0
    return float((p_complaint[is_complaint] >= threshold).mean()), threshold


@dataclass
class Fitted:
    head: Head
    score: float
    report: dict[str, Any]


def fit_head(classes: tuple[str, ...], config: FeatureConfig, idf: np.ndarray,
             train: Table, val: Table, train_rows: SparseRows, val_rows: SparseRows,
             encoders: tuple[str, ...], train_dense: np.ndarray | None,
             val_dense: np.ndarray | None, cs: Sequence[float], alphas: Sequence[float],
             objective: str, fold_bits: int | None = None) -> Fitted:
    from sklearn.linear_model import LogisticRegression

    bits = fold_bits or config.n_bits
    width = 1 << bits
    x_sparse = csr(train_rows, bits)
    best: Fitted | None = None
    for c, alpha in itertools.product(cs, alphas if encoders else [1.0]):
        clf = LogisticRegression(C=c, max_iter=3000, tol=1e-4)
        clf.fit(design(x_sparse, train_dense, alpha), train.y, sample_weight=train.weights)
        coef = clf.coef_.T.astype(np.float32)
        head = Head(classes=classes, config=config, idf=idf,
                    sparse=coef[:width].astype(np.float16).astype(np.float32),
                    bias=clf.intercept_.astype(np.float32), encoders=encoders,
                    dense=coef[width:] if encoders else None, alpha=alpha,
                    fold_bits=fold_bits)
        logits = head.logits(val_rows, val_dense)
        head.temperature = fit_temperature(logits, val.y)
        report = evaluate_head(head, logits, val, objective)
        click.echo(f"  C={c:g} alpha={alpha:g}: {objective} {report['objective']:.4f}  "
                   + json.dumps({k: v for k, v in report.items() if k != 'objective'}))
        if best is None or report["objective"] > best.score:
            best = Fitted(head, report["objective"], report)
    assert best is not None
    return best


def evaluate_head(head: Head, logits: np.ndarray, val: Table, objective: str) -> dict[str, Any]:
    probs = softmax(logits / head.temperature)
    pred = probs.argmax(axis=1)
    k = len(head.classes)
    groups = sorted(set(val.group))
    per_group = {g: round(macro_f1(val.y[np.array(val.group) == g],
                                   pred[np.array(val.group) == g], k), 4) for g in groups}
    report: dict[str, Any] = {"macro_f1": per_group, "temperature": round(head.temperature, 3),
                              "ece": round(ece(probs, val.y), 4)}
    if objective == "mean_macro_f1":
        report["objective"] = float(np.mean(list(per_group.values())))
    else:
        complaint = head.classes.index("complaint")
        recall, threshold = recall_at_false_alert_rate(probs[:, complaint], val.y == complaint)
        report["complaint_recall_at_10pct"] = round(recall, 4)
        report["threshold_at_10pct"] = round(threshold, 4)
        report["objective"] = 0.5 * recall + 0.5 * float(macro_f1(val.y, pred, k))
    return report


# the two models -----------------------------------------------------------------------------


def train_pair(umsab: Path, encoders: tuple[str, ...], cache: EmbeddingCache,
               cs_sent: Sequence[float], cs_cat: Sequence[float], alphas: Sequence[float],
               corpus_weight: float) -> HeadPair:
    languages = tuple(sorted(UMSAB_LANG.values()))
    config = FeatureConfig(n_bits=21, languages=languages)
    featurizer = HashingFeaturizer(config)
    corpus_train, corpus_val = load_corpus("train"), load_corpus("val")
    sent_train = concat(umsab_table(umsab, "train"),
                        corpus_table(corpus_train, "sentiment", corpus_weight))
    sent_val = umsab_table(umsab, "val")
    cat_train = corpus_table([*corpus_train, *seed_category_examples()], "category")
    cat_val = corpus_table(corpus_val, "category")
    featurizer.idf = document_frequency(featurizer, sent_train.texts, sent_train.langs)
    idf = featurizer.idf.astype(np.float16).astype(np.float32)
    featurizer.idf = idf

    def rows(table: Table) -> SparseRows:
        return SparseRows(*featurizer.transform(table.texts, table.langs))

    click.echo(f"sentiment head ({len(sent_train.texts)} train, encoders {encoders or 'none'})")
    sentiment = fit_head(("negative", "neutral", "positive"), config, idf, sent_train, sent_val,
                         rows(sent_train), rows(sent_val), encoders,
                         cache.dense(encoders, sent_train.texts),
                         cache.dense(encoders, sent_val.texts), cs_sent, alphas,
                         "mean_macro_f1")
    click.echo(f"category head ({len(cat_train.texts)} train, {len(cat_val.texts)} val)")
    category = fit_head(CATEGORIES, config, idf, cat_train, cat_val, rows(cat_train),
                        rows(cat_val), encoders, cache.dense(encoders, cat_train.texts),
                        cache.dense(encoders, cat_val.texts), cs_cat, alphas,
                        "complaint_recall", fold_bits=CATEGORY_BITS)
    sentiment.head.meta = sentiment.report
    category.head.meta = category.report
    meta = {"version": REPLY_VERSION, "trained": dt.date.today().isoformat(),
            "encoders": list(encoders), "corpus_train": len(corpus_train),
            "corpus_val": len(corpus_val), "umsab_train": len(sent_train.texts) - len(
                corpus_train), "corpus_weight": corpus_weight}
    return HeadPair(sentiment.head, category.head, meta)


def compatibility(examples: Sequence[Example]) -> np.ndarray:
    """P(sentiment | category) on training lines, add-one smoothed: (4, 3)."""
    counts = np.ones((len(CATEGORIES), 3))
    for e in examples:
        counts[e.category_index, e.sentiment_index] += 1
    return counts / counts.sum(axis=1, keepdims=True)


def add_fusion(pair: HeadPair, path: Path) -> dict[str, Any]:
    """Fit the fusion of the two heads (see `sentiment.bundled.heads.Fusion`) on the corpus:
    compatibility from train, temperature on validation; returns the validation report."""
    from sentiment.bundled.scorer import BundledScorer

    pair.meta.pop("fusion", None)
    pair.save(path)
    scorer = BundledScorer(path)
    val = load_corpus("val")
    scores = scorer.score([e.text for e in val], [e.lang for e in val])
    cats = np.array([[s.complaint, s.question, s.praise, s.other] for s in scores])
    sents = np.array([[s.negative, s.neutral, s.positive] for s in scores])
    fusion = Fusion(compatibility(load_corpus("train")).astype(np.float32))
    gold = np.array([e.category_index for e in val])
    fusion = Fusion(fusion.compatibility, fit_temperature(fusion.logits(cats, sents), gold))
    fused = fusion.apply(cats, sents)
    complaint = CATEGORIES.index("complaint")
    recall, threshold = recall_at_false_alert_rate(fused[:, complaint], gold == complaint)
    report = {"temperature": round(fusion.temperature, 3), "ece": round(ece(fused, gold), 4),
              "macro_f1": round(macro_f1(gold, fused.argmax(axis=1), 4), 4),
              "complaint_recall_at_10pct": round(recall, 4),
              "threshold_at_10pct": round(threshold, 4)}
    pair.meta["fusion"] = {**fusion.to_meta(), "val": report}
    pair.save(path)
    click.echo(f"fusion of the two heads on validation: {json.dumps(report)}")
    return report


@click.command()
@click.option("--umsab", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="UMSAB folder (<language>/train_text.txt ...).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=OUT_DIR,
              show_default=True)
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path),
              default=Path.home() / ".cache" / "vigia-train", show_default=True)
@click.option("--encoders", default="use-m3,e5-small-q4", show_default=True,
              help="Comma-separated encoders of the default model.")
@click.option("--C-sentiment", "cs_sent", multiple=True, type=float, default=(10.0,),
              show_default=True)
@click.option("--C-category", "cs_cat", multiple=True, type=float, default=(3.0, 10.0),
              show_default=True)
@click.option("--C-sentiment-fast", "cs_sent_fast", multiple=True, type=float,
              default=(10.0, 30.0), show_default=True,
              help="C values of the n-gram-only sentiment head (bundled-fast).")
@click.option("--alpha", "alphas", multiple=True, type=float, default=(1.0, 2.0),
              show_default=True, help="Weights of the embedding block tried on validation.")
@click.option("--fusion-only", is_flag=True,
              help="Keep the trained heads in --out; refit only how they are combined.")
@click.option("--corpus-weight", default=2.0, show_default=True,
              help="Sample weight of a corpus line in the sentiment head (UMSAB lines: 1).")
def main(umsab: Path, out: Path, cache: Path, encoders: str, cs_sent: tuple[float, ...],
         cs_cat: tuple[float, ...], cs_sent_fast: tuple[float, ...], alphas: tuple[float, ...],
         fusion_only: bool, corpus_weight: float) -> None:
    """Train, select and calibrate on validation splits; write the default and fast models."""
    store = EmbeddingCache(cache)
    names = tuple(e for e in encoders.split(",") if e)
    out.mkdir(parents=True, exist_ok=True)
    if fusion_only:  # refit only the fusion of already trained heads
        summary_path = out / "vigia-reply.json"
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        for key, name in (("default", DEFAULT_FILE), ("fast", FAST_FILE)):
            pair = HeadPair.load(out / name)
            add_fusion(pair, out / name)
            summary[key]["fusion"] = pair.meta["fusion"]
        summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        return
    default = train_pair(umsab, names, store, cs_sent, cs_cat, alphas, corpus_weight)
    add_fusion(default, out / DEFAULT_FILE)
    fast = train_pair(umsab, (), store, cs_sent_fast, cs_cat, alphas, corpus_weight)
    add_fusion(fast, out / FAST_FILE)
    for name in (DEFAULT_FILE, FAST_FILE):
        path = out / name
        click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    summary = {"default": {"sentiment": default.sentiment.meta,
                           "category": default.category.meta, **default.meta},
               "fast": {"sentiment": fast.sentiment.meta, "category": fast.category.meta,
                        **fast.meta}}
    (out / "vigia-reply.json").write_text(json.dumps(summary, indent=2) + "\n",
                                          encoding="utf-8")


if __name__ == "__main__":
    main()
