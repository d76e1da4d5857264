"""Send the outbox to Slack: in order, once, surviving outages, rate limits and crashes.

Guarantees:
- every item is in the database before any Slack call; `begin_attempt` commits the attempt
  count (and an in-flight lease that hides the item from other workers) before the call;
- an item with an earlier attempt is first *reconciled*: the message metadata key is looked up
  in `conversations.history` (threads: `conversations.replies` of the parent) and a found ts is
  adopted instead of posting again, so a crash between sending and recording never duplicates;
- per channel, items go out in queue order: an item waits while an older one of its channel is
  backing off, rate limited or in flight (for as long as a live worker's call can last,
  `CHANNEL_HOLD`); threads and updates wait for their parent's ts;
- an item whose worker died mid-call is uncertain until its in-flight lease ends and it is
  reconciled: it holds back only itself and its own thread replies and card updates, the rest
  of the channel keeps flowing;
- 429: Retry-After is honoured without blocking (the item is rescheduled and the round stops);
  5xx, timeouts and connection errors back off exponentially with jitter and stop the round;
- configuration errors (unknown channel, bot not in channel, bad token) retry slowly, are
  visible in `vigia status` and are announced once a day in the ops channel;
- other Slack refusals (invalid blocks...) are permanent: the item goes dead, ops are told.
Tokens never appear in logs or errors.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts.escape import escape_mrkdwn
from alerts.slack_client import CHANNEL_ID, DEFAULT_TIMEOUT_S, resolve_channel_id
from monitor.config import Config
from monitor.storage import alerts as store
from monitor.storage.db import Database
from monitor.storage.outbox import OutboxItem, pending_count

log = logging.getLogger(__name__)

IN_FLIGHT_LEASE = timedelta(minutes=2)  # a slow worker is not a dead one: no second send before
# A live worker's call (one retry of a timed-out request) is over by then; an item in flight
# longer was left by a dead worker, and stops holding back the rest of its channel.
CHANNEL_HOLD = timedelta(seconds=2 * DEFAULT_TIMEOUT_S)
RECONCILE_MARGIN = timedelta(minutes=10)
BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 30 * 60.0
CONFIG_RETRY = timedelta(minutes=30)
INLINE_WAIT_MAX_S = 2.0  # a Retry-After this short is slept through once, not rescheduled
HISTORY_PAGES = 10
GONE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})

AUTH_ERRORS = frozenset({"invalid_auth", "account_inactive", "token_revoked", "token_expired",
                         "not_authed", "team_access_not_granted"})
CONFIG_ERRORS = AUTH_ERRORS | {"channel_not_found", "not_in_channel", "is_archived",
                               "missing_scope", "restricted_action", "no_permission"}
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "ratelimited"})
HINTS = {
    "channel_not_found": "check the channel in config.toml (a channel id such as C0123ABCD is "
                         "safest) and invite the bot to private channels",
    "not_in_channel": "invite the bot to the channel (/invite @vigia)",
    "is_archived": "the channel is archived: unarchive it or configure another",
    "invalid_auth": "the Slack bot token is wrong or revoked: check the environment variable",
    "account_inactive": "the Slack app or bot user was deactivated: reinstall the app",
    "token_revoked": "the Slack bot token was revoked: reinstall the app and update the token",
    "missing_scope": "the Slack app lacks a scope (chat:write, channels:history): reinstall it",
}


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # attempts that failed this round (config errors, permanent refusals)
    pending: int = 0  # items still waiting after the round
    reconciled: int = 0  # items found already in Slack and adopted instead of re-sent
    retry_at: datetime | None = None  # when a rate limit or outage lets the next round try


@dataclass(frozen=True)
class _Outcome:
    kind: str  # sent | reconciled | rate_limited | transient | config | permanent
    ts: str | None = None
    channel_id: str | None = None
    error: str = ""
    retry_after: float = 0.0


class _Deps(Exception):
    """A thread or update whose parent is not in Slack yet (wait) or never will be (dead)."""

    def __init__(self, dead: bool, reason: str) -> None:
        super().__init__(reason)
        self.dead = dead


def deliver(db: Database, client: WebClient, config: Config, now: datetime, *,
            sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
            limit: int = 50, holder: str | None = None) -> DeliveryReport:
    """One delivery round over the due outbox items (at most `limit` attempts).

    Notices queued during the round (an ops notice about a refused channel) go out in it too.
    `holder` names this round in the in-flight leases it takes (default: host, pid, token).
    """
    holder = holder or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    round_ = _Round(db, client, config, now, sleep, rng or random.Random(), holder)
    done: set[int] = set()
    while len(done) < limit and not round_.stopped:
        with db.transaction() as session:
            items = [i for i in store.deliverable(session, now, limit, lease=IN_FLIGHT_LEASE,
                                                  channel_hold=CHANNEL_HOLD)
                     if i.id not in done]
        items = [i for i in items if round_.may_send(i)]
        if not items:
            break
        for item in items:
            if len(done) >= limit or round_.stopped:
                break
            if round_.may_send(item):
                round_.one(item)
            done.add(item.id)
    with db.transaction() as session:
        pending = pending_count(session)
    return DeliveryReport(round_.sent, round_.failed, pending, round_.reconciled,
                          round_.retry_at)


class _Round:
    """The state of one delivery round: counters, blocked channels, whether to stop."""

    def __init__(self, db: Database, client: WebClient, config: Config, now: datetime,
                 sleep: Callable[[float], None], rng: random.Random, holder: str) -> None:
        self.db, self.client, self.config, self.now = db, client, config, now
        self.sleep, self.rng, self.holder = sleep, rng, holder
        self.sent = self.failed = self.reconciled = 0
        self.retry_at: datetime | None = None
        self.blocked: set[str] = set()  # channels held back for the rest of the round
        self.waiting: set[str] = set()  # messages (group keys) whose parent is not in Slack
        self.stopped = False

    def may_send(self, item: OutboxItem) -> bool:
        return item.channel not in self.blocked and _group(item) not in self.waiting

    def one(self, item: OutboxItem) -> None:
        db, now = self.db, self.now
        try:
            with db.transaction() as session:
                parent = _parent(session, item)
        except _Deps as deps:
            if deps.dead:
                with db.transaction() as session:
                    store.give_up(session, item.id, str(deps))
                self.failed += 1
            else:  # its message waits for the parent; the rest of the channel does not
                self.waiting.add(_group(item))
            return
        with db.transaction() as session:
            started = store.begin_attempt(session, item.id, now, IN_FLIGHT_LEASE, self.holder)
            known = store.known_channel_id(session, item.channel)
        if started is None:  # another worker has it
            self.blocked.add(item.channel)
            return
        outcome = _attempt(self.client, started, parent, known, self.sleep)
        with db.transaction() as session:
            if outcome.kind in ("sent", "reconciled"):
                store.record_sent(session, item.id, now, outcome.ts, outcome.channel_id)
                self.sent += outcome.kind == "sent"
                self.reconciled += outcome.kind == "reconciled"
                return
            self._failed(session, started, outcome)
        if outcome.kind in ("rate_limited", "transient") or outcome.error in AUTH_ERRORS:
            self.stopped = True  # Slack is unavailable to us for now; order kept for later
        if outcome.kind != "permanent":  # a dead item no longer holds its channel back
            self.blocked.add(item.channel)

    def _failed(self, session: Any, item: OutboxItem, outcome: _Outcome) -> None:
        error = f"{item.op} to {item.channel}: {outcome.error}"
        log.warning("Slack %s", error)
        if outcome.kind == "rate_limited":
            self.retry_at = self.now + timedelta(seconds=max(1.0, outcome.retry_after))
            store.reschedule(session, item.id, error, self.retry_at)
        elif outcome.kind == "transient":
            delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(item.attempts, 10))
            self.retry_at = self.now + timedelta(seconds=delay * (0.5 + self.rng.random() / 2))
            store.reschedule(session, item.id, error, self.retry_at)
        elif outcome.kind == "config":
            self.failed += 1
            store.reschedule(session, item.id, error, self.now + CONFIG_RETRY)
            _tell_ops(session, self.config, item, outcome.error, self.now)
        elif item.op == "update" and outcome.error in GONE_ERRORS:
            store.give_up(session, item.id, error)  # the message was deleted: nothing to fix
        else:
            self.failed += 1
            store.give_up(session, item.id, error)
            _tell_ops(session, self.config, item, outcome.error, self.now)


def _group(item: OutboxItem) -> str:
    return store.message_group(item.op, item.key, item.payload)


def _parent(session: Any, item: OutboxItem) -> store.SentTarget | None:
    key = item.payload.get("parent_key") if item.op == "thread" else (
        item.payload.get("target_key") if item.op == "update" else None)
    if key is None:
        if item.op in ("thread", "update"):
            raise _Deps(True, f"{item.op} without a parent key")
        return None
    parent = store.target(session, key)
    if parent is None:
        raise _Deps(True, f"parent item {key} does not exist")
    if parent.state == "dead":
        raise _Deps(True, f"parent item {key} could not be sent")
    if parent.state != "sent" or not parent.ts:
        raise _Deps(False, f"waiting for {key}")
    return parent


def _metadata(item: OutboxItem) -> dict[str, Any]:
    return item.payload.get("metadata") or {
        "event_type": "vigia_alert", "event_payload": {"key": item.key}}


def _attempt(client: WebClient, item: OutboxItem, parent: store.SentTarget | None,
             known_channel: str | None, sleep: Callable[[float], None]) -> _Outcome:
    """Reconcile if an earlier attempt may have landed, then make the call (one short
    Retry-After is slept through); every failure becomes an `_Outcome`, never an exception."""
    waited = False
    while True:
        try:
            if item.attempts > 0 and item.op in ("post", "thread", "ops"):
                found = _reconcile(client, item, parent, known_channel)
                if found is not None:
                    return _Outcome("reconciled", ts=found[1], channel_id=found[0])
            return _call(client, item, parent)
        except SlackApiError as exc:
            outcome = _classify(exc)
        except Exception as exc:  # timeouts, resets, refused connections, truncated bodies
            outcome = _Outcome("transient", error=type(exc).__name__ + ": " + str(exc)[:200])
        if outcome.kind == "rate_limited" and outcome.retry_after <= INLINE_WAIT_MAX_S and (
                not waited):
            waited = True
            sleep(max(0.0, outcome.retry_after))
            continue
        return outcome


def _call(client: WebClient, item: OutboxItem, parent: store.SentTarget | None) -> _Outcome:
    payload = item.payload
    common: dict[str, Any] = {"text": payload.get("text", "")}
    if payload.get("blocks"):
        common["blocks"] = payload["blocks"]
    elif item.op == "ops":  # plain notices queued without `ops_message` are escaped here
        common["text"] = escape_mrkdwn(common["text"])
    if item.op == "update":
        assert parent is not None
        resp = client.chat_update(channel=parent.channel_id or item.channel,
                                  ts=str(parent.ts), **common)
        return _Outcome("sent", ts=resp.get("ts"), channel_id=resp.get("channel"))
    if item.op == "thread":
        assert parent is not None
        common["thread_ts"] = parent.ts
        channel = parent.channel_id or item.channel
    else:
        channel = item.channel
    resp = client.chat_postMessage(channel=channel, metadata=_metadata(item),
                                   unfurl_links=False, unfurl_media=False, **common)
    return _Outcome("sent", ts=resp.get("ts"), channel_id=resp.get("channel"))


def _reconcile(client: WebClient, item: OutboxItem, parent: store.SentTarget | None,
               known_channel: str | None) -> tuple[str, str] | None:
    """`_find_sent`, except for a channel only known by name that Slack's history API does not
    resolve: posting again (a possible duplicate) beats never delivering the alert."""
    if known_channel is None and item.op != "thread" and not CHANNEL_ID.match(item.channel):
        try:
            known_channel = resolve_channel_id(client, item.channel)
        except SlackApiError as exc:  # no channels:read scope: history by name will tell
            log.warning("cannot list channels to resolve %s: %s", item.channel,
                        _classify(exc).error)
    try:
        return _find_sent(client, item, parent, known_channel)
    except SlackApiError as exc:
        channel = known_channel or item.channel
        if _classify(exc).error == "channel_not_found" and not CHANNEL_ID.match(channel):
            log.warning("cannot check %s by name before re-sending %s; configure its channel "
                        "id (C0123ABCD) to rule out duplicates", channel, item.key)
            return None
        raise


def _find_sent(client: WebClient, item: OutboxItem, parent: store.SentTarget | None,
               known_channel: str | None) -> tuple[str, str] | None:
    """(channel id, ts) of a message already carrying this item's key, if any."""
    if item.op == "thread":
        assert parent is not None
        channel = parent.channel_id or item.channel
        resp = client.conversations_replies(channel=channel, ts=str(parent.ts),
                                            include_all_metadata=True, limit=200)
        pages = [resp]
    else:
        channel = known_channel or item.channel
        oldest = (item.created_at - RECONCILE_MARGIN).timestamp()
        pages = []
        cursor = None
        for _ in range(HISTORY_PAGES):
            resp = client.conversations_history(channel=channel, oldest=f"{oldest:.6f}",
                                                include_all_metadata=True, limit=200,
                                                cursor=cursor)
            pages.append(resp)
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not resp.get("has_more") or not cursor:
                break
    for resp in pages:
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            if (meta.get("event_payload") or {}).get("key") == item.key:
                return str(resp.get("channel") or channel), str(message["ts"])
    return None


