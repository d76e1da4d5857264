"""Compile a brand's keywords into platform search queries, and key each query for its cursor.

Server-side queries only narrow what we download; the local `BrandMatcher` decides what a
mention is. So a compiled query must never be *narrower* than the matcher: a multi-word term
"Tienda Sol" is sent as `"Tienda Sol" OR TiendaSol` because the matcher accepts the joined form.

X (API v2 recent search, 512 characters on the basic/pro tiers):
    (A OR "b c" OR #tag OR @handle) -word -"some phrase" -from:bot -from:brand (lang:es OR
    lang:en OR lang:und) -is:retweet
- Keywords are packed greedily, in config order, into as many queries as needed; each one
  repeats every exclusion, the language clause and `-is:retweet`. Packing in order means that
  adding a keyword at the end changes only the last query, so only that cursor restarts.
- Languages: one language gives `lang:es`; several give an OR group. `lang:und` (posts X could
  not classify: only a handle, a hashtag, emoji — typical of "@tienda 😡😡") is always added
  when a language filter is used. `languages = ["*"]` sends no language clause.
- The brand's own X accounts are excluded (`-from:`) so its own posts are not mentions.
- X folds accents and case itself, so keywords are sent as written.

Reddit (search `q`, 512 characters, Lucene syntax): `(A OR "b c") NOT word NOT "a phrase"
NOT author:bot`. Reddit's index does not reliably fold accents, so a keyword with accents is
sent in both forms (`envío OR envio`). Hashtags and handles are sent as plain words (Reddit
strips '#'/'@' when tokenising). Reddit has no language filter; the matcher applies it.

Facebook has no search: one query per brand with empty text (the Page feed is read and matched).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from monitor.config import ConfigError
from monitor.keywords import EffectiveKeywords, fold
from sources.base import BrandAccounts, Query

if TYPE_CHECKING:
    from monitor.config import BrandSettings, Config

X_MAX_QUERY = 512
REDDIT_MAX_QUERY = 512
_BARE_X = re.compile(r"^\w+$")


class KeywordCompileError(ConfigError):
    """The keywords cannot be expressed as a query within the platform's limits."""


def query_key(source: str, brand: str, text: str) -> str:
    """Stable short id of a compiled query: a changed text is a new key, hence a fresh cursor."""
    digest = hashlib.sha256(f"{source}\x1f{brand}\x1f{text}".encode()).hexdigest()
    return digest[:16]


