"""`vigia run`: the daemon. APScheduler jobs, database leases, hot reload, clean shutdown.

Every job is short and idempotent, runs with max_instances=1 and coalescing, and takes a
database lease when its work must not run in two daemons at once (polls, digests); scoring
and alert delivery share work through row claims instead, so they scale across workers.
"""

from __future__ import annotations

import collections
import functools
import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from monitor import pipeline
from monitor.config import ConfigError, load_config
from monitor.runtime import Runtime
from monitor.storage import leases

log = logging.getLogger(__name__)

SCORE_EVERY_S = 20
ALERT_EVERY_S = 30
RELOAD_CHECK_S = 5
# A job's lease is short and renewed every HEARTBEAT_S while its work runs: a killed daemon's
# leases lapse within LEASE_TTL and a live daemon's next timer takes the job over.
LEASE_TTL = timedelta(seconds=20)
HEARTBEAT_S = 5.0
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 120}
SQLITE_DAEMON_LEASE = "sqlite-daemon"
SQLITE_DAEMON_TTL = timedelta(seconds=90)  # a killed daemon's claim lapses after this
ROLE_JOBS = {
    "collect": {"poll"},
    "score": {"score"},
    "alert": {"alerts", "digest"},
    "all": {"poll", "score", "alerts", "digest"},
}


