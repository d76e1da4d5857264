"""Pure escalation decisions: what is negative, how urgent, when to alert, when to page.

Nothing here touches the database or Slack; every function takes the clock as an argument.

Decisions documented here (the engine applies them):
- A case opens for a complaint: the reply head's calibrated P(complaint) >= `threshold`; or,
  with `questions = "alert"`, for a question: P(question) >= `question_threshold`.
- Priority "high" when the author's reach, the engagement (likes + replies + shares), a verified
  author, or a severity word ("estafa", "lawsuit", "procon"...) says so. High priority skips the
  grace period, its SLA runs on the wall clock even when `sla_clock = "business_hours"`, and it
  may page the on-call group at any hour. Reddit gives no follower count, so there only the
  engagement and the words count.
- SLA: `sla_minutes` from the mention's creation, on the wall clock or in business minutes.
- Paging (the on-call mention in the escalation) happens only within business hours for normal
  priority; outside them it is deferred to the next business-hours start. Alerts themselves
  always go to the channel.
- An empty `business_hours.days` list means "no business hours configured": 24/7.
- Backfill: a mention older than `max_age_hours` when first seen is recorded but never posted
  one by one (the engine sends one ops summary instead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from monitor.config import BrandSettings, BusinessHours, EscalationSettings
from monitor.keywords import fold
from sentiment.base import Score
from sources.base import Mention

Priority = Literal["high", "normal"]
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS_SCANNED = 3 * 366  # guards the business-minute loops

# Built-in severity words per language (folded: lower case, no accents). Matched as whole words
# or phrases, with an optional plural "s"/"es"; config adds more per language.
SEVERITY_WORDS: dict[str, tuple[str, ...]] = {
    "es": (
        "estafa", "estafado", "estafada", "estafaron", "estafador", "fraude", "fraudulento",
        "denuncia", "denunciar", "denunciare", "demanda", "demandar", "demandare", "profeco",
        "sernac", "consumidor", "defensa del consumidor", "abogado", "abogada", "robo",
        "me robaron", "ladron", "ladrones", "indecopi", "omic",
    ),
    "en": (
        "scam", "scammed", "scammer", "fraud", "fraudulent", "lawsuit", "sue", "sued", "suing",
        "attorney", "lawyer", "stolen", "bbb", "chargeback", "legal action",
    ),
    "pt": (
        "golpe", "golpista", "fraude", "fraudulento", "processo", "processar", "procon",
        "reclame aqui", "reclameaqui", "advogado", "roubo", "roubaram", "justica",
    ),
}


@dataclass(frozen=True)
class PriorityDecision:
    level: Priority
    reasons: tuple[str, ...]


def alert_track(score: Score | None, settings: EscalationSettings) -> str | None:
    """Why a mention would get a case: "complaint" (P(complaint) at or above `threshold`),
    "question" (P(question) at or above `question_threshold`, with `questions = "alert"`), or
    None. The engine asks the same of the database (`monitor.storage.alerts.unalerted_cases`)."""
    if score is None:
        return None
    if score.complaint >= settings.threshold:
        return "complaint"
    if settings.questions == "alert" and score.question >= settings.question_threshold:
        return "question"
    return None


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({fold(w).strip() for w in words if w.strip()}, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?:e?s)?(?!\w)")


def severity_words(lang: str | None, settings: EscalationSettings) -> tuple[str, ...]:
    """Built-in plus configured words for `lang`; every language's words when `lang` is unknown."""
    code = lang.split("-")[0].lower() if lang else None
    if code and (code in SEVERITY_WORDS or code in settings.severity_words):
        langs = [code]
    else:
        langs = sorted(set(SEVERITY_WORDS) | set(settings.severity_words))
    words: list[str] = []
    for code in langs:
        words += SEVERITY_WORDS.get(code, ())
        words += settings.severity_words.get(code, [])
    return tuple(words)


def find_severity_word(text: str, lang: str | None, settings: EscalationSettings) -> str | None:
    """The first severity word in `text` (accent- and case-insensitive), or None."""
    words = severity_words(lang, settings)
    if not words:
        return None
    match = _pattern(words).search(fold(text))
    return match.group(0) if match else None


