"""Delivery through slack_sdk to the Slack emulator: order, once-only, outages, crashes."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient

from alerts import delivery, engine
from monitor.config import Config
from monitor.sandbox.http import Fault
from monitor.sandbox.slack_api import VALID_TOKEN, SlackEmulator
from monitor.storage import alerts as store
from monitor.storage.db import Database
from monitor.storage.outbox import enqueue
from tests.alerts.conftest import (
    CHANNEL,
    ONCALL,
    OPS,
    Sleeper,
    World,
    make_client,
    make_config,
    minutes,
    real_now,
)


@pytest.fixture
def config() -> Config:
    """Round the clock: these tests run at the real time of day (the emulator's ts are real)."""
    return make_config(escalation={"business_hours": {"days": []}})


def queue_alerts(db: Database, config: Config, world: World, n: int,
                 now: datetime) -> datetime:
    """`n` mentions alerted at `now` (returned), queued in creation order."""
    for i in range(n):
        world.mention(f"queja número {i}", at=now - minutes(30) + timedelta(seconds=i))
    assert engine.run(db, config, now).new_alerts == n
    return now


def texts(emulator: SlackEmulator, channel: str = CHANNEL) -> list[str]:
    return [m.text for m in emulator.top_level(channel)]


def posts(emulator: SlackEmulator) -> int:
    return len(emulator.requests_to(r"chat\.postMessage$"))


def test_alert_thread_and_update_reach_slack(db: Database, config: Config, world: World,
                                             emulator: SlackEmulator, client: WebClient,
                                             sleeper: Sleeper) -> None:
    now = real_now()
    mid = world.mention("El paquete llegó roto y nadie responde", at=now - minutes(130))
    engine.run(db, config, now)
    report = delivery.deliver(db, client, config, now, sleep=sleeper)
    assert (report.sent, report.pending, report.failed) == (1, 0, 0)
    (message,) = emulator.top_level(CHANNEL)
    assert message.metadata == {"event_type": "vigia_alert",
                                "event_payload": {"key": f"mention:{mid}"}}
    assert any(b["type"] == "actions" for b in message.blocks)
    assert "El paquete llegó roto" in json.dumps(message.blocks, ensure_ascii=False)
    alert = world.alert(mid)
    assert (alert.slack_ts, alert.slack_channel_id) == (message.ts, message.channel)

    later = now + minutes(15)
    assert engine.run(db, config, later).escalations == 1
    delivery.deliver(db, client, config, later, sleep=sleeper)
    (escalation,) = emulator.thread(message)
    assert f"<!subteam^{ONCALL}>" in escalation.text
    assert message.updates == 1 and "Escalada" in json.dumps(message.blocks)

    world.reply(mid, at=now - minutes(93))
    engine.run(db, config, later + minutes(1))
    delivery.deliver(db, client, config, later + minutes(1), sleep=sleeper)
    assert message.updates == 2
    shown = json.dumps(message.blocks, ensure_ascii=False)
    assert "Respondida por @tiendasol en 37 min" in shown
    assert not any(b["type"] == "actions" for b in message.blocks)
    assert emulator.thread(message)[-1].text == "✅ Respondida por @tiendasol en 37 min"


def test_injection_in_a_post_pings_nobody(db: Database, config: Config, world: World,
                                          emulator: SlackEmulator, client: WebClient,
                                          sleeper: Sleeper) -> None:
    now = real_now()
    world.mention("<!channel> <!here> @everyone <@U999> <https://evil.example|tu banco> fatal",
                  at=now - minutes(30), name="<!subteam^S1> Troll", handle="troll")
    engine.run(db, config, now)
    delivery.deliver(db, client, config, now, sleep=sleeper)
    (request,) = emulator.requests_to(r"chat\.postMessage$")
    sent = request.form()
    raw = sent["text"] + sent["blocks"]
    for attack in ("<!channel>", "<!here>", "<@U999>", "<!subteam^S1>", "<https://evil"):
        assert attack not in raw
    assert "&lt;!channel&gt;" in raw
    assert sent.get("link_names") in (None, "", "0", "false")


def test_rate_limit_waits_for_retry_after_and_sends_once(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper) -> None:
    now = queue_alerts(db, config, world, 2, real_now())
    emulator.inject(Fault(path=r"chat\.postMessage$", status=429,
                          headers={"Retry-After": "30"},
                          body={"ok": False, "error": "ratelimited"}))
    report = delivery.deliver(db, client, config, now, sleep=sleeper)
    assert (report.sent, report.pending) == (0, 2)
    assert report.retry_at == now + timedelta(seconds=30)
    assert texts(emulator) == [] and sleeper.calls == []
    assert posts(emulator) == 1  # the round stopped: the second item was not tried

    assert delivery.deliver(db, client, config, now + timedelta(seconds=29),
                            sleep=sleeper).sent == 0
    assert posts(emulator) == 1  # nothing tried before Retry-After, not even item 2
    report = delivery.deliver(db, client, config, now + timedelta(seconds=30), sleep=sleeper)
    assert (report.sent, report.pending, report.reconciled) == (2, 0, 0)
    assert [t.split(": ")[-1] for t in texts(emulator)] == ["queja número 0", "queja número 1"]


def test_short_retry_after_is_slept_through(db: Database, config: Config, world: World,
                                            emulator: SlackEmulator, client: WebClient,
                                            sleeper: Sleeper) -> None:
    now = queue_alerts(db, config, world, 1, real_now())
    emulator.inject(Fault(path=r"chat\.postMessage$", status=429, headers={"Retry-After": "1"},
                          body={"ok": False, "error": "ratelimited"}))
    assert delivery.deliver(db, client, config, now, sleep=sleeper).sent == 1
    assert sleeper.calls == [1.0] and len(texts(emulator)) == 1


@pytest.mark.parametrize("fault", [
    Fault(path=r"chat\.postMessage$", status=503, body="Service Unavailable", times=-1),
    Fault(path=r"chat\.postMessage$", reset=True, times=-1),
    Fault(path=r"chat\.postMessage$", status=500, body={"ok": False, "error": "internal_error"},
          times=-1),
], ids=["503", "reset", "500-json"])
def test_outage_then_recovery_in_order_without_loss_or_duplicates(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper, fault: Fault) -> None:
    now = queue_alerts(db, config, world, 3, real_now())
    emulator.inject(fault)
    t = now
    retry_ats = []
    for _ in range(4):  # the outage lasts several rounds; each backs off further
        report = delivery.deliver(db, client, config, t, sleep=sleeper)
        assert report.sent == 0 and report.pending == 3
        if report.retry_at:
            retry_ats.append(report.retry_at - t)
            t = report.retry_at
    assert retry_ats == sorted(retry_ats) and len(retry_ats) == 4
    assert texts(emulator) == []
    # during the outage the engine queues more alerts; they line up behind the first ones
    world.mention("queja número 3", at=t - minutes(20))
    engine.run(db, config, t)
    emulator.clear_faults()
    report = delivery.deliver(db, client, config, t, sleep=sleeper)
    assert (report.sent, report.pending) == (4, 0)
    assert [x.split(": ")[-1] for x in texts(emulator)] == [
        f"queja número {i}" for i in range(4)]
    assert len({(m.metadata or {})["event_payload"]["key"]
                for m in emulator.top_level(CHANNEL)}) == 4


def test_crash_between_send_and_record_is_reconciled(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper, monkeypatch: pytest.MonkeyPatch) -> None:
    now = queue_alerts(db, config, world, 1, real_now())

    def crash(*_a: object, **_k: object) -> None:
        raise SystemExit("killed after chat.postMessage")

    monkeypatch.setattr(delivery.store, "record_sent", crash)
    with pytest.raises(SystemExit):
        delivery.deliver(db, client, config, now, sleep=sleeper)
    monkeypatch.undo()
    assert len(texts(emulator)) == 1
    (item,) = world.outbox()
    assert (item.state, item.attempts) == ("pending", 1)
    # the in-flight lease keeps other workers off it for a while, then it is reconciled
    assert delivery.deliver(db, client, config, now + minutes(1), sleep=sleeper).sent == 0
    report = delivery.deliver(db, client, config, now + minutes(3), sleep=sleeper)
    assert (report.sent, report.reconciled) == (0, 1)
    assert posts(emulator) == 1 and len(texts(emulator)) == 1
    history = emulator.requests_to(r"conversations\.history$")[0].form()
    assert history["include_all_metadata"] in ("1", "true", "True")
    alert = world.alerts()[0]
    assert alert.slack_ts == emulator.top_level(CHANNEL)[0].ts


def test_an_uncertain_item_holds_back_only_itself_and_its_thread(
        db: Database, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-call leaves one item whose fate is unknown for its in-flight lease.
    Only that item (and its thread reply and card update, which need it) waits; the 30 alerts
    queued behind it go out once a live worker's call would have ended, still in order."""
    config = make_config(escalation={"business_hours": {"days": []},
                                     "crisis": {"enabled": False}})  # 30 cards, not a crisis
    now = queue_alerts(db, config, world, 1, real_now())
    monkeypatch.setattr(delivery.store, "record_sent", lambda *a: (_ for _ in ()).throw(
        SystemExit("killed after chat.postMessage")))
    with pytest.raises(SystemExit):
        delivery.deliver(db, client, config, now, sleep=sleeper)
    monkeypatch.undo()
    (first,) = world.outbox()
    with db.transaction() as s:
        enqueue(s, key="note:first", op="thread", channel=CHANNEL, now=now,
                payload={"parent_key": first.key, "text": "nota en el hilo"})
        enqueue(s, key="card:first", op="update", channel=CHANNEL, now=now,
                payload={"target_key": first.key, "text": "tarjeta actualizada"})
    for i in range(30):
        world.mention(f"queja detrás {i}", at=now - minutes(20) + timedelta(seconds=i))
    assert engine.run(db, config, now).new_alerts == 30

    # while a live worker's call could still be under way, the channel has one sender
    assert delivery.deliver(db, client, config, now + timedelta(seconds=5),
                            sleep=sleeper).sent == 0
    after_call = now + delivery.CHANNEL_HOLD + timedelta(seconds=1)
    assert after_call < now + delivery.IN_FLIGHT_LEASE
    report = delivery.deliver(db, client, config, after_call, sleep=sleeper)
    assert (report.sent, report.reconciled, report.pending) == (30, 0, 3)
    sent = [m.text.split(": ")[-1] for m in emulator.top_level(CHANNEL)]
    assert sent[1:] == [f"queja detrás {i}" for i in range(30)]  # in order
    landed = emulator.top_level(CHANNEL)[0]
    assert emulator.thread(landed) == [] and landed.updates == 0  # they wait for its ts
    assert world.outbox(key=first.key)[0].attempts == 1  # not re-sent while uncertain

    report = delivery.deliver(db, client, config, now + minutes(3), sleep=sleeper)
    assert (report.sent, report.reconciled, report.pending) == (2, 1, 0)
    assert len(emulator.top_level(CHANNEL)) == 31 and posts(emulator) == 32
    assert [m.text for m in emulator.thread(landed)] == ["nota en el hilo"]
    assert landed.updates == 1


def test_crash_on_a_thread_reply_is_reconciled_with_replies(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper, monkeypatch: pytest.MonkeyPatch) -> None:
    now = real_now()
    world.mention(at=now - minutes(200))
    engine.run(db, config, now - minutes(30))
    delivery.deliver(db, client, config, now - minutes(30), sleep=sleeper)
    assert engine.run(db, config, now).escalations == 1
    original = delivery.store.record_sent

    def crash_on_thread(session: object, item_id: int, *a: object) -> None:
        if world.outbox(id=item_id)[0].op == "thread":
            raise SystemExit("killed")
        original(session, item_id, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(delivery.store, "record_sent", crash_on_thread)
    with pytest.raises(SystemExit):
        delivery.deliver(db, client, config, now, sleep=sleeper)
    monkeypatch.undo()
    report = delivery.deliver(db, client, config, now + minutes(3), sleep=sleeper)
    assert report.reconciled == 1
    (parent,) = emulator.top_level(CHANNEL)
    assert len(emulator.thread(parent)) == 1
    assert emulator.requests_to(r"conversations\.replies$")


def test_threads_and_updates_wait_for_their_parent(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper) -> None:
    now = real_now()
    world.mention(at=now - minutes(200))
    engine.run(db, config, now - minutes(30))
    assert engine.run(db, config, now).escalations == 1  # post, thread, update all pending
    emulator.inject(Fault(path=r"chat\.postMessage$", status=503, body="down"))
    assert delivery.deliver(db, client, config, now, sleep=sleeper).sent == 0
    assert emulator.requests_to(r"chat\.update$") == []
    report = delivery.deliver(db, client, config, now + minutes(5), sleep=sleeper)
    assert (report.sent, report.pending) == (3, 0)
    (parent,) = emulator.top_level(CHANNEL)
    assert len(emulator.thread(parent)) == 1 and parent.updates == 1


def test_unknown_channel_fails_visibly_and_tells_ops(db: Database, world: World,
                                                     sleeper: Sleeper) -> None:
    emulator = SlackEmulator(channels={"vigia-ops": "C0OPS0001"}, strict_channels=True)
    emulator.start()
    try:
        client = make_client(emulator)
        config = make_config(brand={"slack_channel": "#does-not-exist"},
                             escalation={"business_hours": {"days": []}})
        now = queue_alerts(db, config, world, 2, real_now())
        report = delivery.deliver(db, client, config, now, sleep=sleeper)
        assert (report.sent, report.failed) == (1, 1)  # the ops notice went out
        (notice,) = emulator.top_level(OPS)
        assert "channel_not_found" in notice.text and "#does-not-exist" in notice.text
        with db.transaction() as s:
            summary = store.outbox_summary(s)
        assert (summary["failed"], summary["pending"], summary["dead"]) == (1, 1, 0)
        assert "channel_not_found" in summary["last_error"]
        # retried slowly, and the same problem is not announced again that day
        delivery.deliver(db, client, config, now + minutes(31), sleep=sleeper)
        assert len(emulator.top_level(OPS)) == 1
        # fixed: the channel now exists; everything is delivered in order
        emulator.channels["does-not-exist"] = "C0FIXED01"
        report = delivery.deliver(db, client, config, now + minutes(62), sleep=sleeper)
        assert report.sent == 2
        assert len(emulator.top_level("C0FIXED01")) == 2
    finally:
        emulator.stop()


def test_not_in_channel_and_invalid_blocks(db: Database, config: Config, world: World,
                                           emulator: SlackEmulator, client: WebClient,
                                           sleeper: Sleeper) -> None:
    now = queue_alerts(db, config, world, 2, real_now())
    emulator.inject(Fault(path=r"chat\.postMessage$", status=200,
                          body={"ok": False, "error": "not_in_channel"}))
    report = delivery.deliver(db, client, config, now, sleep=sleeper)
    assert report.failed == 1 and report.sent == 1  # only the ops notice
    assert "invite" in emulator.top_level(OPS)[0].text
    first, second = world.outbox(op="post")
    assert first.state == "pending" and "not_in_channel" in (first.last_error or "")
    assert second.attempts == 0  # held behind the first: order is kept
    emulator.inject(Fault(path=r"chat\.postMessage$", status=200,
                          body={"ok": False, "error": "invalid_blocks"}))
    report = delivery.deliver(db, client, config, now + minutes(30), sleep=sleeper)
    assert world.outbox(id=first.id)[0].state == "dead"
    assert report.sent == 2  # the next alert and the ops notice about the refusal


def test_invalid_token_stops_the_round_and_never_logs_the_token(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        sleeper: Sleeper, caplog: pytest.LogCaptureFixture) -> None:
    secret = "xoxb-wrong-secret-123"
    caplog.set_level(logging.DEBUG)
    now = queue_alerts(db, config, world, 2, real_now())
    report = delivery.deliver(db, make_client(emulator, secret), config, now, sleep=sleeper)
    assert (report.sent, report.failed, report.pending) == (0, 1, 2)
    assert posts(emulator) == 1
    assert "invalid_auth" in caplog.text
    assert secret not in caplog.text and VALID_TOKEN not in caplog.text
    problems = delivery.check_slack(make_client(emulator, secret), config)
    assert len(problems) == 1 and "SLACK_BOT_TOKEN" in problems[0]
    assert secret not in problems[0]


def test_check_slack(emulator: SlackEmulator, config: Config) -> None:
    channels = {b.slack_channel for b in config.brands} | {config.slack.ops_channel} | {
        b.marketing_channel for b in config.brands if b.marketing_channel}
    for channel in channels:  # the workspace has them (names resolve via conversations.list)
        emulator.channel_messages(channel)
    assert delivery.check_slack(make_client(emulator), config) == []
    strict = SlackEmulator(channels={"alerts-sol": "C0SOL0001"}, strict_channels=True)
    strict.start()
    try:
        problems = delivery.check_slack(make_client(strict), config)
    finally:
        strict.stop()
    assert len(problems) == 1
    assert problems[0].startswith("slack.ops_channel = '#vigia-ops': channel_not_found")
    assert delivery.check_slack(WebClient(token=""), config) == [
        "slack.token_env: environment variable SLACK_BOT_TOKEN is not set"]


def test_ops_items_are_delivered_to_the_ops_channel(db: Database, config: Config,
                                                    emulator: SlackEmulator,
                                                    client: WebClient, sleeper: Sleeper) -> None:
    now = real_now()
    with db.transaction() as s:
        engine.enqueue_ops_notice(s, config, "reddit:auth", "Reddit login failed", now)
        enqueue(s, key="ops:plain", op="ops", channel=OPS,
                payload={"text": "feed <!channel> failed"}, now=now)
    assert delivery.deliver(db, client, config, now, sleep=sleeper).sent == 2
    assert [m.text for m in emulator.top_level(OPS)] == [
        "🛠 Reddit login failed", "feed &lt;!channel&gt; failed"]


def test_timeout_backs_off_then_reconciles_the_slow_post(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        sleeper: Sleeper) -> None:
    now = queue_alerts(db, config, world, 1, real_now())
    client = make_client(emulator)
    client.timeout = 0.2  # type: ignore[assignment]  # urllib takes float seconds
    emulator.inject(Fault(path=r"chat\.postMessage$", delay=0.4))
    report = delivery.deliver(db, client, config, now, sleep=sleeper)
    assert report.sent == 0 and report.retry_at is not None
    assert report.retry_at - now >= timedelta(seconds=delivery.BACKOFF_BASE_S / 2)
    (item,) = world.outbox()
    assert "timed out" in (item.last_error or "")
    # Slack processed the slow call after we gave up; by the retry (seconds later) it is there
    deadline = time.monotonic() + 5
    while not emulator.messages and time.monotonic() < deadline:
        time.sleep(0.02)
    report = delivery.deliver(db, client, config, report.retry_at, sleep=sleeper)
    assert (report.sent, report.reconciled) == (0, 1)
    assert len(texts(emulator)) == 1 and posts(emulator) == 1


def test_reconcile_by_channel_name_that_slack_cannot_resolve_posts_again(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper, monkeypatch: pytest.MonkeyPatch) -> None:
    now = queue_alerts(db, config, world, 1, real_now())
    monkeypatch.setattr(delivery.store, "record_sent", lambda *a: (_ for _ in ()).throw(
        SystemExit("killed")))
    with pytest.raises(SystemExit):
        delivery.deliver(db, client, config, now, sleep=sleeper)
    monkeypatch.undo()
    # a channel the bot cannot list (no channels:read scope) and whose history it cannot read
    emulator.inject(Fault(path=r"conversations\.list$", status=200, times=-1,
                          body={"ok": False, "error": "missing_scope"}))
    emulator.inject(Fault(path=r"conversations\.history$", status=200,
                          body={"ok": False, "error": "channel_not_found"}))
    report = delivery.deliver(db, client, config, now + minutes(3), sleep=sleeper)
    assert report.sent == 1  # a possible duplicate, never a lost alert
    assert world.outbox()[0].state == "sent"


def test_update_of_a_deleted_message_is_dropped_quietly(
        db: Database, config: Config, world: World, emulator: SlackEmulator,
        client: WebClient, sleeper: Sleeper) -> None:
    now = real_now()
    mid = world.mention(at=now - minutes(30))
    engine.run(db, config, now)
    delivery.deliver(db, client, config, now, sleep=sleeper)
    emulator.messages.clear()  # someone deleted the alert message
    world.reply(mid, at=now)
    engine.run(db, config, now + minutes(1))
    report = delivery.deliver(db, client, config, now + minutes(1), sleep=sleeper)
    assert world.outbox(op="update")[0].state == "dead"
    assert world.outbox(op="ops") == [] and report.failed == 0  # nobody needs to act
