"""The weekly sentiment digest for marketing: figures, chart, reports, Slack, schedule.

    build_digest(db, config, brand, week) -> Digest            figures of one ISO week
    write_reports(db, config, brand, week, formats) -> Reports  files under reports_dir
    render_html / render_markdown / render_json / render_csv / render_chart
    send_digest(db, config, client, brand, week, *, force=False) -> DigestResult
    run_due(db, config, client, now) -> list[DigestResult]      for the scheduler
"""

from alerts.digest.build import Reports, build_digest, load_week, write_reports
from alerts.digest.chart import render_chart
from alerts.digest.delivery import DigestResult, send_digest
from alerts.digest.model import SMALL_N, Digest
from alerts.digest.report import render_csv, render_html, render_json, render_markdown
from alerts.digest.schedule import due_at, due_week, run_due
from alerts.digest.weeks import Week, last_complete_week, make_week

__all__ = [
    "SMALL_N",
    "Digest",
    "DigestResult",
    "Reports",
    "Week",
    "build_digest",
    "due_at",
    "due_week",
    "last_complete_week",
    "load_week",
    "make_week",
    "render_chart",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "run_due",
    "send_digest",
    "write_reports",
]
