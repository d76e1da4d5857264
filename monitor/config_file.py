"""Rewriting config.toml safely: the one way every command that edits the file writes it."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from monitor.config import ConfigError


class ConfigChangedMeanwhile(ConfigError):
    """Someone else wrote the file between our read and our write; nothing was written."""


def replace_config_text(path: Path, original: bytes, data: bytes) -> None:
    """Write `data` over `path` atomically (temporary file + `os.replace`, same permissions),
    unless the file no longer holds `original`: a running daemon never reads half a file, and a
    concurrent edit is never silently overwritten."""
    if path.read_bytes() != original:
        raise ConfigChangedMeanwhile(
            f"{path}: the file changed while it was being edited; try again")
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
