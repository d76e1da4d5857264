"""`vigia digest`: write a brand's weekly digest report, and optionally post it to Slack."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from monitor.cli.common import clear_errors, config_option, load
from monitor.config import Config, ConfigError

FORMATS = ("html", "md", "json", "csv")


def _brands(config: Config, brand: str | None) -> list[str]:
    if brand is None:
        return [b.name for b in config.brands]
    names = [b.name for b in config.brands]
    if brand not in names:
        raise click.BadParameter(f"unknown brand {brand!r}; config has: {', '.join(names)}",
                                 param_hint="--brand")
    return [brand]


def _week(value: str | None) -> str | None:
    if value is None:
        return None
    from alerts.digest.weeks import normalise_week

    try:
        return normalise_week(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None


@click.command("digest")
@config_option
@click.option("--brand", default=None, help="Brand name (default: every brand).")
@click.option("--week", "week_text", default=None, metavar="YYYY-Www",
              help="ISO week, e.g. 2026-W47 (default: the last complete week in the brand's "
                   "time zone).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="Report format; html also writes the week's mentions as CSV beside it.")
@click.option("--send", is_flag=True, help="Also post the summary and chart to Slack.")
@click.option("--force", is_flag=True, help="With --send: send again a week already sent.")
@click.option("--sandbox", is_flag=True,
              help="Read the sandbox's database (what `vigia run --once --sandbox` stored).")
@clear_errors
def digest(config_path: Path, brand: str | None, week_text: str | None, fmt: str,
           send: bool, force: bool, sandbox: bool) -> None:
    """Write the weekly digest under brand.digest.reports_dir and print its path.

    Files are named <brand-slug>-<week>.<format>. With --send the digest is posted to the
    brand's marketing channel, once per brand and week unless --force.
    """
    from alerts.digest.build import write_reports
    from alerts.digest.delivery import send_digest
    from alerts.digest.weeks import last_complete_week
    from monitor.storage.db import open_database

    config = load(config_path)
    if sandbox and send:
        raise click.UsageError("--send does not apply to --sandbox: the sandbox's Slack only "
                               "exists while `vigia run --once --sandbox` runs (it sends the "
                               "digest there)")
    if sandbox:
        from monitor.cli.app_commands import sandbox_config

        config = sandbox_config(config)
    names = _brands(config, brand)
    week = _week(week_text)
    client = None
    if send:
        if not os.environ.get(config.slack.token_env):
            raise ConfigError(
                f"{config.path}: slack.token_env: environment variable {config.slack.token_env}"
                " is not set (--send needs the Slack bot token)"
            )
        from alerts.slack_client import make_web_client

        client = make_web_client(config.slack)
    now = datetime.now(UTC)
    formats = [fmt] + [f for f in ("html", "csv") if f != fmt and (fmt == "html" or send)]
    db = open_database(config.database.url)
    failed = False
    try:
        for name in names:
            the_week = week or last_complete_week(now, config.brand(name).timezone).name
            reports = write_reports(db, config, name, the_week, formats, as_of=now)
            click.echo(str(reports.paths[fmt]))
            if client is None:
                continue
            result = send_digest(db, config, client, name, the_week, force=force, now=now,
                                 reports=reports)
            if result.status == "sent":
                note = " (found already posted; completed)" if result.reconciled else ""
                click.echo(f"sent {name} {the_week} to Slack{note}", err=True)
            elif result.status == "already_sent":
                click.echo(f"{name} {the_week}: already sent; use --force to send it again",
                           err=True)
            else:
                failed = failed or result.status == "failed"
                click.echo(f"{name} {the_week}: {result.status}"
                           + (f": {result.error}" if result.error else ""), err=True)
    finally:
        db.dispose()
    if failed:
        raise SystemExit(1)


COMMANDS: list[click.Command] = [digest]
