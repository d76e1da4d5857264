"""The hand-worked week: brand "Sol" (Europe/Madrid), ISO week 2026-W47 (16–22 Nov 2026).

Madrid is UTC+1 that week, so local = UTC + 1 h. Every expected figure in the tests is
worked out by hand from the table below (see test_digest_figures.py for the arithmetic).

 id  local time      source    lang label (model)        reach  situation         reply
 m1  Mon 16 10:00    twitter   es   negative              5000  shipping_delay    +30 min
 m2  Mon 16 12:00    twitter   es   positive              1200
 m3  Tue 17 09:00    reddit    es   negative               300  shipping_delay    +90 min
 m4  Tue 17 18:00    twitter   en   neutral                 50
 m5  Wed 18 11:00    facebook  es   negative               800  damaged           +200 min
 m6  Wed 18 11:30    twitter   es   positive             20000
 m7  Thu 19 08:00    twitter   pt   negative               150  shipping_delay    (after as_of)
 m8  Thu 19 20:00    reddit    en   positive (was neutral) 700
 m9  Fri 20 10:00    twitter   es   negative              9000  (detected: payment) +45 min
 m10 Fri 20 23:30    facebook  es   neutral (was negative)  10   (P(complaint) 0.3: no complaint)
 m11 Sat 21 12:00    twitter   es   positive              3000
 m12 Sun 22 23:30    twitter   es   negative                60  unknown; alert closed
 m13 Sun 22 10:00    twitter   es   positive               400
 m14 Sun 22 11:00    reddit    --   (unscored)               5

Reply decision: a negative label comes with P(complaint) 0.8 (a complaint at the default
threshold 0.5), any other with 0.05, unless a mention says otherwise.

Outside the week: Sun 15 23:59 local (W46) and Mon 23 00:00 local (W48).
Previous weeks: W46 7 pos/2 neu/1 neg by the model, one positive corrected to negative this
week -> 6/2/2; W45 empty; W44 2 pos/3 neg; W43 1 pos/1 neu, its last one on Sun 25 Oct
23:30 local, the night the clocks go back.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.config import Config, parse_config
from monitor.storage.db import Database
from monitor.storage.tables import AlertRow, CorrectionRow, MentionRow, ReplyRow, ScoreRow

BRAND = "Sol"
_ids = itertools.count(1)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """Madrid wall time in Nov 2026 (UTC+1) as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def add_mention(
    session: Any,
    *,
    created_at: datetime,
    label: str | None,
    source: str = "twitter",
    lang: str | None = "es",
    reach: int = 0,
    text: str = "",
    situation: str | None = None,
    reply_at: datetime | None = None,
    brand: str = BRAND,
    name: str | None = None,
    complaint: float | None = None,
    question: float = 0.02,
) -> MentionRow:
    """One mention (`name` becomes its external id, URL tail and author: "m9" -> user_m9)."""
    n = name or f"x{next(_ids)}"
    row = MentionRow(
        source=source, external_id=n, brand=brand, keyword="sol",
        url=f"https://example.com/{source}/{n}", author_id=f"a_{n}",
        author_handle=f"user_{n}", author_name=f"User {n}", author_reach=reach,
        text=text or f"mention {n}", lang=lang, created_at=created_at,
        fetched_at=created_at + timedelta(minutes=1), situation=situation, extra={},
    )
    session.add(row)
    session.flush()
    if label is not None:
        probs = {"negative": 0.1, "neutral": 0.1, "positive": 0.1, label: 0.8}
        p_complaint = (0.8 if label == "negative" else 0.05) if complaint is None else complaint
        other = max(0.0, 1 - p_complaint - question)
        category = "complaint" if p_complaint >= 0.5 else "question" if question >= 0.5 \
            else "other"
        session.add(ScoreRow(mention_id=row.id, label=label, confidence=0.8, lang=lang,
                             model="test", model_version="1", scored_at=created_at, **probs,
                             category=category, complaint=p_complaint, question=question,
                             praise=0.0, other=other))
    if reply_at is not None:
        session.add(ReplyRow(source=source, external_id=f"r_{n}", parent_external_id=n,
                             account="sol_oficial", replied_at=reply_at, fetched_at=reply_at))
    return row


def correct(session: Any, mention: MentionRow, old: str, new: str | None, at: datetime,
            lang: str | None = None) -> None:
    session.add(CorrectionRow(mention_id=mention.id, old_label=old, new_label=new,
                              lang=lang or mention.lang, user="U1", created_at=at))


def alert(session: Any, *, kind: str, created_at: datetime, brand: str = BRAND,
          mention: MentionRow | None = None, closed_at: datetime | None = None,
          payload: dict[str, Any] | None = None) -> None:
    n = next(_ids)
    session.add(AlertRow(key=f"{kind}:{n}", kind=kind, brand=brand,
                         mention_id=mention.id if mention else None, state="closed"
                         if closed_at else "open", created_at=created_at, closed_at=closed_at,
                         payload=payload or {}))


@dataclass(frozen=True)
class HandWorkedWeek:
    ids: dict[str, int]  # "m1" -> database id


