"""Slack Block Kit messages for alerts, escalations, crises and ops notices.

Every string that came from outside (post text, names, handles, URLs, error messages) goes
through `escape_mrkdwn` and `truncate`, so a post cannot ping a channel, disguise a link or
push a block over Slack's limits (which would make Slack reject the whole message and leave a
complaint unseen). The only mention syntax produced here is the on-call group's
`<!subteam^ID>`, from configuration, and `<@U…>` for Slack user ids that our own buttons
reported, both validated by pattern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from alerts.escape import (
    BUTTON_VALUE_LIMIT,
    CONTEXT_ELEMENT_LIMIT,
    FALLBACK_TEXT_LIMIT,
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    escape_mrkdwn,
    slack_link,
    slack_url,
    truncate,
)
from alerts.situations import situation_label

Block = dict[str, Any]

ACTION_ANSWERED = "vigia_answered"
ACTION_SNOOZE = "vigia_snooze"
ACTION_NOT_RELEVANT = "vigia_not_relevant"
ACTION_ASSIGN = "vigia_assign"
ACTION_WRONG_SENTIMENT = "vigia_wrong_sentiment"
ACTION_REPLY = "vigia_reply"
ACTION_CORRECT = "vigia_correct"
ACTIONS_BLOCK_ID = "vigia_actions"

SOURCE_NAMES = {"twitter": "X (Twitter)", "reddit": "Reddit", "facebook": "Facebook",
                "instagram": "Instagram", "bluesky": "Bluesky"}
LABEL_EMOJI = {"negative": "😠", "neutral": "😐", "positive": "😊"}
QUOTE_LIMIT = 2_800  # leaves room for the "> " prefixes inside the 3,000 section limit
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


@dataclass(frozen=True)
class SlackReplyNote:
    """A reply sent from Slack, as the closed card shows it (`line` already localised)."""

    line: str  # "✅ Answered from Slack by <@U…> after 14 min", mrkdwn, user id validated
    text: str  # what was posted, untrusted once it went through the platform: escaped here
    url: str  # permalink of the posted reply


@dataclass(frozen=True)
class AlertCard:
    """Everything one alert message shows; built by the escalation engine from stored rows."""

    alert_key: str
    brand: str
    source: str
    author_handle: str
    author_name: str
    author_reach: int
    text: str
    url: str
    label: str  # sentiment label: negative | neutral | positive
    confidence: float  # 0..1
    lang: str | None
    age_minutes: float
    sla_minutes: float
    minutes_left: float  # negative = overdue
    situation: str
    suggestions: list[str] = field(default_factory=list)
    priority: Literal["high", "normal"] = "normal"
    state: Literal["open", "answered", "snoozed", "dismissed", "escalated"] = "open"
    assigned_to: str | None = None  # Slack user id
    answered_by: str | None = None  # the brand account handle that answered
    answered_after_minutes: float | None = None
    closed_by: str | None = None  # Slack user id who closed it (not relevant)
    business_hours: bool = True  # False: created outside business hours (SLA clock paused)
    reply_enabled: bool = False  # the brand lets allowed Slack users reply from the card
    slack_reply: SlackReplyNote | None = None  # set once answered from Slack
    track: Literal["complaint", "question"] = "complaint"  # why the case exists
    probability: float | None = None  # P(track) from the reply head; None on Vigía 1 cards
    priority_reasons: list[str] = field(default_factory=list)
    brand_lang: str = "en"  # the language the team reads the card in


class ExampleLike(Protocol):
    """What a crisis example needs; `AlertCard` qualifies (read-only, as frozen fields are)."""

    @property
    def text(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def author_reach(self) -> int: ...


# ---------------------------------------------------------------- small formatting helpers


def duration(minutes: float) -> str:
    """37 -> "37 min"; 135 -> "2 h 15 min"; 1620 -> "1 d 3 h" (rounded to the minute)."""
    total = round(abs(minutes))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def reach(count: int) -> str:
    """Follower counts the way people read them: 950, 12.3k, 1.2M."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M".replace(".0M", "M")
    if count >= 10_000:
        return f"{count / 1000:.0f}k"
    if count >= 1_000:
        return f"{count / 1000:.1f}k".replace(".0k", "k")
    return str(count)


