"""Words and number formats of the digest, in the brand's first language (es, en or pt).

The labels live in `alerts.i18n` (shared with the Slack card); this module adds the digest's
formats.

Every renderer (HTML, Markdown, Slack) formats through here, so the small-number rule and
the units are the same everywhere: shares under `SMALL_N` items read "3 de 7", net sentiment
is shown in points from -100 to +100, and changes in points ("+5 pts").
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from alerts.digest.model import Share
from alerts.i18n import LANGS, date_range, day_month, table, weekday_name
from alerts.i18n import number as format_number
from alerts.situations import situation_label


def report_language(languages: list[str]) -> str:
    """The brand's first language we have words for; English otherwise."""
    return next((lang for lang in languages if lang in LANGS), "en")


class Words:
    """Labels and formats of one language; `w["key"]` or `w.key` read a label."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "en"
        self._words = table("digest", self.lang)

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def __getattr__(self, key: str) -> str:
        try:
            return self._words[key]
        except KeyError:
            raise AttributeError(key) from None

    def situation_name(self, name: str) -> str:
        return situation_label(name, self.lang)

    def label_name(self, label: str) -> str:
        """"negative" -> "negativas"; a missing label ("none") -> "—"."""
        return self._words.get(label, "—") if label in ("positive", "neutral", "negative") \
            else "—"

    def share(self, share: Share) -> str:
        """"43%" from 10 items up, "3 de 7" below, "—" for nothing."""
        if share.whole == 0:
            return "—"
        if share.small:
            return f"{share.part} {self['of']} {share.whole}"
        return f"{round(100 * share.part / share.whole)}%"

    def points(self, value: float | None) -> str:
        if value is None:
            return "—"
        points = round(100 * value)
        return f"{points:+d}" if points else "0"

    def change(self, value: float | None) -> str:
        return "—" if value is None else f"{round(100 * value):+d} {self['pts']}"

    def minutes(self, value: float | None) -> str:
        if value is None:
            return "—"
        total = round(value)
        if total < 60:
            return f"{total} min"
        hours, mins = divmod(total, 60)
        if hours < 48:
            return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
        days, hours = divmod(hours, 24)
        return f"{days} d {hours} h" if hours else f"{days} d"

    def weekday(self, value: date) -> str:
        return f"{weekday_name(value.weekday(), self.lang)} {value.day}"

    def day_month(self, value: date) -> str:
        """"mié 25 nov" (the weekday, the day and the month)."""
        return f"{weekday_name(value.weekday(), self.lang)} {day_month(value, self.lang)}"

    def date_range(self, first: date, last: date) -> str:
        """"23–29 nov 2026"."""
        return date_range(first, last, self.lang)

    def moment(self, value: datetime, timezone: str) -> str:
        local = value.astimezone(ZoneInfo(timezone))
        return f"{self.weekday(local.date())} {local:%H:%M}"

    def full_moment(self, value: datetime, timezone: str) -> str:
        """"mié 25 nov 14:05" in the brand's time zone."""
        local = value.astimezone(ZoneInfo(timezone))
        return f"{self.day_month(local.date())} {local:%H:%M}"

    def number(self, value: int) -> str:
        return format_number(value, self.lang)
