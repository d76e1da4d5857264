"""Load benchmark: a backlog of mentions through collect -> store -> score -> escalate.

    python bench/load_bench.py --sizes 10000,100000 --db sqlite
    python bench/load_bench.py --sizes 10000,100000 --db postgresql [--pg-url URL]

Why it is built this way:
- The pipeline is the real one (`collect_source`, `score_pending` with the bundled model,
  `escalate`), and collection goes through the real X client (tweepy over HTTP) against the
  loopback X emulator, in pages of 100 with a pagination budget of 100 pages per poll.
- Each size runs in a fresh process, so its peak RSS (`ru_maxrss`) is its own, and the X
  emulator runs in a second process, so its memory and CPU are not counted as Vigía's (the
  real X is another machine).
- The stock emulator re-filters and re-sorts the whole world on every page (and finds a
  reply's parent by a linear scan): O(N) per page, O(N²) per backlog, about 40 minutes of
  emulator time for 100,000 posts. The emulator here indexes the world instead (a sorted id
  array per query, a dict for parents) and renders every page with the stock code, so the
  client sees the same bytes; only the server's own cost is removed. The rate limit is
  raised: at X's real 450 search requests per 15 minutes a 100,000-post backlog takes at
  least 33 minutes to read, whatever the client does.
- "collect" is fetch + normalise + keyword match + language detection; "store" is the
  page's transaction (mentions, brand replies, billed reads, cursor, commit); the split is
  measured by wrapping the pipeline's own functions, nothing in production code knows.
- Escalation runs with no grace period and crisis folding off, so every unanswered
  complaint becomes an alert with its rendered card and suggestions (the expensive path).
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import multiprocessing
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.sandbox.http import Request, Response  # noqa: E402
from monitor.sandbox.twitter_api import (  # noqa: E402
    EXPANSIONS,
    SEARCH_PARAMS,
    TWEET_FIELDS,
    USER_FIELDS,
    TwitterEmulator,
    _check_params,
    _fields,
    _id_arg,
    _int_arg,
    _token,
)
from monitor.sandbox.twitter_search import compile_query  # noqa: E402
from monitor.sandbox.world import World, WorldPost, twitter_id  # noqa: E402

PG_URL = os.environ.get("VIGIA_BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/vigia_bench")
X_TOKEN = "sandbox-x-bearer"
BRAND = "Tienda Sol"
HANDLE = "tiendasol"

# Texts: complaints, praise and questions in the brand's languages, varied enough that no
# two mentions are the same string (real backlogs are not one tweet repeated).
PRODUCTS = {
    "es": ["pedido", "paquete", "reembolso", "licuadora", "chaqueta", "móvil", "sofá"],
    "en": ["order", "parcel", "refund", "blender", "jacket", "phone", "sofa"],
    "pt": ["pedido", "pacote", "reembolso", "liquidificador", "jaqueta", "celular", "sofá"],
}
COMPLAINTS = {
    "es": ["Pésimo servicio de {b}, mi {p} nunca llegó y nadie responde ({d} días)",
           "{b} me cobró dos veces el {p} y no me devuelven el dinero, una vergüenza",
           "Llevo {d} días esperando mi {p} de {b}. Horrible atención al cliente"],
    "en": ["{b} sent me a broken {p} and support ignores me. Worst store ever",
           "Still no {p} from {b} after {d} days, terrible service, never again"],
    "pt": ["Comprei um {p} na {b} e chegou quebrado, péssimo atendimento ({d} dias)"],
}
OTHERS = {
    "es": ["Me encantó mi {p} de {b}, llegó en {d} días. ¡Gracias!",
           "¿{b} hace envíos de {p} a Canarias?",
           "Hoy pasé por {b} a mirar un {p}"],
    "en": ["{b} is amazing, my {p} arrived in {d} days, love it",
           "Does {b} ship a {p} to Canada?"],
    "pt": ["Adorei o {p} da {b}, entrega em {d} dias, recomendo!"],
}
NAMES = [BRAND, f"@{HANDLE}", "#TiendaSol", "tienda sol"]


# The X side -----------------------------------------------------------------------------


class IndexedWorld(World):
    """A world that finds a post by id in O(1) (the stock one scans)."""

    def __init__(self, posts: list[WorldPost]) -> None:
        super().__init__(posts)
        self._by_id = {(p.platform, p.id): p for p in posts}

    def add(self, *posts: WorldPost) -> None:
        super().add(*posts)
        self._by_id.update({(p.platform, p.id): p for p in posts})

    def get(self, platform: str, post_id: str) -> WorldPost | None:
        return self._by_id.get((platform, post_id))


class IndexedTwitterEmulator(TwitterEmulator):
    """The stock X emulator with recent search answered from a per-query sorted index."""

    def __init__(self, world: World, **kwargs: Any) -> None:
        super().__init__(world, **kwargs)
        self._index: dict[str, tuple[list[int], list[WorldPost]]] = {}

    def start(self, port: int = 0) -> IndexedTwitterEmulator:
        """Also send each answer without Nagle's delay: the stock handler writes headers and
        body in two segments, and the second can wait ~40 ms for the client's delayed ACK,
        which was three quarters of "collect" time on some runs, and is no cost of X's."""
        super().start(port)
        assert self._server is not None
        self._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        return self

    def _matching(self, query: str) -> tuple[list[int], list[WorldPost]]:
        with self._lock:
            if query not in self._index:
                predicate = compile_query(query)
                oldest = self.clock() - 7 * 24 * 3600
                posts = sorted((p for p in self.world.posts("twitter")
                                if p.created_at.timestamp() >= oldest and predicate(p)),
                               key=lambda p: int(p.id))
                self._index[query] = ([int(p.id) for p in posts], posts)
            return self._index[query]

    def _search(self, request: Request, match: Any) -> Response:
        _check_params(request, SEARCH_PARAMS)
        ids, posts = self._matching(request.arg("query") or "")
        since = _id_arg(request, "since_id")
        bounds = [b for b in (_id_arg(request, "until_id"), _token(request.arg("next_token")))
                  if b is not None]
        size = _int_arg(request, "max_results", 10, 10, 100)
        lo = bisect.bisect_right(ids, since) if since is not None else 0
        hi = bisect.bisect_left(ids, min(bounds)) if bounds else len(ids)
        page = list(reversed(posts[max(lo, hi - size):hi]))
        if not page:
            return Response(200, {"meta": {"result_count": 0}})
        tweet_fields = _fields(request, "tweet.fields", TWEET_FIELDS)
        user_fields = _fields(request, "user.fields", USER_FIELDS)
        expansions = _fields(request, "expansions", EXPANSIONS)
        meta: dict[str, Any] = {"newest_id": page[0].id, "oldest_id": page[-1].id,
                                "result_count": len(page)}
        if hi - size > lo:
            meta["next_token"] = f"b26v{int(page[-1].id):x}"
        body: dict[str, Any] = {"data": [self._tweet(p, tweet_fields) for p in page]}
        includes = self._includes(page, tweet_fields, user_fields, expansions)
        if includes:
            body["includes"] = includes
        body["meta"] = meta
        return Response(200, body)