def priority(mention: Mention, lang: str | None, settings: EscalationSettings) -> PriorityDecision:
    """High or normal, with the reasons a community manager would want to read."""
    reasons: list[str] = []
    if mention.author_reach >= settings.high_priority_reach:
        reasons.append(f"reach {mention.author_reach:,}")
    engagement = mention.likes + mention.replies + mention.shares
    if engagement >= settings.high_priority_engagement:
        reasons.append(f"engagement {engagement:,}")
    if mention.author_verified:
        reasons.append(f"verified {mention.source} author")
    word = find_severity_word(mention.text, lang, settings)
    if word:
        reasons.append(f"severity word {word!r}")
    return PriorityDecision("high" if reasons else "normal", tuple(reasons))


# Business hours ---------------------------------------------------------------------------


def _windows(start: datetime, tz: ZoneInfo,
             hours: BusinessHours) -> Iterator[tuple[datetime, datetime]]:
    """Business windows in UTC, from the local day that contains `start` onward."""
    first: date = start.astimezone(tz).date()
    for offset in range(-1, _MAX_DAYS_SCANNED):
        day = first + timedelta(days=offset)
        if DAY_NAMES[day.weekday()] in hours.days:
            opens = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
            closes = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
            if closes > start:
                yield opens, closes


def in_business_hours(at: datetime, tz: ZoneInfo, hours: BusinessHours) -> bool:
    if not hours.days:
        return True
    for opens, _closes in _windows(at, tz, hours):
        return opens <= at
    return False


def next_business_start(at: datetime, tz: ZoneInfo, hours: BusinessHours) -> datetime:
    """`at` itself inside business hours, else the next opening."""
    if not hours.days:
        return at
    for opens, _closes in _windows(at, tz, hours):
        return max(opens, at)
    return at


def business_minutes_between(start: datetime, end: datetime, tz: ZoneInfo,
                             hours: BusinessHours) -> float:
    """Business minutes from `start` to `end` (negative when `end` is earlier)."""
    if end < start:
        return -business_minutes_between(end, start, tz, hours)
    if not hours.days:
        return (end - start).total_seconds() / 60
    total = 0.0
    for opens, closes in _windows(start, tz, hours):
        if opens >= end:
            break
        span = min(closes, end) - max(opens, start)
        total += max(0.0, span.total_seconds() / 60)
    return total


def add_business_minutes(start: datetime, minutes: float, tz: ZoneInfo,
                         hours: BusinessHours) -> datetime:
    """The instant `minutes` business minutes after `start`."""
    if not hours.days:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    for opens, closes in _windows(start, tz, hours):
        begin = max(opens, start)
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    return start + timedelta(minutes=minutes)  # unreachable with a non-empty week


# SLA and paging ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BrandClock:
    """A brand's escalation settings bound to its time zone: the SLA arithmetic in one place."""

    settings: EscalationSettings
    tz: ZoneInfo

    @classmethod
    def of(cls, brand: BrandSettings) -> BrandClock:
        return cls(brand.escalation, ZoneInfo(brand.timezone))

    @property
    def hours(self) -> BusinessHours:
        return self.settings.business_hours

    def business_clock(self, level: Priority) -> bool:
        return self.hours.sla_clock == "business_hours" and level == "normal"

    def alert_due_at(self, created_at: datetime, level: Priority) -> datetime:
        """When the first alert goes out: after the grace period, at once for high priority."""
        if level == "high":
            return created_at
        return created_at + timedelta(minutes=self.settings.grace_minutes)

    def sla_deadline(self, created_at: datetime, level: Priority) -> datetime:
        if self.business_clock(level):
            return add_business_minutes(created_at, self.settings.sla_minutes, self.tz, self.hours)
        return created_at + timedelta(minutes=self.settings.sla_minutes)

    def minutes_left(self, deadline: datetime, now: datetime, level: Priority) -> float:
        """Minutes until the deadline on the brand's SLA clock (negative once missed)."""
        if self.business_clock(level):
            return business_minutes_between(now, deadline, self.tz, self.hours)
        return (deadline - now).total_seconds() / 60

    def escalation_due_at(self, deadline: datetime, alerted_at: datetime) -> datetime:
        """At the SLA deadline, but never before the team had the grace period to see the alert."""
        return max(deadline, alerted_at + timedelta(minutes=self.settings.grace_minutes))

    def in_business_hours(self, at: datetime) -> bool:
        return in_business_hours(at, self.tz, self.hours)

    def page_at(self, at: datetime, level: Priority) -> datetime:
        """When a page due at `at` may go out: at once for high priority, else in business hours."""
        if level == "high":
            return at
        return next_business_start(at, self.tz, self.hours)

    def too_old(self, created_at: datetime, now: datetime) -> bool:
        return now - created_at > timedelta(hours=self.settings.max_age_hours)
