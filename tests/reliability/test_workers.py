"""Three `vigia run` workers share one stream of 10,000 mentions through PostgreSQL.

Why this test exists: scale-out must not buy throughput with duplicates or losses. The
workers are real processes (`python -m monitor.cli run --role all`) against the loopback
emulators, so polls, score claims and Slack delivery race for real. What each worker did
is recorded by the database itself: audit triggers installed for the test note every score
insert and every outbox attempt together with the connection's `application_name` (one per
worker). A BEFORE INSERT trigger fires even for a row that `ON CONFLICT DO NOTHING` then
drops, so a mention scored twice is caught although the unique key hides it in `scores`.

On SQLite (the embedded, single-process default) the multi-worker roles are refused before
anything touches the database: that is the whole SQLite half of this file.
"""

from __future__ import annotations

import collections
import random
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from monitor.config import Config, EscalationSettings, load_config
from monitor.sandbox.runner import Sandbox
from monitor.sandbox.world import World, WorldPost, twitter_id
from monitor.storage.db import Database, open_database
from monitor.storage.tables import AlertRow, MentionRow, OutboxRow, ReplyRow, ScoreRow
from tests.conftest import BACKEND
from tests.process_harness import fast_scoring, vigia_process, write_config

REPO = Path(__file__).resolve().parents[2]
STREAM = 10_000
WORKERS = ("vigia-w1", "vigia-w2", "vigia-w3")
ALERT_CHANNEL = "#tienda-sol-alertas"
PAGE_ID = "104000000000001"
# (text, language X tags it with): X tags most posts, Reddit and Facebook never do.
COMPLAINTS = [
    ("Pésimo servicio de Tienda Sol, mi pedido nunca llegó y nadie responde", "es"),
    ("Tienda Sol me cobró dos veces y no me devuelven el dinero, una vergüenza", "es"),
    ("Tienda Sol sent me a broken blender and support ignores me. Worst store ever", "en"),
]
OTHERS = [
    ("Me encantó mi compra en Tienda Sol, llegó en dos días. ¡Gracias!", "es"),
    ("Tienda Sol is amazing, fast delivery and great quality, love it", "en"),
    ("Adorei a Tienda Sol, entrega super rápida, recomendo!", "pt"),
    ("¿Tienda Sol hace envíos a Canarias?", "es"),
    ("Does Tienda Sol ship to Canada?", "en"),
]
SETTLE_TIMEOUT_S = 240.0  # orchestration bound only: a hung run fails with its progress shown

AUDIT_SQL = """
CREATE TABLE IF NOT EXISTS test_worker_audit (
    kind text NOT NULL, ref bigint NOT NULL, worker text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE OR REPLACE FUNCTION test_audit_score() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO test_worker_audit (kind, ref, worker)
    VALUES ('score', NEW.mention_id, current_setting('application_name'));
    RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION test_audit_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.attempts > OLD.attempts THEN
        INSERT INTO test_worker_audit (kind, ref, worker)
        VALUES ('attempt', NEW.id, current_setting('application_name'));
    END IF;
    IF NEW.state = 'sent' AND OLD.state <> 'sent' THEN
        INSERT INTO test_worker_audit (kind, ref, worker)
        VALUES ('sent', NEW.id, current_setting('application_name'));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_audit_score BEFORE INSERT ON scores
    FOR EACH ROW EXECUTE FUNCTION test_audit_score();
CREATE TRIGGER test_audit_outbox AFTER UPDATE ON outbox
    FOR EACH ROW EXECUTE FUNCTION test_audit_outbox();
"""
DROP_AUDIT_SQL = """
DROP TRIGGER IF EXISTS test_audit_score ON scores;
DROP TRIGGER IF EXISTS test_audit_outbox ON outbox;
DROP FUNCTION IF EXISTS test_audit_score();
DROP FUNCTION IF EXISTS test_audit_outbox();
DROP TABLE IF EXISTS test_worker_audit;
"""