def backlog(n: int, now: datetime, *, seed: int = 2026, span: timedelta = timedelta(hours=24),
            complaint_share: float = 0.15) -> tuple[list[WorldPost], int]:
    """`n` brand mentions on X over `span` before `now` (about 15% complaints, a fifth of
    them answered by the brand 3 minutes later); 90% language-tagged like X's. Returns the
    posts (mentions and brand replies) and how many complaints there are."""
    rng = random.Random(seed)
    posts: list[WorldPost] = []
    used: set[str] = set()
    complaints = 0
    step = span / n
    for i in range(n):
        at = now - span + step * i
        lang = rng.choices(["es", "en", "pt"], weights=[60, 25, 15])[0]
        negative = rng.random() < complaint_share
        template = rng.choice((COMPLAINTS if negative else OTHERS)[lang])
        text = template.format(b=rng.choice(NAMES), p=rng.choice(PRODUCTS[lang]),
                               d=rng.randint(2, 40)) + f" #{i}"
        pid = twitter_id(at, i)
        used.add(pid)
        posts.append(WorldPost("twitter", pid, f"{100000 + i}", f"user{i}", f"User {i}", text,
                               at, followers=int(rng.paretovariate(1.2) * 50),
                               lang=lang if rng.random() < 0.9 else None, thread_id=pid,
                               likes=rng.randint(0, 30)))
        if negative:
            complaints += 1
            if complaints % 5 == 0:
                reply_at = at + timedelta(minutes=3)
                rid = twitter_id(reply_at, 4095 - i % 4096)
                if rid not in used:
                    used.add(rid)
                    posts.append(WorldPost(
                        "twitter", rid, "9001", HANDLE, BRAND,
                        f"@user{i} Lo sentimos mucho, escríbenos por DM y lo resolvemos",
                        reply_at, lang="es", parent_id=pid, thread_id=pid, by_brand=True))
    return posts, complaints


