"""The platform reply outbox: replies sent from Slack, recorded before the platform call.

One row per reply, keyed by the case (`reply:<alert key>`; a confirmed second reply gets its
own key). Its life: `pending` (nothing posted: may be sent) -> `sending` (an attempt holds a
lease; `uncertain` says the platform may already have it) -> `sent` | `dead`. A `sending` row
whose lease ran out belongs to whoever picks it up next, who must look for the reply on the
platform before posting again. All the SQL for it lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from monitor.storage.tables import AlertRow, MentionRow, PlatformReplyRow, ReplyRow
from monitor.storage.upsert import clean_text, insert_ignore


@dataclass(frozen=True)
class ReplyItem:
    id: int
    key: str
    alert_id: int
    brand: str
    source: str
    parent_external_id: str
    text: str
    slack_user: str
    slack_user_name: str
    view_id: str
    state: str
    uncertain: bool
    attempts: int
    lease_until: datetime | None
    error_kind: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    external_id: str | None
    permalink: str | None
    account: str | None
    response_minutes: float | None


_FIELDS = [f.name for f in fields(ReplyItem)]


def _item(row: PlatformReplyRow) -> ReplyItem:
    return ReplyItem(**{name: getattr(row, name) for name in _FIELDS})


@dataclass(frozen=True)
class Case:
    """What a reply needs to know about its case: the alert and the mention it answers."""

    alert_id: int
    alert_key: str
    brand: str
    state: str
    channel: str
    source: str
    external_id: str
    thread_id: str | None
    author_handle: str
    url: str
    mention_created_at: datetime
    answered_at: datetime | None  # the brand's first reply seen on the platform, if any
    answered_by: str | None


def lock_case(session: Session, alert_key: str) -> Case | None:
    """Take the case's row lock first (a write on SQLite, FOR UPDATE on PostgreSQL) so two
    submissions for one case run one after the other, then read it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(AlertRow.id).where(AlertRow.key == alert_key).with_for_update())
    else:
        session.execute(update(AlertRow).where(AlertRow.key == alert_key)
                        .values(key=AlertRow.key))
    return load_case(session, alert_key)


def case_key(session: Session, alert_id: int) -> str | None:
    """The alert key of a case, by id."""
    return session.execute(select(AlertRow.key).where(AlertRow.id == alert_id)
                           ).scalar_one_or_none()


def load_case(session: Session, alert_key: str) -> Case | None:
    row = session.execute(
        select(AlertRow, MentionRow).join(MentionRow, MentionRow.id == AlertRow.mention_id)
        .where(AlertRow.key == alert_key)).first()
    if row is None:
        return None
    alert, mention = row
    first = session.execute(
        select(ReplyRow.replied_at, ReplyRow.account)
        .where(ReplyRow.source == mention.source,
               ReplyRow.parent_external_id == mention.external_id)
        .order_by(ReplyRow.replied_at).limit(1)).first()
    return Case(alert.id, alert.key, alert.brand, alert.state, alert.channel, mention.source,
                mention.external_id, mention.thread_id, mention.author_handle, mention.url,
                mention.created_at, first[0] if first else None, first[1] if first else None)


def items_for(session: Session, alert_id: int) -> list[ReplyItem]:
    rows = session.execute(select(PlatformReplyRow).where(PlatformReplyRow.alert_id == alert_id)
                           .order_by(PlatformReplyRow.id)).scalars()
    return [_item(r) for r in rows]


def get(session: Session, key: str) -> ReplyItem | None:
    row = session.execute(select(PlatformReplyRow).where(PlatformReplyRow.key == key)
                          ).scalar_one_or_none()
    return None if row is None else _item(row)


def create(session: Session, *, key: str, case: Case, text: str, slack_user: str,
           slack_user_name: str, view_id: str, now: datetime) -> bool:
    """Record the reply before anything is sent; False when the key already exists."""
    stmt = insert_ignore(session, PlatformReplyRow, [{
        "key": key, "alert_id": case.alert_id, "brand": case.brand, "source": case.source,
        "parent_external_id": case.external_id, "text": clean_text(text),
        "slack_user": slack_user, "slack_user_name": slack_user_name[:128], "view_id": view_id,
        "state": "pending", "uncertain": False, "attempts": 0, "created_at": now,
    }]).returning(PlatformReplyRow.id)
    return session.execute(stmt).first() is not None


