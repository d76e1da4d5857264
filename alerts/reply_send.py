"""Send a reply typed in Slack to the platform, at most once, and close the case with it.

The send is an outbox item keyed by the case (`reply:<alert key>`), written and claimed in
one transaction before the platform call, recorded in another after it:
- double clicks, a Slack retry of the same submission, two managers at once: the second
  finds the item sent (same modal: "already sent"; another person: "answered meanwhile") or
  in flight under a lease ("being sent"), and posts nothing;
- a crash, kill or timeout between the platform call and the commit leaves the item
  `sending` + `uncertain`; whoever takes it next (`resume`, or a new submission once the
  lease is over) first looks for the brand's own reply on the platform and adopts it;
- a case answered meanwhile (on the platform, or from Slack by a colleague) sends nothing
  unless the user confirms a second reply, which gets a key of its own (`reply:<key>:<view>`);
- a platform refusal is recorded as definite (nothing posted) and reported in plain words.
Keys written: `reply:<alert key>[:<view id>]` (platform_replies), `slack-reply-card:<item key>`
(card update) and `slack-reply-note:<item key>` (thread note) in the Slack outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from alerts.blocks import alert_message
from alerts.escape import slack_link
from alerts.policy import BrandClock
from alerts.reply_card import REPLY_NOTE, answered_line, card_of, slack_reply_payload
from monitor.config import Config
from monitor.storage import alerts as store
from monitor.storage import platform_replies as replies
from monitor.storage.db import Database
from monitor.storage.outbox import enqueue
from sources.reply_base import PostedReply, Replier, ReplyError, ReplyTarget

log = logging.getLogger(__name__)

REPLY_LEASE = timedelta(minutes=2)
RECONCILE_MARGIN = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CLOSED = ("answered", "dismissed")

Status = Literal["sent", "already_sent", "answered_meanwhile", "in_progress", "failed",
                 "uncertain", "unknown_case"]


@dataclass(frozen=True)
class ReplyRequest:
    """One press of Send: the case, the text as typed, who pressed it, from which modal."""

    alert_key: str
    text: str
    user_id: str
    user_name: str = ""
    view_id: str = ""
    confirm_second: bool = False  # the user saw "answered meanwhile" and confirmed


@dataclass(frozen=True)
class SendOutcome:
    status: Status
    message: str  # plain words for the modal
    item_key: str | None = None
    permalink: str | None = None
    error_kind: str | None = None
    retry_at: datetime | None = None
    answered_by: str | None = None  # for answered_meanwhile: a Slack user id or an account


def reply_key(alert_key: str, view_id: str = "", second: bool = False) -> str:
    return f"reply:{alert_key}:{view_id or 'second'}" if second else f"reply:{alert_key}"


def _target(case: replies.Case) -> ReplyTarget:
    return ReplyTarget(case.source, case.external_id, case.thread_id, case.author_handle,
                       case.url)


def _meanwhile(case: replies.Case, items: list[replies.ReplyItem],
               request: ReplyRequest) -> SendOutcome | None:
    """Why this send would be a second answer, or None when the case is still unanswered."""
    sent = [i for i in items if i.state == "sent"]
    if request.view_id and any(i.view_id == request.view_id for i in sent):
        mine = next(i for i in sent if i.view_id == request.view_id)
        return SendOutcome("already_sent", "This reply was already sent.", mine.key,
                           mine.permalink)
    if sent:
        return SendOutcome("answered_meanwhile", "A colleague already answered this from "
                           "Slack.", sent[-1].key, sent[-1].permalink,
                           answered_by=sent[-1].slack_user)
    if case.answered_at is not None:
        return SendOutcome("answered_meanwhile", "The brand already answered this post on "
                           "the platform.", answered_by=case.answered_by)
    if case.state in CLOSED:
        return SendOutcome("answered_meanwhile", f"This case was closed meanwhile "
                           f"({case.state}).")
    return None


def send_reply(db: Database, repliers: Mapping[str, Replier], request: ReplyRequest,
               now: datetime, *, config: Config | None = None,
               lease: timedelta = REPLY_LEASE) -> SendOutcome:
    """Record, claim, post (or adopt an earlier post) and close the case; never twice."""
    with db.transaction() as session:
        case = replies.lock_case(session, request.alert_key)
        if case is None:
            return SendOutcome("unknown_case", "This alert no longer exists in Vigía.")
        replier = repliers.get(case.source)
        if replier is None:
            return SendOutcome("failed", f"Replies to {case.source} are not configured.",
                               error_kind="auth")
        items = replies.items_for(session, case.alert_id)
        key = reply_key(request.alert_key, request.view_id, request.confirm_second)
        if not request.confirm_second:
            reason = _meanwhile(case, items, request)
            if reason is not None:
                return reason
        else:
            done = next((i for i in items if i.key == key and i.state == "sent"), None)
            if done is not None:
                return SendOutcome("already_sent", "This reply was already sent.", key,
                                   done.permalink)
        replies.create(session, key=key, case=case, text=request.text,
                       slack_user=request.user_id, slack_user_name=request.user_name,
                       view_id=request.view_id, now=now)
        before = replies.begin_attempt(session, key, now, lease, text=request.text,
                                       slack_user=request.user_id,
                                       slack_user_name=request.user_name,
                                       view_id=request.view_id)
        if before is None:
            current = replies.get(session, key)
            if current is not None and current.state == "sent":
                return SendOutcome("already_sent", "This reply was already sent.", key,
                                   current.permalink)
            who = current.slack_user if current else ""
            return SendOutcome("in_progress", "A reply to this post is being sent right now.",
                               key, answered_by=who)
    return _attempt(db, replier, before, case, now, config)


def resume(db: Database, repliers: Mapping[str, Replier], now: datetime, *,
           config: Config | None = None, lease: timedelta = REPLY_LEASE) -> list[SendOutcome]:
    """Finish sends an attempt left behind (crash, kill, timeout): look first, then send."""
    with db.transaction() as session:
        pending = replies.unresolved(session, now)
    outcomes: list[SendOutcome] = []
    for item in pending:
        replier = repliers.get(item.source)
        if replier is None:
            continue
        with db.transaction() as session:
            alert_key = replies.case_key(session, item.alert_id)
            case = replies.lock_case(session, alert_key) if alert_key else None
            before = replies.begin_attempt(session, item.key, now, lease) if case else None
        if case is None or before is None:
            continue
        outcomes.append(_attempt(db, replier, before, case, now, config))
    return outcomes


def _attempt(db: Database, replier: Replier, before: replies.ReplyItem,
             case: replies.Case, now: datetime, config: Config | None) -> SendOutcome:
    """Look for an earlier post when one may exist, else post; record what happened."""
    target = _target(case)
    text = before.text
    with db.transaction() as session:
        claimed = replies.get(session, before.key)
    if claimed is not None:
        text = claimed.text
    try:
        posted: PostedReply | None = None
        if before.uncertain:
            posted = replier.find(target, before.created_at - RECONCILE_MARGIN)
            if posted is not None:
                log.info("reply %s found on %s after an interrupted attempt; adopted",
                         before.key, case.source)
        if posted is None:
            if before.attempts >= MAX_ATTEMPTS:
                with db.transaction() as session:
                    replies.record_failed(session, before.id, kind="transient",
                                          message="gave up after repeated failures",
                                          definite=True, now=now, dead=True)
                return SendOutcome("failed", "Vigía gave up sending this reply after "
                                   "repeated failures; nothing was posted.", before.key,
                                   error_kind="transient")
            posted = replier.post(target, text)
    except ReplyError as exc:
        with db.transaction() as session:
            replies.record_failed(session, before.id, kind=exc.kind, message=exc.message,
                                  definite=exc.definite, now=now)
        log.warning("reply %s to %s failed: %s", before.key, case.source, exc.kind)
        status: Status = "failed" if exc.definite else "uncertain"
        return SendOutcome(status, exc.message, before.key, error_kind=exc.kind,
                           retry_at=exc.retry_at)
    with db.transaction() as session:
        item = _close_case(session, before, posted, case, now, config)
    return SendOutcome("sent", "Reply sent.", item.key, item.permalink)


def _close_case(session: Session, before: replies.ReplyItem, posted: PostedReply,
                case: replies.Case, now: datetime, config: Config | None
                ) -> replies.ReplyItem:
    """Record the reply as the case's answer, stop the SLA clock, rewrite the card."""
    at = posted.posted_at or now
    minutes = max(0.0, (at - case.mention_created_at).total_seconds() / 60)
    item = replies.record_sent(session, before.id, external_id=posted.external_id,
                               permalink=posted.permalink, account=posted.account,
                               posted_at=at, now=now, response_minutes=minutes)
    alert = store.get_alert(session, case.alert_key, lock=True)
    if alert is None:
        return item
    first = "slack_reply" not in alert.payload
    if alert.state not in CLOSED or first:
        info = slack_reply_payload(user_id=item.slack_user, user_name=item.slack_user_name,
                                   at=at, text=item.text, external_id=posted.external_id,
                                   permalink=posted.permalink, account=posted.account,
                                   minutes=minutes)
        changes: dict[str, object] = {"payload": {"slack_reply": info,
                                                  "answered_by": posted.account,
                                                  "answered_after_minutes": round(minutes)}}
        if alert.state not in CLOSED:
            changes.update(state="answered", closed_by=item.slack_user,
                           close_reason="slack_reply", closed_at=now, snoozed_until=None)
        alert = store.update_alert(session, alert.id, **changes)
    lang, clock, enabled = _brand_bits(config, alert.brand)
    if alert.level >= 1 and "card" in alert.payload:
        text, blocks = alert_message(card_of(alert, now, clock=clock, lang=lang,
                                             reply_enabled=enabled))
        enqueue(session, key=f"slack-reply-card:{item.key}", op="update",
                channel=alert.channel, payload={"target_key": alert.key, "text": text,
                                                "blocks": blocks},
                now=now, alert_id=alert.id)
        line = answered_line(item.slack_user, minutes, lang)
        note = REPLY_NOTE.get(lang, REPLY_NOTE["en"]).format(
            line=line, link=slack_link(posted.permalink, posted.permalink))
        enqueue(session, key=f"slack-reply-note:{item.key}", op="thread",
                channel=alert.channel, payload={"parent_key": alert.key, "text": note},
                now=now, alert_id=alert.id)
    return item


def _brand_bits(config: Config | None, brand: str) -> tuple[str, BrandClock | None, bool]:
    """(card language, SLA clock, reply enabled) for the brand; defaults without config."""
    if config is None:
        return "en", None, False
    try:
        settings = config.brand(brand)
    except KeyError:
        return "en", None, False
    return settings.languages[0], BrandClock.of(settings), settings.reply_from_slack.enabled
