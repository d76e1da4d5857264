"""X (API v2 recent search) query syntax for a brand's keywords; 512 characters on basic/pro.

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
- X bills every post read: `cost_warnings` says what a term that is an everyday word ("sol")
  could cost, since the query then returns a large share of all posts in that language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.config import BrandSettings, TwitterSettings
from monitor.keywords import EffectiveKeywords, fold
from monitor.keywords.advice import common_words
from sources.keyword_query import dedupe, joined, pack, unique, where

X_MAX_QUERY = 512
_BARE = re.compile(r"^\w+$")


def _quoted_or_bare(value: str) -> str:
    return value if _BARE.match(value) and "_" not in value else f'"{value}"'


def _groups(kw: EffectiveKeywords) -> list[list[str]]:
    groups: list[list[str]] = []
    for term in kw.terms:
        joined_form = joined(term)
        groups.append([_quoted_or_bare(term), *([joined_form] if joined_form else [])])
    groups += [[f'"{p}"'] for p in kw.phrases]
    groups += [[f"#{h}"] for h in kw.hashtags]
    groups += [[f"@{h}"] for h in kw.handles]
    return dedupe(groups)


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
    suffix = unique(suffix, fold)
    if kw.languages:
        clauses = [f"lang:{code}" for code in dict.fromkeys([*kw.languages, "und"])]
        suffix.append("(" + " OR ".join(clauses) + ")")
    if exclude_retweets:
        suffix.append("-is:retweet")
    return pack(_groups(kw), suffix, max_length, where(brand, "twitter"))


def compile_twitter_reply_queries(
    brand: BrandSettings, *, max_length: int = X_MAX_QUERY
) -> list[str]:
    """Queries for the brand's own replies (`(from:a OR from:b) is:reply`); [] without accounts."""
    groups = [[f"from:{a}"] for a in dict.fromkeys(brand.accounts.twitter)]
    return pack(groups, ["is:reply"], max_length, where(brand, "twitter replies"))


def reads_per_day_ceiling(settings: TwitterSettings) -> int:
    """The most posts one query can read in a day: every poll filling its page budget."""
    polls = 24 * 60 / settings.interval_minutes
    return round(settings.page_budget * settings.max_results * polls)


def cost_warnings(
    brand: BrandSettings, settings: TwitterSettings, only: Iterable[str] | None = None
) -> list[str]:
    """One line per X search term that is an everyday word, with the read cost it risks.

    `only` limits the check to these terms (e.g. the ones just added).
    """
    kw = brand.keywords.for_source("twitter", brand.languages)
    terms = list(kw.terms)
    if only is not None:
        wanted = {fold(t) for t in only}
        terms = [t for t in terms if fold(t) in wanted]
    reads = reads_per_day_ceiling(settings)
    price = settings.cost_per_read_usd
    budget = settings.monthly_read_budget
    lines = []
    for word in common_words(terms, kw.languages):
        where = "that language" if len(word.languages) == 1 else "those languages"
        line = (
            f"{brand.name}: term {word.describe()}: the X query sends `OR "
            f"{_quoted_or_bare(word.term)}`, which matches a large share of all posts in "
            f"{where}, and X bills every post read. Estimated risk: up to {reads:,} posts a "
            f"day ({settings.page_budget} pages of {settings.max_results} every "
            f"{settings.interval_minutes:g} min), about ${reads * price:,.2f} a day at "
            f"${price:g} per post"
        )
        if budget and reads:
            hours = budget / reads * 24
            line += (
                f"; the monthly read budget ({budget:,} posts) would last about {hours:,.0f} "
                "hours, then X polling stops until next month"
            )
        lines.append(
            line + ". Prefer the brand's full name or a phrase, a hashtag or a handle, or "
            "leave the word out of X searches (keywords.overrides.twitter.drop)."
        )
    return lines
