"""From the database to a `Digest` and its files (HTML + CSV, Markdown, JSON) on disk."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alerts.digest.chart import render_chart
from alerts.digest.compute import Decision, Detector, Target, compute_digest, tally_from_counts
from alerts.digest.model import Digest, PastWeek
from alerts.digest.report import render_csv, render_html, render_json, render_markdown
from alerts.digest.text import report_language
from alerts.digest.weeks import Week, make_week
from alerts.situations import SituationDetector
from alerts.situations import default_detector as packaged_detector
from monitor.config import BrandSettings, Config
from monitor.storage.db import Database
from monitor.storage.digests import (
    DigestMention,
    crisis_alerts,
    first_collected,
    label_counts,
    slack_replies,
    week_corrections,
    week_mentions,
)

FORMATS = ("html", "md", "json", "csv")
HISTORY_WEEKS = 4


def default_detector(config: Config) -> Detector:
    """The situation detector the alerts use: packaged rules plus `scripts_dir` overrides."""
    if config.scripts_dir:
        return SituationDetector.load(config.resolve(config.scripts_dir)).detect
    return packaged_detector().detect


def brand_settings(config: Config, brand: str) -> BrandSettings:
    try:
        return config.brand(brand)
    except KeyError:
        known = ", ".join(b.name for b in config.brands)
        raise ValueError(f"unknown brand {brand!r} (config has: {known})") from None


def slug(name: str) -> str:
    """"Tienda Sol Chile" -> "tienda-sol-chile" (accents dropped) for file names."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "brand"


@dataclass(frozen=True)
class WeekData:
    """Everything read from the database for one brand's digest."""

    week: Week
    mentions: list[DigestMention]
    digest: Digest


def load_week(
    db: Database,
    config: Config,
    brand: str,
    week: str,
    *,
    as_of: datetime | None = None,
    detect: Detector | None = None,
) -> WeekData:
    """Read the week (and the 4 before it) and compute the digest, in one read transaction."""
    settings = brand_settings(config, brand)
    the_week = make_week(week, settings.timezone)
    esc = settings.escalation
    target = Target(esc.sla_minutes, esc.business_hours.sla_clock, esc.business_hours,
                    settings.timezone)
    with db.sessions() as session:
        mentions = week_mentions(session, brand, the_week.start, the_week.end, as_of)
        history = []
        for back in range(1, HISTORY_WEEKS + 1):
            past = the_week.shifted(-back)
            counts = label_counts(session, brand, past.start, past.end, as_of)
            history.append(PastWeek(past.name, tally_from_counts(counts)))
        corrections = week_corrections(session, brand, the_week.start, the_week.end, as_of)
        crises = crisis_alerts(session, brand, the_week.start, the_week.end, as_of)
        started = first_collected(session, brand)
        from_slack = slack_replies(session, brand, the_week.start, the_week.end, as_of)
    digest = compute_digest(
        brand=brand,
        week=the_week,
        mentions=mentions,
        history=history,
        corrections_made=corrections,
        crises=crises,
        target=target,
        detect=detect or default_detector(config),
        language=report_language(settings.languages),
        as_of=as_of,
        decision=Decision(esc.threshold, esc.question_threshold, esc.questions),
        first_collected=started,
        sent_from_slack=from_slack,
        reply_from_slack=settings.reply_from_slack.enabled,
    )
    return WeekData(the_week, mentions, digest)


def build_digest(
    db: Database,
    config: Config,
    brand: str,
    week: str,
    *,
    as_of: datetime | None = None,
    detect: Detector | None = None,
) -> Digest:
    """All figures of `brand`'s ISO `week` ("2026-W47") in the brand's time zone."""
    return load_week(db, config, brand, week, as_of=as_of, detect=detect).digest


@dataclass(frozen=True)
class Reports:
    digest: Digest
    chart_png: bytes
    paths: dict[str, Path]  # format -> written file


def reports_dir(config: Config, brand: str) -> Path:
    return config.resolve(brand_settings(config, brand).digest.reports_dir)


def write_reports(
    db: Database,
    config: Config,
    brand: str,
    week: str,
    formats: Sequence[str] = ("html", "csv"),
    *,
    as_of: datetime | None = None,
    detect: Detector | None = None,
) -> Reports:
    """Write <brand-slug>-<week>.<ext> under the brand's reports_dir; HTML links the CSV."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats {sorted(unknown)}; use {', '.join(FORMATS)}")
    detect = detect or default_detector(config)
    data = load_week(db, config, brand, week, as_of=as_of, detect=detect)
    digest = data.digest
    folder = reports_dir(config, brand)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{slug(brand)}-{digest.week}"
    chart = render_chart(digest)
    paths: dict[str, Path] = {}
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        if fmt == "html":
            csv_name = f"{stem}.csv" if "csv" in formats else None
            text = render_html(digest, chart, csv_name)
        elif fmt == "md":
            (folder / f"{stem}.png").write_bytes(chart)
            text = render_markdown(digest, chart_name=f"{stem}.png")
        elif fmt == "json":
            text = render_json(digest)
        else:
            text = "\ufeff" + render_csv(data.mentions, digest.timezone, detect)
        _write_atomic(path, text)
        paths[fmt] = path
    return Reports(digest, chart, paths)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)
