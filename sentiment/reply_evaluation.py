"""How well a model finds the mentions that need a reply, on any JSONL with gold classes.

The questions a community manager asks of a threshold: of the real complaints, how many get
alerted (recall)? Of the alerts, how many are complaints (precision)? Of everything else, how
much is alerted for nothing (false-alert rate)? And can the reported P(complaint) be read as a
probability (calibration table)?

Gold classes are read from `category` (complaint | question | praise | other), or from a
boolean `complaint`; lines with neither are refused with their line number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sentiment.base import CATEGORIES
from sentiment.evaluation import confusion_matrix, macro_f1

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class AlertRates:
    threshold: float
    complaints: int
    others: int
    caught: int
    false_alerts: int

    @property
    def recall(self) -> float:
        return self.caught / self.complaints if self.complaints else float("nan")

    @property
    def precision(self) -> float:
        alerts = self.caught + self.false_alerts
        return self.caught / alerts if alerts else float("nan")

    @property
    def false_alert_rate(self) -> float:
        return self.false_alerts / self.others if self.others else float("nan")


def rates(p_complaint: np.ndarray, is_complaint: np.ndarray, threshold: float) -> AlertRates:
    alerted = p_complaint >= threshold
    return AlertRates(threshold, int(is_complaint.sum()), int((~is_complaint).sum()),
                      int((alerted & is_complaint).sum()), int((alerted & ~is_complaint).sum()))


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    mean_predicted: float
    observed: float


def calibration(p: np.ndarray, gold: np.ndarray, bins: int = CALIBRATION_BINS
                ) -> list[CalibrationBin]:
    """Equal-width bins of the predicted probability: predicted vs observed frequency."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for i in range(bins):
        lo, hi = edges[i], edges[i + 1]
        sel = (p >= lo) & ((p < hi) if i < bins - 1 else (p <= hi))
        if sel.any():
            out.append(CalibrationBin(float(lo), float(hi), int(sel.sum()),
                                      float(p[sel].mean()), float(gold[sel].mean())))
    return out


def expected_calibration_error(table: Sequence[CalibrationBin]) -> float:
    total = sum(b.count for b in table)
    return sum(b.count * abs(b.mean_predicted - b.observed) for b in table) / total if (
        total) else float("nan")


@dataclass
class ReplyReport:
    """Everything `vigia sentiment eval` prints for a file of gold classes."""

    threshold: float
    overall: AlertRates
    by_language: dict[str, AlertRates]
    table: list[AlertRates]
    calibration: list[CalibrationBin]
    category_accuracy: float | None = None
    category_macro_f1: float | None = None
    confusion: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def format(self) -> str:
        lines = [f"complaints at the configured threshold {self.threshold:g} "
                 f"(alert when P(complaint) >= threshold):",
                 "  language   complaints  recall  precision  false-alert rate (of others)"]
        for lang, r in [("all", self.overall), *sorted(self.by_language.items())]:
            lines.append(f"  {lang:<10} {r.complaints:>10}  {r.recall:6.3f}  {r.precision:9.3f}"
                         f"  {r.false_alert_rate:6.3f} ({r.false_alerts}/{r.others})")
        lines += ["", "what each threshold catches and costs:",
                  "  threshold  recall  precision  false-alert rate"]
        for r in self.table:
            lines.append(f"  {r.threshold:9.2f}  {r.recall:6.3f}  {r.precision:9.3f}  "
                         f"{r.false_alert_rate:6.3f}")
        lines += ["", "calibration of P(complaint) (a well-calibrated model has predicted ≈ "
                  "observed):", "  bin          n  predicted  observed"]
        for b in self.calibration:
            lines.append(f"  {b.low:.1f}–{b.high:.1f}  {b.count:5d}  {b.mean_predicted:9.3f}  "
                         f"{b.observed:8.3f}")
        lines.append(f"  expected calibration error: "
                     f"{expected_calibration_error(self.calibration):.3f}")
        if self.category_macro_f1 is not None and self.confusion is not None:
            lines += ["", f"4-class reply category: accuracy {self.category_accuracy:.3f}, "
                      f"macro-F1 {self.category_macro_f1:.3f}",
                      "  confusion (rows gold, columns predicted: "
                      + "/".join(CATEGORIES) + ")"]
            for name, row in zip(CATEGORIES, self.confusion, strict=True):
                lines.append(f"  {name:<10} " + " ".join(f"{int(v):5d}" for v in row))
        lines += self.notes
        return "\n".join(lines)


def reply_report(p_complaint: Sequence[float], gold_complaint: Sequence[bool],
                 langs: Sequence[str | None], threshold: float,
                 predicted: Sequence[str] | None = None,
                 gold_category: Sequence[str | None] | None = None) -> ReplyReport:
    p = np.asarray(p_complaint, dtype=float)
    gold = np.asarray(gold_complaint, dtype=bool)
    lang_arr = np.array([lang or "?" for lang in langs])
    report = ReplyReport(
        threshold=threshold,
        overall=rates(p, gold, threshold),
        by_language={lang: rates(p[lang_arr == lang], gold[lang_arr == lang], threshold)
                     for lang in sorted(set(lang_arr.tolist()))},
        table=[rates(p, gold, t) for t in sorted({*THRESHOLDS, threshold})],
        calibration=calibration(p, gold.astype(float)),
    )
    if predicted is not None and gold_category is not None:
        index: dict[str, int] = {c: i for i, c in enumerate(CATEGORIES)}
        pairs = [(index[g], index[q]) for g, q in zip(gold_category, predicted, strict=True) if g]
        if pairs:
            gold_idx, pred_idx = (np.array(side) for side in zip(*pairs, strict=True))
            report.confusion = confusion_matrix(gold_idx, pred_idx, len(CATEGORIES))
            report.category_accuracy = float(np.mean(gold_idx == pred_idx))
            report.category_macro_f1 = macro_f1(gold_idx, pred_idx, len(CATEGORIES))
    return report
