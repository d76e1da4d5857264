"""An end-to-end harness: every emulator on loopback, a config pointing at them, a runtime."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.config import Config, load_config
from monitor.runtime import Runtime
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.slack_api import SlackMessage
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.storage.db import open_database

REPO = Path(__file__).resolve().parents[2]
BRAND_CHANNEL = "#tienda-sol-alertas"


def e2e_world(now: datetime) -> World:
    """Spanish and English: one negative unanswered, one negative answered, one positive."""
    t1, t2, t3 = now - timedelta(minutes=50), now - timedelta(minutes=45), now - timedelta(
        minutes=30)
    complaint, answered = twitter_id(t1, 1), twitter_id(t2, 2)
    return World([
        WorldPost("twitter", complaint, "1501", "laurag_mx", "Laura G.",
                  "@tiendasol Pésimo servicio de Tienda Sol, mi pedido nunca llegó y nadie "
                  "responde", t1, followers=2310, lang="es", thread_id=complaint),
        WorldPost("twitter", answered, "1502", "mike_shops", "Mike",
                  "Tienda Sol sent me the wrong size and support ignores my emails. Terrible.",
                  t2, followers=180, lang="en", thread_id=answered),
        WorldPost("twitter", twitter_id(t2 + timedelta(minutes=4), 3), "9001", "tiendasol",
                  "Tienda Sol", "@mike_shops Sorry Mike! Please DM us your order number.",
                  t2 + timedelta(minutes=4), lang="en", parent_id=answered,
                  thread_id=answered, by_brand=True),
        WorldPost("twitter", twitter_id(t3, 4), "1503", "ana_compras", "Ana",
                  "Me encantó mi compra en Tienda Sol, llegó en dos días. ¡Gracias!", t3,
                  followers=920, lang="es"),
    ])


@dataclass
class Harness:
    box: Sandbox
    config: Config
    rt: Runtime

    @property
    def alerts(self) -> list[SlackMessage]:
        return self.box.slack.top_level(BRAND_CHANNEL)


@pytest.fixture
def harness(db_url: str) -> Iterator[Harness]:
    now = datetime.now(UTC)
    box = Sandbox(world=e2e_world(now)).start()
    base = load_config(REPO / "config.toml")
    config = box.configure(base, database_url=db_url)
    rt = Runtime(config=config, db=open_database(db_url), env=box.environment(config))
    try:
        yield Harness(box, config, rt)
    finally:
        rt.close()
        box.stop()