def stream(n: int, now: datetime, *, seed: int = 11) -> tuple[World, set[tuple[str, str]]]:
    """`n` mentions over the 50 minutes before `now`: 3 in 4 on X, the rest on Reddit and the
    brand's Facebook Page; about 1 in 40 a complaint, a quarter of those answered by the
    brand. Returns the world and the (source, external_id) every mention must be stored as.

    Complaints are rare on purpose: a realistic share keeps the Slack traffic (one message
    per alert, in order, per channel) within the test's time while still putting a few
    hundred alerts through three competing delivery workers.
    """
    rng = random.Random(seed)
    world = World()
    expected: set[tuple[str, str]] = set()
    complaints = 0
    for i in range(n):
        at = now - timedelta(minutes=50) + timedelta(seconds=i * 2700 / n)
        negative = rng.random() < 1 / 40
        text_, lang = rng.choice(COMPLAINTS if negative else OTHERS)
        text_ = f"{text_} #{i}"
        platform = rng.choice(["twitter"] * 6 + ["reddit", "facebook"])
        if platform == "twitter":
            pid = twitter_id(at, i)
            post = WorldPost("twitter", pid, f"u{i}", f"user{i}", f"User {i}", text_, at,
                             followers=rng.randint(0, 5000), lang=lang, thread_id=pid)
            expected.add(("twitter", pid))
        elif platform == "reddit":
            post = WorldPost("reddit", f"w{i:05d}", f"t2_w{i}", f"ruser{i}", f"ruser{i}",
                             text_, at, thread_id=f"t3_w{i:05d}", kind="submission",
                             subreddit="compras")
            expected.add(("reddit", f"t3_w{i:05d}"))
        else:
            post = WorldPost("facebook", f"{PAGE_ID}_800_{i}", f"f{i}", "", f"User {i}",
                             text_, at, thread_id=f"{PAGE_ID}_800", kind="comment")
            expected.add(("facebook", post.id))
        world.add(post)
        if negative and platform == "twitter":
            complaints += 1
            if complaints % 4 == 0:
                reply_at = at + timedelta(minutes=2)
                world.add(WorldPost("twitter", twitter_id(reply_at, 4095 - i % 1000), "9001",
                                    "tiendasol", "Tienda Sol",
                                    f"@user{i} Lo sentimos, escríbenos por DM", reply_at,
                                    parent_id=post.id, thread_id=post.id, by_brand=True))
    return world, expected


def worker_config(box: Sandbox, db_url: str) -> Config:
    """Every source polled every 3 s with room for the whole backlog in one poll; no grace
    and no crisis folding, so every unanswered complaint becomes its own Slack alert."""
    config = box.configure(load_config(REPO / "config.toml"), database_url=db_url)
    sources = {name: getattr(config.sources, name).model_copy(update={"interval_minutes": 0.05})
               for name, _ in config.sources.items()}
    sources["twitter"] = sources["twitter"].model_copy(
        update={"max_results": 100, "page_budget": 100})
    brand = config.brands[0]
    escalation = brand.escalation.model_copy(update={
        "grace_minutes": 0,
        "crisis": brand.escalation.crisis.model_copy(update={"enabled": False}),
    })
    return config.model_copy(update={
        "sources": config.sources.model_copy(update=sources),
        "brands": [brand.model_copy(update={"escalation": escalation})],
    })


