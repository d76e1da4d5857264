"""Sentiment throughput, memory and accuracy: the bundled models vs an XLM-R-base-sized model.

    python bench/sentiment_bench.py --data ../shared/data/umsab [--quick] [--skip-xlmr]

The bundled models ("bundled", the default with its sentence encoders, and "bundled-fast") are
measured for load time, mentions/s with and without offline language detection (lingua over
es/en/pt, as the pipeline does when a platform gives no language tag), peak RSS, UMSAB val
macro-F1, and the complaint report on the corpus test split (sentiment/training/corpus/).

Each measurement runs in its own subprocess so that its peak RSS is its own. The XLM-R model is
built from `XLMRobertaConfig()` defaults (base size: 12 layers, hidden 768) with random weights
and a BPE tokenizer trained on UMSAB train text, because the hub is not reachable here; speed
and memory do not depend on the weights. ONNX int8 agreement with fp32 is measured too, but on
random weights it says little (near-uniform logits flip easily); for a real model run
`vigia sentiment export-onnx` instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_texts(data: Path, n: int, seed: int = 0) -> tuple[list[str], list[str | None]]:
    """A mixed-language sample of val texts, repeated if `n` exceeds the split."""
    from sentiment.evaluation import load_split

    pairs = [(t, s.lang) for s in load_split(data, "val") for t in s.texts]
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(pairs), size=n, replace=n > len(pairs))
    return [pairs[i][0] for i in idx], [pairs[i][1] for i in idx]


def bench_bundled(data: Path, n: int, model: str) -> dict[str, float]:
    start = time.perf_counter()
    from sentiment import scorer_for_model
    from sentiment.lang import detect_language

    scorer = scorer_for_model(model)
    load_s = time.perf_counter() - start
    texts, langs = sample_texts(data, n)
    scorer.score(texts[:100], langs[:100])  # warm-up
    detect_language("hola qué tal", ("es", "en", "pt"))  # lingua loads its models once
    start = time.perf_counter()
    for i in range(0, n, 512):
        scorer.score(texts[i:i + 512], langs[i:i + 512])
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, n, 512):
        chunk = texts[i:i + 512]
        scorer.score(chunk, [detect_language(t, ("es", "en", "pt")) for t in chunk])
    with_lang = time.perf_counter() - start
    return {"load_s": load_s, "per_s": n / elapsed, "per_s_with_lang": n / with_lang, "n": n,
            "rss_mb": peak_rss_mb()}


def bench_accuracy(data: Path, model: str) -> dict[str, float]:
    """UMSAB val macro-F1 and the complaint report on the corpus test split (never tuned on)."""
    from sentiment import scorer_for_model
    from sentiment.evaluation import evaluate, load_split
    from sentiment.reply_evaluation import expected_calibration_error, reply_report
    from sentiment.training.corpus_data import load_corpus

    scorer = scorer_for_model(model)
    report = evaluate(scorer, load_split(data, "val"))
    test = load_corpus("test")
    scores = scorer.score([e.text for e in test], [e.lang for e in test])
    result: dict[str, float] = {"umsab_val_mean_f1": report.mean_macro_f1,
                                "umsab_val_spanish_f1": report.by_language()["spanish"].macro_f1}
    for threshold in (0.3, 0.4, 0.5, 0.6):
        rep = reply_report([s.complaint for s in scores], [e.category == "complaint" for e in test],
                           [e.lang for e in test], threshold, [s.category for s in scores],
                           [e.category for e in test])
        result[f"recall@{threshold}"] = rep.overall.recall
        result[f"false_alerts@{threshold}"] = rep.overall.false_alert_rate
        for lang, r in rep.by_language.items():
            result[f"recall@{threshold}:{lang}"] = r.recall
            result[f"false_alerts@{threshold}:{lang}"] = r.false_alert_rate
        result["ece"] = expected_calibration_error(rep.calibration)
        result["category_macro_f1"] = rep.category_macro_f1 or 0.0
    return result


def build_xlmr(data: Path, out: Path) -> None:
    from sentiment.evaluation import load_split
    from sentiment.training.toy_models import build_random_xlmr

    texts = [t for s in load_split(data, "train") for t in s.texts]
    build_random_xlmr(out, texts, vocab_size=30522)


def bench_naive(model_dir: Path, data: Path, n: int) -> dict[str, float]:
    """What a first implementation does: one text at a time, fp32, default threads."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, local_files_only=True)
    model.eval()
    texts, _ = sample_texts(data, n)
    with torch.no_grad():
        for text in texts[:3]:  # warm-up, as for the other paths
            model(**tok(text, truncation=True, max_length=128, return_tensors="pt"))
    start = time.perf_counter()
    with torch.no_grad():
        for text in texts:
            model(**tok(text, truncation=True, max_length=128, return_tensors="pt"))
    return {"per_s": n / (time.perf_counter() - start), "n": n, "rss_mb": peak_rss_mb()}


