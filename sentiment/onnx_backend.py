"""ONNX Runtime dynamic-int8 backend for `HFScorer`, guarded by a measured agreement check.

Dynamic int8 quantisation roughly doubles CPU throughput for XLM-R base, but it perturbs logits,
so for a given model it may flip labels near a decision boundary. We therefore never switch it
on blindly: `prepare_onnx` exports fp32, quantises, runs both on validation texts and writes the
label agreement into a manifest. `attach_onnx` refuses (returns False) unless that manifest says
agreement >= `MIN_AGREEMENT`, and the caller keeps the torch path.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from sentiment.hf import HFScorer, Logits, available_cores

log = logging.getLogger(__name__)

MIN_AGREEMENT = 0.99
MANIFEST = "vigia-onnx.json"


@dataclass(frozen=True)
class OnnxManifest:
    """What was exported, from which model version, and how well int8 agreed with fp32."""

    model_id: str
    model_version: str
    agreement: float
    n_texts: int
    fp32_path: str
    int8_path: str

    @property
    def enabled(self) -> bool:
        return self.agreement >= MIN_AGREEMENT


class _LogitsOnly(torch.nn.Module):
    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_fp32(scorer: HFScorer, path: Path) -> Path:
    """TorchScript-based export (no onnxscript dependency), dynamic batch and sequence axes."""
    model = scorer.model.to("cpu").eval()
    ids, mask = scorer._pad(scorer.encode(["dummy text for export", "ok"]))
    # The legacy exporter warns about traced Python booleans in transformers' masking code; the
    # axes that matter are dynamic and the tests compare the graph with torch at other lengths.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LogitsOnly(model),
            (torch.from_numpy(ids), torch.from_numpy(mask)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    scorer.model.to(scorer.device)
    return path


def quantize_int8(fp32: Path, int8: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return int8


def session_logits(path: Path, threads: int | None = None) -> Logits:
    """A `(input_ids, attention_mask) -> logits` function backed by ONNX Runtime."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        return session.run(["logits"], feed)[0]

    return run


def label_agreement(scorer: HFScorer, int8: Path, texts: Sequence[str]) -> float:
    """Share of texts whose negative/neutral/positive label is the same in int8 and fp32."""
    reference = scorer.predict_proba(texts).argmax(axis=1)
    saved = (scorer._logits, scorer.backend)
    scorer._logits = session_logits(int8)
    try:
        quantised = scorer.predict_proba(texts).argmax(axis=1)
    finally:
        scorer._logits, scorer.backend = saved
    return float((reference == quantised).mean())


def prepare_onnx(scorer: HFScorer, out_dir: Path, validation_texts: Sequence[str]) -> OnnxManifest:
    """Export, quantise, measure agreement on `validation_texts`, and write the manifest."""
    if not validation_texts:
        raise ValueError("validation texts are needed to measure int8/fp32 agreement")
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = export_fp32(scorer, out_dir / "model-fp32.onnx")
    int8 = quantize_int8(fp32, out_dir / "model-int8.onnx")
    manifest = OnnxManifest(
        model_id=scorer.model_id,
        model_version=scorer.model_version,
        agreement=label_agreement(scorer, int8, validation_texts),
        n_texts=len(validation_texts),
        fp32_path=fp32.name,
        int8_path=int8.name,
    )
    (out_dir / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    return manifest


def default_onnx_dir(scorer: HFScorer) -> Path:
    """Beside a local model folder; under ~/.cache/vigia/onnx for hub models."""
    local = Path(scorer.model_id)
    if local.is_dir():
        return local / "onnx"
    safe = scorer.model_id.replace("/", "--")
    return Path.home() / ".cache" / "vigia" / "onnx" / f"{safe}-{scorer.model_version}"


def attach_onnx(scorer: HFScorer, onnx_dir: Path | None = None) -> bool:
    """Switch `scorer` to int8 ONNX if a matching manifest shows enough agreement."""
    onnx_dir = onnx_dir or default_onnx_dir(scorer)
    path = onnx_dir / MANIFEST
    if not path.exists():
        log.warning(
            "sentiment.backend = 'onnx' but %s does not exist; using torch. Run "
            "`vigia sentiment export-onnx --model %s --data <umsab folder>` first",
            path, scorer.model_id,
        )
        return False
    manifest = OnnxManifest(**json.loads(path.read_text(encoding="utf-8")))
    if manifest.model_version != scorer.model_version:
        log.warning("%s was made for model version %s, not %s; using torch",
                    path, manifest.model_version, scorer.model_version)
        return False
    if not manifest.enabled:
        log.warning("int8 ONNX agrees with fp32 on only %.1f%% of labels (< %.0f%%); using torch",
                    100 * manifest.agreement, 100 * MIN_AGREEMENT)
        return False
    scorer.use_logits_function(session_logits(onnx_dir / manifest.int8_path), "onnx-int8")
    return True
