"""`vigia digest`: files under reports_dir (relative to the config), formats, --send."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from digest_fixture import HandWorkedWeek

from alerts.digest import last_complete_week
from monitor.cli import cli
from monitor.sandbox.slack_api import VALID_TOKEN, SlackEmulator
from monitor.storage.db import Database


@pytest.fixture
def config_file(tmp_path: Path, db_url: str, slack_emulator: SlackEmulator) -> Path:
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir()
    path.write_text(f"""
[database]
url = "{db_url}"

[slack]
api_base = "{slack_emulator.base_url}/api/"

[[brands]]
name = "Sol"
timezone = "Europe/Madrid"
marketing_channel = "#marketing"
keywords = {{ terms = ["sol"] }}
digest = {{ reports_dir = "out/reports" }}
""", encoding="utf-8")
    return path


def run(config_file: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, ["digest", "--config", str(config_file), *args],
                           env={"SLACK_BOT_TOKEN": "", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_html_and_csv_written_under_reports_dir(config_file: Path, db: Database,
                                                week47: HandWorkedWeek) -> None:
    code, out, _ = run(config_file, "--week", "2026-W47")
    assert code == 0
    folder = config_file.parent / "out" / "reports"
    assert out.strip() == str(folder / "sol-2026-W47.html")
    html = (folder / "sol-2026-W47.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "sol-2026-W47.csv" in html
    assert (folder / "sol-2026-W47.csv").read_bytes().count(b"\r\n") == 15  # header + 14


@pytest.mark.parametrize("fmt", ["json", "md", "csv"])
def test_other_formats(config_file: Path, db: Database, week47: HandWorkedWeek,
                       fmt: str) -> None:
    code, out, _ = run(config_file, "--week", "2026w47", "--format", fmt, "--brand", "Sol")
    assert code == 0
    path = Path(out.strip())
    assert path.name == f"sol-2026-W47.{fmt}"
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "json":
        assert json.loads(text)["tally"]["total"] == 14
    elif fmt == "md":
        assert text.startswith("# Sol · Resumen semanal 2026-W47")
        assert (path.parent / "sol-2026-W47.png").read_bytes()[:4] == b"\x89PNG"
    else:
        assert text.splitlines()[0].startswith("created_local,created_utc,source")


def test_default_week_is_the_last_complete_one(config_file: Path, db: Database) -> None:
    code, out, _ = run(config_file, "--format", "json")
    assert code == 0
    week = last_complete_week(datetime.now(UTC), "Europe/Madrid").name
    assert Path(out.strip()).name == f"sol-{week}.json"
    assert json.loads(Path(out.strip()).read_text())["empty"] is True


def test_send_needs_the_token(config_file: Path, db: Database) -> None:
    code, _, err = run(config_file, "--week", "2026-W47", "--send")
    assert code == 2
    assert "slack.token_env: environment variable SLACK_BOT_TOKEN is not set" in err


def test_send_once_then_force(config_file: Path, db: Database, week47: HandWorkedWeek,
                              slack_emulator: SlackEmulator) -> None:
    env = {"SLACK_BOT_TOKEN": VALID_TOKEN}
    code, out, err = run(config_file, "--week", "2026-W47", "--send", env=env)
    assert code == 0, err
    assert out.strip().endswith("sol-2026-W47.html")
    assert "sent Sol 2026-W47 to Slack" in err
    code, _, err = run(config_file, "--week", "2026-W47", "--send", env=env)
    assert code == 0 and "already sent; use --force" in err
    assert len(slack_emulator.top_level("#marketing")) == 1
    code, _, err = run(config_file, "--week", "2026-W47", "--send", "--force", env=env)
    assert code == 0 and "sent Sol 2026-W47" in err
    assert len([m for m in slack_emulator.top_level("#marketing") if m.metadata]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--week", "2026-W60"], "ISO week such as 2026-W47"),
     (["--brand", "Luna"], "unknown brand 'Luna'")],
)
def test_bad_arguments(config_file: Path, args: list[str], message: str) -> None:
    code, _, err = run(config_file, *args)
    assert code == 2 and message in err
