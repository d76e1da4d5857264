"""Reddit search query syntax (`q`, 512 characters, Lucene) for a brand's keywords.

    (A OR "b c") NOT word NOT "a phrase" NOT author:bot

Reddit's index does not reliably fold accents, so a keyword with accents is sent in both forms
(`envío OR envio`). Hashtags and handles are sent as plain words (Reddit strips '#'/'@' when
tokenising). Reddit has no language filter; the matcher applies it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from monitor.config import BrandSettings
from sources.keyword_query import KeywordCompileError, dedupe, joined, pack, unique, where

REDDIT_MAX_QUERY = 512
_BARE = re.compile(r"^\w+$")


def _unaccented(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _variants(value: str, render: Callable[[str], str]) -> list[str]:
    forms = [value, _unaccented(value)]
    return [render(f) for f in dict.fromkeys(forms)]


def _word(value: str) -> str:
    return value if _BARE.match(value) else f'"{value}"'


def compile_reddit_queries(
    brand: BrandSettings, *, max_length: int = REDDIT_MAX_QUERY
) -> list[str]:
    """Reddit search queries for the brand's mentions, split to fit `max_length`; [] if none."""
    kw = brand.keywords.for_source("reddit", brand.languages)
    groups: list[list[str]] = []
    for term in kw.terms:
        joined_form = joined(term)
        forms = _variants(term, _word)
        groups.append(forms + (_variants(joined_form, _word) if joined_form else []))
    groups += [_variants(p, lambda v: f'"{v}"') for p in kw.phrases]
    groups += [_variants(t, _word) for t in kw.hashtags]
    groups += [[_word(h)] for h in kw.handles]
    suffix: list[str] = []
    for value in kw.exclude:
        suffix += [f"NOT {v}" for v in _variants(value.lstrip("#@"), _word)]
    authors = [*kw.exclude_authors, *brand.accounts.reddit]
    suffix += [f"NOT author:{a}" for a in dict.fromkeys(authors)]
    suffix = unique(suffix, str.casefold)
    return pack(dedupe(groups, str.casefold), suffix, max_length, where(brand, "reddit"))


def compile_reddit_query(brand: BrandSettings, *, max_length: int = REDDIT_MAX_QUERY) -> str:
    """The single Reddit query for the brand ("" if it watches nothing on Reddit).

    Raises `KeywordCompileError` when the keywords need more than one query: callers that can
    run several should use `compile_reddit_queries`.
    """
    queries = compile_reddit_queries(brand, max_length=max_length)
    if len(queries) > 1:
        raise KeywordCompileError(
            f"{where(brand, 'reddit')}: needs {len(queries)} queries of at most {max_length} "
            "characters; use compile_reddit_queries"
        )
    return queries[0] if queries else ""
