"""One contract, every registered source: the shared failure modes behave the same.

Each source is built through the registry's own factory (settings + environment), exactly
as the pipeline builds it, and talks to its emulator over loopback HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.config import (
    BlueskySettings,
    BrandSettings,
    FacebookSettings,
    InstagramSettings,
    RedditSettings,
    SourceSettings,
    TwitterSettings,
)
from monitor.keywords import KeywordSet
from monitor.sandbox import bluesky_api, facebook_api, instagram_api, reddit_api, twitter_api
from monitor.sandbox.http import Emulator, Fault
from monitor.sandbox.world import World, WorldPost, twitter_id
from sources import registry
from sources.base import AuthError, Page, Query, RateLimited, Source, TransientError

PAGE_ID = "104000000000001"
IG_ID = instagram_api.DEFAULT_ACCOUNT
NOW = datetime.now(UTC).replace(microsecond=0)
TEXT = "Tienda Sol: mi pedido nunca llegó y nadie responde"
BRAND = BrandSettings(
    name="Tienda Sol",
    accounts={"twitter": ["tiendasol"], "reddit": ["tiendasol_oficial"], "facebook": [PAGE_ID],
              "instagram": [IG_ID], "bluesky": ["tiendasol.bsky.social"]},
    keywords=KeywordSet(terms=["tienda sol"]),
)


@dataclass(frozen=True)
class Case:
    name: str
    emulator: Callable[[World], Emulator]
    settings: Callable[[str], SourceSettings]
    env: dict[str, str]
    posts: Callable[[int], list[WorldPost]]  # n matching posts
    api_path: str  # regex of the data endpoints (not the OAuth token endpoint)
    rate_limit: Fault


def _tweets(n: int) -> list[WorldPost]:
    out = []
    for i in range(n):
        at = NOW - timedelta(minutes=30 - i)
        tid = twitter_id(at, i)
        out.append(WorldPost("twitter", tid, f"{100 + i}", f"user{i}", f"User {i}", f"{TEXT} {i}",
                             at, lang="es", thread_id=tid))
    return out


def _submissions(n: int) -> list[WorldPost]:
    return [WorldPost("reddit", f"c{i:04d}", f"t2_u{i}", f"user{i}", f"user{i}", f"{TEXT} {i}",
                      NOW - timedelta(minutes=30 - i), kind="submission", subreddit="compras")
            for i in range(n)]


def _fb(n: int) -> list[WorldPost]:
    post = WorldPost("facebook", f"{PAGE_ID}_5001", PAGE_ID, "", "Tienda Sol", "Novedades",
                     NOW - timedelta(hours=2), kind="post")
    return [post] + [
        WorldPost("facebook", f"{PAGE_ID}_5001_{900 + i}", f"39{i}", "", f"User {i}",
                  f"{TEXT} {i}", NOW - timedelta(minutes=30 - i), kind="comment",
                  thread_id=post.id)
        for i in range(n)
    ]


def _ig(n: int) -> list[WorldPost]:
    media = WorldPost("instagram", "17900000000000001", IG_ID, "tiendasol", "Tienda Sol",
                      "Novedades", NOW - timedelta(hours=2), kind="media")
    return [media] + [
        WorldPost("instagram", f"1790000000000{100 + i}", f"1784{i}", f"user{i}", f"user{i}",
                  f"{TEXT} {i}", NOW - timedelta(minutes=30 - i), kind="comment",
                  thread_id=media.id)
        for i in range(n)
    ]


def _bsky(n: int) -> list[WorldPost]:
    return [WorldPost("bluesky", bluesky_api.at_uri(f"did:plc:user{i}", f"3lsol{i:04d}"),
                      f"did:plc:user{i}", f"user{i}.bsky.social", f"User {i}", f"{TEXT} {i}",
                      NOW - timedelta(minutes=30 - i), followers=10 * i, lang="es")
            for i in range(n)]


CASES = [
    Case("twitter", lambda w: twitter_api.TwitterEmulator(w),
         lambda base: TwitterSettings(enabled=True, api_base=base, request_timeout_s=0.3),
         {"X_BEARER_TOKEN": twitter_api.VALID_TOKEN}, _tweets, r"^/2/",
         Fault(path=r"^/2/", status=429, times=-1,
               body={"title": "Too Many Requests", "status": 429},
               headers={"x-rate-limit-remaining": "0",
                        "x-rate-limit-reset": str(int(NOW.timestamp()) + 600)})),
    Case("reddit", lambda w: reddit_api.RedditEmulator(w),
         lambda base: RedditSettings(enabled=True, api_base=base, auth_base=base,
                                     subreddits=["compras"], request_timeout_s=0.3),
         {"REDDIT_CLIENT_ID": reddit_api.CLIENT_ID,
          "REDDIT_CLIENT_SECRET": reddit_api.CLIENT_SECRET}, _submissions, r"^/r/",
         Fault(path=r"^/r/", status=429, times=-1, body={"message": "Too Many Requests",
                                                         "error": 429},
               headers={"x-ratelimit-remaining": "0", "x-ratelimit-used": "100",
                        "x-ratelimit-reset": "120"})),
    Case("facebook", lambda w: facebook_api.FacebookEmulator(w, PAGE_ID),
         lambda base: FacebookSettings(enabled=True, api_base=base, request_timeout_s=0.3),
         {"FB_PAGE_TOKEN": facebook_api.PAGE_TOKEN}, _fb, r"^/v\d",
         Fault(path=r"^/v\d", status=400, times=-1, body={"error": {
             "message": "(#4) Application request limit reached", "type": "OAuthException",
             "code": 4, "fbtrace_id": "Atest"}})),
    Case("instagram", lambda w: instagram_api.InstagramEmulator(w, IG_ID),
         lambda base: InstagramSettings(enabled=True, api_base=base, request_timeout_s=0.3),
         {"IG_ACCESS_TOKEN": instagram_api.ACCESS_TOKEN}, _ig, r"^/v\d",
         Fault(path=r"^/v\d", status=400, times=-1, body=facebook_api.graph_error(
             17, "(#17) User request limit reached"),
               headers=instagram_api.usage_header(100, IG_ID, regain_minutes=15))),
    Case("bluesky", lambda w: bluesky_api.BlueskyEmulator(w),
         lambda base: BlueskySettings(enabled=True, api_base=base, request_timeout_s=0.3),
         {"BLUESKY_HANDLE": bluesky_api.HANDLE, "BLUESKY_APP_PASSWORD": bluesky_api.APP_PASSWORD},
         _bsky, r"^/xrpc/app\.bsky",
         Fault(path=r"^/xrpc/app\.bsky", status=429, times=-1,
               body={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
               headers={"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                        "RateLimit-Reset": str(int(NOW.timestamp()) + 600),
                        "RateLimit-Policy": "3000;w=300"})),
]


@dataclass
class Rig:
    case: Case
    emulator: Emulator
    source: Source
    queries: list[Query]
    world: World

    def poll_all(self) -> list[Page]:
        pages: list[Page] = []
        for query in self.queries:
            pages.extend(self.source.poll(query, None))
        return pages


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    case: Case = request.param
    world = World()
    emulator = case.emulator(world).start()
    spec = registry()[case.name]
    settings = case.settings(emulator.base_url)
    source = spec.create(settings, case.env)
    queries = [q for q in spec.queries(BRAND, settings)]
    queries = [Query(q.brand, q.key, q.text, q.accounts, {**q.options, "source": case.name})
               for q in queries]
    try:
        yield Rig(case, emulator, source, queries, world)
    finally:
        source.close()
        emulator.stop()


def _mention_ids(pages: list[Page]) -> list[str]:
    return [m.external_id for p in pages for m in p.mentions]


def test_registry_is_explicit_and_complete() -> None:
    assert set(registry()) == {"twitter", "reddit", "facebook", "instagram", "bluesky"}


def test_empty_platform_yields_no_mentions_and_no_error(rig: Rig) -> None:
    assert _mention_ids(rig.poll_all()) == []


def test_items_are_normalised_to_mentions(rig: Rig) -> None:
    rig.world.add(*rig.case.posts(3))
    pages = rig.poll_all()
    mentions = [m for p in pages for m in p.mentions]
    assert len(mentions) == 3 and len(set(_mention_ids(pages))) == 3
    for m in mentions:
        assert m.source == rig.case.name
        assert m.text.startswith(TEXT)
        assert m.created_at.tzinfo is not None and m.created_at.utcoffset() == timedelta(0)
        assert m.url.startswith("https://")
        assert m.author_name


def test_missing_credentials_name_the_variable(rig: Rig) -> None:
    spec = registry()[rig.case.name]
    settings = rig.case.settings(rig.emulator.base_url)
    with pytest.raises(AuthError) as err:
        source = spec.create(settings, {})
        for query in rig.queries:
            list(source.poll(query, None))
    assert any(var in str(err.value) or var == err.value.env_var for var in rig.case.env)


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_are_auth_errors(rig: Rig, status: int) -> None:
    rig.world.add(*rig.case.posts(1))
    rig.emulator.inject(Fault(path=".", status=status, times=-1,
                              body={"error": status, "message": "Unauthorized"}))
    with pytest.raises(AuthError):
        rig.poll_all()


def test_rate_limit_defers_instead_of_sleeping(rig: Rig) -> None:
    rig.world.add(*rig.case.posts(1))
    rig.emulator.inject(rig.case.rate_limit)
    started = datetime.now(UTC)
    with pytest.raises(RateLimited) as err:
        rig.poll_all()
    assert err.value.reset_at > started
    assert (datetime.now(UTC) - started) < timedelta(seconds=5)  # no sleeping until reset


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=500, body={"error": "boom"}, times=-1),
        Fault(status=503, body="Service Unavailable", times=-1),
        Fault(delay=1.0, times=-1),
        Fault(truncate=True, times=-1),
        Fault(reset=True, times=-1),
    ],
    ids=["500", "503", "timeout", "truncated-json", "connection-reset"],
)
def test_outages_are_transient_errors(rig: Rig, fault: Fault) -> None:
    rig.world.add(*rig.case.posts(1))
    rig.emulator.inject(Fault(path=rig.case.api_path, status=fault.status, body=fault.body,
                              delay=fault.delay, truncate=fault.truncate, reset=fault.reset,
                              times=-1))
    with pytest.raises(TransientError):
        rig.poll_all()


def test_recovers_after_outage(rig: Rig) -> None:
    rig.world.add(*rig.case.posts(2))
    rig.emulator.inject(Fault(path=rig.case.api_path, status=502, body="Bad Gateway", times=1))
    with pytest.raises(TransientError):
        rig.poll_all()
    assert len(set(_mention_ids(rig.poll_all()))) == 2


def _secrets_in_logs(caplog: pytest.LogCaptureFixture, env: dict[str, Any]) -> list[str]:
    return [v for v in env.values() if v in caplog.text]


def test_secrets_never_logged(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    rig.world.add(*rig.case.posts(1))
    rig.poll_all()
    rig.emulator.inject(Fault(status=401, times=-1, body={"error": 401}))
    with pytest.raises(AuthError):
        rig.poll_all()
    assert _secrets_in_logs(caplog, rig.case.env) == []
