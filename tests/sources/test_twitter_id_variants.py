"""X payload variants: ids as JSON numbers, `referenced_tweets: null` on a retweet.

A recorded search answer is served through the emulator to the real tweepy client, once as
recorded and once with every id turned into a JSON number (what some proxies and caches send).
"""

from __future__ import annotations

import copy
from typing import Any

from twitter_helpers import harness, last_cursor, recorded, tweet

from sources.base import Page

SEARCH = r"/2/tweets/search/recent"


def numeric_ids(body: dict[str, Any]) -> dict[str, Any]:
    """The same answer with tweet, author, reference and user ids as JSON numbers."""
    body = copy.deepcopy(body)
    for t in body["data"]:
        for key in ("id", "author_id", "in_reply_to_user_id", "conversation_id"):
            if key in t:
                t[key] = int(t[key])
        for ref in t.get("referenced_tweets") or []:
            ref["id"] = int(ref["id"])
    for user in body.get("includes", {}).get("users", []):
        user["id"] = int(user["id"])
    return body


def poll_recorded(body: dict[str, Any]) -> list[Page]:
    with harness() as h:
        h.emulator.replay(SEARCH, body)
        return h.poll(h.mentions_query(), None)


def test_numeric_ids_are_billed_and_advance_the_cursor_like_string_ids() -> None:
    body = recorded("search_recent_tweets_with_fields.json")["body"]
    as_strings = poll_recorded(body)
    as_numbers = poll_recorded(numeric_ids(body))

    expected_ids = [t["id"] for t in body["data"]]
    [page] = as_numbers
    assert page.read_ids == expected_ids  # every post read is billed
    assert last_cursor(as_numbers) == last_cursor(as_strings)
    cursor = last_cursor(as_numbers)
    assert cursor is not None and cursor.state["since_id"] == max(expected_ids, key=int)
    by_id = {m.external_id: m for m in page.mentions}
    assert list(by_id) == expected_ids
    reply = by_id["1275763727908798470"]
    assert (reply.parent_id, reply.in_reply_to_user_id) == ("1275653067283759104", "17200003")
    assert reply.author_handle == "jellybeanjones"  # the numeric author id found its user


def test_rt_prefix_with_null_references_is_a_retweet() -> None:
    retweet = tweet("RT @cliente: Tienda Sol no me devuelve el dinero", minutes=1)
    original = tweet("Tienda Sol no me devuelve el dinero", minutes=0)
    body = {
        "data": [
            {"id": retweet.id, "text": retweet.text, "author_id": retweet.author_id,
             "created_at": "2025-03-10T12:01:00.000Z", "referenced_tweets": None},
            {"id": original.id, "text": original.text, "author_id": original.author_id,
             "created_at": "2025-03-10T12:00:00.000Z"},
        ],
        "meta": {"newest_id": retweet.id, "oldest_id": original.id, "result_count": 2},
    }
    [page] = poll_recorded(body)
    assert [m.external_id for m in page.mentions] == [original.id]
    assert page.read_ids == [retweet.id, original.id]  # the retweet was still read (billed)
