"""Latency benchmark: from a complaint appearing on X to its alert in Slack.

    python bench/latency_bench.py --db sqlite|postgresql [--minutes 10] [--per-minute 12]
    python bench/latency_bench.py --db postgresql --workers 3

The real daemon (`python -m monitor.cli run --role all`, one process or several sharing
PostgreSQL) polls the X emulator every minute
with no grace period; complaints (and as many non-complaints) appear at random instants, as
a Poisson stream, each stamped with the moment it became visible. The Slack emulator stamps
each message when it arrives. Target: p95 <= poll interval + 5 s.

Why the breakdown: the wait for the next poll is uniform over the interval by construction
(a post can appear just after a poll), so it dominates; the rest (store, score, decide,
deliver) is what Vigía adds, and is reported per step from the database timestamps
(`fetched_at`, `scored_at`, alert `created_at`) and the Slack arrival time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

import tomlkit  # noqa: E402
from load_bench import drop_database, fresh_database, machine  # noqa: E402

from monitor.config import Config, load_config  # noqa: E402
from monitor.sandbox.facebook_api import FacebookEmulator  # noqa: E402
from monitor.sandbox.http import Request, Response  # noqa: E402
from monitor.sandbox.reddit_api import RedditEmulator  # noqa: E402
from monitor.sandbox.runner import Sandbox  # noqa: E402
from monitor.sandbox.slack_api import SlackEmulator  # noqa: E402
from monitor.sandbox.twitter_api import TwitterEmulator  # noqa: E402
from monitor.sandbox.world import World, WorldPost, twitter_id  # noqa: E402

PG_URL = os.environ.get("VIGIA_BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/vigia_bench_latency")
POLL_MINUTES = 1
TARGET_S = POLL_MINUTES * 60 + 5
CHANNEL = "#tienda-sol-alertas"
COMPLAINTS = [  # texts the bundled model scores negative well above the 0.6 threshold
    ("Pésimo servicio de Tienda Sol, mi pedido nunca llegó y nadie responde", "es"),
    ("Tienda Sol me cobró dos veces y no me devuelven el dinero, una vergüenza", "es"),
    ("Tienda Sol sent me a broken blender and support ignores me. Worst store ever", "en"),
]
OTHERS = [
    ("Me encantó mi compra en Tienda Sol, llegó en dos días. ¡Gracias!", "es"),
    ("Does Tienda Sol ship to Canada?", "en"),
    ("Adorei a Tienda Sol, entrega super rápida, recomendo!", "pt"),
]


class TimedSlack(SlackEmulator):
    """The Slack emulator, noting when each message carrying a metadata key arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    def _post(self, request: Request, match: Any) -> Response:
        response = super()._post(request, match)
        metadata = json.loads(request.form().get("metadata") or "null") or {}
        key = (metadata.get("event_payload") or {}).get("key")
        if key and response.status == 200:
            self.arrived.setdefault(key, time.time())
        return response


def daemon_config(box: Sandbox, db_url: str) -> Config:
    """X polled every minute, no grace, no crisis folding: each complaint is its own alert."""
    config = box.configure(load_config(ROOT / "config.toml"), database_url=db_url)
    sources = config.sources.model_copy(update={
        "twitter": config.sources.twitter.model_copy(update={"interval_minutes": POLL_MINUTES}),
        "reddit": config.sources.reddit.model_copy(update={"enabled": False}),
        "facebook": config.sources.facebook.model_copy(update={"enabled": False}),
    })
    brand = config.brands[0]
    escalation = brand.escalation.model_copy(update={
        "grace_minutes": 0,
        "crisis": brand.escalation.crisis.model_copy(update={"enabled": False}),
    })
    return config.model_copy(update={
        "sources": sources, "brands": [brand.model_copy(update={"escalation": escalation})]})


def feed(world: World, minutes: float, per_minute: float, seed: int) -> dict[str, float]:
    """Post complaints and other mentions at Poisson instants; complaint id -> appeared at."""
    rng = random.Random(seed)
    appeared: dict[str, float] = {}
    end = time.time() + minutes * 60
    i = 0
    while True:
        time.sleep(rng.expovariate(2 * per_minute / 60))  # both kinds, same rate each
        now = time.time()
        if now >= end:
            return appeared
        i += 1
        complaint = rng.random() < 0.5
        text, lang = rng.choice(COMPLAINTS if complaint else OTHERS)
        at = datetime.fromtimestamp(now, UTC)
        pid = twitter_id(at, i)
        world.add(WorldPost("twitter", pid, f"{5000 + i}", f"cliente{i}", f"Cliente {i}",
                            f"{text} #{i}", at, followers=rng.randint(0, 3000), lang=lang,
                            thread_id=pid))
        if complaint:
            appeared[pid] = now


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
            "max": max(values), "mean": statistics.fmean(values)}


