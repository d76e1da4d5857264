"""Every figure of the hand-worked week (digest_fixture.py), compared with values by hand."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from digest_fixture import AS_OF, HandWorkedWeek

from alerts.digest import Digest, build_digest
from alerts.digest.build import load_week
from alerts.digest.compute import Target, business_minutes, nearest_rank
from alerts.digest.model import Share, Tally
from alerts.digest.report import render_csv, render_json
from alerts.digest.text import Words
from monitor.config import BusinessHours, Config
from monitor.storage.db import Database


def detect(text: str, lang: str | None) -> str:
    """Stand-in for alerts.situations: only m9 ("cobro duplicado") has no stored situation."""
    return "payment" if "cobro" in text else "unknown"


@pytest.fixture
def digest(db: Database, config: Config, week47: HandWorkedWeek) -> Digest:
    return build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)


def test_week_boundaries_and_volume(digest: Digest) -> None:
    assert digest.start == datetime(2026, 11, 15, 23, tzinfo=UTC)
    assert digest.end == datetime(2026, 11, 22, 23, tzinfo=UTC)
    # 14 mentions: the edges Sun 15 23:59 and Mon 23 00:00 (local) and brand "Otra" excluded
    assert digest.total == 14
    assert digest.tally == Tally(positive=5, neutral=2, negative=6, unscored=1)
    assert [(d.day.day, d.tally.total) for d in digest.days] == [
        (16, 2), (17, 2), (18, 2), (19, 2), (20, 2), (21, 1), (22, 3)]
    # Friday: m9 negative + m10 corrected negative -> neutral; Sunday: m12 at 23:30 local
    friday, sunday = digest.days[4].tally, digest.days[6].tally
    assert friday == Tally(positive=0, neutral=1, negative=1)
    assert friday.net == -0.5
    assert sunday == Tally(positive=1, neutral=0, negative=1, unscored=1)
    assert digest.days[5].tally.net == 1.0
    assert digest.sources == (("twitter", 9), ("reddit", 3), ("facebook", 2))
    assert digest.languages == (("es", 10), ("en", 2), ("pt", 1), ("unknown", 1))


def test_net_sentiment_and_trend(digest: Digest) -> None:
    # net = (5 - 6) / 13 scored (the unscored m14 is not in the denominator)
    assert digest.tally.net == pytest.approx(-1 / 13)
    trend = digest.trend
    # W46: 7 pos / 2 neu / 1 neg by the model; one positive corrected to negative -> 6/2/2
    assert trend.previous.week == "2026-W46"
    assert trend.previous.tally == Tally(6, 2, 2, 0)
    assert trend.previous.tally.net == pytest.approx(0.4)
    assert [w.week for w in trend.history] == ["2026-W46", "2026-W45", "2026-W44", "2026-W43"]
    assert [w.tally.total for w in trend.history] == [10, 0, 5, 2]
    # W44 starts Mon 26 Oct 00:00 CET = Sun 25 Oct 23:00 UTC (clocks went back that night)
    assert trend.history[2].tally == Tally(2, 0, 3, 0)
    assert trend.history[3].tally == Tally(1, 1, 0, 0)
    # pooled 4 weeks: pos 9, neu 3, neg 5 -> (9 - 5) / 17
    assert trend.avg4 == Tally(9, 3, 5, 0)
    assert trend.avg4.net == pytest.approx(4 / 17)
    assert trend.volume_avg4 == pytest.approx(17 / 4)
    assert trend.net_change_vs_previous == pytest.approx(-1 / 13 - 0.4)
    assert trend.net_change_vs_avg4 == pytest.approx(-1 / 13 - 4 / 17)
    w = Words("es")
    assert w.points(digest.tally.net) == "-8"
    assert w.change(trend.net_change_vs_previous) == "-48 pts"
    assert w.change(trend.net_change_vs_avg4) == "-31 pts"


def test_complaints_and_top_mentions(digest: Digest, week47: HandWorkedWeek) -> None:
    ids = week47.ids
    assert [(c.situation, c.count) for c in digest.complaints] == [
        ("shipping_delay", 3), ("damaged", 1), ("payment", 1)]
    shipping = digest.complaints[0]
    assert shipping.share == Share(3, 6)
    assert shipping.example.id == ids["m1"]  # the most reach of m1, m3, m7
    assert digest.complaints[2].example.id == ids["m9"]  # detected, not stored
    assert digest.unclassified_complaints == 1  # m12 "unknown"
    assert [r.id for r in digest.top_negative] == [ids[k] for k in ("m9", "m1", "m5", "m3", "m7")]
    assert [r.id for r in digest.top_positive] == [ids[k] for k in ("m6", "m11", "m2", "m8", "m13")]
    assert digest.top_positive[0].url.startswith("https://example.com/twitter/")


def test_response_kpis(digest: Digest, week47: HandWorkedWeek) -> None:
    r = digest.responses
    assert r.complaints == 6
    assert r.answered == Share(4, 6)  # m1, m3, m5, m9; m7's reply comes after as_of
    # first responses 30, 45, 90, 200 min; nearest rank: p50 -> 2nd, p90 -> ceil(3.6) = 4th
    assert r.median_minutes == 45
    assert r.p90_minutes == 200
    assert r.within_target == Share(3, 6)  # within 120 min: 30, 45, 90
    assert r.target_minutes == 120
    assert r.open_unanswered == 1  # m7; m12's case was closed in Slack
    assert r.closed_without_reply == 1
    assert [m.id for m in r.open_examples] == [week47.ids["m7"]]
    assert [(c.summary, c.state) for c in digest.crises] == [("Pico de quejas por envíos", "open")]


def test_corrections_by_language(digest: Digest) -> None:
    c = digest.corrections
    assert c.total == 3  # m8 (en), m10 (es), and a W46 mention (es) corrected this week
    assert [(lc.lang, lc.corrected, lc.scored) for lc in c.by_lang] == [
        ("es", 2, Share(2, 10)), ("en", 1, Share(1, 2))]
    assert c.changes == (("negative", "neutral", 1), ("neutral", "positive", 1),
                         ("positive", "negative", 1))


def test_as_of_none_counts_every_known_reply(db: Database, config: Config,
                                            week47: HandWorkedWeek) -> None:
    digest = build_digest(db, config, "Sol", "2026-W47", detect=detect)
    assert digest.responses.answered == Share(5, 6)  # m7's late reply now counts
    assert digest.responses.open_unanswered == 0


def test_csv_of_the_week(db: Database, config: Config, week47: HandWorkedWeek) -> None:
    data = load_week(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    rows = list(csv.DictReader(io.StringIO(render_csv(data.mentions, "Europe/Madrid", detect))))
    assert len(rows) == 14
    first = rows[0]
    assert first["created_local"] == "2026-11-16 10:00"
    assert first["created_utc"] == "2026-11-16T09:00:00Z"
    assert first["first_response_minutes"] == "30.0"
    assert first["situation"] == "shipping_delay"
    by_text = {r["text"]: r for r in rows}
    m9 = next(r for t, r in by_text.items() if "cobro" in t)
    assert m9["text"].startswith("'=HYPERLINK")  # formula neutralised for spreadsheets
    assert m9["situation"] == "payment"
    m10 = next(r for r in rows if r["created_local"] == "2026-11-20 23:30")
    assert (m10["label"], m10["model_label"]) == ("neutral", "negative")
    m14 = next(r for r in rows if r["label"] == "")
    assert m14["lang"] == "" and m14["source"] == "reddit"


def test_json_has_every_figure(digest: Digest) -> None:
    data = json.loads(render_json(digest))
    assert data["key"] == "digest:Sol:2026-W47"
    assert data["tally"]["net"] == pytest.approx(-1 / 13)
    assert data["responses"]["answered"] == {"part": 4, "whole": 6, "ratio": 4 / 6,
                                             "small": True}
    assert data["days"][0]["day"] == "2026-11-16"
    assert data["trend"]["previous"]["tally"]["scored"] == 10


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([], 50, None), ([7], 90, 7), ([30, 45, 90, 200], 50, 45), ([30, 45, 90, 200], 90, 200),
     ([5, 1, 3], 50, 3), (list(range(1, 11)), 90, 9), (list(range(1, 11)), 50, 5),
     (list(range(1, 21)), 90, 18)],
)
def test_nearest_rank_percentile(values: list[float], p: float, expected: float | None) -> None:
    assert nearest_rank(values, p) == expected


def test_small_number_rule() -> None:
    w = Words("es")
    assert w.share(Share(3, 7)) == "3 de 7"
    assert w.share(Share(9, 9)) == "9 de 9"
    assert w.share(Share(3, 10)) == "30%"  # from 10 items on, a percentage
    assert w.share(Share(0, 0)) == "—"
    assert Words("en").share(Share(2, 4)) == "2 of 4"
    assert w.minutes(45) == "45 min" and w.minutes(200) == "3 h 20 min"
    assert w.minutes(60 * 50) == "2 d 2 h"


def test_business_hours_response_clock() -> None:
    from zoneinfo import ZoneInfo

    hours = BusinessHours()  # Mon-Fri 09:00-19:00
    tz = ZoneInfo("Europe/Madrid")
    friday_18 = datetime(2026, 11, 20, 17, tzinfo=UTC)  # 18:00 local
    monday_10 = datetime(2026, 11, 23, 9, tzinfo=UTC)  # 10:00 local
    assert business_minutes(friday_18, monday_10, hours, tz) == 120
    assert business_minutes(monday_10, friday_18, hours, tz) == 0
    target = Target(120, "business_hours", hours, "Europe/Madrid")
    assert target.minutes == 120


def test_default_detector_is_the_alerts_one(db: Database, config: Config,
                                            week47: HandWorkedWeek) -> None:
    """Without an injected detector, m9 ("cobro duplicado") is classified by alerts.situations."""
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF)
    payment = next(c for c in digest.complaints if c.situation == "payment")
    assert payment.example.id == week47.ids["m9"]
    assert Words("es").situation_name("payment") == "Problema de pago"