def handle(value: str, source: str = "twitter") -> str:
    """A handle with its platform prefix, escaped for mrkdwn ("" when the platform has none)."""
    bare = value.strip()
    if not bare:
        return ""
    if source == "reddit":
        shown = bare if bare.startswith(("u/", "/u/")) else f"u/{bare}"
    elif source == "facebook":
        shown = bare  # Facebook has no @handles: the name or page id as given
    else:
        shown = bare if bare.startswith("@") else f"@{bare}"
    return escape_mrkdwn(shown)


def user_mention(user_id: str | None) -> str:
    """`<@U…>` for a real Slack user id from our own interaction payloads, else escaped text."""
    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape_mrkdwn(user_id or "someone")


def group_mention(group_id: str | None) -> str:
    """`<!subteam^S…>` for the configured on-call group; "" when none or malformed."""
    if group_id and _GROUP_ID.match(group_id.strip()):
        return f"<!subteam^{group_id.strip()}>"
    return ""


def quote(text: str, limit: int = QUOTE_LIMIT, more_url: str | None = None) -> str:
    """User text escaped, truncated and shown as a mrkdwn block quote."""
    body = truncate(escape_mrkdwn(text.strip()) or "(no text)", limit, more_url)
    return "\n".join(f">{line}" if line.strip() else ">" for line in body.split("\n"))


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, str]:
    """A mrkdwn text object; `text` must already be escaped where it holds user data."""
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object. Slack parses no mentions here, but angle brackets are still
    swapped for look-alikes so that no `<!...>` ever appears in a payload we send."""
    shown = text.replace("<", "‹").replace(">", "›")
    return {"type": "plain_text", "text": truncate(shown, limit), "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> Block:
    return {"type": "context",
            "elements": [mrkdwn(t, CONTEXT_ELEMENT_LIMIT) for t in texts[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def finish(text: str, blocks: list[Block]) -> tuple[str, list[Block]]:
    """Fallback text within limits and at most 50 blocks (the last one, actions, kept)."""
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], blocks[-1]]
    return truncate(text, FALLBACK_TEXT_LIMIT), blocks


def example_fields(example: ExampleLike | Sequence[Any]) -> tuple[str, str, int]:
    """(text, url, reach) from an AlertCard-like object or a `(text, url, reach)` tuple."""
    if isinstance(example, tuple | list):
        text, url, count = example[0], example[1], example[2] if len(example) > 2 else 0
        return str(text), str(url), int(count or 0)
    card = cast(ExampleLike, example)
    return card.text, card.url, int(card.author_reach or 0)


def button_value(alert_key: str) -> str:
    """Button values carry the alert key; a key too long for Slack is a bug, not data."""
    if not alert_key or len(alert_key) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"alert_key must be 1..{BUTTON_VALUE_LIMIT} characters")
    return alert_key


def situation_text(situation: str, lang: str | None) -> str:
    """English name for the team, plus the customer's language when it differs."""
    english = situation_label(situation, "en")
    local = situation_label(situation, lang)
    return english if local == english else f"{english} ({lang}: {local})"


# ---------------------------------------------------------------------------- messages


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": plain(text, 75), "action_id": action_id,
                     "value": value}
    if style:
        button["style"] = style
    return button


def _actions(card: AlertCard) -> Block:
    value = button_value(card.alert_key)
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK_ID,
        "elements": [
            _button("✅ Mark answered", ACTION_ANSWERED, value, "primary"),
            _button("💤 Snooze 1 h", ACTION_SNOOZE, value),
            _button("🚫 Not relevant", ACTION_NOT_RELEVANT, value),
            _button("🙋 Assign to me", ACTION_ASSIGN, value),
            *([_button("↩️ Reply", ACTION_REPLY, value)] if card.reply_enabled else []),
            _correct_menu(card),
        ],
    }


