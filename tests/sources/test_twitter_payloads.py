"""Real recorded X payloads, served verbatim through the emulator to the real client."""

from __future__ import annotations

from datetime import UTC, datetime

from twitter_helpers import harness, last_cursor, mention_ids, recorded

from sources.base import BrandAccounts, Query
from sources.twitter_normalize import language, unescape

SEARCH = r"/2/tweets/search/recent"


def _query(h_query: Query, *, kind: str, handles: tuple[str, ...] = ()) -> Query:
    accounts = BrandAccounts(handles) if handles else h_query.accounts
    return Query(h_query.brand, kind, h_query.text, accounts, {**h_query.options, "kind": kind})


def test_search_with_fields_normalises_real_replies() -> None:
    body = recorded("search_recent_tweets_with_fields.json")["body"]
    with harness() as h:
        h.emulator.replay(SEARCH, body)
        (page,) = h.poll(h.mentions_query(), None)

    by_id = {m.external_id: m for m in page.mentions}
    assert list(by_id) == [t["id"] for t in body["data"]]
    media_only = by_id["1275763727908798470"]  # "@snowman @happycamper <link>", lang "und"
    assert media_only.lang is None
    assert media_only.author_handle == "jellybeanjones"
    assert media_only.author_name == "zachariah jones"
    assert media_only.url == "https://x.com/jellybeanjones/status/1275763727908798470"
    assert media_only.parent_id == "1275653067283759104"
    assert media_only.in_reply_to_user_id == "17200003"
    assert media_only.created_at == datetime(2020, 6, 24, 12, 12, 29, tzinfo=UTC)
    assert media_only.author_reach == 0  # user.fields=public_metrics was not in the recording
    assert media_only.thread_id is None  # nor was conversation_id
    assert by_id["1276035977375477760"].lang == "en"
    assert page.cursor is not None and page.cursor.state == {"since_id": "1276035977375477760"}
    assert page.read_ids == [t["id"] for t in body["data"]]


def test_same_recording_read_as_brand_replies_of_snowman() -> None:
    body = recorded("search_recent_tweets_with_fields.json")["body"]
    with harness() as h:
        h.emulator.replay(SEARCH, body)
        query = _query(h.mentions_query(), kind="brand_replies", handles=("Snowman",))
        (page,) = h.poll(query, None)
    assert page.mentions == []
    assert {(r.external_id, r.parent_external_id, r.account) for r in page.brand_replies} == {
        ("1275882613572583424", "1273733248749690880", "snowman"),
        ("1275653067283759104", "1274086728471461889", "snowman"),
    }


def test_quote_tweets_recording_skips_retweets_and_keeps_thread_ids() -> None:
    envelope = recorded("get_quote_tweets_with_conversation_id.json")
    with harness(page_budget=1) as h:
        h.emulator.replay(SEARCH, envelope["body"])
        (page,) = h.poll(h.mentions_query(), None)
        (sent,) = h.emulator.search_queries()
    # 13 "RT @..." items (no referenced_tweets requested in the recording) are not mentions
    assert mention_ids([page]) == ["1427332549479526400", "1422638903412940805"]
    assert page.skipped == 0 and page.items_read == 15
    reply = page.mentions[1]
    assert reply.thread_id == "1422610092571041793"
    assert reply.author_handle == "suhemparack"
    assert (reply.likes, reply.replies) == (2, 2)
    assert reply.text.startswith("@katypearce Understandable. I’d be happy")
    assert "next_token" not in sent  # page budget 1: the recorded next_token is not followed


def test_default_fields_timeline_recording_has_no_author_so_items_are_skipped() -> None:
    envelope = recorded("get_users_tweets.json")
    with harness(page_budget=1) as h:
        h.emulator.replay(SEARCH, envelope["body"], headers=envelope["headers"])
        (page,) = h.poll(h.mentions_query(), None)
    assert page.mentions == [] and page.skipped == 2
    assert page.read_ids == ["1577730467436138524", "1565318587736285184"]  # still billed
    assert last_cursor([page]) is not None


def test_unescape_undoes_exactly_xs_three_entities_once() -> None:
    assert unescape("a &amp; b &lt;3 &gt;:( &amp;lt; &quot;x&quot; &#39;") == (
        "a & b <3 >:( &lt; &quot;x&quot; &#39;"
    )


def test_language_tags() -> None:
    assert [language(t) for t in ["es", "EN", "und", "qme", "qht", "zxx", "in", "pt-BR", None,
                                  ""]] == ["es", "en", None, None, None, None, "id", "pt", None,
                                           None]
