"""Shared CLI plumbing: loading the config once, turning known errors into one clear line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor.config import Config, ConfigError, load_config, load_dotenv_file

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), default=Path("config.toml"),
    show_default=True, help="Path to config.toml.",
)


def load(config_path: Path) -> Config:
    """Load `.env` beside the config (never overriding the real environment), then the config."""
    load_dotenv_file(config_path.parent / ".env")
    return load_config(config_path)


class ConfigProblem(click.ClickException):
    """Printed as-is (the message already names file and key); exit code 2."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


def clear_errors(func: F) -> F:
    """Known user errors become one line on stderr and exit code 2; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from None

    return wrapper  # type: ignore[return-value]


