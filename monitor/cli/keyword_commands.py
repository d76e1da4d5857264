"""`vigia keywords`: list, add, remove and test the watched keywords in config.toml.

Edits go through `monitor.keywords.editing` (comments kept, validated before writing). A running
daemon picks them up by itself. Every refusal is one message on stderr and exit code 2;
`test` exits 1 when the text is not a mention (scripts rely on it).
Whatever form people type works: "#TiendaSol" or "tiendasol" with `--kind hashtag` (or no
`--kind`: a leading '#' or '@' says which list), any case for brands, kinds and sources.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from monitor.config import DEFAULT_CONFIG, BrandSettings, Config, ConfigError, load_config
from monitor.keywords import KNOWN_SOURCES, LIST_KINDS, BrandMatcher, fold
from monitor.keywords.editing import add_keywords, remove_keywords
from sources.bluesky_query import compile_bluesky_queries, compile_bluesky_reply_queries
from sources.reddit_query import compile_reddit_queries
from sources.twitter_query import (
    compile_twitter_queries,
    compile_twitter_reply_queries,
    cost_warnings,
)

P = ParamSpec("P")
R = TypeVar("R")

# Singular spellings are accepted because "--kind hashtag" is what people type.
_KIND_ALIASES = {
    "term": "terms",
    "phrase": "phrases",
    "hashtag": "hashtags",
    "handle": "handles",
    "exclusion": "exclude",
    "exclusions": "exclude",
    "exclude_author": "exclude_authors",
}

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The config.toml to read (and edit).",
)
brand_option = click.option(
    "--brand", "brand", default=None, help="Brand name (optional when there is only one)."
)
# "X" is what the platform is called now.
_SOURCE_ALIASES = {"x": "twitter"}
_PREFIX_KINDS = {"#": "hashtags", "@": "handles"}

kind_option = click.option(
    "--kind",
    type=click.Choice([*LIST_KINDS, *_KIND_ALIASES], case_sensitive=False),
    default=None,
    help="Which keyword list (default: hashtags for '#tag', handles for '@name', else terms).",
)
source_option = click.option(
    "--source",
    type=click.Choice([*KNOWN_SOURCES, *_SOURCE_ALIASES], case_sensitive=False),
    default=None,
    help="Edit the per-source override instead of the brand's lists.",
)


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn configuration errors into one message on stderr and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(2) from None

    return wrapper


def _source(value: str | None) -> str | None:
    return None if value is None else _SOURCE_ALIASES.get(value.lower(), value.lower())


def _kind(kind: str | None, values: tuple[str, ...]) -> str:
    """The list to edit: the one named, else the one the values' '#'/'@' prefix says."""
    if kind is not None:
        return _KIND_ALIASES.get(kind.lower(), kind.lower())
    kinds = {_PREFIX_KINDS.get(v.strip()[:1], "terms") for v in values}
    if len(kinds) > 1:
        raise ConfigError(
            f"these values belong to different lists ({', '.join(sorted(kinds))}); "
            "edit one list at a time, or name it with --kind"
        )
    return kinds.pop() if kinds else "terms"


def _brand_name(config: Config, brand: str | None) -> str:
    if brand is not None:
        return _known(config, brand)
    if len(config.brands) == 1:
        return config.brands[0].name
    names = ", ".join(repr(b.name) for b in config.brands)
    raise ConfigError(f"{config.path}: several brands ({names}); choose one with --brand")


@click.group("keywords")
def keywords() -> None:
    """Watched keywords: one definition per brand, compiled for every platform."""


@keywords.command("list")
@config_option
@brand_option
@friendly
def list_keywords(config_path: Path, brand: str | None) -> None:
    """Show each brand's keywords, languages and per-source overrides."""
    config = load_config(config_path)
    if brand is not None:
        brand = _known(config, brand)
    for settings in config.brands:
        if brand is not None and settings.name != brand:
            continue
        kw = settings.keywords
        languages = kw.languages or settings.languages
        click.echo(f"{settings.name}  (languages: {', '.join(languages)})")
        _echo_lists(kw, "  ")
        for source, override in kw.overrides.items():
            click.echo(f"  overrides.{source}:")
            _echo_lists(override, "    ")
            if override.drop:
                click.echo(f"    drop: {_join(override.drop)}")
            if override.languages:
                click.echo(f"    languages: {', '.join(override.languages)}")
    _warn(config, brand)


def _known(config: Config, brand: str) -> str:
    """The configured name of `brand`, written in any case or accents."""
    for settings in config.brands:
        if fold(settings.name.strip()) == fold(brand.strip()):
            return settings.name
    names = ", ".join(repr(b.name) for b in config.brands)
    raise ConfigError(f"{config.path}: brands: no brand named {brand!r} (brands: {names})")


