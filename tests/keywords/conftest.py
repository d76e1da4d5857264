"""Fixtures for the keyword tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.keywords.keyword_helpers import COMMENTED_CONFIG


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A commented config.toml in a temporary directory."""
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED_CONFIG, encoding="utf-8")
    return path
