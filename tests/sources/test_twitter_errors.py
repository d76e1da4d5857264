"""Every way X can fail becomes a typed error, a skipped item, or nothing lost."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from twitter_helpers import (
    T0,
    TOKEN,
    complaints,
    harness,
    last_cursor,
    mention_ids,
    recorded,
    tweet,
)

from monitor.config import TwitterSettings
from monitor.sandbox.http import Fault
from sources.base import AuthError, Page, RateLimited, SourceError, TransientError
from sources.twitter import TwitterSource, create
from sources.twitter_http import XRequestError

SEARCH = r"/2/tweets/search/recent"


def test_wrong_bearer_token_is_an_auth_error_naming_the_variable() -> None:
    with harness(complaints(1)) as h:
        bad = TwitterSource(h.source.settings, "not-the-token")
        with pytest.raises(AuthError) as caught:
            list(bad.poll(h.mentions_query(), None))
        bad.close()
    assert caught.value.env_var == "X_BEARER_TOKEN"
    assert "401" in str(caught.value) and "X_BEARER_TOKEN" in str(caught.value)
    assert "not-the-token" not in str(caught.value)


def test_forbidden_is_an_auth_error_with_the_api_reason() -> None:
    body = {"title": "Client Forbidden", "detail": "client-not-enrolled", "status": 403,
            "type": "https://api.twitter.com/2/problems/client-forbidden"}
    with harness(complaints(1)) as h:
        h.emulator.inject(Fault(path=SEARCH, status=403, body=body))
        with pytest.raises(AuthError) as caught:
            h.poll(h.mentions_query(), None)
    assert "403" in str(caught.value) and "client-not-enrolled" in str(caught.value)
    assert caught.value.env_var == "X_BEARER_TOKEN"


def test_429_raises_rate_limited_at_the_header_reset() -> None:
    reset = 1741612345
    body = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
            "status": 429}
    headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
               "x-rate-limit-reset": str(reset)}
    with harness(complaints(1)) as h:
        h.emulator.inject(Fault(path=SEARCH, status=429, body=body, headers=headers))
        with pytest.raises(RateLimited) as caught:
            h.poll(h.mentions_query(), None)
    assert caught.value.reset_at == datetime.fromtimestamp(reset, UTC)


def test_429_without_reset_header_waits_one_window_from_the_injected_clock() -> None:
    with harness(complaints(1)) as h:
        h.emulator.inject(Fault(path=SEARCH, status=429, body={"status": 429}))
        with pytest.raises(RateLimited) as caught:
            h.poll(h.mentions_query(), None)
    assert caught.value.reset_at == T0 + timedelta(minutes=15)


def test_emulator_429_after_its_limit_maps_to_rate_limited() -> None:
    with harness(complaints(1), limits={"search": 1}) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        with pytest.raises(RateLimited) as caught:
            h.poll(query, cursor)
        reset = int(h.emulator._windows["search"].reset)
    assert caught.value.reset_at == datetime.fromtimestamp(reset, UTC)


@pytest.mark.parametrize(
    "fault",
    [
        Fault(path=SEARCH, status=500, body={"title": "Internal"}),
        Fault(path=SEARCH, status=503, body="<html>over capacity</html>"),
        Fault(path=SEARCH, truncate=True),
        Fault(path=SEARCH, reset=True),
        Fault(path=SEARCH, status=502, body=["not", "an", "object"]),
    ],
    ids=["500", "503-html", "truncated-json", "connection-reset", "502-json-list"],
)
def test_server_and_transport_failures_are_transient(fault: Fault) -> None:
    with harness(complaints(3)) as h:
        h.emulator.inject(fault)
        with pytest.raises(TransientError):
            h.poll(h.mentions_query(), None)


def test_slow_answer_times_out_quickly_as_transient() -> None:
    with harness(complaints(1), request_timeout_s=0.3) as h:
        h.emulator.inject(Fault(path=SEARCH, delay=0.8))
        started = time.monotonic()
        with pytest.raises(TransientError, match="in time"):
            h.poll(h.mentions_query(), None)
        assert time.monotonic() - started < 0.75


def test_failure_mid_window_keeps_the_old_cursor_so_the_retry_loses_nothing() -> None:
    seed = complaints(1)
    burst = complaints(15, start=5)
    with harness(seed, max_results=10) as h:
        query = h.mentions_query()
        cursor = last_cursor(h.poll(query, None))
        h.world.add(*burst)
        pages = h.source.poll(query, cursor)
        stored: list[Page] = [next(pages)]  # page 1 arrives; page 2 will fail
        h.emulator.inject(Fault(path=SEARCH, status=503, body={}))
        with pytest.raises(TransientError):
            stored.extend(pages)
        retry = h.poll(query, last_cursor(stored) or cursor)
    assert [p.cursor for p in stored] == [None]
    assert sorted(mention_ids(retry)) == sorted(p.id for p in burst)


def test_malformed_items_are_logged_and_skipped_the_rest_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = {
        "data": [
            {"id": "1900000000000000003", "text": "Tienda Sol bien", "author_id": "7",
             "created_at": "2025-03-10T12:00:00.000Z"},
            {"id": "1900000000000000002", "author_id": "7", "created_at": "2025-03-10T11:00:00Z"},
            {"id": "1900000000000000001", "text": "sin autor"},
            {"id": "1900000000000000000", "text": "fecha rota", "author_id": "7",
             "created_at": "ayer"},
            "not a tweet",
        ],
        "includes": {"users": [{"id": "7", "username": "ok", "name": "Ok"}]},
        "meta": {"result_count": 5, "newest_id": "1900000000000000003"},
    }
    with harness() as h, caplog.at_level(logging.WARNING):
        h.emulator.replay(SEARCH, body)
        (page,) = h.poll(h.mentions_query(), None)
    assert mention_ids([page]) == ["1900000000000000003"]
    assert page.skipped == 4
    assert page.items_read == 5
    assert "1900000000000000002" in page.read_ids
    assert page.cursor is not None and page.cursor.state["since_id"] == "1900000000000000003"
    assert "1900000000000000001" in caplog.text and "missing" in caplog.text


@pytest.mark.parametrize("body", [{"data": {"id": "1"}, "meta": {}}, {"data": []}, {}])
def test_page_without_data_list_or_meta_is_transient(body: dict[str, object]) -> None:
    with harness() as h:
        h.emulator.replay(SEARCH, body)
        with pytest.raises(TransientError):
            h.poll(h.mentions_query(), None)


def test_invalid_request_is_a_non_transient_source_error_with_the_reason() -> None:
    envelope = recorded("error_400_invalid_request.json")
    with harness() as h:
        h.emulator.replay(SEARCH, envelope["body"], status=400)
        with pytest.raises(XRequestError) as caught:
            h.poll(h.mentions_query(), None)
    assert isinstance(caught.value, SourceError)
    assert not isinstance(caught.value, TransientError)
    assert "JSON doesn't match expected schema" in str(caught.value)


def test_query_x_would_reject_is_reported_not_retried_forever() -> None:
    with harness() as h:
        query = h.mentions_query()
        broken = type(query)(query.brand, "k", '("Tienda Sol" OR', query.accounts, {})
        with pytest.raises(XRequestError, match="400"):
            h.poll(broken, None)


def test_bearer_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    with harness([tweet("Tienda Sol hola")]) as h, caplog.at_level(logging.DEBUG):
        h.poll(h.mentions_query(), None)
        bad = TwitterSource(h.source.settings, TOKEN + "-wrong")
        with pytest.raises(AuthError):
            list(bad.poll(h.mentions_query(), None))
        bad.close()
    assert "Making API request" in caplog.text  # tweepy did log its request headers
    assert TOKEN not in caplog.text
    assert "[redacted]" in caplog.text


def test_create_reads_the_token_from_the_named_variable_only() -> None:
    settings = TwitterSettings(enabled=True, bearer_token_env="MY_X_TOKEN")
    with pytest.raises(AuthError) as caught:
        create(settings, {"X_BEARER_TOKEN": "wrong-variable"})
    assert caught.value.env_var == "MY_X_TOKEN" and "MY_X_TOKEN" in str(caught.value)
    source = create(settings, {"MY_X_TOKEN": "abc"})
    assert isinstance(source, TwitterSource) and source.name == "twitter"
    source.close()