def _classify(exc: SlackApiError) -> _Outcome:
    response = exc.response
    status = getattr(response, "status_code", 200)
    data = response.data if isinstance(getattr(response, "data", None), dict) else {}
    error = str(data.get("error") or f"HTTP {status}")
    if status == 429 or error == "ratelimited":
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        value = headers.get("retry-after", "30")
        value = value[0] if isinstance(value, list) else value
        try:
            retry_after = float(value)
        except (TypeError, ValueError):
            retry_after = 30.0
        return _Outcome("rate_limited", error=f"rate limited (Retry-After {value})",
                        retry_after=retry_after)
    if status >= 500 or error in TRANSIENT_ERRORS or "non-JSON" in error:
        return _Outcome("transient", error=error[:200])
    if error in CONFIG_ERRORS:
        return _Outcome("config", error=error)
    return _Outcome("permanent", error=error[:200])


def _tell_ops(session: Any, config: Config, item: OutboxItem, error: str,
              now: datetime) -> None:
    """One ops notice per channel, error and day; never about the ops channel itself."""
    if item.op == "ops" or item.channel == config.slack.ops_channel or error in AUTH_ERRORS:
        log.error("Slack refused %s to %s: %s (%s)", item.op, item.channel, error,
                  HINTS.get(error, "see the Slack API docs"))
        return
    from alerts.engine import enqueue_ops_notice

    hint = HINTS.get(error, "the message was not accepted")
    enqueue_ops_notice(session, config, f"slack-error:{item.channel}:{error}:{now:%Y-%m-%d}",
                       f"Vigía cannot deliver to {item.channel}: {error} ({hint}). "
                       "Alerts are kept and will be sent once this is fixed.", now)