def _reply_button_block(card: AlertCard) -> Block:
    """The Reply button alone, for SLA follow-ups in the thread."""
    return {"type": "actions", "block_id": "vigia_reply_actions",
            "elements": [_button("↩️ Reply", ACTION_REPLY, button_value(card.alert_key),
                                 "primary")]}


CORRECTION_OPTIONS = (("complaint", "It is a complaint"), ("question", "It is a question"),
                      ("praise", "It is praise"), ("other", "Not a complaint / nothing to answer"))


def _correct_menu(card: AlertCard) -> Block:
    """Tell Vigía what the mention really is: stored as a training example for the next model."""
    options = [{"text": plain(f"🤔 {text}", 75), "value": f"{category}|{card.alert_key}"}
               for category, text in CORRECTION_OPTIONS if category != card.track]
    return {"type": "overflow", "action_id": ACTION_CORRECT, "options": options}


def answered_note(card: AlertCard) -> str:
    """Thread note when the brand replied: "✅ Answered by @shop after 37 min"."""
    who = f" by {handle(card.answered_by, card.source)}" if card.answered_by else ""
    after = (f" after {duration(card.answered_after_minutes)}"
             if card.answered_after_minutes is not None else "")
    return f"✅ Answered{who}{after}"


def _closed_line(card: AlertCard) -> str | None:
    """The line that replaces the buttons once an alert is closed, or None while open."""
    if card.state == "answered" and card.slack_reply is not None:
        return card.slack_reply.line
    if card.state == "answered":
        note = answered_note(card)
        return note if card.answered_by or not card.closed_by else (
            f"{note} (marked by {user_mention(card.closed_by)})")
    if card.state == "dismissed":
        return f"🚫 Marked not relevant by {user_mention(card.closed_by)}"
    return None


def _status_line(card: AlertCard) -> str | None:
    parts = []
    if card.state == "snoozed":
        parts.append("💤 Snoozed")
    if card.state == "escalated":
        parts.append("⏰ Escalated: response target missed")
    if card.assigned_to:
        parts.append(f"🙋 Assigned to {user_mention(card.assigned_to)}")
    return " · ".join(parts) or None


def _timing(card: AlertCard) -> str:
    left = (f"⚠️ *overdue by {duration(card.minutes_left)}*" if card.minutes_left < 0
            else f"⏳ {duration(card.minutes_left)} left")
    hours = "" if card.business_hours else " · 🌙 outside business hours"
    return (f"🕒 {duration(card.age_minutes)} ago · {left} "
            f"(target {duration(card.sla_minutes)}){hours}")