def seed(before: datetime) -> list[WorldPost]:
    """What the collector had already seen: one mention and one brand reply. Vigía's first
    poll of a query deliberately reads only the newest page budget (it does not walk back
    seven days of billed history), so a backlog is what arrives after a poll: an outage of
    the collector, or a burst. Its next polls read the whole window back to the cursor."""
    at = before - timedelta(minutes=2)
    mention = WorldPost("twitter", twitter_id(at, 1), "99", "early", "Early", f"Hola {BRAND}",
                        at, lang="es", thread_id=twitter_id(at, 1))
    reply = WorldPost("twitter", twitter_id(at + timedelta(minutes=1), 2), "9001", HANDLE, BRAND,
                      "@early ¡Hola!", at + timedelta(minutes=1), lang="es",
                      parent_id=mention.id, thread_id=mention.id, by_brand=True)
    return [mention, reply]


def serve_x(n: int, now_ts: float, conn: Any) -> None:
    """Child process: serve the seed, add the backlog when told, stop when told."""
    now = datetime.fromtimestamp(now_ts, UTC)
    posts, complaints = backlog(n, now)
    world = IndexedWorld(seed(posts[0].created_at))
    emulator = IndexedTwitterEmulator(world, limits={"search": 10**7}).start()
    conn.send((emulator.base_url, complaints, sum(1 for p in posts if not p.by_brand)))
    conn.recv()
    world.add(*posts)
    emulator._index.clear()
    conn.send("added")
    conn.recv()
    emulator.stop()


@contextmanager
def x_emulator(n: int, now: datetime) -> Iterator[tuple[str, int, int, Callable[[], None]]]:
    """The emulator process: (base URL, complaints, mentions, release the backlog)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve_x, args=(n, now.timestamp(), child), daemon=True)
    proc.start()

    def release() -> None:
        parent.send("add")
        parent.recv()

    try:
        url, complaints, total = parent.recv()
        yield url, complaints, total, release
    finally:
        parent.send("stop")
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()


# The Vigía side -------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_database(backend: str, workdir: Path, pg_url: str) -> str:
    """An empty database for one run: a new SQLite file, or PostgreSQL `vigia_bench` recreated."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return pg_url


def drop_database(backend: str, pg_url: str) -> None:
    if backend != "postgresql":
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def database_bytes(db: Any) -> int:
    """On-disk size: the SQLite file after a WAL checkpoint, or pg_database_size."""
    from sqlalchemy import text

    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(db.engine.url.database)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def bench_config(x_url: str, db_url: str) -> Any:
    """config.toml with X alone on the emulator, pages of 100, 100 pages a poll, a read
    budget that does not stop a 100k backlog, no grace, no crisis folding."""
    from monitor.config import load_config

    config = load_config(ROOT / "config.toml")
    sources = config.sources.model_copy(update={
        "twitter": config.sources.twitter.model_copy(update={
            "enabled": True, "api_base": x_url, "max_results": 100, "page_budget": 100,
            "monthly_read_budget": 10**8}),
        "reddit": config.sources.reddit.model_copy(update={"enabled": False}),
        "facebook": config.sources.facebook.model_copy(update={"enabled": False}),
    })
    brand = config.brands[0]
    escalation = brand.escalation.model_copy(update={
        "grace_minutes": 0,
        "crisis": brand.escalation.crisis.model_copy(update={"enabled": False}),
    })
    return config.model_copy(update={
        "sources": sources,
        "database": config.database.model_copy(update={"url": db_url}),
        "brands": [brand.model_copy(update={"escalation": escalation})],
    })


