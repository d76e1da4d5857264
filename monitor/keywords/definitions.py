"""Watched keywords: one definition per brand, validated once, behaving the same on every source.

The TOML lives under `[brands.keywords]` (see `KeywordSet`). Values are compared with
`monitor.keywords.text.fold`, so "Envío", "ENVIO" and "envio" are the same keyword.

Validation errors are raised as `ValueError` phrased to follow "expected ...", because
`monitor.config` prefixes them with the file and the key path for the person editing the file.
This module must not import `monitor.config` (which imports it): what the matcher and the
change descriptions need from a brand is the `BrandLike` protocol below.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from monitor.keywords.languages import language_code
from monitor.keywords.patterns import exclusion_pattern, written_form
from monitor.keywords.text import STOPWORDS, fold, words

# Sources a per-source override may name (monitor.config imports this module, not the other way
# round) — add a new source here too.
KNOWN_SOURCES: tuple[str, ...] = ("twitter", "reddit", "facebook", "instagram", "bluesky")

# Kinds of keyword, in the order they are compiled and listed.
POSITIVE_KINDS: tuple[str, ...] = ("terms", "phrases", "hashtags", "handles")
NEGATIVE_KINDS: tuple[str, ...] = ("exclude", "exclude_authors")
LIST_KINDS: tuple[str, ...] = POSITIVE_KINDS + NEGATIVE_KINDS

_HANDLE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_HASHTAG = re.compile(r"^\w+$")


def _clean(value: str) -> str:
    """Trim, collapse inner whitespace, NFC; refuse quotes we could not send to a platform."""
    value = " ".join(unicodedata.normalize("NFC", value).split())
    if not value:
        raise ValueError("a non-empty keyword, got an empty string")
    for opening, closing in (('"', '"'), ("“", "”"), ("«", "»")):
        if value.startswith(opening) and value.endswith(closing) and len(value) > 1:
            value = " ".join(value[1:-1].split())
            break
    quotes = sum(value.count(q) for q in '"“”«»')
    if quotes % 2:
        raise ValueError(
            f"balanced double quotes, got {value!r} (write phrases without quotes; "
            "each list item is already one exact phrase)"
        )
    if quotes:
        raise ValueError(
            f"a keyword without inner double quotes, got {value!r} (put an exact phrase in "
            "`phrases`, one phrase per item, without quotes)"
        )
    if not value:
        raise ValueError("a non-empty keyword, got only quotes")
    return value


def _distinctive(value: str) -> str:
    found = words(value)
    if sum(len(w) for w in found) < 2:
        raise ValueError(
            f"a keyword with at least 2 letters or digits, got {value!r} "
            "(emoji and punctuation alone cannot be matched on word boundaries)"
        )
    if all(w in STOPWORDS for w in found):
        raise ValueError(
            f"a distinctive keyword, got {value!r}, which only has common words "
            "and would match almost every post"
        )
    return value


def _term(value: str) -> str:
    value = _clean(value)
    if value[0] in "#@":
        kind = "hashtags" if value[0] == "#" else "handles"
        raise ValueError(f"a plain word or name, got {value!r} (put it in `{kind}`)")
    if value[0] == "-":
        raise ValueError(f"a keyword, got {value!r} (put exclusions in `exclude`, without '-')")
    return _distinctive(value)


def _exclusion(value: str) -> str:
    value = _clean(value)
    if value[0] == "-":
        value = value[1:].strip()
    if value[:1] == "#":
        return "#" + _hashtag(value)
    if value[:1] == "@":
        return "@" + _handle(value)
    return _distinctive(value)


def _hashtag(value: str) -> str:
    value = _clean(value).removeprefix("#")
    if not _HASHTAG.match(value):
        raise ValueError(f"a hashtag such as TiendaSol (one word, no spaces), got {value!r}")
    return _distinctive(value)


def _handle(value: str) -> str:
    value = _clean(value).removeprefix("@").removeprefix("/").removeprefix("u/")
    if not _HANDLE.match(value):
        raise ValueError(
            f"a handle such as tiendasol (letters, digits, '_', '.', '-'; no @), got {value!r}"
        )
    return value


def _language(value: str) -> str:
    return language_code(value, any_allowed=True)


def _brand_language(value: str) -> str:
    return language_code(value, any_allowed=False)


Term = Annotated[str, AfterValidator(_term)]
Exclusion = Annotated[str, AfterValidator(_exclusion)]
Hashtag = Annotated[str, AfterValidator(_hashtag)]
Handle = Annotated[str, AfterValidator(_handle)]
Language = Annotated[str, AfterValidator(_language)]  # a code, or "*" for any
# The languages of a brand's customers (`brands.languages`): codes only.
BrandLanguage = Annotated[str, AfterValidator(_brand_language)]


def normalize_value(kind: str, value: str) -> str:
    """The form a value is stored in (what the validators above would keep); raises ValueError."""
    checks = {
        "terms": _term,
        "phrases": _term,
        "hashtags": _hashtag,
        "handles": _handle,
        "exclude": _exclusion,
        "exclude_authors": _handle,
    }
    if kind not in checks:
        raise ValueError(f"one of {', '.join(LIST_KINDS)}, got {kind!r}")
    return checks[kind](value)


def identity(kind: str, value: str) -> str:
    """What makes two values the same keyword (used for de-duplication and removal).

    Any form a person may write or find in the file compares equal: "#TiendaSol", "tiendasol"
    and "#TIENDASOL" are one hashtag; "@tiendasol" and "u/TiendaSol" one handle.
    """
    with contextlib.suppress(ValueError):
        value = normalize_value(kind, value)
    if kind in ("hashtags", "handles", "exclude_authors"):
        return fold(value)
    if kind == "exclude" and value[:1] in "#@":
        return value[0] + fold(value[1:])
    return " ".join(words(value))


def _drop_key(value: str) -> str:
    return " ".join(fold(value).strip().lstrip("#@").split())


class _Lists(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[Term] = Field(default_factory=list)
    phrases: list[Term] = Field(default_factory=list)
    hashtags: list[Hashtag] = Field(default_factory=list)
    handles: list[Handle] = Field(default_factory=list)
    exclude: list[Exclusion] = Field(default_factory=list)
    exclude_authors: list[Handle] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)  # empty = inherit

    @model_validator(mode="after")
    def _no_duplicates(self) -> _Lists:
        for kind in LIST_KINDS:
            seen: dict[str, str] = {}
            for value in getattr(self, kind):
                key = identity(kind, value)
                if key in seen:
                    raise ValueError(
                        f"each keyword once in `{kind}`, got {value!r} and {seen[key]!r} "
                        "(matching ignores case and accents)"
                    )
                seen[key] = value
        return self

    def positives(self) -> int:
        return sum(len(getattr(self, kind)) for kind in POSITIVE_KINDS)


class KeywordOverride(_Lists):
    """Per-source changes on top of the brand's keyword set.

    Lists add to the brand's lists on that source; `drop` removes brand keywords (of any kind)
    there, e.g. a word that is noisy on Reddit only; `languages`, when not empty, replaces the
    brand's.
    """

    drop: list[str] = Field(default_factory=list)


class KeywordSet(_Lists):
    """What to watch for one brand, on every source.

    `terms` are names and words matched flexibly ("tienda sol" also matches "TiendaSol",
    "tienda-sol", "#tiendasol", "@tiendasol" — not "@tienda_sol", as on X); `phrases` are
    exact word sequences (punctuation between the words allowed, as X's tokenised phrase
    search does, but never joined); `hashtags` match only as hashtags; `handles` are
    @mentions of the brand.
    `exclude` drops any post containing the word/phrase (or "#tag", "@user");
    `exclude_authors` drops posts by those accounts (the brand's own accounts, from
    `brands.accounts`, are always excluded). `languages` empty (the default) means the brand's
    `languages`; ["*"] means any language. An empty set is valid (a brand being set up
    watches nothing).
    """

    overrides: dict[str, KeywordOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_set(self) -> KeywordSet:
        unknown = sorted(set(self.overrides) - set(KNOWN_SOURCES))
        if unknown:
            raise ValueError(
                f"overrides only for the sources {', '.join(KNOWN_SOURCES)}, got {unknown}"
            )
        mine = {_drop_key(v) for kind in LIST_KINDS for v in getattr(self, kind)}
        for source, override in self.overrides.items():
            for value in override.drop:
                if _drop_key(value) not in mine:
                    raise ValueError(
                        f"overrides.{source}.drop to name keywords of this brand, "
                        f"got {value!r}, which is not in any keyword list"
                    )
        any_positive = self.positives() or any(o.positives() for o in self.overrides.values())
        any_negative = any(getattr(self, k) for k in NEGATIVE_KINDS) or any(
            getattr(o, k) for o in self.overrides.values() for k in NEGATIVE_KINDS
        )
        if any_negative and not any_positive:
            raise ValueError(
                "at least one of terms, phrases, hashtags or handles "
                "(exclusions alone watch nothing)"
            )
        self._no_self_exclusion()
        return self

    def _no_self_exclusion(self) -> None:
        """Refuse an exclusion that drops every post naming one of the brand's own keywords.

        With `terms = ["tienda sol"]` and `exclude = ["sol"]`, a post saying "tienda sol" is
        excluded: the brand's own name would never be a mention.
        """
        scopes: list[tuple[str, EffectiveKeywords]] = [("", self.for_source("", []))]
        scopes += [(s, self.for_source(s, [])) for s in self.overrides]
        for source, kw in scopes:
            exclusions = [(v, re.compile(exclusion_pattern(v))) for v in kw.exclude]
            for kind in POSITIVE_KINDS:
                for value in getattr(kw, kind):
                    written = written_form(kind, value)
                    for excluded, pattern in exclusions:
                        if pattern.search(fold(written)):
                            where = f" (on {source})" if source else ""
                            raise ValueError(
                                f"exclusions that leave the brand's own keywords matchable, "
                                f"got exclude {excluded!r}{where}, which drops every post "
                                f"that says {written!r} ({kind}): such a post would never be "
                                "a mention. Remove the exclusion, or make it a longer phrase "
                                "that is about something else"
                            )

    def for_source(self, source: str, default_languages: list[str]) -> EffectiveKeywords:
        """The keywords that apply on `source`: brand lists + override additions - drops."""
        override = self.overrides.get(source)
        dropped = {_drop_key(v) for v in override.drop} if override else set()
        lists: dict[str, tuple[str, ...]] = {}
        for kind in LIST_KINDS:
            values: list[str] = list(getattr(self, kind))
            if override:
                values += getattr(override, kind)
            seen: set[str] = set()
            kept: list[str] = []
            for value in values:
                key = identity(kind, value)
                if key not in seen and _drop_key(value) not in dropped:
                    seen.add(key)
                    kept.append(value)
            lists[kind] = tuple(kept)
        languages = self.languages or default_languages
        if override and override.languages:
            languages = override.languages
        return EffectiveKeywords(
            terms=lists["terms"],
            phrases=lists["phrases"],
            hashtags=lists["hashtags"],
            handles=lists["handles"],
            exclude=lists["exclude"],
            exclude_authors=lists["exclude_authors"],
            languages=None if "*" in languages else tuple(dict.fromkeys(languages)),
        )


@dataclass(frozen=True)
class EffectiveKeywords:
    """A brand's keywords resolved for one source; `languages` None means any language."""

    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_authors: tuple[str, ...] = ()
    languages: tuple[str, ...] | None = None

    @property
    def watches_anything(self) -> bool:
        return bool(self.terms or self.phrases or self.hashtags or self.handles)


class BrandAccountsLike(Protocol):
    """The brand's own accounts per platform (`monitor.config.BrandAccountsSettings`)."""

    @property
    def twitter(self) -> list[str]: ...
    @property
    def twitter_ids(self) -> list[str]: ...
    @property
    def reddit(self) -> list[str]: ...
    @property
    def facebook(self) -> list[str]: ...
    @property
    def instagram(self) -> list[str]: ...
    @property
    def bluesky(self) -> list[str]: ...


class BrandLike(Protocol):
    """What keyword code reads from a brand (`monitor.config.BrandSettings`)."""

    @property
    def name(self) -> str: ...
    @property
    def languages(self) -> list[str]: ...
    @property
    def keywords(self) -> KeywordSet: ...
    @property
    def accounts(self) -> BrandAccountsLike: ...


class ConfigLike(Protocol):
    """What keyword code reads from a configuration (`monitor.config.Config`)."""

    @property
    def brands(self) -> Sequence[BrandLike]: ...
