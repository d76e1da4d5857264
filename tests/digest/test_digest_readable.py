"""What a marketer reads: a chart legible on a phone, net bars, dated and honest about partial
weeks, no internal keys; complaints and questions counted as Slack decides them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import html5lib
import pytest
from digest_fixture import AS_OF, SOL, HandWorkedWeek, add_mention, local, make_config
from matplotlib.text import Text

from alerts.digest import Digest, build_digest, render_html, render_markdown
from alerts.digest.chart import DPI, PHONE_WIDTH_PX, WIDTH_PX, chart_figure
from alerts.digest.slack import summary_message
from monitor.config import Config
from monitor.storage.db import Database
from monitor.storage.tables import CorrectionRow


def detect(text: str, lang: str | None) -> str:
    return "payment" if "cobro" in text else "unknown"


@pytest.fixture
def digest(db: Database, config: Config, week47: HandWorkedWeek) -> Digest:
    return build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)


def test_every_chart_text_is_at_least_11px_on_a_390px_phone(digest: Digest) -> None:
    fig = chart_figure(digest)
    shown = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert len(shown) >= 13  # day ticks, axis ticks, title, legend
    scale = PHONE_WIDTH_PX / WIDTH_PX
    too_small = [(t.get_text(), round(t.get_fontsize() * DPI / 72 * scale, 1)) for t in shown
                 if t.get_fontsize() * DPI / 72 * scale < 11]
    assert too_small == []
    html = render_html(digest, b"\x89PNG fake")
    assert "max-width: 560px" in html  # on a desktop the chart is not blown up either


def net_bars(html: str) -> list[tuple[str, int] | None]:
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    bars: list[tuple[str, int] | None] = []
    for row in tree.findall(".//section[@id='days']//tbody/tr"):
        span = row.find(".//span[@class='netbar']/span")
        if span is None:
            bars.append(None)
            continue
        width = int(span.get("style").removeprefix("width: ").removesuffix("px"))
        bars.append((span.get("class"), width))
    return bars


def test_the_net_column_bar_shows_net_sentiment_not_volume(digest: Digest) -> None:
    # daily nets (pos - neg) / scored: 0, -50, 0, 0, -50, +100, 0, drawn 50 px per 100 points
    # either side of zero; the volumes (2, 2, 2, 2, 2, 1, 3) would make Saturday the shortest
    assert net_bars(render_html(digest)) == [
        ("up", 0), ("down", 25), ("up", 0), ("up", 0), ("down", 25), ("up", 50), ("up", 0)]


def test_dates_carry_the_month(digest: Digest) -> None:
    assert "16–22 nov 2026 · Semana 2026-W47" in render_html(digest)
    assert "16–22 nov 2026 · Semana 2026-W47" in render_markdown(digest)
    _, blocks = summary_message(digest)
    assert blocks[1]["elements"][0]["text"] == "16–22 nov 2026 · Europe/Madrid"


def test_a_full_week_has_no_partial_flag_and_no_internal_key(digest: Digest) -> None:
    html, md = render_html(digest), render_markdown(digest)
    _, blocks = summary_message(digest)
    for text in (html, md, str(blocks)):
        assert "parcial" not in text.lower()
        assert "digest:Sol" not in text  # the internal key stays in Slack metadata only
    assert "Generado por Vigía el lun 23 nov 09:00 (Europe/Madrid)" in html


def test_a_running_week_is_flagged_partial(db: Database, config: Config,
                                           week47: HandWorkedWeek) -> None:
    running = build_digest(db, config, "Sol", "2026-W47", as_of=local(20, 14, 5),
                           detect=detect)
    note = "Semana parcial: la semana aún no ha terminado: datos hasta el vie 20 nov 14:05."
    assert note in render_html(running) and note in render_markdown(running)
    _, blocks = summary_message(running)
    assert f"⚠️ *{note}*" in str(blocks)


def test_a_week_before_vigia_started_is_flagged_partial(db: Database, config: Config) -> None:
    with db.transaction() as s:  # the very first mention Vigía stored came on Wednesday
        add_mention(s, created_at=local(18, 10), label="negative")
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    assert ("Semana parcial: Vigía empezó a recoger menciones el mié 18 nov 10:01."
            in render_html(digest))


def test_complaints_follow_the_reply_decision(db: Database, config: Config,
                                              week47: HandWorkedWeek) -> None:
    with db.transaction() as s:
        # a factual problem report the sentiment model called neutral: still a complaint
        add_mention(s, created_at=local(19, 9), label="neutral", complaint=0.9,
                    text="El pedido 4471 llegó sin la tapa", situation="damaged")
        # a negative rant that is not a complaint to the brand (P(complaint) low)
        add_mention(s, created_at=local(19, 9, 30), label="negative", complaint=0.1)
        # a complaint by the model that someone corrected in Slack to "other"
        fixed = add_mention(s, created_at=local(19, 10), label="negative", complaint=0.95)
        s.add(CorrectionRow(mention_id=fixed.id, old_label="negative", new_label=None,
                            old_category="complaint", new_category="other", user="U1",
                            created_at=local(19, 11)))
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    assert digest.responses.complaints == 7  # the hand-worked 6 + the neutral report
    assert [(c.situation, c.count) for c in digest.complaints][:2] == [
        ("shipping_delay", 3), ("damaged", 2)]
    assert digest.tally.negative == 8  # sentiment figures still follow the labels


def test_the_brand_threshold_decides(db: Database, tmp_path: Path,
                                     week47: HandWorkedWeek) -> None:
    strict = make_config(tmp_path, [{**SOL, "escalation": {"threshold": 0.85}}])
    digest = build_digest(db, strict, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    assert digest.responses.complaints == 0  # every fixture complaint has P = 0.8


def test_unanswered_questions_are_reported(db: Database, tmp_path: Path,
                                           week47: HandWorkedWeek) -> None:
    with db.transaction() as s:
        add_mention(s, created_at=local(19, 11), label="neutral", question=0.9, complaint=0.02,
                    text="¿Me pasan el número de seguimiento?", source="facebook")
        add_mention(s, created_at=local(21, 16), label="neutral", question=0.85,
                    complaint=0.02, text="Do you ship to Canada?", lang="en", reach=230,
                    reply_at=local(21, 17))
        add_mention(s, created_at=local(21, 18), label="neutral", question=0.3)  # unsure
    config = make_config(tmp_path, [{**SOL, "escalation": {"questions": "digest"}}])
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    q = digest.questions
    assert (q.total, q.answered.part, q.open_unanswered) == (2, 1, 1)
    assert [r.text for r in q.open_examples] == ["¿Me pasan el número de seguimiento?"]
    html = render_html(digest)
    assert 'id="questions"' in html and "Preguntas sin responder" in html
    # Facebook gives no reach: no "0 alcance" under the example
    assert "user_x" in html and " 0 alcance" not in html
    _, blocks = summary_message(digest)
    assert "*Preguntas sin responder*\\n1 de 2" in str(blocks)
    off = make_config(tmp_path, [{**SOL, "escalation": {"questions": "off"}}])
    quiet = build_digest(db, off, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    assert 'id="questions"' not in render_html(quiet)


def test_english_dates_and_footer(db: Database, tmp_path: Path,
                                  week47: HandWorkedWeek) -> None:
    config = make_config(tmp_path, [{**SOL, "languages": ["en"]}])
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF + timedelta(days=7),
                          detect=detect)
    html = render_html(digest)
    assert "16–22 Nov 2026 · Week 2026-W47" in html
    assert "Generated by Vigía on Mon 30 Nov 09:00 (Europe/Madrid)" in html
