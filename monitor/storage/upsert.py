"""INSERT ... ON CONFLICT DO NOTHING for both dialects: the real dedup is the unique key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Any, rows: list[dict[str, Any]]) -> Any:
    """Build a dialect-specific INSERT that silently skips rows violating a unique key."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(rows).on_conflict_do_nothing()


def clean_text(value: str) -> str:
    """PostgreSQL rejects NUL and lone surrogates; social text contains both."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
