"""Reddit failures map to typed errors quickly, without sleeping, and never lose a page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from test_reddit_support import (
    NOW,
    RedditRig,
    make_reddit_rig,
    mentions,
    recorded,
    submission,
)

from monitor.sandbox.http import Fault, Request, Response
from monitor.sandbox.world import World
from sources.base import AuthError, RateLimited, TransientError
from sources.reddit_rate import RateGuard, TokenBucket

SEARCH = r"/r/compras/search"


@pytest.fixture
def world() -> World:
    return World([submission(f"p{i}", f"Sol pedido {i}", 10 + i) for i in range(4)])


@pytest.fixture
def rig(world: World) -> Iterator[RedditRig]:
    yield from make_reddit_rig(world, page_limit=2)


def test_bad_credentials_are_an_auth_error_naming_the_variable(world: World) -> None:
    rig_iter = make_reddit_rig(world, client_secret="wrong-secret")
    rig = next(rig_iter)
    try:
        with pytest.raises(AuthError) as err:
            rig.poll(rig.query())
        assert err.value.env_var == "REDDIT_CLIENT_ID"
        assert "wrong-secret" not in str(err.value)
        assert [r.path for r in rig.emulator.requests] == ["/api/v1/access_token"]
    finally:
        rig_iter.close()


def test_401_on_the_api_drops_the_token_for_the_next_poll(rig: RedditRig) -> None:
    body = recorded("reddit", "error_401_invalid_token.json")
    rig.emulator.inject(Fault(path=SEARCH, status=401, body=body["body"],
                              headers={"www-authenticate": body["headers"]["www-authenticate"]}))
    started = time.monotonic()
    with pytest.raises(AuthError):
        rig.poll(rig.query())
    assert time.monotonic() - started < 1.0  # no prawcore retry sleep
    rig.poll(rig.query())  # recovers: a new token was requested
    tokens = [r for r in rig.emulator.requests if r.path == "/api/v1/access_token"]
    assert len(tokens) == 2


def test_403_is_an_auth_error(rig: RedditRig) -> None:
    body = recorded("reddit", "error_403_forbidden.json")["body"]
    rig.emulator.inject(Fault(path=SEARCH, status=403, body=body))
    with pytest.raises(AuthError, match="403") as err:
        rig.poll(rig.query())
    assert err.value.env_var == "REDDIT_CLIENT_ID"


def test_429_defers_until_the_reported_reset(rig: RedditRig) -> None:
    rig.emulator.inject(Fault(path=SEARCH, status=429, body={"message": "Too Many Requests",
                                                              "error": 429},
                              headers={"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "600",
                                       "x-ratelimit-reset": "42"}))
    with pytest.raises(RateLimited) as err:
        rig.poll(rig.query())
    assert err.value.reset_at == NOW + timedelta(seconds=42)


def test_exhausted_header_budget_yields_the_page_then_defers_without_sleeping(
        rig: RedditRig) -> None:
    rig.emulator.inject(Fault(path=SEARCH, headers={"x-ratelimit-remaining": "0.0",
                                                    "x-ratelimit-used": "600",
                                                    "x-ratelimit-reset": "42"}))
    poll = rig.source.poll(rig.query(), None)
    first = next(poll)
    assert mentions([first]) == ["t3_p0", "t3_p1"]
    started = time.monotonic()
    with pytest.raises(RateLimited) as err:
        next(poll)
    assert time.monotonic() - started < 0.5
    assert err.value.reset_at == NOW + timedelta(seconds=42)
    assert len(rig.listing_requests()) == 1  # the next page was never requested
    rig.clock.advance(43)
    rest = rig.poll(rig.query(), first.cursor)
    assert mentions(rest) == ["t3_p2", "t3_p3"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient_and_not_retried_with_sleeps(
        rig: RedditRig, status: int) -> None:
    rig.emulator.inject(Fault(path=SEARCH, status=status, body="<html>oops</html>"))
    started = time.monotonic()
    with pytest.raises(TransientError, match=str(status)):
        rig.poll(rig.query())
    assert time.monotonic() - started < 1.0
    assert len(rig.listing_requests()) == 1


def test_timeout_is_transient(rig: RedditRig) -> None:
    rig.emulator.inject(Fault(path=SEARCH, delay=0.6))
    started = time.monotonic()
    with pytest.raises(TransientError, match="Timeout"):
        rig.poll(rig.query())
    assert time.monotonic() - started < 0.6


def test_reset_connection_is_transient(rig: RedditRig) -> None:
    rig.emulator.inject(Fault(path=SEARCH, reset=True))
    with pytest.raises(TransientError):
        rig.poll(rig.query())


def test_truncated_json_is_transient_and_keeps_earlier_pages(rig: RedditRig) -> None:
    poll = rig.source.poll(rig.query(), None)
    first = next(poll)
    rig.emulator.inject(Fault(path=SEARCH, truncate=True))
    with pytest.raises(TransientError, match="unparseable"):
        next(poll)
    assert first.cursor is not None and "pending" in first.cursor.state


def test_not_a_listing_is_transient(rig: RedditRig) -> None:
    rig.emulator.inject(Fault(path=SEARCH, status=200, body={"unexpected": True}))
    with pytest.raises(TransientError, match="Listing"):
        rig.poll(rig.query())


def test_malformed_items_are_logged_and_skipped(
        rig: RedditRig, caplog: pytest.LogCaptureFixture) -> None:
    good = rig.emulator.thing(rig.world.get("reddit", "p0"))  # type: ignore[arg-type]
    no_time = rig.emulator.thing(rig.world.get("reddit", "p1"))  # type: ignore[arg-type]
    del no_time["data"]["created_utc"]
    no_author = rig.emulator.thing(rig.world.get("reddit", "p2"))  # type: ignore[arg-type]
    no_author["data"]["author"] = None
    children = [good, no_time, "garbage", {"kind": "t5", "data": {}}, no_author]

    def listing(_r: Request, _m: re.Match[str]) -> Response:
        return Response(200, {"kind": "Listing", "data": {"after": None, "children": children}})

    rig.emulator.routes.insert(0, ("GET", re.compile(f"^{SEARCH}$"), listing))
    [page] = rig.poll(rig.query())
    assert mentions([page]) == ["t3_p0", "t3_p2"]  # a missing author loses only the author
    assert page.mentions[1].author_handle == ""
    assert page.skipped == 3 and page.items_read == 5
    assert "created_utc" in caplog.text


def test_token_bucket_refills_with_the_injected_clock() -> None:
    now = [NOW]
    bucket = TokenBucket(2, lambda: now[0])
    assert bucket.take() and bucket.take() and not bucket.take()
    now[0] += timedelta(seconds=29)
    assert not bucket.take()
    now[0] += timedelta(seconds=2)
    assert bucket.take()


def test_rate_guard_forgets_an_expired_window() -> None:
    now = [datetime(2025, 1, 1, tzinfo=UTC)]
    guard = RateGuard(lambda: now[0])
    guard.observe({"x-ratelimit-remaining": "1.0", "x-ratelimit-reset": "10"})
    with pytest.raises(RateLimited):
        guard.check()
    now[0] += timedelta(seconds=11)
    guard.check()


def test_emulator_token_endpoint_grants() -> None:
    import requests

    from monitor.sandbox.reddit_api import CLIENT_ID, CLIENT_SECRET, RedditEmulator

    emulator = RedditEmulator(World(), users={"vigia_bot": "pw"}).start()
    try:
        url = emulator.base_url + "/api/v1/access_token"
        auth = (CLIENT_ID, CLIENT_SECRET)
        ok = requests.post(url, auth=auth, data={"grant_type": "password",
                                                 "username": "vigia_bot", "password": "pw"})
        assert ok.json()["token_type"] == "bearer" and ok.json()["expires_in"] > 0
        wrong = requests.post(url, auth=auth, data={"grant_type": "password",
                                                    "username": "vigia_bot", "password": "x"})
        assert wrong.json() == {"error": "invalid_grant"}
        bad = requests.post(url, auth=(CLIENT_ID, "nope"),
                            data={"grant_type": "client_credentials"})
        assert bad.status_code == 401 and bad.json() == {"message": "Unauthorized", "error": 401}
    finally:
        emulator.stop()
