"""`vigia run`, `vigia check`, `vigia status`: the daemon, its pre-flight and its dashboard."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.common import clear_errors, config_option, load
from monitor.config import Config, require_credentials

if TYPE_CHECKING:
    from monitor.runtime import Runtime


def sandbox_config(config: Config) -> Config:
    """The config as the sandbox ran it (every source enabled, its own database); refused
    before any sandbox run, rather than showing an empty database."""
    from monitor.sandbox.runner import sandbox_database_path, sandbox_database_url

    if not sandbox_database_path(config).exists():
        raise click.ClickException(
            f"no sandbox database at {sandbox_database_path(config)}: run "
            "`vigia run --once --sandbox` first")
    sources = {name: s.model_copy(update={"enabled": True}) for name, s in config.sources.items()}
    return config.model_copy(update={
        "sources": config.sources.model_copy(update=sources),
        "database": config.database.model_copy(update={"url": sandbox_database_url(config)})})


@click.command()
@config_option
@click.option("--once", is_flag=True, help="Run one full cycle, print a summary and exit.")
@click.option("--sandbox", is_flag=True,
              help="Use loopback emulators with sample mentions instead of the real APIs.")
@click.option("--role", type=click.Choice(["all", "collect", "score", "alert"]), default="all",
              show_default=True, help="Share work between several daemons (PostgreSQL only).")
@click.option("--db", "database_url", default=None, help="Override database.url.")
@clear_errors
def run(config_path: Path, once: bool, sandbox: bool, role: str, database_url: str | None) -> None:
    """Collect, score, escalate and report — as a daemon, or one cycle with --once."""
    from monitor.pipeline import run_cycle
    from monitor.runtime import Runtime
    from monitor.scheduler import DaemonRefused, run_daemon
    from monitor.storage.db import open_database
    from monitor.summary import format_cycle

    config = load(config_path)
    env: dict[str, str] | None = None
    box = None
    if sandbox:
        from monitor.sandbox.runner import Sandbox

        box = Sandbox.for_config(config, keep_state=database_url is None).start()
        env = box.environment(config)
        config = box.configure(config, database_url=database_url)
        click.echo(f"SANDBOX: APIs emulated on 127.0.0.1, database {config.database.url}")
    elif database_url:
        config = config.model_copy(update={"database": config.database.model_copy(
            update={"url": database_url})})
    if role != "all" and config.database.url.startswith("sqlite"):
        raise click.UsageError(
            "--role needs PostgreSQL: SQLite is single-process. Set database.url to "
            "postgresql+psycopg://... to run several workers."
        )
    if box is None:
        if role in ("all", "collect") and not any(s.enabled for _, s in config.sources.items()):
            raise click.ClickException(
                f"{config.path}: no source is enabled: nothing would be collected. Set "
                "sources.<name>.enabled = true (and its credentials), or try the sample data "
                "with `vigia run --once --sandbox`.")
        require_credentials(config)
        if not os.environ.get(config.slack.token_env):
            click.echo(f"WARNING: {config.slack.token_env} is not set: alerts are kept in the "
                       "outbox and sent once it is (see `vigia check`).", err=True)
    db = open_database(config.database.url)
    if box is not None:
        box.seed_history(db)
    rt = Runtime(config=config, db=db, env=env if env is not None else dict(os.environ))
    try:
        if once:
            report = run_cycle(rt)
            click.echo(format_cycle(report))
            if box is not None:
                for line in box.later_pass(rt):
                    click.echo(line)
                _sandbox_reply(box, rt)
                _print_sandbox_slack(box)
                box.save_state()
                if database_url is None:
                    click.echo(_next_steps(config_path))
        else:
            try:
                run_daemon(rt, role=role, config_path=None if sandbox else config_path)
            except DaemonRefused as exc:
                raise click.ClickException(str(exc)) from None
    finally:
        rt.close()
        if box is not None:
            box.stop()


def _sandbox_reply(box: object, rt: Runtime) -> None:
    """Answer one X complaint from its Slack card through a simulated modal submission."""
    from datetime import UTC, datetime

    from monitor.sandbox.reply_demo import simulate_reply
    from monitor.sandbox.runner import Sandbox
    from monitor.sandbox.twitter_api import TwitterEmulator

    assert isinstance(box, Sandbox)
    x_api = box.emulators["twitter"]
    assert isinstance(x_api, TwitterEmulator)
    for line in simulate_reply(rt.db, rt.config, box.slack, x_api, rt.slack,
                               datetime.now(UTC)):
        click.echo(line)


def _print_sandbox_slack(box: object) -> None:
    from monitor.sandbox.runner import Sandbox
    from monitor.summary import format_slack_messages

    assert isinstance(box, Sandbox)
    for line in format_slack_messages([
            (box.slack.channel_name(m.channel), m.thread_ts is not None, m.text, m.blocks)
            for m in box.new_messages()]):
        click.echo(line)


def _next_steps(config_path: Path) -> str:
    """The commands a new user types next, pointed at the sandbox's database."""
    prog = sys.argv[0] if Path(sys.argv[0]).name == "vigia" else "vigia"
    config = "" if config_path == Path("config.toml") else f" --config {config_path}"
    return ("next (the sandbox's data is in its own database; add --sandbox to read it)\n"
            f"  {prog} status --sandbox{config}\n"
            f"  {prog} digest --sandbox --format html{config}")


@click.command()
@config_option
@clear_errors
def check(config_path: Path) -> None:
    """Validate config and environment; exit 0 only if the monitor can run."""
    from monitor.checks import run_checks

    config = load(config_path)
    problems = run_checks(config, echo=click.echo)
    if problems:
        click.echo(f"\n{problems} problem(s): not runnable.", err=True)
        sys.exit(1)
    click.echo("\nAll checks passed: runnable.")


@click.command()
@config_option
@click.option("--db", "database_url", default=None, help="Override database.url.")
@click.option("--sandbox", is_flag=True,
              help="Read the sandbox's database (what `vigia run --once --sandbox` stored).")
@clear_errors
def status(config_path: Path, database_url: str | None, sandbox: bool) -> None:
    """What is in the database: volumes, open complaints, source health, X reads and spend."""
    from monitor.checks import sqlite_file
    from monitor.sandbox.runner import sandbox_database_path
    from monitor.status import render_status
    from monitor.storage.db import open_database

    config = load(config_path)
    if sandbox:
        config = sandbox_config(config)
    file = sqlite_file(database_url or config.database.url)
    if file is not None and not file.exists():  # never create an empty database to show it
        hint = (" The sandbox's results are in its own database: `vigia status --sandbox`."
                if sandbox_database_path(config).exists() else "")
        raise click.ClickException(f"no database yet at {file}: `vigia run` creates it.{hint}")
    db = open_database(database_url or config.database.url)
    try:
        click.echo(render_status(db, config))
    finally:
        db.dispose()


COMMANDS: list[click.Command] = [run, check, status]
