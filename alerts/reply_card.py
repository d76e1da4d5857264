"""How a case answered from Slack reads: the closing line in the brand's language, the card.

The stored case keeps `payload["slack_reply"]` (who, when, text, link); `card_of` rebuilds the
card from it on top of the engine's `card_for`, so every later rewrite (a click on the old
message, a queued update) still says who answered from Slack and after how long.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from alerts.blocks import AlertCard, SlackReplyNote, duration, user_mention
from alerts.engine import card_for
from alerts.policy import BrandClock
from monitor.storage.alerts import AlertRecord

ANSWERED_FROM_SLACK = {
    "es": "✅ Respondido desde Slack por {who} en {after}",
    "en": "✅ Answered from Slack by {who} after {after}",
    "pt": "✅ Respondido pelo Slack por {who} após {after}",
}
REPLY_NOTE = {
    "es": "{line}: {link}",
    "en": "{line}: {link}",
    "pt": "{line}: {link}",
}


def answered_line(user_id: str, minutes: float | None, lang: str) -> str:
    """ "✅ Answered from Slack by <@U…> after 14 min" in `lang` (English when unknown)."""
    template = ANSWERED_FROM_SLACK.get(lang, ANSWERED_FROM_SLACK["en"])
    after = duration(minutes) if minutes is not None else "?"
    return template.format(who=user_mention(user_id), after=after)


def slack_reply_payload(*, user_id: str, user_name: str, at: datetime, text: str,
                        external_id: str, permalink: str, account: str,
                        minutes: float | None) -> dict[str, Any]:
    """What the case stores about its reply from Slack (JSON-safe)."""
    return {"user": user_id, "user_name": user_name, "at": at.isoformat(), "text": text,
            "external_id": external_id, "permalink": permalink, "account": account,
            "minutes": None if minutes is None else round(minutes, 1)}


def card_of(alert: AlertRecord, now: datetime, *, clock: BrandClock | None = None,
            lang: str = "en", reply_enabled: bool = False) -> AlertCard:
    """The engine's card plus what Vigía knows about replies from Slack."""
    card = replace(card_for(alert, now, clock=clock), reply_enabled=reply_enabled)
    stored = alert.payload.get("slack_reply")
    if not isinstance(stored, dict) or alert.state != "answered":
        return card
    line = answered_line(str(stored.get("user", "")), stored.get("minutes"), lang)
    return replace(card, slack_reply=SlackReplyNote(line, str(stored.get("text", "")),
                                                    str(stored.get("permalink", ""))))
