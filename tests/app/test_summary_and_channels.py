"""Small parts of the sandbox's story: channel ids that survive a restart, and summaries that
cut text where a reader expects it."""

from __future__ import annotations

from monitor.sandbox.slack_api import SlackEmulator
from monitor.summary import clip, format_slack_messages


def test_channel_ids_do_not_depend_on_the_order_channels_are_first_seen() -> None:
    first, second = SlackEmulator(), SlackEmulator()
    names = ["#vigia-ops", "#tienda-sol-alertas", "#marketing"]
    for name in names:
        first.channel_messages(name)
    ids = [first.channels[n.lstrip("#")] for n in names]
    for name in reversed(names):  # another process: another set iteration order
        second.channel_messages(name)
    assert [second.channels[n.lstrip("#")] for n in names] == ids
    assert len(set(ids)) == 3


def test_clip_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    text = "Hola, Carmen. Entendemos perfectamente la preocupación: un cobro que no cuadra"
    out = clip(text, 40)
    assert out == "Hola, Carmen. Entendemos perfectamente…"
    assert len(out) <= 40
    assert clip("short text", 40) == "short text"
    assert clip("x" * 60, 20) == "x" * 19 + "…"  # one long word: cut where it must be


def test_summary_shows_the_first_suggested_reply_cut_at_a_word() -> None:
    reply = ("Hola, Laura. Sentimos que tu pedido aún no haya llegado; esperar así es "
             "frustrante. ¿Podrías enviarnos tu número de pedido por DM o a hola@tiendasol.es? "
             "Lo revisamos hoy mismo.")
    blocks = [{"type": "section", "block_id": "vigia_suggestion_0",
               "text": {"type": "mrkdwn", "text": f"*Respuesta sugerida 1*\n```{reply}```"}},
              {"type": "section", "block_id": "vigia_suggestion_1",
               "text": {"type": "mrkdwn", "text": "*Respuesta sugerida 2*\n```Otra```"}}]
    lines = format_slack_messages([("tienda-sol-alertas", False, "Queja en X", blocks)])
    suggested = [line for line in lines if "suggested reply:" in line]
    assert len(suggested) == 1
    assert suggested[0].endswith(" a…")
    assert len(suggested[0].split("suggested reply: ")[1]) <= 150
