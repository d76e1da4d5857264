"""`vigia db upgrade`: apply migrations explicitly (they also run automatically on start)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import clear_errors, config_option, load


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@config_option
@click.option("--db", "database_url", default=None, help="Override database.url.")
@clear_errors
def upgrade(config_path: Path, database_url: str | None) -> None:
    """Bring the schema to the current version."""
    from monitor.storage.db import open_database

    url = database_url or load(config_path).database.url
    database = open_database(url)
    database.dispose()
    click.echo(f"database at current schema: {url.split('@')[-1]}")


COMMANDS: list[click.Command] = [db]
