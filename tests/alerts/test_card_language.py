"""The card says why it is there, in the brand's language; replies stay in the customer's."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts import engine
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
    escalation_message,
)
from alerts.card_text import days_text, priority_line, reason_text
from alerts.i18n import compact, date_range
from monitor.storage.db import Database
from tests.alerts.conftest import World, make_config, minutes

NBSP = "\u00a0"


def card(**changes: Any) -> AlertCard:
    base = AlertCard(
        alert_key="mention:7", brand="Sol", source="twitter", author_handle="ana_g",
        author_name="Ana", author_reach=15_000, text="Me cobraron dos veces, esto es una estafa",
        url="https://x.com/ana_g/status/7", label="negative", confidence=0.91, lang="es",
        age_minutes=180, sla_minutes=120, minutes_left=-60, situation="payment",
        suggestions=["Hola, Ana. Lo revisamos por DM."], priority="high", track="complaint",
        probability=0.874, priority_reasons=["reach 15,000", "severity word 'estafa'"],
        brand_lang="es",
    )
    return dataclasses.replace(base, **changes)


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    actions = blocks[-1]
    assert actions["type"] == "actions"
    return {e["action_id"]: e["text"]["text"] for e in actions["elements"] if "text" in e}


def menu(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    (overflow,) = [e for e in blocks[-1]["elements"] if e["action_id"] == ACTION_CORRECT]
    return [(o["text"]["text"], o["value"]) for o in overflow["options"]]


WHY = {
    "es": (f"*Queja* · 87{NBSP}% · Problema de pago",
           f"🔴 *alta prioridad:* palabra 'estafa' / 15{NBSP}k seguidores"),
    "en": ("*Complaint* · 87% · Payment problem",
           "🔴 *high priority:* word 'estafa' / 15k followers"),
    "pt": ("*Reclamação* · 87% · Problema de pagamento",
           f"🔴 *alta prioridade:* palavra 'estafa' / 15{NBSP}mil seguidores"),
}


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_why_line_first_in_the_brand_language(lang: str) -> None:
    _, blocks = alert_message(card(brand_lang=lang))
    why, urgent = WHY[lang]
    assert section_texts(blocks)[0] == f"{why}\n{urgent}"


BUTTONS = {
    "es": ["✅ Marcar respondida", "💤 Posponer 1 h", "🚫 No relevante", "🙋 Me lo asigno"],
    "en": ["✅ Mark answered", "💤 Snooze 1 h", "🚫 Not relevant", "🙋 Assign to me"],
    "pt": ["✅ Marcar respondida", "💤 Adiar 1 h", "🚫 Não relevante", "🙋 Assumir"],
}
MENU = {
    "es": ["🤔 Es una pregunta", "🤔 Es un elogio", "🤔 No es una queja (nada que responder)"],
    "en": ["🤔 It is a question", "🤔 It is praise", "🤔 Not a complaint (nothing to answer)"],
    "pt": ["🤔 É uma pergunta", "🤔 É um elogio", "🤔 Não é uma reclamação (nada a responder)"],
}


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_buttons_and_correct_menu_in_the_brand_language(lang: str) -> None:
    _, blocks = alert_message(card(brand_lang=lang))
    shown = buttons(blocks)
    assert [shown[a] for a in (ACTION_ANSWERED, ACTION_SNOOZE, ACTION_NOT_RELEVANT,
                               ACTION_ASSIGN)] == BUTTONS[lang]
    # the option values are what alerts/interactive.py parses: unchanged in every language
    assert menu(blocks) == list(zip(MENU[lang], ["question|mention:7", "praise|mention:7",
                                                 "other|mention:7"], strict=True))


def test_card_labels_follow_the_brand_not_the_customer() -> None:
    text, blocks = alert_message(card(brand_lang="es", lang="pt",
                                      text="Fui cobrado duas vezes",
                                      suggestions=["Olá, Ana. Vamos verificar por DM."]))
    shown = texts(blocks)
    assert "ALTA PRIORIDAD · Queja · X (Twitter) · Sol" in blocks[0]["text"]["text"]
    assert "vencido hace 1 h" in shown and "hace 3 h" in shown and "objetivo 2 h" in shown
    assert f"negativo (91{NBSP}%)" in shown and "Abrir en X (Twitter)" in shown
    # the reply stays in the customer's language, and the team is told which one it is
    (reply,) = [t for t in section_texts(blocks) if "```" in t]
    assert reply == ("*Respuesta sugerida 1* · en portugués, el idioma del cliente\n"
                     "```Olá, Ana. Vamos verificar por DM.```")
    assert text.startswith("🔴 Sol: Queja en X (Twitter) de @ana_g: Fui cobrado")


@pytest.mark.parametrize("source", ["facebook", "reddit", "instagram"])
def test_no_zero_followers_when_the_platform_gives_no_reach(source: str) -> None:
    quiet = card(source=source, author_reach=0, priority="normal", priority_reasons=[])
    for lang in ("es", "en", "pt"):
        _, blocks = alert_message(dataclasses.replace(quiet, brand_lang=lang))
        _, thread = escalation_message(dataclasses.replace(quiet, brand_lang=lang), None)
        for shown in (texts(blocks), texts(thread)):
            assert "seguidores" not in shown and "followers" not in shown
            assert " 0 " not in shown.replace("·", " ")


def test_reach_is_shown_where_the_platform_gives_it() -> None:
    _, blocks = alert_message(card(author_reach=1_234, priority="normal"))
    assert f"👤 *Ana* @ana_g · 1,2{NBSP}k seguidores" in section_texts(blocks)


def test_question_card_has_its_own_title_why_and_menu() -> None:
    question = card(track="question", priority="normal", priority_reasons=[],
                    probability=0.92, situation="presale_question", minutes_left=30)
    _, blocks = alert_message(question)
    assert blocks[0]["text"]["text"] == "❓ Pregunta sin respuesta · X (Twitter) · Sol"
    assert section_texts(blocks)[0] == (
        f"*Pregunta sin respuesta · 3 h* · 92{NBSP}% · Pregunta antes de comprar")
    assert [text for text, _ in menu(blocks)] == [
        "🤔 Es una queja", "🤔 Es un elogio", "🤔 No es una pregunta (nada que responder)"]
    _, en = alert_message(dataclasses.replace(question, brand_lang="en"))
    assert en[0]["text"]["text"] == "❓ Unanswered question · X (Twitter) · Sol"
    _, pt = alert_message(dataclasses.replace(question, brand_lang="pt"))
    assert pt[0]["text"]["text"] == "❓ Pergunta sem resposta · X (Twitter) · Sol"


def test_cards_stored_before_the_reply_decision_still_read() -> None:
    old = card(probability=None, priority_reasons=[], priority="normal", brand_lang="en")
    _, blocks = alert_message(old)
    assert section_texts(blocks)[0] == "*Complaint* · Payment problem"


@pytest.mark.parametrize(("reason", "lang", "shown"), [
    ("engagement 1,520", "es", "1.520 interacciones"),
    ("engagement 60", "en", "60 interactions"),
    ("verified twitter author", "pt", "conta verificada no X (Twitter)"),
    ("verified bluesky author", "en", "verified Bluesky account"),
    ("reach 2,500,000", "en", "2.5M followers"),
    ("severity word '<!here>'", "en", "word '&lt;!here&gt;'"),
    ("something new <b>", "es", "something new &lt;b&gt;"),
])
def test_each_priority_reason(reason: str, lang: str, shown: str) -> None:
    assert reason_text(reason, lang) == shown


def test_severity_word_is_named_first() -> None:
    line = priority_line(["reach 15,000", "engagement 60", "severity word 'scam'"], "en")
    assert line == "🔴 *high priority:* word 'scam' / 15k followers / 60 interactions"
    assert priority_line([], "en") is None


@pytest.mark.parametrize(("count", "lang", "shown"), [
    (950, "es", "950"), (1_234, "en", "1.2k"), (15_000, "es", f"15{NBSP}k"),
    (15_000, "pt", f"15{NBSP}mil"), (1_200_000, "pt", f"1,2{NBSP}mi"), (3_000_000, "en", "3M"),
])
def test_compact_counts(count: int, lang: str, shown: str) -> None:
    assert compact(count, lang) == shown


def test_outside_hours_says_whose_hours_and_when_the_clock_starts() -> None:
    night = card(priority="normal", priority_reasons=[], business_hours=False,
                 timezone="Europe/Madrid", hours_days=["mon", "tue", "wed", "thu", "fri"],
                 hours_span="09:00–19:00", clock_starts_at="2026-03-03T08:00:00+00:00")
    _, blocks = alert_message(night)
    assert ("🌙 publicado fuera del horario de Sol (lun–vie 09:00–19:00, Europe/Madrid): el "
            "plazo de respuesta cuenta desde el mar 3 mar 09:00") in texts(blocks)
    _, en = alert_message(dataclasses.replace(night, brand_lang="en"))
    assert ("posted outside Sol's business hours (Mon–Fri 09:00–19:00, Europe/Madrid): the "
            "response clock starts Tue 3 Mar 09:00") in texts(en)
    _, inside = alert_message(dataclasses.replace(night, business_hours=True))
    assert "🌙" not in texts(inside)


def test_days_text() -> None:
    assert days_text(["mon", "tue", "wed", "thu", "fri", "sat"], "es") == "lun–sáb"
    assert days_text(["mon", "wed", "thu"], "pt") == "seg, qua–qui"


def test_escalation_and_answered_note_in_the_brand_language() -> None:
    text, blocks = escalation_message(card(), "S0ONCALL")
    assert text.startswith("<!subteam^S0ONCALL> ⏰ Objetivo de respuesta incumplido: 3 h sin "
                           "respuesta")
    assert f"*Queja* · 87{NBSP}% · Problema de pago" in texts(blocks)
    _, pt = escalation_message(card(brand_lang="pt"), None)
    assert "⏰ Meta de resposta perdida: 3 h sem resposta" in texts(pt)
    answered = card(answered_by="tiendasol", answered_after_minutes=37)
    assert answered_note(answered) == "✅ Respondida por @tiendasol en 37 min"
    assert answered_note(dataclasses.replace(answered, brand_lang="pt")) == (
        "✅ Respondida por @tiendasol após 37 min")


def test_date_range() -> None:
    assert date_range(datetime(2026, 11, 23).date(), datetime(2026, 11, 29).date(), "es") == (
        "23–29 nov 2026")
    assert date_range(datetime(2026, 11, 30).date(), datetime(2026, 12, 6).date(), "pt") == (
        "30 nov – 6 dez 2026")
    assert date_range(datetime(2026, 12, 28).date(), datetime(2027, 1, 3).date(), "en") == (
        "28 Dec 2026 – 3 Jan 2027")


def test_engine_card_knows_the_brand_hours(db: Database, world: World) -> None:
    """Through the engine: a 03:00 post on a business-hours SLA clock says when it starts."""
    config = make_config(escalation={"business_hours": {"sla_clock": "business_hours"}})
    three_am = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 03:00 in Madrid
    world.mention(at=three_am, reach=0, source="facebook", handle="")
    assert engine.run(db, config, three_am + minutes(10)).new_alerts == 1
    shown = texts(world.outbox()[0].payload["blocks"])
    assert ("fuera del horario de Sol (lun–vie 09:00–19:00, Europe/Madrid): el plazo de "
            "respuesta cuenta desde el mar 3 mar 09:00") in shown
    assert "seguidores" not in shown  # Facebook gives no reach
    assert "*Queja* · 90" in shown  # P(complaint) of the stored score



CRISIS = {
    "es": ("🚨 Posible crisis · Sol",
           "🚨 Posible crisis para Sol: 1.200 menciones negativas en 1 h (lo habitual: 3,5, "
           "×342,9)",
           "Ejemplos, los de más alcance primero:", f"15{NBSP}k seguidores · ",
           "|abrir la publicación>"),
    "en": ("🚨 Possible crisis · Sol",
           "🚨 Possible crisis for Sol: 1,200 negative mentions in 1 h (usual 3.5, ×342.9)",
           "Examples, most reach first:", "15k followers · ", "|open the post>"),
    "pt": ("🚨 Possível crise · Sol",
           "🚨 Possível crise para Sol: 1.200 menções negativas em 1 h (o habitual: 3,5, "
           "×342,9)",
           "Exemplos, os de maior alcance primeiro:", f"15{NBSP}mil seguidores · ",
           "|abrir a publicação>"),
}


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_crisis_alert_in_the_brand_language(lang: str) -> None:
    title, headline, examples, followers, link = CRISIS[lang]
    text, blocks = crisis_message("Sol", 1200, 3.5, 342.857, 60,
                                  [("Todo mal", "https://x.com/a/status/1", 15_000)], None,
                                  lang=lang)
    assert text == headline
    assert blocks[0]["text"]["text"] == title
    shown = texts(blocks)
    assert examples in shown and followers in shown and link in shown
    if lang != "en":
        assert "followers" not in shown and "Check whether" not in shown


def test_crisis_alert_from_the_engine_speaks_the_brand_language(db: Database,
                                                                world: World) -> None:
    config = make_config(brand={"languages": ["pt", "es"]})
    now = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)
    for i in range(12):
        world.mention(f"não chegou o pedido {i}", at=now - minutes(50 - i), lang="pt")
    assert engine.run(db, config, now).crisis_alerts == 1
    (crisis,) = world.alerts(kind="crisis")
    post = world.outbox(key=crisis.key)[0]
    assert "🚨 Possível crise para Sol: 12 menções negativas em 1 h" in post.payload["text"]
    assert "Verifique se uma mesma causa" in texts(post.payload["blocks"])
