"""The exactly-once send path on X: tweepy against the X emulator, the real database.

Every failure test ends by counting what the platform received: one reply, never two."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from alerts import delivery
from alerts.reply_send import ReplyRequest, SendOutcome, resume, send_reply
from monitor.config import Config
from monitor.sandbox.http import Fault
from monitor.sandbox.slack_api import SlackEmulator
from monitor.sandbox.twitter_api import VALID_TOKEN, TwitterEmulator
from monitor.sandbox.world import World as SandboxWorld
from monitor.sandbox.world import WorldPost
from monitor.storage.db import Database
from monitor.storage.tables import PlatformReplyRow, ReplyRow
from sources.reply_base import PostedReply, ReplyTarget
from sources.twitter_reply import TwitterReplier
from tests.alerts.conftest import Sleeper, World
from tests.alerts.replies.conftest import (
    BRAND_X_ID,
    OTHER,
    USER,
    Case,
    at,
    post_case,
    reply_config,
    x_replier,
)

TEXT = "Hola Ana, lo sentimos mucho. ¿Nos escribes por DM con tu número de pedido?"


@pytest.fixture
def config() -> Config:
    return reply_config()


@pytest.fixture
def case(db: Database, config: Config, world: World, client: WebClient,
         emulator: SlackEmulator, sandbox: SandboxWorld) -> Case:
    return post_case(db, config, world, client, emulator, sandbox)


def request(case: Case, *, text: str = TEXT, user: str = USER, view: str = "V0001",
            confirm: bool = False) -> ReplyRequest:
    return ReplyRequest(case.key, text, user, "ana", view, confirm)


def send(db: Database, replier: Any, req: ReplyRequest, config: Config,
         minute: float = 14) -> SendOutcome:
    return send_reply(db, {"twitter": replier}, req, at(minute), config=config)


def items(db: Database) -> list[PlatformReplyRow]:
    with db.transaction() as s:
        rows = list(s.execute(select(PlatformReplyRow).order_by(PlatformReplyRow.id)).scalars())
        for r in rows:
            s.expunge(r)
        return rows


def test_reply_is_posted_in_thread_and_closes_the_case(
        db: Database, config: Config, world: World, case: Case, x_api: TwitterEmulator,
        emulator: SlackEmulator, client: WebClient) -> None:
    outcome = send(db, x_replier(x_api), request(case), config)
    assert outcome.status == "sent", outcome.message
    (posted,) = x_api.posted
    assert (posted["in_reply_to"], posted["text"], posted["user"]) == (
        case.external_id, TEXT, "tiendasol")
    assert outcome.permalink == f"https://x.com/tiendasol/status/{posted['id']}"
    alert = world.alert(case.mention_id)
    assert (alert.state, alert.closed_by, alert.close_reason) == ("answered", USER,
                                                                  "slack_reply")
    stored = alert.payload["slack_reply"]
    assert (stored["user"], stored["text"], stored["external_id"], stored["minutes"]) == (
        USER, TEXT, posted["id"], 14.0)
    with db.transaction() as s:
        reply = s.execute(select(ReplyRow)).scalar_one()
        assert (reply.parent_external_id, reply.account) == (case.external_id, "tiendasol")
    delivery.deliver(db, client, config, at(15), sleep=Sleeper())
    shown = json.dumps(case.message.blocks, ensure_ascii=False)
    assert f"Respondido desde Slack por <@{USER}> en 14 min" in shown  # brand language: es
    assert "vigia_answered" not in shown  # buttons gone: the SLA clock is stopped
    (note,) = emulator.thread(case.message)
    assert f"<@{USER}>" in note.text and posted["id"] in note.text


def test_double_submit_and_slack_retry_post_once(db: Database, config: Config, case: Case,
                                                 x_api: TwitterEmulator) -> None:
    replier = x_replier(x_api)
    first = send(db, replier, request(case), config)
    again = send(db, replier, request(case), config, 14.1)
    assert (first.status, again.status) == ("sent", "already_sent")
    assert len(x_api.posted) == 1


def test_colleague_sees_answered_meanwhile_and_must_confirm(
        db: Database, config: Config, case: Case, x_api: TwitterEmulator) -> None:
    replier = x_replier(x_api)
    assert send(db, replier, request(case), config).status == "sent"
    late = send(db, replier, request(case, user=OTHER, view="V0002", text="Otra"), config)
    assert late.status == "answered_meanwhile" and late.answered_by == USER
    assert len(x_api.posted) == 1
    confirmed = send(db, replier, request(case, user=OTHER, view="V0002", text="Otra",
                                          confirm=True), config)
    assert confirmed.status == "sent" and len(x_api.posted) == 2
    twice = send(db, replier, request(case, user=OTHER, view="V0002", text="Otra",
                                      confirm=True), config)
    assert twice.status == "already_sent" and len(x_api.posted) == 2


def test_answered_on_the_platform_meanwhile_sends_nothing(
        db: Database, config: Config, world: World, case: Case, x_api: TwitterEmulator) -> None:
    world.reply(case.mention_id, at=at(12))
    outcome = send(db, x_replier(x_api), request(case), config)
    assert outcome.status == "answered_meanwhile" and outcome.answered_by == "tiendasol"
    assert x_api.posted == [] and items(db) == []


class Killed(BaseException):
    """What a SIGKILL looks like to the code after it: nothing more runs."""


class KilledAfterPost:
    """Posts for real, then dies before Vigía can commit (test-side wrapper, real client)."""

    source = "twitter"
    limit = 280

    def __init__(self, inner: TwitterReplier) -> None:
        self.inner = inner

    def post(self, target: ReplyTarget, text: str) -> PostedReply:
        self.inner.post(target, text)
        raise Killed

    def find(self, target: ReplyTarget, since: Any) -> PostedReply | None:
        return self.inner.find(target, since)

    def verify(self) -> str:
        return self.inner.verify()

    def close(self) -> None:
        self.inner.close()


def test_kill_between_platform_call_and_commit_gives_one_reply_after_restart(
        db: Database, config: Config, world: World, case: Case, x_api: TwitterEmulator) -> None:
    with pytest.raises(Killed):
        send(db, KilledAfterPost(x_replier(x_api)), request(case), config)
    (item,) = items(db)
    assert (item.state, item.uncertain) == ("sending", True)
    retry = send(db, x_replier(x_api), request(case), config, 14.5)  # Slack retries meanwhile
    assert retry.status == "in_progress" and len(x_api.posted) == 1
    (outcome,) = resume(db, {"twitter": x_replier(x_api)}, at(17), config=config)
    assert outcome.status == "sent"
    assert len(x_api.posted) == 1  # found on the brand's timeline, adopted, not re-posted
    assert world.alert(case.mention_id).state == "answered"
    assert items(db)[0].external_id == x_api.posted[0]["id"]


def test_kill_before_the_platform_call_sends_once_on_resume(
        db: Database, config: Config, world: World, case: Case, x_api: TwitterEmulator) -> None:
    class KilledBeforePost(KilledAfterPost):
        def post(self, target: ReplyTarget, text: str) -> PostedReply:
            raise Killed

    with pytest.raises(Killed):
        send(db, KilledBeforePost(x_replier(x_api)), request(case), config)
    assert resume(db, {"twitter": x_replier(x_api)}, at(15), config=config) == []  # leased
    (outcome,) = resume(db, {"twitter": x_replier(x_api)}, at(17), config=config)
    assert outcome.status == "sent" and len(x_api.posted) == 1


def test_timeout_after_x_posted_is_reconciled_not_reposted(
        db: Database, config: Config, world: World, case: Case, x_api: TwitterEmulator) -> None:
    x_api.inject(Fault(path=r"^/2/tweets$", delay=1.5))  # X posts, the answer comes too late
    outcome = send(db, x_replier(x_api, timeout_s=0.5), request(case), config)
    assert outcome.status == "uncertain" and "checks whether" in outcome.message
    (outcome,) = resume(db, {"twitter": x_replier(x_api)}, at(15), config=config)
    assert outcome.status == "sent" and len(x_api.posted) == 1


def test_concurrent_submissions_by_two_managers_post_once(
        db: Database, config: Config, case: Case, x_api: TwitterEmulator) -> None:
    x_api.inject(Fault(path=r"^/2/tweets$", delay=0.3))  # keep the first send in flight
    results: list[SendOutcome] = []
    barrier = threading.Barrier(2)

    def manager(user: str, view: str) -> None:
        barrier.wait()
        results.append(send(db, x_replier(x_api), request(case, user=user, view=view),
                            config))

    threads = [threading.Thread(target=manager, args=(u, v))
               for u, v in ((USER, "V1"), (OTHER, "V2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses in (["answered_meanwhile", "sent"], ["in_progress", "sent"])
    assert len(x_api.posted) == 1


@pytest.mark.parametrize(("setup", "kind", "words"), [
    ("duplicate", "duplicate", "exactly the same words"),
    ("restricted", "forbidden", "limited who can reply"),
    ("deleted", "gone", "deleted"),
    ("app_only", "auth", "app-only"),
    ("rate_limited", "rate_limited", "after 11:30 UTC"),
])
def test_x_refusals_in_plain_words_nothing_posted_text_kept(
        db: Database, config: Config, case: Case, x_api: TwitterEmulator,
        sandbox: SandboxWorld, setup: str, kind: str, words: str) -> None:
    token = None
    if setup == "duplicate":
        sandbox.add(WorldPost("twitter", "1", BRAND_X_ID, "tiendasol", "Sol", TEXT,
                              at(-60), by_brand=True))
    elif setup == "restricted":
        x_api.reply_restricted.add(case.external_id)
    elif setup == "deleted":
        sandbox._posts = [p for p in sandbox._posts if p.id != case.external_id]
    elif setup == "app_only":
        token = VALID_TOKEN
    else:
        reset = int(at(30).timestamp())
        x_api.inject(Fault(path=r"^/2/tweets$", status=429, headers={
            "x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
            body={"title": "Too Many Requests", "detail": "Too Many Requests",
                  "type": "about:blank", "status": 429}))
    replier = x_replier(x_api, token=token) if token else x_replier(x_api)
    if setup == "app_only":
        replier._me = ("1", "tiendasol")  # app-only cannot call users/me either; see check
    outcome = send(db, replier, request(case), config)
    assert (outcome.status, outcome.error_kind) == ("failed", kind)
    assert words in outcome.message
    assert [p for p in x_api.posted] == []
    (item,) = items(db)
    assert (item.state, item.uncertain, item.text) == ("pending", False, TEXT)
    if setup == "rate_limited":
        assert outcome.retry_at == at(30)


def test_after_a_refusal_the_edited_text_is_sent(db: Database, config: Config, case: Case,
                                                 x_api: TwitterEmulator,
                                                 sandbox: SandboxWorld) -> None:
    sandbox.add(WorldPost("twitter", "1", BRAND_X_ID, "tiendasol", "Sol", TEXT, at(-60),
                          by_brand=True))
    replier = x_replier(x_api)
    assert send(db, replier, request(case), config).error_kind == "duplicate"
    edited = TEXT + " Gracias."
    assert send(db, replier, request(case, text=edited), config, 15).status == "sent"
    assert [p["text"] for p in x_api.posted] == [edited]