def alert_message(card: AlertCard) -> tuple[str, list[Block]]:
    """The alert card: who said what, how urgent, suggested replies, and the buttons."""
    source = SOURCE_NAMES.get(card.source, card.source.title())
    loud = card.priority == "high"
    title = f"{'🔴 HIGH PRIORITY · ' if loud else '🟠 '}{source} · {card.brand}"
    name = (truncate(escape_mrkdwn(" ".join(card.author_name.split())), 100)
            or handle(card.author_handle, card.source))
    shown = handle(card.author_handle, card.source)
    author = (f"👤 *{name}*{' ' + shown if shown and shown != name else ''} · "
              f"{reach(card.author_reach)} followers")
    label = f"{LABEL_EMOJI.get(card.label, '❔')} {escape_mrkdwn(card.label)}"
    lang = escape_mrkdwn(card.lang or "unknown")
    blocks: list[Block] = [
        header(title),
        section(author),
        section(quote(card.text, more_url=card.url)),
        context(f"🔗 {slack_link(card.url, f'Open on {source}')}",
                f"{label} ({card.confidence:.0%}) · 🌐 {lang}", _timing(card)),
        section(f"🧭 *Situation:* {escape_mrkdwn(situation_text(card.situation, card.lang))}"),
    ]
    if card.suggestions:
        blocks.append({"type": "divider"})
        for number, reply in enumerate(card.suggestions[:3], 1):
            body = truncate(escape_mrkdwn(reply).replace("```", "ˋˋˋ"), SECTION_TEXT_LIMIT - 40)
            blocks.append(section(f"*Suggested reply {number}*\n```{body}```"))
    status = _status_line(card)
    closed = _closed_line(card)
    if status and not closed:
        blocks.append(context(status))
    if closed and card.state == "answered" and card.slack_reply is not None:
        reply = card.slack_reply
        blocks.append(section(quote(reply.text, limit=1_000, more_url=reply.url or None)))
        if slack_url(reply.url):
            blocks.append(context(f"🔗 {slack_link(reply.url, 'Open the reply')}"))
    blocks.append(context(closed) if closed else _actions(card))
    excerpt = truncate(escape_mrkdwn(" ".join(card.text.split())), 200)
    who = handle(card.author_handle, card.source) or name
    text = (f"{'🔴 ' if loud else ''}{escape_mrkdwn(card.brand)}: {escape_mrkdwn(card.label)} "
            f"mention on {source} by {who}: {excerpt}")
    return finish(text, blocks)


def escalation_message(card: AlertCard, oncall_group: str | None) -> tuple[str, list[Block]]:
    """The louder thread reply when the response target passes without an answer."""
    ping = group_mention(oncall_group)
    headline = f"⏰ Response target missed: {duration(card.age_minutes)} without answer"
    lead = f"{ping} {headline}" if ping else headline
    who = handle(card.author_handle, card.source) or escape_mrkdwn(card.author_name)
    blocks: list[Block] = [
        section(f"*{lead}*"),
        section(quote(card.text, limit=500, more_url=card.url)),
        context(f"{who} · {reach(card.author_reach)} followers · "
                f"{escape_mrkdwn(situation_text(card.situation, card.lang))} · "
                f"{slack_link(card.url, 'open the post')}"),
    ]
    if card.reply_enabled:
        blocks.append(_reply_button_block(card))
    return finish(f"{lead} ({escape_mrkdwn(card.brand)}, {who})", blocks)


def crisis_message(
    brand: str,
    count: int,
    baseline: float,
    ratio: float,
    window_minutes: int,
    examples: Sequence[ExampleLike | Sequence[Any]],
    oncall_group: str | None,
) -> tuple[str, list[Block]]:
    """Alert for an abnormal burst of negative mentions, with a few examples to read."""
    ping = group_mention(oncall_group)
    brand_text = escape_mrkdwn(brand)
    headline = (f"🚨 Possible crisis for {brand_text}: {count} negative mentions in "
                f"{duration(window_minutes)} (usual {baseline:.1f}, ×{ratio:.1f})")
    lead = f"{ping} {headline}" if ping else headline
    blocks: list[Block] = [
        header(f"🚨 Possible crisis · {brand}"),
        section(lead),
    ]
    shown = list(examples)[:10]
    if shown:
        blocks.append(context("Examples, most reach first:"))
    ordered = sorted((example_fields(e) for e in shown), key=lambda f: -f[2])
    for text, url, count_reach in ordered:
        blocks.append(section(quote(text, limit=600, more_url=url)))
        blocks.append(context(f"{reach(count_reach)} followers · "
                              f"{slack_link(url, 'open the post')}"))
    blocks.append(context("Check whether one cause explains it before answering one by one."))
    return finish(lead, blocks)


def ops_message(text: str) -> tuple[str, list[Block]]:
    """A notice for the ops channel (source failing, budget spent...), escaped."""
    body = escape_mrkdwn(text.strip())
    return finish(f"🛠 {body}", [section(f"🛠 {truncate(body, SECTION_TEXT_LIMIT - 4)}")])
