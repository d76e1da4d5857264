"""Bolt handlers for Reply: open the modal, pick a suggestion, live budget, Send.

Permission is checked on the click (a refusal modal instead of the form) and again on Send
(the authority): the brand must have `reply_from_slack.enabled` and the user must be listed in
`allowed_users` or belong to one of `allowed_groups` (usergroups.users.list). The Send
handler answers Slack within its 3 seconds: the platform call is bounded by
`replies.timeout_s`, and a late answer becomes "being sent, Vigía confirms in the thread" while
the outbox item is reconciled later, never posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alerts import delivery
from alerts.blocks import ACTION_REPLY, SOURCE_NAMES, user_mention
from alerts.escape import escape_mrkdwn, slack_link
from alerts.reply_modal import (
    CALLBACK_ID,
    PICK_ACTION,
    TEXT_ACTION,
    ReplyForm,
    budget_line,
    confirmed,
    counted,
    limit_for,
    message_view,
    read_metadata,
    reply_view,
    submitted_text,
)
from alerts.reply_send import ReplyRequest, SendOutcome, send_reply
from monitor.config import Config
from monitor.storage import alerts as store
from monitor.storage import platform_replies as replies
from monitor.storage.db import Database
from sources.reply_base import Replier

log = logging.getLogger(__name__)


class OriginCheck(Protocol):
    """interactive._Origin: which payloads come from our app and workspace."""

    app_id: str | None

    def team_id(self) -> str | None: ...

    def accepts(self, body: dict[str, Any]) -> bool: ...


def allowed(config: Config, client: WebClient, brand: str, user_id: str) -> str | None:
    """None when `user_id` may reply for `brand`, else the refusal in plain words."""
    try:
        settings = config.brand(brand).reply_from_slack
    except KeyError:
        return "This brand is no longer configured in Vigía."
    if not settings.enabled:
        return (f"Replying from Slack is off for {brand}. An admin can turn it on in "
                "config.toml (brands.reply_from_slack.enabled).")
    if user_id in settings.allowed_users:
        return None
    for group in settings.allowed_groups:
        try:
            members = client.usergroups_users_list(usergroup=group).get("users") or []
        except (SlackApiError, OSError) as exc:
            log.warning("usergroups.users.list %s failed (%s)", group, type(exc).__name__)
            continue
        if user_id in members:
            return None
    return (f"You are not on the list of people who may reply for {brand} from Slack. Ask an "
            f"admin to add your Slack id ({user_id}) to brands.reply_from_slack.allowed_users.")


def _ours(origin: OriginCheck, body: dict[str, Any]) -> bool:
    """A view payload has no channel: check app and workspace only."""
    if origin.app_id and body.get("api_app_id") != origin.app_id:
        return False
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    ours = origin.team_id()
    return ours is not None and team == ours


def form_for(db: Database, alert_key: str) -> tuple[ReplyForm | None, str | None]:
    """The modal's content for a case plus an "answered meanwhile" warning, if any."""
    with db.transaction() as session:
        alert = store.get_alert(session, alert_key)
        case = replies.load_case(session, alert_key)
        items = replies.items_for(session, alert.id) if alert else []
    if alert is None or case is None or "card" not in alert.payload:
        return None, None
    card = alert.payload["card"]
    form = ReplyForm(alert_key, alert.brand, case.source, str(card.get("author_handle", "")),
                     str(card.get("author_name", "")), str(card.get("text", "")),
                     str(card.get("url", "")), [str(s) for s in card.get("suggestions", [])])
    sent = [i for i in items if i.state == "sent"]
    warning = None
    if sent:
        warning = (f"{user_mention(sent[-1].slack_user)} already answered this from Slack.")
    elif case.answered_at is not None:
        warning = f"The brand already answered this on the platform ({case.answered_by})."
    elif case.state in ("answered", "dismissed"):
        warning = f"This case was closed meanwhile ({case.state})."
    return form, warning


def _open_modal_form(
    db: Database, origin: OriginCheck, body: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], ReplyForm, str | None] | None:
    """For an action inside the open Reply modal: its view, metadata, form and warning; None
    when the case is gone or the payload is not from our app and workspace (ignored)."""
    view = body.get("view") or {}
    meta = read_metadata(view)
    form, warning = form_for(db, str(meta.get("key", "")))
    if form is None or not _ours(origin, body):
        return None
    return view, meta, form, warning


