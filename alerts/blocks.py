"""Slack Block Kit messages for alerts, escalations, crises and ops notices.

Every string that came from outside (post text, names, handles, URLs, error messages) goes
through `escape_mrkdwn` and `truncate`, so a post cannot ping a channel, disguise a link or
push a block over Slack's limits (which would make Slack reject the whole message and leave a
complaint unseen). The only mention syntax produced here is the on-call group's
`<!subteam^ID>`, from configuration, and `<@U…>` for Slack user ids that our own buttons
reported, both validated by pattern.

The card speaks the brand's language (`AlertCard.brand_lang`: labels, buttons, notes, from
`alerts.i18n`), and says first why it is there (`alerts.card_text`); the suggested replies stay
in the customer's language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from alerts.card_text import PLATFORMS, hours_note, priority_line, track_label, why_line
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
from alerts.i18n import (
    compact,
    decimal,
    lang_code,
    language_name,
    number,
    percent,
    phrase,
    table,
)

Block = dict[str, Any]

ACTION_ANSWERED = "vigia_answered"
ACTION_SNOOZE = "vigia_snooze"
ACTION_NOT_RELEVANT = "vigia_not_relevant"
ACTION_ASSIGN = "vigia_assign"
ACTION_WRONG_SENTIMENT = "vigia_wrong_sentiment"
ACTION_REPLY = "vigia_reply"
ACTION_CORRECT = "vigia_correct"
ACTIONS_BLOCK_ID = "vigia_actions"

SOURCE_NAMES = PLATFORMS
SUGGESTION_BLOCK_PREFIX = "vigia_suggestion_"  # block_id of each suggested reply's section
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
    # The brand's business hours, for "outside business hours" (whose hours, when the clock
    # starts); empty on cards stored before Vigía said so.
    timezone: str = ""
    hours_days: list[str] = field(default_factory=list)  # ["mon", ..., "fri"]
    hours_span: str = ""  # "09:00–19:00"
    clock_starts_at: str | None = None  # ISO instant the SLA clock starts; None = when posted


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


# ---------------------------------------------------------------------------- messages


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": plain(text, 75), "action_id": action_id,
                     "value": value}
    if style:
        button["style"] = style
    return button


def _actions(card: AlertCard) -> Block:
    value = button_value(card.alert_key)
    words = table("card", card.brand_lang)
    return {
        "type": "actions",
        "block_id": ACTIONS_BLOCK_ID,
        "elements": [
            _button(words["btn_answered"], ACTION_ANSWERED, value, "primary"),
            _button(words["btn_snooze"], ACTION_SNOOZE, value),
            _button(words["btn_not_relevant"], ACTION_NOT_RELEVANT, value),
            _button(words["btn_assign"], ACTION_ASSIGN, value),
            *([_button(words["btn_reply"], ACTION_REPLY, value)] if card.reply_enabled else []),
            _correct_menu(card),
        ],
    }


def _reply_button_block(card: AlertCard) -> Block:
    """The Reply button alone, for SLA follow-ups in the thread."""
    return {"type": "actions", "block_id": "vigia_reply_actions",
            "elements": [_button(phrase("card", card.brand_lang, "btn_reply"), ACTION_REPLY,
                                 button_value(card.alert_key), "primary")]}


CORRECTION_CATEGORIES = ("complaint", "question", "praise", "other")


def correction_text(category: str, track: str, lang: str | None) -> str:
    """The menu's words: "Es una pregunta"; for "other", "No es una queja (nada que responder)"
    on a complaint card and "No es una pregunta (…)" on a question card."""
    key = f"fix_other_{'question' if track == 'question' else 'complaint'}" \
        if category == "other" else f"fix_{category}"
    return phrase("card", lang, key)


def _correct_menu(card: AlertCard) -> Block:
    """Tell Vigía what the mention really is: stored as a training example for the next model."""
    options = [{"text": plain(f"🤔 {correction_text(category, card.track, card.brand_lang)}",
                              75),
                "value": f"{category}|{card.alert_key}"}
               for category in CORRECTION_CATEGORIES if category != card.track]
    return {"type": "overflow", "action_id": ACTION_CORRECT, "options": options}


def answered_note(card: AlertCard) -> str:
    """Thread note when the brand replied: "✅ Respondida por @shop en 37 min" (brand language)."""
    words = table("card", card.brand_lang)
    who = (words["answered_by"].format(who=handle(card.answered_by, card.source))
           if card.answered_by else "")
    after = (words["answered_after"].format(t=duration(card.answered_after_minutes))
             if card.answered_after_minutes is not None else "")
    return f"{words['answered']}{who}{after}"


def _closed_line(card: AlertCard) -> str | None:
    """The line that replaces the buttons once an alert is closed, or None while open."""
    if card.state == "answered" and card.slack_reply is not None:
        return card.slack_reply.line
    if card.state == "answered":
        note = answered_note(card)
        marked = phrase("card", card.brand_lang, "marked_by", who=_who(card.closed_by, card))
        return note if card.answered_by or not card.closed_by else f"{note} {marked}"
    if card.state == "dismissed":
        return phrase("card", card.brand_lang, "dismissed", who=_who(card.closed_by, card))
    return None


def _who(user_id: str | None, card: AlertCard) -> str:
    return user_mention(user_id) if user_id else phrase("card", card.brand_lang, "someone")


def _status_line(card: AlertCard) -> str | None:
    words = table("card", card.brand_lang)
    parts = []
    if card.state == "snoozed":
        parts.append(words["snoozed"])
    if card.state == "escalated":
        parts.append(words["escalated"])
    if card.assigned_to:
        parts.append(words["assigned"].format(who=user_mention(card.assigned_to)))
    return " · ".join(parts) or None


def _timing(card: AlertCard) -> str:
    words = table("card", card.brand_lang)
    remaining = duration(card.minutes_left)
    left = (f"⚠️ *{words['overdue'].format(t=remaining)}*" if card.minutes_left < 0
            else f"⏳ {words['left'].format(t=remaining)}")
    return (f"🕒 {words['ago'].format(t=duration(card.age_minutes))} · {left} "
            f"({words['target'].format(t=duration(card.sla_minutes))})")


def _hours_note(card: AlertCard) -> str | None:
    """Only for a mention posted outside the brand's business hours."""
    if card.business_hours:
        return None
    return hours_note(brand=card.brand, days=card.hours_days, span=card.hours_span,
                      timezone=card.timezone, clock_starts_at=card.clock_starts_at,
                      lang=card.brand_lang)


