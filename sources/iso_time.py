"""ISO 8601 times as X and Bluesky write them, read as aware UTC datetimes.

Both APIs send `...Z` (older Pythons' `fromisoformat` refused it) and Bluesky records may
carry any offset or none at all: a naive time is taken as UTC, so cursors compare across
sources.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso_utc(value: str) -> datetime:
    """`value` as an aware UTC datetime; raises `ValueError` when it is not ISO 8601."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
