"""Expiring named leases: one holder at a time per scheduled job, across processes and hosts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.storage.tables import LeaseRow


def acquire(session: Session, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Take or renew `name` for `holder` unless someone else holds an unexpired lease.

    A single INSERT .. ON CONFLICT .. DO UPDATE WHERE is atomic on both engines, so two
    daemons racing for the same job cannot both win.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = module.insert(LeaseRow).values(name=name, holder=holder, expires_at=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LeaseRow.name],
        set_={"holder": holder, "expires_at": now + ttl},
        where=or_(LeaseRow.expires_at < now, LeaseRow.holder == holder),
    ).returning(LeaseRow.name)
    return session.execute(stmt).first() is not None


def renew(session: Session, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """Push `holder`'s lease on `name` to `now + ttl` (the heartbeat of work still running);
    False when the lease is no longer `holder`'s (it lapsed and another worker took it).

    Leases are short and renewed while the work runs, so a worker that dies (SIGKILL, lost
    host) stops renewing and its leases pass to a live worker within one `ttl`.
    """
    result = session.execute(
        update(LeaseRow)
        .where(LeaseRow.name == name, LeaseRow.holder == holder)
        .values(expires_at=now + ttl)
    )
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, name: str, holder: str) -> None:
    session.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))


def hold_until(session: Session, name: str, holder: str, until: datetime) -> None:
    """Keep `holder`'s lease on `name` until `until` (in the past: released at once).

    A periodic job keeps its lease for the rest of its interval after the work is done, so
    another daemon whose timer for the same job fires out of phase does not run it again
    before it is due. A lease someone else took over meanwhile is left alone.
    """
    session.execute(
        update(LeaseRow)
        .where(LeaseRow.name == name, LeaseRow.holder == holder)
        .values(expires_at=until)
    )
