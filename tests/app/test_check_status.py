"""`vigia check` and `vigia status` through the CLI, as an operator runs them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config
from monitor.pipeline import run_cycle
from monitor.runtime import Runtime
from monitor.sandbox.runner import Sandbox
from monitor.storage.db import open_database
from tests.e2e.conftest import e2e_world
from tests.process_harness import write_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sandboxed(tmp_path: Path, db_url: str) -> Iterator[tuple[Sandbox, Path, dict[str, str]]]:
    from datetime import UTC, datetime

    box = Sandbox(world=e2e_world(datetime.now(UTC))).start()
    config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
    config = config.model_copy(update={"brands": [  # the sandbox's reply demo is not checked here
        b.model_copy(update={"reply_from_slack": b.reply_from_slack.model_copy(
            update={"enabled": False})}) for b in config.brands]})
    path = write_config(config, tmp_path / "config.toml")
    try:
        yield box, path, box.environment(config)
    finally:
        box.stop()


def test_check_passes_when_runnable(sandboxed: tuple[Sandbox, Path, dict[str, str]]) -> None:
    _box, path, env = sandboxed
    result = CliRunner().invoke(cli, ["check", "--config", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "twitter: enabled" in result.output
    assert "vigia-bundled" in result.output
    assert "All checks passed" in result.output


def test_check_names_missing_variables_never_values(
    sandboxed: tuple[Sandbox, Path, dict[str, str]],
) -> None:
    _box, path, env = sandboxed
    partial = {**env, "X_BEARER_TOKEN": "", "SLACK_BOT_TOKEN": ""}
    result = CliRunner().invoke(cli, ["check", "--config", str(path)], env=partial)
    assert result.exit_code == 1
    assert "environment variable X_BEARER_TOKEN is not set" in result.output
    assert "environment variable SLACK_BOT_TOKEN is not set" in result.output
    for secret in (v for k, v in env.items() if k not in partial or partial[k]):
        assert secret not in result.output


def test_check_reports_unreachable_database(tmp_path: Path) -> None:
    text = (REPO / "config.toml").read_text(encoding="utf-8").replace(
        'url = "sqlite:///vigia.db"',
        'url = "postgresql+psycopg://nobody@127.0.0.1:1/none"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--config", str(path)], env={})
    assert result.exit_code == 1
    assert "database.url: cannot connect" in result.output
    assert "no source is enabled" in result.output


def test_status_after_a_cycle(sandboxed: tuple[Sandbox, Path, dict[str, str]],
                              db_url: str) -> None:
    _box, path, env = sandboxed
    config = load_config(path)
    rt = Runtime(config=config, db=open_database(db_url), env=env)
    run_cycle(rt, digests=False)
    rt.close()
    result = CliRunner().invoke(cli, ["status", "--config", str(path)], env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "twitter        3  (2 negative, 1 positive)" in out
    assert "Tienda Sol: 1" in out  # the unanswered negative; the answered one is not open
    assert "twitter   enabled, status ok, last success 0 min ago" in out
    assert "X reads this month: 4 of 100000 budget, estimated spend $0.02" in out
    assert "slack outbox: 1 sent" in out


def test_check_calls_each_source_and_slack_and_says_which_token_is_wrong(
    sandboxed: tuple[Sandbox, Path, dict[str, str]],
) -> None:
    _box, path, env = sandboxed
    fake = {var: "made-up-" + var.lower() for var in env}
    result = CliRunner().invoke(cli, ["check", "--config", str(path)], env=fake)
    assert result.exit_code == 1
    out = result.output
    for name in ("twitter", "reddit", "facebook", "instagram", "bluesky"):
        line = next(x for x in out.splitlines() if x.strip().startswith(f"FAIL  {name}:"))
        assert "credentials rejected" in line, line
    slack = out.split("\nslack\n")[1].splitlines()
    assert slack[0].strip().startswith("FAIL")  # auth.test refused the bot token
    assert "ERROR" not in out and "Traceback" not in out
    for value in fake.values():
        assert value not in out


def test_check_never_creates_the_database_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # database.url = "sqlite:///vigia.db" is relative
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    result = CliRunner().invoke(cli, ["check"], env={})
    assert "vigia.db does not exist yet" in result.output
    assert not (tmp_path / "vigia.db").exists()


def test_run_once_without_any_source_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text((REPO / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--once", "--config", str(path)], env={})
    assert result.exit_code != 0
    assert "no source is enabled" in result.output
    assert "--sandbox" in result.output
