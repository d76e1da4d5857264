"""`vigia check`: everything that would stop the daemon, found before it starts."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.config import Config, is_loopback_or_https, missing_credentials
from monitor.source_checks import probe_source

Echo = Callable[[str], None]


def run_checks(config: Config, *, echo: Echo) -> int:
    """Print one line per check; return the number of blocking problems."""
    problems = 0

    def ok(msg: str) -> None:
        echo(f"  ok    {msg}")

    def bad(msg: str) -> None:
        nonlocal problems
        problems += 1
        echo(f"  FAIL  {msg}")

    def warn(msg: str) -> None:
        echo(f"  warn  {msg}")

    echo(f"config  {config.path}")
    ok(f"valid: {len(config.brands)} brand(s): {', '.join(b.name for b in config.brands)}")

    echo("sources")
    enabled = [n for n, s in config.sources.items() if s.enabled]
    if not enabled:
        bad("no source is enabled (set sources.<name>.enabled = true)")
    for name, settings in config.sources.items():
        state = "enabled" if settings.enabled else "disabled"
        ok(f"{name}: {state}, every {settings.interval_minutes:g} min") if settings.enabled \
            else echo(f"  -     {name}: disabled")
        if settings.api_base and not is_loopback_or_https(settings.api_base):
            warn(f"{name}: api_base {settings.api_base} is neither https nor loopback: "
                 "credentials would travel in clear text")
    for line in missing_credentials(config):
        bad(line)
    for name in enabled:
        settings = getattr(config.sources, name)
        if not all(os.environ.get(var) for var in settings.credential_envs().values()):
            continue  # reported above, by variable name
        with _quiet_libraries():
            works, what = probe_source(name, config, os.environ)
        (ok if works else bad)(f"{name}: {what}")

    echo("database")
    problems += _check_database(config, ok, bad)

    echo("sentiment model")
    try:
        from sentiment import load_scorer

        scorer = load_scorer(config.sentiment)
        result = scorer.score(["Pésimo servicio, mi pedido nunca llegó"], ["es"])[0]
        ok(f"{scorer.model_id} {scorer.model_version} loads (sample: {result.label})")
    except Exception as exc:
        bad(f"model {config.sentiment.model!r} cannot be loaded: {exc}")

    echo("slack")
    token = os.environ.get(config.slack.token_env)
    if not token:
        bad(f"slack.token_env: environment variable {config.slack.token_env} is not set")
    else:
        with _quiet_libraries():
            problems += _check_slack(config, ok, bad)
    if config.slack.socket_mode and not os.environ.get(config.slack.app_token_env):
        warn(f"slack.app_token_env: {config.slack.app_token_env} not set: buttons in Slack "
             "messages will not work (Socket Mode needs an xapp- token)")
    from sources.replies import check_repliers, wanted

    if wanted(config):
        echo("replies from Slack")
        fine, issues = check_repliers(config)
        for line in fine:
            ok(line)
        for line in issues:
            bad(line)
    return problems


@contextmanager
def _quiet_libraries() -> Iterator[None]:
    """Client libraries log their own `ERROR ...` lines for a refused token; `check` already
    says what happened in plain words, so their logging is off while it probes."""
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for in-memory or another database)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _check_database(config: Config, ok: Callable[[str], None], bad: Callable[[str], None]) -> int:
    from monitor.storage.db import Database

    file = sqlite_file(config.database.url)
    if file is not None and not file.exists():  # connecting would create it: a check must not
        if file.parent.is_dir() and os.access(file.parent, os.W_OK):
            ok(f"{file} does not exist yet; `vigia run` creates and migrates it")
            return 0
        bad(f"database.url: {file.parent} is not a writable folder: the SQLite file "
            f"{file.name} cannot be created there")
        return 1
    db = Database(config.database.url)
    try:
        db.ping()
    except Exception as exc:
        bad(f"database.url: cannot connect ({type(exc).__name__}: {str(exc).splitlines()[0]})")
        return 1
    try:
        if db.is_migrated():
            ok("reachable and migrated")
            return 0
        ok("reachable; migrations pending (applied automatically by `vigia run`, "
           "or run `vigia db upgrade`)")
        return 0
    finally:
        db.dispose()


def _check_slack(config: Config, ok: Callable[[str], None], bad: Callable[[str], None]) -> int:
    from alerts.slack_client import make_web_client

    try:
        from alerts.delivery import check_slack
    except ImportError:  # pragma: no cover - delivery module always ships
        return 0
    client = make_web_client(config.slack)
    issues = check_slack(client, config)
    for issue in issues:
        bad(issue)
    if not issues:
        ok("token valid, channels reachable")
    return len(issues)
