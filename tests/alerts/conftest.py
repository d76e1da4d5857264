"""Alert fixtures: a config, a data builder over the real storage API, the Slack emulator."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from monitor.config import Config, parse_config
from monitor.sandbox.slack_api import VALID_TOKEN, SlackEmulator
from monitor.storage.db import Database
from monitor.storage.mentions import save_scores, store_page
from monitor.storage.tables import AlertRow, MentionRow, OutboxRow
from sentiment.base import CATEGORIES, Score
from sources.base import BrandReply, Mention, Page, Query

BRAND = "Sol"
CHANNEL = "#alerts-sol"
OPS = "#vigia-ops"
ONCALL = "S0ONCALL1"
# Monday 2 March 2026, 12:00 in Madrid (UTC+1): inside business hours.
MONDAY_NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def make_config(*, escalation: dict[str, Any] | None = None, brand: dict[str, Any] | None = None,
                slack: dict[str, Any] | None = None) -> Config:
    esc: dict[str, Any] = {"oncall_group": ONCALL, **(escalation or {})}
    data = {
        "config_version": 2,
        "slack": {"ops_channel": OPS, **(slack or {})},
        "brands": [{
            "name": BRAND, "timezone": "Europe/Madrid", "slack_channel": CHANNEL,
            "languages": ["es", "en", "pt"], "private_channel": "DM",
            "accounts": {"twitter": ["tiendasol"]},
            "keywords": {"terms": ["tienda sol"]}, "escalation": esc, **(brand or {}),
        }],
    }
    return parse_config(data, Path("config.toml"))


@pytest.fixture
def config() -> Config:
    return make_config()


class World:
    """Mentions, scores and brand replies stored through the real storage functions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._ids = itertools.count(1000)

    def mention(self, text: str = "Mi pedido no llega, ¡llevo dos semanas esperando!", *,
                at: datetime, label: str = "negative", confidence: float = 0.9,
                reach: int = 120, likes: int = 0, lang: str | None = "es", brand: str = BRAND,
                source: str = "twitter", handle: str = "cliente", name: str = "Ana Pérez",
                verified: bool = False, scored: bool = True,
                category: str | None = None, probability: float | None = None) -> int:
        """A stored, scored mention. Without `category` the reply decision follows the
        sentiment (negative → complaint with P = confidence), as for a sentiment-only model;
        `category` + `probability` set the reply head's output directly."""
        ext = str(next(self._ids))
        m = Mention(source=source, external_id=ext, url=f"https://x.com/{handle}/status/{ext}",
                    author_id=f"u{ext}", author_handle=handle, author_name=name, text=text,
                    created_at=at, author_reach=reach, author_verified=verified, lang=lang,
                    likes=likes, brand=brand, keyword="tienda sol")
        with self.db.transaction() as s:
            store_page(s, source, Query(brand=brand, key="q", text=""), Page(mentions=[m]),
                       fetched_at=at)
            mid = s.execute(select(MentionRow.id).where(MentionRow.external_id == ext)
                            ).scalar_one()
            if scored:
                probs = {"negative": 0.05, "neutral": 0.05, "positive": 0.05}
                probs[label] = confidence
                cats = None
                if category is not None:
                    p = 0.9 if probability is None else probability
                    rest = (1 - p) / 3
                    cats = [p if c == category else rest for c in CATEGORIES]
                score = Score.from_probs([probs["negative"], probs["neutral"],
                                          probs["positive"]], lang, "test", "1", cats)
                save_scores(s, [(mid, score)], at)
        return mid

    def reply(self, mention_id: int, *, at: datetime, account: str = "tiendasol") -> None:
        with self.db.transaction() as s:
            row = s.get(MentionRow, mention_id)
            assert row is not None
            reply = BrandReply(source=row.source, external_id=f"r{row.external_id}",
                               parent_external_id=row.external_id, account=account,
                               replied_at=at)
            store_page(s, row.source, Query(brand=row.brand, key="q", text=""),
                       Page(brand_replies=[reply]), fetched_at=at)

    def alert(self, mention_id: int) -> AlertRow:
        with self.db.transaction() as s:
            row = s.execute(select(AlertRow).where(AlertRow.mention_id == mention_id)
                            ).scalar_one()
            s.expunge(row)
            return row

    def alerts(self, **where: Any) -> list[AlertRow]:
        with self.db.transaction() as s:
            rows = list(s.execute(select(AlertRow).filter_by(**where).order_by(AlertRow.id))
                        .scalars())
            for r in rows:
                s.expunge(r)
            return rows

    def outbox(self, **where: Any) -> list[OutboxRow]:
        with self.db.transaction() as s:
            rows = list(s.execute(select(OutboxRow).filter_by(**where).order_by(OutboxRow.id))
                        .scalars())
            for r in rows:
                s.expunge(r)
            return rows


@pytest.fixture
def world(db: Database) -> World:
    return World(db)


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    emu = SlackEmulator()
    emu.start()
    yield emu
    emu.stop()


def make_client(emulator: SlackEmulator, token: str = VALID_TOKEN) -> WebClient:
    client = WebClient(token=token, base_url=emulator.base_url + "/api/", timeout=5)
    client.retry_handlers = []  # the outbox owns retries; no hidden sleeps in tests
    return client


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return make_client(emulator)


class Sleeper:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


class SyncExecutor(Executor):
    """Runs Bolt listeners inline so a dispatched click is fully handled on return."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def real_now() -> datetime:
    """Now, for tests whose Slack messages get the emulator's real-clock ts (reconciling)."""
    return datetime.now(UTC).replace(microsecond=0)
