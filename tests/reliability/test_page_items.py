"""One bad item never fails a page: the rest is stored and the cursor moves past it.

Through the real pipeline (`collect_source`) and storage on the test database; Facebook items
come from the Graph emulator over httpx, the unstorable item from a source that yields it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from monitor.config import Config, load_config
from monitor.pipeline import collect_source
from monitor.runtime import Runtime
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World, WorldPost
from monitor.storage.db import open_database
from monitor.storage.mentions import get_cursor, load_mentions
from sources import registry
from sources.base import Cursor, Mention, Page, Query
from tests.clock import Clock

REPO = Path(__file__).resolve().parents[2]
PAGE_ID = "104000000000001"
POST = f"{PAGE_ID}_5001"


def only(config: Config, source: str) -> Config:
    sources = {name: s.model_copy(update={"enabled": name == source})
               for name, s in config.sources.items()}
    return config.model_copy(update={"sources": config.sources.model_copy(update=sources)})


@dataclass
class Rig:
    box: Sandbox
    rt: Runtime
    now: datetime

    def stored(self) -> dict[str, Mention]:
        with self.rt.db.transaction() as session:
            return {sm.mention.external_id: sm.mention for sm in load_mentions(session)}

    def cursor(self, key: str) -> Cursor | None:
        with self.rt.db.transaction() as session:
            return get_cursor(session, "facebook", key)


@pytest.fixture
def rig(db_url: str) -> Iterator[Rig]:
    box = Sandbox(world=World(), facebook_page_id=PAGE_ID).start()
    now = datetime.now(UTC).replace(microsecond=0)
    config = only(box.configure(load_config(REPO / "config.toml"), database_url=db_url),
                  "facebook")
    rt = Runtime(config=config, db=open_database(db_url), env=box.environment(config),
                 clock=Clock(now))
    try:
        yield Rig(box, rt, now)
    finally:
        rt.close()
        box.stop()


def comment(cid: str, text: str, minutes_ago: float, now: datetime, **extra: Any) -> WorldPost:
    return WorldPost("facebook", f"{POST}_{cid}", "3901", "", "Carmen Ruiz", text,
                     now - timedelta(minutes=minutes_ago), kind="comment", thread_id=POST,
                     extra=extra)


def test_created_time_without_offset_is_utc_and_the_page_is_stored(rig: Rig) -> None:
    naive = (rig.now - timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%S")
    rig.box.world.add(
        comment("1", "Tienda Sol no contesta", 50, rig.now),
        comment("2", "Tienda Sol me cobró dos veces", 40, rig.now, created_time=naive),
        comment("3", "Sigo esperando a Tienda Sol", 30, rig.now),
    )

    report = collect_source(rig.rt, "facebook")

    assert report.status == "ok", report.error
    stored = rig.stored()
    assert set(stored) == {f"{POST}_1", f"{POST}_2", f"{POST}_3"}
    assert stored[f"{POST}_2"].created_at == rig.now - timedelta(minutes=40)
    assert stored[f"{POST}_2"].created_at.tzinfo is not None


class OneBadItem:
    """A source whose comment page holds one item the database refuses (a naive time)."""

    name: ClassVar[str] = "facebook"

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.polls = 0

    def poll(self, query: Query, cursor: Cursor | None) -> Iterator[Page]:
        if query.options.get("kind") != "comments":
            return
        self.polls += 1
        at = self.now - timedelta(minutes=5)

        def mention(n: int, created: datetime) -> Mention:
            return Mention("facebook", f"{POST}_{n}", f"https://www.facebook.com/{n}", "3901",
                           "", "Carmen", f"Tienda Sol queja {n}", created,
                           extra={"kind": "comment"})

        yield Page(
            mentions=[mention(1, at), mention(2, at.replace(tzinfo=None)), mention(3, at),
                      replace(mention(4, at), author_id="x" * 300)],
            cursor=Cursor({"position": at.timestamp(), "page": self.polls}),
            items_read=4,
        )

    def close(self) -> None:
        pass


def test_one_unstorable_item_is_left_out_and_the_cursor_moves_past_it(rig: Rig) -> None:
    source = OneBadItem(rig.now)
    rig.rt._sources["facebook"] = source
    [query] = [q for q in registry()["facebook"].queries(rig.rt.config.brands[0],
                                                          rig.rt.config.sources.facebook)
               if q.options["kind"] == "comments"]

    report = collect_source(rig.rt, "facebook")

    assert report.status == "ok", report.error
    assert set(rig.stored()) == {f"{POST}_1", f"{POST}_3"}
    assert report.new_mentions == 2 and report.skipped == 2
    cursor = rig.cursor(query.key)
    assert cursor is not None and cursor.state["page"] == 1
    again = collect_source(rig.rt, "facebook")  # the next poll is not stuck on the bad item
    cursor = rig.cursor(query.key)
    assert again.status == "ok" and cursor is not None and cursor.state["page"] == 2


def test_an_item_without_from_is_stored_flagged_not_as_a_known_customer(rig: Rig) -> None:
    # Graph withholds `from`: the item may be the Page's own reply, so it is flagged
    rig.box.world.add(
        comment("1", "Tienda Sol no contesta", 50, rig.now),
        comment("2", "Hola, te escribimos por privado", 40, rig.now, withhold_from=True),
    )

    report = collect_source(rig.rt, "facebook")

    assert report.status == "ok", report.error
    stored = rig.stored()
    unknown = stored[f"{POST}_2"]
    assert unknown.extra.get("author_unknown") is True
    assert (unknown.author_id, unknown.author_name) == ("", "")
    assert "author_unknown" not in stored[f"{POST}_1"].extra
