"""Block Kit builders: structure, Slack limits, and no way for user text to ping or link."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from alerts.blocks import (
    ACTION_ANSWERED,
    ACTION_ASSIGN,
    ACTION_CORRECT,
    ACTION_NOT_RELEVANT,
    ACTION_SNOOZE,
    AlertCard,
    alert_message,
    answered_note,
    crisis_message,
    duration,
    escalation_message,
    ops_message,
    reach,
)

EVIL = ("<!channel> <!here> <!everyone> <@U0BOSS> <!subteam^S0ALL|@all> "
        "<https://evil.example|your bank> &lt;!here&gt; @channel")
EVIL_URL = "https://x.com/a/status/1?ref=a|b>c<d&e=1"
ACTION_IDS = [ACTION_ANSWERED, ACTION_SNOOZE, ACTION_NOT_RELEVANT, ACTION_ASSIGN,
              ACTION_CORRECT]


def card(**changes: Any) -> AlertCard:
    base = AlertCard(
        alert_key="mention:42", brand="Sol", source="twitter", author_handle="ana_g",
        author_name="Ana <!channel>", author_reach=12_345,
        text="¿Dónde está mi pedido? " + EVIL, url=EVIL_URL, label="negative",
        confidence=0.874, lang="es", age_minutes=37, sla_minutes=120, minutes_left=83,
        situation="shipping_delay",
        suggestions=["Hola, Ana. Sentimos la espera <!here>.", "Ana, perdón.", "Tercera"],
    )
    return dataclasses.replace(base, **changes)


def all_texts(node: Any) -> list[str]:
    """Every string value under a `text` key (text objects and their contents)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(all_texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(all_texts(item))
    return found


def assert_safe(text: str, blocks: list[dict[str, Any]], allowed: tuple[str, ...] = ()) -> None:
    dumped = json.dumps(blocks, ensure_ascii=False) + text
    for control in re.findall(r"<[!@][^>]*>", dumped):
        assert control in allowed, control
    assert "<https://evil" not in dumped
    assert "your bank>" not in dumped
    assert len(blocks) <= 50
    assert len(text) <= 3000
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 2000 for e in block["elements"])
        if block["type"] == "actions":
            for element in block["elements"]:
                if element["type"] == "overflow":
                    assert 2 <= len(element["options"]) <= 5
                    for option in element["options"]:
                        assert len(option["text"]["text"]) <= 75
                        assert len(option["value"]) <= 150
                    continue
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000


def test_alert_message_structure() -> None:
    text, blocks = alert_message(card())
    assert_safe(text, blocks)
    assert blocks[0]["type"] == "header"
    assert "X (Twitter)" in blocks[0]["text"]["text"] and "Sol" in blocks[0]["text"]["text"]
    actions = blocks[-1]
    assert actions["type"] == "actions"
    assert [e["action_id"] for e in actions["elements"]] == ACTION_IDS
    assert {e["value"] for e in actions["elements"] if "value" in e} == {"mention:42"}
    menu = actions["elements"][-1]
    assert [o["value"] for o in menu["options"]] == [
        "question|mention:42", "praise|mention:42", "other|mention:42"]
    joined = "\n".join(all_texts(blocks))
    assert "12k followers" in joined and "@ana_g" in joined
    assert "negative (87%)" in joined and "es" in joined
    assert "37 min ago" in joined and "1 h 23 min left" in joined
    assert "*Complaint* · Shipping delay" in joined  # why it is here, in the brand's language
    assert "¿Dónde está mi pedido?" in joined
    assert "Sol" in text and "@ana_g" in text


def test_quote_and_link_are_escaped() -> None:
    _, blocks = alert_message(card())
    quote = next(b["text"]["text"] for b in blocks
                 if b["type"] == "section" and b["text"]["text"].startswith(">"))
    assert "&lt;!channel&gt;" in quote and "&amp;lt;!here&amp;gt;" in quote
    link = json.dumps(blocks)
    assert "<https://x.com/a/status/1?ref=a%7Cb%3Ec%3Cd&amp;e=1|Open on X (Twitter)>" in link


def test_suggestions_each_in_own_section_easy_to_copy() -> None:
    _, blocks = alert_message(card())
    replies = [b["text"]["text"] for b in blocks
               if b["type"] == "section" and "Suggested reply" in b["text"]["text"]]
    assert len(replies) == 3
    assert replies[0].startswith("*Suggested reply 1* · in Spanish, the customer's language\n"
                                 "```Hola, Ana.")
    assert "&lt;!here&gt;" in replies[0]
    ids = [b.get("block_id") for b in blocks if b["type"] == "section"]
    assert [i for i in ids if i and i.startswith("vigia_suggestion_")] == [
        "vigia_suggestion_1", "vigia_suggestion_2", "vigia_suggestion_3"]


def test_suggestions_capped_at_three_and_optional() -> None:
    _, many = alert_message(card(suggestions=[f"r{i}" for i in range(10)]))
    assert sum("Suggested reply" in t for t in all_texts(many)) == 3
    _, none = alert_message(card(suggestions=[]))
    assert not any("Suggested reply" in t for t in all_texts(none))


