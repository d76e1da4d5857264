"""Bring a config.toml written for an older Vigía up to the current format, comments kept.

Version 1 → 2: `brands.escalation.threshold` meant "label negative with at least this
confidence"; it now means P(complaint) from the reply head, a different scale. The old value
is replaced by the new default, with the old value left in a comment beside it, and
`config_version = 2` is added at the top. The edited text is validated before it is written,
and the write is atomic, so a running daemon never reads half a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from tomlkit.items import Table

from monitor.config import CONFIG_VERSION, DEFAULT_THRESHOLD, ConfigError, parse_config
from monitor.config_file import replace_config_text


@dataclass
class Migration:
    path: Path
    from_version: int
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def migrate_file(path: Path | str, *, dry_run: bool = False) -> Migration:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    original = path.read_bytes()
    doc = tomlkit.parse(original.decode("utf-8"))
    version = int(doc.get("config_version", 1))
    migration = Migration(path, version)
    if version >= CONFIG_VERSION:
        return migration
    for index, brand in enumerate(doc.get("brands") or []):
        escalation = brand.get("escalation")
        if not isinstance(escalation, Table) or "threshold" not in escalation:
            continue
        old = escalation["threshold"]
        escalation["threshold"] = DEFAULT_THRESHOLD
        escalation["threshold"].comment(
            f"P(complaint); was {old} in Vigía 1 (confidence of a 'negative' label)")
        name = brand.get("name", index)
        migration.changes.append(
            f"brands[{index}] (name={name!r}).escalation.threshold: {old} -> "
            f"{DEFAULT_THRESHOLD} (now P(complaint))")
    versioned = tomlkit.document()
    versioned.add(tomlkit.comment("Format of this file (see `vigia config migrate`)."))
    versioned.add("config_version", CONFIG_VERSION)
    versioned.add(tomlkit.nl())
    text = tomlkit.dumps(versioned) + tomlkit.dumps(doc)
    migration.changes.insert(0, f"config_version: {version} -> {CONFIG_VERSION}")
    parse_config(tomlkit.parse(text).unwrap(), path)  # never write a file that cannot load
    if not dry_run:
        replace_config_text(path, original, text.encode("utf-8"))
    return migration
