"""Alert cases, corrections and the delivery side of the outbox: all their SQL lives here.

Alert states (`AlertRow.state`) for a mention case:
  open -> answered (brand reply or a person) | snoozed -> open | dismissed (not relevant,
  wrong sentiment); `covered` = folded into a crisis alert (no message of its own; closes on
  the brand's reply); `backfill` = too old when first seen, recorded but never posted.
`level`: 0 not posted, 1 alerted, 2 escalated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, text
from sqlalchemy.orm import Session

from monitor.storage import leases
from monitor.storage.mentions import first_reply_subquery
from monitor.storage.outbox import OutboxItem, mark_attempt
from monitor.storage.tables import (
    AlertRow,
    CorrectionRow,
    LeaseRow,
    MentionRow,
    OutboxRow,
    ScoreRow,
)
from monitor.storage.upsert import insert_ignore

ACTIVE_STATES = ("open", "snoozed", "covered")


@dataclass(frozen=True)
class AlertRecord:
    id: int
    key: str
    kind: str
    brand: str
    mention_id: int | None
    state: str
    priority: str
    level: int
    situation: str | None
    channel: str
    slack_channel_id: str | None
    slack_ts: str | None
    assigned_to: str | None
    snoozed_until: datetime | None
    closed_by: str | None
    close_reason: str | None
    created_at: datetime
    sent_at: datetime | None
    escalated_at: datetime | None
    closed_at: datetime | None
    payload: dict[str, Any]
    track: str = "complaint"


_ALERT_FIELDS = [f.name for f in fields(AlertRecord)]


def _record(row: AlertRow) -> AlertRecord:
    values = {name: getattr(row, name) for name in _ALERT_FIELDS}
    values["payload"] = dict(row.payload or {})
    return AlertRecord(**values)


# Alerts -----------------------------------------------------------------------------------


def lock_brand(session: Session, brand: str) -> None:
    """Serialise escalation passes for one brand across workers (PostgreSQL; SQLite has a
    single writer anyway), so two workers never both decide the same crisis or escalation."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"vigia-escalate:{brand}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def unalerted_cases(session: Session, brand: str, threshold: float,
                    question_threshold: float | None) -> list[tuple[int, str]]:
    """(mention id, track) of the brand's unanswered mentions that need a case and have none.

    The track is "complaint" when P(complaint) reaches `threshold`, else "question" when
    P(question) reaches `question_threshold` (None: the questions track is off).
    """
    first = first_reply_subquery()
    is_complaint = ScoreRow.complaint >= threshold
    wanted = is_complaint
    if question_threshold is not None:
        wanted = or_(is_complaint, ScoreRow.question >= question_threshold)
    track = case((is_complaint, "complaint"), else_="question")
    stmt = (
        select(MentionRow.id, track)
        .join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .outerjoin(first, and_(first.c.source == MentionRow.source,
                               first.c.parent == MentionRow.external_id))
        .outerjoin(AlertRow, AlertRow.mention_id == MentionRow.id)
        .where(MentionRow.brand == brand, wanted, first.c.replied_at.is_(None),
               AlertRow.id.is_(None))
        .order_by(MentionRow.created_at, MentionRow.id)
    )
    return [(int(mid), str(kind)) for mid, kind in session.execute(stmt)]


def create_alert(session: Session, *, key: str, kind: str, brand: str, state: str,
                 now: datetime, mention_id: int | None = None, priority: str = "normal",
                 level: int = 0, situation: str | None = None, channel: str = "",
                 payload: dict[str, Any] | None = None,
                 track: str = "complaint") -> AlertRecord | None:
    """Insert a case; None when the key (or the mention) already has one: never twice."""
    stmt = insert_ignore(session, AlertRow, [{
        "key": key, "kind": kind, "brand": brand, "mention_id": mention_id, "state": state,
        "priority": priority, "level": level, "situation": situation, "channel": channel,
        "created_at": now, "payload": payload or {}, "track": track,
    }]).returning(AlertRow.id)
    new_id = session.execute(stmt).scalar_one_or_none()
    if new_id is None:
        return None
    row = session.get(AlertRow, new_id)
    assert row is not None
    return _record(row)


def get_alert(session: Session, key: str, *, lock: bool = False) -> AlertRecord | None:
    stmt = select(AlertRow).where(AlertRow.key == key)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    return None if row is None else _record(row)


