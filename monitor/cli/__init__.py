"""`vigia` command line: one click group, subcommands registered explicitly below."""

from __future__ import annotations

import logging

import click

from monitor.cli import (
    app_commands,
    config_commands,
    db_commands,
    digest_commands,
    keyword_commands,
    sentiment_commands,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Vigía: social-media reputation monitor for e-commerce brands."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for module in (app_commands, config_commands, db_commands, keyword_commands, sentiment_commands,
               digest_commands):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    """Entry point of the `vigia` console script."""
    cli(prog_name="vigia")


if __name__ == "__main__":
    main()
