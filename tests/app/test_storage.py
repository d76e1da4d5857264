"""Storage guarantees: dedup by unique key, cursor and page in one transaction, billing dedup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.storage import leases
from monitor.storage.db import Database
from monitor.storage.mentions import (
    claim_unscored,
    count_mentions,
    get_cursor,
    load_mentions,
    reads_in_month,
    save_scores,
    store_page,
)
from sentiment.base import Score
from sources.base import BrandReply, Cursor, Mention, Page, Query

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
QUERY = Query(brand="Tienda Sol", key="q1", text="tienda sol")


def mention(i: int, **kw: object) -> Mention:
    base: dict[str, object] = dict(
        source="twitter", external_id=str(i), url=f"https://x.com/u/status/{i}",
        author_id="a", author_handle="ana", author_name="Ana", text=f"texto {i}",
        created_at=NOW - timedelta(minutes=i), brand="Tienda Sol", keyword="tienda sol",
    )
    base.update(kw)
    return Mention(**base)  # type: ignore[arg-type]


def test_redelivery_is_a_noop(db: Database) -> None:
    page = Page(mentions=[mention(1), mention(2)], cursor=Cursor({"since_id": "2"}))
    with db.transaction() as s:
        first = store_page(s, "twitter", QUERY, page, fetched_at=NOW)
    with db.transaction() as s:
        again = store_page(s, "twitter", QUERY, page, fetched_at=NOW)
        assert count_mentions(s) == 2
    assert (first.new_mentions, first.duplicate_mentions) == (2, 0)
    assert (again.new_mentions, again.duplicate_mentions) == (0, 2)


def test_same_id_on_two_sources_is_two_mentions(db: Database) -> None:
    with db.transaction() as s:
        store_page(s, "twitter", QUERY, Page(mentions=[mention(1)]), fetched_at=NOW)
        store_page(s, "reddit", QUERY, Page(mentions=[mention(1, source="reddit")]),
                   fetched_at=NOW)
        assert count_mentions(s) == 2


def test_cursor_commits_only_with_its_page(db: Database) -> None:
    page = Page(mentions=[mention(1)], cursor=Cursor({"since_id": "99"}))
    with pytest.raises(RuntimeError), db.transaction() as s:
        store_page(s, "twitter", QUERY, page, fetched_at=NOW)
        raise RuntimeError("killed before commit")
    with db.transaction() as s:
        assert get_cursor(s, "twitter", "q1") is None
        assert count_mentions(s) == 0
        store_page(s, "twitter", QUERY, page, fetched_at=NOW)
    with db.transaction() as s:
        cursor = get_cursor(s, "twitter", "q1")
        assert cursor is not None and cursor.state == {"since_id": "99"}


def test_hostile_text_is_stored_intact(db: Database) -> None:
    text = "نص عربي\u200f \u200b<!channel> &amp; \x00nul " + "ñ" * 100_000 + " \ud800"
    with db.transaction() as s:
        store_page(s, "twitter", QUERY, Page(mentions=[mention(1, text=text)]), fetched_at=NOW)
    with db.transaction() as s:
        stored = load_mentions(s)[0].mention.text
    assert stored.startswith("نص عربي\u200f \u200b<!channel> &amp; nul ")
    assert stored.count("ñ") == 100_000 and "\x00" not in stored


def test_reads_are_billed_once_per_utc_day(db: Database) -> None:
    with db.transaction() as s:
        store_page(s, "twitter", QUERY, Page(read_ids=["1", "2", "2"]), fetched_at=NOW)
        store_page(s, "twitter", QUERY, Page(read_ids=["1", "3"]), fetched_at=NOW)
        store_page(s, "twitter", QUERY, Page(read_ids=["1"]), fetched_at=NOW + timedelta(days=1))
        assert reads_in_month(s, "twitter", NOW) == 4
        assert reads_in_month(s, "twitter", NOW + timedelta(days=30)) == 0


def test_scoring_claims_each_mention_once(db: Database) -> None:
    with db.transaction() as s:
        store_page(s, "twitter", QUERY, Page(mentions=[mention(i) for i in range(5)]),
                   fetched_at=NOW)
    score = Score("negative", 0.9, 0.9, 0.05, 0.05, "es", "m", "1")
    with db.transaction() as s:
        batch = claim_unscored(s, 3)
        assert len(batch) == 3
        assert save_scores(s, [(mid, score) for mid, _, _ in batch], NOW) == 3
    with db.transaction() as s:
        rest = claim_unscored(s, 10)
        assert len(rest) == 2
        assert save_scores(s, [(batch[0][0], score)], NOW) == 0  # already scored: kept
    with db.transaction() as s:
        langs = {m.mention.lang for m in load_mentions(s, label="negative")}
    assert langs == {"es"}


def test_brand_reply_marks_mention_answered_even_if_seen_first(db: Database) -> None:
    reply = BrandReply("twitter", "r1", "1", "tiendasol", NOW + timedelta(minutes=37))
    with db.transaction() as s:
        store_page(s, "twitter", QUERY, Page(brand_replies=[reply]), fetched_at=NOW)
    with db.transaction() as s:
        store_page(s, "twitter", QUERY,
                   Page(mentions=[mention(1, created_at=NOW)], brand_replies=[reply]),
                   fetched_at=NOW)
    with db.transaction() as s:
        [m] = load_mentions(s)
    assert m.answered_by == "tiendasol"
    assert m.first_response_minutes == pytest.approx(37)


def test_lease_has_one_holder(db: Database) -> None:
    ttl = timedelta(minutes=1)
    with db.transaction() as s:
        assert leases.acquire(s, "poll:twitter", "a", ttl, NOW)
    with db.transaction() as s:
        assert not leases.acquire(s, "poll:twitter", "b", ttl, NOW)
    with db.transaction() as s:
        assert leases.acquire(s, "poll:twitter", "b", ttl, NOW + timedelta(minutes=2))
