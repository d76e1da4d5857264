"""One `--once` cycle end to end through the real clients, the bundled model and Slack."""

from __future__ import annotations

from monitor.pipeline import run_cycle
from monitor.storage.mentions import load_mentions
from tests.e2e.conftest import Harness


def test_one_cycle_alerts_exactly_the_unanswered_negative(harness: Harness) -> None:
    report = run_cycle(harness.rt, digests=False)
    twitter = next(c for c in report.collected if c.source == "twitter")
    assert twitter.status == "ok" and twitter.new_mentions == 3 and twitter.brand_replies == 1

    with harness.rt.db.transaction() as session:
        stored = load_mentions(session, brand="Tienda Sol")
    by_author = {m.mention.author_handle: m for m in stored if m.mention.source == "twitter"}
    assert set(by_author) == {"laurag_mx", "mike_shops", "ana_compras"}
    assert all(m.score is not None for m in stored)
    assert by_author["laurag_mx"].score.label == "negative"  # type: ignore[union-attr]
    assert by_author["mike_shops"].score.label == "negative"  # type: ignore[union-attr]
    assert by_author["ana_compras"].score.label == "positive"  # type: ignore[union-attr]
    assert by_author["mike_shops"].answered_by == "tiendasol"
    assert by_author["laurag_mx"].mention.lang == "es"

    [alert] = harness.alerts
    assert "Pésimo servicio" in alert.text or "Pésimo servicio" in str(alert.blocks)
    assert "laurag_mx" in str(alert.blocks)
    assert "mike_shops" not in str(alert.blocks)

    second = run_cycle(harness.rt, digests=False)
    assert sum(c.new_mentions for c in second.collected) == 0
    assert len(harness.alerts) == 1
    assert second.scored.scored == 0
