"""Shared fixtures: a migrated database per test (SQLite; PostgreSQL: VIGIA_TEST_DB=postgresql)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.storage.db import Database, open_database
from monitor.storage.tables import Base

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("VIGIA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKEND = os.environ.get("VIGIA_TEST_DB", "sqlite")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that touch the database get the `db` marker: the PostgreSQL pass runs those."""
    for item in items:
        if "db" in getattr(item, "fixturenames", ()) or "db_url" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.db)


def pytest_report_header() -> str:
    return f"vigia database backend: {BACKEND} ({PG_URL if BACKEND == 'postgresql' else 'SQLite'})"


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[Database]:
    """A database of its own for this test session (created in the server of PG_URL), so
    concurrent runs on one server never truncate each other's tables."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"vigia_test_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = open_database(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    yield db
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(db: Database) -> None:
    names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL to an empty, migrated database of the backend under test."""
    if BACKEND == "postgresql":
        pg: Database = request.getfixturevalue("_pg_database")
        _truncate_all(pg)
        yield pg.url
    else:
        url = f"sqlite:///{tmp_path / 'vigia-test.db'}"
        open_database(url).dispose()
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url, migrate=False)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def shared_data() -> Path | None:
    """../shared/data beside the repository (present on developer machines and in CI)."""
    path = REPO.parent / "shared" / "data"
    return path if path.exists() else None
