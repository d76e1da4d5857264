"""`vigia sentiment ...` and `vigia model pull`: score files, evaluate models, fetch models.

`vigia model pull` is the only place in Vigía that downloads a model; everything else loads
with `local_files_only`, so a monitor never stalls or changes model behind the operator's back.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from monitor.config import (
    DEFAULT_CONFIG,
    ConfigError,
    EscalationSettings,
    SentimentSettings,
    load_config,
)
from sentiment.base import Score, Scorer

CHUNK = 512
DEFAULT_LANGS = ("es", "en", "pt")

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="config.toml whose [sentiment] section gives the default model "
         f"(default ./{DEFAULT_CONFIG}; without one the bundled model is used).",
)
model_option = click.option(
    "--model", default=None,
    help='"bundled", a Hugging Face hub id or a local model folder (overrides config.toml).',
)


brand_option = click.option(
    "--brand", default=None,
    help="Brand whose [brands.escalation] decides alerts (default: the first brand).")


def resolve_settings(config_path: Path | None, model: str | None, brand: str | None = None,
                     ) -> tuple[SentimentSettings, list[str], EscalationSettings]:
    """[sentiment] settings, brand languages and the brand's escalation settings from
    config.toml, `--model` taking precedence; without a config file, the defaults."""
    path = config_path or DEFAULT_CONFIG
    settings, languages = SentimentSettings(), list(DEFAULT_LANGS)
    escalation = EscalationSettings()
    if config_path is not None or path.exists():
        try:
            config = load_config(path)
            chosen = config.brand(brand) if brand else config.brands[0]
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyError:
            names = ", ".join(repr(b.name) for b in config.brands)
            raise click.ClickException(f"{path}: no brand {brand!r} (brands: {names})") from None
        settings = config.sentiment
        languages = sorted({lang for brand in config.brands for lang in brand.languages})
        escalation = chosen.escalation
    elif brand:
        raise click.ClickException(f"--brand {brand!r} needs a config file ({path} not found)")
    if model:
        settings = settings.model_copy(update={"model": model})
    return settings, languages, escalation




def item_languages(items: list[dict[str, Any]], languages: list[str]) -> list[str | None]:
    """The pipeline's rule per line: its "lang" tag, else offline detection among `languages`."""
    from sentiment.lang import detect_language, normalise_lang

    return [normalise_lang(item.get("lang")) or detect_language(item["text"], languages)
            for item in items]


