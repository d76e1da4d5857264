"""Randomly initialised XLM-R models with a locally trained tokenizer, for tests and benchmarks.

The hub is unreachable on CI and on our benchmark machines, yet the transformers path must be
exercised end to end (tokenizer files on disk, `AutoModel...from_pretrained`, label mapping,
ONNX export). A random-weight model has the real architecture and therefore the real speed; its
predictions are meaningless, which is fine for everything except accuracy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from transformers import (
    PreTrainedTokenizerFast,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
)

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's ids 0..3, <mask> last


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A SentencePiece-style (Metaspace) BPE tokenizer with XLM-R's special tokens and template."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>",
        model_max_length=512,
    )


def build_random_xlmr(
    out_dir: Path,
    texts: Iterable[str],
    *,
    id2label: Mapping[int, str] | None = None,
    vocab_size: int = 30522,
    seed: int = 0,
    **config_overrides: float,
) -> Path:
    """Save tokenizer + random model to `out_dir`; `config_overrides` shrink it for tests."""
    import torch

    torch.manual_seed(seed)
    tokenizer = train_tokenizer(texts, vocab_size)
    labels = dict(id2label or {0: "negative", 1: "neutral", 2: "positive"})
    values: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "id2label": labels,
        "label2id": {v: k for k, v in labels.items()},
        **config_overrides,
    }
    config = XLMRobertaConfig(**values)
    model = XLMRobertaForSequenceClassification(config).eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(out_dir)
    model.save_pretrained(out_dir)
    return out_dir
