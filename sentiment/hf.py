"""Any Hugging Face sequence-classification model as a `Scorer` (the production path).

Speed on CPU comes from three things, in order of effect:

1. Length bucketing: a pool of up to `pool_size` texts is tokenised once, sorted by token count
   and cut into batches, so a batch of tweets is not padded to the one long Reddit post.
2. Batching under `torch.inference_mode()` with one intra-op thread per available core.
3. Optionally, an ONNX Runtime dynamic-int8 graph (see `sentiment.onnx_backend`), used only when
   it was shown to agree with fp32 on validation data.

Nothing here downloads: models load with `local_files_only=True`; `vigia model pull` is the one
command that fetches from the hub.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from sentiment.base import Score
from sentiment.labels import label_matrix
from sentiment.lang import languages_for
from sentiment.text import clean_for_model

log = logging.getLogger(__name__)

RECOMMENDED_MODEL = "cardiffnlp/twitter-xlm-roberta-base-sentiment-multilingual"
Logits = Callable[[np.ndarray, np.ndarray], np.ndarray]


class ModelNotAvailableError(RuntimeError):
    """The model is neither a local folder nor in the local Hugging Face cache."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS/Windows
        return os.cpu_count() or 1


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"sentiment.device = {device!r} but no CUDA device is available")
    return torch.device(device)


def model_version(model: torch.nn.Module, source: str) -> str:
    """Hub commit when loaded from the HF cache, else a hash of the local folder's files."""
    commit = getattr(model.config, "_commit_hash", None)
    if commit:
        return str(commit)[:12]
    folder = Path(source)
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*")):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".model", ".txt"):
            digest.update(path.name.encode())
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:12]


class HFScorer:
    """`AutoTokenizer` + `AutoModelForSequenceClassification`, with bucketing and label mapping."""

    def __init__(
        self,
        name_or_path: str,
        *,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int = 128,
        pool_size: int = 1024,
        local_files_only: bool = True,
        threads: int | None = None,
    ) -> None:
        self.model_id = name_or_path
        self.batch_size, self.max_length, self.pool_size = batch_size, max_length, pool_size
        self.device = pick_device(device)
        if self.device.type == "cpu":
            torch.set_num_threads(threads or available_cores())
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                name_or_path, local_files_only=local_files_only
            )
            self.model = AutoModelForSequenceClassification.from_pretrained(
                name_or_path, local_files_only=local_files_only
            )
        except OSError as exc:
            raise ModelNotAvailableError(
                f"sentiment model {name_or_path!r} is not a local folder nor in the Hugging Face "
                f"cache; download it once with `vigia model pull {name_or_path}` ({exc})"
            ) from exc
        self.model.eval().to(self.device)
        self.label_map = label_matrix(self.model.config.id2label)
        self.model_version = model_version(self.model, name_or_path)
        self._logits: Logits = self._torch_logits
        self.backend = "torch"

    def use_logits_function(self, fn: Logits, backend: str) -> None:
        """Swap the forward pass (e.g. for ONNX Runtime) while keeping tokenising and mapping."""
        self._logits, self.backend = fn, backend
        self.model_version = f"{self.model_version}+{backend}"

    def _torch_logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = self.model(
                input_ids=torch.from_numpy(input_ids).to(self.device),
                attention_mask=torch.from_numpy(attention_mask).to(self.device),
            )
        return out.logits.float().cpu().numpy()

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids after Cardiff masking, truncated to `max_length` (special tokens included)."""
        cleaned = [clean_for_model(t) for t in texts]
        enc = self.tokenizer(cleaned, truncation=True, max_length=self.max_length)
        return [list(ids) for ids in enc["input_ids"]]

    def _pad(self, rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return ids, mask

    def predict_proba(self, texts: Sequence[str], sort: bool = True) -> np.ndarray:
        """(n, 3) probabilities in input order; `sort=False` exists only to measure bucketing."""
        out = np.zeros((len(texts), 3), dtype=np.float32)
        for start in range(0, len(texts), self.pool_size):
            ids = self.encode(texts[start:start + self.pool_size])
            lengths = [len(r) for r in ids]
            order = np.argsort(lengths, kind="stable") if sort else np.arange(len(ids))
            for b in range(0, len(order), self.batch_size):
                chosen = order[b:b + self.batch_size]
                logits = self._logits(*self._pad([ids[i] for i in chosen]))
                z = logits - logits.max(axis=1, keepdims=True)
                p = np.exp(z)
                p /= p.sum(axis=1, keepdims=True)
                out[start + chosen] = p @ self.label_map
        return out

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Score]:
        used = languages_for(texts, langs)
        probs = self.predict_proba(texts) if texts else np.zeros((0, 3), dtype=np.float32)
        return [Score.from_probs(p, lang, self.model_id, self.model_version)
                for p, lang in zip(probs, used, strict=True)]
