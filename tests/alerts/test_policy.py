"""Pure escalation rules: negativity, priority, severity words, business-hours arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.policy import (
    BrandClock,
    add_business_minutes,
    alert_track,
    business_minutes_between,
    find_severity_word,
    in_business_hours,
    next_business_start,
    priority,
)
from monitor.config import BusinessHours, EscalationSettings
from sentiment.base import Score
from sources.base import Mention
from tests.alerts.conftest import make_config

MADRID = ZoneInfo("Europe/Madrid")
HOURS = BusinessHours()  # mon-fri 09:00-19:00


def local(y: int, mo: int, d: int, h: int, mi: int = 0, tz: ZoneInfo = MADRID) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


def score(complaint: float, question: float = 0.0) -> Score:
    return Score.from_probs([0.4, 0.3, 0.3], "es", "m", "1",
                            [complaint, question, 0.0, 1 - complaint - question])


def mention(text: str = "mal servicio", **kw: object) -> Mention:
    base: dict[str, object] = {
        "source": "twitter", "external_id": "1", "url": "https://x.com/a/status/1",
        "author_id": "1", "author_handle": "a", "author_name": "A", "text": text,
        "created_at": datetime(2026, 3, 2, tzinfo=UTC)}
    base.update(kw)
    return Mention(**base)  # type: ignore[arg-type]


def test_alert_track_reads_p_complaint_then_p_question() -> None:
    settings = EscalationSettings(threshold=0.6, question_threshold=0.5)
    assert alert_track(score(0.6), settings) == "complaint"
    assert alert_track(score(0.59), settings) is None
    assert alert_track(score(0.59, 0.4), settings) is None
    assert alert_track(score(0.3, 0.5), settings) == "question"
    assert alert_track(score(0.65, 0.3), settings) == "complaint"
    assert alert_track(None, settings) is None
    for mode in ("digest", "off"):
        quiet = EscalationSettings(questions=mode)  # type: ignore[arg-type]
        assert alert_track(score(0.1, 0.9), quiet) is None


@pytest.mark.parametrize(("text", "lang", "word"), [
    ("Esto es una ESTAFA total", "es", "estafa"),
    ("me estafaron con el envío", "es", "estafaron"),
    ("voy a ir a PROFECO mañana", "es", "profeco"),
    ("Denuncié en Sernac", "es", "sernac"),
    ("son unos ladrones, ROBO descarado", "es", "ladrones"),
    ("This is a scam, I'll sue you", "en", "scam"),
    ("vou abrir reclamação no Reclame Aquí", "pt", "reclame aqui"),
    ("isso é golpe", "pt", "golpe"),
    ("fraudes por todos lados", None, "fraudes"),  # unknown language: every list
])
def test_severity_words_accent_and_case_insensitive(text: str, lang: str | None,
                                                    word: str) -> None:
    assert find_severity_word(text, lang, EscalationSettings()) == word


@pytest.mark.parametrize(("text", "lang"), [
    ("I have an issue with my order", "en"),  # "sue" inside "issue"
    ("robot de cocina roto", "es"),  # "robo" inside "robot"
    ("Pedido atrasado", "pt"),
])
def test_severity_words_match_whole_words_only(text: str, lang: str) -> None:
    assert find_severity_word(text, lang, EscalationSettings()) is None


def test_configured_severity_words_add_to_builtin() -> None:
    settings = EscalationSettings(severity_words={"es": ["Defensoría del Pueblo", "OMIC"]})
    assert find_severity_word("iré a la defensoria del pueblo", "es", settings) == (
        "defensoria del pueblo")
    assert find_severity_word("es una estafa", "es", settings) == "estafa"


def test_priority_from_reach_engagement_verified_and_words() -> None:
    s = EscalationSettings(high_priority_reach=10_000, high_priority_engagement=50)
    assert priority(mention(), "es", s).level == "normal"
    assert priority(mention(author_reach=10_000), "es", s).reasons == ("reach 10,000",)
    assert priority(mention(likes=30, replies=10, shares=10), "es", s).level == "high"
    assert priority(mention(author_verified=True), "es", s).level == "high"
    decision = priority(mention("una estafa"), "es", s)
    assert decision.level == "high" and "estafa" in decision.reasons[0]


def test_business_hours_in_local_time() -> None:
    assert not in_business_hours(local(2026, 3, 2, 3), MADRID, HOURS)  # Monday 3 a.m.
    assert in_business_hours(local(2026, 3, 2, 9), MADRID, HOURS)
    assert not in_business_hours(local(2026, 3, 2, 19), MADRID, HOURS)
    assert not in_business_hours(local(2026, 3, 7, 12), MADRID, HOURS)  # Saturday
    santiago = ZoneInfo("America/Santiago")
    assert in_business_hours(local(2026, 3, 2, 10, tz=santiago), santiago, HOURS)


def test_next_business_start() -> None:
    assert next_business_start(local(2026, 3, 2, 3), MADRID, HOURS) == local(2026, 3, 2, 9)
    friday_night = local(2026, 3, 6, 20)
    assert next_business_start(friday_night, MADRID, HOURS) == local(2026, 3, 9, 9)
    inside = local(2026, 3, 2, 10, 30)
    assert next_business_start(inside, MADRID, HOURS) == inside


def test_business_minutes_arithmetic() -> None:
    start = local(2026, 3, 2, 18)  # Monday 18:00: one business hour left today
    assert add_business_minutes(start, 120, MADRID, HOURS) == local(2026, 3, 3, 10)
    assert business_minutes_between(start, local(2026, 3, 3, 10), MADRID, HOURS) == 120
    assert business_minutes_between(local(2026, 3, 3, 10), start, MADRID, HOURS) == -120
    friday = local(2026, 3, 6, 18, 30)
    assert add_business_minutes(friday, 60, MADRID, HOURS) == local(2026, 3, 9, 9, 30)
    assert business_minutes_between(local(2026, 3, 7, 1), local(2026, 3, 8, 23),
                                     MADRID, HOURS) == 0


def test_business_minutes_across_dst_change() -> None:
    # Europe/Madrid springs forward on Sunday 29 March 2026; Monday still has 10 hours.
    assert business_minutes_between(local(2026, 3, 27, 12), local(2026, 3, 30, 12),
                                    MADRID, HOURS) == (7 + 3) * 60
    assert add_business_minutes(local(2026, 3, 27, 18), 120, MADRID, HOURS) == (
        local(2026, 3, 30, 10))


def test_empty_week_means_always_open() -> None:
    always = BusinessHours(days=[])
    at = local(2026, 3, 7, 3)
    assert in_business_hours(at, MADRID, always)
    assert add_business_minutes(at, 30, MADRID, always) == at + timedelta(minutes=30)


def test_brand_clock_grace_sla_and_paging() -> None:
    config = make_config(escalation={"grace_minutes": 10, "sla_minutes": 120,
                                     "business_hours": {"sla_clock": "business_hours"}})
    clock = BrandClock.of(config.brands[0])
    three_am = local(2026, 3, 2, 3)
    assert clock.alert_due_at(three_am, "normal") == three_am + timedelta(minutes=10)
    assert clock.alert_due_at(three_am, "high") == three_am
    # business SLA: the clock starts at 09:00, so the target is 11:00
    assert clock.sla_deadline(three_am, "normal") == local(2026, 3, 2, 11)
    # high priority runs on the wall clock, day and night
    assert clock.sla_deadline(three_am, "high") == local(2026, 3, 2, 5)
    assert clock.page_at(local(2026, 3, 2, 5), "normal") == local(2026, 3, 2, 9)
    assert clock.page_at(local(2026, 3, 2, 5), "high") == local(2026, 3, 2, 5)
    assert clock.minutes_left(local(2026, 3, 2, 11), local(2026, 3, 2, 4), "normal") == 120


def test_escalation_waits_for_a_grace_after_a_late_alert() -> None:
    clock = BrandClock.of(make_config(escalation={"grace_minutes": 10}).brands[0])
    deadline = local(2026, 3, 2, 10)
    assert clock.escalation_due_at(deadline, local(2026, 3, 2, 9)) == deadline
    late = local(2026, 3, 2, 12)  # alerted after the target already passed
    assert clock.escalation_due_at(deadline, late) == late + timedelta(minutes=10)


def test_too_old_is_configurable() -> None:
    clock = BrandClock.of(make_config(escalation={"max_age_hours": 48}).brands[0])
    now = local(2026, 3, 5, 12)
    assert clock.too_old(now - timedelta(hours=49), now)
    assert not clock.too_old(now - timedelta(hours=47), now)