def _join(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _echo_lists(lists: Any, indent: str) -> None:
    for kind in LIST_KINDS:
        values = getattr(lists, kind)
        if values:
            click.echo(f"{indent}{kind}: {_join(values)}")


def _warn(config: Config, brand: str | None, only: tuple[str, ...] | None = None) -> None:
    """Print, on stderr, the cost warnings of a brand's keywords (or of `only` these terms)."""
    for settings in config.brands:
        if brand is None or settings.name == brand:
            for line in cost_warnings(settings, config.sources.twitter, only):
                click.echo(f"warning: {line}", err=True)


def _edit(
    edit: Any, config_path: Path, brand: str | None, kind: str | None, source: str | None,
    values: tuple[str, ...],
) -> tuple[str, str, Config]:
    """Apply an add/remove edit; returns the brand name, the key path and the new config."""
    config = load_config(config_path)
    try:
        kind = _kind(kind, values)
    except ConfigError as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    source = _source(source)
    name = _brand_name(config, brand)
    new = edit(config_path, name, kind, list(values), source=source)
    return name, f"overrides.{source}.{kind}" if source else kind, new


@keywords.command("add")
@config_option
@brand_option
@kind_option
@source_option
@click.argument("values", nargs=-1, required=True)
@friendly
def add(
    config_path: Path,
    brand: str | None,
    kind: str | None,
    source: str | None,
    values: tuple[str, ...],
) -> None:
    """Add VALUES to a brand's keyword list (all or nothing; the file keeps its comments)."""
    name, target, config = _edit(add_keywords, config_path, brand, kind, source, values)
    click.echo(f"{name}: added {_join(list(values))} to keywords.{target}")
    if target.endswith("terms"):
        _warn(config, name, values)


@keywords.command("remove")
@config_option
@brand_option
@kind_option
@source_option
@click.argument("values", nargs=-1, required=True)
@friendly
def remove(
    config_path: Path,
    brand: str | None,
    kind: str | None,
    source: str | None,
    values: tuple[str, ...],
) -> None:
    """Remove VALUES from a brand's keyword list (matched ignoring case and accents)."""
    name, target, _ = _edit(remove_keywords, config_path, brand, kind, source, values)
    click.echo(f"{name}: removed {_join(list(values))} from keywords.{target}")


@keywords.command("test")
@config_option
@brand_option
@click.option(
    "--source",
    type=click.Choice([*KNOWN_SOURCES, *_SOURCE_ALIASES], case_sensitive=False),
    default="twitter",
    show_default=True,
)
@click.option("--author", default=None, help="Author handle, to test author exclusions.")
@click.option("--lang", default=None, help="Language the platform gave the post (e.g. es).")
@click.argument("text")
@friendly
def try_text(
    config_path: Path,
    brand: str | None,
    source: str,
    author: str | None,
    lang: str | None,
    text: str,
) -> None:
    """Show which brand and keyword TEXT matches and why, and each platform's compiled query.

    Exit code 0 when TEXT would be stored as a mention (of --brand, when given), else 1.
    """
    config = load_config(config_path)
    source = _source(source) or "twitter"
    if brand is not None:
        brand = _known(config, brand)
    matcher = BrandMatcher.from_config(config)
    verdicts = matcher.explain(text, source=source, author_handle=author, lang=lang)
    for verdict in verdicts:
        if brand is None or verdict.brand == brand:
            status = "MATCH" if verdict.matched else "no match"
            click.echo(f"{verdict.brand}: {status} on {source}: {verdict.reason}")
            others = [h for h in verdict.hits if h != verdict.match]
            if len(verdict.hits) > 1 or (others and not verdict.matched):
                found = ", ".join(f"{h.kind} {h.keyword!r}" for h in verdict.hits)
                click.echo(f"  keywords found: {found}")
    first = matcher.match(text, source=source, author_handle=author, lang=lang)
    mention = first is not None and brand in (None, first.brand)
    if first is None:
        click.echo("=> not a mention")
    elif mention:
        click.echo(f"=> stored as a mention of {first.brand!r}")
    else:
        click.echo(f"=> not a mention of {brand!r} (stored as a mention of {first.brand!r})")
    for settings in config.brands:
        if brand is not None and settings.name != brand:
            continue
        click.echo(f"\nCompiled queries for {settings.name}:")
        queries = compiled_queries(settings, config)
        for platform, texts in queries.items():
            if platform in _NO_SEARCH:
                click.echo(f"  {platform}: {_NO_SEARCH[platform]}")
            elif not texts:
                click.echo(f"  {platform}: (nothing to search)")
            for number, query in enumerate(texts, 1):
                click.echo(f"  {platform} [{number}/{len(texts)}, {len(query)} chars]: {query}")
            excluded = settings.keywords.for_source(platform, settings.languages).exclude
            if platform == "bluesky" and texts and excluded:
                click.echo(f"  bluesky: no negation in its search; excluded locally: "
                           f"{_join(list(excluded))}")
    _warn(config, brand)
    if not mention:
        raise SystemExit(1)


def compiled_queries(brand: BrandSettings, config: Config) -> dict[str, list[str]]:
    """Every platform's queries for a brand, for display (each syntax lives with its source)."""
    return {
        "twitter": compile_twitter_queries(
            brand, exclude_retweets=config.sources.twitter.exclude_retweets
        ),
        "twitter replies": compile_twitter_reply_queries(brand),
        "reddit": compile_reddit_queries(brand),
        "facebook": [],
        "instagram": [],
        "bluesky": compile_bluesky_queries(
            brand, language_filter=config.sources.bluesky.language_filter
        ),
        "bluesky replies": compile_bluesky_reply_queries(brand),
    }


# Platforms read without a keyword search: everything fetched goes through the matcher.
_NO_SEARCH = {
    "facebook": "no server-side search; the matcher filters the Page feed",
    "instagram": "no server-side search; comments on the brand's media and media that tag "
    "it, filtered by the matcher",
}


COMMANDS: list[click.Command] = [keywords]
