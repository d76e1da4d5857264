"""The local keyword matcher every source applies after fetching.

Facebook and Reddit comments have no server-side search, and X/Reddit search is looser than our
rules (stemming, tokenisation, accents), so every fetched item passes through `BrandMatcher`:
it decides which brand a text is about and which keyword says so. Server-side queries are a
superset; this matcher is the one definition of "a mention".

Rules (see `monitor.keywords.definitions.KeywordSet` for the kinds, `patterns` for the regexes):
- case- and accent-insensitive via `fold()`: "envio" matches "ENVÍO";
- Unicode word boundaries: "sol" does not match "solución" nor "sol_oficial";
  emoji and ZWJ sequences are not word characters, so "🌞sol🌞" matches "sol";
- a term matches its joined/hashtag/handle forms ("tienda sol" ~ "#TiendaSol", "@tiendasol");
  an underscore joins words (as in X's tokeniser), so "@tienda_sol" is another word;
  a phrase never joins words; a hashtag entry matches only "#tag"; a handle "@h" or "u/h";
- one exclusion hit, an excluded author, the brand's own account or a language outside the
  brand's list rules the brand out (like X's `-` operator).
Regexes are compiled once per (brand, source); a text is folded once for all brands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.keywords.definitions import (
    KNOWN_SOURCES,
    POSITIVE_KINDS,
    BrandLike,
    ConfigLike,
    EffectiveKeywords,
)
from monitor.keywords.patterns import (
    KIND_NAMES,
    exclusion_pattern,
    normalize_author,
    positive_pattern,
)
from monitor.keywords.text import fold, fold_with_offsets

# Languages platforms give to posts they could not classify (only a handle, emoji, a link).
UNDETERMINED_LANGS = frozenset({"und", "zxx", "qme", "qam", "qct", "qht", "qst"})


@dataclass(frozen=True)
class KeywordMatch:
    """Which brand a text is about and why: the configured keyword, its kind and where it is.

    `span` indexes the original text (not the folded one), so `text[slice(*span)]` is what
    the author wrote.
    """

    brand: str
    keyword: str
    kind: str  # "term" | "phrase" | "hashtag" | "handle"
    span: tuple[int, int]


@dataclass(frozen=True)
class BrandVerdict:
    """One brand's decision on a text, for `vigia keywords test` and debugging."""

    brand: str
    match: KeywordMatch | None  # set only when the brand matched
    hits: tuple[KeywordMatch, ...]  # every keyword found, even when an exclusion ruled it out
    reason: str

    @property
    def matched(self) -> bool:
        return self.match is not None


def _alternation(entries: list[tuple[str, str]]) -> re.Pattern[str] | None:
    """One regex with a named group per entry; longer patterns first so they win a tie."""
    if not entries:
        return None
    ordered = sorted(enumerate(entries), key=lambda item: -len(item[1][1]))
    return re.compile("|".join(f"(?P<k{i}>{pattern})" for i, (_, pattern) in ordered))


@dataclass(frozen=True)
class _Compiled:
    """A brand's keywords for one source, ready to run."""

    brand: str
    positive: re.Pattern[str] | None
    labels: tuple[tuple[str, str], ...]  # group k{i} -> (keyword, kind)
    exclusion: re.Pattern[str] | None
    exclusions: tuple[str, ...]  # group k{i} -> configured exclusion
    excluded_authors: frozenset[str]
    own_accounts: frozenset[str]  # folded handles and ids of the brand's accounts on the source
    languages: frozenset[str] | None

    @classmethod
    def build(cls, brand: BrandLike, source: str) -> _Compiled:
        keywords: EffectiveKeywords = brand.keywords.for_source(source, brand.languages)
        labels: list[tuple[str, str]] = []
        patterns: list[tuple[str, str]] = []
        for kind in POSITIVE_KINDS:
            for value in getattr(keywords, kind):
                labels.append((value, KIND_NAMES[kind]))
                patterns.append((value, positive_pattern(kind, value)))
        exclusions = [(v, exclusion_pattern(v)) for v in keywords.exclude]
        accounts = brand.accounts
        own: list[str] = {
            "twitter": [*accounts.twitter, *accounts.twitter_ids],
            "reddit": list(accounts.reddit),
            "facebook": list(accounts.facebook),
            "instagram": list(accounts.instagram),  # IG user ids
            "bluesky": list(accounts.bluesky),  # handles or DIDs
        }.get(source, [])
        return cls(
            brand=brand.name,
            positive=_alternation(patterns),
            labels=tuple(labels),
            exclusion=_alternation(exclusions),
            exclusions=tuple(v for v, _ in exclusions),
            excluded_authors=frozenset(normalize_author(a) for a in keywords.exclude_authors),
            own_accounts=frozenset(normalize_author(a) for a in own),
            languages=None if keywords.languages is None else frozenset(keywords.languages),
        )

    def ruled_out(
        self, author_handle: str | None, author_id: str | None, lang: str | None, source: str
    ) -> str | None:
        """Why this brand cannot match whatever the text says, or None."""
        author = normalize_author(author_handle) if author_handle else None
        if author and author in self.excluded_authors:
            return f"author @{author} is in exclude_authors"
        for candidate in (author, normalize_author(author_id) if author_id else None):
            if candidate and candidate in self.own_accounts:
                return f"author {candidate} is the brand's own {source} account"
        if lang and self.languages is not None:
            code = lang.strip().lower()
            if code not in UNDETERMINED_LANGS and code.split("-")[0] not in self.languages:
                return f"language {code!r} is not one of {', '.join(sorted(self.languages))}"
        return None

    def first_hit(self, folded: str) -> re.Match[str] | None:
        return self.positive.search(folded) if self.positive else None

    def excluded_by(self, folded: str) -> re.Match[str] | None:
        return self.exclusion.search(folded) if self.exclusion else None

    def label(self, hit: re.Match[str]) -> tuple[str, str]:
        return self.labels[int((hit.lastgroup or "k0")[1:])]