def _unaccented(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _quoted_or_bare(value: str) -> str:
    return value if _BARE_X.match(value) and "_" not in value else f'"{value}"'


def _joined(value: str) -> str | None:
    """'Tienda Sol' -> 'TiendaSol' (as written, separators removed) for multi-word terms."""
    parts = [p for p in re.split(r"\W+", value) if p]
    return "".join(parts) if len(parts) > 1 else None


def _unique(items: list[str], key: Callable[[str], str]) -> list[str]:
    """First occurrence of each item, comparing by `key`."""
    first: dict[str, str] = {}
    for item in items:
        first.setdefault(key(item), item)
    return list(first.values())


def _dedupe(groups: list[list[str]], key: Callable[[str], str] = fold) -> list[list[str]]:
    """Drop atoms the platform would treat as equal (X folds accents; Reddit only case)."""
    seen: set[str] = set()
    kept: list[list[str]] = []
    for group in groups:
        fresh = [a for a in _unique(group, key) if key(a) not in seen]
        seen.update(key(a) for a in fresh)
        if fresh:
            kept.append(fresh)
    return kept


def _pack(groups: list[list[str]], suffix: list[str], max_length: int, where: str) -> list[str]:
    """Greedy split of OR'd keywords into queries that each end with the full `suffix`.

    A keyword's forms (`"tienda sol" OR tiendasol`) stay in one query, so adding a keyword at
    the end changes only the last query or adds one: the other cursors are kept.
    """
    if not groups:
        return []
    tail = " ".join(suffix)
    room = max_length - (len(tail) + 1 if tail else 0)

    def body(atoms: list[str]) -> str:
        return atoms[0] if len(atoms) == 1 else "(" + " OR ".join(atoms) + ")"

    bodies: list[str] = []
    current: list[str] = []
    for group in groups:
        for atom in group:
            if len(atom) > room:
                raise KeywordCompileError(
                    f"{where}: keyword {atom!r} ({len(atom)} characters) does not fit in a "
                    f"{max_length}-character query: exclusions, languages and filters already "
                    f"take {len(tail)}; shorten `exclude`/`exclude_authors` or move some to a "
                    "per-source override"
                )
        if current and len(body([*current, *group])) > room:
            bodies.append(body(current))
            current = []
        for atom in group:  # a group longer than a whole query is split atom by atom
            if current and len(body([*current, atom])) > room:
                bodies.append(body(current))
                current = []
            current.append(atom)
    bodies.append(body(current))
    return [f"{b} {tail}" if tail else b for b in bodies]


def _twitter_groups(kw: EffectiveKeywords) -> list[list[str]]:
    groups: list[list[str]] = []
    for term in kw.terms:
        joined = _joined(term)
        groups.append([_quoted_or_bare(term), *([joined] if joined else [])])
    groups += [[f'"{p}"'] for p in kw.phrases]
    groups += [[f"#{h}"] for h in kw.hashtags]
    groups += [[f"@{h}"] for h in kw.handles]
    return _dedupe(groups)


def _where(brand: BrandSettings, source: str) -> str:
    return f"brands (name={brand.name!r}).keywords ({source})"


def compile_twitter_queries(
    brand: BrandSettings, *, exclude_retweets: bool = True, max_length: int = X_MAX_QUERY
) -> list[str]:
    """X API v2 search queries for the brand's mentions, each at most `max_length` characters.

    Returns [] when the brand watches nothing on X.
    """
    kw = brand.keywords.for_source("twitter", brand.languages)
    suffix: list[str] = []
    for value in kw.exclude:
        if value[0] in "#@":
            suffix.append(f"-{value}")
        else:
            suffix.append(f"-{_quoted_or_bare(value)}")
    authors = [*kw.exclude_authors, *brand.accounts.twitter]
    suffix += [f"-from:{a}" for a in dict.fromkeys(authors)]
    suffix = _unique(suffix, fold)
    if kw.languages:
        clauses = [f"lang:{code}" for code in dict.fromkeys([*kw.languages, "und"])]
        suffix.append("(" + " OR ".join(clauses) + ")")
    if exclude_retweets:
        suffix.append("-is:retweet")
    return _pack(_twitter_groups(kw), suffix, max_length, _where(brand, "twitter"))


def compile_twitter_reply_queries(
    brand: BrandSettings, *, max_length: int = X_MAX_QUERY
) -> list[str]:
    """Queries for the brand's own replies (`(from:a OR from:b) is:reply`); [] without accounts."""
    groups = [[f"from:{a}"] for a in dict.fromkeys(brand.accounts.twitter)]
    return _pack(groups, ["is:reply"], max_length, _where(brand, "twitter replies"))


def _reddit_variants(value: str, render: Callable[[str], str]) -> list[str]:
    forms = [value, _unaccented(value)]
    return [render(f) for f in dict.fromkeys(forms)]


def _reddit_word(value: str) -> str:
    return value if _BARE_X.match(value) else f'"{value}"'


def compile_reddit_queries(
    brand: BrandSettings, *, max_length: int = REDDIT_MAX_QUERY
) -> list[str]:
    """Reddit search queries for the brand's mentions, split to fit `max_length`; [] if none."""
    kw = brand.keywords.for_source("reddit", brand.languages)
    groups: list[list[str]] = []
    for term in kw.terms:
        joined = _joined(term)
        forms = _reddit_variants(term, _reddit_word)
        groups.append(forms + (_reddit_variants(joined, _reddit_word) if joined else []))
    groups += [_reddit_variants(p, lambda v: f'"{v}"') for p in kw.phrases]
    groups += [_reddit_variants(t, _reddit_word) for t in kw.hashtags]
    groups += [[_reddit_word(h)] for h in kw.handles]
    suffix: list[str] = []
    for value in kw.exclude:
        suffix += [f"NOT {v}" for v in _reddit_variants(value.lstrip("#@"), _reddit_word)]
    authors = [*kw.exclude_authors, *brand.accounts.reddit]
    suffix += [f"NOT author:{a}" for a in dict.fromkeys(authors)]
    suffix = _unique(suffix, str.casefold)
    return _pack(_dedupe(groups, str.casefold), suffix, max_length, _where(brand, "reddit"))


def compile_reddit_query(brand: BrandSettings, *, max_length: int = REDDIT_MAX_QUERY) -> str:
    """The single Reddit query for the brand ("" if it watches nothing on Reddit).

    Raises `KeywordCompileError` when the keywords need more than one query: callers that can
    run several should use `compile_reddit_queries`.
    """
    queries = compile_reddit_queries(brand, max_length=max_length)
    if len(queries) > 1:
        raise KeywordCompileError(
            f"{_where(brand, 'reddit')}: needs {len(queries)} queries of at most {max_length} "
            "characters; use compile_reddit_queries"
        )
    return queries[0] if queries else ""


def compiled_queries(
    brand: BrandSettings, *, exclude_retweets: bool = True
) -> dict[str, list[str]]:
    """Every platform's queries for a brand, for display (`vigia keywords test`)."""
    return {
        "twitter": compile_twitter_queries(brand, exclude_retweets=exclude_retweets),
        "twitter replies": compile_twitter_reply_queries(brand),
        "reddit": compile_reddit_queries(brand),
        "facebook": [],
    }


def brand_queries(
    brand: BrandSettings, source: str, *, exclude_retweets: bool = True
) -> list[Query]:
    """The `Query` objects one source polls for one brand, each keyed by its compiled text.

    `options["languages"]` carries the languages the matcher accepts (absent = any). For
    Facebook (no search) there is one query with empty text while the brand watches anything.
    Sources add their own options (subreddits, page ids) on top.
    """
    kw = brand.keywords.for_source(source, brand.languages)
    accounts = brand.accounts
    if source == "twitter":
        texts = compile_twitter_queries(brand, exclude_retweets=exclude_retweets)
        own = BrandAccounts(tuple(accounts.twitter), tuple(accounts.twitter_ids))
    elif source == "reddit":
        texts = compile_reddit_queries(brand)
        own = BrandAccounts(tuple(accounts.reddit))
    else:
        texts = [""] if kw.watches_anything else []
        own = BrandAccounts(ids=tuple(getattr(accounts, source, ())))
    options = {} if kw.languages is None else {"languages": list(kw.languages)}
    return [
        Query(brand.name, query_key(source, brand.name, t), t, own, dict(options)) for t in texts
    ]


def build_queries(config: Config, source: str) -> list[Query]:
    """`brand_queries` for every brand; errors name the config file."""
    exclude_retweets = config.sources.twitter.exclude_retweets
    try:
        return [
            query
            for brand in config.brands
            for query in brand_queries(brand, source, exclude_retweets=exclude_retweets)
        ]
    except KeywordCompileError as exc:
        raise KeywordCompileError(f"{config.path}: {exc}") from None


__all__ = [
    "KeywordCompileError",
    "brand_queries",
    "build_queries",
    "compile_reddit_queries",
    "compile_reddit_query",
    "compile_twitter_queries",
    "compile_twitter_reply_queries",
    "compiled_queries",
    "query_key",
]
