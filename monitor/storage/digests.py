"""All digest SQL: a week's records, earlier weeks' label counts, replies sent from Slack, and
the sent-digest log.

Labels are *effective* labels: the latest Slack correction that gives a label wins over the
model's score (people who corrected it know better); a correction without a label is ignored
here. The same holds for the reply decision's category ("it is a question"): the latest
correction that names one is returned beside the model's P(complaint) and P(question).
Everything is read "as of" a moment so a digest rebuilt later shows the same figures.

The `digests` row is the never-twice guard: `claim_digest` takes it (state "sending") in its
own transaction before anything is posted, `mark_sent` closes it, and a "sending" row whose
claim is stale tells the next run to reconcile with Slack before posting again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from monitor.storage.tables import (
    AlertRow,
    CorrectionRow,
    DigestRow,
    MentionRow,
    PlatformReplyRow,
    ReplyRow,
    ScoreRow,
)
from monitor.storage.upsert import insert_ignore


@dataclass(frozen=True)
class DigestMention:
    """What the digest needs to know about one mention of the week."""

    id: int
    source: str
    url: str
    author_handle: str
    author_name: str
    author_reach: int
    text: str
    lang: str | None
    created_at: datetime
    label: str | None  # effective label (corrected, else scored); None while unscored
    model_label: str | None
    confidence: float | None
    situation: str | None
    answered_at: datetime | None  # first brand reply known as of the digest's moment
    case_closed_at: datetime | None  # its alert was closed (e.g. answered privately)
    complaint: float | None = None  # the reply decision's P(complaint); None while unscored
    question: float | None = None  # P(question)
    corrected_category: str | None = None  # latest Slack correction's category, if any
    slack_reply_by: str | None = None  # who answered it from Slack (first reply sent), if any


@dataclass(frozen=True)
class DigestCorrection:
    mention_id: int
    old_label: str
    new_label: str | None
    lang: str | None  # the correction's language, else the mention's
    created_at: datetime


@dataclass(frozen=True)
class DigestSlackReply:
    """One reply the team sent from Slack to the platform (`platform_replies`, state sent)."""

    source: str
    sent_at: datetime
    response_minutes: float | None  # from the mention to the posted reply, wall clock
    slack_user_name: str


@dataclass(frozen=True)
class DigestCrisis:
    id: int
    created_at: datetime
    state: str
    situation: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class DigestState:
    """The sent-digest log for one (brand, week)."""

    brand: str
    week: str
    state: str  # sending | sent
    created_at: datetime
    sent_at: datetime | None
    report_path: str | None
    summary: dict[str, Any]


ClaimOutcome = Literal["claimed", "already_sent", "in_progress", "retry_later"]


@dataclass(frozen=True)
class Claim:
    """Result of `claim_digest`: `claimed` means this caller now owns the send.

    `previous` is the row as found (None for a fresh claim): a claimed row that was already
    "sending" may have posted before a crash, so the caller reconciles with Slack first.
    `current` is the row as this call left it.
    """

    outcome: ClaimOutcome
    previous: DigestState | None
    current: DigestState


def _latest_correction_of(column: Any, as_of: datetime | None) -> Any:
    """Per mention, the id (`cid`) of its latest correction that sets `column` (label or
    category), made up to `as_of` when given."""
    stmt = select(
        CorrectionRow.mention_id.label("mention_id"), func.max(CorrectionRow.id).label("cid")
    ).where(column.is_not(None))
    if as_of is not None:
        stmt = stmt.where(CorrectionRow.created_at <= as_of)
    return stmt.group_by(CorrectionRow.mention_id).subquery()


def _effective_label(as_of: datetime | None) -> tuple[Any, Any]:
    """The effective-label column and the joins it needs, as (label, join function)."""
    latest = _latest_correction_of(CorrectionRow.new_label, as_of)
    corr = aliased(CorrectionRow)
    label = func.coalesce(corr.new_label, ScoreRow.label)

    def joins(stmt: Select[Any]) -> Select[Any]:
        return (
            stmt.select_from(MentionRow)
            .outerjoin(ScoreRow, ScoreRow.mention_id == MentionRow.id)
            .outerjoin(latest, latest.c.mention_id == MentionRow.id)
            .outerjoin(corr, corr.id == latest.c.cid)
        )

    return label, joins


def _not_after(column: Any, as_of: datetime | None) -> list[Any]:
    """The cut-off of a digest built "as of" a moment: nothing created after it counts, so a
    partial week shows only what had happened by then (and a rebuild shows the same)."""
    return [] if as_of is None else [column <= as_of]


def week_mentions(
    session: Session, brand: str, since: datetime, until: datetime, as_of: datetime | None = None
) -> list[DigestMention]:
    """Mentions of `brand` created in [since, until) and not after `as_of`, oldest first, in
    one query."""
    replies = select(
        ReplyRow.source.label("source"),
        ReplyRow.parent_external_id.label("parent"),
        func.min(ReplyRow.replied_at).label("replied_at"),
    )
    if as_of is not None:
        replies = replies.where(ReplyRow.replied_at <= as_of)
    first = replies.group_by(ReplyRow.source, ReplyRow.parent_external_id).subquery()
    label, joins = _effective_label(as_of)
    latest_category = _latest_correction_of(CorrectionRow.new_category, as_of)
    category_fix = aliased(CorrectionRow)
    from_slack = _first_slack_reply(as_of)
    slack_reply = aliased(PlatformReplyRow)
    stmt = (
        joins(select(MentionRow, ScoreRow.label, ScoreRow.confidence, label,
                     first.c.replied_at, AlertRow.closed_at, ScoreRow.complaint,
                     ScoreRow.question, category_fix.new_category,
                     slack_reply.slack_user_name, slack_reply.slack_user))
        .outerjoin(
            first,
            and_(first.c.source == MentionRow.source, first.c.parent == MentionRow.external_id),
        )
        .outerjoin(
            from_slack,
            and_(from_slack.c.source == MentionRow.source,
                 from_slack.c.parent == MentionRow.external_id),
        )
        .outerjoin(slack_reply, slack_reply.id == from_slack.c.rid)
        .outerjoin(AlertRow, AlertRow.mention_id == MentionRow.id)
        .outerjoin(latest_category, latest_category.c.mention_id == MentionRow.id)
        .outerjoin(category_fix, category_fix.id == latest_category.c.cid)
        .where(
            MentionRow.brand == brand,
            MentionRow.created_at >= since,
            MentionRow.created_at < until,
            *_not_after(MentionRow.created_at, as_of),
        )
        .order_by(MentionRow.created_at, MentionRow.id)
    )
    out = []
    for (row, model_label, confidence, label, replied_at, closed_at, complaint, question,
         category, slack_name, slack_user) in session.execute(stmt):
        if closed_at is not None and as_of is not None and closed_at > as_of:
            closed_at = None
        out.append(
            DigestMention(
                id=row.id,
                source=row.source,
                url=row.url,
                author_handle=row.author_handle,
                author_name=row.author_name,
                author_reach=row.author_reach,
                text=row.text,
                lang=row.lang,
                created_at=row.created_at,
                label=label,
                model_label=model_label,
                confidence=confidence,
                situation=row.situation,
                answered_at=replied_at,
                case_closed_at=closed_at,
                complaint=complaint,
                question=question,
                corrected_category=category,
                slack_reply_by=(slack_name or slack_user) if slack_user is not None else None,
            )
        )
    return out


def _first_slack_reply(as_of: datetime | None) -> Any:
    """The first reply sent from Slack per mention (source, parent id) as of the moment."""
    stmt = select(
        PlatformReplyRow.source.label("source"),
        PlatformReplyRow.parent_external_id.label("parent"),
        func.min(PlatformReplyRow.id).label("rid"),
    ).where(PlatformReplyRow.state == "sent")
    if as_of is not None:
        stmt = stmt.where(PlatformReplyRow.sent_at <= as_of)
    return stmt.group_by(PlatformReplyRow.source, PlatformReplyRow.parent_external_id).subquery()


def slack_replies(
    session: Session, brand: str, since: datetime, until: datetime,
    as_of: datetime | None = None,
) -> list[DigestSlackReply]:
    """Replies to `brand`'s mentions sent from Slack in [since, until), not after `as_of`.

    Counted by when they were sent (not when the mention was posted), so each reply falls in
    exactly one week's digest even when it answers last Sunday's complaint on Monday.
    """
    stmt = (
        select(PlatformReplyRow)
        .where(
            PlatformReplyRow.brand == brand,
            PlatformReplyRow.state == "sent",
            PlatformReplyRow.sent_at >= since,
            PlatformReplyRow.sent_at < until,
            *_not_after(PlatformReplyRow.sent_at, as_of),
        )
        .order_by(PlatformReplyRow.sent_at, PlatformReplyRow.id)
    )
    return [
        DigestSlackReply(r.source, r.sent_at, r.response_minutes,
                         r.slack_user_name or r.slack_user)
        for r in session.scalars(stmt)
        if r.sent_at is not None
    ]


def first_collected(session: Session, brand: str) -> datetime | None:
    """When Vigía first stored a mention of `brand` (None before any): a week that began
    earlier was only partly watched."""
    stmt = select(func.min(MentionRow.fetched_at)).where(MentionRow.brand == brand)
    return session.execute(stmt).scalar_one_or_none()


def label_counts(
    session: Session, brand: str, since: datetime, until: datetime, as_of: datetime | None = None
) -> dict[str, int]:
    """Mentions per effective label created in [since, until) and not after `as_of`; unscored
    ones as "unscored"."""
    label, joins = _effective_label(as_of)
    bucket = func.coalesce(label, "unscored")
    stmt = (
        joins(select(bucket, func.count()))
        .where(
            MentionRow.brand == brand,
            MentionRow.created_at >= since,
            MentionRow.created_at < until,
            *_not_after(MentionRow.created_at, as_of),
        )
        .group_by(bucket)
    )
    return {str(name): int(count) for name, count in session.execute(stmt)}


def week_corrections(
    session: Session, brand: str, since: datetime, until: datetime,
    as_of: datetime | None = None,
) -> list[DigestCorrection]:
    """Sentiment corrections made in [since, until), not after `as_of`, on this brand's
    mentions."""
    stmt = (
        select(CorrectionRow, MentionRow.lang)
        .join(MentionRow, MentionRow.id == CorrectionRow.mention_id)
        .where(
            MentionRow.brand == brand,
            CorrectionRow.created_at >= since,
            CorrectionRow.created_at < until,
            *_not_after(CorrectionRow.created_at, as_of),
        )
        .order_by(CorrectionRow.created_at, CorrectionRow.id)
    )
    return [
        DigestCorrection(
            mention_id=c.mention_id,
            old_label=c.old_label,
            new_label=c.new_label,
            lang=c.lang or mention_lang,
            created_at=c.created_at,
        )
        for c, mention_lang in session.execute(stmt)
    ]


def crisis_alerts(
    session: Session, brand: str, since: datetime, until: datetime,
    as_of: datetime | None = None,
) -> list[DigestCrisis]:
    """Crisis alerts raised for `brand` in [since, until), not after `as_of`."""
    stmt = (
        select(AlertRow)
        .where(
            AlertRow.kind == "crisis",
            AlertRow.brand == brand,
            AlertRow.created_at >= since,
            AlertRow.created_at < until,
            *_not_after(AlertRow.created_at, as_of),
        )
        .order_by(AlertRow.created_at, AlertRow.id)
    )
    return [
        DigestCrisis(a.id, a.created_at, a.state, a.situation, dict(a.payload or {}))
        for a in session.scalars(stmt)
    ]


# The sent-digest log -------------------------------------------------------------------


def _state(row: DigestRow) -> DigestState:
    return DigestState(
        brand=row.brand,
        week=row.week,
        state=row.state,
        created_at=row.created_at,
        sent_at=row.sent_at,
        report_path=row.report_path,
        summary=dict(row.summary or {}),
    )


def _locked(session: Session, brand: str, week: str) -> DigestRow | None:
    stmt = select(DigestRow).where(DigestRow.brand == brand, DigestRow.week == week)
    return session.execute(stmt.with_for_update()).scalar_one_or_none()


def get_digest(session: Session, brand: str, week: str) -> DigestState | None:
    """The log row of one (brand, week), or None if it was never claimed."""
    stmt = select(DigestRow).where(DigestRow.brand == brand, DigestRow.week == week)
    row = session.execute(stmt).scalar_one_or_none()
    return None if row is None else _state(row)


def claim_digest(
    session: Session,
    brand: str,
    week: str,
    *,
    token: str,
    now: datetime,
    force: bool = False,
    stale_after: timedelta = timedelta(minutes=15),
) -> Claim:
    """Take the (brand, week) row for this caller, or say why not. Commit before sending.

    A fresh row is inserted as "sending" (the unique key makes two racing callers agree on
    one winner). A "sending" row with a live claim belongs to someone else; one whose claim
    is older than `stale_after`, or was released after a failure (once its `retry_at` has
    passed), is taken over with its progress, to be reconciled with Slack. `force` takes a
    "sent" or abandoned row as a new attempt: fresh progress and a new Slack key.
    """
    claim = {"token": token, "at": now.isoformat()}
    fresh = {"claim": claim, "attempt": 1, "slack": {}}
    stmt = insert_ignore(
        session,
        DigestRow,
        [{"brand": brand, "week": week, "state": "sending", "created_at": now, "summary": fresh}],
    ).returning(DigestRow.id)
    inserted = session.execute(stmt).first() is not None
    row = _locked(session, brand, week)
    assert row is not None  # inserted or conflicting, it exists; rows are never deleted here
    if inserted:
        return Claim("claimed", None, _state(row))
    previous = _state(row)
    summary = dict(row.summary or {})
    if row.state == "sent":
        if not force:
            return Claim("already_sent", previous, previous)
        row.state = "sending"
        row.sent_at = None
        row.summary = {"claim": claim, "attempt": int(summary.get("attempt", 1)) + 1,
                       "slack": {}}
        return Claim("claimed", previous, _state(row))
    held = summary.get("claim")
    if held and datetime.fromisoformat(held["at"]) > now - stale_after:
        return Claim("in_progress", previous, previous)
    retry_at = summary.get("retry_at")
    if force:  # whatever an interrupted attempt did, send anew under a new key
        row.summary = {"claim": claim, "attempt": int(summary.get("attempt", 1)) + 1,
                       "slack": {}}
        return Claim("claimed", previous, _state(row))
    if retry_at and datetime.fromisoformat(retry_at) > now:
        return Claim("retry_later", previous, previous)
    row.summary = {**summary, "claim": claim}
    return Claim("claimed", previous, _state(row))


def _owned(session: Session, brand: str, week: str, token: str) -> DigestRow | None:
    row = _locked(session, brand, week)
    if row is None or row.state != "sending":
        return None
    held = (row.summary or {}).get("claim") or {}
    return row if held.get("token") == token else None


def record_progress(
    session: Session, brand: str, week: str, token: str, **slack: Any
) -> bool:
    """Remember what was already posted (channel, ts, chart file); False if the claim was lost."""
    row = _owned(session, brand, week, token)
    if row is None:
        return False
    summary = dict(row.summary or {})
    summary["slack"] = {**summary.get("slack", {}), **slack}
    row.summary = summary
    return True


def mark_sent(
    session: Session,
    brand: str,
    week: str,
    token: str,
    *,
    now: datetime,
    report_path: str | None,
    summary: dict[str, Any],
) -> bool:
    """Close the claim: state "sent" with the digest's headline figures; False if not ours."""
    row = _owned(session, brand, week, token)
    if row is None:
        return False
    kept = {k: v for k, v in (row.summary or {}).items()
            if k not in ("claim", "retry_at", "last_error")}
    row.state = "sent"
    row.sent_at = now
    row.report_path = report_path
    row.summary = {**kept, **summary}
    return True


def release_claim(
    session: Session,
    brand: str,
    week: str,
    token: str,
    *,
    error: str,
    retry_at: Callable[[int], datetime],
) -> int:
    """Give the claim back after a failure, not to be retried before `retry_at(failures)`.

    Returns how many failures this row has had (0 if the claim was not ours any more).
    """
    row = _owned(session, brand, week, token)
    if row is None:
        return 0
    summary = {k: v for k, v in (row.summary or {}).items() if k != "claim"}
    failures = int(summary.get("failures", 0)) + 1
    row.summary = {**summary, "failures": failures, "last_error": error[:500],
                   "retry_at": retry_at(failures).isoformat()}
    return failures