def check_slack(client: WebClient, config: Config) -> list[str]:
    """Problems that stop alerts from reaching Slack (for `vigia check`); empty when fine."""
    env = config.slack.token_env
    if not client.token:
        return [f"slack.token_env: environment variable {env} is not set"]
    try:
        client.auth_test()
    except SlackApiError as exc:
        error = _classify(exc).error
        return [f"slack.token_env ({env}): Slack rejected the token: {error} "
                f"({HINTS.get(error, 'check the token')})"]
    except Exception as exc:
        return [f"slack: Slack API unreachable ({type(exc).__name__})"]
    channels: dict[str, str] = {}
    for brand in config.brands:
        channels.setdefault(brand.slack_channel, f'brands."{brand.name}".slack_channel')
        if brand.marketing_channel:
            channels.setdefault(brand.marketing_channel,
                                f'brands."{brand.name}".marketing_channel')
    channels.setdefault(config.slack.ops_channel, "slack.ops_channel")
    problems: list[str] = []
    for channel, key in channels.items():
        try:
            channel_id = resolve_channel_id(client, channel)
            if channel_id is None:
                problems.append(f"{key} = {channel!r}: channel_not_found "
                                f"({HINTS['channel_not_found']})")
                continue
            info = client.conversations_info(channel=channel_id)
        except SlackApiError as exc:
            error = _classify(exc).error
            problems.append(f"{key} = {channel!r}: {error} ({HINTS.get(error, 'check it')})")
            continue
        except Exception as exc:
            problems.append(f"{key} = {channel!r}: not checked ({type(exc).__name__})")
            continue
        if (info.get("channel") or {}).get("is_member") is False:
            problems.append(f"{key} = {channel!r}: {HINTS['not_in_channel']}")
    return problems