def run(backend: str, minutes: float, per_minute: float, pg_url: str, seed: int,
        workers: int = 1) -> dict[str, Any]:
    from sqlalchemy import select

    from monitor.storage.db import open_database
    from monitor.storage.tables import AlertRow, MentionRow, ScoreRow

    world = World()
    slack = TimedSlack()
    box = Sandbox(world=world)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = fresh_database(backend, Path(tmp), pg_url)
        box.emulators = {
            "twitter": TwitterEmulator(world).start(),
            "reddit": RedditEmulator(world).start(),
            "facebook": FacebookEmulator(world, box.facebook_page_id).start(),
            "slack": slack.start(),
        }
        config = daemon_config(box, db_url)
        cfg = Path(tmp) / "config.toml"
        cfg.write_text(tomlkit.dumps(config.model_dump(mode="json", exclude={"path"},
                                                       exclude_none=True)), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
        env.update(box.environment(config), PYTHONUNBUFFERED="1")
        lines: list[str] = []
        started = threading.Semaphore(0)
        procs = [subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--role", "all",
                                   "--config", str(cfg)], env=env, cwd=tmp,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for _ in range(workers)]

        def drain(proc: subprocess.Popen[bytes]) -> None:
            assert proc.stdout is not None
            for raw in proc.stdout:
                lines.append(raw.decode(errors="replace"))
                if "daemon started" in lines[-1]:
                    started.release()

        readers = [threading.Thread(target=drain, args=(p,), daemon=True) for p in procs]
        for reader in readers:
            reader.start()
        try:
            for _ in procs:
                if not started.acquire(timeout=120):
                    raise RuntimeError("daemon did not start:\n" + "".join(lines))
            appeared = feed(world, minutes, per_minute, seed)
            keys: dict[str, str] = {}
            deadline = time.time() + 2 * POLL_MINUTES * 60 + 30
            while time.time() < deadline:  # the last complaints: one more poll and delivery
                db = open_database(db_url, migrate=False)
                with db.transaction() as s:
                    keys = {f"mention:{mid}": ext for mid, ext in s.execute(
                        select(MentionRow.id, MentionRow.external_id)
                        .where(MentionRow.external_id.in_(list(appeared))))}
                db.dispose()
                if len(keys) == len(appeared) and all(k in slack.arrived for k in keys):
                    break
                time.sleep(1)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
            for reader in readers:
                reader.join(timeout=10)
            box.stop()
        db = open_database(db_url, migrate=False)
        with db.transaction() as s:
            rows = s.execute(
                select(MentionRow.external_id, MentionRow.fetched_at, ScoreRow.scored_at,
                       AlertRow.created_at)
                .join(ScoreRow, ScoreRow.mention_id == MentionRow.id, isouter=True)
                .join(AlertRow, AlertRow.mention_id == MentionRow.id, isouter=True)
                .where(MentionRow.external_id.in_(list(appeared)))).all()
        db.dispose()
        drop_database(backend, pg_url)
    by_ext = {ext: key for key, ext in keys.items()}
    total, waits, scoring, deciding, sending = [], [], [], [], []
    for ext, fetched, scored, decided in rows:
        arrived = slack.arrived.get(by_ext.get(ext, ""))
        if arrived is None or scored is None or decided is None:
            continue
        total.append(arrived - appeared[ext])
        waits.append(fetched.timestamp() - appeared[ext])
        scoring.append(scored.timestamp() - fetched.timestamp())
        deciding.append(decided.timestamp() - scored.timestamp())
        sending.append(arrived - decided.timestamp())
    result = {
        "db": backend, "workers": workers, "minutes": minutes, "per_minute": per_minute,
        "complaints": len(appeared), "alerted": len(total),
        "missing": len(appeared) - len(total),
        "slack_messages": len(slack.messages),
        "latency_s": summary(total), "appear_to_stored_s": summary(waits),
        "stored_to_scored_s": summary(scoring), "scored_to_decided_s": summary(deciding),
        "decided_to_slack_s": summary(sending), "target_s": TARGET_S,
        "meets_target": bool(total) and percentile(total, 0.95) <= TARGET_S,
        "errors": [line.strip() for line in lines if "Traceback" in line or "ERROR" in line],
        "load_avg": os.getloadavg()[0],
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--per-minute", type=float, default=12.0,
                        help="complaints per minute (as many other mentions come too)")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--workers", type=int, default=1,
                        help="daemons (`run --role all`); more than one needs PostgreSQL")
    args = parser.parse_args()
    if args.workers > 1 and args.db != "postgresql":
        parser.error("several workers need --db postgresql (SQLite is single-process)")
    print(f"# {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    result = run(args.db, args.minutes, args.per_minute, args.pg_url, args.seed, args.workers)
    print(json.dumps(result, indent=1))
    lat = result["latency_s"]
    if lat:
        print(f"{args.db} x{args.workers}: {result['alerted']}/{result['complaints']} "
              "complaints alerted; "
              f"latency p50 {lat['p50']:.1f} s, p95 {lat['p95']:.1f} s, max {lat['max']:.1f} s "
              f"(target p95 <= {TARGET_S} s: {'met' if result['meets_target'] else 'MISSED'})")


if __name__ == "__main__":
    main()
