"""Watched keywords: one definition per brand, one matcher, safe edits, readable changes.

Modules, each importing only those above it (no circle; `monitor.config` imports `definitions`,
so only `editing`, the top floor, may import `monitor.config`):

- `text`: `fold()` and word splitting, the one notion of "the same word";
- `languages`: ISO 639-1 codes, refused with a suggestion otherwise;
- `patterns`: the regex of each kind of keyword;
- `definitions`: the `[brands.keywords]` model (`KeywordSet`), validation, per-source view;
- `advice`: warnings about valid keywords that cost (an everyday word on a pay-per-read API);
- `matcher`: `BrandMatcher`, the local definition of "a mention";
- `changes`: keyword differences between two configurations, for the reload log;
- `editing`: add/remove in config.toml keeping comments (import it from
  `monitor.keywords.editing`; it is not re-exported here, as it needs `monitor.config`).

Each platform's search syntax lives beside its source (`sources/twitter_query.py`,
`sources/reddit_query.py`, `sources/bluesky_query.py`); Facebook and Instagram have no search.
"""

from monitor.keywords.changes import describe_keyword_changes
from monitor.keywords.definitions import (
    KNOWN_SOURCES,
    LIST_KINDS,
    NEGATIVE_KINDS,
    POSITIVE_KINDS,
    BrandLanguage,
    EffectiveKeywords,
    KeywordOverride,
    KeywordSet,
)
from monitor.keywords.matcher import BrandMatcher, BrandVerdict, KeywordMatch
from monitor.keywords.text import fold

__all__ = [
    "KNOWN_SOURCES",
    "LIST_KINDS",
    "NEGATIVE_KINDS",
    "POSITIVE_KINDS",
    "BrandLanguage",
    "BrandMatcher",
    "BrandVerdict",
    "EffectiveKeywords",
    "KeywordMatch",
    "KeywordOverride",
    "KeywordSet",
    "describe_keyword_changes",
    "fold",
]