def test_high_priority_is_loud_and_overdue_is_flagged() -> None:
    text, blocks = alert_message(card(priority="high", minutes_left=-15, age_minutes=135,
                                      business_hours=False))
    assert "HIGH PRIORITY" in blocks[0]["text"]["text"]
    joined = "\n".join(all_texts(blocks))
    assert "overdue by 15 min" in joined and "2 h 15 min ago" in joined
    assert "outside business hours" in joined
    assert text.startswith("🔴")


def test_answered_replaces_buttons() -> None:
    _, blocks = alert_message(card(state="answered", answered_by="shop",
                                   answered_after_minutes=37.2))
    assert not any(b["type"] == "actions" for b in blocks)
    assert blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"] == "✅ Answered by @shop after 37 min"


def test_dismissed_replaces_buttons_with_who() -> None:
    text, blocks = alert_message(card(state="dismissed", closed_by="U0CM1"))
    assert not any(b["type"] == "actions" for b in blocks)
    assert blocks[-1]["elements"][0]["text"] == "🚫 Marked not relevant by <@U0CM1>"
    assert_safe(text, blocks, allowed=("<@U0CM1>",))


def test_closed_by_that_is_not_a_user_id_is_escaped() -> None:
    _, blocks = alert_message(card(state="dismissed", closed_by="<!channel>"))
    assert "<!channel>" not in json.dumps(blocks)


def test_assigned_and_snoozed_keep_buttons_with_status() -> None:
    _, blocks = alert_message(card(state="snoozed", assigned_to="U0CM2"))
    assert blocks[-1]["type"] == "actions"
    status = blocks[-2]["elements"][0]["text"]
    assert "Snoozed" in status and "<@U0CM2>" in status


def test_huge_text_stays_within_limits() -> None:
    big = card(text=("<!here> 😀👨‍👩‍👧 & " * 2000), author_name="N" * 500,
               suggestions=["x" * 5000] * 3)
    text, blocks = alert_message(big)
    assert_safe(text, blocks)
    quote = next(b["text"]["text"] for b in blocks
                 if b["type"] == "section" and b["text"]["text"].startswith(">"))
    assert "ver original" in quote


def test_alert_key_too_long_is_a_bug() -> None:
    with pytest.raises(ValueError, match="alert_key"):
        alert_message(card(alert_key="k" * 2001))


def test_escalation_mentions_group_only_when_configured() -> None:
    text, blocks = escalation_message(card(age_minutes=135, minutes_left=-15), "S0ONCALL")
    assert text.startswith("<!subteam^S0ONCALL> ⏰ Response target missed: 2 h 15 min")
    assert_safe(text, blocks, allowed=("<!subteam^S0ONCALL>",))
    text, blocks = escalation_message(card(age_minutes=135), None)
    assert "<!subteam" not in text + json.dumps(blocks)
    assert "2 h 15 min without answer" in text
    assert_safe(text, blocks)


def test_escalation_rejects_malformed_group() -> None:
    text, blocks = escalation_message(card(), "S1> <!channel")
    assert_safe(text, blocks)


def test_answered_note() -> None:
    assert answered_note(card(answered_by="@shop", answered_after_minutes=37)) == (
        "✅ Answered by @shop after 37 min")
    assert answered_note(card(answered_by=None, answered_after_minutes=None)) == "✅ Answered"
    assert "&lt;" in answered_note(card(answered_by="<!here>", answered_after_minutes=1))


def test_crisis_message_with_cards_and_tuples() -> None:
    examples: list[Any] = [card(), (EVIL, EVIL_URL, 50), ("otro", "https://r.example/1", 900)]
    text, blocks = crisis_message("Sol <!channel>", 42, 3.5, 12.0, 60, examples, "S0ONCALL")
    assert_safe(text, blocks, allowed=("<!subteam^S0ONCALL>",))
    assert "42 negative mentions in 1 h" in text and "×12.0" in text
    assert text.startswith("<!subteam^S0ONCALL>")
    joined = "\n".join(all_texts(blocks))
    assert joined.index("12k followers") < joined.index("900 followers") < joined.index(
        "50 followers")


def test_crisis_without_group_or_examples() -> None:
    text, blocks = crisis_message("Sol", 10, 1.0, 10.0, 30, [], None)
    assert "<!subteam" not in text
    assert_safe(text, blocks)


def test_crisis_many_examples_stay_under_50_blocks() -> None:
    examples = [("t", "https://a.example", i) for i in range(100)]
    _, blocks = crisis_message("Sol", 100, 1.0, 100.0, 60, examples, None)
    assert len(blocks) <= 50


def test_ops_message_escapes() -> None:
    text, blocks = ops_message("twitter failing: 401 <!channel> " + "x" * 5000)
    assert_safe(text, blocks)
    assert text.startswith("🛠 twitter failing")


@pytest.mark.parametrize(("minutes", "shown"), [
    (0, "0 min"), (37.4, "37 min"), (60, "1 h"), (135, "2 h 15 min"), (-15, "15 min"),
    (1620, "1 d 3 h"), (2880, "2 d"),
])
def test_duration(minutes: float, shown: str) -> None:
    assert duration(minutes) == shown


@pytest.mark.parametrize(("count", "shown"), [
    (0, "0"), (950, "950"), (1000, "1k"), (1234, "1.2k"), (12_345, "12k"), (1_000_000, "1M"),
    (2_345_678, "2.3M"),
])
def test_reach(count: int, shown: str) -> None:
    assert reach(count) == shown
