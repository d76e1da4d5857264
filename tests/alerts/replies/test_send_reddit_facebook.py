"""Reddit (praw) and Facebook (httpx) replies against their emulators: happy path, each
refusal in plain words, and a kill between the platform call and the commit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from alerts.reply_send import ReplyRequest, resume, send_reply
from monitor.config import Config
from monitor.sandbox.facebook_api import PAGE_TOKEN, FacebookEmulator
from monitor.sandbox.reddit_api import CLIENT_ID, CLIENT_SECRET, RedditEmulator
from monitor.sandbox.slack_api import SlackEmulator
from monitor.sandbox.world import World as SandboxWorld
from monitor.storage.db import Database
from sources.facebook_reply import FacebookReplier
from sources.reddit_reply import RedditReplier
from sources.reply_base import PostedReply, Replier, ReplyTarget
from tests.alerts.conftest import World
from tests.alerts.replies.conftest import NOW, USER, Case, at, post_case, reply_config

PAGE_ID = "104000000000001"
TEXT = "Hola Ana, lo sentimos. ¿Nos escribes por mensaje privado con tu pedido?"


@pytest.fixture
def config() -> Config:
    return reply_config()


@pytest.fixture
def reddit_api(sandbox: SandboxWorld) -> Iterator[RedditEmulator]:
    emu = RedditEmulator(sandbox, users={"tiendasol_oficial": "pw"}, clock=lambda: NOW)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def facebook_api(sandbox: SandboxWorld) -> Iterator[FacebookEmulator]:
    emu = FacebookEmulator(sandbox, PAGE_ID)
    emu.clock = lambda: NOW
    emu.start()
    yield emu
    emu.stop()


def reddit(emu: RedditEmulator, password: str = "pw") -> RedditReplier:
    return RedditReplier(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                         username="tiendasol_oficial", password=password,
                         user_agent="python:vigia-test:0.1 (by /u/tiendasol_oficial)",
                         api_base=emu.base_url, timeout_s=5, now=lambda: NOW)


def facebook(emu: FacebookEmulator, token: str = PAGE_TOKEN) -> FacebookReplier:
    return FacebookReplier(token, api_base=emu.base_url, timeout_s=5, now=lambda: NOW)


def make_case(db: Database, config: Config, world: World, client: WebClient,
              emulator: SlackEmulator, sandbox: SandboxWorld, source: str) -> Case:
    return post_case(db, config, world, client, emulator, sandbox, source=source)


def send(db: Database, source: str, replier: Any, case: Case, config: Config,
         text: str = TEXT, minute: float = 14) -> Any:
    return send_reply(db, {source: replier}, ReplyRequest(case.key, text, USER, "ana", "V1"),
                      at(minute), config=config)


def test_reddit_reply_as_the_brand_account(db: Database, config: Config, world: World,
                                           client: WebClient, emulator: SlackEmulator,
                                           sandbox: SandboxWorld,
                                           reddit_api: RedditEmulator) -> None:
    case = make_case(db, config, world, client, emulator, sandbox, "reddit")
    outcome = send(db, "reddit", reddit(reddit_api), case, config)
    assert outcome.status == "sent", outcome.message
    (posted,) = reddit_api.posted
    assert (posted["parent"], posted["text"], posted["user"]) == (
        f"t1_{case.external_id}", TEXT, "tiendasol_oficial")
    assert outcome.permalink.startswith("https://www.reddit.com/r/")
    assert world.alert(case.mention_id).state == "answered"


@pytest.mark.parametrize(("setup", "kind", "words"), [
    ("ratelimit", "rate_limited", "doing that too much: wait 5 minutes"),
    ("locked", "gone", "locked"),
    ("archived", "gone", "archived"),
    ("deleted", "gone", "deleted"),
    ("password", "auth", "login"),
])
def test_reddit_refusals_in_plain_words(db: Database, config: Config, world: World,
                                        client: WebClient, emulator: SlackEmulator,
                                        sandbox: SandboxWorld, reddit_api: RedditEmulator,
                                        setup: str, kind: str, words: str) -> None:
    case = make_case(db, config, world, client, emulator, sandbox, "reddit")
    fullname = f"t1_{case.external_id}"
    if setup == "ratelimit":
        reddit_api.ratelimit_minutes = 5
    elif setup == "locked":
        reddit_api.locked.add(fullname)
    elif setup == "archived":
        reddit_api.archived.add(fullname)
    elif setup == "deleted":
        sandbox._posts = [p for p in sandbox._posts if p.id != case.external_id]
    replier = reddit(reddit_api, "wrong" if setup == "password" else "pw")
    outcome = send(db, "reddit", replier, case, config)
    assert (outcome.status, outcome.error_kind) == ("failed", kind)
    assert words in outcome.message and reddit_api.posted == []
    if setup == "ratelimit":
        assert outcome.retry_at == NOW + (at(5) - at(0))


def test_facebook_reply_as_the_page(db: Database, config: Config, world: World,
                                    client: WebClient, emulator: SlackEmulator,
                                    sandbox: SandboxWorld,
                                    facebook_api: FacebookEmulator) -> None:
    case = make_case(db, config, world, client, emulator, sandbox, "facebook")
    outcome = send(db, "facebook", facebook(facebook_api), case, config)
    assert outcome.status == "sent", outcome.message
    (posted,) = facebook_api.posted
    assert (posted["parent"], posted["message"]) == (case.external_id, TEXT)
    assert outcome.permalink.startswith(f"https://www.facebook.com/{PAGE_ID}/posts/")
    token_in_body = facebook_api.requests_to(r"/comments$")[-1]
    assert "access_token" not in str(token_in_body.query)  # form body, not a logged URL


@pytest.mark.parametrize(("setup", "kind", "words"), [
    ("permission", "permission", "pages_manage_engagement"),
    ("deleted", "gone", "no longer exists"),
    ("token", "auth", "Graph error 190"),
])
def test_facebook_refusals_in_plain_words(db: Database, config: Config, world: World,
                                          client: WebClient, emulator: SlackEmulator,
                                          sandbox: SandboxWorld,
                                          facebook_api: FacebookEmulator, setup: str,
                                          kind: str, words: str) -> None:
    case = make_case(db, config, world, client, emulator, sandbox, "facebook")
    if setup == "permission":
        facebook_api.missing_permission = True
    elif setup == "deleted":
        sandbox._posts = [p for p in sandbox._posts if p.id != case.external_id]
    replier = facebook(facebook_api, "expired" if setup == "token" else PAGE_TOKEN)
    outcome = send(db, "facebook", replier, case, config)
    assert (outcome.status, outcome.error_kind) == ("failed", kind)
    assert words in outcome.message and facebook_api.posted == []


class Killed(BaseException):
    pass


class KilledAfterPost:
    def __init__(self, inner: Replier) -> None:
        self.inner = inner
        self.source, self.limit = inner.source, inner.limit

    def post(self, target: ReplyTarget, text: str) -> PostedReply:
        self.inner.post(target, text)
        raise Killed

    def find(self, target: ReplyTarget, since: Any) -> PostedReply | None:
        return self.inner.find(target, since)

    def verify(self) -> str:
        return self.inner.verify()

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("source", ["reddit", "facebook"])
def test_kill_after_post_then_restart_gives_one_reply(
        db: Database, config: Config, world: World, client: WebClient,
        emulator: SlackEmulator, sandbox: SandboxWorld, reddit_api: RedditEmulator,
        facebook_api: FacebookEmulator, source: str) -> None:
    case = make_case(db, config, world, client, emulator, sandbox, source)
    make = (lambda: reddit(reddit_api)) if source == "reddit" else (
        lambda: facebook(facebook_api))
    api: Any = reddit_api if source == "reddit" else facebook_api
    with pytest.raises(Killed):
        send(db, source, KilledAfterPost(make()), case, config)
    (outcome,) = resume(db, {source: make()}, at(17), config=config)
    assert outcome.status == "sent" and len(api.posted) == 1
    assert world.alert(case.mention_id).state == "answered"
