"""Crisis detection: baseline, ratio, floor, cooldown, and folding single alerts into it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts import crisis, engine
from monitor.config import Config, CrisisSettings
from monitor.storage.db import Database
from tests.alerts.conftest import ONCALL, World, make_config, minutes

NOW = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)  # Monday 12:00 Madrid, 14 days of history


def history(world: World, per_day: int, days: int = 14) -> None:
    """`per_day` negative mentions in the same hour-of-day window on each previous day
    (answered back then, so they raise no alert of their own now)."""
    for back in range(1, days + 1):
        for i in range(per_day):
            at = NOW - timedelta(days=back, minutes=30 + i)
            world.reply(world.mention(f"queja antigua {back}-{i}", at=at), at=at + minutes(20))
    world.mention("inicio", at=NOW - timedelta(days=days, hours=2), label="neutral")


BURST_START = NOW - minutes(50)


def burst(world: World, count: int, *, start: datetime = BURST_START,
          reach: int = 100) -> list[int]:
    return [world.mention(f"no me llega el pedido {i}", at=start + minutes(i % 40),
                          reach=reach + i) for i in range(count)]


def test_is_spike_needs_floor_and_ratio() -> None:
    settings = CrisisSettings(ratio=4.0, min_count=10)
    assert crisis.is_spike(12, 2.0, settings)
    assert not crisis.is_spike(9, 0.0, settings)  # below the absolute floor
    assert not crisis.is_spike(20, 6.0, settings)  # only x3.3
    assert crisis.is_spike(10, 0.0, settings)  # a quiet brand: floor of 1 per window
    assert not crisis.is_spike(50, 1.0, CrisisSettings(enabled=False))


def test_baseline_windows_keep_local_hour_across_dst() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    now = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # 12:00 CEST, the day after the change
    windows = crisis.baseline_windows(now, madrid, timedelta(minutes=60), 2)
    assert [end.astimezone(madrid).hour for _, end in windows] == [12, 12]
    assert windows[1][1] == datetime(2026, 3, 28, 11, 0, tzinfo=UTC)  # 12:00 CET


def test_measure_baseline_ratio_and_examples(db: Database, config: Config,
                                             world: World) -> None:
    history(world, per_day=2)
    ids = burst(world, 12)
    with db.transaction() as s:
        check = crisis.measure(s, config.brands[0], NOW)
    assert (check.count, check.baseline, check.ratio, check.spike) == (12, 2.0, 6.0, True)
    assert check.example_ids == (ids[-1], ids[-2], ids[-3])  # widest reach first


def test_no_crisis_when_usual_volume(db: Database, config: Config, world: World) -> None:
    history(world, per_day=5)
    burst(world, 12)
    with db.transaction() as s:
        check = crisis.measure(s, config.brands[0], NOW)
    assert (check.baseline, check.spike) == (5.0, False)
    assert engine.run(db, config, NOW).crisis_alerts == 0


def test_one_crisis_alert_then_cooldown_and_folding(db: Database, config: Config,
                                                    world: World) -> None:
    history(world, per_day=1)
    burst(world, 12)
    report = engine.run(db, config, NOW)
    assert (report.crisis_alerts, report.new_alerts, report.suppressed) == (1, 0, 12)
    (crisis_row,) = world.alerts(kind="crisis")
    assert crisis_row.payload["count"] == 12 and crisis_row.payload["baseline"] == 1.0
    post = world.outbox(key=crisis_row.key)[0]
    shown = json.dumps(post.payload["blocks"], ensure_ascii=False)
    # in the brand's language (es), numbers written the Spanish way
    assert "🚨 Posible crisis · Sol" in shown
    assert "12 menciones negativas en 1 h (lo habitual: 1,0, ×12,0)" in shown
    assert f"<!subteam^{ONCALL}>" in post.payload["text"]
    assert shown.index("pedido 11") < shown.index("pedido 10")  # widest reach first
    covered = world.alerts(state="covered")
    assert len(covered) == 12 and covered[0].payload["covered_by"] == crisis_row.key
    (fold_note,) = world.outbox(op="thread")
    assert fold_note.payload["parent_key"] == crisis_row.key
    assert "+12 more negative mention(s)" in fold_note.payload["text"]

    # 30 minutes later: more of the same; still one crisis alert, singles folded, except
    # high priority, which is posted on its own
    burst(world, 3, start=NOW + minutes(5))
    vip = world.mention("Es una estafa", at=NOW + minutes(10), reach=90_000)
    later = engine.run(db, config, NOW + minutes(30))
    assert (later.crisis_alerts, later.new_alerts, later.suppressed) == (0, 1, 3)
    assert world.alert(vip).state == "open"
    assert len(world.alerts(kind="crisis")) == 1
    assert engine.run(db, config, NOW + minutes(30)) == engine.EscalationReport()


def test_second_crisis_only_after_cooldown(db: Database, world: World) -> None:
    config = make_config(escalation={"crisis": {"cooldown_minutes": 120}})
    history(world, per_day=1)
    burst(world, 12)
    assert engine.run(db, config, NOW).crisis_alerts == 1
    burst(world, 15, start=NOW + minutes(70))
    assert engine.run(db, config, NOW + minutes(119)).crisis_alerts == 0
    burst(world, 15, start=NOW + minutes(100))
    assert engine.run(db, config, NOW + minutes(121)).crisis_alerts == 1
    assert len(world.alerts(kind="crisis")) == 2


def test_folded_mention_answered_by_brand_closes_quietly(db: Database, config: Config,
                                                         world: World) -> None:
    history(world, per_day=1)
    ids = burst(world, 12)
    engine.run(db, config, NOW)
    world.reply(ids[0], at=NOW + minutes(5))
    report = engine.run(db, config, NOW + minutes(6))
    assert report.reply_updates == 0
    alert = world.alert(ids[0])
    assert (alert.state, alert.close_reason) == ("answered", "brand_reply")
    assert world.outbox(op="update") == []


def test_after_the_burst_single_alerts_flow_again(db: Database, config: Config,
                                                  world: World) -> None:
    history(world, per_day=1)
    burst(world, 12)
    engine.run(db, config, NOW)
    later = NOW + timedelta(hours=5)
    mid = world.mention("otra queja", at=later - minutes(15))
    assert engine.run(db, config, later).new_alerts == 1
    assert world.alert(mid).state == "open"
