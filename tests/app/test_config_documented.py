"""The root config.toml is the documentation: every key the schema accepts appears in it."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from monitor.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]


def _keys(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, field in model.model_fields.items():
        if name == "path":
            continue
        yield prefix + name, name
        stack = [field.annotation]
        while stack:
            kind = stack.pop()
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                yield from _keys(kind, f"{prefix}{name}.")
            else:
                stack.extend(typing.get_args(kind))


def test_every_schema_key_is_documented_in_the_example() -> None:
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    undocumented = [
        path for path, name in _keys(Config)
        if not re.search(rf"^#?\s*{re.escape(name)}\s*=|^\[.*\b{re.escape(name)}\b.*\]", text,
                         re.M)
    ]
    assert undocumented == []


def test_example_overrides_block_is_valid() -> None:
    config = load_config(REPO / "config.toml")
    assert "reddit" in config.brands[0].keywords.overrides