def load_hand_worked_week(db: Database) -> HandWorkedWeek:
    ids: dict[str, int] = {}
    with db.transaction() as s:
        def m(name: str, **kw: Any) -> MentionRow:
            row = add_mention(s, name=name, **kw)
            ids[name] = row.id
            return row

        m("m1", created_at=local(16, 10), label="negative", reach=5000,
          situation="shipping_delay", reply_at=local(16, 10, 30),
          text="Mi pedido lleva 10 días sin llegar, vergüenza")
        m("m2", created_at=local(16, 12), label="positive", reach=1200, text="Me encanta Sol")
        m("m3", created_at=local(17, 9), label="negative", source="reddit", reach=300,
          situation="shipping_delay", reply_at=local(17, 10, 30))
        m("m4", created_at=local(17, 18), label="neutral", lang="en", reach=50)
        m("m5", created_at=local(18, 11), label="negative", source="facebook", reach=800,
          situation="damaged", reply_at=local(18, 14, 20), text="Llegó roto | <b>mal</b>")
        m("m6", created_at=local(18, 11, 30), label="positive", reach=20000,
          text="¡Gracias @sol, rapidísimos! & muy amables")
        m7 = m("m7", created_at=local(19, 8), label="negative", lang="pt", reach=150,
               situation="shipping_delay", reply_at=local(24, 10))
        m8 = m("m8", created_at=local(19, 20), label="neutral", source="reddit", lang="en",
               reach=700)
        m("m9", created_at=local(20, 10), label="negative", reach=9000,
          reply_at=local(20, 10, 45), text="=HYPERLINK(\"x\") cobro duplicado en mi tarjeta")
        m10 = m("m10", created_at=local(20, 23, 30), label="negative", complaint=0.3,
                source="facebook",
                reach=10)
        m("m11", created_at=local(21, 12), label="positive", reach=3000)
        m12 = m("m12", created_at=local(22, 23, 30), label="negative", reach=60,
                situation="unknown")
        m("m13", created_at=local(22, 10), label="positive", reach=400)
        m("m14", created_at=local(22, 11), label=None, source="reddit", lang=None, reach=5)
        # just outside the week, both sides
        m("w46_edge", created_at=local(15, 23, 59), label="positive")
        m("w48_edge", created_at=local(23, 0), label="negative", reach=99999)
        # corrections made this week
        correct(s, m8, "neutral", "positive", local(20, 8))
        correct(s, m10, "negative", "neutral", local(21, 9))
        alert(s, kind="mention", created_at=local(22, 23, 40), mention=m12,
              closed_at=local(23, 7))
        alert(s, kind="mention", created_at=local(19, 8, 10), mention=m7)
        # W46: 6 more positives (7 with the edge one), 2 neutral, 1 negative by the model
        for i in range(6):
            m(f"w46_pos{i}", created_at=local(10 + i % 5, 12), label="positive")
        for i in range(2):
            m(f"w46_neu{i}", created_at=local(11, 15 + i), label="neutral")
        m("w46_neg", created_at=local(12, 9), label="negative")
        # ...one of them corrected to negative this week
        w46 = s.get(MentionRow, ids["w46_pos0"])
        assert w46 is not None
        correct(s, w46, "positive", "negative", local(17, 12))
        # W44 (26 Oct - 1 Nov, UTC+1): 2 positive, 3 negative; the first at 00:30 on Monday
        m("w44_a", created_at=datetime(2026, 10, 25, 23, 30, tzinfo=UTC), label="negative")
        for i in range(2):
            m(f"w44_neg{i}", created_at=datetime(2026, 10, 28, 10 + i, tzinfo=UTC),
              label="negative")
        for i in range(2):
            m(f"w44_pos{i}", created_at=datetime(2026, 10, 29, 10 + i, tzinfo=UTC),
              label="positive")
        # W43 (19-25 Oct, UTC+2 until 25 Oct 03:00 local): 1 neutral, 1 positive (Sun 23:30 CET)
        m("w43_neu", created_at=datetime(2026, 10, 20, 10, tzinfo=UTC), label="neutral")
        m("w43_pos", created_at=datetime(2026, 10, 25, 22, 30, tzinfo=UTC), label="positive")
        # crises: one this week, one of another brand, one the week before
        alert(s, kind="crisis", created_at=local(18, 12),
              payload={"summary": "Pico de quejas por envíos"})
        alert(s, kind="crisis", created_at=local(18, 12), brand="Otra")
        alert(s, kind="crisis", created_at=local(12, 12))
        # another brand's mention in the same week never leaks in
        add_mention(s, created_at=local(18, 12), label="negative", brand="Otra", reach=10**6)
    del m7, m12
    return HandWorkedWeek(ids)


def make_config(tmp_path: Path, brands: list[dict[str, Any]], **slack: Any) -> Config:
    """A validated Config whose file lives in tmp_path (so reports_dir resolves there)."""
    data: dict[str, Any] = {
        "config_version": 2,
        "database": {"url": "sqlite:///" + str(tmp_path / "cli.db")},
        "brands": [{"keywords": {"terms": [b["name"].lower()]}, **b} for b in brands],
    }
    if slack:
        data["slack"] = slack
    return parse_config(data, tmp_path / "config.toml")


SOL = {"name": "Sol", "timezone": "Europe/Madrid", "marketing_channel": "#marketing",
       "languages": ["es", "en", "pt"]}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


AS_OF = utc(2026, 11, 23, 8, 0)  # Monday 09:00 in Madrid: W47's digest is due
