"""Which language a mention is in: trust the platform's tag, else ask lingua, else say None.

The pipeline calls `normalise_lang(platform_tag) or detect_language(text, brand.languages)`.
Platform tags come in many shapes (Twitter's "es", "und", "qme"; Facebook's "pt_BR"; browsers'
"es-ES"), and a wrong language is worse than none: the bundled model falls back to its shared,
language-independent features when the language is None.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from sentiment.text import clean_for_model

# Twitter/X's pseudo-languages and ISO "no linguistic content" / "undetermined" codes.
_NOT_A_LANGUAGE = frozenset({"und", "zxx", "mul", "mis", "qme", "qht", "qam", "qct", "qst", "art"})
# Three-letter and legacy codes that platforms or older tooling still emit.
_ALIASES = {
    "spa": "es", "eng": "en", "por": "pt", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de",
    "ita": "it", "ara": "ar", "hin": "hi", "cat": "ca", "in": "id", "iw": "he", "ji": "yi",
    "spanish": "es", "english": "en", "portuguese": "pt", "french": "fr", "german": "de",
    "italian": "it", "arabic": "ar", "hindi": "hi",
}
_TAG = re.compile(r"^[a-z]{2,3}$")
_LETTER = re.compile(r"[^\W\d_]")
DEFAULT_MIN_CONFIDENCE = 0.6


def normalise_lang(tag: str | None) -> str | None:
    """Lower-case ISO 639-1 code from a platform tag, or None when the tag says nothing."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    if primary in _NOT_A_LANGUAGE or primary.startswith("q"):
        return None
    primary = _ALIASES.get(primary, primary)
    return primary if _TAG.match(primary) and len(primary) == 2 else None


def _iso(code: str) -> IsoCode639_1 | None:
    return getattr(IsoCode639_1, code.upper(), None)


@functools.lru_cache(maxsize=32)
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    """Building a detector is cheap but loading its n-gram models is not: reuse per set."""
    isos = [iso for iso in (_iso(c) for c in codes) if iso is not None]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()


def detect_language(
    text: str, allowed: Sequence[str], min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> str | None:
    """The most likely of `allowed` (ISO 639-1), or None when lingua is not confident enough.

    Restricting to the brand's languages makes short texts far more reliable than open-set
    detection. Handles, links and emoji are removed first because they carry no language signal.
    """
    codes = tuple(sorted({c for c in (normalise_lang(a) for a in allowed) if c and _iso(c)}))
    if not codes:
        return None
    stripped = clean_for_model(text).replace("@user", " ").replace("http", " ")
    if len(_LETTER.findall(stripped)) < 2:
        return None
    if len(codes) == 1:
        return codes[0]
    values = _detector(codes).compute_language_confidence_values(stripped)
    if not values or values[0].value < min_confidence:
        return None
    return values[0].language.iso_code_639_1.name.lower()


def languages_for(texts: Sequence[str], langs: Sequence[str | None] | None) -> list[str | None]:
    """One normalised language per text (None where unknown), checked to line up."""
    if langs is None:
        return [None] * len(texts)
    if len(langs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
    return [normalise_lang(tag) for tag in langs]
