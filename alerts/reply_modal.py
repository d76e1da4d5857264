"""The Reply modal: the mention quoted, suggested replies, editable text, character budget.

Everything from the mention goes through `quote`/`plain` (escaped; no `<!…>` can appear);
the text field is plain_text, so what the user types reaches the platform as typed, with no
mrkdwn escapes added. The modal's state travels in `private_metadata` (the case, the
suggestion shown, whether the user has seen "answered meanwhile"); Slack returns it verbatim.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from alerts.blocks import SOURCE_NAMES, Block, handle, mrkdwn, plain, quote, section
from alerts.scripts import CHANNEL_LIMITS, weighted_length

CALLBACK_ID = "vigia_reply_modal"
PICK_ACTION = "vigia_reply_pick"
TEXT_ACTION = "vigia_reply_text"
CONFIRM_BLOCK, CONFIRM_ACTION = "vigia_reply_confirm", "confirm"
SLACK_INPUT_MAX = 3000  # plain_text_input max_length


@dataclass(frozen=True)
class ReplyForm:
    """What the modal shows for one case."""

    alert_key: str
    brand: str
    source: str
    author_handle: str
    author_name: str
    mention_text: str
    url: str
    suggestions: list[str] = field(default_factory=list)
    chosen: int = 0  # which suggestion pre-fills the text
    text: str | None = None  # the text to keep (after an error); None = the chosen suggestion
    version: int = 0  # bumped to make Slack take a new initial value
    warning: str | None = None  # "answered meanwhile…": needs the confirm box ticked
    error: str | None = None  # shown above the text (the text itself is kept)


def limit_for(source: str) -> int:
    return CHANNEL_LIMITS.get(source, CHANNEL_LIMITS["twitter"])


def counted(source: str, text: str, author_handle: str) -> int:
    """Characters the platform counts: X weights most non-Latin characters double and the
    @handle the reply starts with counts too (added by X when the text does not start so)."""
    if source != "twitter":
        return len(text)
    mention = f"@{author_handle.lstrip('@')} " if author_handle else ""
    prefix = "" if not mention or text.startswith(mention.strip()) else mention
    return weighted_length(prefix + text)


def budget_line(source: str, text: str, author_handle: str) -> str:
    limit = limit_for(source)
    used = counted(source, text, author_handle)
    left = limit - used
    extra = " (the @handle counts)" if source == "twitter" else ""
    flag = "⚠️ " if left < 0 else ""
    return f"{flag}{used} / {limit} characters{extra}: {left} left"


def text_block_id(version: int) -> str:
    return f"vigia_reply_text_{version}"


def metadata(form: ReplyForm, confirm_seen: bool) -> str:
    return json.dumps({"key": form.alert_key, "chosen": form.chosen, "v": form.version,
                       "confirm": confirm_seen})


def read_metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def reply_view(form: ReplyForm) -> dict[str, Any]:
    """The modal (views.open / views.update / response_action=update)."""
    source = SOURCE_NAMES.get(form.source, form.source.title())
    who = handle(form.author_handle, form.source) or plain(form.author_name, 100)["text"]
    text = form.text if form.text is not None else (
        form.suggestions[form.chosen] if form.suggestions else "")
    blocks: list[Block] = [
        section(f"*Reply as {plain(form.brand, 100)['text']} on {source}* to {who}"),
        section(quote(form.mention_text, limit=1_500, more_url=form.url or None)),
    ]
    if form.warning:
        blocks.append(section(f"⚠️ *{form.warning}*"))
        blocks.append({"type": "input", "block_id": CONFIRM_BLOCK, "optional": False,
                       "label": plain("Send a second reply anyway?", 150),
                       "element": {"type": "checkboxes", "action_id": CONFIRM_ACTION,
                                   "options": [{"text": plain("Yes, send it", 75),
                                                "value": "yes"}]}})
    if form.suggestions:
        options = [{"text": plain(f"{i + 1}. {s}", 75), "value": str(i)}
                   for i, s in enumerate(form.suggestions[:3])]
        blocks.append({"type": "actions", "block_id": "vigia_reply_pick",
                       "elements": [{"type": "static_select", "action_id": PICK_ACTION,
                                     "placeholder": plain("Suggested replies", 75),
                                     "initial_option": options[min(form.chosen,
                                                                   len(options) - 1)],
                                     "options": options}]})
    if form.error:
        blocks.append(section(f"❌ {plain(form.error, 2_000)['text']}"))
    element: dict[str, Any] = {
        "type": "plain_text_input", "action_id": TEXT_ACTION, "multiline": True,
        "max_length": min(limit_for(form.source), SLACK_INPUT_MAX),
        "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]},
    }
    if text:
        element["initial_value"] = text[:SLACK_INPUT_MAX]
    blocks.append({"type": "input", "block_id": text_block_id(form.version),
                   "dispatch_action": True, "label": plain("Your reply (sent as typed)", 150),
                   "element": element})
    blocks.append({"type": "context", "block_id": "vigia_reply_budget",
                   "elements": [mrkdwn(budget_line(form.source, text, form.author_handle))]})
    return {
        "type": "modal", "callback_id": CALLBACK_ID,
        "title": plain("Reply", 24), "submit": plain("Send", 24), "close": plain("Cancel", 24),
        "private_metadata": metadata(form, form.warning is not None),
        "blocks": blocks,
    }


def message_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (refusal, sent, being sent); `text` is mrkdwn."""
    return {"type": "modal", "title": plain(title, 24), "close": plain("Close", 24),
            "blocks": [section(text)]}


def submitted_text(view: dict[str, Any]) -> tuple[str, str | None]:
    """(text as typed, its block id) from a view_submission's state."""
    values = (view.get("state") or {}).get("values") or {}
    for block_id, actions in values.items():
        if block_id.startswith("vigia_reply_text_"):
            return str((actions.get(TEXT_ACTION) or {}).get("value") or ""), block_id
    return "", None


def confirmed(view: dict[str, Any]) -> bool:
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get(CONFIRM_BLOCK) or {}).get(CONFIRM_ACTION) or {}).get(
        "selected_options") or []
    return any(o.get("value") == "yes" for o in chosen)
