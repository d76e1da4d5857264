"""A digest built "as of" a moment counts only what had happened by then.

The hand-worked week (digest_fixture.py) cut on Thursday 19 Nov at 09:00 in Madrid: m1..m7
were posted by then (m7 at 08:00), m8..m14 after; of the week's corrections only the W46 one
(Tue 17) was made by then; the week's crisis (Wed 18) was raised before, a second one after.
"""

from __future__ import annotations

import csv
import io

from digest_fixture import BRAND, HandWorkedWeek, alert, local

from alerts.digest import build_digest
from alerts.digest.build import load_week
from alerts.digest.model import Share, Tally
from alerts.digest.report import render_csv
from monitor.config import Config
from monitor.storage.db import Database

CUT = local(19, 9)


def detect(text: str, lang: str | None) -> str:
    return "payment" if "cobro" in text else "unknown"


def test_a_partial_week_counts_nothing_created_after_its_cut_off(
    db: Database, config: Config, week47: HandWorkedWeek
) -> None:
    with db.transaction() as s:
        alert(s, kind="crisis", created_at=local(20, 12), brand=BRAND,
              payload={"summary": "later burst"})
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=CUT, detect=detect)
    assert digest.coverage.until == CUT
    assert digest.total == 7  # m1..m7; m8..m14 were posted after the cut-off
    assert digest.tally == Tally(positive=2, neutral=1, negative=4)
    assert [(d.day.day, d.tally.total) for d in digest.days] == [
        (16, 2), (17, 2), (18, 2), (19, 1), (20, 0), (21, 0), (22, 0)]
    assert digest.sources == (("twitter", 5), ("facebook", 1), ("reddit", 1))
    r = digest.responses
    assert r.complaints == 4  # m1, m3, m5, m7 (not m9, m12)
    assert r.answered == Share(3, 4)
    assert digest.corrections.total == 1  # the W46 one; m8's and m10's came later
    assert [c.summary for c in digest.crises] == ["Pico de quejas por envíos"]
    data = load_week(db, config, "Sol", "2026-W47", as_of=CUT, detect=detect)
    rows = list(csv.DictReader(io.StringIO(render_csv(data.mentions, "Europe/Madrid"))))
    assert len(rows) == 7


def test_earlier_weeks_are_cut_too(db: Database, config: Config,
                                   week47: HandWorkedWeek) -> None:
    """Built as of a moment inside W46, W46 (the 'previous week' of W47) is counted up to it."""
    # Wed 11 Nov 15:30: w46_pos0, w46_pos5 (Tue 10), w46_pos1 (Wed 11), w46_neu0 (15:00);
    # w46_pos0's correction to negative comes on 17 Nov, after the cut
    w46_cut = local(11, 15, 30)
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=w46_cut, detect=detect)
    assert digest.total == 0
    assert digest.trend.previous.tally == Tally(positive=3, neutral=1, negative=0)