def build_scorer(settings: SentimentSettings) -> Scorer:
    from sentiment import load_scorer

    try:
        return load_scorer(settings)
    except (OSError, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


def read_mentions(stream: IO[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-blank line; a malformed line stops with its number."""
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{name}:{lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, dict):
            raise click.ClickException(f"{name}:{lineno}: expected a JSON object")
        if not isinstance(item.get("text"), str):
            raise click.ClickException(f"{name}:{lineno}: missing \"text\" string")
        if item.get("lang") is not None and not isinstance(item["lang"], str):
            raise click.ClickException(f"{name}:{lineno}: \"lang\" must be a string")
        yield lineno, item


def _chunks(items: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for _, item in items:
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@click.group("sentiment")
def sentiment_group() -> None:
    """Score and evaluate sentiment models."""


@sentiment_group.command("score")
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8"), required=True,
              help='JSON lines with "id", "text" and optionally "lang" (- for stdin).')
@click.option("--output", "output_file", type=click.File("w", encoding="utf-8"), required=True,
              help="JSON lines: the input fields plus label, confidence, probs, lang (- = stdout).")
@model_option
@config_option
@brand_option
def score_command(input_file: IO[str], output_file: IO[str], model: str | None,
                  config_path: Path | None, brand: str | None) -> None:
    """Add sentiment, the reply category and the alert decision to every mention of a
    JSON-lines file, streaming in chunks.

    Added fields: label, confidence, probs (sentiment); category, categories (calibrated
    P of complaint/question/praise/other), p_complaint; alert (would Vigía escalate it with
    the brand's settings) and track (complaint | question | null); lang, model, model_version.
    """
    from tqdm import tqdm

    from alerts.policy import alert_track

    settings, languages, escalation = resolve_settings(config_path, model, brand)
    scorer = build_scorer(settings)
    name = getattr(input_file, "name", "input")
    with tqdm(unit=" mentions", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
        for chunk in _chunks(read_mentions(input_file, name)):
            texts = [item["text"] for item in chunk]
            langs = item_languages(chunk, languages)
            for item, score in zip(chunk, scorer.score(texts, langs), strict=True):
                track = alert_track(score, escalation)
                item.update(label=score.label, confidence=round(score.confidence, 4),
                            probs={k: round(v, 4) for k, v in score.probs.items()},
                            category=score.category,
                            categories={k: round(v, 4) for k, v in score.category_probs.items()},
                            p_complaint=round(score.complaint, 4), alert=track is not None,
                            track=track, lang=score.lang, model=score.model,
                            model_version=score.model_version)
                output_file.write(json.dumps(item, ensure_ascii=False) + "\n")
            bar.update(len(chunk))


@sentiment_group.command("eval")
@click.option("--data", type=click.Path(exists=True, path_type=Path), required=True,
              help="A UMSAB-format folder (<language>/<split>_text.txt + _labels.txt) for "
                   "sentiment, or a JSON-lines file with gold \"category\" (or boolean "
                   "\"complaint\") for the complaint report.")
@click.option("--split", default=None,
              help="UMSAB folders: test, val or train (default: the first of test, val, train "
                   "present).")
@click.option("--threshold", type=float, default=None,
              help="Complaint threshold to report at (default: the brand's configured one).")
@model_option
@config_option
@brand_option
def eval_command(data: Path, split: str | None, threshold: float | None, model: str | None,
                 config_path: Path | None, brand: str | None) -> None:
    """Sentiment macro-F1 per language (UMSAB folder), or the complaint report (JSONL):
    recall, precision and false-alert rate at the configured threshold, per language, a
    table of thresholds, and a calibration table of P(complaint)."""
    settings, languages, escalation = resolve_settings(config_path, model, brand)
    if data.is_file():
        _eval_replies(data, settings, languages,
                      escalation.threshold if threshold is None else threshold)
        return
    from sentiment.evaluation import DatasetError, evaluate, load_split

    if split is None:  # a held-out folder may carry only its test split
        split = next((name for name in ("test", "val", "train")
                      if any(data.glob(f"*/{name}_text.txt"))), "val")
    try:
        splits = load_split(data, split)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    scorer = build_scorer(settings)
    report = evaluate(scorer, splits, batch_size=settings.batch_size * 8)
    click.echo(f"model {scorer.model_id} {scorer.model_version}, split {split}")
    click.echo(report.format_table())
    click.echo("\nconfusion matrices (rows gold neg/neu/pos, columns predicted):")
    for result in report.languages:
        rows = ["/".join(f"{v:d}" for v in row) for row in result.confusion]
        click.echo(f"  {result.language:<12} " + "  ".join(rows))


def _gold(item: dict[str, Any], name: str, lineno: int) -> tuple[bool, str | None]:
    category = item.get("category")
    if category is not None:
        from sentiment.base import CATEGORIES

        if category not in CATEGORIES:
            raise click.ClickException(
                f"{name}:{lineno}: \"category\" must be one of {', '.join(CATEGORIES)}")
        return category == "complaint", str(category)
    if isinstance(item.get("complaint"), bool):
        return bool(item["complaint"]), None
    raise click.ClickException(
        f"{name}:{lineno}: needs a gold \"category\" or a boolean \"complaint\"")


def _eval_replies(path: Path, settings: SentimentSettings, languages: list[str],
                  threshold: float) -> None:
    from sentiment.reply_evaluation import reply_report

    with path.open(encoding="utf-8") as stream:
        items = [(lineno, item) for lineno, item in read_mentions(stream, str(path))]
    if not items:
        raise click.ClickException(f"{path}: no lines to evaluate")
    golds = [_gold(item, str(path), lineno) for lineno, item in items]
    scorer = build_scorer(settings)
    texts = [item["text"] for _, item in items]
    langs = item_languages([item for _, item in items], languages)
    scores: list[Score] = []
    for start in range(0, len(texts), CHUNK):
        scores += scorer.score(texts[start:start + CHUNK], langs[start:start + CHUNK])
    report = reply_report([s.complaint for s in scores], [g[0] for g in golds],
                          [s.lang for s in scores], threshold,
                          predicted=[s.category for s in scores],
                          gold_category=[g[1] for g in golds])
    click.echo(f"model {scorer.model_id} {scorer.model_version}, {path} ({len(items)} lines)")
    click.echo(report.format())


@sentiment_group.command("export-onnx")
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              required=True, help="UMSAB-format folder whose texts measure int8/fp32 agreement.")
@click.option("--split", default="val", show_default=True)
@click.option("--limit", default=100, show_default=True, help="Texts per language to compare.")
@model_option
@config_option
def export_onnx_command(data: Path, split: str, limit: int, model: str | None,
                        config_path: Path | None) -> None:
    """Export + int8-quantise a Hugging Face model; enabled only if labels agree >= 99%."""
    from sentiment.evaluation import load_split
    from sentiment.hf import HFScorer
    from sentiment.onnx_backend import MIN_AGREEMENT, default_onnx_dir, prepare_onnx

    settings, _, _ = resolve_settings(config_path, model)
    scorer = build_scorer(settings.model_copy(update={"backend": "torch"}))
    if not isinstance(scorer, HFScorer):
        raise click.ClickException("ONNX export is for Hugging Face models, not the bundled one")
    texts = [t for s in load_split(data, split) for t in s.texts[:limit]]
    manifest = prepare_onnx(scorer, default_onnx_dir(scorer), texts)
    verdict = "enabled" if manifest.enabled else f"NOT enabled (needs {MIN_AGREEMENT:.0%})"
    click.echo(f"int8/fp32 label agreement {manifest.agreement:.2%} on {manifest.n_texts} "
               f"texts: {verdict}")


@sentiment_group.command("corrections")
@click.option("--output", "output_file", type=click.File("w", encoding="utf-8"), default="-",
              show_default=True, help="JSON lines in the training corpus format (- = stdout).")
@config_option
def corrections_command(output_file: IO[str], config_path: Path | None) -> None:
    """Export what people corrected from Slack ("Not a complaint", "It is a question"…) as
    training lines: text, lang, category, plus what the model had said and who corrected it."""
    from monitor.storage import alerts as store
    from monitor.storage.db import open_database

    path = config_path or DEFAULT_CONFIG
    try:
        config = load_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    database = open_database(config.database.url)
    try:
        with database.transaction() as session:
            rows = store.corrections(session)
    finally:
        database.dispose()
    for row in rows:
        output_file.write(json.dumps(row, ensure_ascii=False) + "\n")
    click.echo(f"{len(rows)} correction(s) exported", err=True)


@click.group("model")
def model_group() -> None:
    """Manage local copies of Hugging Face models."""


@model_group.command("pull")
@click.argument("name")
@click.option("--revision", default=None, help="Branch, tag or commit (default: main).")
def pull_command(name: str, revision: str | None) -> None:
    """Download NAME into the local Hugging Face cache (the only command that downloads)."""
    from huggingface_hub import snapshot_download

    from sentiment.labels import UnsupportedLabelsError, label_matrix

    try:
        path = Path(snapshot_download(repo_id=name, revision=revision))
    except Exception as exc:  # the hub client raises many unrelated types
        raise click.ClickException(f"could not download {name}: {exc}") from None
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    try:
        label_matrix(config.get("id2label", {}))
    except UnsupportedLabelsError as exc:
        click.echo(f"warning: {name} cannot be used for sentiment: {exc}", err=True)
    click.echo(f"{name} is in {path}; set [sentiment] model = \"{name}\" in config.toml")


COMMANDS: list[click.Command] = [sentiment_group, model_group]
