"""Graph failures: typed errors by code, usage-header backoff, and a token that never leaks."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from test_facebook_support import (
    POST,
    FacebookRig,
    fb_comment,
    ids,
    make_facebook_rig,
    page_post,
    visitor_post,
)
from test_reddit_support import NOW, recorded

from monitor.sandbox.facebook_api import PAGE_TOKEN, graph_error, usage_header
from monitor.sandbox.http import Fault, Request, Response
from monitor.sandbox.world import World
from sources.base import AuthError, RateLimited, TransientError

COMMENTS = r"/comments$"


@pytest.fixture
def world() -> World:
    return World([
        page_post(POST, "Novedades", 120),
        fb_comment(f"{POST}_1", "Sol no me devuelve el dinero", 50),
        fb_comment(f"{POST}_2", "Sol tampoco a mí", 40),
        fb_comment(f"{POST}_3", "Sol, ¿hola?", 30),
    ])


@pytest.fixture
def rig(world: World) -> Iterator[FacebookRig]:
    yield from make_facebook_rig(world, page_size=2)


def test_expired_token_names_the_variable_and_never_the_token(world: World) -> None:
    rig_iter = make_facebook_rig(world, token="EAAB-secret-expired")
    rig = next(rig_iter)
    try:
        with pytest.raises(AuthError) as err:
            rig.poll(rig.query())
        assert err.value.env_var == "FB_PAGE_TOKEN"
        assert "set FB_PAGE_TOKEN to a fresh Page token" in str(err.value)
        assert "EAAB-secret-expired" not in str(err.value)
    finally:
        rig_iter.close()


@pytest.mark.parametrize(("fixture", "needed"), [
    ("error_oauth_100_missing_permission.json", "pages_read_engagement"),
    ("error_oauth_100_public_content.json", "Pages Public Content Access"),
])
def test_recorded_permission_errors_are_auth_errors(
        rig: FacebookRig, fixture: str, needed: str) -> None:
    body = recorded("facebook", fixture)["body"]
    rig.emulator.inject(Fault(path=r"/feed$", status=400, body=body))
    with pytest.raises(AuthError, match=needed) as err:
        rig.poll(rig.query())
    assert err.value.env_var == "FB_PAGE_TOKEN"


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limit_codes_defer_with_the_regain_estimate(rig: FacebookRig, code: int) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, status=400 if code != 4 else 403,
                              body=graph_error(code, f"(#{code}) Request limit reached"),
                              headers=usage_header(100, regain_minutes=7)))
    with pytest.raises(RateLimited) as err:
        rig.poll(rig.query())
    assert err.value.reset_at == NOW + timedelta(minutes=7)


def test_rate_limit_without_estimate_uses_a_default(rig: FacebookRig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, status=400, body=graph_error(17, "limit")))
    with pytest.raises(RateLimited) as err:
        rig.poll(rig.query())
    assert err.value.reset_at == NOW + timedelta(minutes=10)


def test_usage_above_90_percent_yields_the_page_then_backs_off(rig: FacebookRig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, headers=usage_header(93)))
    poll = rig.source.poll(rig.query(), None)
    first = next(poll)
    assert ids([first]) == [f"{POST}_1", f"{POST}_2"]
    with pytest.raises(RateLimited) as err:
        next(poll)
    assert err.value.reset_at == NOW + timedelta(minutes=10)
    assert len(rig.params(COMMENTS)) == 1  # nothing more was asked of the API
    rig.clock.advance(11 * 60)
    assert ids(rig.poll(rig.query(), first.cursor)) == [f"{POST}_3"]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(rig: FacebookRig, status: int) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, status=status, body="<html>down</html>"))
    with pytest.raises(TransientError, match=str(status)):
        rig.poll(rig.query())


def test_graph_unknown_error_is_transient(rig: FacebookRig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, status=500,
                              body=graph_error(2, "Service temporarily unavailable")))
    with pytest.raises(TransientError, match="temporary"):
        rig.poll(rig.query())


def test_timeout_is_transient(rig: FacebookRig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, delay=0.6))
    started = time.monotonic()
    with pytest.raises(TransientError, match="timeout"):
        rig.poll(rig.query())
    assert time.monotonic() - started < 0.6


def test_reset_connection_is_transient(rig: FacebookRig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, reset=True))
    with pytest.raises(TransientError):
        rig.poll(rig.query())


def test_truncated_json_is_transient_and_earlier_pages_stand(rig: FacebookRig) -> None:
    poll = rig.source.poll(rig.query(), None)
    first = next(poll)
    rig.emulator.inject(Fault(path=COMMENTS, truncate=True))
    with pytest.raises(TransientError, match="unparseable"):
        next(poll)
    assert first.cursor is not None and first.cursor.state["posts"][POST]["boundary_ids"]


def test_deleted_post_is_skipped_not_fatal(rig: FacebookRig) -> None:
    rig.emulator.inject(Fault(path=COMMENTS, status=400, body=graph_error(
        100, "Unsupported get request. Object with ID does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation", subcode=33)))
    pages = rig.poll(rig.query())
    assert pages == []


def test_items_missing_fields_are_logged_and_skipped(
        rig: FacebookRig, caplog: pytest.LogCaptureFixture) -> None:
    def comments(_r: Request, _m: re.Match[str]) -> Response:
        return Response(200, {"data": [
            {"id": "ok", "created_time": "2025-03-10T11:50:00+0000", "message": "Sol",
             "from": {"id": "1", "name": "A"}},
            {"id": "no-time", "message": "Sol"},
            {"message": "no id, no permalink", "created_time": "2025-03-10T11:51:00+0000"},
            {"id": "bad-time", "created_time": "ayer"},
            "garbage",
            {"id": "no-from", "created_time": "2025-03-10T11:52:00+0000"},
        ]})

    rig.emulator.routes.insert(0, ("GET", re.compile(r"^/v21\.0/[\d_]+/comments$"), comments))
    [page] = rig.poll(rig.query())
    assert ids([page]) == ["ok", "no-from"]  # a withheld `from` is still a complaint to read
    assert page.mentions[1].author_id == "" and page.mentions[1].text == ""
    assert page.skipped == 4 and page.items_read == 6
    assert "created_time" in caplog.text


def test_token_never_appears_in_logs(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    world.add(visitor_post("104000000000001_77", "Sol", 5))
    rig_iter = make_facebook_rig(world)
    rig = next(rig_iter)
    try:
        rig.emulator.inject(Fault(path=COMMENTS, delay=0.6))
        rig.poll(rig.query("visitor_posts"))
        with pytest.raises(TransientError) as err:
            rig.poll(rig.query())
        assert "HTTP Request: GET" in caplog.text  # httpx did log the URLs...
        assert "access_token=[redacted]" in caplog.text
        assert PAGE_TOKEN not in caplog.text and PAGE_TOKEN not in str(err.value)
    finally:
        rig_iter.close()