class _SkipsAreNormal(logging.Filter):
    """APScheduler warns when a tick finds its job still running. With max_instances=1 and
    coalescing that drop is the design (and `_guarded` reruns a job triggered meanwhile), so
    the warning would cry wolf in normal operation: it is demoted to debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and "maximum number of running instances" in str(
                record.msg):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


_APSCHEDULER_LOG = logging.getLogger("apscheduler.scheduler")
if not any(isinstance(f, _SkipsAreNormal) for f in _APSCHEDULER_LOG.filters):
    _APSCHEDULER_LOG.addFilter(_SkipsAreNormal())


class DaemonRefused(Exception):
    """This daemon must not start (another one owns the single-process database)."""


class Daemon:
    """Owns the scheduler; `stop()` finishes the running units of work, then returns."""

    def __init__(self, rt: Runtime, *, role: str = "all", config_path: Path | None = None):
        self.rt = rt
        self.role = role
        self.config_path = config_path
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()
        self._mtime = config_path.stat().st_mtime if config_path else 0.0
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(8)}, job_defaults=JOB_DEFAULTS,
            timezone="UTC",
        )
        self.socket_handler: Any = None
        self._rerun: dict[str, threading.Event] = {}
        # leases whose work runs now (a count: a retry job may share its poll's lease)
        self._running: collections.Counter[str] = collections.Counter()
        self._running_lock = threading.Lock()
        self._heart_stop = threading.Event()
        self._heart: threading.Thread | None = None

    # jobs -------------------------------------------------------------------------
    def _leased(self, name: str, work: Callable[[], object],
                hold: timedelta = timedelta(0)) -> Callable[[], None]:
        """Run `work` only while holding the database lease `name`.

        Each daemon has its own timer for the job, out of phase with the others'. Releasing
        the lease when the work ends would let every daemon's timer run it once per interval
        (three daemons, three polls per interval). With `hold` (the job's interval) the lease
        is kept until `hold` after the start: only its holder, which may renew its own lease,
        runs the job on schedule; another daemon takes over when the holder stops renewing.
        While the work runs the lease lasts LEASE_TTL and `heartbeat` renews it, so a daemon
        killed mid-poll loses it within LEASE_TTL, not a whole interval or more.
        """

        def job() -> None:
            if self.stopping.is_set():
                return
            started = self.rt.now()
            with self.rt.db.transaction() as session:
                if not leases.acquire(session, name, self.rt.worker_id, LEASE_TTL, started):
                    log.debug("job %s held by another worker", name)
                    return
            with self._running_lock:
                self._running[name] += 1
            try:
                work()
            except Exception:
                log.exception("job %s failed", name)
            finally:
                with self._running_lock:
                    self._running[name] -= 1
                with self.rt.db.transaction() as session:
                    if hold:
                        leases.hold_until(session, name, self.rt.worker_id, started + hold)
                    else:
                        leases.release(session, name, self.rt.worker_id)

        return job

    def heartbeat(self) -> None:
        """Renew the lease of every job whose work is running in this daemon (the heartbeat
        thread calls this every HEARTBEAT_S; tests call it at chosen instants)."""
        with self._running_lock:
            names = sorted(n for n, count in self._running.items() if count > 0)
        if not names:
            return
        now = self.rt.now()
        with self.rt.db.transaction() as session:
            lost = [n for n in names
                    if not leases.renew(session, n, self.rt.worker_id, LEASE_TTL, now)]
        for name in lost:  # a stall longer than LEASE_TTL: another daemon may run it too
            log.warning("lease %s lapsed while its work was running; another worker may "
                        "have taken it over", name)

    def _beat(self) -> None:
        while not self._heart_stop.wait(HEARTBEAT_S):
            try:
                self.heartbeat()
            except Exception:  # a database blip: the next beat tries again
                log.warning("lease heartbeat failed", exc_info=True)

    def _guarded(self, name: str, work: Callable[[], object]) -> Callable[[], None]:
        """Run `work`, and run it again if it was triggered while running (APScheduler drops
        a trigger for a job already running, and that complaint would wait a whole tick)."""
        again = self._rerun.setdefault(name, threading.Event())

        def job() -> None:
            while not self.stopping.is_set():
                again.clear()
                try:
                    work()
                except Exception:
                    log.exception("job %s failed", name)
                    return
                if not again.is_set():
                    return

        return job

    def _alerts(self) -> None:
        pipeline.escalate(self.rt)
        pipeline.deliver(self.rt)  # drains the due outbox round after round

    def _poll(self, name: str) -> None:
        report = pipeline.collect_source(self.rt, name)
        if report.new_mentions or report.brand_replies:
            self._trigger("score")
        if report.retry_at is not None and not self.stopping.is_set():
            # one quick retry after a single transient error: a one-off job, never a sleep
            minutes = getattr(self.rt.config.sources, name).interval_minutes
            self.scheduler.add_job(
                self._leased(f"poll:{name}", functools.partial(self._poll, name),
                             hold=timedelta(minutes=minutes)),
                "date", run_date=report.retry_at, id=f"retry:{name}", replace_existing=True,
            )

    def _score(self) -> None:
        if pipeline.score_pending(self.rt).scored:
            self._trigger("alerts")

    def _trigger(self, job_id: str) -> None:
        """Run a downstream job now instead of at its next tick: a new complaint reaches
        Slack within seconds of being collected, not up to a scoring interval later."""
        job = self.scheduler.get_job(job_id)
        if job is not None and not self.stopping.is_set():
            self._rerun.setdefault(job_id, threading.Event()).set()
            job.modify(next_run_time=self.rt.now())

    def schedule(self) -> None:
        jobs = ROLE_JOBS[self.role]
        if "poll" in jobs:
            self._schedule_polls()
        if "score" in jobs:
            self.scheduler.add_job(self._guarded("score", self._score),
                                   "interval", seconds=SCORE_EVERY_S, id="score",
                                   next_run_time=self.rt.now())
        if "alerts" in jobs:
            self.scheduler.add_job(self._guarded("alerts", self._alerts), "interval",
                                   seconds=ALERT_EVERY_S, id="alerts",
                                   next_run_time=self.rt.now() + timedelta(seconds=5))
        if "digest" in jobs:
            self._schedule_digests()
        if self.config_path is not None:
            self.scheduler.add_job(self._check_reload, "interval", seconds=RELOAD_CHECK_S,
                                   id="reload")

    def _schedule_polls(self) -> None:
        for name in pipeline.enabled_sources(self.rt):
            minutes = getattr(self.rt.config.sources, name).interval_minutes
            self.scheduler.add_job(
                self._leased(f"poll:{name}", functools.partial(self._poll, name),
                             hold=timedelta(minutes=minutes)),
                "interval", minutes=minutes, id=f"poll:{name}", next_run_time=self.rt.now(),
                replace_existing=True,
            )

    def _schedule_digests(self) -> None:
        digest = self._leased("digest", lambda: pipeline.run_digests(self.rt))
        # A missed run (machine off on Monday) is sent on start: run_due looks back.
        self.scheduler.add_job(digest, "date", run_date=self.rt.now() + timedelta(seconds=15),
                               id="digest:startup")
        for brand in self.rt.config.brands:
            d = brand.digest
            if not d.enabled:
                continue
            trigger = CronTrigger(day_of_week=d.day, hour=d.time.hour, minute=d.time.minute,
                                  timezone=brand.timezone)
            self.scheduler.add_job(digest, trigger, id=f"digest:{brand.name}",
                                   replace_existing=True)

    # reload -----------------------------------------------------------------------
    def _check_reload(self) -> None:
        assert self.config_path is not None
        try:
            mtime = self.config_path.stat().st_mtime
        except OSError:
            return
        if mtime == self._mtime and not self.reload_requested.is_set():
            return
        self._mtime = mtime
        self.reload_requested.clear()
        self.reload()

    def reload(self) -> bool:
        """Re-read config.toml; an invalid file is reported and the running config kept."""
        assert self.config_path is not None
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("config not reloaded, keeping the running one: %s", exc)
            return False
        from monitor.keywords import describe_keyword_changes

        changes = describe_keyword_changes(self.rt.config, new)
        old_db = self.rt.config.database.url
        new = new.model_copy(update={"database": self.rt.config.database})
        if new.database.url != old_db:  # pragma: no cover - defensive
            log.warning("database.url changes need a restart")
        self.rt.reload(new)
        for line in changes or ["no keyword changes"]:
            log.warning("config reloaded: %s", line)
        if "poll" in ROLE_JOBS[self.role]:
            for job in self.scheduler.get_jobs():
                if job.id.startswith("poll:"):
                    job.remove()
            self._schedule_polls()
        return True

    # lifecycle --------------------------------------------------------------------
    def _claim_sqlite(self) -> None:
        """SQLite is single-process: a second daemon on the same file is refused, clearly."""
        with self.rt.db.transaction() as session:
            if not leases.acquire(session, SQLITE_DAEMON_LEASE, self.rt.worker_id,
                                  SQLITE_DAEMON_TTL, self.rt.now()):
                raise DaemonRefused(
                    f"another vigia daemon is already running on {self.rt.config.database.url} "
                    "(SQLite is single-process): stop it first, or use PostgreSQL "
                    "(database.url = postgresql+psycopg://...) to run several workers"
                )

    def start(self) -> None:
        if self.rt.db.is_sqlite:
            self._claim_sqlite()
            self.scheduler.add_job(self._claim_sqlite, "interval",
                                   seconds=SQLITE_DAEMON_TTL.total_seconds() / 3,
                                   id="sqlite-daemon")
        self.schedule()
        self._heart = threading.Thread(target=self._beat, name="vigia-lease-heartbeat",
                                       daemon=True)
        self._heart.start()
        self.scheduler.start()
        if self.role in ("all", "alert"):
            self._start_socket_mode()
        log.info("vigia daemon started (role %s, worker %s)", self.role, self.rt.worker_id)

    def _start_socket_mode(self) -> None:
        cfg = self.rt.config.slack
        token = self.rt.env.get(cfg.app_token_env)
        if not cfg.socket_mode or not token:
            return
        try:
            from alerts.interactive import build_app, start_socket_mode

            app = build_app(self.rt.db, self.rt.config, self.rt.slack,
                            repliers=self._repliers())
            self.socket_handler = start_socket_mode(app, token)
        except Exception as exc:  # buttons are a convenience; alerts still flow
            log.error("Slack Socket Mode not started: %s", exc)

    def _repliers(self) -> dict[str, Any]:
        """Platform reply modules for Reply in Slack, plus a job that finishes sends a crash
        or timeout left unresolved (looked for on the platform first, never posted twice)."""
        from sources.replies import build_repliers, wanted

        if not wanted(self.rt.config):
            return {}
        repliers, problems = build_repliers(self.rt.config, self.rt.env)
        for problem in problems:
            log.warning("reply from Slack: %s", problem)
        if repliers:
            from alerts.reply_send import resume

            def finish() -> None:
                resume(self.rt.db, repliers, self.rt.now(), config=self.rt.config)

            self.scheduler.add_job(finish, "interval", seconds=60, id="reply-resume")
        return dict(repliers)

    def stop(self) -> None:
        self.stopping.set()
        self.scheduler.shutdown(wait=True)  # running work finishes, its leases still renewed
        self._heart_stop.set()
        if self._heart is not None:
            self._heart.join(timeout=30)
        if self.rt.db.is_sqlite:
            with self.rt.db.transaction() as session:
                leases.release(session, SQLITE_DAEMON_LEASE, self.rt.worker_id)
        if self.socket_handler is not None:
            try:
                self.socket_handler.close()
            except Exception:  # pragma: no cover
                log.debug("socket mode close failed", exc_info=True)
        log.info("vigia daemon stopped cleanly")


def run_daemon(rt: Runtime, *, role: str = "all", config_path: Path | None = None) -> None:
    """Run until SIGTERM/SIGINT; SIGHUP reloads the config (keywords) without a restart."""
    daemon = Daemon(rt, role=role, config_path=config_path)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: daemon.reload_requested.set())
    daemon.start()
    try:
        done.wait()
    finally:
        daemon.stop()