def _author_line(card: AlertCard, name: str) -> str:
    """Who posted, with the reach only where the platform reports one (no "0 followers" for
    Facebook, Reddit or Instagram comments, which give none)."""
    shown = handle(card.author_handle, card.source)
    line = f"👤 *{name}*{' ' + shown if shown and shown != name else ''}"
    if card.author_reach > 0:
        count = compact(card.author_reach, card.brand_lang)
        line += f" · {phrase('card', card.brand_lang, 'followers', n=count)}"
    return line


def _suggestion_title(card: AlertCard, number: int) -> str:
    title = f"*{phrase('card', card.brand_lang, 'suggested', n=str(number))}*"
    customer = card.lang.split("-", 1)[0].casefold() if card.lang else None
    if customer and customer != lang_code(card.brand_lang):
        language = escape_mrkdwn(language_name(customer, card.brand_lang))
        title += f" · {phrase('card', card.brand_lang, 'in_customer_lang', language=language)}"
    return title


def _title(card: AlertCard, source: str) -> str:
    """"🔴 ALTA PRIORIDAD · Queja · X (Twitter) · Sol" / "❓ Pregunta sin respuesta · …"."""
    track = track_label(card.track, card.brand_lang)
    if card.priority == "high":
        lead = f"🔴 {phrase('card', card.brand_lang, 'high_title')} · {track}"
    else:
        lead = f"{'❓' if card.track == 'question' else '🟠'} {track}"
    return f"{lead} · {source} · {card.brand}"


def _why(card: AlertCard) -> str:
    """What was detected and why it is escalated, before anything else on the card."""
    line = why_line(track=card.track, probability=card.probability, situation=card.situation,
                    age=duration(card.age_minutes), lang=card.brand_lang)
    urgent = priority_line(card.priority_reasons, card.brand_lang) \
        if card.priority == "high" else None
    return f"{line}\n{urgent}" if urgent else line


