"""Mentions, brand replies, cursors and scores: the collect -> store -> score path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from monitor.records import StoredMention, StoreResult
from monitor.storage.tables import CursorRow, MentionRow, ReadRow, ReplyRow, ScoreRow
from monitor.storage.upsert import clean_text, insert_ignore
from sentiment.base import Score
from sources.base import Cursor, Mention, Page, Query

_MENTION_FIELDS = [f for f in Mention.__dataclass_fields__ if f != "extra"]
_INSERT_CHUNK = 500
_IDS_PER_QUERY = 10_000


def _mention_row(m: Mention, fetched_at: datetime, lang: str | None) -> dict[str, Any]:
    row = {name: getattr(m, name) for name in _MENTION_FIELDS}
    for name in ("text", "author_name", "author_handle", "url"):
        row[name] = clean_text(row[name] or "")
    row["lang"] = lang
    row["fetched_at"] = fetched_at
    row["extra"] = m.extra
    return row


def store_page(
    session: Session,
    source: str,
    query: Query,
    page: Page,
    *,
    fetched_at: datetime,
    langs: Sequence[str | None] | None = None,
) -> StoreResult:
    """Store a page's mentions and replies and advance its cursor, in the caller's transaction.

    Re-delivered mentions and replies hit the unique keys and are skipped, so a page stored
    twice (after a crash before the cursor moved) changes nothing the second time.
    """
    new_mentions = 0
    mentions = list(page.mentions)
    langs = list(langs) if langs is not None else [m.lang for m in mentions]
    for start in range(0, len(mentions), _INSERT_CHUNK):
        rows = [
            _mention_row(m, fetched_at, lang)
            for m, lang in zip(
                mentions[start : start + _INSERT_CHUNK],
                langs[start : start + _INSERT_CHUNK],
                strict=True,
            )
        ]
        stmt = insert_ignore(session, MentionRow, rows).returning(MentionRow.id)
        new_mentions += len(session.execute(stmt).all())
    new_replies = 0
    if page.brand_replies:
        stmt = insert_ignore(
            session,
            ReplyRow,
            [{**asdict(r), "fetched_at": fetched_at} for r in page.brand_replies],
        ).returning(ReplyRow.id)
        new_replies = len(session.execute(stmt).all())
    new_reads = record_reads(session, source, page.read_ids, fetched_at)
    if page.cursor is not None:
        save_cursor(session, source, query, page.cursor, fetched_at)
    return StoreResult(
        new_mentions=new_mentions,
        duplicate_mentions=len(mentions) - new_mentions,
        new_replies=new_replies,
        new_reads=new_reads,
    )


def record_reads(session: Session, source: str, ids: Sequence[str], at: datetime) -> int:
    """Count posts read for billing; the same post read twice in one UTC day counts once."""
    if not ids:
        return 0
    day = at.astimezone(UTC).strftime("%Y-%m-%d")
    unique = list(dict.fromkeys(ids))
    stmt = insert_ignore(
        session, ReadRow, [{"source": source, "day": day, "external_id": i} for i in unique]
    ).returning(ReadRow.external_id)
    return len(session.execute(stmt).all())


def reads_in_month(session: Session, source: str, at: datetime) -> int:
    month = at.astimezone(UTC).strftime("%Y-%m")
    stmt = select(func.count()).where(ReadRow.source == source, ReadRow.day.like(f"{month}-%"))
    return int(session.execute(stmt).scalar_one())


def get_cursor(session: Session, source: str, query_key: str) -> Cursor | None:
    row = session.get(CursorRow, (source, query_key))
    return None if row is None else Cursor(state=dict(row.state))


def save_cursor(
    session: Session, source: str, query: Query, cursor: Cursor, at: datetime
) -> None:
    row = session.get(CursorRow, (source, query.key), with_for_update=True)
    if row is None:
        row = CursorRow(source=source, query_key=query.key, brand=query.brand)
        session.add(row)
    row.query_text = query.text
    row.state = dict(cursor.state)
    row.position = str(cursor.state.get("position", "")) or None
    row.boundary_ids = {"ids": list(cursor.state.get("boundary_ids", []))}
    row.updated_at = at


def claim_unscored(session: Session, limit: int) -> list[tuple[int, str, str | None]]:
    """Lock up to `limit` unscored mentions for this worker: (id, text, lang).

    On PostgreSQL, SKIP LOCKED lets several scoring workers share the backlog without
    scoring a mention twice; SQLite is single-process and simply serialises.

    SKIP LOCKED alone is not enough: the claim reads "no score yet" in the statement's
    snapshot, but takes each row lock later. A worker that scored a mention and committed in
    between leaves the mention row itself unchanged, so PostgreSQL locks it without
    re-checking and the mention would be scored again. Once the locks are held, no other
    worker can score these rows, so a second statement (a fresh snapshot under READ
    COMMITTED) sees every score that can ever race with this claim: those are dropped.
    """
    stmt = (
        select(MentionRow.id, MentionRow.text, MentionRow.lang)
        .outerjoin(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .where(ScoreRow.mention_id.is_(None))
        .order_by(MentionRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name != "postgresql":
        return [(r.id, r.text, r.lang) for r in session.execute(stmt)]
    stmt = stmt.with_for_update(of=MentionRow, skip_locked=True)
    while True:
        rows = session.execute(stmt).all()
        if not rows:
            return []
        done = set(session.execute(
            select(ScoreRow.mention_id).where(ScoreRow.mention_id.in_([r.id for r in rows]))
        ).scalars())
        fresh = [(r.id, r.text, r.lang) for r in rows if r.id not in done]
        if fresh:
            return fresh
        # every row was scored by another worker meanwhile: the next claim moves past them


def save_scores(
    session: Session, scored: Sequence[tuple[int, Score]], at: datetime
) -> int:
    """Store scores (and the language they were computed in); an existing score is kept."""
    if not scored:
        return 0
    rows = [
        {
            "mention_id": mid,
            "label": s.label,
            "confidence": s.confidence,
            "negative": s.negative,
            "neutral": s.neutral,
            "positive": s.positive,
            "lang": s.lang,
            "model": s.model,
            "model_version": s.model_version,
            "scored_at": at,
            "category": s.category,
            "complaint": s.complaint,
            "question": s.question,
            "praise": s.praise,
            "other": s.other,
        }
        for mid, s in scored
    ]
    stmt = insert_ignore(session, ScoreRow, rows).returning(ScoreRow.mention_id)
    inserted = len(session.execute(stmt).all())
    by_lang: dict[str, list[int]] = {}
    for mid, s in scored:
        if s.lang:
            by_lang.setdefault(s.lang, []).append(mid)
    for lang, mids in by_lang.items():  # the language the model used fills an unknown one
        session.execute(
            update(MentionRow)
            .where(MentionRow.id.in_(mids), MentionRow.lang.is_(None))
            .values(lang=lang)
        )
    return inserted


def _score_from_row(row: ScoreRow) -> Score:
    return Score(
        label=row.label,  # type: ignore[arg-type]
        confidence=row.confidence,
        negative=row.negative,
        neutral=row.neutral,
        positive=row.positive,
        lang=row.lang,
        model=row.model,
        model_version=row.model_version,
        category=row.category,  # type: ignore[arg-type]
        complaint=row.complaint,
        question=row.question,
        praise=row.praise,
        other=row.other,
    )


def _mention_from_row(row: MentionRow) -> Mention:
    values = {name: getattr(row, name) for name in _MENTION_FIELDS}
    return Mention(**values, extra=dict(row.extra or {}))


def first_reply_subquery() -> Any:
    """Earliest brand reply per (source, parent id)."""
    return (
        select(
            ReplyRow.source.label("source"),
            ReplyRow.parent_external_id.label("parent"),
            func.min(ReplyRow.replied_at).label("replied_at"),
        )
        .group_by(ReplyRow.source, ReplyRow.parent_external_id)
        .subquery()
    )


def load_mentions(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    brand: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    label: str | None = None,
    unanswered_only: bool = False,
) -> list[StoredMention]:
    """Mentions with their score and first brand reply, filtered; ordered by creation time.

    Many `ids` are read in chunks: every id is a bind parameter, and PostgreSQL refuses a
    statement with more than 65,535 of them, so an escalation pass over a large backlog of
    complaints would fail on every run.
    """
    if ids is not None and len(ids) > _IDS_PER_QUERY:
        ids = list(ids)
        found = [
            m
            for start in range(0, len(ids), _IDS_PER_QUERY)
            for m in load_mentions(session, ids=ids[start : start + _IDS_PER_QUERY],
                                   brand=brand, since=since, until=until, label=label,
                                   unanswered_only=unanswered_only)
        ]
        return sorted(found, key=lambda m: (m.mention.created_at, m.id))
    first = first_reply_subquery()
    stmt = (
        select(MentionRow, ScoreRow, first.c.replied_at)
        .outerjoin(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .outerjoin(
            first,
            and_(first.c.source == MentionRow.source, first.c.parent == MentionRow.external_id),
        )
        .order_by(MentionRow.created_at, MentionRow.id)
    )
    if ids is not None:
        stmt = stmt.where(MentionRow.id.in_(list(ids)))
    if brand is not None:
        stmt = stmt.where(MentionRow.brand == brand)
    if since is not None:
        stmt = stmt.where(MentionRow.created_at >= since)
    if until is not None:
        stmt = stmt.where(MentionRow.created_at < until)
    if label is not None:
        stmt = stmt.where(ScoreRow.label == label)
    if unanswered_only:
        stmt = stmt.where(first.c.replied_at.is_(None))
    out: list[StoredMention] = []
    for mention_row, score_row, replied_at in session.execute(stmt):
        answered_by = None
        if replied_at is not None:
            answered_by = session.execute(
                select(ReplyRow.account)
                .where(
                    ReplyRow.source == mention_row.source,
                    ReplyRow.parent_external_id == mention_row.external_id,
                )
                .order_by(ReplyRow.replied_at)
                .limit(1)
            ).scalar_one_or_none()
        out.append(
            StoredMention(
                id=mention_row.id,
                mention=_mention_from_row(mention_row),
                fetched_at=mention_row.fetched_at,
                score=_score_from_row(score_row) if score_row is not None else None,
                answered_at=replied_at,
                answered_by=answered_by,
                situation=mention_row.situation,
            )
        )
    return out


def set_situation(session: Session, mention_id: int, situation: str) -> None:
    row = session.get(MentionRow, mention_id)
    if row is not None:
        row.situation = situation


def count_mentions(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(MentionRow)).scalar_one())