class Worker:
    """A `vigia run` process whose output is drained as it comes (a full pipe would stall it)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.proc = vigia_process(args, env, cwd)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace"))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(timeout=10)
        return code


def progress(db: Database, threshold: EscalationSettings) -> dict[str, int]:
    """Where the shared work stands: the numbers the wait loop and the failure message show."""
    with db.transaction() as s:
        mentions = s.execute(select(func.count()).select_from(MentionRow)).scalar_one()
        scored = s.execute(select(func.count()).select_from(ScoreRow)).scalar_one()
        due = len(due_alerts(s, threshold))
        alerted = s.execute(select(func.count()).select_from(AlertRow)
                            .where(AlertRow.kind == "mention", AlertRow.state != "answered",
                                   AlertRow.sent_at.is_not(None))).scalar_one()
        pending = s.execute(select(func.count()).select_from(OutboxRow)
                            .where(OutboxRow.state == "pending")).scalar_one()
    return {"mentions": mentions, "scored": scored, "due_alerts": due, "alerted": alerted,
            "outbox_pending": pending}


def due_alerts(session: Session, threshold: EscalationSettings) -> set[int]:
    """Mentions that must reach Slack, no brand reply: complaints at the threshold and, on the
    questions track, questions at theirs (the rule of `alerts.policy.alert_track`)."""
    answered = select(ReplyRow.parent_external_id).where(ReplyRow.source == MentionRow.source)
    wanted = ScoreRow.complaint >= threshold.threshold
    if threshold.questions == "alert":
        wanted = or_(wanted, ScoreRow.question >= threshold.question_threshold)
    stmt = (
        select(MentionRow.id)
        .join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .where(wanted, MentionRow.external_id.not_in(answered))
    )
    return set(session.execute(stmt).scalars())


@pytest.mark.skipif(BACKEND != "postgresql",
                    reason="multi-worker mode is PostgreSQL-only (SQLite: refusal test below)")
def test_three_workers_share_one_stream_exactly_once(tmp_path: Path, db_url: str) -> None:
    now = datetime.now(UTC)
    world, expected = stream(STREAM, now)
    box = Sandbox(world=world, facebook_page_id=PAGE_ID).start()
    db = open_database(db_url, migrate=False)
    workers: list[Worker] = []
    try:
        with db.engine.begin() as conn:
            conn.execute(text(DROP_AUDIT_SQL))
            conn.execute(text(AUDIT_SQL))
        config = worker_config(box, db_url)
        threshold = config.brands[0].escalation
        cfg = write_config(fast_scoring(config), tmp_path / "config.toml")
        env = box.environment(config)
        for name in WORKERS:  # each worker connects under its own application_name
            url = f"{db_url}?application_name={name}"
            workers.append(Worker(name, ["-v", "run", "--role", "all", "--config", str(cfg),
                                         "--db", url], env, tmp_path))

        def settled(state: dict[str, int]) -> bool:
            return (state["mentions"] == len(expected) and state["scored"] == len(expected)
                    and state["alerted"] == state["due_alerts"] > 0
                    and state["outbox_pending"] == 0)

        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        state = progress(db, threshold)
        while not settled(state) and time.monotonic() < deadline:
            crashed = [w for w in workers if w.proc.poll() is not None]
            assert not crashed, f"{crashed[0].name} exited:\n{crashed[0].output}"
            time.sleep(0.5)
            state = progress(db, threshold)
        assert settled(state), f"workers did not finish the stream: {state}"

        codes = {w.name: w.stop() for w in workers}
        for w in workers:
            assert codes[w.name] == 0, f"{w.name} exit {codes[w.name]}:\n{w.output}"
            assert "role all" in w.output and "stopped cleanly" in w.output, w.output
            assert "Traceback" not in w.output and "deadlock" not in w.output, w.output

        with db.transaction() as s:
            stored = [tuple(r) for r in s.execute(select(MentionRow.source,
                                                        MentionRow.external_id))]
            score_audit = s.execute(text(
                "SELECT ref, worker FROM test_worker_audit WHERE kind = 'score'")).all()
            attempt_audit = s.execute(text(
                "SELECT ref, worker FROM test_worker_audit WHERE kind = 'attempt'")).all()
            sent_audit = s.execute(text(
                "SELECT ref, worker FROM test_worker_audit WHERE kind = 'sent'")).all()
            outbox = s.execute(select(OutboxRow.id, OutboxRow.key, OutboxRow.op,
                                      OutboxRow.state, OutboxRow.attempts)).all()
            due = due_alerts(s, threshold)
            alert_keys = set(s.execute(select(AlertRow.key).where(
                AlertRow.kind == "mention", AlertRow.sent_at.is_not(None))).scalars())

        # Collected: every mention of the world stored, once each, none invented.
        assert len(stored) == len(set(stored)) == STREAM
        assert set(stored) == expected

        # Scored: exactly one scoring attempt per mention, all by the three workers.
        scored_by = collections.Counter(ref for ref, _ in score_audit)
        twice = {ref: n for ref, n in scored_by.items() if n > 1}
        assert not twice, f"{len(twice)} mention(s) scored more than once: {list(twice)[:10]}"
        assert len(scored_by) == STREAM
        score_workers = collections.Counter(worker for _, worker in score_audit)
        assert set(score_workers) <= set(WORKERS), score_workers

        # Alerted: each due complaint posted once; every Slack call made exactly once.
        assert len(due) > 100  # the run really pushed a few hundred alerts through the workers
        assert alert_keys >= {f"mention:{mid}" for mid in due}
        posted = [((m.metadata or {}).get("event_payload") or {}).get("key")
                  for m in box.slack.messages]
        dupes = [k for k, n in collections.Counter(posted).items() if n > 1]
        assert not dupes, f"posted to Slack twice: {dupes[:10]}"
        top = {((m.metadata or {}).get("event_payload") or {}).get("key")
               for m in box.slack.top_level(ALERT_CHANNEL)}
        assert {f"mention:{mid}" for mid in due} <= top
        assert top == alert_keys
        once = [o for o in outbox if o.state == "sent" and o.attempts == 1]
        assert len(once) == len(outbox), [o for o in outbox if o not in once][:10]
        messages = {key for _, key, op, *_ in outbox if op in ("post", "thread", "ops")}
        digests = set(posted) - messages  # the weekly digest goes out by its own leased job
        assert all(str(key).startswith("digest:") for key in digests), digests
        assert messages <= set(posted)
        assert sorted(ref for ref, _ in attempt_audit) == sorted(o.id for o in outbox)
        assert sorted(ref for ref, _ in sent_audit) == sorted(o.id for o in outbox)
        send_workers = collections.Counter(worker for _, worker in sent_audit)
        assert set(send_workers) <= set(WORKERS), send_workers
        print(f"\nscored by {dict(score_workers)}; Slack calls by {dict(send_workers)}")
    finally:
        for w in workers:
            w.stop()
        with db.engine.begin() as conn:
            conn.execute(text(DROP_AUDIT_SQL))
        db.dispose()
        box.stop()


@pytest.mark.parametrize("role", ["collect", "score", "alert"])
def test_sqlite_refuses_multi_worker_roles(tmp_path: Path, role: str) -> None:
    """Not a `db` test: it never opens a database, and must hold whatever the backend."""
    database = tmp_path / "vigia.db"
    config = load_config(REPO / "config.toml")
    config = config.model_copy(update={"database": config.database.model_copy(
        update={"url": f"sqlite:///{database}"})})
    cfg = write_config(fast_scoring(config), tmp_path / "config.toml")
    proc = vigia_process(["run", "--role", role, "--config", str(cfg)], {}, tmp_path)
    out, _ = proc.communicate(timeout=60)
    message = out.decode()
    assert proc.returncode == 2, message  # click's usage error: nothing was started
    assert "--role needs PostgreSQL" in message and "SQLite is single-process" in message
    assert "postgresql+psycopg://" in message  # says what to do, not only what is wrong
    assert "daemon started" not in message
    assert not database.exists()  # refused before the database was created or migrated
