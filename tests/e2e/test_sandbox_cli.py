"""The README's first command, then what a new user types next: the sandbox through the CLI.

`vigia run --once --sandbox` in a folder of its own (the example config copied there), then
`vigia status --sandbox` and `vigia digest --sandbox`, and a second sandbox run that must
continue the same Slack workspace.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.storage.db import open_database
from monitor.storage.mentions import store_page
from sources.base import BrandReply, Page, Query

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    monkeypatch.chdir(tmp_path)  # reports_dir = "reports" is relative to where vigia runs
    return tmp_path


def _vigia(folder: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, [*args, "--config", str(folder / "config.toml")], env={})
    assert result.exit_code == 0, result.output
    return result


def test_status_and_digest_read_what_the_sandbox_stored(folder: Path) -> None:
    run = _vigia(folder, "run", "--once", "--sandbox")
    assert "status --sandbox" in run.output  # the next step is printed

    status = _vigia(folder, "status", "--sandbox").output
    assert "no mentions" not in status
    assert "twitter" in status.split("mentions, last 7 days")[1]

    path = Path(_vigia(folder, "digest", "--sandbox", "--format", "json").output.strip())
    digest = json.loads(path.read_text(encoding="utf-8"))
    assert digest["tally"]["total"] >= 30  # last week, from the seeded history
    assert {lang for lang, _n in digest["languages"]} >= {"es", "en", "pt"}
    assert digest["responses"]["answered"]["part"] > 0
    assert digest["responses"]["open_unanswered"] > 0

    plain = CliRunner().invoke(cli, ["status", "--config", str(folder / "config.toml")], env={})
    assert plain.exit_code != 0 and "vigia status --sandbox" in plain.output
    assert not (folder / "vigia.db").exists()  # nothing written to the real database


def test_the_first_run_shows_a_digest_a_crisis_and_an_sla_follow_up(folder: Path) -> None:
    out = _vigia(folder, "run", "--once", "--sandbox").output
    marketing = [line for line in out.splitlines() if line.startswith("  #marketing:")]
    assert marketing and "menciones 0" not in marketing[0]
    assert "1 crisis alerts" in out  # the live burst against four weeks of baseline
    escalations = next(line for line in out.splitlines() if "SLA escalation(s)" in line)
    assert not escalations.strip().startswith("0 "), escalations
    for line in out.splitlines():
        if "suggested reply:" in line:
            assert line.endswith("…") or line.rstrip()[-1] in ".!?)"  # never mid-word
    # a complaint answered from its Slack card: posted on X, the card's thread says who/when
    [reply] = [line for line in out.splitlines() if line.startswith("reply from Slack")]
    assert "posted as @tiendasol in reply to tweet" in reply, reply
    assert reply.endswith("…") or reply.rstrip()[-1] in ".!?)"
    assert "Respondido desde Slack por" in out


def test_every_sample_complaint_is_alerted(folder: Path) -> None:
    """The sandbox's live complaints (es/en/pt, five platforms) all reach Slack: as their own
    card, or folded into the crisis alert's thread; its praise and questions never as
    complaints."""
    import sqlite3

    _vigia(folder, "run", "--once", "--sandbox")
    with sqlite3.connect(folder / "vigia-sandbox.db") as conn:
        rows = conn.execute(
            "SELECT m.text, m.lang, s.category, s.complaint, a.state FROM mentions m"
            " JOIN scores s ON s.mention_id = m.id LEFT JOIN alerts a ON a.mention_id = m.id"
            " LEFT JOIN replies r ON r.source = m.source AND r.parent_external_id ="
            " m.external_id WHERE r.id IS NULL AND m.created_at >= datetime('now', '-2 days')"
        ).fetchall()
    complaints = [r for r in rows if r[2] == "complaint"]
    assert {r[1] for r in complaints} >= {"es", "en", "pt"}
    unalerted = [(text, round(p, 2)) for text, _l, category, p, state in complaints
                 if state is None]
    assert unalerted == []


def test_a_second_run_continues_the_same_slack_workspace(folder: Path) -> None:
    _vigia(folder, "run", "--once", "--sandbox")
    state = json.loads((folder / "vigia-sandbox.json").read_text(encoding="utf-8"))
    channels, first_run = state["slack"]["channels"], state["slack"]["messages"]
    card = next(m for m in first_run if "andres_ar" in m["text"] and m["thread_ts"] is None)

    # Between the runs the brand answers that complaint on Instagram.
    db = open_database(f"sqlite:///{folder / 'vigia-sandbox.db'}")
    with db.sessions() as session:
        from sqlalchemy import select

        from monitor.storage.tables import MentionRow

        external_id = session.execute(select(MentionRow.external_id).where(
            MentionRow.author_handle == "andres_ar", MentionRow.text.like("%denuncia%"))
        ).scalar_one()
    now = datetime.now(UTC)
    with db.transaction() as session:
        store_page(session, "instagram", Query("Tienda Sol", "test-reply", ""), Page(
            brand_replies=[BrandReply("instagram", "reply-between-runs", external_id,
                                      "tiendasol", now - timedelta(minutes=1))]),
                   fetched_at=now)
    db.dispose()

    second = _vigia(folder, "run", "--once", "--sandbox").output
    assert "message_not_found" not in second
    after = json.loads((folder / "vigia-sandbox.json").read_text(encoding="utf-8"))["slack"]
    assert after["channels"] == channels
    updated = next(m for m in after["messages"] if m["ts"] == card["ts"])
    assert updated["updates"] > card["updates"]  # the first run's card, found and closed
    note = [m for m in after["messages"][len(first_run):] if m["thread_ts"] == card["ts"]]
    assert note and note[0]["channel"] == card["channel"]
    assert "1 reply updates" in second and ", 0 failed" in second.split("deliver")[1]