def begin_attempt(session: Session, key: str, now: datetime, lease: timedelta, *,
                  text: str | None = None, slack_user: str | None = None,
                  slack_user_name: str | None = None, view_id: str | None = None
                  ) -> ReplyItem | None:
    """Claim the item for one attempt: `sending`, lease, `uncertain` set, attempts counted.

    Returns the item as it was *before* (its `uncertain` says whether to look first), or None
    when it is sent, dead, or in flight under someone else's lease. A new text (the user edited
    it after a refusal) replaces the old one only while nothing may have been posted.
    """
    row = session.execute(select(PlatformReplyRow).where(PlatformReplyRow.key == key)
                          ).scalar_one_or_none()
    if row is None or row.state in ("sent", "dead"):
        return None
    if row.state == "sending" and row.lease_until is not None and row.lease_until > now:
        return None
    before = _item(row)
    if not row.uncertain:
        if text is not None:
            row.text = clean_text(text)
        if slack_user:
            row.slack_user = slack_user
            row.slack_user_name = (slack_user_name or "")[:128]
        if view_id:
            row.view_id = view_id
    row.state = "sending"
    row.uncertain = True
    row.attempts += 1
    row.lease_until = now + lease
    session.flush()
    return before


def record_sent(session: Session, item_id: int, *, external_id: str, permalink: str,
                account: str, posted_at: datetime, now: datetime,
                response_minutes: float | None) -> ReplyItem:
    """Mark sent and store the reply as the brand's answer (a no-op if already collected)."""
    row = session.get(PlatformReplyRow, item_id)
    if row is None:
        raise KeyError(item_id)
    row.state, row.uncertain, row.lease_until = "sent", False, None
    row.sent_at, row.external_id, row.permalink = now, external_id, permalink
    row.account, row.response_minutes = account, response_minutes
    row.error_kind = row.last_error = None
    session.execute(insert_ignore(session, ReplyRow, [{
        "source": row.source, "external_id": external_id,
        "parent_external_id": row.parent_external_id, "account": account.lstrip("@"),
        "replied_at": posted_at, "thread_id": None, "fetched_at": now,
    }]))
    session.flush()
    return _item(row)


def record_failed(session: Session, item_id: int, *, kind: str, message: str,
                  definite: bool, now: datetime, dead: bool = False) -> ReplyItem:
    """A failed attempt. `definite`: nothing was posted, the item may be sent again as is;
    otherwise it stays `sending` with an expired lease, to be looked for before any retry."""
    row = session.get(PlatformReplyRow, item_id)
    if row is None:
        raise KeyError(item_id)
    row.error_kind, row.last_error = kind, message[:2000]
    if definite:
        row.state, row.uncertain, row.lease_until = ("dead" if dead else "pending"), False, None
    else:
        row.state, row.uncertain, row.lease_until = "sending", True, now
    session.flush()
    return _item(row)


def unresolved(session: Session, now: datetime, limit: int = 20) -> list[ReplyItem]:
    """Items an attempt left behind (crash, kill, timeout) whose lease has run out."""
    rows = session.execute(
        select(PlatformReplyRow)
        .where(PlatformReplyRow.state == "sending", PlatformReplyRow.lease_until <= now)
        .order_by(PlatformReplyRow.id).limit(limit)).scalars()
    return [_item(r) for r in rows]


def sent_stats(session: Session, brand: str, since: datetime, until: datetime
               ) -> dict[str, Any]:
    """Replies sent from Slack in [since, until): count and median first-response minutes."""
    minutes = sorted(m or 0.0 for m in session.execute(
        select(PlatformReplyRow.response_minutes)
        .where(PlatformReplyRow.brand == brand, PlatformReplyRow.state == "sent",
               PlatformReplyRow.sent_at >= since, PlatformReplyRow.sent_at < until)).scalars())
    median = None
    if minutes:
        mid = len(minutes) // 2
        median = minutes[mid] if len(minutes) % 2 else (minutes[mid - 1] + minutes[mid]) / 2
    return {"count": len(minutes), "median_response_minutes": median}


def count_sent(session: Session) -> int:
    return int(session.execute(select(func.count()).where(PlatformReplyRow.state == "sent")
                               ).scalar_one())


@dataclass(frozen=True)
class OpenCase:
    alert_key: str
    brand: str
    channel_id: str
    ts: str


def open_case(session: Session, source: str) -> OpenCase | None:
    """The newest open mention case of `source` already in Slack, complaints first (for the
    sandbox demo: the live sample posts are the newest, the seeded history is not on the
    emulated platform any more)."""
    row = session.execute(
        select(AlertRow.key, AlertRow.brand, AlertRow.slack_channel_id, AlertRow.slack_ts)
        .join(MentionRow, MentionRow.id == AlertRow.mention_id)
        .where(AlertRow.kind == "mention", AlertRow.state == "open",
               MentionRow.source == source, AlertRow.slack_ts.is_not(None))
        .order_by((AlertRow.track == "complaint").desc(), MentionRow.created_at.desc(),
                  AlertRow.id).limit(1)).first()
    if row is None or row[2] is None or row[3] is None:
        return None
    return OpenCase(row[0], row[1], row[2], row[3])