class StageClock:
    """Time spent inside wrapped pipeline functions, to split collect from store."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

        return timed


def run_one(n: int, backend: str, pg_url: str) -> dict[str, Any]:
    """One size, one backend, in this (fresh) process."""
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp, x_emulator(n, now) as x:
        x_url, complaints, total, release = x
        assert total == n
        from monitor import pipeline
        from monitor.runtime import Runtime
        from monitor.storage.db import open_database

        db_url = fresh_database(backend, Path(tmp), pg_url)
        db = open_database(db_url)
        empty_bytes = database_bytes(db)
        rt = Runtime(config=bench_config(x_url, db_url), db=db, env={"X_BEARER_TOKEN": X_TOKEN})
        rt.scorer.score(["warm-up"], [None])  # model load is start-up, not throughput
        clock = StageClock()
        for name in ("_store", "_match", "_languages"):
            setattr(pipeline, name, clock.wrap(name, getattr(pipeline, name)))
        result: dict[str, Any] = {"n": n, "db": backend, "complaints": complaints,
                                  "rss_start_mb": peak_rss_mb()}
        try:
            first = pipeline.collect_source(rt, "twitter")  # the seed: sets the cursors
            assert first.new_mentions == 1 and first.brand_replies == 1, first
            clock.seconds.clear()
            release()
            start = time.perf_counter()
            polls = stored = pages = replies = 0
            while True:  # each poll reads up to 100 pages; the rest is its pending window
                report = pipeline.collect_source(rt, "twitter")
                if report.status != "ok":
                    raise RuntimeError(f"collect failed: {report.status} {report.error}")
                polls += 1
                stored += report.new_mentions
                pages += report.pages
                replies += report.brand_replies
                if not (report.new_mentions or report.brand_replies):
                    break
            collect_store_s = time.perf_counter() - start
            store_s = (clock.seconds["_store"] - clock.seconds.get("_match", 0.0)
                       - clock.seconds.get("_languages", 0.0))
            result.update(polls=polls, pages=pages, stored=stored, brand_replies=replies,
                          collect_s=collect_store_s - store_s, store_s=store_s,
                          rss_after_collect_mb=peak_rss_mb())
            start = time.perf_counter()
            scored = pipeline.score_pending(rt)
            result.update(scored=scored.scored, score_s=time.perf_counter() - start,
                          labels=dict(scored.labels), rss_after_score_mb=peak_rss_mb())
            start = time.perf_counter()
            escalation = pipeline.escalate(rt)
            result.update(escalate_s=time.perf_counter() - start,
                          alerts=getattr(escalation, "new_alerts", None),
                          rss_after_escalate_mb=peak_rss_mb())
            result["db_bytes"] = database_bytes(db)
            result["db_empty_bytes"] = empty_bytes
        finally:
            rt.close()
            drop_database(backend, pg_url)
    for stage in ("collect", "store", "score", "escalate"):
        result[f"{stage}_per_s"] = n / result[f"{stage}_s"]
    result["total_s"] = sum(result[f"{s}_s"] for s in ("collect", "store", "score", "escalate"))
    result["end_to_end_per_s"] = n / result["total_s"]
    result["peak_rss_mb"] = peak_rss_mb()
    return result


# Driver ---------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines()
                      if line.startswith("Model name")), model)
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(results: list[dict[str, Any]]) -> str:
    head = ("| db | mentions | collect /s | store /s | score /s | escalate /s | end to end /s "
            "| total s | peak RSS MB | DB MB | DB bytes/mention | alerts |")
    lines = [head, "|" + "---|" * 12]
    for r in results:
        growth = r["db_bytes"] - r["db_empty_bytes"]
        lines.append(
            f"| {r['db']} | {r['n']:,} | {r['collect_per_s']:,.0f} | {r['store_per_s']:,.0f} "
            f"| {r['score_per_s']:,.0f} | {r['escalate_per_s']:,.0f} "
            f"| **{r['end_to_end_per_s']:,.0f}** | {r['total_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {r['db_bytes'] / 2**20:.1f} | {growth / r['n']:,.0f} | {r['alerts']:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--json", type=Path, help="append each result as a JSON line here")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child: one size
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(run_one(args.one, args.db, args.pg_url)), flush=True)
        return
    print(f"# {machine()}; load average {os.getloadavg()[0]:.1f}; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--db", args.db,
                               "--pg-url", args.pg_url], capture_output=True, text=True,
                              check=False)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            sys.exit(f"size {n} failed:\n{proc.stdout}\n{proc.stderr}")
        result = json.loads(line[len("RESULT "):])
        result["load_avg"] = os.getloadavg()[0]
        results.append(result)
        print(json.dumps(result), flush=True)
        if args.json:
            with args.json.open("a", encoding="utf-8") as f:
                f.write(json.dumps(result) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
