"""Three `vigia run --role all` daemons on PostgreSQL: one SIGKILLed mid-poll, another
mid-Slack-call. Their work passes to the live daemons in seconds, not minutes.

Why: a poll lease used to be taken for max(10 min, interval), so a daemon killed while polling
kept the source for ten minutes and no replacement could take it over; a Slack call killed
mid-flight held back every later message of its channel for its two-minute in-flight lease.
Now a job's lease lasts LEASE_TTL and a heartbeat renews it while the work runs, and only the
uncertain Slack item (and what hangs off it) waits for its lease.

The daemons are real processes against the loopback emulators. Which one to kill is read from
the database: a lease's holder names its host and pid. Assertions are on database facts (when a
lease expires, when items were sent) and on what Slack received; the waits are orchestration
bounds only, so a hung run fails with its progress shown.
"""

from __future__ import annotations

import collections
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from alerts.delivery import CHANNEL_HOLD, IN_FLIGHT_LEASE
from monitor.config import Config, load_config
from monitor.pipeline import run_cycle
from monitor.runtime import Runtime
from monitor.sandbox.http import Fault
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.scheduler import LEASE_TTL
from monitor.storage.db import Database, open_database
from monitor.storage.tables import LeaseRow, MentionRow, OutboxRow
from tests.conftest import BACKEND
from tests.process_harness import fast_scoring, write_config
from tests.reliability.test_workers import COMPLAINTS, Worker

REPO = Path(__file__).resolve().parents[2]
ALERT_CHANNEL = "#tienda-sol-alertas"
ALERTS = 6
SLACK_HANG_S = 10.0  # the first alert's chat.postMessage hangs this long: its sender dies in it
STEP_TIMEOUT_S = 120.0  # orchestration bound per step only
HANDOVER = timedelta(seconds=30)  # a dead daemon's poll lease lapses within this of the kill

pytestmark = pytest.mark.skipif(BACKEND != "postgresql",
                                reason="several workers need PostgreSQL (SQLite refuses them)")


class HeldWorld(World):
    """A world whose next X read can be held open, so a poll is in flight when it is killed."""

    def __init__(self, posts: list[WorldPost]) -> None:
        super().__init__(posts)
        self.entered = threading.Event()
        self.release = threading.Event()
        self._armed = True

    def posts(self, platform: str) -> list[WorldPost]:
        if platform == "twitter" and self._armed:
            self._armed = False
            self.entered.set()
            self.release.wait(timeout=STEP_TIMEOUT_S)
        return super().posts(platform)


def complaints(now: datetime) -> list[WorldPost]:
    posts = []
    for i in range(ALERTS):
        at = now - timedelta(minutes=20) + timedelta(seconds=i)
        text, lang = COMPLAINTS[i % len(COMPLAINTS)]
        pid = twitter_id(at, i)
        posts.append(WorldPost("twitter", pid, f"u{i}", f"user{i}", f"User {i}",
                               f"{text} #{i}", at, followers=100, lang=lang, thread_id=pid))
    return posts


def failover_config(box: Sandbox, db_url: str) -> Config:
    """X alone, polled every 6 s; every complaint its own alert at once, round the clock; no
    digest (its Slack post would take the hanging call meant for an alert)."""
    config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
    sources = {name: settings.model_copy(update={"enabled": name == "twitter",
                                                 "interval_minutes": 0.1})
               for name, settings in config.sources.items()}
    brand = config.brands[0]
    escalation = brand.escalation.model_copy(update={
        "grace_minutes": 0,
        "business_hours": brand.escalation.business_hours.model_copy(update={"days": []}),
        "crisis": brand.escalation.crisis.model_copy(update={"enabled": False}),
    })
    brand = brand.model_copy(update={
        "escalation": escalation, "digest": brand.digest.model_copy(update={"enabled": False})})
    return config.model_copy(update={"sources": config.sources.model_copy(update=sources),
                                     "brands": [brand]})


def leases(db: Database, prefix: str) -> list[tuple[str, str, datetime]]:
    with db.transaction() as s:
        rows = s.execute(select(LeaseRow.name, LeaseRow.holder, LeaseRow.expires_at)
                         .where(LeaseRow.name.like(f"{prefix}%"))).all()
    return [(str(n), str(h), e) for n, h, e in rows]


def pid_of(holder: str) -> int:
    """Lease holders are `host:pid:token` (daemons' worker ids and delivery rounds alike)."""
    return int(holder.split(":")[1])


def wait_for(what: str, done: Callable[[], Any], show: Callable[[], object]) -> Any:
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        result = done()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: {show()}")


class Fleet:
    """The running daemons, by name; kills by pid."""

    def __init__(self, cfg: Path, db_url: str, env: dict[str, str], cwd: Path) -> None:
        self.args = ["run", "--role", "all", "--config", str(cfg), "--db", db_url]
        self.env, self.cwd = env, cwd
        self.workers: dict[str, Worker] = {}

    def start(self, name: str) -> None:
        self.workers[name] = Worker(name, self.args, self.env, self.cwd)

    def kill(self, pid: int) -> tuple[str, datetime]:
        (name,) = [n for n, w in self.workers.items() if w.proc.pid == pid]
        worker = self.workers.pop(name)
        os.kill(pid, signal.SIGKILL)
        worker.proc.wait(timeout=30)
        return name, datetime.now(UTC)

    def check_alive(self) -> None:
        for w in self.workers.values():
            assert w.proc.poll() is None, f"{w.name} exited:\n{w.output}"

    def stop(self) -> None:
        for w in self.workers.values():
            w.stop()


