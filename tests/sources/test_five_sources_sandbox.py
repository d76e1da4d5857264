"""`vigia run --once --sandbox` over the five sources, as a newcomer runs it: Instagram and
Bluesky mentions are collected, scored and alerted, their brand replies mark them answered,
and `vigia status` and the digest's per-source table list both sources."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli

REPO = Path(__file__).resolve().parents[2]


def test_one_sandbox_cycle_collects_scores_alerts_and_answers_on_five_platforms(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    shutil.copy(REPO / "config.toml", config)
    result = CliRunner().invoke(cli, ["run", "--once", "--sandbox", "--config", str(config)])
    assert result.exit_code == 0, result.output
    collect = {line.split()[0]: line for line in result.output.split("\nscore")[0].splitlines()
               if line.startswith("  ")}
    assert sorted(collect) == ["bluesky", "facebook", "instagram", "reddit", "twitter"]
    for source in ("instagram", "bluesky"):
        assert " 2 new mention(s)" in collect[source], collect[source]
        assert " 1 brand reply" in collect[source], collect[source]

    db = sqlite3.connect(tmp_path / "vigia-sandbox.db")
    try:
        live = db.execute(
            "SELECT m.source, m.author_handle, s.mention_id IS NOT NULL, a.kind, "
            "EXISTS (SELECT 1 FROM replies r WHERE r.source = m.source "
            "        AND r.parent_external_id = m.external_id) "
            "FROM mentions m LEFT JOIN scores s ON s.mention_id = m.id "
            "LEFT JOIN alerts a ON a.mention_id = m.id "
            "WHERE m.source IN ('instagram', 'bluesky') AND m.author_handle IN "
            "('sofia.compras', 'martin_ok', 'julia.bsky.social', 'tom.bsky.social')").fetchall()
        sent = " ".join(p for (p,) in db.execute(
            "SELECT payload FROM outbox WHERE sent_at IS NOT NULL").fetchall())
    finally:
        db.close()
    rows = {handle: (scored, alert, answered) for _, handle, scored, alert, answered in live}
    assert rows == {
        # the unanswered complaints are alerted (alone, or inside a crisis alert)...
        "sofia.compras": (1, "mention", 0),
        "julia.bsky.social": (1, "mention", 0),
        # ...the ones the brand answered on the platform are marked answered, not alerted
        "martin_ok": (1, None, 1),
        "tom.bsky.social": (1, None, 1),
    }
    # and reached Slack with the platform's own link
    assert "https://bsky.app/profile/julia.bsky.social/post/3lsbx0000001" in sent
    assert "@sofia.compras" in sent and "https://www.instagram.com/p/" in sent

    status = CliRunner().invoke(cli, ["status", "--sandbox", "--config", str(config)])
    assert status.exit_code == 0, status.output
    for source in ("instagram", "bluesky"):
        assert f"    {source:<9} enabled, status ok" in status.output

    digest = CliRunner().invoke(cli, ["digest", "--sandbox", "--format", "md", "--config",
                                      str(config)])
    assert digest.exit_code == 0, digest.output
    report = Path(digest.output.strip().splitlines()[-1]).read_text(encoding="utf-8").lower()
    for source in ("instagram", "bluesky"):  # a row in the per-source table
        assert f"\n- {source}: " in report


def test_check_lists_instagram_and_bluesky_and_names_their_variables(tmp_path: Path) -> None:
    from monitor.config import load_config
    from monitor.sandbox.runner import Sandbox
    from tests.process_harness import write_config

    base = load_config(REPO / "config.toml")
    with Sandbox.for_config(base) as box:
        config = box.configure(base, database_url=f"sqlite:///{tmp_path / 'check.db'}")
        path = write_config(config, tmp_path / "config.toml")
        env = box.environment(config)
        result = CliRunner().invoke(cli, ["check", "--config", str(path)], env=env)
        lines = result.output.splitlines()
        for source in ("instagram", "bluesky"):
            assert any(source in line and "enabled" in line for line in lines), result.output
            assert not any("FAIL" in line and source in line.lower() for line in lines)
        missing = {**env, "IG_ACCESS_TOKEN": "", "BLUESKY_APP_PASSWORD": ""}
        result = CliRunner().invoke(cli, ["check", "--config", str(path)], env=missing)
        assert result.exit_code != 0
        for var in ("IG_ACCESS_TOKEN", "BLUESKY_APP_PASSWORD"):
            assert f"environment variable {var} is not set" in result.output
        for key in ("IG_ACCESS_TOKEN", "BLUESKY_APP_PASSWORD"):
            assert env[key] not in result.output
