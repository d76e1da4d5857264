"""ORM mappings. These types never leave `monitor.storage`: callers get plain dataclasses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC everywhere (SQLite has no zones), returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


class MentionRow(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_mentions_source_external"),
        Index("ix_mentions_brand_created", "brand", "created_at"),
        Index("ix_mentions_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    brand: Mapped[str] = mapped_column(String(128))
    keyword: Mapped[str] = mapped_column(String(256), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[str] = mapped_column(String(128), default="")
    author_handle: Mapped[str] = mapped_column(String(256), default="")
    author_name: Mapped[str] = mapped_column(String(512), default="")
    author_reach: Mapped[int] = mapped_column(BigInteger, default=0)
    author_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    thread_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    in_reply_to_user_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    replies: Mapped[int] = mapped_column(BigInteger, default=0)
    shares: Mapped[int] = mapped_column(BigInteger, default=0)
    situation: Mapped[str | None] = mapped_column(String(64), nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ScoreRow(Base):
    __tablename__ = "scores"

    mention_id: Mapped[int] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    negative: Mapped[float] = mapped_column(Float)
    neutral: Mapped[float] = mapped_column(Float)
    positive: Mapped[float] = mapped_column(Float)
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    model: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[str] = mapped_column(String(128))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The reply decision (migration 0002): calibrated probabilities of each category.
    category: Mapped[str] = mapped_column(String(16), default="other")
    complaint: Mapped[float] = mapped_column(Float, default=0.0)
    question: Mapped[float] = mapped_column(Float, default=0.0)
    praise: Mapped[float] = mapped_column(Float, default=0.0)
    other: Mapped[float] = mapped_column(Float, default=1.0)


class ReplyRow(Base):
    """A brand reply, keyed by what it answers so a reply seen before its mention still counts."""

    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_replies_source_external"),
        Index("ix_replies_parent", "source", "parent_external_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    parent_external_id: Mapped[str] = mapped_column(String(128))
    account: Mapped[str] = mapped_column(String(256))
    replied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    thread_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRow(Base):
    """One case in Slack: a negative mention (or a crisis / ops notice) and its lifecycle."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_state", "state"), Index("ix_alerts_brand", "brand"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # mention | crisis | ops
    # Why a mention case exists: "complaint" or "question" (migration 0002).
    track: Mapped[str] = mapped_column(String(16), default="complaint")
    brand: Mapped[str] = mapped_column(String(128), default="")
    mention_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentions.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    state: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    level: Mapped[int] = mapped_column(Integer, default=0)
    situation: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str] = mapped_column(String(128), default="")
    slack_channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxRow(Base):
    """A Slack call to make, recorded before it is made (the outbox): sent once, in order."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), nullable=True
    )
    op: Mapped[str] = mapped_column(String(24))  # post | thread | update | upload
    channel: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result_ts: Mapped[str | None] = mapped_column(String(64), nullable=True)


class CursorRow(Base):
    __tablename__ = "cursors"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    query_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    brand: Mapped[str] = mapped_column(String(128))
    query_text: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[str | None] = mapped_column(String(128), nullable=True)
    boundary_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SourceHealthRow(Base):
    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok|failing|deferred|budget
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    deferred_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    episode_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    empty_polls: Mapped[int] = mapped_column(Integer, default=0)
    productive_polls: Mapped[int] = mapped_column(Integer, default=0)
    mentions_total: Mapped[int] = mapped_column(BigInteger, default=0)


class ReadRow(Base):
    """Posts read from a pay-per-read API; (day, id) dedup mirrors X's once-per-UTC-day billing."""

    __tablename__ = "reads"
    __table_args__ = (Index("ix_reads_source_day", "source", "day"),)

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD UTC
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)


class CorrectionRow(Base):
    """A person's correction of a score: with the mention's text it is a training example."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"))
    old_label: Mapped[str] = mapped_column(String(16))
    new_label: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    user: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    new_category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(128), nullable=True)


class DigestRow(Base):
    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("brand", "week", name="uq_digests_brand_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(128))
    week: Mapped[str] = mapped_column(String(10))  # ISO week, e.g. 2026-W47
    state: Mapped[str] = mapped_column(String(16), default="sending")  # sending | sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    report_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LeaseRow(Base):
    """A named, expiring lease so two daemons never run the same scheduled job at once."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PlatformReplyRow(Base):
    """A reply sent from Slack to a platform (migration 0003): an outbox item keyed by the case.

    `uncertain` is set before the platform call and cleared only when the platform certainly
    did not post, so whoever picks the item up next looks for the reply before sending again.
    """

    __tablename__ = "platform_replies"
    __table_args__ = (Index("ix_platform_replies_state", "state", "lease_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    brand: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))
    parent_external_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    slack_user: Mapped[str] = mapped_column(String(64))
    slack_user_name: Mapped[str] = mapped_column(String(128), default="")
    view_id: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|dead
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    permalink: Mapped[str | None] = mapped_column(Text, nullable=True)
    account: Mapped[str | None] = mapped_column(String(256), nullable=True)
    response_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
