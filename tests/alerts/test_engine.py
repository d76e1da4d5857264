"""The escalation engine: what it records and queues, run after run (no Slack involved)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts import engine
from alerts.interactive import apply_action
from monitor.config import Config
from monitor.storage.db import Database
from monitor.storage.tables import MentionRow
from tests.alerts.conftest import CHANNEL, MONDAY_NOON, ONCALL, OPS, World, make_config, minutes

T0 = MONDAY_NOON


def blocks_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_grace_period_then_one_alert_with_card(db: Database, config: Config,
                                               world: World) -> None:
    mid = world.mention("Mi pedido no llega, llevo dos semanas esperando", at=T0)
    world.mention("Me encanta la tienda", at=T0, label="positive")
    world.mention("meh", at=T0, confidence=0.3)  # below the threshold
    assert engine.run(db, config, T0 + minutes(9)).new_alerts == 0
    assert world.outbox() == []

    report = engine.run(db, config, T0 + minutes(10))
    assert report.new_alerts == 1
    (item,) = world.outbox()
    assert (item.key, item.op, item.channel) == (f"mention:{mid}", "post", CHANNEL)
    assert item.payload["metadata"] == {"event_type": "vigia_alert",
                                        "event_payload": {"key": f"mention:{mid}"}}
    shown = blocks_text(item.payload["blocks"])
    assert "Mi pedido no llega" in shown and "@cliente" in shown
    assert "vigia_answered" in shown and "vigia_correct" in shown
    assert "Respuesta sugerida 1" in shown  # the brand's language (es)
    alert = world.alert(mid)
    assert (alert.state, alert.level, alert.priority) == ("open", 1, "normal")
    with db.transaction() as s:
        situation = s.get(MentionRow, mid).situation  # type: ignore[union-attr]
    assert situation == alert.situation == "shipping_delay"


def test_high_priority_skips_grace(db: Database, config: Config, world: World) -> None:
    big = world.mention(at=T0, reach=250_000)
    words = world.mention("Esto es una estafa, voy a Profeco", at=T0)
    report = engine.run(db, config, T0 + minutes(1))
    assert report.new_alerts == 2
    assert world.alert(big).priority == world.alert(words).priority == "high"
    assert "ALTA PRIORIDAD" in blocks_text(world.outbox()[0].payload["blocks"])


def test_runs_are_idempotent(db: Database, config: Config, world: World) -> None:
    for i in range(3):
        world.mention(f"queja {i}", at=T0)
    now = T0 + minutes(130)
    first = engine.run(db, config, now)
    queued = len(world.outbox())
    second = engine.run(db, config, now)
    assert first.new_alerts == 3
    assert second == engine.EscalationReport()
    assert len(world.outbox()) == queued


def test_already_answered_mentions_are_never_alerted(db: Database, config: Config,
                                                     world: World) -> None:
    mid = world.mention(at=T0)
    world.reply(mid, at=T0 + minutes(5))
    assert engine.run(db, config, T0 + minutes(30)).new_alerts == 0
    assert world.alerts() == []


def test_escalation_in_thread_at_the_sla(db: Database, config: Config, world: World) -> None:
    mid = world.mention(at=T0)
    engine.run(db, config, T0 + minutes(10))
    assert engine.run(db, config, T0 + minutes(119)).escalations == 0
    report = engine.run(db, config, T0 + minutes(120))
    assert report.escalations == 1
    alert = world.alert(mid)
    thread = world.outbox(key=f"escalate:{alert.id}")[0]
    assert thread.op == "thread" and thread.payload["parent_key"] == f"mention:{mid}"
    assert f"<!subteam^{ONCALL}>" in thread.payload["text"]
    update = world.outbox(key=f"escalated-card:{alert.id}")[0]
    assert "Escalada" in blocks_text(update.payload["blocks"])
    assert (alert.level, alert.state) == (2, "open")
    assert engine.run(db, config, T0 + minutes(300)).escalations == 0


def test_brand_reply_updates_card_and_closes(db: Database, config: Config,
                                             world: World) -> None:
    mid = world.mention(at=T0)
    engine.run(db, config, T0 + minutes(10))
    world.reply(mid, at=T0 + minutes(37), account="tiendasol")
    report = engine.run(db, config, T0 + minutes(40))
    assert report.reply_updates == 1
    alert = world.alert(mid)
    assert (alert.state, alert.closed_by, alert.close_reason) == (
        "answered", "tiendasol", "brand_reply")
    update = world.outbox(key=f"answered:{alert.id}")[0]
    assert update.op == "update" and update.payload["target_key"] == f"mention:{mid}"
    shown = blocks_text(update.payload["blocks"])
    assert "Respondida por @tiendasol en 37 min" in shown
    assert "vigia_answered" not in shown  # buttons gone
    note = world.outbox(key=f"answered-note:{alert.id}")[0]
    assert note.payload["text"] == "✅ Respondida por @tiendasol en 37 min"
    assert engine.run(db, config, T0 + minutes(200)) == engine.EscalationReport()


def test_snooze_reopens_and_renotifies(db: Database, config: Config, world: World) -> None:
    mid = world.mention(at=T0)
    engine.run(db, config, T0 + minutes(10))
    apply_action(db, "vigia_snooze", f"mention:{mid}", "U0CM", T0 + minutes(15))
    assert engine.run(db, config, T0 + minutes(60)).reopened == 0
    report = engine.run(db, config, T0 + minutes(76))
    assert report.reopened == 1
    alert = world.alert(mid)
    assert (alert.state, alert.snoozed_until) == ("open", None)
    (note,) = [o for o in world.outbox(op="thread") if o.key.startswith("reopen:")]
    # in the brand's language (es), like the card it belongs to
    assert note.payload["text"] == ("⏰ Terminó el aplazamiento: sigue sin respuesta (quedan "
                                    "44 min para el objetivo de respuesta).")
    assert engine.run(db, config, T0 + minutes(77)).reopened == 0


def test_snooze_over_after_the_target_in_english(db: Database, world: World) -> None:
    config = make_config(brand={"languages": ["en", "es"]})
    mid = world.mention(at=T0)
    engine.run(db, config, T0 + minutes(10))
    apply_action(db, "vigia_snooze", f"mention:{mid}", "U0CM", T0 + minutes(100))
    engine.run(db, config, T0 + minutes(161))
    (note,) = [o for o in world.outbox(op="thread") if o.key.startswith("reopen:")]
    assert note.payload["text"] == "⏰ Snooze over: still unanswered, response target missed."


def test_question_cases_follow_the_users_own_postsale_cues(db: Database, world: World,
                                                           tmp_path: Path) -> None:
    """A cue added in the user's situations.toml makes a question post-sale, as it does for
    `vigia keywords`/the scripts: the engine asks the same detector it loaded."""
    (tmp_path / "situations.toml").write_text(
        '[situations.postsale_question]\nes = ["mi cita"]\n', encoding="utf-8")
    config = make_config().model_copy(update={"scripts_dir": str(tmp_path)})
    mid = world.mention("¿Puedo mover mi cita del jueves?", at=T0, category="question",
                        probability=0.9)
    assert engine.run(db, config, T0 + minutes(10)).new_alerts == 1
    alert = world.alert(mid)
    assert (alert.track, alert.situation) == ("question", "postsale_question")


def test_three_am_posts_but_pages_only_in_business_hours(db: Database, config: Config,
                                                         world: World) -> None:
    three_am = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 03:00 in Madrid
    mid = world.mention(at=three_am)
    assert engine.run(db, config, three_am + minutes(10)).new_alerts == 1
    shown = blocks_text(world.outbox()[0].payload["blocks"])
    assert ("publicado fuera del horario de Sol (lun–vie 09:00–19:00, Europe/Madrid): el plazo "
            "de respuesta corre desde la publicación") in shown
    report = engine.run(db, config, three_am + minutes(125))
    assert (report.escalations, report.deferred) == (0, 1)
    assert world.alert(mid).payload["page_deferred_until"] == "2026-03-03T08:00:00+00:00"
    assert engine.run(db, config, three_am + minutes(200)).deferred == 0  # counted once
    assert engine.run(db, config, datetime(2026, 3, 3, 8, 0, tzinfo=UTC)).escalations == 1


def test_three_am_high_priority_pages_at_once(db: Database, config: Config,
                                              world: World) -> None:
    three_am = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    mid = world.mention("Voy a denunciar esta estafa", at=three_am)
    assert engine.run(db, config, three_am).new_alerts == 1
    assert engine.run(db, config, three_am + minutes(120)).escalations == 1
    alert = world.alert(mid)
    assert f"<!subteam^{ONCALL}>" in world.outbox(key=f"escalate:{alert.id}")[0].payload["text"]


def test_business_minutes_sla_clock(db: Database, world: World) -> None:
    config = make_config(escalation={"business_hours": {"sla_clock": "business_hours"}})
    evening = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # Monday 18:00 Madrid
    mid = world.mention(at=evening)
    engine.run(db, config, evening + minutes(10))
    # 60 business minutes on Monday + 60 on Tuesday: the target is Tuesday 10:00 Madrid
    assert world.alert(mid).payload["sla_deadline"] == "2026-03-03T09:00:00+00:00"
    assert engine.run(db, config, datetime(2026, 3, 3, 8, 59, tzinfo=UTC)).escalations == 0
    assert engine.run(db, config, datetime(2026, 3, 3, 9, 0, tzinfo=UTC)).escalations == 1


def test_backfill_is_recorded_not_posted(db: Database, config: Config, world: World) -> None:
    now = T0 + timedelta(days=10)
    old = [world.mention(f"queja vieja {i}", at=T0 + minutes(i)) for i in range(30)]
    fresh = world.mention("queja nueva", at=now - minutes(20))
    report = engine.run(db, config, now)
    assert (report.new_alerts, report.suppressed) == (1, 30)
    assert {world.alert(m).state for m in old} == {"backfill"}
    assert world.alert(fresh).state == "open"
    (notice,) = world.outbox(op="ops")
    assert notice.channel == OPS and "30 unanswered negative mention(s)" in notice.payload["text"]
    assert engine.run(db, config, now + minutes(1)).suppressed == 0
    assert len(world.outbox(op="ops")) == 1


def test_ops_notice_once_per_key_and_escaped(db: Database, config: Config,
                                             world: World) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with db.transaction() as s:
        assert engine.enqueue_ops_notice(s, config, "twitter:auth", "X <!channel> failed", now)
        assert not engine.enqueue_ops_notice(s, config, "twitter:auth", "again", now)
    (item,) = world.outbox()
    assert item.key == "ops:twitter:auth" and item.channel == OPS
    assert "<!channel>" not in json.dumps(item.payload)


def test_unscored_and_other_brands_are_ignored(db: Database, config: Config,
                                               world: World) -> None:
    world.mention(at=T0, scored=False)
    world.mention(at=T0, brand="Otra")
    assert engine.run(db, config, T0 + minutes(30)).new_alerts == 0


def test_content_that_may_be_the_brands_own_is_never_alerted(
        db: Database, config: Config, world: World) -> None:
    """A Facebook item without `from` may be the Page's own reply (sources/facebook.py)."""
    mid = world.mention("No nos llegó el pedido, escríbenos por privado", at=T0)
    with db.transaction() as s:
        row = s.get(MentionRow, mid)
        assert row is not None
        row.extra = {"author_unknown": True}
    assert engine.run(db, config, T0 + minutes(30)).new_alerts == 0
    assert world.alerts() == []


