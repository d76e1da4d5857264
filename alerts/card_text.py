"""Why a case is on the team's screen, said in the brand's language.

The engine stores the decision's raw material on the card (track, P(track), the priority
reasons as `alerts.policy.priority` wrote them, the brand's hours and time zone); this module
turns it into the lines a community manager reads first:

    Queja · 87 % · Problema de pago
    Pregunta sin respuesta · 3 h · Pregunta antes de la compra
    🔴 alta prioridad: palabra 'estafa' / 15 k seguidores
    🌙 publicado fuera del horario de Sol (lun–vie 09:00–19:00, Europe/Madrid): el plazo de
       respuesta cuenta desde el lun 24 nov 09:00

Every value that came from a post or from configuration is escaped for mrkdwn here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.escape import escape_mrkdwn
from alerts.i18n import (
    DAY_KEYS,
    compact,
    day_month,
    lang_code,
    number,
    percent,
    phrase,
    weekday_name,
)
from alerts.situations import situation_label

PLATFORMS = {"twitter": "X (Twitter)", "reddit": "Reddit", "facebook": "Facebook",
             "instagram": "Instagram", "bluesky": "Bluesky"}

# The reasons as `alerts.policy.priority` words them (stored on every card since Vigía 2).
_REACH = re.compile(r"^reach ([\d,]+)$")
_ENGAGEMENT = re.compile(r"^engagement ([\d,]+)$")
_VERIFIED = re.compile(r"^verified (\w+) author$")
_WORD = re.compile(r"^severity word (['\"])(.*)\1$")


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def reason_text(reason: str, lang: str | None) -> str:
    """One priority reason in the team's language; an unknown one is shown as stored."""
    if match := _REACH.match(reason):
        return phrase("card", lang, "followers", n=compact(_count(match[1]), lang))
    if match := _ENGAGEMENT.match(reason):
        return phrase("card", lang, "engagement", n=number(_count(match[1]), lang))
    if match := _VERIFIED.match(reason):
        source = match[1]
        return phrase("card", lang, "verified", platform=PLATFORMS.get(source, source.title()))
    if match := _WORD.match(reason):
        return phrase("card", lang, "severity_word", word=escape_mrkdwn(match[2]))
    return escape_mrkdwn(reason)


def priority_line(reasons: Sequence[str], lang: str | None) -> str | None:
    """"🔴 *alta prioridad:* palabra 'estafa' / 15 k seguidores"; None without reasons.

    The severity word comes first: it says most about what the customer is about to do.
    """
    if not reasons:
        return None
    ordered = sorted(reasons, key=lambda r: 0 if _WORD.match(r) else 1)
    shown = " / ".join(reason_text(r, lang) for r in ordered)
    return f"🔴 *{phrase('card', lang, 'high_priority')}:* {shown}"


def track_label(track: str, lang: str | None) -> str:
    """"Queja" / "Pregunta sin respuesta" (and their en/pt equivalents)."""
    return phrase("card", lang, "track_question" if track == "question" else "track_complaint")


def why_line(*, track: str, probability: float | None, situation: str, age: str,
             lang: str | None) -> str:
    """"*Queja · 87 % · Problema de pago*" or "*Pregunta sin respuesta · 3 h* · 92 % · …".

    The situation is named in the team's language; the probability is left out on cards
    stored before the reply decision existed (`probability` None).
    """
    label = track_label(track, lang)
    head = f"{label} · {age}" if track == "question" else label
    parts = [f"*{head}*"]
    if probability is not None:
        parts.append(percent(probability, lang))
    parts.append(escape_mrkdwn(situation_label(situation, lang_code(lang))))
    return " · ".join(parts)


def days_text(days: Sequence[str], lang: str | None) -> str:
    """["mon", …, "fri"] -> "lun–vie"; ["mon", "wed"] -> "lun, mié"; [] -> ""."""
    indexes = sorted({DAY_KEYS.index(d) for d in days if d in DAY_KEYS})
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return ", ".join(
        weekday_name(run[0], lang) if len(run) == 1 else
        f"{weekday_name(run[0], lang)}–{weekday_name(run[-1], lang)}" for run in runs)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def hours_note(*, brand: str, days: Sequence[str], span: str, timezone: str,
               clock_starts_at: str | None, lang: str | None) -> str:
    """Whose hours a mention fell outside of, and when its response clock starts.

    `clock_starts_at` is the instant the SLA clock starts (ISO); on a brand whose SLA runs on
    the wall clock it is the post's own time, said as "since it was posted". Cards stored
    without the brand's hours fall back to the short "outside business hours".
    """
    zone = _zone(timezone)
    if not days or not span or zone is None:
        return f"🌙 {phrase('card', lang, 'outside_hours')}"
    hours = escape_mrkdwn(f"{days_text(days, lang)} {span}, {timezone}")
    name = escape_mrkdwn(brand)
    start = datetime.fromisoformat(clock_starts_at) if clock_starts_at else None
    if start is None:
        return f"🌙 {phrase('card', lang, 'outside_wall_clock', brand=name, hours=hours)}"
    local = start.astimezone(zone)
    when = (f"{weekday_name(local.weekday(), lang)} {day_month(local.date(), lang)} "
            f"{local:%H:%M}")
    note = phrase("card", lang, "outside_business_clock", brand=name, hours=hours, start=when)
    return f"🌙 {note}"
