"""A first run on Monday morning collects the weekend's complaints (the backfill), but must not
send marketing a digest of last week: nobody was watching then. The next week's digest, of the
first week Vigía watched, goes out as usual."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.digest import run_due
from monitor.config import load_config
from monitor.storage.db import open_database
from monitor.storage.mentions import store_page
from sources.base import Mention, Page, Query

REPO = Path(__file__).resolve().parents[2]
INSTALLED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 10:00 in Madrid, week 49


def _weekend_backfill(n: int) -> Page:
    saturday = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    return Page(mentions=[Mention(
        "twitter", f"19000000000000{i:02d}", f"https://x.com/u{i}/status/{i}", f"u{i}", f"u{i}",
        f"U {i}", "Mi pedido de Tienda Sol no llega y nadie responde", saturday +
        timedelta(minutes=10 * i), lang="es", brand="Tienda Sol", keyword="Tienda Sol")
        for i in range(n)])


def test_a_first_run_never_sends_last_weeks_digest(db_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(REPO / "config.toml")
    db = open_database(db_url)
    with db.transaction() as session:  # the first poll, looking back over the weekend
        store_page(session, "twitter", Query("Tienda Sol", "q", ""), _weekend_backfill(5),
                   fetched_at=INSTALLED)

    assert run_due(db, config, None, INSTALLED + timedelta(minutes=5)) == []
    assert not (tmp_path / "reports").exists()

    # A week later the first watched week (W49) is due, and is written.
    [result] = run_due(db, config, None, INSTALLED + timedelta(days=7, hours=1))
    assert (result.week, result.status) == ("2026-W49", "report_only")
    db.dispose()