def bench_torch(model_dir: Path, data: Path, n: int, sort: bool) -> dict[str, float]:
    from sentiment.hf import HFScorer

    scorer = HFScorer(str(model_dir), batch_size=32, max_length=128)
    texts, _ = sample_texts(data, n)
    scorer.predict_proba(texts[:32])  # warm-up
    start = time.perf_counter()
    scorer.predict_proba(texts, sort=sort)
    return {"per_s": n / (time.perf_counter() - start), "n": n, "rss_mb": peak_rss_mb()}


def bench_onnx(model_dir: Path, data: Path, n: int, n_agree: int) -> dict[str, float]:
    from sentiment.hf import HFScorer
    from sentiment.onnx_backend import prepare_onnx, session_logits

    scorer = HFScorer(str(model_dir), batch_size=32, max_length=128)
    agree_texts, _ = sample_texts(data, n_agree, seed=1)
    start = time.perf_counter()
    manifest = prepare_onnx(scorer, model_dir / "onnx", agree_texts)
    prep_s = time.perf_counter() - start
    scorer.use_logits_function(session_logits(model_dir / "onnx" / manifest.int8_path), "onnx")
    texts, _ = sample_texts(data, n)
    scorer.predict_proba(texts[:32])
    start = time.perf_counter()
    scorer.predict_proba(texts)
    return {"per_s": n / (time.perf_counter() - start), "n": n, "rss_mb": peak_rss_mb(),
            "agreement": manifest.agreement, "n_agree": n_agree, "prepare_s": prep_s,
            "int8_mb": (model_dir / "onnx" / manifest.int8_path).stat().st_size / 1e6}


def child(args: argparse.Namespace) -> None:
    data, model_dir = Path(args.data), Path(args.model_dir) if args.model_dir else None
    if args.part in ("bundled", "bundled-fast"):
        result = bench_bundled(data, args.n, args.part)
    elif args.part.startswith("accuracy:"):
        result = bench_accuracy(data, args.part.split(":", 1)[1])
    elif args.part == "build":
        build_xlmr(data, model_dir)  # type: ignore[arg-type]
        result = {}
    elif args.part == "naive":
        result = bench_naive(model_dir, data, args.n)  # type: ignore[arg-type]
    elif args.part in ("sorted", "unsorted"):
        result = bench_torch(model_dir, data, args.n, args.part == "sorted")  # type: ignore[arg-type]
    else:
        result = bench_onnx(model_dir, data, args.n, args.n_agree)  # type: ignore[arg-type]
    print("RESULT " + json.dumps(result))