class BrandMatcher:
    """Decides which brand (if any) a fetched text mentions; brands are tried in config order.

    Build it once per configuration (`from_config`) and rebuild on reload; `match` is cheap.
    """

    def __init__(self, brands: Sequence[BrandLike]) -> None:
        self._brands = list(brands)
        self._compiled: dict[str, list[_Compiled]] = {}
        for source in KNOWN_SOURCES:
            self._for(source)

    @classmethod
    def from_config(cls, config: ConfigLike) -> BrandMatcher:
        return cls(config.brands)

    def _for(self, source: str) -> list[_Compiled]:
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = [_Compiled.build(b, source) for b in self._brands]
            self._compiled[source] = compiled
        return compiled

    def match(
        self,
        text: str,
        *,
        source: str,
        author_handle: str | None = None,
        author_id: str | None = None,
        lang: str | None = None,
    ) -> KeywordMatch | None:
        """The first brand (config order) that matches, with its leftmost keyword; else None."""
        found = self.match_all(
            text,
            source=source,
            author_handle=author_handle,
            author_id=author_id,
            lang=lang,
            first_only=True,
        )
        return found[0] if found else None

    def match_all(
        self,
        text: str,
        *,
        source: str,
        author_handle: str | None = None,
        author_id: str | None = None,
        lang: str | None = None,
        first_only: bool = False,
    ) -> list[KeywordMatch]:
        """Every brand that matches (one `KeywordMatch` each, config order)."""
        folded: str | None = None
        offsets: list[int] | None = None
        found: list[KeywordMatch] = []
        for brand in self._for(source):
            if brand.positive is None or brand.ruled_out(author_handle, author_id, lang, source):
                continue
            if folded is None:
                folded = fold(text)
            hit = brand.first_hit(folded)
            if hit is None or brand.excluded_by(folded):
                continue
            if offsets is None:
                offsets = fold_with_offsets(text)[1]
            found.append(_to_match(brand, hit, offsets))
            if first_only:
                break
        return found

    def explain(
        self,
        text: str,
        *,
        source: str,
        author_handle: str | None = None,
        author_id: str | None = None,
        lang: str | None = None,
    ) -> list[BrandVerdict]:
        """Per brand: whether it matched, every keyword found, and the reason in words."""
        folded, offsets = fold_with_offsets(text)
        verdicts: list[BrandVerdict] = []
        for brand in self._for(source):
            hits: tuple[KeywordMatch, ...] = ()
            if brand.positive is not None:
                hits = tuple(_to_match(brand, h, offsets) for h in brand.positive.finditer(folded))
            verdict = _verdict(
                brand, text, folded, offsets, hits, (author_handle, author_id, lang), source
            )
            verdicts.append(verdict)
        return verdicts


def _to_match(brand: _Compiled, hit: re.Match[str], offsets: list[int]) -> KeywordMatch:
    keyword, kind = brand.label(hit)
    start, end = hit.span()
    return KeywordMatch(brand.brand, keyword, kind, (offsets[start], offsets[end]))


def _verdict(
    brand: _Compiled,
    text: str,
    folded: str,
    offsets: list[int],
    hits: tuple[KeywordMatch, ...],
    who: tuple[str | None, str | None, str | None],
    source: str,
) -> BrandVerdict:
    if brand.positive is None:
        return BrandVerdict(brand.brand, None, hits, f"watches no keyword on {source}")
    blocked = brand.ruled_out(*who, source)
    if blocked:
        return BrandVerdict(brand.brand, None, hits, f"ruled out: {blocked}")
    if not hits:
        return BrandVerdict(brand.brand, None, hits, "no keyword found")
    excluded = brand.excluded_by(folded)
    if excluded is not None:
        value = brand.exclusions[int((excluded.lastgroup or "k0")[1:])]
        start, end = excluded.span()
        written = text[offsets[start] : offsets[end]]
        return BrandVerdict(
            brand.brand, None, hits, f"ruled out: exclusion {value!r} found as {written!r}"
        )
    first = hits[0]
    written = text[first.span[0] : first.span[1]]
    return BrandVerdict(
        brand.brand, first, hits, f"matched {first.kind} {first.keyword!r} as {written!r}"
    )
