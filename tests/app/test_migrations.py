"""Upgrading Vigía 1 data and config files: stored scores keep their meaning, the schema
matches the ORM, and an old config.toml loads (loudly) and can be migrated in place."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import text

from monitor.cli import cli
from monitor.config import DEFAULT_THRESHOLD, load_config
from monitor.storage.db import Database, _alembic_config
from monitor.storage.tables import Base

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-11-30 10:00:00"


def _upgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_vigia_1_scores_get_categories_from_their_sentiment(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'v1.db'}")
    _upgrade(db, "0001")
    with db.engine.begin() as conn:
        for mid, label, probs in ((1, "negative", (0.8, 0.15, 0.05)),
                                  (2, "positive", (0.1, 0.2, 0.7)),
                                  (3, "neutral", (0.2, 0.6, 0.2))):
            conn.execute(text(
                "INSERT INTO mentions (id, source, external_id, brand, keyword, url, author_id,"
                " author_handle, author_name, author_reach, author_verified, text, created_at,"
                " fetched_at, likes, replies, shares, extra) VALUES (:id, 'twitter', :ext,"
                " 'Sol', '', '', '', '', '', 0, 0, 'x', :now, :now, 0, 0, 0, '{}')"),
                {"id": mid, "ext": str(mid), "now": NOW})
            conn.execute(text(
                "INSERT INTO scores (mention_id, label, confidence, negative, neutral, positive,"
                " model, model_version, scored_at) VALUES (:id, :label, :c, :n, :u, :p, 'm',"
                " '1', :now)"), {"id": mid, "label": label, "c": max(probs), "n": probs[0],
                                 "u": probs[1], "p": probs[2], "now": NOW})
        conn.execute(text("INSERT INTO corrections (mention_id, old_label, user, created_at)"
                          " VALUES (1, 'negative', 'U1', :now)"), {"now": NOW})
    _upgrade(db, "head")
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT mention_id, category, complaint, praise, other, question"
                                 " FROM scores ORDER BY mention_id")).all()
        corrected = conn.execute(text("SELECT old_category FROM corrections")).scalar_one()
    assert [tuple(r) for r in rows] == [(1, "complaint", 0.8, 0.05, 0.15, 0.0),
                                        (2, "praise", 0.1, 0.7, 0.2, 0.0),
                                        (3, "other", 0.2, 0.2, 0.6, 0.0)]
    assert corrected == "complaint"
    db.dispose()


@pytest.mark.db
def test_migrations_build_exactly_the_orm_schema(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                Base.metadata)
    assert diff == []


V1_CONFIG = '''# my shop
[[brands]]
name = "Sol"
[brands.keywords]
terms = ["tienda sol"]
[brands.escalation]
threshold = 0.8  # strict
'''


def test_a_vigia_1_config_loads_with_the_new_default_and_says_why(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.toml"
    path.write_text(V1_CONFIG, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        config = load_config(path)
    assert config.brands[0].escalation.threshold == DEFAULT_THRESHOLD
    assert str(path) in caplog.text and "brands[0] (name='Sol').escalation.threshold" in caplog.text
    assert "vigia config migrate" in caplog.text


def test_config_migrate_rewrites_in_place_keeping_comments(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(V1_CONFIG, encoding="utf-8")
    runner = CliRunner()
    dry = runner.invoke(cli, ["config", "migrate", "--config", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "0.8 -> 0.5" in dry.output
    assert path.read_text(encoding="utf-8") == V1_CONFIG
    done = runner.invoke(cli, ["config", "migrate", "--config", str(path)])
    assert done.exit_code == 0, done.output
    migrated = path.read_text(encoding="utf-8")
    assert "config_version = 2" in migrated and "# my shop" in migrated
    assert "was 0.8 in Vigía 1" in migrated
    assert load_config(path).brands[0].escalation.threshold == DEFAULT_THRESHOLD
    again = runner.invoke(cli, ["config", "migrate", "--config", str(path)])
    assert "already current" in again.output and path.read_text(encoding="utf-8") == migrated


def test_the_example_config_is_current() -> None:
    assert "config_version = 2" in (REPO / "config.toml").read_text(encoding="utf-8")
