"""`vigia status` answers "what is open?" one case at a time, on the rule escalation uses
(P(complaint) at the brand's threshold, not the negative label), and never calls a disabled
source healthy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.config import load_config
from monitor.status import render_status
from monitor.storage.alerts import create_alert
from monitor.storage.db import Database
from monitor.storage.health import record_success
from monitor.storage.tables import MentionRow, ReplyRow, ScoreRow

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _mention(session: Session, name: str, *, complaint: float, label: str, age_min: int,
             source: str = "twitter", replied: bool = False) -> MentionRow:
    created = NOW - timedelta(minutes=age_min)
    row = MentionRow(source=source, external_id=name, brand="Tienda Sol", keyword="tienda sol",
                     url=f"https://x.com/{name}/status/1", author_id=name, author_handle=name,
                     author_name=name.title(), text="texto", lang="es", created_at=created,
                     fetched_at=created, extra={})
    session.add(row)
    session.flush()
    session.add(ScoreRow(
        mention_id=row.id, label=label, confidence=0.8, negative=0.3, neutral=0.4, positive=0.3,
        lang="es", model="t", model_version="1", scored_at=created, complaint=complaint))
    if replied:
        session.add(ReplyRow(
            source=source, external_id=f"r_{name}", parent_external_id=name,
            account="tiendasol", replied_at=NOW, fetched_at=NOW))
    return row


def test_status_lists_open_complaints_and_never_calls_a_disabled_source_ok(db: Database) -> None:
    config = load_config(REPO / "config.toml")  # every source disabled; threshold 0.5
    with db.transaction() as s:
        _mention(s, "neutral_but_complaint", complaint=0.9, label="neutral", age_min=30)
        _mention(s, "negative_not_complaint", complaint=0.2, label="negative", age_min=30)
        _mention(s, "answered", complaint=0.9, label="negative", age_min=300, replied=True)
        overdue = _mention(s, "overdue", complaint=0.8, label="negative", age_min=200)
        create_alert(s, key=f"mention:{overdue.id}", kind="mention", brand="Tienda Sol",
                     mention_id=overdue.id, state="open", priority="normal", level=2,
                     channel="#x", now=NOW - timedelta(minutes=190), payload={
                         "sla_deadline": (NOW - timedelta(minutes=80)).isoformat()})
        record_success(s, "twitter", 4, NOW - timedelta(minutes=1))  # before it was disabled

    out = render_status(db, config, now=NOW)

    assert "open unanswered complaints: 2" in out
    assert "Tienda Sol: 2" in out
    listed = [line for line in out.splitlines() if line.startswith("    - ")]
    assert [line.split()[2] for line in listed] == ["@overdue", "@neutral_but_complaint"]
    assert "3 h 20 min old" in listed[0] and "SLA missed by 1 h 20 min" in listed[0]
    assert listed[0].endswith("https://x.com/overdue/status/1")
    assert "no alert yet" in listed[1]
    sources = out.split("\nsources\n")[1].splitlines()
    twitter = next(line for line in sources if line.startswith("    twitter"))
    assert "disabled" in twitter and "ok" not in twitter and "last success" not in twitter
