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


def render_status(db: Database, config: Config, now: datetime | None = None) -> str:
    now = now or utc_now()
    lines: list[str] = []
    with db.transaction() as session:
        for title, span in (("last 24 h", timedelta(hours=24)), ("last 7 days", timedelta(days=7))):
            lines.append(f"mentions, {title}")
            lines.extend(_volume_table(stats.volume(session, now - span)))
        thresholds = {b.name: b.escalation.threshold for b in config.brands}
        open_neg = stats.open_negatives(session, thresholds)
        lines.append("open unanswered negatives")
        lines.extend([f"    {brand}: {n}" for brand, n in open_neg] or ["    none"])
        lines.append("sources")
        known = {h.source: h for h in health.all_health(session)}
        for name, settings in config.sources.items():
            h = known.get(name)
            state = "enabled" if settings.enabled else "disabled"
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