def test_escalation_rule_reads_p_complaint_at_the_configured_threshold(
        db: Database, world: World) -> None:
    config = make_config(escalation={"threshold": 0.7, "questions": "off"})
    below = world.mention("a", at=T0, category="complaint", probability=0.69)
    at = world.mention("b", at=T0, category="complaint", probability=0.70)
    # a negative sentiment alone is not a complaint: the reply head decides
    praise = world.mention("c", at=T0, label="negative", category="praise", probability=0.9)
    other = world.mention("d", at=T0, category="other", probability=0.95)
    engine.run(db, config, T0 + minutes(30))
    alerted = {a.mention_id for a in world.alerts()}
    assert alerted == {at}
    assert not alerted & {below, praise, other}


def test_unanswered_questions_get_their_own_track_at_normal_priority(
        db: Database, world: World) -> None:
    config = make_config()  # questions = "alert" by default
    mid = world.mention("¿Hacen envíos a Canarias?", at=T0, category="question",
                        probability=0.8, reach=50_000)
    report = engine.run(db, config, T0 + minutes(9))
    assert report.new_alerts == 0  # the grace period: a question is never "high priority"
    report = engine.run(db, config, T0 + minutes(10))
    assert report.new_alerts == 1
    [alert] = world.alerts()
    assert (alert.mention_id, alert.track, alert.priority) == (mid, "question", "normal")
    assert alert.payload["card"]["track"] == "question"
    assert alert.payload["card"]["probability"] == 0.8


def test_questions_track_digest_or_off_opens_no_case(db: Database, world: World) -> None:
    world.mention("¿Tienen la talla M?", at=T0, category="question", probability=0.9)
    complaint = world.mention("Me cobraron dos veces", at=T0, category="complaint")
    for mode in ("digest", "off"):
        engine.run(db, make_config(escalation={"questions": mode}), T0 + minutes(30))
        assert [a.mention_id for a in world.alerts()] == [complaint]
