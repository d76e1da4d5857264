"""The steps of a cycle: collect -> store -> score -> escalate -> deliver (-> digest).

Each step is a short unit of work in its own transactions, so the daemon can schedule them
independently and a kill at any point loses nothing: pages commit with their cursor, scores
commit with the mentions they cover, and Slack calls go through the outbox.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from monitor.runtime import Runtime
from monitor.storage import health
from monitor.storage.mentions import (
    claim_unscored,
    get_cursor,
    reads_in_month,
    save_scores,
    store_page,
)
from monitor.storage.storable import split_storable
from sources.base import (
    AuthError,
    BudgetExhausted,
    Mention,
    Page,
    Query,
    RateLimited,
    SourceError,
    TransientError,
)

log = logging.getLogger(__name__)

SCORE_BATCH = 256
MAX_BACKOFF = timedelta(hours=1)
# A single transient error (a 503, a timeout) is retried once after about this long, with
# jitter, before the source backs off for whole intervals: one blip must not cost a poll.
QUICK_RETRY = timedelta(seconds=30)


@dataclass
class CollectReport:
    source: str
    queries: int = 0
    pages: int = 0
    fetched: int = 0
    new_mentions: int = 0
    duplicates: int = 0
    unmatched: int = 0
    brand_replies: int = 0
    skipped: int = 0
    reads: int = 0
    backfill_reads: int = 0  # posts billed by first polls looking back backfill_hours (X)
    backfill_hours: float = 0.0
    backfill_cost_usd: float = 0.0
    status: str = "ok"  # ok | skipped | deferred | retry | backoff | failing | budget
    error: str | None = None
    retry_at: datetime | None = None  # a quick retry is due then (the daemon schedules it)


@dataclass
class ScoreReport:
    scored: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    model: str = ""


@dataclass
class CycleReport:
    collected: list[CollectReport] = field(default_factory=list)
    scored: ScoreReport = field(default_factory=ScoreReport)
    escalation: Any = None
    delivery: Any = None
    digests: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def enabled_sources(rt: Runtime) -> list[str]:
    return [name for name, settings in rt.config.sources.items() if settings.enabled]


def queue_ops_notice(rt: Runtime, session: Any, key: str, text: str) -> None:
    """One notice to the ops channel; the key makes it once-only."""
    from alerts.engine import enqueue_ops_notice

    enqueue_ops_notice(session, rt.config, key, text, rt.now())


def _queries(rt: Runtime, source: str) -> list[Query]:
    from sources import registry

    settings = getattr(rt.config.sources, source)
    spec = registry()[source]
    out: list[Query] = []
    for brand in rt.config.brands:
        for query in spec.queries(brand, settings):
            out.append(replace(query, options={**query.options, "source": source}))
    return out


# On the brand's own Facebook Page every comment is addressed to the brand, named or not
# ("mi pedido no llegó" under the Page's post): keep those even without a keyword hit.
OWN_PAGE_KINDS = {("facebook", "comments"), ("facebook", "visitor_posts"),
                  ("instagram", "comments")}  # comments under the brand's own media


def _match(rt: Runtime, query: Query, mentions: list[Mention]) -> tuple[list[Mention], int]:
    """Apply the one local keyword matcher every source shares; record brand + keyword."""
    kept: list[Mention] = []
    own_page = (query.options.get("source"), query.options.get("kind")) in OWN_PAGE_KINDS
    for m in mentions:
        hit = rt.matcher.match(
            m.text, source=m.source, author_handle=m.author_handle, author_id=m.author_id,
            lang=m.lang,
        )
        if hit is not None:
            kept.append(replace(m, brand=hit.brand, keyword=hit.keyword))
        elif own_page and not _excluded_author(rt, query.brand, m):
            own = "(own Instagram media)" if m.source == "instagram" else "(own Facebook Page)"
            kept.append(replace(m, brand=query.brand, keyword=own))
    return kept, len(mentions) - len(kept)


def _excluded_author(rt: Runtime, brand: str, m: Mention) -> bool:
    try:
        settings = rt.config.brand(brand)
    except KeyError:
        return True
    excluded = {a.lower().lstrip("@") for a in settings.keywords.exclude_authors}
    return bool({m.author_handle.lower(), m.author_id.lower()} & excluded)


def _languages(rt: Runtime, mentions: list[Mention]) -> list[str | None]:
    from sentiment.lang import detect_language, normalise_lang

    out: list[str | None] = []
    for m in mentions:
        lang = normalise_lang(m.lang)
        if lang is None:
            try:
                allowed = rt.config.brand(m.brand).languages
            except KeyError:
                allowed = rt.config.brands[0].languages
            lang = detect_language(m.text, allowed)
        out.append(lang)
    return out


def _backoff(rt: Runtime, source: str, failures: int) -> datetime:
    interval = timedelta(minutes=getattr(rt.config.sources, source).interval_minutes)
    delay = min(interval * (2 ** min(failures, 10)), MAX_BACKOFF)
    return rt.now() + delay * random.uniform(0.8, 1.2)


def collect_source(rt: Runtime, source: str) -> CollectReport:
    """Poll one source for every brand; each page commits with the cursor that covers it."""
    report = CollectReport(source=source)
    now = rt.now()
    with rt.db.transaction() as session:
        until = health.deferred_until(session, source)
    if until is not None and until > now:
        report.status = "deferred"
        report.error = f"deferred until {until.isoformat(timespec='seconds')}"
        return report
    try:
        queries = _queries(rt, source)
        report.queries = len(queries)
        for query in queries:
            _collect_query(rt, source, query, report)
    except SourceError as exc:
        _record_failure(rt, source, exc, report)
        return report
    except Exception as exc:  # a bug in one source must not stop the others
        log.exception("source %s crashed", source)
        _record_failure(rt, source, exc, report)
        return report
    with rt.db.transaction() as session:
        health.record_success(session, source, report.new_mentions, rt.now())
    return report


def _collect_query(rt: Runtime, source: str, query: Query, report: CollectReport) -> None:
    if source == "twitter":
        query = _with_read_budget(rt, query)
    with rt.db.transaction() as session:
        cursor = get_cursor(session, source, query.key)
    src = rt.source(source)
    for page in src.poll(query, cursor):
        _store(rt, source, query, page, report)


def _with_read_budget(rt: Runtime, query: Query) -> Query:
    budget = rt.config.sources.twitter.monthly_read_budget
    with rt.db.transaction() as session:
        used = reads_in_month(session, "twitter", rt.now())
    left = max(0, budget - used)
    if left == 0:
        raise BudgetExhausted(
            f"X monthly read budget reached ({used} of {budget} posts read this month); "
            "polling stopped until next month or until sources.twitter.monthly_read_budget "
            "is raised"
        )
    return replace(query, options={**query.options, "read_budget_left": left})


def _store(rt: Runtime, source: str, query: Query, page: Page, report: CollectReport) -> None:
    """Store one page with its cursor; an item the database would refuse is left out (and
    counted as skipped) rather than failing the page, so the cursor still moves past it."""
    mentions, unmatched = _match(rt, query, list(page.mentions))
    storable, refused = split_storable(source, replace(page, mentions=mentions))
    langs = _languages(rt, list(storable.mentions))
    with rt.db.transaction() as session:
        result = store_page(session, source, query, storable, fetched_at=rt.now(), langs=langs)
    report.pages += 1
    report.fetched += len(page.mentions)
    report.unmatched += unmatched
    report.new_mentions += result.new_mentions
    report.duplicates += result.duplicate_mentions
    report.brand_replies += result.new_replies
    report.reads += result.new_reads
    if page.backfill:
        settings = getattr(rt.config.sources, source)
        report.backfill_hours = float(getattr(settings, "backfill_hours", 0.0))
        report.backfill_reads += result.new_reads
        report.backfill_cost_usd = report.backfill_reads * float(
            getattr(settings, "cost_per_read_usd", 0.0))
    report.skipped += page.skipped + len(refused)


def _record_failure(rt: Runtime, source: str, exc: Exception, report: CollectReport) -> None:
    now = rt.now()
    message = str(exc) or type(exc).__name__
    with rt.db.transaction() as session:
        previous = health.get_health(session, source)
        failures = previous.consecutive_failures if previous else 0
        if isinstance(exc, RateLimited):
            status, until = "deferred", exc.reset_at
        elif isinstance(exc, AuthError):
            status, until = "failing", _backoff(rt, source, failures)
        elif isinstance(exc, BudgetExhausted):
            status, until = "budget", None
        elif isinstance(exc, TransientError) and failures == 0:
            status, until = "retry", now + QUICK_RETRY * random.uniform(0.5, 1.5)
            report.retry_at = until
        else:
            status, until = "backoff", _backoff(rt, source, failures)
        first = health.record_failure(
            session, source, status=status, error=message, now=now, deferred_until=until
        )
        if first and status in ("failing", "budget"):
            queue_ops_notice(
                rt, session, f"{source}:{status}:{now.isoformat(timespec='minutes')}",
                f"Vigía: source {source} is {status}: {message}",
            )
    report.status = status
    report.error = message
    log.warning("source %s %s: %s", source, status, message)


def score_pending(rt: Runtime, *, limit: int | None = None) -> ScoreReport:
    """Score every unscored mention in batches; each batch commits with its scores."""
    report = ScoreReport(model=rt.scorer.model_id)
    while limit is None or report.scored < limit:
        with rt.db.transaction() as session:
            batch = claim_unscored(session, SCORE_BATCH)
            if not batch:
                break
            scores = rt.scorer.score([text for _, text, _ in batch], [lang for *_, lang in batch])
            save_scores(session, [(mid, s) for (mid, _, _), s in zip(batch, scores, strict=True)],
                        rt.now())
        report.scored += len(batch)
        report.labels.update(s.label for s in scores)
    return report


def escalate(rt: Runtime) -> Any:
    from alerts import engine

    return engine.run(rt.db, rt.config, rt.now())


MAX_DELIVERY_ROUNDS = 20


def deliver(rt: Runtime) -> Any:
    """Delivery rounds until the due outbox is drained, Slack asks us to wait, or no progress
    (a round sends at most 50 items; `--once` must not leave a backlog behind)."""
    from alerts import delivery
    from monitor.storage.outbox import pending_count

    if not rt.slack.token:  # alerts wait in the outbox, untouched, until a token is set
        with rt.db.transaction() as session:
            return delivery.DeliveryReport(pending=pending_count(session))
    total = delivery.deliver(rt.db, rt.slack, rt.config, rt.now())
    for _ in range(MAX_DELIVERY_ROUNDS):
        if not total.pending or total.retry_at is not None or not (
                total.sent or total.reconciled or total.failed):
            break
        more = delivery.deliver(rt.db, rt.slack, rt.config, rt.now())
        if not (more.sent or more.reconciled or more.failed):
            break
        total = replace(more, sent=total.sent + more.sent, failed=total.failed + more.failed,
                        reconciled=total.reconciled + more.reconciled)
    return total


def run_digests(rt: Runtime) -> list[Any]:
    from alerts import digest

    # Without a Slack token the digest is written as a report file only.
    client = rt.slack if rt.slack.token else None
    return list(digest.run_due(rt.db, rt.config, client, rt.now()))


def run_cycle(rt: Runtime, *, digests: bool = True) -> CycleReport:
    """One full cycle: every enabled source, scoring, escalation, Slack delivery, digests."""
    report = CycleReport()
    for source in enabled_sources(rt):
        report.collected.append(collect_source(rt, source))
    report.scored = score_pending(rt)
    report.escalation = escalate(rt)
    report.delivery = deliver(rt)
    if digests:
        try:
            report.digests = run_digests(rt)
        except Exception as exc:
            log.exception("digest failed")
            report.errors.append(f"digest: {exc}")
    return report
