"""The digest counts replies sent from Slack and their response time (issue 13).

On the hand-worked week (digest_fixture.py) the team answered three complaints from their
Slack cards: m1 (X, Ana, 30 min), m5 (Facebook, Luis, 200 min) and m9 (X, Ana, 45 min).
Nearest rank over 30, 45, 200: median the 2nd (45 min), P90 the ceil(2.7) = 3rd (200 min).
Not counted: a reply still in flight, a dead one, one sent the week before, one sent after
the digest's moment, and another brand's.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from digest_fixture import AS_OF, SOL, HandWorkedWeek, local, make_config

from alerts.digest import build_digest, render_html, render_json, render_markdown
from alerts.digest.build import load_week
from alerts.digest.delivery import headline_figures
from alerts.digest.report import render_csv
from alerts.digest.slack import summary_message
from monitor.config import Config
from monitor.storage.db import Database
from monitor.storage.tables import AlertRow, MentionRow, PlatformReplyRow

_keys = itertools.count(1)


def detect(text: str, lang: str | None) -> str:
    return "payment" if "cobro" in text else "unknown"


def sent_from_slack(db: Database, name: str, *, at: datetime | None, minutes: float | None,
                    user: str = "U0ANA", user_name: str = "ana", state: str = "sent",
                    brand: str = "Sol") -> None:
    """A `platform_replies` row for the mention whose external id is `name`."""
    with db.transaction() as s:
        mention = s.query(MentionRow).filter_by(external_id=name).one()
        case = s.query(AlertRow).filter_by(mention_id=mention.id).one_or_none()
        if case is None:  # its case (m7 already has one)
            case = AlertRow(key=f"mention:slack{next(_keys)}", kind="mention", brand=brand,
                            mention_id=mention.id, state="open",
                            created_at=mention.created_at, payload={})
            s.add(case)
            s.flush()
        s.add(PlatformReplyRow(
            key=f"reply:{case.key}", alert_id=case.id, brand=brand, source=mention.source,
            parent_external_id=mention.external_id, text="Hola, lo revisamos por DM.",
            slack_user=user, slack_user_name=user_name, view_id="V1", state=state,
            uncertain=state == "sending", attempts=1, created_at=at or mention.created_at,
            sent_at=at if state == "sent" else None, response_minutes=minutes))


@pytest.fixture
def replied(db: Database, week47: HandWorkedWeek) -> HandWorkedWeek:
    sent_from_slack(db, "m1", at=local(16, 10, 30), minutes=30)
    sent_from_slack(db, "m5", at=local(18, 14, 20), minutes=200, user="U0LUIS",
                    user_name="luis")
    sent_from_slack(db, "m9", at=local(20, 10, 45), minutes=45)
    sent_from_slack(db, "m3", at=None, minutes=None, state="sending")  # in flight
    sent_from_slack(db, "m4", at=None, minutes=None, state="dead")
    sent_from_slack(db, "w46_neg", at=local(15, 20), minutes=12)  # the week before
    sent_from_slack(db, "m7", at=local(24, 10), minutes=7200)  # after the digest's moment
    with db.transaction() as s:
        other = s.query(MentionRow).filter_by(brand="Otra").one()
        other_id = other.external_id
    sent_from_slack(db, other_id, at=local(18, 13), minutes=5, brand="Otra")
    return week47


def test_the_weeks_slack_replies_and_their_response_time(
    db: Database, config: Config, replied: HandWorkedWeek
) -> None:
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    sr = digest.slack_replies
    assert (sr.sent, sr.median_minutes, sr.p90_minutes) == (3, 45, 200)
    assert sr.by_source == (("twitter", 2), ("facebook", 1))
    assert sr.enabled is False and sr.shown  # not enabled any more, but replies were sent
    figures = headline_figures(digest)
    assert (figures["slack_replies"], figures["slack_reply_median_minutes"]) == (3, 45)
    data = json.loads(render_json(digest))
    assert data["slack_replies"] == {"sent": 3, "median_minutes": 45, "p90_minutes": 200,
                                     "by_source": [["twitter", 2], ["facebook", 1]],
                                     "enabled": False}


def test_a_partial_week_counts_replies_sent_by_its_cut_off(
    db: Database, config: Config, replied: HandWorkedWeek
) -> None:
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=local(19, 0), detect=detect)
    assert (digest.slack_replies.sent, digest.slack_replies.median_minutes) == (2, 30)


SHOWN: dict[str, dict[str, str]] = {
    "es": {
        "html": "<dt>Respuestas enviadas desde Slack</dt><dd>3 <span class=\"meta\">"
                "(twitter: 2 · facebook: 1)</span></dd>\n    <dt>Tiempo de respuesta desde "
                "Slack (mediana · P90)</dt><dd>45 min · 3 h 20 min</dd>",
        "md": "- Respuestas enviadas desde Slack: 3 (twitter: 2 · facebook: 1)\n"
              "- Tiempo de respuesta desde Slack (mediana · P90): 45 min · 3 h 20 min\n",
        "slack": "*Respuestas enviadas desde Slack*\n3 (mediana 45 min · P90 3 h 20 min)",
    },
    "en": {
        "html": "<dt>Replies sent from Slack</dt><dd>3 <span class=\"meta\">"
                "(twitter: 2 · facebook: 1)</span></dd>\n    <dt>Response time from Slack "
                "(median · P90)</dt><dd>45 min · 3 h 20 min</dd>",
        "md": "- Replies sent from Slack: 3 (twitter: 2 · facebook: 1)\n"
              "- Response time from Slack (median · P90): 45 min · 3 h 20 min\n",
        "slack": "*Replies sent from Slack*\n3 (median 45 min · P90 3 h 20 min)",
    },
    "pt": {
        "html": "<dt>Respostas enviadas pelo Slack</dt><dd>3 <span class=\"meta\">"
                "(twitter: 2 · facebook: 1)</span></dd>\n    <dt>Tempo de resposta pelo "
                "Slack (mediana · P90)</dt><dd>45 min · 3 h 20 min</dd>",
        "md": "- Respostas enviadas pelo Slack: 3 (twitter: 2 · facebook: 1)\n"
              "- Tempo de resposta pelo Slack (mediana · P90): 45 min · 3 h 20 min\n",
        "slack": "*Respostas enviadas pelo Slack*\n3 (mediana 45 min · P90 3 h 20 min)",
    },
}


def _slack_fields(blocks: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for b in blocks for f in b.get("fields", [])]


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_every_report_shows_them_in_the_brand_language(
    db: Database, tmp_path: Path, replied: HandWorkedWeek, lang: str
) -> None:
    config = make_config(tmp_path, [{**SOL, "languages": [lang]}])
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    assert SHOWN[lang]["html"] in render_html(digest)
    assert SHOWN[lang]["md"] in render_markdown(digest)
    _, blocks = summary_message(digest)
    assert SHOWN[lang]["slack"] in _slack_fields(blocks)


def test_the_csv_names_who_answered_from_slack(
    db: Database, config: Config, replied: HandWorkedWeek
) -> None:
    data = load_week(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    rows = list(csv.DictReader(io.StringIO(render_csv(data.mentions, "Europe/Madrid"))))
    by_author = {r["author"]: r["slack_reply_by"] for r in rows}
    assert (by_author["user_m1"], by_author["user_m5"], by_author["user_m9"]) == (
        "ana", "luis", "ana")
    assert by_author["user_m3"] == ""  # its reply is still in flight
    assert by_author["user_m7"] == ""  # answered from Slack after the digest's moment
    assert by_author["user_m2"] == ""


def test_shown_where_the_brand_replies_from_slack_and_hidden_elsewhere(
    db: Database, tmp_path: Path, week47: HandWorkedWeek
) -> None:
    enabled = make_config(tmp_path, [{**SOL, "reply_from_slack": {"enabled": True}}])
    digest = build_digest(db, enabled, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    assert (digest.slack_replies.sent, digest.slack_replies.median_minutes) == (0, None)
    assert "<dt>Respuestas enviadas desde Slack</dt><dd>0</dd>" in render_html(digest)
    assert "Tiempo de respuesta desde Slack (mediana · P90): — · —" in render_markdown(digest)
    plain = build_digest(db, make_config(tmp_path, [SOL]), "Sol", "2026-W47", as_of=AS_OF,
                         detect=detect)
    assert "Slack (mediana" not in render_html(plain) + render_markdown(plain)
    _, blocks = summary_message(plain)
    assert not any("Respuestas enviadas desde Slack" in f for f in _slack_fields(blocks))
