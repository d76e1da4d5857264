"""The X emulator answers like X (checked with the real tweepy client), and build_queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
import tweepy
from twitter_helpers import BRAND_ID, HANDLE, T0, TOKEN, brand, brand_tweet, tweet

from monitor.config import BrandAccountsSettings, BrandSettings, TwitterSettings
from monitor.keywords import KeywordSet
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World, WorldPost
from sources.base import Cursor
from sources.keyword_query import query_key
from sources.twitter import build_queries
from sources.twitter_cursor import Window
from sources.twitter_http import RoutingAdapter, TimeoutAdapter, make_client
from sources.twitter_query import compile_twitter_queries

COMPLAINT = tweet("@TiendaSol Pésimo SERVICIO de Tienda Sol, #envío perdido", minutes=1,
                  author="laura", lang="es")
ENGLISH = tweet("tienda sol lost my parcel", minutes=2, author="mike", lang="en")
PRAISE = tweet("Me encantó TiendaSol", minutes=3, author="ana")
REPLY = brand_tweet("@laura lo sentimos", minutes=4, parent=COMPLAINT)
RETWEET = tweet("RT @laura: Pésimo servicio de Tienda Sol", minutes=5, author="pepe",
                kind="retweet", extra={"retweeted_id": COMPLAINT.id})
SOLAR = tweet("paneles solares baratos", minutes=6, author="solar")
POSTS = [COMPLAINT, ENGLISH, PRAISE, REPLY, RETWEET, SOLAR]


@pytest.fixture
def client() -> Iterator[tuple[tweepy.Client, TwitterEmulator]]:
    emulator = TwitterEmulator(World(list(POSTS)), bearer_token=TOKEN,
                               clock=lambda: (T0 + timedelta(hours=1)).timestamp())
    emulator.start()
    api = make_client(TOKEN, api_base=emulator.base_url, timeout=2.0)
    yield api, emulator
    api.session.close()
    emulator.stop()


def search(api: tweepy.Client, query: str, **params: object) -> requests.Response:
    response: requests.Response = api.search_recent_tweets(query, **params)
    return response


def ids(response: requests.Response) -> set[str]:
    return {t["id"] for t in response.json().get("data", [])}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"tienda sol"', [COMPLAINT, ENGLISH, RETWEET]),
        ('"TIENDA SOL" OR tiendasol', [COMPLAINT, ENGLISH, RETWEET, PRAISE]),
        ("sol", [COMPLAINT, ENGLISH, RETWEET]),  # whole words: "solares" is not "sol"
        ("envio", [COMPLAINT]),  # accents folded
        ("#envío", [COMPLAINT]),
        ("@tiendasol", [COMPLAINT]),
        ('"tienda sol" -is:retweet', [COMPLAINT, ENGLISH]),
        ('"tienda sol" lang:en', [ENGLISH]),
        ('("tienda sol" OR tiendasol) -from:Laura -from:mike', [RETWEET, PRAISE]),
        (f"from:{HANDLE} is:reply", [REPLY]),
        (f"from:{BRAND_ID}", [REPLY]),
        ('pésimo -(lang:en OR from:pepe)', [COMPLAINT]),
        ("tienda sol OR paneles", [COMPLAINT, ENGLISH, RETWEET, SOLAR]),  # AND before OR
    ],
)
def test_query_language(client: tuple[tweepy.Client, TwitterEmulator], query: str,
                        expected: list[WorldPost]) -> None:
    api, _ = client
    assert ids(search(api, query)) == {p.id for p in expected}


@pytest.mark.parametrize("query", ['("tienda sol"', '"tienda', "has:links sol", "x" * 513, ""])
def test_queries_x_would_reject_get_a_400_problem(
    client: tuple[tweepy.Client, TwitterEmulator], query: str
) -> None:
    api, _ = client
    with pytest.raises(tweepy.BadRequest) as caught:
        search(api, query)
    assert caught.value.response.json()["title"] == "Invalid Request"


def test_compiled_brand_query_runs_on_the_emulator(
    client: tuple[tweepy.Client, TwitterEmulator],
) -> None:
    api, _ = client
    rich = BrandSettings(
        name="Sol", languages=["es", "en"], accounts=BrandAccountsSettings(twitter=[HANDLE]),
        keywords=KeywordSet(terms=["Tienda Sol"], hashtags=["envío"], exclude=["solares"],
                            exclude_authors=["mike"]),
    )
    (query,) = compile_twitter_queries(rich)
    assert ids(search(api, query)) == {COMPLAINT.id, PRAISE.id}


def test_only_requested_fields_and_expansions_come_back(
    client: tuple[tweepy.Client, TwitterEmulator],
) -> None:
    api, _ = client
    bare = search(api, "pésimo -is:retweet").json()
    assert set(bare["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in bare
    assert bare["meta"] == {"newest_id": COMPLAINT.id, "oldest_id": COMPLAINT.id,
                            "result_count": 1}
    rich = search(api, f"from:{HANDLE}", tweet_fields=["conversation_id", "referenced_tweets"],
                  expansions=["author_id", "referenced_tweets.id"], user_fields=["verified"])
    body = rich.json()
    assert set(body["data"][0]) == {"id", "text", "edit_history_tweet_ids", "conversation_id",
                                    "referenced_tweets"}
    assert body["data"][0]["referenced_tweets"] == [{"type": "replied_to", "id": COMPLAINT.id}]
    assert body["includes"]["users"] == [
        {"id": BRAND_ID, "name": HANDLE.title(), "username": HANDLE, "verified": False}
    ]
    assert [t["id"] for t in body["includes"]["tweets"]] == [COMPLAINT.id]
    assert set(body["includes"]["tweets"][0]) == {"id", "text", "edit_history_tweet_ids",
                                                   "conversation_id"}


def test_text_is_entity_escaped_like_x(client: tuple[tweepy.Client, TwitterEmulator]) -> None:
    api, emulator = client
    emulator.world.add(tweet("Tienda Sol <3 & más", minutes=9))
    (item,) = search(api, "más").json()["data"]
    assert item["text"] == "Tienda Sol &lt;3 &amp; más"


def test_unknown_field_and_bad_max_results_are_rejected(
    client: tuple[tweepy.Client, TwitterEmulator],
) -> None:
    api, _ = client
    with pytest.raises(tweepy.BadRequest):
        search(api, "sol", tweet_fields=["public_metircs"])
    with pytest.raises(tweepy.BadRequest):
        search(api, "sol", max_results=5)


def test_pagination_since_until_and_rate_limit_headers(
    client: tuple[tweepy.Client, TwitterEmulator],
) -> None:
    api, _ = client
    query = '"tienda sol" OR tiendasol OR from:tiendasol OR paneles'
    first = search(api, query, max_results=10)
    assert len(ids(first)) == 6 and "next_token" not in first.json()["meta"]
    assert ids(search(api, query, since_id=PRAISE.id)) == {REPLY.id, RETWEET.id, SOLAR.id}
    assert ids(search(api, query, until_id=PRAISE.id)) == {COMPLAINT.id, ENGLISH.id}
    assert first.headers["x-rate-limit-limit"] == "450"
    assert int(search(api, query).headers["x-rate-limit-remaining"]) == 450 - 4
    assert int(first.headers["x-rate-limit-reset"]) > 0


def test_wrong_token_gets_the_401_problem(client: tuple[tweepy.Client, TwitterEmulator]) -> None:
    _, emulator = client
    bad = make_client("nope", api_base=emulator.base_url, timeout=2.0)
    with pytest.raises(tweepy.Unauthorized) as caught:
        bad.search_recent_tweets("sol")
    assert caught.value.response.json() == {"title": "Unauthorized", "detail": "Unauthorized",
                                            "type": "about:blank", "status": 401}


def test_user_lookup_and_timeline(client: tuple[tweepy.Client, TwitterEmulator]) -> None:
    api, emulator = client
    user = api.get_user(username="TIENDASOL", user_fields=["public_metrics"]).json()["data"]
    assert user["id"] == BRAND_ID and user["username"] == HANDLE
    assert user["public_metrics"]["followers_count"] == REPLY.followers
    missing = api.get_user(username="nobody").json()
    assert missing["errors"][0]["title"] == "Not Found Error"
    emulator.world.add(tweet("promo", minutes=8, author=HANDLE, author_id=BRAND_ID))
    timeline = api.get_users_tweets(BRAND_ID, max_results=5, tweet_fields=["referenced_tweets"])
    assert len(timeline.json()["data"]) == 2
    originals = api.get_users_tweets(BRAND_ID, exclude=["replies"])
    assert [t["text"] for t in originals.json()["data"]] == ["promo"]
    newer = api.get_users_tweets(BRAND_ID, since_id=REPLY.id)
    assert [t["text"] for t in newer.json()["data"]] == ["promo"]


def test_timeline_paginates_with_pagination_token(
    client: tuple[tweepy.Client, TwitterEmulator],
) -> None:
    api, emulator = client
    emulator.world.add(*[tweet(f"promo {i}", minutes=10 + i, author=HANDLE, author_id=BRAND_ID)
                         for i in range(7)])
    first = api.get_users_tweets(BRAND_ID, max_results=5).json()
    token = first["meta"]["next_token"]
    second = api.get_users_tweets(BRAND_ID, max_results=5, pagination_token=token).json()
    seen = [t["id"] for t in first["data"] + second["data"]]
    assert len(seen) == len(set(seen)) == 8


def test_routing_adapter_keeps_path_and_query_under_a_prefixed_base(
    client: tuple[tweepy.Client, TwitterEmulator],
) -> None:
    _, emulator = client
    session = requests.Session()
    session.mount("https://api.twitter.com/", RoutingAdapter(emulator.base_url + "/proxy/", 1.0))
    answer = session.get("https://api.twitter.com/2/tweets/search/recent?query=sol")
    assert answer.status_code == 401  # reached the emulator (no token sent)
    assert emulator.requests[-1].path == "/proxy/2/tweets/search/recent"
    assert emulator.requests[-1].query == {"query": ["sol"]}


def test_build_queries_for_mentions_and_brand_replies() -> None:
    settings = TwitterSettings()
    queries = build_queries(brand(), settings)
    mentions, replies = queries
    assert mentions.text == compile_twitter_queries(brand())[0]
    assert mentions.options == {"kind": "mentions", "source": "twitter",
                                "languages": ["es", "en"]}
    assert replies.text == f"from:{HANDLE} is:reply"
    assert replies.options == {"kind": "brand_replies", "source": "twitter"}
    assert [q.key for q in queries] == [query_key("twitter", "Tienda Sol", q.text)
                                        for q in queries]
    assert mentions.key != replies.key
    assert mentions.accounts.handles == (HANDLE,) and mentions.accounts.ids == (BRAND_ID,)
    with_rts = build_queries(brand(), TwitterSettings(exclude_retweets=False))[0]
    assert "-is:retweet" not in with_rts.text and with_rts.key != mentions.key


def test_build_queries_without_accounts_has_no_reply_query() -> None:
    plain = BrandSettings(name="X", keywords=KeywordSet(terms=["Marca"]))
    assert [q.options["kind"] for q in build_queries(plain, TwitterSettings())] == ["mentions"]


def test_without_api_base_requests_still_get_the_timeout_and_go_to_x() -> None:
    api = make_client(TOKEN, api_base=None, timeout=0.7)
    adapter = api.session.get_adapter("https://api.twitter.com/2/tweets/search/recent")
    assert isinstance(adapter, TimeoutAdapter) and not isinstance(adapter, RoutingAdapter)
    assert adapter.timeout == 0.7
    api.session.close()


def test_cursor_ids_compare_as_numbers_not_strings() -> None:
    window = Window.load(Cursor({"since_id": 999})).extend("1000", "1000")
    assert window.complete() == Window(since_id="1000")
    assert Window.load(Cursor({"since_id": "garbage", "pending_until_id": "5"})) == Window(
        since_id=None, pending_until_id="5", pending_newest_id="5"
    )