def active_alerts(session: Session, brand: str) -> list[AlertRecord]:
    """The brand's mention cases still waiting for an answer (open, snoozed or covered)."""
    stmt = (
        select(AlertRow)
        .where(AlertRow.brand == brand, AlertRow.kind == "mention",
               AlertRow.state.in_(ACTIVE_STATES))
        .order_by(AlertRow.id)
    )
    return [_record(r) for r in session.execute(stmt).scalars()]


def update_alert(session: Session, alert_id: int, **changes: Any) -> AlertRecord:
    """Change columns of a case; `payload` is merged into the stored JSON, not replaced."""
    row = session.get(AlertRow, alert_id, with_for_update=True)
    if row is None:
        raise KeyError(alert_id)
    extra = changes.pop("payload", None)
    for name, value in changes.items():
        if name not in _ALERT_FIELDS or name in ("id", "key"):
            raise AttributeError(name)
        setattr(row, name, value)
    if extra:
        row.payload = {**(row.payload or {}), **extra}
    session.flush()
    return _record(row)


def latest_crisis(session: Session, brand: str) -> AlertRecord | None:
    stmt = (
        select(AlertRow)
        .where(AlertRow.brand == brand, AlertRow.kind == "crisis")
        .order_by(AlertRow.created_at.desc(), AlertRow.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).scalar_one_or_none()
    return None if row is None else _record(row)


def _negative_in(brand: str, since: datetime, until: datetime, threshold: float) -> Any:
    """Complaints of the window: what the escalation rule would alert on."""
    return and_(MentionRow.brand == brand, MentionRow.created_at >= since,
                MentionRow.created_at < until, ScoreRow.complaint >= threshold)


def count_negative(session: Session, brand: str, since: datetime, until: datetime,
                   threshold: float) -> int:
    stmt = (
        select(func.count())
        .select_from(MentionRow)
        .join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .where(_negative_in(brand, since, until, threshold))
    )
    return int(session.execute(stmt).scalar_one())


def top_negative(session: Session, brand: str, since: datetime, until: datetime,
                 threshold: float, limit: int) -> list[int]:
    """Ids of the window's negative mentions with the widest reach first."""
    stmt = (
        select(MentionRow.id)
        .join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .where(_negative_in(brand, since, until, threshold))
        .order_by(MentionRow.author_reach.desc(), MentionRow.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def first_mention_at(session: Session, brand: str) -> datetime | None:
    """When the brand's history starts (the earliest stored mention)."""
    stmt = select(func.min(MentionRow.created_at)).where(MentionRow.brand == brand)
    return session.execute(stmt).scalar_one_or_none()


# Corrections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredAs:
    """What a mention was scored as, for a correction to record beside the person's answer."""

    label: str
    category: str
    lang: str | None
    model: str
    model_version: str


def scored_as(session: Session, mention_id: int) -> ScoredAs | None:
    """The stored score of a mention (its language falls back to the mention's)."""
    row = session.execute(
        select(ScoreRow.label, ScoreRow.category, ScoreRow.lang, MentionRow.lang,
               ScoreRow.model, ScoreRow.model_version)
        .join(MentionRow, MentionRow.id == ScoreRow.mention_id)
        .where(ScoreRow.mention_id == mention_id)
    ).first()
    if row is None:
        return None
    return ScoredAs(row[0], row[1], row[2] or row[3], row[4], row[5])


def add_correction(session: Session, *, mention_id: int, scored: ScoredAs | None,
                   new_category: str | None, new_label: str | None, user: str,
                   now: datetime) -> None:
    """Record a person's verdict on a score; `vigia sentiment corrections` exports them as
    training lines (text, language, category), so they can feed the next model."""
    session.add(CorrectionRow(
        mention_id=mention_id, old_label=scored.label if scored else "unscored",
        new_label=new_label, lang=scored.lang if scored else None, user=user, created_at=now,
        old_category=scored.category if scored else None, new_category=new_category,
        model=scored.model if scored else None,
        model_version=scored.model_version if scored else None))
    session.flush()


def corrections(session: Session) -> list[dict[str, Any]]:
    """Every correction with the text it is about, oldest first (the retraining export)."""
    stmt = (
        select(CorrectionRow, MentionRow.text, MentionRow.source, MentionRow.lang)
        .join(MentionRow, MentionRow.id == CorrectionRow.mention_id)
        .order_by(CorrectionRow.id)
    )
    return [
        {"text": text_, "lang": c.lang or mlang, "category": c.new_category,
         "sentiment": c.new_label, "was_category": c.old_category, "was_label": c.old_label,
         "model": c.model, "model_version": c.model_version, "source": source,
         "mention_id": c.mention_id, "user": c.user, "at": c.created_at.isoformat()}
        for c, text_, source, mlang in session.execute(stmt)
    ]


# Outbox delivery --------------------------------------------------------------------------


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(id=row.id, key=row.key, op=row.op, channel=row.channel,
                      payload=dict(row.payload or {}), alert_id=row.alert_id,
                      attempts=row.attempts, created_at=row.created_at)


IN_FLIGHT = "outbox:"  # lease name prefix of an item whose Slack call is (or was) under way


def _in_flight_name(item_id: int) -> str:
    return f"{IN_FLIGHT}{item_id}"


def message_group(op: str, key: str, payload: dict[str, Any] | None) -> str:
    """The message an outbox item belongs to: a thread reply or card update goes with its
    parent. Order is kept within a message even when an uncertain item lets its channel move on."""
    payload = payload or {}
    parent = payload.get("parent_key") if op == "thread" else (
        payload.get("target_key") if op == "update" else None)
    return str(parent or key)


def deliverable(session: Session, now: datetime, limit: int = 50, scan: int = 5000, *,
                lease: timedelta = timedelta(minutes=2),
                channel_hold: timedelta = timedelta(seconds=30)) -> list[OutboxItem]:
    """Due pending items, oldest first, in order per channel where order matters.

    What an item that cannot go now holds back:
    - backing off (rate limited, Slack down, channel refused): its whole channel, so the
      channel's messages arrive in order once Slack takes them again;
    - in flight (`begin_attempt`'s lease of length `lease`) for less than `channel_hold`, as
      long as a live worker's call can last: its channel too, one sender per channel;
    - in flight for longer (its worker died mid-call; whether Slack got it is uncertain until
      the lease ends and it is reconciled): only itself and what follows it in its message
      (thread replies, card updates), so one uncertain item never stalls the channel.
    """
    heads = session.execute(
        select(OutboxRow.id, OutboxRow.channel, OutboxRow.next_attempt_at, OutboxRow.key,
               OutboxRow.op)
        .where(OutboxRow.state == "pending")
        .order_by(OutboxRow.id)
        .limit(scan)
    ).all()
    flying = {int(name[len(IN_FLIGHT):]): expires for name, expires in session.execute(
        select(LeaseRow.name, LeaseRow.expires_at)
        .where(LeaseRow.name.like(f"{IN_FLIGHT}%"), LeaseRow.expires_at > now))}
    uncertain = {i for i, expires in flying.items() if expires - lease + channel_hold <= now}
    groups = _groups_after(session, heads, uncertain)
    blocked: set[str] = set()
    waiting: set[str] = set()  # messages (group keys) behind an uncertain item
    chosen: list[int] = []
    for item_id, channel, due, key, _op in heads:
        group = groups.get(item_id, key)
        if channel in blocked or group in waiting or key in waiting:
            waiting.add(key)
            continue
        if item_id in uncertain:
            waiting.update({group, key})
            continue
        if item_id in flying or due > now:
            blocked.add(channel)
            continue
        chosen.append(item_id)
        if len(chosen) >= limit:
            break
    if not chosen:
        return []
    rows = session.execute(select(OutboxRow).where(OutboxRow.id.in_(chosen))
                           .order_by(OutboxRow.id)).scalars()
    return [_item(r) for r in rows]


def _groups_after(session: Session, heads: Any, uncertain: set[int]) -> dict[int, str]:
    """Group keys of the threads and updates from the first uncertain item of their channel on
    (the only ones whose group decides anything; payloads of the rest are not loaded)."""
    first: dict[str, int] = {}
    for item_id, channel, *_ in heads:
        if item_id in uncertain:
            first.setdefault(channel, item_id)
    wanted = [item_id for item_id, channel, _, _, op in heads
              if op in ("thread", "update") and channel in first and item_id >= first[channel]]
    if not wanted:
        return {}
    rows = session.execute(select(OutboxRow.id, OutboxRow.op, OutboxRow.key, OutboxRow.payload)
                           .where(OutboxRow.id.in_(wanted)))
    return {int(i): message_group(op, key, payload) for i, op, key, payload in rows}


def begin_attempt(session: Session, item_id: int, now: datetime, lease: timedelta,
                  holder: str) -> OutboxItem | None:
    """Count an attempt and hide the item from other workers for `lease` while it is in flight.

    The in-flight lease is a row of `leases` (not a later `next_attempt_at`), so `deliverable`
    can tell an item in flight from one backing off. Returns the item as it was before this
    attempt (its `attempts` says whether an earlier attempt may have reached Slack), or None
    when it is no longer ours to send.
    """
    stmt = select(OutboxRow).where(OutboxRow.id == item_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None or row.state != "pending" or row.next_attempt_at > now:
        return None
    if not leases.acquire(session, _in_flight_name(item_id), holder, lease, now):
        return None
    before = _item(row)
    mark_attempt(session, item_id)
    return before


def _landed(session: Session, item_id: int) -> None:
    """The attempt is over (sent, rescheduled or dead): its in-flight lease goes.

    Called last, after the outbox row's update is flushed: `begin_attempt` locks the row, then
    the lease, and the same order here keeps two workers from deadlocking on one item.
    """
    session.flush()
    session.execute(delete(LeaseRow).where(LeaseRow.name == _in_flight_name(item_id)))


@dataclass(frozen=True)
class SentTarget:
    state: str  # pending | sent | dead
    channel_id: str | None
    ts: str | None


def target(session: Session, key: str) -> SentTarget | None:
    """Where the item `key` landed in Slack (threads and updates need their parent's ts)."""
    row = session.execute(select(OutboxRow).where(OutboxRow.key == key)).scalar_one_or_none()
    if row is None:
        return None
    return SentTarget(row.state, (row.payload or {}).get("result_channel"), row.result_ts)


def record_sent(session: Session, item_id: int, now: datetime, ts: str | None,
                channel_id: str | None) -> None:
    """Mark sent, remember the channel id, and stamp the alert case a `post` belongs to."""
    row = session.get(OutboxRow, item_id)
    if row is None:
        return
    row.state = "sent"
    row.sent_at = now
    row.result_ts = ts
    row.last_error = None
    if channel_id:
        row.payload = {**(row.payload or {}), "result_channel": channel_id}
    if row.op == "post" and row.alert_id is not None:
        alert = session.get(AlertRow, row.alert_id)
        if alert is not None and alert.slack_ts is None:
            alert.slack_ts = ts
            alert.slack_channel_id = channel_id
            alert.sent_at = now
    _landed(session, item_id)


def reschedule(session: Session, item_id: int, error: str, retry_at: datetime) -> None:
    row = session.get(OutboxRow, item_id)
    if row is not None:
        row.last_error = error[:2000]
        row.next_attempt_at = retry_at
    _landed(session, item_id)


def give_up(session: Session, item_id: int, error: str) -> None:
    row = session.get(OutboxRow, item_id)
    if row is not None:
        row.last_error = error[:2000]
        row.state = "dead"
    _landed(session, item_id)


def known_channel_id(session: Session, channel: str) -> str | None:
    """The Slack id a configured channel name resolved to when we last posted there."""
    stmt = (
        select(OutboxRow.payload)
        .where(OutboxRow.channel == channel, OutboxRow.state == "sent")
        .order_by(OutboxRow.id.desc())
        .limit(20)
    )
    for payload in session.execute(stmt).scalars():
        if payload and payload.get("result_channel"):
            return str(payload["result_channel"])
    return None


def outbox_summary(session: Session) -> dict[str, Any]:
    """Counts for `vigia status`: pending, failing (pending with an error), dead, sent,
    plus the oldest pending item's creation time and the latest error."""
    counts = dict(session.execute(
        select(OutboxRow.state, func.count()).group_by(OutboxRow.state)).all())
    failing = session.execute(
        select(func.count()).where(OutboxRow.state == "pending",
                                   OutboxRow.last_error.is_not(None))).scalar_one()
    oldest = session.execute(
        select(func.min(OutboxRow.created_at)).where(OutboxRow.state == "pending")).scalar_one()
    last_error = session.execute(
        select(OutboxRow.last_error)
        .where(OutboxRow.last_error.is_not(None), OutboxRow.state != "sent")
        .order_by(OutboxRow.id.desc()).limit(1)).scalar_one_or_none()
    pending = int(counts.get("pending", 0))
    return {
        "pending": pending - int(failing),
        "failed": int(failing),
        "dead": int(counts.get("dead", 0)),
        "sent": int(counts.get("sent", 0)),
        "oldest_pending_at": oldest,
        "last_error": last_error,
    }