def alert_message(card: AlertCard) -> tuple[str, list[Block]]:
    """The alert card: why it is here, who said what, how urgent, suggested replies, buttons."""
    source = SOURCE_NAMES.get(card.source, card.source.title())
    loud = card.priority == "high"
    words = table("card", card.brand_lang)
    name = (truncate(escape_mrkdwn(" ".join(card.author_name.split())), 100)
            or handle(card.author_handle, card.source))
    label_word = words.get(f"label_{card.label}", card.label)
    label = (f"{LABEL_EMOJI.get(card.label, '❔')} {escape_mrkdwn(label_word)} "
             f"({percent(card.confidence, card.brand_lang)})")
    lang = escape_mrkdwn(card.lang or "?")
    notes = [f"🔗 {slack_link(card.url, words['open_on'].format(platform=source))}",
             f"{label} · 🌐 {lang}", _timing(card)]
    hours = _hours_note(card)
    if hours:
        notes.append(hours)
    blocks: list[Block] = [
        header(_title(card, source)),
        section(_why(card)),
        section(_author_line(card, name)),
        section(quote(card.text, more_url=card.url)),
        context(*notes),
    ]
    if card.suggestions:
        blocks.append({"type": "divider"})
        for number, suggestion in enumerate(card.suggestions[:3], 1):
            body = truncate(escape_mrkdwn(suggestion).replace("```", "ˋˋˋ"),
                            SECTION_TEXT_LIMIT - 200)
            block = section(f"{_suggestion_title(card, number)}\n```{body}```")
            block["block_id"] = f"{SUGGESTION_BLOCK_PREFIX}{number}"
            blocks.append(block)
    status = _status_line(card)
    closed = _closed_line(card)
    if status and not closed:
        blocks.append(context(status))
    if closed and card.state == "answered" and card.slack_reply is not None:
        reply = card.slack_reply
        blocks.append(section(quote(reply.text, limit=1_000, more_url=reply.url or None)))
        if slack_url(reply.url):
            blocks.append(context(f"🔗 {slack_link(reply.url, words['open_reply'])}"))
    blocks.append(context(closed) if closed else _actions(card))
    excerpt = truncate(escape_mrkdwn(" ".join(card.text.split())), 200)
    who = handle(card.author_handle, card.source) or name
    text = words["fallback"].format(brand=escape_mrkdwn(card.brand), platform=source, who=who,
                                    track=track_label(card.track, card.brand_lang),
                                    excerpt=excerpt)
    return finish(f"🔴 {text}" if loud else text, blocks)


def escalation_message(card: AlertCard, oncall_group: str | None) -> tuple[str, list[Block]]:
    """The louder thread reply when the response target passes without an answer."""
    ping = group_mention(oncall_group)
    words = table("card", card.brand_lang)
    headline = words["missed"].format(t=duration(card.age_minutes))
    lead = f"{ping} {headline}" if ping else headline
    who = handle(card.author_handle, card.source) or escape_mrkdwn(card.author_name)
    why = why_line(track=card.track, probability=card.probability, situation=card.situation,
                   age=duration(card.age_minutes), lang=card.brand_lang)
    facts = [who]
    if card.author_reach > 0:
        facts.append(words["followers"].format(n=compact(card.author_reach, card.brand_lang)))
    facts.append(slack_link(card.url, words["open_post"]))
    blocks: list[Block] = [
        section(f"*{lead}*\n{why}"),
        section(quote(card.text, limit=500, more_url=card.url)),
        context(" · ".join(facts)),
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
    *,
    lang: str | None = "en",
) -> tuple[str, list[Block]]:
    """Alert for an abnormal burst of negative mentions, with a few examples to read, in the
    team's language (`lang`, the brand's first language)."""
    words = table("card", lang)
    ping = group_mention(oncall_group)
    headline = words["crisis_headline"].format(
        brand=escape_mrkdwn(brand), count=number(count, lang), t=duration(window_minutes),
        usual=decimal(baseline, lang), ratio=decimal(ratio, lang))
    lead = f"{ping} {headline}" if ping else headline
    blocks: list[Block] = [
        header(words["crisis_title"].format(brand=brand)),
        section(lead),
    ]
    shown = list(examples)[:10]
    if shown:
        blocks.append(context(words["crisis_examples"]))
    ordered = sorted((example_fields(e) for e in shown), key=lambda f: -f[2])
    for text, url, count_reach in ordered:
        blocks.append(section(quote(text, limit=600, more_url=url)))
        blocks.append(context(f"{words['followers'].format(n=compact(count_reach, lang))} · "
                              f"{slack_link(url, words['open_post'])}"))
    blocks.append(context(words["crisis_advice"]))
    return finish(lead, blocks)


def ops_message(text: str) -> tuple[str, list[Block]]:
    """A notice for the ops channel (source failing, budget spent...), escaped."""
    body = escape_mrkdwn(text.strip())
    return finish(f"🛠 {body}", [section(f"🛠 {truncate(body, SECTION_TEXT_LIMIT - 4)}")])
