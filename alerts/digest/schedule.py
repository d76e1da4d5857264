"""Which (brand, week) digests are due, and sending them: the scheduler's entry point.

The digest of ISO week W is due from the brand's configured day and time (default Monday
09:00) of week W+1, in the brand's time zone. After the machine was off for a while, only
the most recent due week is sent: one late digest, not a flood of stale ones. A week that
ended before Vigía started watching the brand (its first collection) is never sent: a first
run on Monday must not post last week's digest of a few backfilled mentions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from alerts.digest.compute import Detector
from alerts.digest.delivery import DigestResult, send_digest
from alerts.digest.weeks import Week, make_week, week_containing
from monitor.config import BrandSettings, Config
from monitor.storage.db import Database
from monitor.storage.digests import get_digest
from monitor.storage.stats import monitored_since

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def due_at(brand: BrandSettings, week: str) -> datetime:
    """The instant (UTC) from which the digest of `week` may be sent."""
    following = make_week(week, brand.timezone).shifted(1)
    day = following.monday + timedelta(days=_DAYS.index(brand.digest.day))
    local = datetime.combine(day, brand.digest.time, ZoneInfo(brand.timezone))
    return local.astimezone(UTC)


def due_week(brand: BrandSettings, now: datetime) -> Week:
    """The most recent week whose digest is due at `now` (sent or not)."""
    current = week_containing(now, brand.timezone)
    last = current.shifted(-1)
    return last if now >= due_at(brand, last.name) else current.shifted(-2)


def run_due(
    db: Database,
    config: Config,
    client: WebClient | None,
    now: datetime,
    *,
    detect: Detector | None = None,
) -> list[DigestResult]:
    """Send every enabled brand's most recent due digest that was not sent yet.

    Safe to call often (every few minutes): a sent week costs one indexed read; a week being
    sent by another worker, or waiting for a retry after a failure, is left alone.
    """
    results = []
    for brand in config.brands:
        if not brand.digest.enabled:
            continue
        due = due_week(brand, now)
        week = due.name
        with db.sessions() as session:
            state = get_digest(session, brand.name, week)
            since = monitored_since(session, brand.name)
        if state is not None and state.state == "sent":
            continue
        if since is None or since >= due.end:
            continue  # the week ended before Vigía watched this brand: nothing to report

        results.append(send_digest(db, config, client, brand.name, week, now=now, detect=detect))
    return results