@pytest.fixture
def world() -> HeldWorld:
    return HeldWorld(complaints(datetime.now(UTC)))


@pytest.fixture
def box(world: HeldWorld) -> Iterator[Sandbox]:
    sandbox = Sandbox(world=world).start()
    yield sandbox
    world.release.set()
    sandbox.stop()


def test_killed_daemons_hand_over_a_poll_and_a_channel_in_seconds(
        tmp_path: Path, db_url: str, world: HeldWorld, box: Sandbox) -> None:
    config = failover_config(box, db_url)
    cfg = write_config(fast_scoring(config), tmp_path / "config.toml")
    db = open_database(db_url, migrate=False)
    fleet = Fleet(cfg, db_url, box.environment(config), tmp_path)
    slack = box.slack
    slack.inject(Fault(path=r"chat\.postMessage$", delay=SLACK_HANG_S, times=1))

    def outbox() -> list[Any]:
        with db.transaction() as s:
            return list(s.execute(select(OutboxRow.id, OutboxRow.key, OutboxRow.op,
                                         OutboxRow.state, OutboxRow.attempts,
                                         OutboxRow.sent_at).order_by(OutboxRow.id)))

    def stored() -> int:
        with db.transaction() as s:
            return int(s.execute(select(func.count()).select_from(MentionRow)).scalar_one())

    def progress() -> str:
        return f"mentions {stored()}, leases {leases(db, '')}, outbox {outbox()}"

    try:
        for name in ("w1", "w2", "w3"):
            fleet.start(name)

        # 1. SIGKILL the daemon whose poll is in flight
        assert world.entered.wait(timeout=STEP_TIMEOUT_S), progress()
        fleet.check_alive()
        [(_, poller, _)] = leases(db, "poll:twitter")
        dead, killed_at = fleet.kill(pid_of(poller))
        [(_, holder, expires)] = leases(db, "poll:twitter")
        assert holder == poller
        # its lease runs out one TTL after its last heartbeat, not 10 minutes after the poll
        assert LEASE_TTL <= HANDOVER
        assert expires <= killed_at + HANDOVER, (expires, killed_at)
        fleet.start("w4")  # the replacement, with a new worker id
        world.release.set()  # the dead daemon's read is answered into the void
        wait_for("a live daemon to poll", lambda: stored() == ALERTS, progress)
        [(_, holder, _)] = leases(db, "poll:twitter")
        assert pid_of(holder) in {w.proc.pid for w in fleet.workers.values()}
        fleet.check_alive()

        # 2. SIGKILL the daemon whose chat.postMessage is in flight (Slack hangs on it)
        def in_flight() -> list[tuple[str, str, datetime]]:
            return leases(db, "outbox:") if slack.requests_to(r"chat\.postMessage$") else []

        [(name, sender, held_until)] = wait_for("a Slack call in flight", in_flight, progress)
        uncertain = int(name.removeprefix("outbox:"))
        fleet.kill(pid_of(sender))

        def others_sent() -> bool:
            rows = [r for r in outbox() if r.op == "post"]
            return len(rows) == ALERTS and all(
                r.state == "sent" for r in rows if r.id != uncertain)

        wait_for("the rest of the channel", others_sent, progress)
        fleet.check_alive()
        rows = {r.id: r for r in outbox()}
        started = held_until - IN_FLIGHT_LEASE
        others = [r for r in rows.values() if r.id != uncertain and r.op == "post"]
        # they went out while the uncertain item was still held, not after its lease
        assert all(started + CHANNEL_HOLD <= r.sent_at < held_until for r in others), (
            started, held_until, [r.sent_at for r in others])
        assert rows[uncertain].attempts == 1  # nobody re-sent it while it was uncertain
        codes = {w.name: w.stop() for w in list(fleet.workers.values())}
        fleet.workers.clear()
        assert set(codes.values()) == {0}, codes

        # 3. after its lease, the uncertain item is reconciled with Slack, never re-posted
        wait_for("the hanging call to land", lambda: len(slack.top_level(ALERT_CHANNEL)) ==
                 ALERTS, progress)
        later = datetime.now(UTC) + IN_FLIGHT_LEASE + timedelta(minutes=1)
        rt = Runtime(config=load_config(cfg), db=open_database(db_url, migrate=False),
                     env=box.environment(config), clock=lambda: later)
        report = run_cycle(rt, digests=False)
        rt.close()
        assert report.delivery is not None and report.delivery.reconciled == 1
        keys = [((m.metadata or {}).get("event_payload") or {}).get("key")
                for m in slack.top_level(ALERT_CHANNEL)]
        assert len(keys) == ALERTS and not [k for k, n in collections.Counter(keys).items()
                                            if n > 1]
        assert all(r.state == "sent" for r in outbox())
        print(f"\npoller {dead} killed; lease expired {expires - killed_at} after the kill")
    finally:
        fleet.stop()
        db.dispose()
