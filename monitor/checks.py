"""`vigia check`: everything that would stop the daemon, found before it starts."""

from __future__ import annotations

import os
from collections.abc import Callable

from monitor.config import Config, is_loopback_or_https, missing_credentials

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


def _check_database(config: Config, ok: Callable[[str], None], bad: Callable[[str], None]) -> int:
    from monitor.storage.db import Database

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
