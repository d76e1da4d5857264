"""What the team reads, in the brand's language: one place for the words and formats that the
Slack card and the weekly digest share (es, en, pt; English for any other language).

    lang_code("es-MX") -> "es"            the table a language reads from
    phrase("card", "es", "followers", n="15 k") -> "15 k seguidores"
    number / decimal / percent / compact / day_month / date_range / weekday_name / language_name

Why one module: the card and the digest must call the same thing by the same name ("Queja" on
the card is "quejas" in the digest), and a fourth language is added in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Literal

from alerts.i18n.card_words import CARD_WORDS
from alerts.i18n.digest_words import DIGEST_WORDS

LANGS = ("es", "en", "pt")
Kind = Literal["card", "digest"]
_TABLES: dict[str, dict[str, dict[str, str]]] = {"card": CARD_WORDS, "digest": DIGEST_WORDS}

WEEKDAYS = {
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "pt": ("seg", "ter", "qua", "qui", "sex", "sáb", "dom"),
}
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # config's business-day names
MONTHS = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "pt": ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
}
LANGUAGE_NAMES = {
    "es": {"es": "español", "en": "inglés", "pt": "portugués"},
    "en": {"es": "Spanish", "en": "English", "pt": "Portuguese"},
    "pt": {"es": "espanhol", "en": "inglês", "pt": "português"},
}
NBSP = "\u00a0"


def lang_code(lang: str | None) -> str:
    """'es-MX' / 'pt_BR' / 'ES' -> 'es' / 'pt'; anything without a table -> 'en'."""
    code = (lang or "").replace("_", "-").split("-", 1)[0].strip().casefold()
    return code if code in LANGS else "en"


def table(kind: Kind, lang: str | None) -> Mapping[str, str]:
    """Every label of one kind ("card" or "digest") in `lang`."""
    return _TABLES[kind][lang_code(lang)]


def phrase(kind: Kind, lang: str | None, key: str, **values: str) -> str:
    """One label, with its `{placeholders}` filled (values must already be safe to show)."""
    text = table(kind, lang)[key]
    return text.format(**values) if values else text


def number(value: int, lang: str | None) -> str:
    """12345 -> "12.345" (es, pt) / "12,345" (en)."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang_code(lang) in ("es", "pt") else text


def decimal(value: float, lang: str | None, digits: int = 1) -> str:
    """3.5 -> "3,5" (es, pt) / "3.5" (en): a ratio or an average, with its decimal comma."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang_code(lang) in ("es", "pt") else text


def percent(ratio: float, lang: str | None) -> str:
    """0.874 -> "87 %" (es, with a no-break space, as Spanish writes it) / "87%" (en, pt)."""
    shown = round(100 * ratio)
    return f"{shown}{NBSP}%" if lang_code(lang) == "es" else f"{shown}%"


def compact(count: int, lang: str | None) -> str:
    """Follower counts the way people read them: en 950 / 12.3k / 15k / 1.2M;
    es 12,3 k / 15 k / 1,2 M; pt 12,3 mil / 15 mil / 1,2 mi."""
    code = lang_code(lang)
    units = {"es": (f"{NBSP}k", f"{NBSP}M"), "en": ("k", "M"),
             "pt": (f"{NBSP}mil", f"{NBSP}mi")}[code]
    if count >= 1_000_000:
        value, unit, digits = count / 1_000_000, units[1], 1
    elif count >= 1_000:
        value, unit, digits = count / 1_000, units[0], 0 if count >= 10_000 else 1
    else:
        return str(count)
    text = f"{value:.{digits}f}".removesuffix(".0")
    return (text.replace(".", ",") if code != "en" else text) + unit


def weekday_name(day_index: int, lang: str | None) -> str:
    """0 (Monday) -> "lun" / "Mon" / "seg"."""
    return WEEKDAYS[lang_code(lang)][day_index]


def day_month(value: date, lang: str | None, *, year: bool = False) -> str:
    """"23 nov" / "23 Nov" / "23 nov", with " 2026" when `year`."""
    text = f"{value.day} {MONTHS[lang_code(lang)][value.month - 1]}"
    return f"{text} {value.year}" if year else text


def date_range(first: date, last: date, lang: str | None) -> str:
    """"23–29 nov 2026"; "30 nov – 6 dic 2026"; "29 dic 2025 – 4 ene 2026"."""
    if first.year != last.year:
        return f"{day_month(first, lang, year=True)} – {day_month(last, lang, year=True)}"
    if first.month != last.month:
        return f"{day_month(first, lang)} – {day_month(last, lang, year=True)}"
    return f"{first.day}–{day_month(last, lang, year=True)}"


def language_name(code: str | None, lang: str | None) -> str:
    """The customer's language named in the team's language ("portugués"), else the code."""
    key = (code or "").split("-", 1)[0].casefold()
    return LANGUAGE_NAMES[lang_code(lang)].get(key, code or "?")
