"""Week boundaries across DST changes, the due schedule, an empty week, a one-source brand."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from digest_fixture import add_mention, make_config, utc

from alerts.digest import build_digest, due_at, due_week, last_complete_week, make_week
from alerts.digest.model import Share, Tally
from alerts.digest.weeks import normalise_week
from monitor.config import Config
from monitor.storage.db import Database


@pytest.mark.parametrize(
    ("tz", "week", "start", "end", "hours"),
    [
        # Madrid: clocks forward Sun 29 Mar 2026, back Sun 25 Oct 2026
        ("Europe/Madrid", "2026-W13", utc(2026, 3, 22, 23), utc(2026, 3, 29, 22), 167),
        ("Europe/Madrid", "2026-W43", utc(2026, 10, 18, 22), utc(2026, 10, 25, 23), 169),
        ("Europe/Madrid", "2026-W47", utc(2026, 11, 15, 23), utc(2026, 11, 22, 23), 168),
        # Santiago: back at 24:00 Sat 4 Apr 2026, forward at 24:00 Sat 5 Sep 2026
        ("America/Santiago", "2026-W14", utc(2026, 3, 30, 3), utc(2026, 4, 6, 4), 169),
        ("America/Santiago", "2026-W36", utc(2026, 8, 31, 4), utc(2026, 9, 7, 3), 167),
        # ISO week 1 of 2027 starts in 2026; week 53 exists in 2026
        ("UTC", "2027-W01", utc(2027, 1, 4), utc(2027, 1, 11), 168),
        ("UTC", "2026-W53", utc(2026, 12, 28), utc(2027, 1, 4), 168),
    ],
)
def test_week_boundaries_across_dst(tz: str, week: str, start: datetime, end: datetime,
                                    hours: int) -> None:
    w = make_week(week, tz)
    assert (w.start, w.end, w.hours) == (start, end, hours)
    assert w.shifted(1).start == w.end
    assert w.shifted(-1).end == w.start


def test_santiago_days_around_the_missing_midnight(db: Database, tmp_path: Path) -> None:
    """Sun 6 Sep 2026 has no 00:00 in Santiago: 23:59:59 Sat (-04) is followed by 01:00 Sun."""
    config = make_config(tmp_path, [{"name": "Andes", "timezone": "America/Santiago"}])
    with db.transaction() as s:
        for at, label in [
            (utc(2026, 8, 31, 3, 59), "positive"),  # Sun 30 Aug 23:59 -04: W35
            (utc(2026, 8, 31, 4, 0), "negative"),  # Mon 31 Aug 00:00 -04: first instant
            (utc(2026, 9, 6, 3, 30), "positive"),  # Sat 5 Sep 23:30 -04
            (utc(2026, 9, 6, 4, 0), "positive"),  # Sun 6 Sep 01:00 -03 (00:00 never was)
            (utc(2026, 9, 7, 2, 59), "negative"),  # Sun 6 Sep 23:59 -03: last of the week
            (utc(2026, 9, 7, 3, 0), "negative"),  # Mon 7 Sep 00:00 -03: W37
        ]:
            add_mention(s, created_at=at, label=label, brand="Andes")
    digest = build_digest(db, config, "Andes", "2026-W36", detect=lambda t, lang: "unknown")
    assert digest.total == 4
    assert [(d.day, d.tally.total) for d in digest.days] == [
        (date(2026, 8, 31), 1), (date(2026, 9, 1), 0), (date(2026, 9, 2), 0),
        (date(2026, 9, 3), 0), (date(2026, 9, 4), 0), (date(2026, 9, 5), 1),
        (date(2026, 9, 6), 2)]
    assert digest.trend.previous.tally == Tally(positive=1)


def test_madrid_week_with_the_extra_hour(db: Database, tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"name": "Sol", "timezone": "Europe/Madrid"}])
    with db.transaction() as s:
        add_mention(s, created_at=utc(2026, 10, 25, 0, 30), label="positive")  # 02:30 CEST
        add_mention(s, created_at=utc(2026, 10, 25, 1, 30), label="positive")  # 02:30 CET
        add_mention(s, created_at=utc(2026, 10, 25, 22, 59), label="negative")  # 23:59 Sun
        add_mention(s, created_at=utc(2026, 10, 25, 23, 0), label="negative")  # Mon W44
    digest = build_digest(db, config, "Sol", "2026-W43", detect=lambda t, lang: "unknown")
    assert digest.days[6].tally == Tally(positive=2, negative=1)
    assert digest.total == 3


def test_due_schedule_in_brand_time(tmp_path: Path) -> None:
    config = make_config(tmp_path, [
        {"name": "Sol", "timezone": "Europe/Madrid"},
        {"name": "Andes", "timezone": "America/Santiago",
         "digest": {"day": "tue", "time": "08:30:00"}},
    ])
    sol, andes = config.brand("Sol"), config.brand("Andes")
    assert due_at(sol, "2026-W47") == utc(2026, 11, 23, 8)  # Mon 09:00 CET
    assert due_week(sol, utc(2026, 11, 23, 7, 59)).name == "2026-W46"
    assert due_week(sol, utc(2026, 11, 23, 8, 0)).name == "2026-W47"
    assert due_week(sol, utc(2026, 11, 29, 22, 59)).name == "2026-W47"  # Sun 23:59 local
    # Santiago moved to -03 on 6 Sep: W36's digest is due Tue 8 Sep 08:30 -03
    assert due_at(andes, "2026-W36") == utc(2026, 9, 8, 11, 30)
    assert due_week(andes, utc(2026, 9, 8, 11, 29)).name == "2026-W35"
    assert andes.digest.time == time(8, 30)
    assert last_complete_week(utc(2026, 11, 23, 0, 30), "Europe/Madrid").name == "2026-W47"
    assert last_complete_week(utc(2026, 11, 22, 22, 30), "Europe/Madrid").name == "2026-W46"


def test_week_names() -> None:
    assert normalise_week("2026w7") == "2026-W07"
    assert normalise_week(" 2026-W47 ") == "2026-W47"
    for bad in ("2026-W54", "2025-W53", "W47", "2026-47", ""):
        with pytest.raises(ValueError, match="ISO week such as 2026-W47"):
            normalise_week(bad)


def test_empty_week(db: Database, config: Config) -> None:
    digest = build_digest(db, config, "Sol", "2026-W47", detect=lambda t, lang: "unknown")
    assert digest.empty and digest.total == 0
    assert digest.tally.net is None
    assert [d.tally.total for d in digest.days] == [0] * 7
    assert digest.sources == () and digest.complaints == () and digest.top_negative == ()
    assert digest.responses.answered == Share(0, 0)
    assert digest.responses.median_minutes is None
    assert digest.trend.net_change_vs_previous is None


def test_brand_with_only_one_source(db: Database, tmp_path: Path) -> None:
    config = make_config(tmp_path, [{"name": "Solo", "timezone": "America/Mexico_City"}])
    with db.transaction() as s:
        for hour in range(12):
            add_mention(s, created_at=utc(2026, 11, 18, 6 + hour), label="negative"
                        if hour < 3 else "positive", source="facebook", brand="Solo", lang="es")
    digest = build_digest(db, config, "Solo", "2026-W47", detect=lambda t, lang: "unknown")
    assert digest.sources == (("facebook", 12),)
    assert digest.languages == (("es", 12),)
    # 06:00-17:00 UTC is 00:00-11:00 in Mexico City (UTC-6): all on Wednesday 18
    assert digest.days[2].tally == Tally(positive=9, negative=3)
    assert digest.tally.net == pytest.approx(0.5)
