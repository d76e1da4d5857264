"""Two daemons, one poll: the database lease runs a scheduled poll once per interval in all.

Why: every daemon keeps its own APScheduler timer for `poll:<source>`, out of phase with the
others'. A lease that is only held while the poll runs stops two polls at the same instant
but still lets each daemon poll once per interval (three daemons, three times the X reads
the schedule asks for). The lease is therefore kept for the rest of the interval by the
daemon that polled, which renews it on its own schedule; another daemon takes over only
when the holder stops polling.

The daemons here are real `Daemon` objects with their own database pools (as separate
processes would have), sharing one fake clock; their scheduled job functions are called
directly at chosen instants, so the assertions do not depend on timing. The emulator's
request log tells whether a poll reached the API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.config import Config, load_config
from monitor.runtime import Runtime
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.twitter_api import TwitterEmulator
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.scheduler import LEASE_TTL, Daemon
from monitor.storage import leases
from monitor.storage.db import Database, open_database
from monitor.storage.tables import LeaseRow

REPO = Path(__file__).resolve().parents[2]
INTERVAL = timedelta(minutes=5)
T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


class Clock:
    """The one clock both daemons read, moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class GatedWorld(World):
    """A world whose next read can be held open, to keep a poll in flight on demand."""

    def __init__(self, posts: list[WorldPost]) -> None:
        super().__init__(posts)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self._armed = False

    def hold_next_read(self) -> None:
        self._armed, self.entered = True, threading.Event()
        self.release.clear()

    def posts(self, platform: str) -> list[WorldPost]:
        if self._armed:
            self._armed = False
            self.entered.set()
            self.release.wait(timeout=30)
        return super().posts(platform)


@pytest.fixture
def world() -> GatedWorld:
    at = datetime.now(UTC) - timedelta(minutes=30)
    return GatedWorld([WorldPost("twitter", twitter_id(at, 1), "1501", "laura", "Laura",
                                 "Tienda Sol, mi pedido nunca llegó", at, lang="es")])


@pytest.fixture
def box(world: GatedWorld) -> Iterator[Sandbox]:
    sandbox = Sandbox(world=world).start()
    yield sandbox
    sandbox.stop()


def only_x(box: Sandbox, db_url: str) -> Config:
    """X alone, polled every INTERVAL: one poll job per daemon, one lease to fight over."""
    config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
    minutes = INTERVAL.total_seconds() / 60
    sources = {
        "twitter": config.sources.twitter.model_copy(update={"interval_minutes": minutes}),
        "reddit": config.sources.reddit.model_copy(update={"enabled": False}),
        "facebook": config.sources.facebook.model_copy(update={"enabled": False}),
    }
    return config.model_copy(update={"sources": config.sources.model_copy(update=sources)})


class Pair:
    """Two collect daemons, A and B, as two processes would run them."""

    def __init__(self, box: Sandbox, db_url: str, clock: Clock) -> None:
        config = only_x(box, db_url)
        self.dbs: list[Database] = []
        self.daemons: dict[str, Daemon] = {}
        for name in ("A", "B"):
            db = open_database(db_url, migrate=False)
            self.dbs.append(db)
            rt = Runtime(config=config, db=db, env=box.environment(config), clock=clock,
                         worker_id=f"daemon-{name}")
            daemon = Daemon(rt, role="collect")
            daemon.schedule()
            self.daemons[name] = daemon
        emulator = box.emulators["twitter"]
        assert isinstance(emulator, TwitterEmulator)
        self.x = emulator

    def poll_job(self, name: str) -> Callable[[], None]:
        """What APScheduler runs when daemon `name`'s poll timer fires."""
        job = self.daemons[name].scheduler.get_job("poll:twitter")
        assert job is not None
        return job.func  # type: ignore[no-any-return]

    def fire(self, name: str) -> bool:
        """Fire daemon `name`'s poll timer now; True when it reached the X API."""
        before = len(self.x.requests)
        self.poll_job(name)()
        return len(self.x.requests) > before

    def holder(self) -> tuple[str, datetime] | None:
        with self.dbs[0].transaction() as s:
            row = s.execute(select(LeaseRow).where(LeaseRow.name == "poll:twitter")).scalar()
            return None if row is None else (row.holder, row.expires_at)

    def close(self) -> None:
        for db in self.dbs:
            db.dispose()


@pytest.fixture
def pair(box: Sandbox, db_url: str) -> Iterator[tuple[Pair, Clock]]:
    clock = Clock(T0)
    daemons = Pair(box, db_url, clock)
    yield daemons, clock
    daemons.close()


def test_out_of_phase_daemons_poll_once_per_interval_in_all(pair: tuple[Pair, Clock]) -> None:
    daemons, clock = pair
    fired: list[tuple[str, bool]] = []
    # A's timer fires on the hour and every 5 minutes; B's two minutes later each time.
    for minute in range(0, 20):
        clock.at = T0 + timedelta(minutes=minute)
        if minute % 5 == 0:
            fired.append(("A", daemons.fire("A")))
        if minute % 5 == 2:
            fired.append(("B", daemons.fire("B")))
    polls = [name for name, polled in fired if polled]
    assert polls == ["A", "A", "A", "A"], fired  # one poll per interval, not one per daemon
    holder = daemons.holder()
    assert holder is not None and holder[0] == "daemon-A"
    assert holder[1] == T0 + timedelta(minutes=15) + INTERVAL  # held to the next due time