def register(app: App, db: Database, config: Config, client: WebClient,
             origin: OriginCheck, now: Callable[[], datetime],
             repliers: Mapping[str, Replier]) -> None:
    """Wire Reply, the suggestion picker, the live budget and Send onto `app`."""

    def open_modal(ack: Callable[..., None], body: dict[str, Any],
                   action: dict[str, Any]) -> None:
        ack()
        if not origin.accepts(body):
            log.warning("ignored a Reply click from outside Vigía's app/workspace/channels")
            return
        user = (body.get("user") or {}).get("id", "")
        form, warning = form_for(db, str(action.get("value", "")))
        if form is None:
            view = message_view("Reply", "This alert no longer exists in Vigía.")
        elif (refusal := allowed(config, client, form.brand, user)) is not None:
            view = message_view("Reply", escape_mrkdwn(refusal))
        elif form.source not in repliers:
            source = SOURCE_NAMES.get(form.source, form.source)
            view = message_view("Reply", f"Replies to {source} are not set up: see "
                                "`vigia check` and docs/reply-from-slack.md.")
        else:
            view = reply_view(replace(form, warning=warning))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def pick(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _open_modal_form(db, origin, body)
        if found is None:
            return
        view, meta, form, warning = found
        chosen = int((action.get("selected_option") or {}).get("value", 0) or 0)
        form = replace(form, chosen=chosen, version=int(meta.get("v", 0)) + 1,
                       warning=warning if meta.get("confirm") else None)
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=reply_view(form))

    def typed(ack: Callable[..., None], body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        found = _open_modal_form(db, origin, body)
        if found is None:
            return
        view, _meta, form, _warning = found
        blocks = [dict(b) for b in view.get("blocks") or []]
        for block in blocks:
            if block.get("block_id") == "vigia_reply_budget":
                block["elements"] = [{"type": "mrkdwn", "text": budget_line(
                    form.source, str(action.get("value") or ""), form.author_handle)}]
        kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
        new: dict[str, Any] = {k: view[k] for k in kept if k in view}
        new["blocks"] = blocks
        try:
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=new)
        except SlackApiError as exc:  # hash_conflict: the user kept typing; next key wins
            log.debug("budget update skipped: %s", exc.response.get("error"))

    def submit(ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any]) -> None:
        if not _ours(origin, body):
            ack()
            return
        user = body.get("user") or {}
        user_id = str(user.get("id", ""))
        meta = read_metadata(view)
        form, _warning = form_for(db, str(meta.get("key", "")))
        text, block_id = submitted_text(view)
        if form is None or block_id is None:
            ack(response_action="update",
                view=message_view("Reply", "This alert no longer exists in Vigía."))
            return
        refusal = allowed(config, client, form.brand, user_id)
        if refusal is not None:
            ack(response_action="update", view=message_view("Reply", escape_mrkdwn(refusal)))
            return
        if not text.strip():
            ack(response_action="errors", errors={block_id: "Write the reply first."})
            return
        used, limit = counted(form.source, text, form.author_handle), limit_for(form.source)
        if used > limit:
            ack(response_action="errors", errors={
                block_id: f"Too long: {used} characters, {limit} allowed here."})
            return
        request = ReplyRequest(form.alert_key, text, user_id,
                               str(user.get("username") or user.get("name") or ""),
                               str(view.get("id", "")),
                               bool(meta.get("confirm")) and confirmed(view))
        outcome = send_reply(db, repliers, request, now(), config=config)
        log.info("reply from Slack on %s by %s: %s", form.alert_key, user_id, outcome.status)
        _answer(ack, outcome, form, text, int(meta.get("v", 0)), block_id)
        if outcome.status == "sent":
            try:  # show the closed card now rather than at the next delivery round
                delivery.deliver(db, client, config, now(), limit=10)
            except Exception as exc:  # the outbox keeps the update for the next round
                log.warning("card update after a reply failed (%s)", type(exc).__name__)

    app.action(ACTION_REPLY)(open_modal)
    app.action(PICK_ACTION)(pick)
    app.action(TEXT_ACTION)(typed)
    app.view(CALLBACK_ID)(submit)


def _answer(ack: Callable[..., None], outcome: SendOutcome, form: ReplyForm, text: str,
            version: int, block_id: str) -> None:
    """Turn the send outcome into the modal's next state; the typed text is never lost."""
    if outcome.status in ("sent", "already_sent"):
        link = (f" {slack_link(outcome.permalink, 'Open it')}" if outcome.permalink else "")
        ack(response_action="update", view=message_view(
            "Reply sent", f"✅ Your reply was posted as {escape_mrkdwn(form.brand)}.{link}"))
    elif outcome.status == "answered_meanwhile":
        who = f" ({user_mention(outcome.answered_by)})" if outcome.answered_by else ""
        ack(response_action="update", view=reply_view(replace(
            form, text=text, version=version + 1,
            warning=f"{outcome.message}{who} Nothing was sent.")))
    elif outcome.status in ("in_progress", "uncertain"):
        ack(response_action="update", view=message_view(
            "Reply", f"⏳ {escape_mrkdwn(outcome.message)} Vigía confirms in the alert's "
            "thread once it is posted; do not send it again."))
    else:
        ack(response_action="errors", errors={block_id: outcome.message[:1900]})
