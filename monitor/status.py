"""`vigia status`: what a community manager asks first: are we collecting, what is open."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from monitor.config import Config
from monitor.runtime import utc_now
from monitor.storage import health, stats
from monitor.storage.alerts import outbox_summary
from monitor.storage.db import Database
from monitor.storage.mentions import reads_in_month

LIST_MAX = 20  # open complaints listed one by one


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} d ago"


def _volume_table(rows: list[tuple[str, str, int]]) -> list[str]:
    per_source: dict[str, dict[str, int]] = defaultdict(dict)
    for source, label, n in rows:
        per_source[source][label] = n
    if not per_source:
        return ["    no mentions"]
    out = []
    for source, labels in sorted(per_source.items()):
        total = sum(labels.values())
        parts = ", ".join(
            f"{labels[k]} {k}" for k in ("negative", "neutral", "positive", "unscored")
            if labels.get(k)
        )
        out.append(f"    {source:<9} {total:>6}  ({parts})")
    return out


def _sla(c: stats.OpenComplaint, now: datetime) -> str:
    if c.alert_state is None:
        return "no alert yet"
    if c.alert_state == "backfill":
        return "not alerted (older than max_age_hours when first seen)"
    if c.alert_state == "covered":
        return "folded into a crisis alert"
    if c.snoozed_until is not None and c.snoozed_until > now:
        return f"snoozed until {c.snoozed_until:%Y-%m-%d %H:%M} UTC"
    if c.sla_deadline is None:
        return c.alert_state
    if c.sla_deadline > now:
        return f"SLA due in {_span(c.sla_deadline - now)}"
    return f"SLA missed by {_span(now - c.sla_deadline)}" + (", escalated" if c.escalated else "")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def _open_complaints(found: list[stats.OpenComplaint], now: datetime) -> list[str]:
    """Counts per brand, then each case: where, who, how old, its SLA, the link."""
    lines = [f"open unanswered complaints: {len(found)} (no brand reply, case not closed)"]
    per_brand: dict[str, int] = defaultdict(int)
    for c in found:
        per_brand[c.brand] += 1
    lines.extend(f"    {brand}: {n}" for brand, n in sorted(per_brand.items()))
    for c in found[:LIST_MAX]:
        who = f"@{c.author}" if c.author and c.source not in ("facebook",) else c.author or "?"
        lines.append(f"    - {c.source:<9} {who:<20} {_span(now - c.created_at):>9} old  "
                     f"{_sla(c, now)}  {c.url}")
    if len(found) > LIST_MAX:
        lines.append(f"    ...and {len(found) - LIST_MAX} more")
    return lines


def render_status(db: Database, config: Config, now: datetime | None = None) -> str:
    now = now or utc_now()
    lines: list[str] = []
    with db.transaction() as session:
        for title, span in (("last 24 h", timedelta(hours=24)), ("last 7 days", timedelta(days=7))):
            lines.append(f"mentions, {title}")
            lines.extend(_volume_table(stats.volume(session, now - span)))
        thresholds = {b.name: b.escalation.threshold for b in config.brands}
        lines.extend(_open_complaints(stats.open_complaints(session, thresholds), now))
        lines.append("sources")
        known = {h.source: h for h in health.all_health(session)}
        for name, settings in config.sources.items():
            h = known.get(name)
            if not settings.enabled:  # its old health says nothing about today
                was = f" (last polled {_ago(h.last_success_at, now)})" if h and \
                    h.last_success_at else ""
                lines.append(f"    {name:<9} disabled, not polled{was}")
                continue
            state = "enabled"
            if h is None:
                lines.append(f"    {name:<9} {state}, never polled")
                continue
            line = (f"    {name:<9} {state}, status {h.status}, last success "
                    f"{_ago(h.last_success_at, now)}")
            if h.status != "ok" and h.last_error:
                line += f"\n              last error ({_ago(h.last_error_at, now)}): {h.last_error}"
            if h.deferred_until and h.deferred_until > now:
                line += f"\n              paused until {h.deferred_until:%Y-%m-%d %H:%M} UTC"
            if h.silent:
                line += (f"\n              SILENT: {h.empty_polls} polls in a row returned nothing"
                         " although this source normally returns mentions — check keywords,"
                         " credentials and the platform")
            lines.append(line)
        tw = config.sources.twitter
        reads = reads_in_month(session, "twitter", now)
        lines.append(
            f"X reads this month: {reads} of {tw.monthly_read_budget} budget, estimated spend "
            f"${reads * tw.cost_per_read_usd:,.2f}"
        )
        box = outbox_summary(session)
        counts = [f"{box[k]} {k}" for k in ("sent", "pending", "failed", "dead") if box[k]]
        lines.append("slack outbox: " + (", ".join(counts) or "empty"))
        if box["oldest_pending_at"] is not None:
            lines.append(f"    oldest waiting since {_ago(box['oldest_pending_at'], now)}")
        if box["last_error"] and (box["failed"] or box["dead"]):
            lines.append(f"    last Slack error: {box['last_error']}")
    return "\n".join(lines)
