"""Polling through the real tweepy client against the X emulator: cursors, pages, budgets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from twitter_helpers import (
    BRAND_ID,
    HANDLE,
    T0,
    brand_tweet,
    complaints,
    harness,
    last_cursor,
    mention_ids,
    tweet,
)

from monitor.sandbox.world import twitter_id
from sources.base import BudgetExhausted, Cursor, RateLimited

REQUESTED = {
    "tweet.fields": "created_at,lang,conversation_id,in_reply_to_user_id,referenced_tweets,"
    "public_metrics,author_id",
    "expansions": "author_id,referenced_tweets.id",
    "user.fields": "username,name,public_metrics,verified",
}


SEARCH = r"/2/tweets/search/recent"


def test_first_poll_normalises_mentions_and_sets_since_id() -> None:
    first = tweet("@tiendasol Tienda Sol me cobró dos veces <3 & nadie responde (&lt; literal)",
                  minutes=1, author="laura", followers=2310, likes=4, replies=2, shares=1)
    other = tweet("nada que ver con la marca", minutes=2)
    with harness([first, other]) as h:
        pages = h.poll(h.mentions_query(), None)

    assert len(pages) == 1
    (mention,) = pages[0].mentions
    assert mention.external_id == first.id
    assert mention.url == f"https://x.com/laura/status/{first.id}"
    assert mention.text == first.text  # X sent "&lt;3 &amp; ... &amp;lt;": undone exactly once
    assert mention.author_handle == "laura"
    assert mention.author_reach == 2310
    assert mention.created_at == first.created_at
    assert mention.lang == "es"
    assert mention.thread_id == first.id
    assert (mention.likes, mention.replies, mention.shares) == (4, 2, 1)
    assert pages[0].cursor == Cursor({"since_id": first.id})
    assert pages[0].items_read == 1 and pages[0].read_ids == [first.id]


def test_requested_fields_page_size_and_query_reach_the_api() -> None:
    with harness(complaints(1)) as h:
        query = h.mentions_query()
        h.poll(query, None)
        (sent,) = h.emulator.search_queries()
    assert {k: sent[k] for k in REQUESTED} == REQUESTED
    assert sent["max_results"] == "100"
    assert sent["query"] == query.text
    assert "-is:retweet" in sent["query"] and f"-from:{HANDLE}" in sent["query"]
    assert "since_id" not in sent and "until_id" not in sent


def test_incremental_poll_sends_since_id_and_returns_only_new_tweets() -> None:
    old = complaints(2)
    with harness(old) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        new = tweet("Tienda Sol otra vez sin respuesta", minutes=30)
        h.world.add(new)
        pages = h.poll(query, cursor)
        sent = h.emulator.search_queries()[-1]

    assert cursor == Cursor({"since_id": old[-1].id})
    assert sent["since_id"] == old[-1].id
    assert mention_ids(pages) == [new.id]
    assert last_cursor(pages) == Cursor({"since_id": new.id})


def test_empty_poll_keeps_cursor_and_reads_nothing() -> None:
    with harness(complaints(1)) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        pages = h.poll(query, cursor)
    assert [p.mentions for p in pages] == [[]]
    assert pages[0].items_read == 0
    assert pages[0].cursor == cursor


def test_page_budget_leaves_pending_window_finished_next_poll_without_gaps() -> None:
    seed = complaints(1)
    burst = complaints(25, start=10)
    with harness(seed, max_results=10, page_budget=2) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        h.world.add(*burst)
        first = h.poll(query, cursor)
        later = tweet("Tienda Sol, ¿y mi reembolso?", minutes=60)
        h.world.add(later)
        second = h.poll(query, last_cursor(first))
        third = h.poll(query, last_cursor(second))
        sent = h.emulator.search_queries()

    newest_first = [p.id for p in reversed(burst)]
    # poll 1: two pages of 10, newest first; only the last page carries the pending window
    assert [p.cursor for p in first][:-1] == [None]
    assert last_cursor(first) == Cursor({
        "since_id": seed[0].id,
        "pending_until_id": newest_first[19],
        "pending_newest_id": newest_first[0],
    })
    assert mention_ids(first) == newest_first[:20]
    # poll 2 finishes the window (until_id), then opens the one above it
    assert sent[3]["until_id"] == newest_first[19] and sent[3]["since_id"] == seed[0].id
    assert "next_token" not in sent[3]
    assert sent[4]["since_id"] == newest_first[0] and "until_id" not in sent[4]
    assert mention_ids(second) == [*newest_first[20:], later.id]
    assert [p.cursor for p in second] == [
        Cursor({"since_id": newest_first[0]}), Cursor({"since_id": later.id})
    ]
    assert mention_ids(third) == []
    every = mention_ids(first) + mention_ids(second)
    assert sorted(every) == sorted(p.id for p in [*burst, later])


def test_next_token_pages_keep_the_same_bounds() -> None:
    with harness(complaints(1), max_results=10) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        h.world.add(*complaints(15, start=5))
        pages = h.poll(query, cursor)
        sent = h.emulator.search_queries()[1:]
    assert len(pages) == 2 and pages[0].cursor is None
    assert sent[1]["next_token"] and sent[1]["since_id"] == sent[0]["since_id"]
    assert "until_id" not in sent[1]


def test_first_poll_backfill_reads_back_to_its_start_time_over_several_polls() -> None:
    history = complaints(35)
    with harness(history, max_results=10, page_budget=2, backfill_hours=1) as h:
        query = h.mentions_query()
        pages = h.poll(query, None)
        first = h.emulator.requests_to(SEARCH)[0]
        assert first.arg("start_time") == "2025-03-10T11:00:00Z"  # T0 - backfill_hours
        assert len(pages) == 2 and all(p.backfill for p in pages)
        cursor = last_cursor(pages)
        assert cursor is not None and cursor.state["start_time"] == "2025-03-10T11:00:00Z"
        assert cursor.state["since_id"] is None and cursor.state["pending_until_id"]
        rest = h.poll(query, cursor)
    assert len(mention_ids(pages + rest)) == 35 and all(p.backfill for p in rest)
    assert last_cursor(rest) == Cursor({"since_id": history[-1].id})


def test_first_poll_never_reads_before_the_backfill() -> None:
    old = tweet("Tienda Sol perdió mi paquete", minutes=-180)
    new = tweet("Tienda Sol no contesta", minutes=-30)
    with harness([old, new], backfill_hours=1) as h:
        pages = h.poll(h.mentions_query(), None)
    assert mention_ids(pages) == [new.id]


def test_duplicate_delivery_across_pages_yields_one_mention() -> None:
    with harness(complaints(1), max_results=10, overlap=2) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        burst = complaints(15, start=5)
        h.world.add(*burst)
        pages = h.poll(query, cursor)
    ids = mention_ids(pages)
    assert sorted(ids) == sorted(p.id for p in burst)
    assert len(ids) == len(set(ids))
    assert sum(p.items_read for p in pages) == 17  # both copies were read (and billed)


def test_retweets_excluded_by_query_and_skipped_if_delivered() -> None:
    original = tweet("Tienda Sol perdió mi paquete", minutes=1)
    retweet = tweet("RT @cliente: Tienda Sol perdió mi paquete", minutes=2, kind="retweet",
                    extra={"retweeted_id": original.id})
    with harness([original, retweet]) as h:
        query = h.mentions_query()
        pages = h.poll(query, None)
        unfiltered = query.text.replace(" -is:retweet", "")
        raw = h.poll(type(query)(query.brand, "raw", unfiltered, query.accounts, query.options),
                     None)
    assert mention_ids(pages) == [original.id]
    assert pages[0].items_read == 1  # the server never sent the retweet
    assert mention_ids(raw) == [original.id]
    assert raw[0].items_read == 2 and raw[0].skipped == 0


def test_brand_replies_are_detected_and_brand_tweets_are_not_mentions() -> None:
    complaint = tweet("@tiendasol Tienda Sol mi pedido no llegó", minutes=1, author="ana")
    reply = brand_tweet("@ana Lo sentimos, escríbenos por DM", minutes=5, parent=complaint)
    promo = tweet("Tienda Sol: rebajas hoy", minutes=6, author=HANDLE, author_id=BRAND_ID)
    with harness([complaint, reply, promo]) as h:
        replies = h.poll(h.replies_query(), None)
        mentions = h.poll(h.mentions_query(), None)
        sent = h.emulator.search_queries()[0]

    assert sent["query"] == f"from:{HANDLE} is:reply"
    (found,) = [r for p in replies for r in p.brand_replies]
    assert found.external_id == reply.id
    assert found.parent_external_id == complaint.id
    assert found.account == HANDLE
    assert found.replied_at == reply.created_at
    assert found.thread_id == complaint.id
    assert [m for p in replies for m in p.mentions] == []
    assert mention_ids(mentions) == [complaint.id]
    assert last_cursor(replies) == Cursor({"since_id": reply.id})


def test_brand_tweet_slipping_into_mentions_is_a_reply_not_a_mention() -> None:
    complaint = tweet("Tienda Sol no contesta", minutes=1, author="ana")
    reply = brand_tweet("@ana Tienda Sol te contesta ahora", minutes=2, parent=complaint)
    with harness([complaint, reply]) as h:
        query = h.mentions_query()
        no_exclusion = query.text.replace(f" -from:{HANDLE}", "")
        pages = h.poll(type(query)(query.brand, "x", no_exclusion, query.accounts,
                                   query.options), None)
    assert mention_ids(pages) == [complaint.id]
    assert [r.external_id for p in pages for r in p.brand_replies] == [reply.id]


def test_read_budget_caps_page_size_and_stops_with_a_pending_window() -> None:
    with harness(complaints(1), max_results=10, page_budget=5) as h:
        cursor = last_cursor(h.poll(h.mentions_query(), None))
        h.world.add(*complaints(40, start=5))
        pages = h.poll(h.mentions_query(read_budget_left=25), cursor)
        sent = h.emulator.search_queries()[1:]
    assert [s["max_results"] for s in sent] == ["10", "10"]  # 5 left: no page may ask for 10
    assert sum(p.items_read for p in pages) == 20 <= 25
    state = last_cursor(pages)
    assert state is not None and state.state["since_id"] == cursor.state["since_id"]
    assert "pending_until_id" in state.state


def test_read_budget_shrinks_max_results_instead_of_overspending() -> None:
    with harness(complaints(1), page_budget=3) as h:
        cursor = last_cursor(h.poll(h.mentions_query(), None))
        h.world.add(*complaints(30, start=5))
        h.poll(h.mentions_query(read_budget_left=15), cursor)
        assert h.emulator.search_queries()[-1]["max_results"] == "15"


@pytest.mark.parametrize("left", [0, 9])
def test_exhausted_read_budget_raises_before_any_request(left: int) -> None:
    with harness(complaints(1)) as h:
        with pytest.raises(BudgetExhausted):
            h.poll(h.mentions_query(read_budget_left=left), None)
        assert h.emulator.search_queries() == []


def test_rate_limit_spent_mid_window_stores_page_then_defers() -> None:
    with harness(complaints(1), max_results=10, limits={"search": 2}) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        h.world.add(*complaints(15, start=5))
        pages = []
        with pytest.raises(RateLimited) as caught:
            for page in h.source.poll(query, cursor):
                pages.append(page)
        reset = h.emulator._windows["search"].reset
        h.emulator.clock = lambda: reset + 1.0
        resumed = h.poll(query, pages[-1].cursor)  # after the reset
    assert len(pages) == 1 and len(pages[0].mentions) == 10
    assert pages[0].cursor is not None and "pending_until_id" in pages[0].cursor.state
    assert caught.value.reset_at == datetime.fromtimestamp(reset, UTC)
    sent = h.emulator.search_queries()
    assert len(sent) == 4  # none into the 429; then the pending window and the one above it
    assert sent[2]["until_id"] == pages[0].cursor.state["pending_until_id"]
    assert len(mention_ids(resumed)) == 5


def test_api_base_routes_tweepy_to_the_emulator() -> None:
    with harness(complaints(1)) as h:
        h.poll(h.mentions_query(), None)
        (request,) = h.emulator.requests_to("/2/tweets/search/recent")
    assert request.headers["authorization"] == "Bearer test-bearer-0123456789abcdef"
    assert request.headers["host"].startswith("127.0.0.1:")


def test_cursor_older_than_seven_days_restarts_instead_of_failing_forever(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stale = twitter_id(T0 - timedelta(days=8))
    fresh = complaints(3)
    with harness(fresh) as h, caplog.at_level(logging.WARNING):
        query = h.mentions_query()
        pages = h.poll(query, Cursor({"since_id": stale}))
        sent = h.emulator.search_queries()
    assert sent[0]["since_id"] == stale and "since_id" not in sent[1]
    assert sorted(mention_ids(pages)) == sorted(p.id for p in fresh)
    assert last_cursor(pages) == Cursor({"since_id": fresh[-1].id})
    assert "older than recent search reaches" in caplog.text
