"""Send one digest at most once: claim, write the reports, post, upload, mark sent.

Each step that talks to Slack is bracketed by database records (`record_progress`), so a
worker that dies anywhere resumes where it stopped: before a post it writes "posting", after
it the channel and ts. A later run finding "posting" without a ts looks for the digest's key
in the channel's history metadata before posting again; finding "uploading" without file ids
it looks in the summary's thread. Where Slack cannot be asked (a channel given by name that
the history API rejects), it refuses to post rather than risk a second copy.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts.digest import slack
from alerts.digest.build import Reports, brand_settings, write_reports
from alerts.digest.compute import Detector
from alerts.digest.model import Digest
from alerts.digest.weeks import normalise_week
from monitor.config import Config
from monitor.storage.db import Database
from monitor.storage.digests import (
    Claim,
    claim_digest,
    mark_sent,
    record_progress,
    release_claim,
)

log = logging.getLogger(__name__)

Status = Literal["sent", "report_only", "already_sent", "in_progress", "retry_later", "failed"]
RETRY_FIRST = timedelta(minutes=5)
RETRY_MAX = timedelta(hours=6)


@dataclass(frozen=True)
class DigestResult:
    brand: str
    week: str
    status: Status
    report_path: str | None = None
    channel: str | None = None
    ts: str | None = None
    reconciled: bool = False  # found already posted by an earlier, interrupted run
    error: str | None = None


class DigestNotVerifiable(RuntimeError):
    """An interrupted post cannot be checked in Slack, so posting again could duplicate it."""


def marketing_channel(config: Config, brand: str) -> str | None:
    """The brand's marketing channel; None when unset (config.toml: "unset = report file
    only"), so a weekly marketing summary never lands in the alerts channel uninvited."""
    return brand_settings(config, brand).marketing_channel


def headline_figures(digest: Digest) -> dict[str, Any]:
    """The few numbers kept in the digests log (the report files hold the rest)."""
    r = digest.responses
    return {
        "mentions": digest.total,
        "positive": digest.tally.positive,
        "neutral": digest.tally.neutral,
        "negative": digest.tally.negative,
        "net": digest.tally.net,
        "negatives_answered": r.answered.part,
        "median_minutes": r.median_minutes,
        "p90_minutes": r.p90_minutes,
        "within_target": r.within_target.part,
        "open_unanswered": r.open_unanswered,
        "crises": len(digest.crises),
        "slack_replies": digest.slack_replies.sent,
        "slack_reply_median_minutes": digest.slack_replies.median_minutes,
    }


def _retry_delay(failures: int) -> timedelta:
    return min(RETRY_MAX, RETRY_FIRST * 2 ** max(0, failures - 1))


