"""`vigia config migrate`: update a config.toml written for an older Vigía, comments kept."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import clear_errors, config_option


@click.group("config")
def config_group() -> None:
    """Configuration file maintenance."""


@config_group.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@clear_errors
def migrate(config_path: Path, dry_run: bool) -> None:
    """Bring config.toml to the current format (validated before it is written)."""
    from monitor.config_migration import migrate_file

    result = migrate_file(config_path, dry_run=dry_run)
    if not result.changed:
        click.echo(f"{config_path}: already current (config_version {result.from_version})")
        return
    verb = "would change" if dry_run else "updated"
    click.echo(f"{config_path}: {verb}:")
    for change in result.changes:
        click.echo(f"  {change}")


COMMANDS: list[click.Command] = [config_group]