def test_another_daemon_takes_over_when_the_holder_stops(pair: tuple[Pair, Clock]) -> None:
    daemons, clock = pair
    assert daemons.fire("A")
    clock.at = T0 + INTERVAL - timedelta(seconds=1)
    assert not daemons.fire("B")  # A's poll is still the current one
    # A is gone (stopped, killed, partitioned): its lease runs out one interval after its poll.
    clock.at = T0 + INTERVAL + timedelta(seconds=1)
    assert daemons.fire("B")
    clock.at = T0 + INTERVAL + timedelta(minutes=2)
    assert not daemons.fire("A")  # back again, A now waits for B's lease
    holder = daemons.holder()
    assert holder is not None and holder[0] == "daemon-B"


def test_a_poll_in_flight_is_never_run_twice(pair: tuple[Pair, Clock], world: GatedWorld) -> None:
    daemons, clock = pair
    world.hold_next_read()
    a = threading.Thread(target=daemons.poll_job("A"))
    a.start()
    try:
        assert world.entered.wait(timeout=30), "A's poll never reached the API"
        during = len(daemons.x.requests)
        holder = daemons.holder()
        assert holder == ("daemon-A", T0 + LEASE_TTL)  # held for the run, TTL as the bound
        # B's timer fires while A is mid-poll, even long after A's interval has passed: A is
        # alive, so its heartbeat has kept renewing the lease.
        clock.at = T0 + INTERVAL + timedelta(minutes=1)
        daemons.daemons["A"].heartbeat()
        assert daemons.holder() == ("daemon-A", clock.at + LEASE_TTL)
        daemons.poll_job("B")()
        assert len(daemons.x.requests) == during, "B polled while A's poll was running"
    finally:
        world.release.set()
        a.join(timeout=30)
    assert not a.is_alive()
    # A's poll started at T0 and ran past its interval: the lease is free for the next timer.
    holder = daemons.holder()
    assert holder is not None and holder[1] == T0 + INTERVAL < clock.at
    assert daemons.fire("B")


def test_a_daemon_killed_mid_poll_loses_its_lease_within_the_ttl(
        pair: tuple[Pair, Clock], world: GatedWorld) -> None:
    """A killed daemon stops its heartbeat: its lease lapses LEASE_TTL after the last beat,
    and the next timer of a live daemon polls (not 10 minutes or an interval later)."""
    daemons, clock = pair
    assert LEASE_TTL < INTERVAL
    world.hold_next_read()
    a = threading.Thread(target=daemons.poll_job("A"))
    a.start()
    try:
        assert world.entered.wait(timeout=30), "A's poll never reached the API"
        clock.at = T0 + timedelta(seconds=10)
        daemons.daemons["A"].heartbeat()  # A's last beat; then it is SIGKILLed (no more beats)
        last_beat = clock.at
        clock.at = last_beat + LEASE_TTL - timedelta(seconds=1)
        assert not daemons.fire("B")  # within the TTL A may only be slow
        clock.at = last_beat + LEASE_TTL + timedelta(seconds=1)
        assert daemons.fire("B"), "B could not take over the dead daemon's poll"
        holder = daemons.holder()
        assert holder is not None and holder[0] == "daemon-B"
    finally:
        world.release.set()
        a.join(timeout=30)
    # A's stuck thread ending late (a "zombie" poll) leaves B's lease alone
    holder = daemons.holder()
    assert holder is not None and holder[0] == "daemon-B"


def test_racing_acquires_have_one_winner(db_url: str) -> None:
    """The lease itself: many workers asking at the same instant, exactly one gets it."""
    workers = 6
    dbs = [open_database(db_url, migrate=False) for _ in range(workers)]
    start = threading.Barrier(workers)
    won: list[str] = []

    def ask(i: int) -> None:
        start.wait(timeout=30)
        with dbs[i].transaction() as s:
            if leases.acquire(s, "poll:twitter", f"w{i}", INTERVAL, T0):
                won.append(f"w{i}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(workers)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(won) == 1, won
        # The winner renews its own lease; the others still cannot take it before it expires.
        with dbs[0].transaction() as s:
            assert leases.acquire(s, "poll:twitter", won[0], INTERVAL, T0 + timedelta(minutes=1))
            loser = next(f"w{i}" for i in range(workers) if f"w{i}" != won[0])
            assert not leases.acquire(s, "poll:twitter", loser, INTERVAL,
                                      T0 + timedelta(minutes=5))
            assert leases.acquire(s, "poll:twitter", loser, INTERVAL,
                                  T0 + timedelta(minutes=6, seconds=1))
    finally:
        for db in dbs:
            db.dispose()