class _Sender:
    """One claimed send; every Slack step is recorded so a rerun can resume it."""

    def __init__(self, db: Database, brand: str, week: str, token: str, claim: Claim) -> None:
        self.db, self.brand, self.week, self.token = db, brand, week, token
        summary = claim.current.summary
        self.progress: dict[str, Any] = dict(summary.get("slack") or {})
        attempt = int(summary.get("attempt", 1))
        self.key = f"digest:{brand}:{week}" + (f"#{attempt}" if attempt > 1 else "")
        self.reconciled = False

    def record(self, **values: Any) -> None:
        with self.db.transaction() as session:
            if not record_progress(session, self.brand, self.week, self.token, **values):
                raise RuntimeError(f"lost the claim on digest {self.brand} {self.week}")
        self.progress.update(values)

    def post(self, client: WebClient, channel: str, reports: Reports, now: datetime) -> None:
        if self.progress.get("ts"):
            return
        if self.progress.get("posting_at"):
            oldest = datetime.fromisoformat(self.progress["posting_at"]) - timedelta(minutes=5)
            try:
                ts = slack.find_summary(client, channel, self.key, oldest)
            except SlackApiError as exc:
                raise DigestNotVerifiable(
                    f"an earlier run may have posted digest {self.brand} {self.week}, and the "
                    f"history of {channel} cannot be read ({exc.response.get('error')}): the "
                    "bot needs channels:history and marketing_channel should be a channel id "
                    "(C...). Check the channel by hand, then send with --force"
                ) from None
            if ts is not None:
                self.reconciled = True
                self.record(channel=channel, ts=ts)
                return
        self.record(posting_at=now.isoformat())
        report_name = reports.paths["html"].name if "html" in reports.paths else None
        try:
            channel_id, ts = slack.post_summary(client, channel, reports.digest, self.key,
                                                report_name)
        except SlackApiError:
            self.record(posting_at=None)  # Slack answered: nothing was posted
            raise
        self.record(channel=channel_id, ts=ts)

    def upload(self, client: WebClient, reports: Reports, now: datetime) -> None:
        digest = reports.digest
        if self.progress.get("files") is not None or digest.empty:
            return
        channel_id, ts = str(self.progress["channel"]), str(self.progress["ts"])
        comment = f"📈 {slack.headline(digest)}"
        if self.progress.get("uploading_at") and slack.thread_has_upload(
                client, channel_id, ts, comment):
            self.reconciled = True
            self.record(files=[])
            return
        self.record(uploading_at=now.isoformat())
        stem = f"{reports.paths['html'].stem}" if "html" in reports.paths else digest.week
        files = [(f"{stem}.png", reports.chart_png, slack.headline(digest))]
        if "html" in reports.paths:
            files.append((reports.paths["html"].name, reports.paths["html"].read_bytes(),
                          slack.headline(digest) + " (HTML)"))
        self.record(files=slack.upload_files(client, channel_id, ts, comment, files))


def send_digest(
    db: Database,
    config: Config,
    client: WebClient | None,
    brand: str,
    week: str,
    *,
    force: bool = False,
    now: datetime | None = None,
    detect: Detector | None = None,
    reports: Reports | None = None,
) -> DigestResult:
    """Write the reports and post the digest of (brand, week) to the marketing channel, once.

    `client=None`, or a brand without `marketing_channel`, writes the reports and records the
    week as done without Slack (status "report_only"). `force`
    sends again a week already sent (as a new attempt with its own key). `reports` already
    written for this week (with HTML) are reused instead of being built again.
    """
    now = now or datetime.now(UTC)
    week = normalise_week(week)
    brand_settings(config, brand)
    token = uuid.uuid4().hex
    with db.transaction() as session:
        claim = claim_digest(session, brand, week, token=token, now=now, force=force)
    if claim.outcome != "claimed":
        previous = claim.previous
        return DigestResult(brand, week, claim.outcome,
                            report_path=previous.report_path if previous else None,
                            error=(previous.summary.get("last_error") if previous else None))
    sender = _Sender(db, brand, week, token, claim)
    channel = marketing_channel(config, brand)
    if channel is None:
        client = None  # report file only
    report_path: str | None = None
    try:
        if reports is None or reports.digest.week != week or "html" not in reports.paths:
            reports = write_reports(db, config, brand, week, ("html", "csv"), as_of=now,
                                    detect=detect)
        report_path = str(reports.paths["html"])
        if client is not None and channel is not None:
            sender.post(client, channel, reports, now)
            sender.upload(client, reports, now)
        summary = {"figures": headline_figures(reports.digest), "key": sender.key,
                   "delivery": "slack" if client is not None else "report-only"}
        with db.transaction() as session:
            mark_sent(session, brand, week, token, now=now, report_path=report_path,
                      summary=summary)
    except Exception as exc:  # the claim is released for a later retry, then reported
        error = f"{type(exc).__name__}: {exc}"
        log.exception("digest %s %s failed", brand, week)
        with db.transaction() as session:
            release_claim(session, brand, week, token, error=error,
                          retry_at=lambda failures: now + _retry_delay(failures))
        return DigestResult(brand, week, "failed", report_path, error=error,
                            channel=sender.progress.get("channel"), ts=sender.progress.get("ts"))
    return DigestResult(
        brand, week, "sent" if client is not None else "report_only", report_path,
        channel=sender.progress.get("channel"), ts=sender.progress.get("ts"),
        reconciled=sender.reconciled,
    )