def run_part(part: str, data: Path, model_dir: Path | None, n: int, n_agree: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--child", part, "--data", str(data), "--n", str(n),
           "--n-agree", str(n_agree)]
    if model_dir:
        cmd += ["--model-dir", str(model_dir)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    print(f"  {part}: {result}", file=sys.stderr, flush=True)
    return result


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines()
                    if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "umsab"))
    parser.add_argument("--quick", action="store_true", help="Smaller samples (for a smoke run).")
    parser.add_argument("--skip-xlmr", action="store_true")
    parser.add_argument("--child", dest="part", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--n-agree", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        child(args)
        return
    data = Path(args.data)
    scale = 4 if args.quick else 1
    print(f"machine: {os.cpu_count()} cores, {cpu_name()}", file=sys.stderr)
    rows = [("bundled (default: n-grams + USE + e5)", run_part("bundled", data, None,
                                                                 2_000 // scale)),
            ("bundled-fast (n-grams only)", run_part("bundled-fast", data, None, 20_000 // scale))]
    accuracy = {name: run_part(f"accuracy:{name}", data, None, 0)
                for name in ("bundled", "bundled-fast")}
    if not args.skip_xlmr:
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = Path(tmp) / "xlmr-base-random"
            run_part("build", data, model_dir, 0)
            n = 384 // scale
            rows += [
                ("XLM-R base fp32, one by one (naive)",
                 run_part("naive", data, model_dir, 120 // scale)),
                ("XLM-R base fp32, batches of 32, unsorted",
                 run_part("unsorted", data, model_dir, n)),
                ("XLM-R base fp32, batches of 32, length-sorted",
                 run_part("sorted", data, model_dir, n)),
                ("XLM-R base ONNX dynamic int8, sorted",
                 run_part("onnx", data, model_dir, n, 324 // scale)),
            ]
    load = os.getloadavg()[0]
    print(f"\n{os.cpu_count()}-core {cpu_name()}, Python {platform.python_version()}, "
          f"1-min load average at the end {load:.1f} (other processes share the cores)\n")
    print("| path | mentions/s | peak RSS (MB) | n | notes |")
    print("|---|---:|---:|---:|---|")
    naive = next((r["per_s"] for name, r in rows if "naive" in name), None)
    for name, r in rows:
        notes = []
        if "load_s" in r:
            notes.append(f"load {r['load_s']:.2f} s")
        if "per_s_with_lang" in r:
            notes.append(f"{r['per_s_with_lang']:.0f}/s with language detection")
        if naive and "XLM-R" in name and "naive" not in name:
            notes.append(f"{r['per_s'] / naive:.1f}x naive")
        if "agreement" in r:
            notes.append(f"int8/fp32 label agreement {r['agreement']:.1%} on {r['n_agree']} "
                         f"val texts (random weights); export+quantise {r['prepare_s']:.0f} s; "
                         f"int8 file {r['int8_mb']:.0f} MB")
        print(f"| {name} | {r['per_s']:.1f} | {r['rss_mb']:.0f} | {r['n']} | {'; '.join(notes)} |")
    print("\n| model | UMSAB val mean F1 | Spanish | corpus test: recall / false alerts at "
          "0.3, 0.4, 0.5, 0.6 | reply category macro-F1 | ECE of P(complaint) |")
    print("|---|---:|---:|---|---:|---:|")
    for name, a in accuracy.items():
        cells = ", ".join(f"{a[f'recall@{t}']:.2f} / {a[f'false_alerts@{t}']:.2f}"
                          for t in (0.3, 0.4, 0.5, 0.6))
        print(f"| {name} | {a['umsab_val_mean_f1']:.3f} | {a['umsab_val_spanish_f1']:.3f} | "
              f"{cells} | {a['category_macro_f1']:.3f} | {a['ece']:.3f} |")
    print("\nper language at 0.5 (recall / false alerts):")
    for name, a in accuracy.items():
        langs = sorted(k.split(":")[1] for k in a if k.startswith("recall@0.5:"))
        print(f"  {name}: " + ", ".join(
            f"{lang} {a[f'recall@0.5:{lang}']:.2f} / {a[f'false_alerts@0.5:{lang}']:.2f}"
            for lang in langs))


if __name__ == "__main__":
    main()
